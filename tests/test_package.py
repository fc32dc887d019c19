"""The package surface: a sorted, honest __all__ and a light import."""

import subprocess
import sys

import tierwise


def test_all_is_sorted_and_resolvable() -> None:
    names = [n for n in tierwise.__all__ if n != "__version__"]
    assert names == sorted(names)
    for name in tierwise.__all__:
        assert getattr(tierwise, name) is not None


def test_import_is_light() -> None:
    code = (
        "import sys, tierwise; "
        "heavy = [m for m in ('boto3', 'botocore', 'starlette', 'fastapi', 'uvicorn', 'numpy')"
        " if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

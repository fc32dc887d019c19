"""bench/gen_invocation_logs.py as a module: Bedrock invocation logs for the plan tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

__all__ = ["generator"]

ROOT = Path(__file__).resolve().parents[1]


def generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "gen_logs", ROOT / "bench" / "gen_invocation_logs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

"""A bad value given on the command line is reported as the option the user typed
(`--port`), not as the config key it sets (`gateway.port`); an empty --host is refused, not
taken as "use the default"."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierwise.cli.app import _run


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["serve", "--port", "99999"], "error: Invalid value for --port: Input should be less "
         "than or equal to 65535"),
        (["serve", "--port", "-1"], "error: Invalid value for --port: Input should be greater "
         "than or equal to 0"),
        (["serve", "--no-auth", "--log-level", "loud"], "error: Invalid value for --log-level: "
         "Input should be 'debug', 'info', 'warning' or 'error'"),
        (["serve", "--no-auth", "--log-format", "xml"], "error: Invalid value for --log-format: "
         "Input should be 'text' or 'json'"),
        (["serve", "--host", ""], "error: Invalid value for --host: give an address to bind"),
        (["--endpoint-url", "localhost:4566", "models"], "error: Invalid value for "
         "--endpoint-url: must start with http:// or https://"),
        (["--region", "US East", "models"], "error: Invalid value for --region: "),
    ],
)  # fmt: skip
def test_a_bad_flag_value_names_the_flag(
    args: list[str], error: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["--db", f"sqlite:///{tmp_path / 'l.db'}", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith(error), err
    assert "gateway." not in err and "config key" not in err and "tierwise.toml" not in err


def test_a_bad_value_from_the_config_file_still_names_its_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "tierwise.toml"
    config.write_text("[gateway]\nport = 99999\n")
    assert _run(["--config", str(config), "serve"]) == 1
    err = capsys.readouterr().err
    assert f"config key `gateway.port` (set by file:{config})" in err, err

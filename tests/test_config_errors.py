"""A bad config says where to fix it: the file (and a close key for a misspelt one), or the
variable; the hint was the same "fix the value in tierwise.toml, the TIERWISE_* variable or
the CLI flag" for every error, and a misspelt table named no file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierwise.config import load_settings
from tierwise.errors import ConfigError


def _error(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> ConfigError:
    config = tmp_path / "tierwise.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(config, environ=environ or {})
    return info.value


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("[gateway]\nprot = 8080\n",
         "config key `gateway.prot` (set by file:{path}): unknown key; did you mean "
         "`gateway.port`?", "fix `gateway.prot` in {path}"),
        ('[tier.haiku]\nmodel_id = "x"\n',
         "config key `tier` (set by file:{path}): unknown key; did you mean `tiers`?",
         "fix `tier` in {path}"),
        ('[gateway]\nport = "abc"\n',
         "config key `gateway.port` (set by file:{path}): Input should be a valid integer, "
         "unable to parse string as an integer", "fix `gateway.port` in {path}"),
        ("[tiers.haiku\n", "config file {path} is not valid TOML: ",
         "fix the TOML syntax of {path} at that line"),
        # A table checked as a whole said "set by default", with the generic hint.
        ('[routing.classes.mathh]\ntier = "opus"\n',
         "config key `routing` (set by file:{path}): config key "
         "`routing.classes`: unknown task class(es) mathh", "fix `routing` in {path}"),
    ],
)  # fmt: skip
def test_a_file_error_says_where_to_fix_it(
    tmp_path: Path, text: str, message: str, hint: str
) -> None:
    path = tmp_path / "tierwise.toml"
    error = _error(tmp_path, text)
    assert error.message.startswith(message.format(path=path)), error.message
    assert error.hint == hint.format(path=path)


def test_a_variable_error_says_which_variable(tmp_path: Path) -> None:
    error = _error(tmp_path, "", {"TIERWISE_GATEWAY__PORT": "abc"})
    assert "(set by env:TIERWISE_GATEWAY__PORT)" in error.message
    assert error.hint == "fix or unset TIERWISE_GATEWAY__PORT"


def test_a_key_nothing_is_close_to_gets_no_guess(tmp_path: Path) -> None:
    error = _error(tmp_path, "[gateway]\nzzzzzz = 1\n")
    assert error.message.endswith("unknown key"), error.message

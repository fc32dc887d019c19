"""`tierwise converse --tier NAME`: a name that is no tier, alias, "auto" or model ID is
refused before any call (it used to be sent to Bedrock as a model ID), with the tiers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierwise.cli.app import _run
from tierwise.cli.converse_cmd import check_tier
from tierwise.config import load_settings
from tierwise.errors import InvalidRequestError


@pytest.fixture(autouse=True)
def _no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # Any call that got as far as Bedrock would fail on these, not on the tier.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def test_unknown_tier_is_refused_with_the_configured_tiers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _run(["converse", "hi", "--tier", "ultra"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == "error: unknown tier 'ultra'"
    assert err[1].startswith("hint: ") and "haiku, sonnet, opus" in err[1]


@pytest.mark.parametrize(
    "name",
    [
        "auto",
        "Haiku",
        "opus",
        "claude-sonnet-4-5",  # the Anthropic API's name: the name tables map it
        "anthropic.claude-3-haiku-20240307-v1:0",
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc",
    ],
)
def test_tiers_aliases_and_model_ids_pass(name: str) -> None:
    check_tier(load_settings().settings, name)


@pytest.mark.parametrize("name", ["ultra", "sonet", "", "gpt5"])
def test_names_that_are_nothing_are_refused(name: str) -> None:
    with pytest.raises(InvalidRequestError, match="unknown tier") as info:
        check_tier(load_settings().settings, name)
    assert info.value.param == "tier"


@pytest.mark.parametrize(
    ("table", "name", "said"),
    [
        ("anthropic", "claude-sonnet-4-5", "an Anthropic model name"),
        ("openai", "gpt-4o", "an OpenAI model name"),
    ],
)
def test_a_name_whose_table_is_off_says_which_setting_turns_it_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, name: str, said: str
) -> None:
    # It was "unknown tier 'claude-sonnet-4-5'", as if the name meant nothing.
    (tmp_path / "tierwise.toml").write_text(f"[model_names]\n{table} = false\n")
    assert _run(["converse", "hi", "--tier", name]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith(f"error: model {name!r} is {said}, and"), err
    assert f"set [model_names] {table} = true in tierwise.toml" in err[1], err

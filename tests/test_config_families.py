"""A tier model that is not Claude (a Nova alternate, a Llama primary) is warned about once at
config load, saying what goes wrong and what to do; Claude IDs in every spelling are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierwise.config import load_settings


def _load(tmp_path: Path, text: str) -> None:
    config = tmp_path / "tierwise.toml"
    config.write_text(text)
    load_settings(config, environ={})


def test_a_non_claude_alternate_is_warned_about_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = '[tiers.haiku]\nalternates = ["us.amazon.nova-lite-v1:0"]\n'
    with caplog.at_level("WARNING", logger="tierwise.config"):
        _load(tmp_path, text)
        _load(tmp_path, text)  # the gateway loads settings again: no second warning
    warnings = [r.getMessage() for r in caplog.records if r.name == "tierwise.config"]
    assert warnings == [
        "config: tiers.haiku.alternates 'us.amazon.nova-lite-v1:0' is not a Claude model "
        "(amazon): requests that fail over to it carry Claude's fields (thinking, "
        "anthropic_beta, cache points), which it may refuse, and are priced at the haiku "
        "tier's Claude prices; name a Claude profile there instead (`tierwise models` lists "
        "them)"
    ]


def test_a_non_claude_primary_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    arn = "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-70b-instruct-v1:0"
    with caplog.at_level("WARNING", logger="tierwise.config"):
        _load(tmp_path, f'[tiers.opus]\nmodel_id = "{arn}"\n')
    (warning,) = [r.getMessage() for r in caplog.records if r.name == "tierwise.config"]
    assert warning.startswith(f"config: tiers.opus.model_id '{arn}' is not a Claude model (meta)")
    assert "requests to this tier carry Claude's fields" in warning


def test_claude_ids_and_opaque_arns_are_not_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = (
        '[tiers.haiku]\nalternates = ["anthropic.claude-haiku-4-5-20251001-v1:0", '
        '"global.anthropic.claude-haiku-4-5-20251001-v1:0", '
        '"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3"]\n'
    )
    with caplog.at_level("WARNING", logger="tierwise.config"):
        _load(tmp_path, text)
    assert not [r for r in caplog.records if r.name == "tierwise.config"]

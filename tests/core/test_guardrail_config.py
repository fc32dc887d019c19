"""Reading a guardrail at the doors (pure) and the configured defaults."""

from __future__ import annotations

import pytest

from tierwise.config import load_settings
from tierwise.core.guardrails import guardrail_config, guardrail_from_header, guardrail_summary
from tierwise.errors import ConfigError, InvalidRequestError

ARN = "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gr1", {"guardrailIdentifier": "gr1", "guardrailVersion": "DRAFT"}),
        ("gr1:7", {"guardrailIdentifier": "gr1", "guardrailVersion": "7"}),
        (f"{ARN}:2", {"guardrailIdentifier": ARN, "guardrailVersion": "2"}),
        (ARN, {"guardrailIdentifier": ARN, "guardrailVersion": "DRAFT"}),
    ],
)
def test_header_forms(header: str, expected: dict[str, str]) -> None:
    assert guardrail_from_header(header, None, stream=False) == expected


def test_header_absent_and_trace() -> None:
    assert guardrail_from_header(None, None, stream=False) is None
    got = guardrail_from_header("gr1:1", "enabled_full", stream=True)
    assert got == {"guardrailIdentifier": "gr1", "guardrailVersion": "1", "trace": "enabled_full"}
    with pytest.raises(InvalidRequestError, match="needs x-tierwise-guardrail"):
        guardrail_from_header(None, "enabled", stream=False)


@pytest.mark.parametrize(
    "value",
    [
        {"guardrailIdentifier": "GR1", "guardrailVersion": "1"},
        {"guardrailIdentifier": "gr1", "guardrailVersion": "0"},
        {"guardrailIdentifier": "gr1", "guardrailVersion": "1", "trace": "yes"},
        {"guardrailIdentifier": "gr1", "guardrailVersion": "1", "extra": 1},
        {"guardrailIdentifier": "gr1", "streamProcessingMode": "fast"},
        ["gr1"],
    ],
)
def test_bad_configs_are_refused(value: object) -> None:
    with pytest.raises(InvalidRequestError):
        guardrail_config(value, stream=True)


def test_stream_mode_is_kept_for_streams_only() -> None:
    value = {"guardrailIdentifier": "gr1", "guardrailVersion": "1", "streamProcessingMode": "async"}
    assert guardrail_config(value, stream=True)["streamProcessingMode"] == "async"
    assert "streamProcessingMode" not in guardrail_config(value, stream=False)


def test_summary() -> None:
    assert guardrail_summary({"stopReason": "end_turn"}, None) is None
    out = guardrail_summary(
        {"stopReason": "guardrail_intervened", "trace": {"guardrail": {"x": 1}}}, "gr1:1"
    )
    assert out == {"guardrail": "gr1:1", "action": "INTERVENED", "trace": {"x": 1}}


def test_configured_defaults_global_and_per_key() -> None:
    settings = load_settings(
        environ={},
        overrides={
            "guardrails.id": "base",
            "guardrails.keys.k1": {"id": "special", "version": "3"},
        },
    ).settings
    g = settings.guardrails
    assert g.config_for(None) == {
        "guardrailIdentifier": "base", "guardrailVersion": "DRAFT", "trace": "disabled"
    }  # fmt: skip
    assert g.config_for("k1")["guardrailIdentifier"] == "special"  # type: ignore[index]
    assert g.config_for("k2")["guardrailIdentifier"] == "base"  # type: ignore[index]
    assert load_settings(environ={}).settings.guardrails.config_for("k1") is None
    with pytest.raises(ConfigError, match=r"guardrails\.version"):
        load_settings(environ={}, overrides={"guardrails.version": "latest"})

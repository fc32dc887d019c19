"""A model name that is nothing tierwise serves says what to do in the caller's terms.

Before: ``[aliases] fast = "haiku-4-5"`` loaded, and every request for ``fast`` was told
``model 'haiku-4-5' is not a tier...`` (a name it never sent); with ``[model_names] anthropic
= false``, ``claude-sonnet-4-5`` got that generic refusal where an OpenAI name got the
setting to turn on; and gateway clients were told to run the CLI's ``tierwise models``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from tierwise.client import Tierwise
from tierwise.config import Settings, load_settings
from tierwise.core.tiers import Tier
from tierwise.errors import ConfigError, ModelNotAvailableError

MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]


@pytest.mark.parametrize("target", ["haiku-4-5", "sonnet 4.5", "claude-3.5-sonnet"])
def test_an_alias_to_no_model_is_refused_where_it_is_written(tmp_path: Path, target: str) -> None:
    cfg = tmp_path / "tierwise.toml"
    cfg.write_text(f'[aliases]\nfast = "{target}"\n')
    with pytest.raises(ConfigError) as refused:
        load_settings(cfg, environ={})
    text = str(refused.value)
    assert f"'fast' = {target!r}" in text and "`aliases`" in text and "tierwise.toml" in text


def test_aliases_to_tiers_and_model_ids_still_load(tmp_path: Path) -> None:
    cfg = tmp_path / "tierwise.toml"
    cfg.write_text(
        '[aliases]\nfast = "Haiku"\nsmart = "auto"\n'
        'pinned = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"\n'
        'app = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/team01"\n'
    )
    settings = load_settings(cfg, environ={}).settings
    assert settings.tier_named("fast") is Tier.HAIKU


def test_an_anthropic_name_while_they_are_off_says_how_to_turn_them_on(
    emu_settings: Settings, ledger_url: str, live_emulator: Any
) -> None:
    settings = emu_settings.with_overrides({"model_names.anthropic": False})
    before = live_emulator.stats["total"]
    with (
        Tierwise.from_settings(settings, ledger_url=ledger_url) as tw,
        pytest.raises(ModelNotAvailableError) as refused,
    ):
        tw.converse(modelId="claude-sonnet-4-5", messages=MESSAGES)
    assert refused.value.message == (
        "model 'claude-sonnet-4-5' is an Anthropic model name, and Anthropic names are off"
    )
    assert refused.value.hint == (
        "set [model_names] anthropic = true in tierwise.toml to serve it as sonnet, "
        'or add an alias: [aliases] "claude-sonnet-4-5" = "sonnet"'
    )
    assert live_emulator.stats["total"] == before, "Bedrock was not asked"


def test_gateway_clients_are_told_get_v1_models(default_settings: Settings, tmp_path: Path) -> None:
    from live_server import emulated_gateway

    with emulated_gateway(default_settings, tmp_path / "l.db", {}) as gw:
        key = gw.keys.create("a")[1]
        chat = openai.OpenAI(base_url=gw.url + "/v1", api_key=key, max_retries=0)
        with pytest.raises(openai.NotFoundError) as by_openai:
            chat.chat.completions.create(
                model="sonnet-4.5", messages=[{"role": "user", "content": "hi"}]
            )
        claude = anthropic.Anthropic(base_url=gw.url, api_key=key, max_retries=0)
        with pytest.raises(anthropic.NotFoundError) as by_anthropic:
            claude.messages.create(
                model="sonnet-4.5", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
            )
    for message in (by_openai.value.message, by_anthropic.value.message):
        assert "model 'sonnet-4.5' is not a tier" in message
        assert "GET /v1/models lists them" in message and "tierwise models" not in message


def test_a_model_bedrock_does_not_know_tells_gateway_clients_get_v1_models(
    default_settings: Settings, tmp_path: Path
) -> None:
    # Bedrock's own "not found" (a well-formed ID no model has) carried the Converse callers'
    # hint, "check the model ID with `tierwise models`", to HTTP clients too
    from live_server import emulated_gateway

    missing = "global.anthropic.claude-nonesuch-v1:0"
    with emulated_gateway(default_settings, tmp_path / "l.db", {}) as gw:
        key = gw.keys.create("a")[1]
        chat = openai.OpenAI(base_url=gw.url + "/v1", api_key=key, max_retries=0)
        with pytest.raises(openai.NotFoundError) as by_openai:
            chat.chat.completions.create(
                model=missing, messages=[{"role": "user", "content": "hi"}]
            )
        claude = anthropic.Anthropic(base_url=gw.url, api_key=key, max_retries=0)
        with pytest.raises(anthropic.NotFoundError) as by_anthropic:
            claude.messages.create(
                model=missing, max_tokens=10, messages=[{"role": "user", "content": "hi"}]
            )
        with pytest.raises(ModelNotAvailableError) as by_python:
            gw.tierwise.converse(modelId=missing, messages=MESSAGES)
    for message in (by_openai.value.message, by_anthropic.value.message):
        assert missing in message
        assert "GET /v1/models" in message and "tierwise models" not in message
    assert "`tierwise models`" in str(by_python.value)  # the Python client's caller has the CLI


def test_a_tier_whose_profiles_bedrock_does_not_know_tells_gateway_clients_their_words(
    default_settings: Settings, tmp_path: Path
) -> None:
    # Every profile failed, so the error was an ExhaustedError carrying the last one's hint:
    # "check the model ID with `tierwise models`" reached HTTP clients through it.
    import httpx

    from live_server import emulated_gateway

    broken = {
        "tiers.haiku.model_id": "global.anthropic.claude-nonesuch-v1:0",
        "tiers.haiku.alternates": ["us.anthropic.claude-nonesuch-v1:0"],
    }
    with emulated_gateway(default_settings, tmp_path / "l.db", broken) as gw:
        key = gw.keys.create("a")[1]
        body = {"model": "haiku", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
        headers = {"authorization": f"Bearer {key}"}
        replies = [
            httpx.post(f"{gw.url}{path}", json=body, headers=headers, timeout=30)
            for path in ("/v1/chat/completions", "/v1/messages")
        ]
    for reply in replies:
        message = reply.json()["error"]["message"]
        assert "every profile failed" in message and "nonesuch" in message, message
        assert "GET /v1/models" in message and "tierwise models" not in message, message

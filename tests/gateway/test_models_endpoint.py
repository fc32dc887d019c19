"""``/v1/models`` answers each SDK in its own shape, listing and retrieving."""

from __future__ import annotations

import anthropic
import openai
import pytest

OPUS = "global.anthropic.claude-opus-4-5-20251101-v1:0"


def test_openai_sdk_lists_and_retrieves(gateway) -> None:  # type: ignore[no-untyped-def]
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=gateway.key, max_retries=0)
    assert [m.id for m in client.models.list()][:4] == ["auto", "haiku", "sonnet", "opus"]
    assert client.models.retrieve(OPUS).id == OPUS
    assert client.models.retrieve("auto").owned_by == "tierwise"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_anthropic_sdk_lists_and_retrieves(gateway) -> None:  # type: ignore[no-untyped-def]
    client = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
    models = client.models.list()
    assert [m.id for m in models.data][:4] == ["auto", "haiku", "sonnet", "opus"]
    assert all(m.type == "model" and m.display_name for m in models.data)
    assert models.has_more is False
    assert client.models.retrieve(OPUS).id == OPUS
    with pytest.raises(anthropic.NotFoundError):
        client.models.retrieve("claude-nope")
    bad = anthropic.Anthropic(base_url=gateway.url, api_key="wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        bad.models.list()


def test_retrieve_knows_every_name_a_request_accepts(gateway) -> None:  # type: ignore[no-untyped-def]
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=gateway.key, max_retries=0)
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/" + OPUS
    for name in ("HAIKU", "Auto", "us." + OPUS.removeprefix("global."), arn):
        assert client.models.retrieve(name).id == name
    # Another geography's profile, which Bedrock in us-east-1 refuses, as requests are.
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("eu." + OPUS.removeprefix("global."))


def test_a_capped_key_sees_only_models_it_may_use(gateway) -> None:  # type: ignore[no-untyped-def]
    from tierwise.core.tiers import Tier

    key = gateway.new_key(max_tier=Tier.SONNET)
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
    ids = [m.id for m in client.models.list()]
    assert "sonnet" in ids and "opus" not in ids and OPUS not in ids
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("opus")

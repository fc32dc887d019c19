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

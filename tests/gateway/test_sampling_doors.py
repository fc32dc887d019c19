"""temperature + top_p through every door: Bedrock (the emulator) refuses both for Claude
4.5-generation models; tierwise keeps temperature, drops top_p, and says so."""

from __future__ import annotations

from typing import Any

import pytest

from emulator_clients import make_runtime
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.errors import TierwiseError

BOTH = {"maxTokens": 100, "temperature": 0.3, "topP": 0.8}
MESSAGES = [{"role": "user", "content": [{"text": "Name three colours."}]}]


def test_bedrock_refuses_both_for_sonnet_45(emu_settings: Settings) -> None:
    runtime = make_runtime(emu_settings.endpoint_url)
    model = emu_settings.tiers["sonnet"].model_id  # type: ignore[index]
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        runtime.converse(modelId=model, messages=MESSAGES, inferenceConfig=BOTH)
    assert "`temperature` and `top_p` cannot both be specified for this model" in str(info.value)
    # An older model takes both.
    old = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
    assert runtime.converse(modelId=old, messages=MESSAGES, inferenceConfig=BOTH)["usage"]


@pytest.mark.parametrize("model", ["haiku", "sonnet", "opus", "auto"])
def test_python_client_drops_top_p(tw: Tierwise, model: str) -> None:
    response = tw.converse(modelId=model, messages=MESSAGES, inferenceConfig=dict(BOTH))
    assert response["tierwise"]["dropped"] == ["top_p"]
    assert response["output"]["message"]["content"]


def test_python_stream_drops_top_p(tw: Tierwise) -> None:
    response = tw.converse_stream(modelId="sonnet", messages=MESSAGES, inferenceConfig=dict(BOTH))
    assert response["tierwise"]["dropped"] == ["top_p"]
    assert any("messageStop" in e for e in response["stream"])


def test_raw_old_model_keeps_both(tw: Tierwise) -> None:
    old = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
    response = tw.converse(modelId=old, messages=MESSAGES, inferenceConfig=dict(BOTH))
    assert "dropped" not in response["tierwise"]


def test_without_settling_the_call_would_fail(tw: Tierwise) -> None:
    """The rule matters: the same request sent as is is refused (so the test above can fail)."""
    with pytest.raises(TierwiseError, match="cannot both be specified"):
        tw.bedrock.converse(
            tw.profiles(tw.settings.default_tier),
            {"messages": MESSAGES, "inferenceConfig": dict(BOTH)},
        )


def test_openai_door_header(gateway: Any) -> None:
    import openai

    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=gateway.key, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="sonnet",
        messages=[{"role": "user", "content": "Name three colours."}],
        temperature=0.3,
        top_p=0.8,
    )
    assert raw.parse().choices[0].message.content
    assert raw.headers["x-tierwise-dropped"] == "top_p"
    plain = client.chat.completions.with_raw_response.create(
        model="sonnet", messages=[{"role": "user", "content": "Hi"}], temperature=0.3
    )
    assert "x-tierwise-dropped" not in plain.headers
    stream = client.chat.completions.with_raw_response.create(
        model="haiku",
        messages=[{"role": "user", "content": "Hi"}],
        temperature=0.3,
        top_p=0.8,
        stream=True,
    )
    assert stream.headers["x-tierwise-dropped"] == "top_p"
    assert list(stream.parse())


def test_anthropic_door_header(gateway: Any) -> None:
    import anthropic

    client = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
    raw = client.messages.with_raw_response.create(
        model="opus",
        max_tokens=100,
        messages=[{"role": "user", "content": "Name three colours."}],
        # This SDK release no longer types the sampling parameters; older ones send them.
        extra_body={"temperature": 0.3, "top_p": 0.8},
    )
    assert raw.parse().content[0].text
    assert raw.headers["x-tierwise-dropped"] == "top_p"

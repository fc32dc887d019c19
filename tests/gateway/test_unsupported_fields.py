"""Nothing silently ignored: a field tierwise cannot honour is a 400 naming it, in each API's
error shape, through the real SDKs; the default values of those fields still pass."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest

HI = [{"role": "user", "content": "hi"}]


@pytest.fixture
def oai(gateway) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=gateway.key, max_retries=0)


@pytest.fixture
def claude(gateway) -> anthropic.Anthropic:  # type: ignore[no-untyped-def]
    return anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"logprobs": True}, "logprobs"),
        ({"top_logprobs": 3}, "top_logprobs"),
        ({"n": 2}, "n"),
        ({"seed": 7}, "seed"),
        ({"frequency_penalty": 0.5}, "frequency_penalty"),
        ({"presence_penalty": -1}, "presence_penalty"),
        ({"logit_bias": {"50256": -100}}, "logit_bias"),
        ({"store": True}, "store"),
        ({"modalities": ["text", "audio"]}, "modalities"),
        ({"web_search_options": {}}, None),  # {} asks for nothing: accepted
        ({"extra_body": {"frobnicate": 1}}, "frobnicate"),
    ],
)
def test_openai_refuses_what_it_would_ignore(
    oai: openai.OpenAI, extra: dict[str, Any], param: str | None
) -> None:
    kwargs = dict(extra)
    if param is None:
        oai.chat.completions.create(model="haiku", messages=HI, **kwargs)  # type: ignore[call-overload]
        return
    with pytest.raises(openai.BadRequestError) as caught:
        oai.chat.completions.create(model="haiku", messages=HI, **kwargs)  # type: ignore[call-overload]
    assert caught.value.param == param
    assert param in caught.value.message


def test_openai_defaults_of_those_fields_pass(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="haiku", messages=HI, logprobs=False, n=1, user="u-1", store=False,  # type: ignore[arg-type]
        parallel_tool_calls=True, frequency_penalty=0, metadata={"team": "a"},
        service_tier="auto",
    )  # fmt: skip
    assert completion.choices[0].logprobs is None


@pytest.mark.parametrize(
    "tool",
    [
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
        {"type": "code_execution_20250522", "name": "code_execution"},
        {"type": "bash_20250124", "name": "bash"},
        {"type": "text_editor_20250124", "name": "str_replace_editor"},
    ],
)
def test_anthropic_server_tools_are_refused_by_name(
    claude: anthropic.Anthropic, tool: dict[str, Any]
) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        claude.messages.create(model="haiku", max_tokens=64, messages=HI, tools=[tool])  # type: ignore[list-item]
    message = caught.value.body["error"]["message"]  # type: ignore[index]
    assert "tools[0].type" in message and tool["type"] in message
    assert "Bedrock" in message


@pytest.mark.parametrize(
    ("extra", "name"),
    [
        ({"extra_body": {"container": "c-1"}}, "container"),
        ({"extra_body": {"mcp_servers": [{"type": "url", "url": "https://x", "name": "x"}]}},
         "mcp_servers"),
        ({"extra_body": {"frobnicate": True}}, "frobnicate"),
        ({"service_tier": "priority"}, "service_tier"),
        ({"tools": [{"name": "lookup"}]}, "input_schema"),
    ],
)  # fmt: skip
def test_anthropic_refuses_what_it_would_ignore(
    claude: anthropic.Anthropic, extra: dict[str, Any], name: str
) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        claude.messages.create(model="haiku", max_tokens=64, messages=HI, **extra)
    assert name in caught.value.body["error"]["message"]  # type: ignore[index]


def test_anthropic_count_tokens_refuses_message_only_fields(claude: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="stream"):
        claude.messages.count_tokens(model="haiku", messages=HI, extra_body={"stream": True})
    assert claude.messages.count_tokens(model="haiku", messages=HI).input_tokens > 0


def test_anthropic_accepted_fields_pass(claude: anthropic.Anthropic) -> None:
    message = claude.messages.create(
        model="haiku", max_tokens=64, messages=HI, metadata={"user_id": "u-1"},
        service_tier="auto",
    )  # fmt: skip
    assert message.content

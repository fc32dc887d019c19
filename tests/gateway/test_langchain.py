"""LangChain's own integrations against the gateway: ChatOpenAI and ChatAnthropic, plain and
with_structured_output (json_schema, function calling, tool calling), offline on the emulator."""

from __future__ import annotations

import json

import langchain_anthropic
import langchain_openai
import pytest
from pydantic import BaseModel


class Ticket(BaseModel):
    title: str
    severity: str
    tags: list[str]


def _openai(gateway, **kwargs):  # type: ignore[no-untyped-def]
    return langchain_openai.ChatOpenAI(
        model="haiku",
        base_url=gateway.url + "/v1",
        api_key=gateway.key,
        max_retries=0,
        **kwargs,
    )


def test_chat_openai_invoke_and_stream(gateway) -> None:  # type: ignore[no-untyped-def]
    llm = _openai(gateway)
    assert llm.invoke("hello").content
    assert "".join(str(c.content) for c in llm.stream("hello"))


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_chat_openai_structured_output(gateway, method: str) -> None:  # type: ignore[no-untyped-def]
    # function_calling sends parallel_tool_calls: false with a forced tool.
    llm = _openai(gateway).with_structured_output(Ticket, method=method)
    assert isinstance(llm.invoke("File a ticket: login fails"), Ticket)


def test_chat_openai_json_mode_is_a_json_object(gateway) -> None:  # type: ignore[no-untyped-def]
    llm = _openai(gateway).bind(response_format={"type": "json_object"})
    assert isinstance(json.loads(str(llm.invoke("The capital of France, as JSON").content)), dict)


def test_chat_openai_responses_api(gateway) -> None:  # type: ignore[no-untyped-def]
    llm = _openai(gateway, use_responses_api=True)
    assert llm.invoke("hello").text
    assert isinstance(llm.with_structured_output(Ticket).invoke("a ticket"), Ticket)


def test_chat_anthropic_invoke_and_structured_output(gateway) -> None:  # type: ignore[no-untyped-def]
    llm = langchain_anthropic.ChatAnthropic(
        model="claude-haiku-4-5",
        base_url=gateway.url,
        api_key=gateway.key,
        max_retries=0,
    )
    assert llm.invoke("hello").content
    assert isinstance(llm.with_structured_output(Ticket).invoke("a ticket"), Ticket)

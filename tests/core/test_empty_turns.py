"""A conversation whose only user turn is empty is refused for what it is, not as a role error."""

from __future__ import annotations

from typing import Any

import pytest

from tierwise.core.convert.anthropic import from_messages
from tierwise.core.convert.openai import from_chat_completions
from tierwise.core.convert.responses import from_responses
from tierwise.errors import InvalidRequestError


def _message(convert: Any, body: dict[str, Any]) -> str:
    with pytest.raises(InvalidRequestError) as caught:
        convert(body)
    return str(caught.value)


def test_openai_empty_user_content_says_empty() -> None:
    text = _message(
        from_chat_completions,
        {"model": "auto", "messages": [{"role": "user", "content": []}]},
    )
    assert "empty" in text
    assert "must be from the user" not in text


def test_anthropic_empty_user_content_says_empty() -> None:
    text = _message(
        from_messages,
        {"model": "auto", "max_tokens": 10, "messages": [{"role": "user", "content": []}]},
    )
    assert "empty" in text
    assert "must be from the user" not in text


def test_responses_empty_message_content_says_empty() -> None:
    text = _message(
        from_responses,
        {"model": "auto", "input": [{"role": "user", "content": []}]},
    )
    assert "empty" in text


def test_an_empty_first_turn_before_an_assistant_turn_names_the_empty_turn() -> None:
    text = _message(
        from_messages,
        {
            "model": "auto",
            "max_tokens": 10,
            "messages": [
                {"role": "user", "content": []},
                {"role": "assistant", "content": "hi"},
                {"role": "user", "content": "again"},
            ],
        },
    )
    assert "empty" in text


def test_a_conversation_with_content_still_converts() -> None:
    converted = from_messages(
        {"model": "auto", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    )
    assert converted.request["messages"][0]["content"] == [{"text": "hi"}]

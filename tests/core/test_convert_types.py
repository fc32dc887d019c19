"""JSON types both doors check strictly: booleans are not numbers, strings are not booleans."""

from __future__ import annotations

from typing import Any

import pytest

from tierwise.core.convert.anthropic import from_messages
from tierwise.core.convert.openai import from_chat_completions
from tierwise.errors import InvalidRequestError

OPENAI = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}
ANTHROPIC = {"model": "auto", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize(
    ("field", "value"),
    [("stream", "false"), ("stream", 1), ("max_tokens", True), ("temperature", True),
     ("top_p", False)],
)  # fmt: skip
def test_openai_refuses_the_wrong_json_type(field: str, value: Any) -> None:
    with pytest.raises(InvalidRequestError, match=field):
        from_chat_completions({**OPENAI, field: value})


@pytest.mark.parametrize(
    ("field", "value"),
    [("stream", "false"), ("max_tokens", True), ("temperature", True)],
)
def test_anthropic_refuses_the_wrong_json_type(field: str, value: Any) -> None:
    with pytest.raises(InvalidRequestError, match=field):
        from_messages({**ANTHROPIC, field: value})


def test_stream_false_null_or_absent_is_not_a_stream() -> None:
    for body in (OPENAI, {**OPENAI, "stream": False}, {**OPENAI, "stream": None}):
        assert from_chat_completions(body).stream is False
    assert from_chat_completions({**OPENAI, "stream": True}).stream is True
    assert from_messages({**ANTHROPIC, "stream": None}).stream is False
    assert from_messages({**ANTHROPIC, "stream": True}).stream is True

"""A temperature or top_p that is not a number says it must be one, on every door: the
message was "temperature must be between 0 and 1" for "hot", which reads as a range error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tierwise.core.convert.anthropic import from_messages
from tierwise.core.convert.openai import from_chat_completions
from tierwise.core.convert.responses import from_responses
from tierwise.errors import InvalidRequestError

HI = [{"role": "user", "content": "hi"}]
DOORS: list[tuple[Callable[[Any], Any], dict[str, Any]]] = [
    (from_chat_completions, {"model": "haiku", "messages": HI}),
    (from_responses, {"model": "haiku", "input": "hi"}),
    (from_messages, {"model": "haiku", "max_tokens": 10, "messages": HI}),
]


@pytest.mark.parametrize(("convert", "body"), DOORS)
@pytest.mark.parametrize("field", ["temperature", "top_p"])
def test_a_sampling_value_that_is_no_number_says_so(
    convert: Callable[[Any], Any], body: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        convert({**body, field: "hot"})
    assert refused.value.message.startswith(f"{field} must be a number between 0 and 1")
    assert refused.value.param == field

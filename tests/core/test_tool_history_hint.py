"""Tool history without tools is refused with a hint every door's caller can act on."""

from __future__ import annotations

import pytest

from tierwise.core.preflight import check_request
from tierwise.errors import InvalidRequestError


def test_tool_history_without_tools_names_the_field_of_every_api() -> None:
    request = {
        "messages": [
            {"role": "user", "content": [{"text": "weather?"}]},
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": "c1", "name": "w",
                                                           "input": {}}}]},
        ]
    }  # fmt: skip
    with pytest.raises(InvalidRequestError) as refused:
        check_request(request)
    # An OpenAI or Anthropic caller never sent toolConfig: the hint named only that.
    assert "`tools` in the OpenAI and Anthropic APIs" in refused.value.hint
    assert "`toolConfig` in Converse" in refused.value.hint
    assert "tool call or result" in refused.value.message

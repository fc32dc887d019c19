"""Fields inside messages, content parts and tools are checked like the top level: used,
documented as having no effect, or refused with a 400 naming the path; never dropped in
silence. Earlier answers sent back may carry response metadata, which passes."""

from __future__ import annotations

from typing import Any

import pytest

from tierwise.core.convert.anthropic import AnthropicStreamTranslator, from_messages, to_message
from tierwise.core.convert.openai import from_chat_completions
from tierwise.core.convert.request import ONE_TOOL_CALL
from tierwise.core.validators import ToolCallValidator, validators_from_spec
from tierwise.errors import InvalidRequestError

FN = {"name": "lookup", "parameters": {"type": "object", "properties": {"q": {"type": "string"}},
                                       "required": ["q"]}}  # fmt: skip
TOOL = {"name": "lookup", "input_schema": FN["parameters"]}


def chat(**body: Any) -> Any:
    return from_chat_completions({"model": "sonnet", **body})


def messages(**body: Any) -> Any:
    return from_messages({"model": "sonnet", "max_tokens": 100, **body})


@pytest.mark.parametrize(
    ("msgs", "param"),
    [
        ([{"role": "user", "content": "hi", "cache": True}], "messages[0].cache"),
        ([{"role": "user", "content": [{"type": "text", "text": "hi", "x": 1}]}],
         "messages[0].content[0].x"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {
            "url": "data:image/png;base64,iVBORw0KGgo=", "quality": "hd"}}]}],
         "messages[0].content[0].image_url.quality"),
        ([{"role": "system", "content": [{"type": "text", "text": "s", "y": 2}]},
          {"role": "user", "content": "hi"}], "messages[0].content[0].y"),
        ([{"role": "tool", "tool_call_id": "c", "content": "r", "name": "lookup"}],
         "messages[0].name"),
        ([{"role": "user", "content": "hi"},
          {"role": "assistant", "content": None, "audio": {"id": "a1"}}], "messages[1].audio"),
    ],
)  # fmt: skip
def test_openai_nested_fields_it_cannot_use_are_400s(msgs: list[Any], param: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        chat(messages=msgs)
    assert info.value.param == param
    assert param in str(info.value)


def test_openai_tool_fields_are_checked() -> None:
    with pytest.raises(InvalidRequestError) as info:
        chat(messages=[{"role": "user", "content": "hi"}],
             tools=[{"type": "function", "function": {**FN, "examples": []}}])  # fmt: skip
    assert info.value.param == "tools[0].function.examples"
    with pytest.raises(InvalidRequestError) as info:
        chat(messages=[{"role": "user", "content": "hi"}],
             tools=[{"type": "function", "function": FN, "cache": 1}])  # fmt: skip
    assert info.value.param == "tools[0].cache"


def test_openai_documented_fields_pass_and_echoed_answers_may_carry_metadata() -> None:
    converted = chat(
        messages=[
            {"role": "system", "content": "be brief", "name": "ops"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}], "name": "ann"},
            # What the SDK's message.model_dump() sends back, plus a field a newer release adds.
            {"role": "assistant", "content": "hello", "refusal": None, "annotations": [],
             "audio": None, "function_call": None, "reasoning_content": "x", "new_thing": 1},
            {"role": "user", "content": "and?"},
        ]
    )  # fmt: skip
    texts = [b["text"] for m in converted.request["messages"] for b in m["content"]]
    assert texts == ["hi", "hello", "and?"]
    assert "ann" not in str(converted.request) and "new_thing" not in str(converted.request)


def test_openai_strict_tools_are_validated() -> None:
    converted = chat(
        messages=[{"role": "user", "content": "hi"}],
        tools=[{"type": "function", "function": {**FN, "strict": True}},
               {"type": "function", "function": {**FN, "name": "loose"}}],
    )  # fmt: skip
    assert converted.strict_tools == ("lookup",)
    assert "strict" not in str(converted.request["toolConfig"])
    assert chat(messages=[{"role": "user", "content": "hi"}],
                tools=[{"type": "function", "function": FN}]).strict_tools == ()  # fmt: skip


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": [{"role": "user", "content": "hi", "name": "ann"}]}, "messages[0].name"),
        ({"messages": [{"role": "user", "content": [{"type": "text", "text": "hi", "x": 1}]}]},
         "messages[0].content[0].x"),
        ({"messages": [{"role": "user", "content": [{"type": "document", "source": {
            "type": "text", "media_type": "text/plain", "data": "d"},
            "citations": {"enabled": True}}]}]}, "messages[0].content[0].citations"),
        ({"messages": [{"role": "user", "content": [{"type": "document", "source": {
            "type": "text", "media_type": "text/plain", "data": "d"}, "context": "c"}]}]},
         "messages[0].content[0].context"),
        ({"messages": [{"role": "user", "content": "hi"}], "system": [
            {"type": "text", "text": "s", "z": 1}]}, "system[0].z"),
        ({"messages": [{"role": "user", "content": "hi"}], "tools": [{**TOOL, "defer": True}]},
         "tools[0].defer"),
        ({"messages": [{"role": "user", "content": "hi"}], "tools": [TOOL],
          "tool_choice": {"type": "auto", "hurry": True}}, "tool_choice.hurry"),
    ],
)  # fmt: skip
def test_anthropic_nested_fields_it_cannot_use_are_400s(body: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        messages(**body)
    assert info.value.param == param


def test_anthropic_echoed_assistant_blocks_may_carry_metadata_but_not_other_callers() -> None:
    use = {"type": "tool_use", "id": "t1", "name": "lookup", "input": {"q": "a"},
           "caller": {"type": "direct"}, "toolset_name": None}  # fmt: skip
    result = {"type": "tool_result", "tool_use_id": "t1", "content": "r"}
    history = [{"role": "user", "content": "go"}, {"role": "assistant", "content": [use]},
               {"role": "user", "content": [result]}]  # fmt: skip
    converted = messages(messages=history, tools=[TOOL])
    assert converted.request["messages"][1]["content"][0]["toolUse"]["input"] == {"q": "a"}
    programmatic = {**use, "caller": {"type": "code_execution_20250825"}}
    with pytest.raises(InvalidRequestError) as info:
        messages(messages=[history[0], {"role": "assistant", "content": [programmatic]},
                           history[2]], tools=[TOOL])  # fmt: skip
    assert info.value.param == "messages[1].content[0].caller"


def test_anthropic_strict_tools_and_disable_parallel_tool_use() -> None:
    converted = messages(
        messages=[{"role": "user", "content": "hi"}],
        tools=[{**TOOL, "strict": True}, {**TOOL, "name": "loose"}],
        tool_choice={"type": "auto", "disable_parallel_tool_use": True},
    )
    assert converted.strict_tools == ("lookup",)
    assert converted.extras["single_tool_call"] is True
    assert {"text": ONE_TOOL_CALL} in converted.request["system"]


def _two_calls() -> dict[str, Any]:
    calls = [{"toolUse": {"toolUseId": f"t{i}", "name": "lookup", "input": {"q": str(i)}}}
             for i in (1, 2)]  # fmt: skip
    return {"output": {"message": {"role": "assistant", "content": [{"text": "ok"}, *calls]}},
            "stopReason": "tool_use", "usage": {"inputTokens": 1, "outputTokens": 2}}  # fmt: skip


def test_anthropic_answer_keeps_only_the_first_call_when_parallel_use_is_off() -> None:
    one = to_message(_two_calls(), model="m", request_id="r", single_tool_call=True)
    both = to_message(_two_calls(), model="m", request_id="r")
    assert [b["id"] for b in one["content"] if b["type"] == "tool_use"] == ["t1"]
    assert [b["id"] for b in both["content"] if b["type"] == "tool_use"] == ["t1", "t2"]
    events: list[dict[str, Any]] = [{"messageStart": {"role": "assistant"}}]
    for i in (0, 1):
        events += [
            {"contentBlockStart": {"contentBlockIndex": i, "start": {
                "toolUse": {"toolUseId": f"t{i}", "name": "lookup"}}}},
            {"contentBlockDelta": {"contentBlockIndex": i, "delta": {
                "toolUse": {"input": '{"q": "x"}'}}}},
            {"contentBlockStop": {"contentBlockIndex": i}},
        ]  # fmt: skip
    events += [{"messageStop": {"stopReason": "tool_use"}},
               {"metadata": {"usage": {"inputTokens": 1, "outputTokens": 2}}}]  # fmt: skip
    for single, starts in ((True, ["t0"]), (False, ["t0", "t1"])):
        tr = AnthropicStreamTranslator(model="m", request_id="r", single_tool_call=single)
        out = [data for e in events for _, data in tr.feed(e)]
        assert [d["content_block"]["id"] for d in out if d["type"] == "content_block_start"] == (
            starts
        )
        stops = [d["index"] for d in out if d["type"] == "content_block_stop"]
        assert stops == list(range(len(starts)))


def test_tool_call_validator_checks_only_the_named_tools() -> None:
    request = {"toolConfig": {"tools": [
        {"toolSpec": {"name": n, "inputSchema": {"json": FN["parameters"]}}}
        for n in ("lookup", "loose")]}}  # fmt: skip
    bad = {"output": {"message": {"content": [
        {"toolUse": {"toolUseId": "1", "name": "loose", "input": {}}}]}}}  # fmt: skip
    assert ToolCallValidator()(request, bad).ok is False
    assert ToolCallValidator(only=frozenset({"lookup"}))(request, bad).ok is True
    (validator,) = validators_from_spec({"tool_calls": ["lookup"]})
    assert validator(request, bad).ok is True
    with pytest.raises(InvalidRequestError):
        validators_from_spec({"tool_calls": [1]})

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


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"tool_choice": "required"}, "tool_choice"),  # no tools to choose from
        ({"response_format": "json"}, "response_format"),
        ({"stream_options": {"include_usage": True}}, "stream_options"),  # without stream
        ({"n": 2}, "n"),
        ({"stop": ""}, "stop"),
        ({"stop": ["END", ""]}, "stop"),
    ],
)
def test_openai_refuses_what_openai_refuses(extra: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequestError, match=field):
        from_chat_completions({**OPENAI, **extra})


def test_openai_accepts_nulls_it_documents_as_defaults() -> None:
    converted = from_chat_completions({**OPENAI, "n": None, "tool_choice": "none"})
    assert "toolConfig" not in converted.request
    assert from_chat_completions(
        {**OPENAI, "stream": True, "stream_options": {"include_usage": True}}
    ).include_usage


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"tool_choice": "any"}, "tool_choice"),  # a string, not {"type": "any"}
        ({"tool_choice": {"type": "any"}}, "tool_choice"),  # no tools
        ({"thinking": "yes"}, "thinking"),
        ({"thinking": {"type": "sometimes"}}, "thinking"),
        # The field table says {"type": "integer", "minimum": 0}; these reached Bedrock.
        ({"top_k": -1}, "top_k"),
        ({"top_k": 1.5}, "top_k"),
        ({"top_k": True}, "top_k"),
        # Empty strings reached botocore, whose 400 named Converse's fields, not these.
        ({"stop_sequences": [""]}, "stop_sequences"),
        ({"system": [{"type": "text", "text": ""}]}, r"system\[0\]\.text"),
        ({"system": [{"type": "text"}]}, r"system\[0\]\.text"),
        (
            {"system": [{"type": "text", "text": "x", "cache_control": {"type": "persistent"}}]},
            "cache_control",
        ),
        ({"system": [{"type": "text", "text": "x", "cache_control": True}]}, "cache_control"),
    ],
)
def test_anthropic_refuses_what_anthropic_refuses(extra: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequestError, match=field):
        from_messages({**ANTHROPIC, **extra})


def _tool_turns(result_content: Any) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": "look it up"},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": result_content}]},
    ]  # fmt: skip


@pytest.mark.parametrize("content", [{"text": "x"}, 5])
def test_a_tool_result_content_of_the_wrong_type_is_refused_not_dropped(content: Any) -> None:
    with pytest.raises(InvalidRequestError, match="content must be a string or a list"):
        from_messages({**ANTHROPIC, "messages": _tool_turns(content)})


def test_documents_inside_tool_results_and_content_sources_are_accepted() -> None:
    doc = {"type": "document", "title": "Report",
           "source": {"type": "content", "content": [{"type": "text", "text": "a"},
                                                     {"type": "text", "text": "b"}]}}  # fmt: skip
    request = from_messages({**ANTHROPIC, "messages": _tool_turns([doc])}).request
    result = request["messages"][-1]["content"][0]["toolResult"]
    document = result["content"][0]["document"]
    assert document["format"] == "txt" and document["source"]["bytes"] == b"a\n\nb"


def test_null_means_the_default() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    converted = from_chat_completions({**OPENAI, "tools": tools, "tool_choice": None})
    assert converted.request["toolConfig"]["toolChoice"] == {"auto": {}}
    capped = from_chat_completions({**OPENAI, "max_completion_tokens": None, "max_tokens": 50})
    assert capped.request["inferenceConfig"]["maxTokens"] == 50


@pytest.mark.parametrize("model", ["", "   ", None])
def test_a_blank_model_is_refused(model: Any) -> None:
    with pytest.raises(InvalidRequestError, match="model is required"):
        from_chat_completions({**OPENAI, "model": model})
    with pytest.raises(InvalidRequestError, match="model is required"):
        from_messages({**ANTHROPIC, "model": model})


@pytest.mark.parametrize(
    ("model", "kind"), [(3, "a number"), (True, "a boolean"), ({}, "an object"), ([], "an array")]
)
def test_a_model_of_the_wrong_type_says_so(model: Any, kind: str) -> None:
    # It said "model is required" for a model that was there.
    from tierwise.core.convert.responses import from_responses

    message = f"model must be a string (auto, haiku, sonnet, opus or a model ID), not {kind}"
    for convert, body in (
        (from_chat_completions, OPENAI),
        (from_messages, ANTHROPIC),
        (from_responses, {"input": "hi"}),
    ):
        with pytest.raises(InvalidRequestError) as refused:
            convert({**body, "model": model})
        assert str(refused.value).startswith(message) and refused.value.param == "model"


def test_the_output_cap_error_names_the_field_that_was_sent() -> None:
    # max_completion_tokens: 0 was reported as "max_tokens must be a positive integer".
    for field in ("max_completion_tokens", "max_tokens"):
        with pytest.raises(InvalidRequestError) as refused:
            from_chat_completions({**OPENAI, field: 0})
        assert str(refused.value).startswith(f"{field} must be a positive integer")
        assert refused.value.param == field


def test_an_empty_system_message_is_left_out_not_sent_as_an_empty_text() -> None:
    # OpenAI takes {"role": "system", "content": ""} (templates send it); Converse refuses an
    # empty system text, which surfaced as a botocore error naming system[0].text.
    from tierwise.core.convert.responses import from_responses

    for role in ("system", "developer"):
        empty = {"role": role, "content": ""}
        chat = from_chat_completions({**OPENAI, "messages": [empty, *OPENAI["messages"]]})
        assert "system" not in chat.request
        responses = from_responses(
            {"model": "auto", "input": [empty, {"role": "user", "content": "hi"}]}
        )
        assert "system" not in responses.request
    kept = from_chat_completions(
        {**OPENAI, "messages": [{"role": "system", "content": "Be brief."}, *OPENAI["messages"]]}
    )
    assert kept.request["system"] == [{"text": "Be brief."}]


def test_an_image_in_a_responses_system_message_is_refused_naming_the_part() -> None:
    # Converse's system prompt takes text only: this was botocore's 'Unknown parameter in
    # system[0]: "image"' with no Responses field named.
    from tierwise.core.convert.responses import from_responses

    image = {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="}
    turns = [{"role": "system", "content": [image]}, {"role": "user", "content": "hi"}]
    body = {"model": "auto", "input": turns}
    with pytest.raises(InvalidRequestError) as info:
        from_responses(body)
    assert info.value.param == "input[0].content[0]"


@pytest.mark.parametrize(
    ("door", "field", "value", "kind"),
    [
        ("openai", "user", 5, "a string"),
        ("openai", "metadata", "x", "an object"),
        ("openai", "safety_identifier", ["a"], "a string"),
        ("openai", "prompt_cache_key", {}, "a string"),
        ("responses", "metadata", "x", "an object"),
        ("responses", "user", 5, "a string"),
        ("responses", "prompt_cache_retention", 24, "a string"),
        ("responses", "stream_options", "yes", "an object"),
        ("anthropic", "metadata", "x", "an object"),
        ("anthropic", "cache_control", "ephemeral", "an object"),
    ],
)
def test_a_field_accepted_without_effect_is_still_of_its_type(
    door: str, field: str, value: Any, kind: str
) -> None:
    # they passed whatever they held: OpenAI's and Anthropic's APIs answer a 400, and the
    # Responses door echoed `metadata: "x"` back in a body the SDK could not read
    from tierwise.core.convert.responses import from_responses

    convert, body = {
        "openai": (from_chat_completions, OPENAI),
        "responses": (from_responses, {"model": "auto", "input": "hi"}),
        "anthropic": (from_messages, ANTHROPIC),
    }[door]
    with pytest.raises(InvalidRequestError) as info:
        convert({**body, field: value})
    assert str(info.value).startswith(f"{field} must be {kind}")
    assert info.value.param == field
    convert({**body, field: None})  # null: the default, as for every field


def test_include_usage_must_be_a_boolean() -> None:
    body = {**OPENAI, "stream": True, "stream_options": {"include_usage": "yes"}}
    with pytest.raises(InvalidRequestError, match=r"stream_options.include_usage must be a bool"):
        from_chat_completions(body)


def test_anthropic_metadata_takes_a_user_id_string_only() -> None:
    # As Anthropic's API: `metadata.user_id: 5` and other keys passed, unread.
    with pytest.raises(InvalidRequestError, match=r"^metadata.user_id must be a string") as bad:
        from_messages({**ANTHROPIC, "metadata": {"user_id": 5}})
    assert bad.value.param == "metadata.user_id"
    with pytest.raises(InvalidRequestError, match=r"^metadata.tenant: unknown or unsupported"):
        from_messages({**ANTHROPIC, "metadata": {"tenant": "a"}})
    for fine in ({"user_id": "u-1"}, {"user_id": None}, {}):
        from_messages({**ANTHROPIC, "metadata": fine})

"""The Chat Completions request fields tierwise knows, and what it does with each."""

from __future__ import annotations

from typing import Any

from tierwise.core.convert.fields import Field, unset

__all__ = [
    "CHAT_FIELDS",
    "FILE_FIELDS",
    "FILE_PART_FIELDS",
    "FUNCTION_FIELDS",
    "IMAGE_PART_FIELDS",
    "IMAGE_URL_FIELDS",
    "MESSAGE_FIELDS",
    "TEXT_PART_FIELDS",
    "TOOL_CALL_FIELDS",
    "TOOL_CALL_FUNCTION_FIELDS",
    "TOOL_FIELDS",
]

_STR: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer", "minimum": 1}
_NUM: dict[str, Any] = {"type": "number"}
_BOOL: dict[str, Any] = {"type": "boolean"}
_OBJ: dict[str, Any] = {"type": "object"}
_ARR: dict[str, Any] = {"type": "array", "items": {"type": "object"}}
_ANY: dict[str, Any] = {}


def _fields(*fields: Field) -> dict[str, Field]:
    return {f.name: f for f in fields}


CHAT_FIELDS = _fields(
    Field("model", _STR, "auto, haiku, sonnet, opus, an alias (claude-sonnet-4-5, ...) or a "
          "Bedrock model ID.", required=True),
    Field("messages", _ARR, "system/developer, user (text and data: image parts), assistant "
          "(text, tool_calls) and tool messages.", required=True),
    Field("max_completion_tokens", _INT, "Cap on output tokens, thinking included."),
    Field("max_tokens", _INT, "Older name of max_completion_tokens."),
    Field("temperature", {"type": "number", "minimum": 0, "maximum": 1},
          "0-1 (Claude's range; above 1 is refused, not clamped)."),
    Field("top_p", {"type": "number", "minimum": 0, "maximum": 1}, "Nucleus sampling."),
    Field("stop", {"oneOf": [_STR, {"type": "array", "items": _STR}]}, "Stop sequences."),
    Field("stream", _BOOL, "Server-sent chat.completion.chunk events."),
    Field("stream_options", _OBJ, "include_usage: a last chunk with usage."),
    Field("tools", _ARR, "Function tools."),
    Field("tool_choice", {"oneOf": [_STR, _OBJ]}, "auto, none, required or a function."),
    Field("response_format", _OBJ, "text, json_object or json_schema: the schema reaches the "
          "model (see [structured_output]) and the answer is validated."),
    Field("reasoning_effort", _STR, "none, minimal, low, medium, high, xhigh or max: an "
          "extended-thinking budget (none and minimal: no thinking)."),
    Field("n", {"type": "integer", "enum": [1]}, "Number of choices.",
          honours=lambda v: v in (None, 1), refusal="only n = 1 is supported (Bedrock returns "
          "one answer per call); send separate requests"),
    Field("user", _STR, "Accepted; not forwarded (Bedrock has no end-user field).", typed=True),
    Field("metadata", _OBJ, "Accepted; not forwarded.", typed=True),
    Field("prompt_cache_key", _STR, "Accepted; tierwise places cache points itself "
          "([caching]).", typed=True),
    Field("safety_identifier", _STR, "Accepted; not forwarded.", typed=True),
    Field("store", _BOOL, "Only false: tierwise stores no completions.", honours=unset,
          refusal="tierwise does not store completions; send store: false or leave it out"),
    Field("parallel_tool_calls", _BOOL, "false: at most one tool call per turn (the model is "
          "asked for one; any further call is dropped from the answer)."),
    Field("service_tier", _STR, "Only auto or default.",
          honours=lambda v: v in (None, "auto", "default"),
          refusal="only auto or default are supported"),
    Field("modalities", {"type": "array", "items": _STR}, "Only [\"text\"].",
          honours=lambda v: v in (None, ["text"]), refusal="only text output is supported"),
    Field("logprobs", _BOOL, "Refused when true.", honours=unset,
          refusal="log probabilities are not available from Claude on Bedrock; leave it out"),
    Field("top_logprobs", {"type": "integer"}, "Refused when set.", honours=unset,
          refusal="log probabilities are not available from Claude on Bedrock; leave it out"),
    Field("logit_bias", _OBJ, "Refused when set.", honours=unset,
          refusal="Claude on Bedrock has no logit bias; leave it out"),
    Field("seed", {"type": "integer"}, "Refused when set.", honours=lambda v: v is None,
          refusal="Claude on Bedrock has no seeded sampling; leave it out"),
    Field("frequency_penalty", _NUM, "Refused unless 0.", honours=unset,
          refusal="Claude on Bedrock has no frequency penalty; leave it out"),
    Field("presence_penalty", _NUM, "Refused unless 0.", honours=unset,
          refusal="Claude on Bedrock has no presence penalty; leave it out"),
    Field("audio", _OBJ, "Refused.", honours=unset, refusal="audio output is not supported"),
    Field("prediction", _OBJ, "Refused.", honours=unset,
          refusal="predicted outputs are not supported"),
    Field("web_search_options", _OBJ, "Refused.", honours=unset,
          refusal="web search is not available through Bedrock; offer a function tool"),
    Field("functions", _ARR, "Refused: use tools.", honours=unset,
          refusal="the legacy functions field is not supported; use tools"),
    Field("function_call", _ANY, "Refused: use tool_choice.", honours=unset,
          refusal="the legacy function_call field is not supported; use tool_choice"),
    Field("verbosity", _STR, "Refused.", honours=unset,
          refusal="verbosity is not supported; say it in the prompt"),
)  # fmt: skip

# Fields inside the request: every message, content part and tool is checked as the top level
# is (tierwise.core.convert.fields.check_keys).
_ROLE = Field("role", _STR, "system, developer, user, assistant or tool.")
_CONTENT = Field("content", {}, "A string or a list of content parts.")
_NAME = Field(
    "name",
    _STR,
    "Accepted; not forwarded (Bedrock has no participant names: put "
    "who is speaking in the content if the model must know).",
)
MESSAGE_FIELDS: dict[str, dict[str, Field]] = {
    "system": _fields(_ROLE, _CONTENT, _NAME),
    "developer": _fields(_ROLE, _CONTENT, _NAME),
    "user": _fields(_ROLE, _CONTENT, _NAME),
    "assistant": _fields(
        _ROLE,
        _CONTENT,
        _NAME,
        Field("tool_calls", _ARR, "The function calls the assistant made."),
        Field(
            "reasoning_content",
            _STR,
            "Accepted (tierwise's answers carry it); not sent "
            "back: Claude takes earlier thinking only with its signature.",
        ),
        Field(
            "thinking_blocks",
            _ARR,
            "Earlier thinking with its signatures (tierwise's answers carry them): sent "
            "back to Claude, which requires it in a tool loop with thinking.",
        ),
        Field(
            "refusal",
            _STR,
            "Only null: an earlier refusal goes back as content.",
            honours=unset,
            refusal="send an earlier refusal's text as content",
        ),
        Field("audio", _OBJ, "Refused.", honours=unset, refusal="audio is not supported"),
        Field("annotations", _ARR, "Accepted (an echoed answer carries it); not forwarded."),
        Field(
            "function_call",
            _ANY,
            "Refused: use tool_calls.",
            honours=unset,
            refusal="the legacy function_call field is not supported; use tool_calls",
        ),
    ),
    "tool": _fields(_ROLE, _CONTENT, Field("tool_call_id", _STR, "The call answered.")),
}
TEXT_PART_FIELDS = _fields(Field("type", _STR, "text."), Field("text", _STR, "The text."))
IMAGE_PART_FIELDS = _fields(
    Field("type", _STR, "image_url."),
    Field("image_url", {"oneOf": [_STR, _OBJ]}, "A data: URL, or an object with url."),
)
FILE_PART_FIELDS = _fields(
    Field("type", _STR, "file."),
    Field("file", _OBJ, "file_data (a base64 data: URL) and filename."),
)
FILE_FIELDS = _fields(
    Field("file_data", _STR, "A data:<media type>;base64 URL: PDF, text, CSV, HTML, Markdown, "
          "Word or Excel; sent to Claude as a document."),
    Field("filename", _STR, "The document's name (made one Bedrock accepts)."),
    Field("file_id", _STR, "Refused.", honours=unset,
          refusal="uploaded files are not available through this gateway; send the file's "
          "bytes as file_data (a data:<media type>;base64 URL)"),
)  # fmt: skip
IMAGE_URL_FIELDS = _fields(
    Field("url", _STR, "A data:image/...;base64 URL."),
    Field("detail", _STR, "Accepted; not forwarded (Bedrock picks the resolution)."),
)
TOOL_CALL_FIELDS = _fields(
    Field("id", _STR, "The call's id."),
    Field(
        "type",
        _STR,
        "Only function.",
        honours=lambda v: v in (None, "function"),
        refusal="only function tool calls are supported",
    ),
    Field("function", _OBJ, "name and arguments (a string of JSON)."),
)
TOOL_CALL_FUNCTION_FIELDS = _fields(
    Field("name", _STR, "The function called."),
    Field("arguments", _STR, "Its arguments: a string holding a JSON object."),
)
TOOL_FIELDS = _fields(
    Field("type", _STR, "function."),
    Field("function", _OBJ, "name, description, parameters, strict."),
)
FUNCTION_FIELDS = _fields(
    Field("name", _STR, "The function's name."),
    Field("description", _STR, "What it does."),
    Field("parameters", _OBJ, "A JSON Schema of its arguments."),
    Field(
        "strict",
        _BOOL,
        "true: every call's arguments are validated against parameters "
        "and an answer whose call fails is rejected (retried a tier up when escalation is "
        "on), as the tool_calls validator does.",
    ),
)

"""The Messages request fields tierwise knows, and what it does with each."""

from __future__ import annotations

from typing import Any

from tierwise.core.convert.fields import Field, unset

__all__ = [
    "BLOCK_FIELDS",
    "COUNT_TOKENS_FIELDS",
    "MESSAGES_FIELDS",
    "MESSAGE_FIELDS",
    "METADATA_FIELDS",
    "SERVER_TOOL_PREFIXES",
    "TOOL_CHOICE_FIELDS",
    "TOOL_FIELDS",
]

_STR: dict[str, Any] = {"type": "string"}
_OBJ: dict[str, Any] = {"type": "object"}
_ARR: dict[str, Any] = {"type": "array", "items": {"type": "object"}}
_NUM01: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 1}
_ANY: dict[str, Any] = {}
# Tools that Anthropic's servers run, or that Anthropic defines for the client (typed, with no
# input_schema): Bedrock's Converse offers neither, so a request naming one is refused.
SERVER_TOOL_PREFIXES = ("web_search", "web_fetch", "code_execution", "bash", "text_editor",
                        "computer", "memory", "tool_search", "mcp")  # fmt: skip


def _fields(*fields: Field) -> dict[str, Field]:
    return {f.name: f for f in fields}


_COMMON = (
    Field(
        "model",
        _STR,
        "auto, haiku, sonnet, opus, an alias (claude-sonnet-4-5, ...) or a Bedrock model ID.",
        required=True,
    ),
    Field(
        "messages",
        _ARR,
        "user/assistant turns: text, image, document, tool_use, "
        "tool_result, thinking and redacted_thinking blocks.",
        required=True,
    ),
    Field(
        "system", {"oneOf": [_STR, _ARR]}, "System prompt (text blocks may carry cache_control)."
    ),
    Field("tools", _ARR, "Client tools with an input_schema (server tools are refused)."),
    Field("tool_choice", _OBJ, "auto, any, tool or none."),
    Field("thinking", _OBJ, "Extended thinking: enabled with budget_tokens, or disabled."),
    Field(
        "output_config",
        _OBJ,
        "format: a json_schema that reaches the model (see "
        "[structured_output]) and validates the answer; effort is refused.",
        honours=lambda v: not isinstance(v, dict) or unset(v.get("effort")),
        refusal="output_config.effort is not supported by this gateway; use thinking",
    ),
    Field("output_format", _OBJ, "The structured-outputs beta's name for output_config.format."),
)
MESSAGES_FIELDS = _fields(
    *_COMMON,
    Field("max_tokens", {"type": "integer", "minimum": 1}, "Cap on output tokens, thinking "
          "included.", required=True),
    Field("temperature", _NUM01, "0-1."),
    Field("top_p", _NUM01, "Nucleus sampling."),
    Field("top_k", {"type": "integer", "minimum": 0}, "Top-k sampling."),
    Field("stop_sequences", {"type": "array", "items": _STR}, "Custom stop sequences; the "
          "matched one is reported in stop_sequence."),
    Field("stream", {"type": "boolean"}, "Server-sent events in Anthropic's format."),
    Field("metadata", _OBJ, "Accepted (user_id); not forwarded.", typed=True),
    Field("service_tier", _STR, "Only auto or standard_only.",
          honours=lambda v: v in (None, "auto", "standard_only"),
          refusal="only auto or standard_only are supported"),
    Field("cache_control", _OBJ, "Accepted: tierwise places cache points itself "
          "([caching]).", typed=True),
    Field("container", _ANY, "Refused.", honours=unset,
          refusal="containers (code execution) are not available through Bedrock"),
    Field("mcp_servers", _ARR, "Refused.", honours=unset,
          refusal="the MCP connector is not available through Bedrock"),
    Field("context_management", _OBJ, "Refused.", honours=unset,
          refusal="context management is not available through Bedrock"),
    Field("inference_geo", _STR, "Refused: tierwise picks Bedrock inference profiles.",
          honours=unset, refusal="set the geography with the tiers' model IDs instead"),
    Field("speed", _STR, "Refused.", honours=unset, refusal="speed is not supported"),
    Field("diagnostics", _OBJ, "Refused.", honours=unset, refusal="diagnostics are not "
          "supported"),
    Field("user_profile_id", _STR, "Refused.", honours=unset,
          refusal="user profiles are not supported"),
    Field("workspace_id", _STR, "Refused.", honours=unset,
          refusal="workspaces are not supported; use tierwise API keys"),
)  # fmt: skip
COUNT_TOKENS_FIELDS = _fields(*_COMMON)

# Fields inside the request: every message, content block and tool is checked as the top
# level is (tierwise.core.convert.fields.check_keys).
# `metadata`'s keys (Anthropic's API takes user_id alone).
METADATA_FIELDS = _fields(
    Field("user_id", _STR, "Accepted; not forwarded (Bedrock has no end-user field).", typed=True),
)

_TYPE = Field("type", _STR, "The block's type.")
_CACHE = Field("cache_control", _OBJ, "A cache point after this block (ttl 5m or 1h).")
_CITATIONS_OUT = Field(
    "citations",
    {},
    "Accepted on text echoed from an earlier answer; not sent back (Converse "
    "takes no citations on input text).",
)
MESSAGE_FIELDS = _fields(
    Field("role", _STR, "user or assistant."),
    Field("content", {}, "A string or a list of content blocks."),
)
BLOCK_FIELDS: dict[str, dict[str, Field]] = {
    "text": _fields(_TYPE, _CACHE, Field("text", _STR, "The text."), _CITATIONS_OUT),
    "image": _fields(_TYPE, _CACHE, Field("source", _OBJ, "A base64 image source.")),
    "document": _fields(
        _TYPE,
        _CACHE,
        Field("source", _OBJ, "text, content, or base64 (pdf, csv, docx, ...)."),
        Field("title", _STR, "The document's name."),
        Field(
            "context",
            _STR,
            "Refused.",
            honours=unset,
            refusal="document context is not supported; put it in a text block",
        ),
        Field(
            "citations",
            _OBJ,
            "Refused when enabled.",
            honours=lambda v: not isinstance(v, dict) or not v.get("enabled"),
            refusal="citations are not supported by this gateway; leave them off",
        ),
    ),
    "tool_use": _fields(
        _TYPE,
        _CACHE,
        Field("id", _STR, "The call's id."),
        Field("name", _STR, "The tool called."),
        Field("input", _OBJ, "Its input."),
        # The SDK echoes a response's blocks back, caller included.
        Field(
            "caller",
            _OBJ,
            "Only a direct call (what a Claude answer carries).",
            honours=lambda v: v is None or (isinstance(v, dict) and v.get("type") == "direct"),
            refusal="only direct tool calls are supported (no programmatic tool calling)",
        ),
    ),
    "tool_result": _fields(
        _TYPE,
        _CACHE,
        Field("tool_use_id", _STR, "The call answered."),
        Field("content", {}, "A string or text, image and document blocks."),
        Field("is_error", {"type": "boolean"}, "The tool failed."),
    ),
    "thinking": _fields(
        _TYPE,
        Field("thinking", _STR, "Earlier thinking."),
        Field("signature", _STR, "Its signature."),
    ),
    "redacted_thinking": _fields(_TYPE, Field("data", _STR, "Earlier redacted thinking.")),
}
TOOL_FIELDS = _fields(
    Field("name", _STR, "The tool's name."),
    Field("description", _STR, "What it does."),
    Field("input_schema", _OBJ, "A JSON Schema of its input."),
    Field("type", _STR, "custom, or absent (server tools are refused)."),
    _CACHE,
    Field(
        "strict",
        {"type": "boolean"},
        "true: every call's input is validated against "
        "input_schema and an answer whose call fails is rejected (retried a tier up when "
        "escalation is on).",
    ),
)
TOOL_CHOICE_FIELDS = _fields(
    Field("type", _STR, "auto, any, tool or none."),
    Field("name", _STR, "The tool, for type tool."),
    Field(
        "disable_parallel_tool_use",
        {"type": "boolean"},
        "true: the model is asked for "
        "at most one tool call and any further call is dropped from the answer.",
    ),
)

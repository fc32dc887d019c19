"""The Responses API request fields tierwise knows, and what it does with each."""

from __future__ import annotations

from typing import Any

from tierwise.core.convert.fields import Field, unset

__all__ = ["RESPONSES_FIELDS"]

_STR: dict[str, Any] = {"type": "string"}
_OBJ: dict[str, Any] = {"type": "object"}
_ARR: dict[str, Any] = {"type": "array", "items": {"type": "object"}}
_NUM01: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 1}
_STATE = (
    "tierwise keeps no server-side conversation state; send the whole conversation in input "
    "(and store: false)"
)


def _fields(*fields: Field) -> dict[str, Field]:
    return {f.name: f for f in fields}


RESPONSES_FIELDS = _fields(
    Field("model", _STR, "auto, haiku, sonnet, opus, an alias or a Bedrock model ID.",
          required=True),
    Field("input", {"oneOf": [_STR, _ARR]}, "A string, or message items (input_text, "
          "input_image as a data: URL, output_text), function_call, function_call_output and "
          "reasoning items.", required=True),
    Field("instructions", _STR, "System prompt."),
    Field("max_output_tokens", {"type": "integer", "minimum": 1}, "Cap on output tokens, "
          "reasoning included."),
    Field("temperature", _NUM01, "0-1 (Claude's range)."),
    Field("top_p", _NUM01, "Nucleus sampling."),
    Field("stream", {"type": "boolean"}, "Server-sent response.* events."),
    Field("stream_options", _OBJ, "Accepted; not needed (usage is always in "
          "response.completed).", typed=True),
    Field("tools", _ARR, "Function tools; built-in tools (web search, file search, computer, "
          "code interpreter, MCP, ...) are refused."),
    Field("tool_choice", {"oneOf": [_STR, _OBJ]}, "auto, none, required or a function."),
    Field("text", _OBJ, "format: text, json_object or json_schema (the schema reaches the "
          "model and validates the answer).",
          honours=lambda v: not isinstance(v, dict) or unset(v.get("verbosity")),
          refusal="text.verbosity is not supported; say it in the instructions"),
    Field("reasoning", _OBJ, "effort (none, minimal, low, medium, high, xhigh, max): an "
          "extended-thinking budget; summary is accepted."),
    Field("parallel_tool_calls", {"type": "boolean"}, "false: at most one tool call per "
          "turn (the model is asked for one; any further call is dropped from the answer)."),
    Field("metadata", _OBJ, "Accepted; not forwarded.", typed=True),
    Field("user", _STR, "Accepted; not forwarded.", typed=True),
    Field("safety_identifier", _STR, "Accepted; not forwarded.", typed=True),
    Field("prompt_cache_key", _STR, "Accepted; tierwise places cache points itself.", typed=True),
    Field("prompt_cache_retention", _STR, "Accepted; tierwise places cache points itself.",
          typed=True),
    Field("include", {"type": "array", "items": _STR}, "Only reasoning.encrypted_content "
          "(thinking signatures always come with reasoning items).",
          honours=lambda v: v is None or (isinstance(v, list) and all(
              x == "reasoning.encrypted_content" for x in v)),
          refusal="only reasoning.encrypted_content can be included"),
    Field("truncation", _STR, "Only disabled.", honours=lambda v: v in (None, "disabled"),
          refusal="automatic truncation is not supported; trim the input"),
    Field("service_tier", _STR, "Only auto or default.",
          honours=lambda v: v in (None, "auto", "default"),
          refusal="only auto or default are supported"),
    Field("store", {"type": "boolean"}, "Only false: " + _STATE + ".", honours=unset,
          refusal=_STATE),
    Field("previous_response_id", _STR, "Refused: " + _STATE + ".", honours=unset,
          refusal=_STATE),
    Field("conversation", {"oneOf": [_STR, _OBJ]}, "Refused: " + _STATE + ".", honours=unset,
          refusal=_STATE),
    Field("background", {"type": "boolean"}, "Refused when true.", honours=unset,
          refusal="background responses are not supported; use stream or tierwise batch"),
    Field("prompt", _OBJ, "Refused.", honours=unset,
          refusal="stored prompts are not supported; send instructions and input"),
    Field("max_tool_calls", {"type": "integer"}, "Refused.", honours=unset,
          refusal="max_tool_calls applies to built-in tools, which are not supported"),
    Field("top_logprobs", {"type": "integer"}, "Refused.", honours=unset,
          refusal="log probabilities are not available from Claude on Bedrock"),
    Field("context_management", _ARR, "Refused.", honours=unset,
          refusal="context management is not supported"),
)  # fmt: skip

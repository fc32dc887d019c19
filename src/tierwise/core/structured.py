"""Structured output: show the caller's JSON schema to the model, and read the answer back.

A schema given to tierwise (``validate={"json_schema": ...}``, ``converse --schema``, OpenAI
``response_format``, the Responses API's ``text.format``, Anthropic ``output_format``) is sent
to Bedrock in one of two ways, chosen per attempt by :func:`with_schema`:

* ``tool``: a tool whose input schema is the caller's schema, forced with ``toolChoice``.
  Every Claude model on Bedrock supports it, any JSON Schema works, and there is no grammar
  to compile. A schema whose root is not an object is wrapped as ``{"value": ...}``, since a
  tool input is always an object. When the request cannot force a tool (extended thinking is
  on, which allows only ``auto``, or the caller offers tools of their own that the model may
  still need), the tool is offered beside theirs and the system prompt asks for it.
* ``native``: Bedrock's structured output, ``outputConfig.textFormat`` with a
  ``json_schema`` (constrained decoding; Claude Sonnet 4.5, Haiku 4.5, Opus 4.5 and later).
  Bedrock compiles a grammar the first time it sees a schema (which AWS says can take
  minutes) and accepts only a subset of JSON Schema, so tierwise uses it only when asked.

:func:`unwrap` turns the answer back into what the caller asked for, whichever way was used:
a text block holding the JSON, with the output tool's call (and any text the model wrote
around it) removed. The validators then judge that text like any other answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from tierwise.core.mappings import is_mapping

__all__ = [
    "OUTPUT_TOOL",
    "StructuredMode",
    "native_compatible",
    "schema_from_spec",
    "unwrap",
    "with_schema",
]

StructuredMode = Literal["tool", "native", "auto"]
OUTPUT_TOOL = "structured_output"
_WRAP_KEY = "value"
_TOOL_DESCRIPTION = (
    "Give your final answer by calling this tool. Its input is the answer, as JSON that "
    "validates against the input schema."
)
_ASK_FOR_TOOL = (
    "When you give your final answer, call the `{name}` tool with it instead of answering in "
    "text; its input schema is the required format."
)
# JSON Schema keywords Bedrock's structured output does not accept (its documented subset).
_NATIVE_UNSUPPORTED = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
     "maxLength", "pattern", "maxItems", "uniqueItems", "patternProperties", "minProperties",
     "maxProperties", "if", "then", "else", "not", "dependentSchemas", "dependentRequired"}
)  # fmt: skip


def schema_from_spec(spec: object) -> Mapping[str, Any] | None:
    """The ``json_schema`` of a ``validate`` spec mapping, if it has one."""
    if is_mapping(spec):
        schema = spec.get("json_schema")
        if is_mapping(schema):
            return schema
    return None


def _is_object_schema(schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "object" or (kind is None and "properties" in schema)


def _tool_name(request: Mapping[str, Any]) -> str:
    """``structured_output``, or a variant that no tool of the caller's already has."""
    taken = {
        t["toolSpec"].get("name")
        for t in (request.get("toolConfig") or {}).get("tools") or ()
        if is_mapping(t) and "toolSpec" in t
    }
    name, n = OUTPUT_TOOL, 1
    while name in taken:
        n += 1
        name = f"{OUTPUT_TOOL}_{n}"
    return name


def native_compatible(schema: Any) -> bool:
    """Whether Bedrock's structured output accepts ``schema``: every object closed with
    ``additionalProperties: false`` and no keyword outside its documented subset."""
    if isinstance(schema, list):
        return all(native_compatible(s) for s in schema)
    if not is_mapping(schema):
        return True
    if _NATIVE_UNSUPPORTED & set(schema):
        return False
    if _is_object_schema(schema) and schema.get("additionalProperties") is not False:
        return False
    if schema.get("minItems", 0) not in (0, 1):
        return False
    return all(
        native_compatible(v)
        for k, v in schema.items()
        if k not in ("enum", "const", "default", "examples", "description", "title")
    )


def with_schema(
    request: Mapping[str, Any], schema: Mapping[str, Any], *, native: bool
) -> tuple[dict[str, Any], str | None]:
    """``request`` asking the model for JSON valid against ``schema``; returns the request and
    the name of the output tool (None when ``native``: the answer is text already)."""
    out = dict(request)
    if native:
        out["outputConfig"] = {
            "textFormat": {
                "type": "json_schema",
                "structure": {"jsonSchema": {"schema": json.dumps(schema), "name": "answer"}},
            }
        }
        return out, None
    name = _tool_name(request)
    wrapped = _is_object_schema(schema)
    input_schema: Mapping[str, Any] = schema if wrapped else _wrapped(schema)
    description = _TOOL_DESCRIPTION + ("" if wrapped else f" Put the answer in `{_WRAP_KEY}`.")
    spec = {"toolSpec": {"name": name, "description": description,
                         "inputSchema": {"json": dict(input_schema)}}}  # fmt: skip
    config = dict(request.get("toolConfig") or {})
    theirs = list(config.get("tools") or ())
    thinking = "thinking" in (request.get("additionalModelRequestFields") or {})
    if theirs or thinking:
        # Claude refuses a forced tool with thinking on, and forcing ours would stop the
        # model from calling the caller's: offer it and ask for it instead.
        config["tools"] = [*theirs, spec]
        config.setdefault("toolChoice", {"auto": {}})
        system = list(request.get("system") or ())
        system.append({"text": _ASK_FOR_TOOL.format(name=name)})
        out["system"] = system
    else:
        config = {"tools": [spec], "toolChoice": {"tool": {"name": name}}}
    out["toolConfig"] = config
    return out, name


def _wrapped(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A non-object schema as the ``value`` of an object; its ``$defs`` move to the new root,
    where its ``#/$defs/...`` references now point."""
    defs = {k: schema[k] for k in ("$defs", "definitions") if k in schema}
    inner = {k: v for k, v in schema.items() if k not in defs}
    return {"type": "object", "properties": {_WRAP_KEY: inner}, "required": [_WRAP_KEY], **defs}


def unwrap(
    response: Mapping[str, Any], tool: str | None, schema: Mapping[str, Any]
) -> dict[str, Any]:
    """``response`` with the output tool's call turned into a text block holding its JSON.

    Text the model wrote around the call is dropped (the caller asked for JSON only);
    reasoning and calls of the caller's own tools are kept. Without a call of the output tool
    the response is returned as it is, for the validators to judge.
    """
    out = dict(response)
    if tool is None:
        return out
    message = dict((response.get("output") or {}).get("message") or {})
    blocks = list(message.get("content") or ())
    calls = [b for b in blocks if "toolUse" in b and b["toolUse"].get("name") == tool]
    if not calls:
        return out
    value = calls[0]["toolUse"].get("input")
    if not _is_object_schema(schema) and is_mapping(value) and _WRAP_KEY in value:
        value = value[_WRAP_KEY]
    others = [b for b in blocks if "toolUse" in b and b not in calls]
    kept = [b for b in blocks if "reasoningContent" in b]
    content = [*kept, {"text": json.dumps(value, ensure_ascii=False)}, *others]
    message["content"] = content
    out["output"] = {**(response.get("output") or {}), "message": message}
    if not others and out.get("stopReason") == "tool_use":
        out["stopReason"] = "end_turn"
    return out

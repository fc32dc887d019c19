"""InvokeModel's Anthropic Messages body <-> the emulator's internal Converse shape.

Invoke and Converse share one answer engine: the body is converted in, the answer converted
out (as a Messages response, or as the SSE events InvokeModelWithResponseStream carries in
``chunk`` frames). Bedrock validates the body against a JSON schema first; its messages read
"Malformed input request: ...".
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from tierwise.emulator.apierror import ApiError, validation
from tierwise.emulator.engine import Answer, request_digest
from tierwise.emulator.streaming import json_pieces, text_pieces

__all__ = [
    "ANTHROPIC_VERSION",
    "anthropic_events",
    "anthropic_model_name",
    "anthropic_response",
    "anthropic_usage",
    "to_converse",
]

ANTHROPIC_VERSION = "bedrock-2023-05-31"
_VERSION = re.compile(r"(bedrock-)?[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Messages API fields Bedrock's schema lets through; anything else is "extraneous".
_ALLOWED = frozenset(
    {
        "anthropic_version",
        "anthropic_beta",
        "max_tokens",
        "messages",
        "system",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "tools",
        "tool_choice",
        "thinking",
        "metadata",
        "output_config",
        "cache_control",
        "container",
        "diagnostics",
        "inference_geo",
        "service_tier",
        "speed",
        "user_profile_id",
        "workspace_id",
        "context_management",
    }
)


def _malformed(detail: str) -> ApiError:
    return validation(
        f"Malformed input request: {detail}, please reformat your input and try again."
    )


def _mistyped(value: Any, expected: str, where: str) -> ApiError:
    """The schema's refusal of a member of the wrong JSON type (an internal error before)."""
    return _malformed(f"#/{where}: expected type: {expected}, found: {_json_type(value)}")


def _json_type(value: Any) -> str:
    """A JSON value's type as Bedrock's schema messages name it."""
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int | float):
        return "Integer" if isinstance(value, int) else "BigDecimal"
    if isinstance(value, str):
        return "String"
    if value is None:
        return "Null"
    return "JSONObject" if isinstance(value, Mapping) else "JSONArray"


def _cache_point(block: Mapping[str, Any]) -> list[dict[str, Any]]:
    control = block.get("cache_control")
    if not isinstance(control, Mapping):
        return []
    point: dict[str, Any] = {"type": "default"}
    if "ttl" in control:
        point["ttl"] = control["ttl"]
    return [{"cachePoint": point}]


def _media_format(media_type: Any) -> str:
    sub = str(media_type or "").split("/")[-1]
    return {"plain": "txt", "markdown": "md", "jpg": "jpeg"}.get(sub, sub)


def _block(block: Any, where: str) -> list[dict[str, Any]]:
    if isinstance(block, str):
        return [{"text": block}]
    if not isinstance(block, Mapping) or "type" not in block:
        raise _malformed(f"#/{where}: required key [type] not found")
    kind = block["type"]
    out: dict[str, Any]
    if kind == "text":
        out = {"text": block.get("text", "")}
    elif kind in ("image", "document"):
        source = block.get("source") or {}
        fmt = _media_format(source.get("media_type"))
        if source.get("type") == "text":
            src: dict[str, Any] = {"text": source.get("data", "")}
        else:
            src = {"bytes": source.get("data", "")}
        out = {kind: {"format": fmt, "source": src}}
        if kind == "document":
            out[kind]["name"] = str(block.get("title") or "document")
    elif kind == "tool_use":
        out = {
            "toolUse": {
                "toolUseId": block.get("id"),
                "name": block.get("name"),
                "input": block.get("input", {}),
            }
        }
    elif kind == "tool_result":
        raw = block.get("content", [])
        parts = (
            [{"text": raw}]
            if isinstance(raw, str)
            else [
                p
                for i, c in enumerate(raw)
                for p in _block(c, f"{where}/content/{i}")
                if "cachePoint" not in p
            ]
        )
        result: dict[str, Any] = {"toolUseId": block.get("tool_use_id"), "content": parts}
        if block.get("is_error"):
            result["status"] = "error"
        out = {"toolResult": result}
    elif kind == "thinking":
        # A missing signature stays missing: Claude refuses it (check_thinking_signatures).
        thought = {"text": block.get("thinking", ""), "signature": block.get("signature")}
        kept = {k: v for k, v in thought.items() if v is not None}
        out = {"reasoningContent": {"reasoningText": kept}}
    elif kind == "redacted_thinking":
        out = {"reasoningContent": {"redactedContent": block.get("data", "")}}
    else:
        raise _malformed(f"#/{where}/type: {kind} is not a valid enum value")
    return [out, *_cache_point(block)]


def to_converse(body: Any) -> dict[str, Any]:
    """The Converse-shaped request equivalent to an Anthropic Messages ``body``."""
    if not isinstance(body, Mapping):
        raise _malformed("#: expected type: JSONObject")
    for key in ("anthropic_version", "max_tokens", "messages"):
        if key not in body:
            raise _malformed(f"#: required key [{key}] not found")
    extra = sorted(set(body) - _ALLOWED)
    if extra:
        raise _malformed(f"#: extraneous key [{extra[0]}] is not permitted")
    if not isinstance(body["anthropic_version"], str) or not body["anthropic_version"]:
        raise _malformed(f"#/anthropic_version: expected a version such as {ANTHROPIC_VERSION}")
    if not _VERSION.fullmatch(body["anthropic_version"]):
        # Bedrock's answer to a model ID in its place (boto/boto3#4218: "Invalid API
        # version: claude-3-sonnet-20240229-v1:0"). Dated versions pass: the anthropic SDK
        # (2.17) sends its own API version, 2026-10-21, in the body.
        raise validation(f"Invalid API version: {body['anthropic_version']}")
    if not isinstance(body["messages"], list):
        raise _malformed("#/messages: expected type: JSONArray")
    request: dict[str, Any] = {"messages": []}
    for i, message in enumerate(body["messages"]):
        if not isinstance(message, Mapping):
            raise _malformed(f"#/messages/{i}: expected type: JSONObject")
        content = message.get("content")
        if content is not None and not isinstance(content, str | list):
            raise _mistyped(content, "String or JSONArray", f"messages/{i}/content")
        if content is not None and not content:  # "" or []
            if i == len(body["messages"]) - 1 and message.get("role") == "assistant":
                continue  # an empty final assistant turn is no prefill: Claude takes it
            # Claude's check, passed on by InvokeModel (konveyor/kai#645).
            raise validation(
                f"messages.{i}: all messages must have non-empty content except for the "
                "optional final assistant message"
            )
        blocks = [content] if isinstance(content, str) else list(content or [])
        converted = [
            p for j, b in enumerate(blocks) for p in _block(b, f"messages/{i}/content/{j}")
        ]
        request["messages"].append({"role": message.get("role"), "content": converted})
    system = body.get("system")
    if system is not None and not isinstance(system, str | list):
        raise _mistyped(system, "String or JSONArray", "system")
    if system:
        blocks = [system] if isinstance(system, str) else list(system)
        request["system"] = [p for j, b in enumerate(blocks) for p in _block(b, f"system/{j}")]
    config: dict[str, Any] = {"maxTokens": body["max_tokens"]}
    for src, dst in (
        ("temperature", "temperature"),
        ("top_p", "topP"),
        ("stop_sequences", "stopSequences"),
    ):
        if src in body:
            config[dst] = body[src]
    request["inferenceConfig"] = config
    if body.get("tools") is not None and not isinstance(body["tools"], list):
        raise _mistyped(body["tools"], "JSONArray", "tools")
    if "tool_choice" in body and not isinstance(body["tool_choice"], Mapping):
        raise _mistyped(body["tool_choice"], "JSONObject", "tool_choice")
    if body.get("tools"):
        tools: list[dict[str, Any]] = []
        for i, tool in enumerate(body["tools"]):
            if not isinstance(tool, Mapping):
                raise _mistyped(tool, "JSONObject", f"tools/{i}")
            spec = {"name": tool.get("name"), "inputSchema": {"json": tool.get("input_schema")}}
            if tool.get("description"):
                spec["description"] = tool["description"]
            tools.append({"toolSpec": spec})
            tools.extend(_cache_point(tool))
        tool_config: dict[str, Any] = {"tools": tools}
        choice = body.get("tool_choice") or {}
        if choice.get("type") in ("any", "auto"):
            tool_config["toolChoice"] = {choice["type"]: {}}
        elif choice.get("type") == "tool":
            tool_config["toolChoice"] = {"tool": {"name": choice.get("name")}}
        request["toolConfig"] = tool_config
    # Claude-native fields Converse carries in additionalModelRequestFields, so both doors
    # meet the same rules (emulator.refusals).
    native = {k: body[k] for k in ("thinking", "top_k", "anthropic_beta") if k in body}
    if native:
        request["additionalModelRequestFields"] = native
    return request


def anthropic_model_name(model_id: str) -> str:
    """``anthropic.claude-sonnet-4-5-20250929-v1:0`` -> ``claude-sonnet-4-5-20250929``."""
    name = model_id.split("anthropic.", 1)[-1]
    return name.rsplit("-v", 1)[0] if "-v" in name else name


def anthropic_usage(usage: Mapping[str, Any], output_tokens: int) -> dict[str, Any]:
    details = {d["ttl"]: d["inputTokens"] for d in usage.get("cacheDetails", ())}
    return {
        "input_tokens": usage["inputTokens"],
        "cache_creation_input_tokens": usage.get("cacheWriteInputTokens", 0),
        "cache_read_input_tokens": usage.get("cacheReadInputTokens", 0),
        "cache_creation": {
            "ephemeral_5m_input_tokens": details.get("5m", 0),
            "ephemeral_1h_input_tokens": details.get("1h", 0),
        },
        "output_tokens": output_tokens,
    }


def _message_id(request: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(request_digest(request) + b"msg").digest()
    return "msg_bdrk_" + base64.b32encode(digest).decode().lower()[:24]


def _content(block: Mapping[str, Any]) -> dict[str, Any]:
    if "toolUse" in block:
        use = block["toolUse"]
        return {
            "type": "tool_use",
            "id": use["toolUseId"],
            "name": use["name"],
            "input": use["input"],
        }
    if "reasoningContent" in block:
        text = block["reasoningContent"]["reasoningText"]
        return {"type": "thinking", "thinking": text["text"], "signature": text["signature"]}
    return {"type": "text", "text": block.get("text", "")}


def anthropic_response(
    request: Mapping[str, Any], answer: Answer, usage: Mapping[str, Any], model_id: str
) -> dict[str, Any]:
    return {
        "id": _message_id(request),
        "type": "message",
        "role": "assistant",
        "model": anthropic_model_name(model_id),
        "content": [_content(b) for b in answer.content],
        "stop_reason": answer.stop_reason,
        "stop_sequence": answer.stop_sequence,
        "usage": anthropic_usage(usage, answer.output_tokens),
    }


def anthropic_events(
    request: Mapping[str, Any],
    answer: Answer,
    usage: Mapping[str, Any],
    model_id: str,
    latency_ms: int,
) -> Iterator[dict[str, Any]]:
    """The SSE events (as dicts) of a streamed Messages response."""
    start = anthropic_response(request, answer, usage, model_id)
    start.update(content=[], stop_reason=None, stop_sequence=None)
    start["usage"] = anthropic_usage(usage, 1)
    yield {"type": "message_start", "message": start}
    for index, block in enumerate(answer.content):
        full = _content(block)
        if full["type"] == "tool_use":
            yield {
                "type": "content_block_start",
                "index": index,
                "content_block": {**full, "input": {}},
            }
            for piece in json_pieces(full["input"]):
                yield {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": piece},
                }
        elif full["type"] == "thinking":
            yield {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""},
            }
            for piece in text_pieces(full["thinking"]):
                yield {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "thinking_delta", "thinking": piece},
                }
            yield {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "signature_delta", "signature": full["signature"]},
            }
        else:
            yield {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "text", "text": ""},
            }
            for piece in text_pieces(full["text"]):
                yield {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": piece},
                }
        yield {"type": "content_block_stop", "index": index}
    yield {
        "type": "message_delta",
        "delta": {"stop_reason": answer.stop_reason, "stop_sequence": answer.stop_sequence},
        "usage": {"output_tokens": answer.output_tokens},
    }
    yield {
        "type": "message_stop",
        "amazon-bedrock-invocationMetrics": {
            "inputTokenCount": usage["inputTokens"],
            "outputTokenCount": answer.output_tokens,
            "invocationLatency": latency_ms,
            "firstByteLatency": latency_ms,
        },
    }

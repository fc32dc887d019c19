"""A Converse request as an InvokeModel (Anthropic Messages) body: batch ``modelInput``.

Every Converse content type has its Anthropic form, so a record means on Bedrock batch what
the same request means on Converse:

* ``system`` blocks stay separate text blocks (never glued together);
* images and PDFs go as base64 sources with their media type; text documents (txt, md, csv,
  html) as text sources; a document's ``name`` becomes its ``title``;
* a ``cachePoint`` becomes ``cache_control`` on the block before it, ``ttl`` included, in
  system, messages and tools;
* ``reasoningContent`` becomes ``thinking`` (with its signature) or ``redacted_thinking``;
* tools, tool choice, tool calls and results (``status: error`` -> ``is_error``) carry over:
  Bedrock batch takes tool use in InvokeModel-type jobs (AWS refuses tools only for jobs of
  the Converse invocation type);
* ``top_k``, ``thinking``, ``anthropic_beta`` and ``output_config`` from
  ``additionalModelRequestFields`` become body fields.

Formats Claude cannot read as documents (doc, docx, xls, xlsx) are refused with a clear
error rather than sent as garbled text.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

from tierwise.core.convert.request import IMAGE_FORMATS
from tierwise.errors import InvalidRequestError

__all__ = ["ANTHROPIC_VERSION", "to_invoke_body"]

ANTHROPIC_VERSION = "bedrock-2023-05-31"
_IMAGE_MEDIA = {fmt: media for media, fmt in IMAGE_FORMATS.items()}
_TEXT_DOCS = {"txt": "text/plain", "md": "text/plain", "csv": "text/plain", "html": "text/plain"}
_BODY_FIELDS = ("thinking", "top_k", "anthropic_beta", "output_config")


def _raw(source: Mapping[str, Any]) -> bytes:
    """The bytes of a Converse source: raw ``bytes`` (boto3 style) or base64 text (JSON)."""
    value = source.get("bytes")
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        return base64.b64decode(value)
    raise InvalidRequestError("a batch record's image or document needs its bytes")


def _b64(source: Mapping[str, Any]) -> str:
    value = source.get("bytes")
    return value if isinstance(value, str) else base64.b64encode(_raw(source)).decode("ascii")


def _cache_control(point: Mapping[str, Any]) -> dict[str, Any]:
    control: dict[str, Any] = {"type": "ephemeral"}
    if point.get("ttl"):
        control["ttl"] = point["ttl"]
    return control


def _image(image: Mapping[str, Any]) -> dict[str, Any]:
    source = image.get("source") or {}
    if "s3Location" in source:
        raise InvalidRequestError(
            "a batch record cannot carry an S3 image source for Claude", hint="send the bytes"
        )
    media = _IMAGE_MEDIA.get(str(image.get("format")))
    if media is None:
        raise InvalidRequestError(f"image format {image.get('format')!r} is not png/jpeg/gif/webp")
    data = _b64(source)
    return {"type": "image", "source": {"type": "base64", "media_type": media, "data": data}}


def _document(document: Mapping[str, Any]) -> dict[str, Any]:
    fmt = str(document.get("format") or "txt")
    source = document.get("source") or {}
    out: dict[str, Any]
    if fmt == "pdf":
        data = _b64(source)
        out = {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": data},
        }
    elif fmt in _TEXT_DOCS:
        text = source["text"] if "text" in source else _raw(source).decode("utf-8")
        source_out = {"type": "text", "media_type": "text/plain", "data": text}
        out = {"type": "document", "source": source_out}
    else:
        raise InvalidRequestError(
            f"a {fmt} document cannot go into a batch record: Claude's Messages body takes PDF "
            "and plain-text documents",
            hint="convert it to PDF or text, or run the record on demand",
        )
    if document.get("name"):
        out["title"] = str(document["name"])
    return out


def _tool_result(result: Mapping[str, Any]) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    for part in result.get("content") or ():
        if "text" in part:
            parts.append({"type": "text", "text": part["text"]})
        elif "json" in part:
            parts.append({"type": "text", "text": json.dumps(part["json"])})
        elif "image" in part:
            parts.append(_image(part["image"]))
        elif "document" in part:
            parts.append(_document(part["document"]))
        else:
            raise InvalidRequestError(f"tool result part {sorted(part)} has no batch form")
    out: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": result.get("toolUseId"),
        "content": parts,
    }
    if result.get("status") == "error":
        out["is_error"] = True
    return out


def _reasoning(reasoning: Mapping[str, Any]) -> dict[str, Any]:
    if "redactedContent" in reasoning:
        data = reasoning["redactedContent"]
        text = data if isinstance(data, str) else base64.b64encode(bytes(data)).decode("ascii")
        return {"type": "redacted_thinking", "data": text}
    thought: Mapping[str, Any] = reasoning.get("reasoningText") or {}
    out = {"type": "thinking", "thinking": str(thought.get("text", ""))}
    if thought.get("signature"):
        out["signature"] = str(thought["signature"])
    return out


def _block(block: Mapping[str, Any]) -> dict[str, Any]:
    if "text" in block:
        return {"type": "text", "text": block["text"]}
    if "image" in block:
        return _image(block["image"])
    if "document" in block:
        return _document(block["document"])
    if "toolUse" in block:
        use = block["toolUse"]
        return {
            "type": "tool_use",
            "id": use["toolUseId"],
            "name": use["name"],
            "input": use["input"],
        }
    if "toolResult" in block:
        return _tool_result(block["toolResult"])
    if "reasoningContent" in block:
        return _reasoning(block["reasoningContent"])
    kind = next(iter(block), "?")
    raise InvalidRequestError(f"a {kind} block cannot go into a batch record for Claude")


def _blocks(content: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Converse blocks as Anthropic blocks, each cache point marking the block before it."""
    out: list[dict[str, Any]] = []
    for block in content:
        if "cachePoint" in block:
            if out:
                out[-1]["cache_control"] = _cache_control(block["cachePoint"])
            continue
        out.append(_block(block))
    return out


def _tools(config: Mapping[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    tools: list[dict[str, Any]] = []
    for tool in config.get("tools") or ():
        if "cachePoint" in tool:
            if tools:
                tools[-1]["cache_control"] = _cache_control(tool["cachePoint"])
            continue
        spec = tool["toolSpec"]
        entry: dict[str, Any] = {"name": spec["name"], "input_schema": spec["inputSchema"]["json"]}
        if spec.get("description"):
            entry["description"] = spec["description"]
        tools.append(entry)
    choice = config.get("toolChoice")
    if not choice:
        return tools, None
    kind = next(iter(choice))
    if kind == "tool":
        return tools, {"type": "tool", "name": choice["tool"]["name"]}
    return tools, {"type": kind}


def to_invoke_body(
    request: Mapping[str, Any], *, version: str = ANTHROPIC_VERSION
) -> dict[str, Any]:
    """The InvokeModel body equivalent to the Converse ``request``."""
    inference = request.get("inferenceConfig") or {}
    body: dict[str, Any] = {
        "anthropic_version": version,
        "max_tokens": int(inference.get("maxTokens") or 4096),
        "messages": [
            {"role": m["role"], "content": _blocks(m.get("content") or ())}
            for m in request.get("messages") or ()
        ],
    }
    system = _blocks(request.get("system") or ())
    if system:
        body["system"] = system
    for name, wire in (
        ("temperature", "temperature"),
        ("topP", "top_p"),
        ("stopSequences", "stop_sequences"),
    ):
        if inference.get(name) is not None:
            body[wire] = inference[name]
    if request.get("toolConfig"):
        tools, choice = _tools(request["toolConfig"])
        body["tools"] = tools
        if choice is not None:
            body["tool_choice"] = choice
    extra = request.get("additionalModelRequestFields") or {}
    for name in _BODY_FIELDS:
        if name in extra:
            body[name] = extra[name]
    return body

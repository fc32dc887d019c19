"""What a converted request carries besides the Converse fields, and shared helpers."""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from tierwise.errors import InvalidRequestError

__all__ = [
    "DOCUMENT_FORMATS",
    "DOCUMENT_PLACEHOLDER",
    "IMAGE_FORMATS",
    "NO_TOOL_CALLS",
    "ONE_TOOL_CALL",
    "Converted",
    "count_images",
    "decode_base64",
    "finish_turns",
    "flag",
    "has_tool_blocks",
    "history_tools",
    "invalid",
    "is_int",
    "is_number",
    "merge_turns",
    "model_of",
    "name_documents",
    "reasoning_block",
    "redacted_data",
    "require",
    "thinking_block",
]

IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif", "image/webp": "webp"}
# Document media types -> the formats Converse's document block takes.
DOCUMENT_FORMATS = {
    "application/pdf": "pdf",
    "text/plain": "txt",
    "text/csv": "csv",
    "text/html": "html",
    "text/markdown": "md",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
# Converse has no tool choice "none"; when the tools must stay, this asks the model instead.
NO_TOOL_CALLS = "Do not call any tools in this turn; answer in text only."
# Nor can Converse switch parallel tool use off: the model is asked, and the doors keep only
# the first call of an answer.
ONE_TOOL_CALL = "Call at most one tool in this turn."
DEFAULT_DOCUMENT_NAME = "document"
MAX_DOCUMENT_NAME = 200  # Bedrock's DocumentBlock name length limit
# Bedrock's documented DocumentBlock name characters; anything else becomes a space.
_NAME_DISALLOWED = re.compile(r"[^A-Za-z0-9()\[\]\- ]+")


@dataclass(frozen=True)
class Converted:
    """A request in Converse shape plus the door's own options."""

    model: str
    request: dict[str, Any]
    stream: bool = False
    include_usage: bool = False
    json_schema: Mapping[str, Any] | None = None
    # Tools whose calls must match their input schema (OpenAI's and Anthropic's ``strict``):
    # the tool_calls validator checks them.
    strict_tools: tuple[str, ...] = ()
    extras: Mapping[str, Any] = field(default_factory=dict)


def invalid(message: str, param: str | None = None) -> InvalidRequestError:
    """The error for a bad field (the gateway maps it to each API's 400 format)."""
    return InvalidRequestError(message, hint=f"check `{param}`" if param else None, param=param)


def require(condition: object, message: str, param: str | None = None) -> None:
    if not condition:
        raise invalid(message, param)


def model_of(body: Mapping[str, Any]) -> str:
    """The body's ``model``: a non-empty string, else a 400 saying which is wrong."""
    model = body.get("model")
    if model is None or (isinstance(model, str) and not model.strip()):
        raise invalid("model is required (auto, haiku, sonnet, opus or a model ID)", "model")
    if not isinstance(model, str):
        raise invalid(
            f"model must be a string (auto, haiku, sonnet, opus or a model ID), not "
            f"{_json_type(model)}",
            "model",
        )
    return model


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def is_int(value: object) -> TypeGuard[int]:
    """An integer, and not a JSON boolean (``True`` is an ``int`` to Python)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def flag(body: Mapping[str, Any], name: str) -> bool:
    """A boolean field; absent or null is false, and ``"false"`` is an error, not true."""
    value = body.get(name)
    if value is None:
        return False
    require(isinstance(value, bool), f"{name} must be a boolean", name)
    return bool(value)


def decode_base64(data: Any, param: str) -> bytes:
    require(isinstance(data, str), f"{param} must be a base64 string", param)
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequestError(f"{param} is not valid base64", hint=f"check `{param}`") from None


def merge_turns(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge consecutive same-role turns: Converse requires user/assistant alternation."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if out and out[-1]["role"] == message["role"]:
            out[-1]["content"].extend(message["content"])
        else:
            out.append({"role": message["role"], "content": list(message["content"])})
    return [m for m in out if m["content"]]


def finish_turns(
    turns: list[dict[str, Any]], *, first: str, field: str, max_images: int
) -> list[dict[str, Any]]:
    """The converted turns as Converse needs them, checked the same way for every door:
    same-role turns merged, a user turn first (``first`` names what must be from the user),
    and at most ``max_images`` images (tool results included)."""
    merged = merge_turns(turns)
    # Empty turns are dropped in merging; say so, or an empty user turn reads as a role error.
    require(
        bool(merged),
        f"every message in {field} is empty; send a user message with content",
        field,
    )
    skipped = " (an empty message is left out, so it does not count)"
    require(
        merged[0]["role"] == "user",
        f"{first} must be from the user" + (skipped if not turns[0]["content"] else ""),
        field,
    )
    images = count_images(merged)
    require(images <= max_images, f"too many images: {images} (at most {max_images})", field)
    for message in merged:
        _text_beside_documents(message)
    return merged


# Converse refuses a turn with a document and no text ("A text block must be included when
# using documents."), which the OpenAI and Anthropic APIs take (a PDF sent on its own, as
# Claude Code does); a minimal text block, as LiteLLM and others add, keeps the turn valid.
DOCUMENT_PLACEHOLDER = "."


def _text_beside_documents(message: dict[str, Any]) -> None:
    content = message["content"]
    if not any("document" in block for block in content) or any(
        isinstance(block.get("text"), str) and block["text"].strip() for block in content
    ):
        return
    at = len(content)
    while at and "cachePoint" in content[at - 1]:  # the turn's cache point stays last
        at -= 1
    message["content"] = [*content[:at], {"text": DOCUMENT_PLACEHOLDER}, *content[at:]]


def count_images(messages: list[dict[str, Any]]) -> int:
    """Every image the Converse turns carry, including those inside tool results.

    Bedrock's per-request image limit counts them all, so a limit that looked only at the
    top-level blocks let any number through in a tool result.
    """
    return sum(1 for block in _all_blocks(messages) if "image" in block)


def _all_blocks(messages: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every content block, turn by turn: a turn's own blocks, then its tool results'."""
    for message in messages:
        yield from message["content"]
        for block in message["content"]:
            if "toolResult" in block:
                yield from block["toolResult"].get("content") or ()


def _document_name(raw: str) -> str:
    # Accents are dropped rather than the whole letter ("résumé" -> "resume").
    ascii_name = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    name = " ".join(_NAME_DISALLOWED.sub(" ", ascii_name).split())
    return name[:MAX_DOCUMENT_NAME].strip() or DEFAULT_DOCUMENT_NAME


def name_documents(messages: list[dict[str, Any]]) -> None:
    """Give every document block a name Bedrock accepts, unique across the whole request.

    Bedrock refuses a request whose document names have other characters than letters,
    digits, single spaces, hyphens, parentheses and square brackets, or repeat anywhere in
    ``messages`` (a document sent in an earlier turn counts). Names are given in order, so an
    earlier document keeps its name as the conversation grows; a repeat gets " (2)", " (3)".
    """
    used: set[str] = set()
    for block in _all_blocks(messages):
        if "document" not in block:
            continue
        base = _document_name(str(block["document"].get("name") or ""))
        name, n = base, 1
        # Case-insensitively, in case Bedrock compares names that way.
        while name.lower() in used:
            n += 1
            suffix = f" ({n})"
            name = base[: MAX_DOCUMENT_NAME - len(suffix)].rstrip() + suffix
        used.add(name.lower())
        block["document"]["name"] = name


def has_tool_blocks(messages: list[dict[str, Any]]) -> bool:
    """Whether any Converse turn holds a toolUse or toolResult (Bedrock then needs toolConfig)."""
    return any("toolUse" in b or "toolResult" in b for m in messages for b in m["content"])


def history_tools(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A toolConfig for a request that offers no tools but carries tool calls in its history,
    or None when it carries none. Bedrock refuses toolUse/toolResult blocks without a
    toolConfig, where OpenAI takes such a history without ``tools`` (an agent's final turn,
    a summary of a finished tool loop); so the tools the history called are declared again,
    by name with any object as input, and the caller adds :data:`NO_TOOL_CALLS` to the
    system prompt, since none is offered this turn (best effort, as for tool choice "none").
    None too for results whose calls are not in the history: no name to declare, and
    Bedrock refuses such results whatever the toolConfig."""
    names = dict.fromkeys(
        b["toolUse"]["name"] for m in messages for b in m["content"] if "toolUse" in b
    )
    if not names:
        return None
    specs = [
        {
            "toolSpec": {
                "name": name,
                "description": "Called earlier in this conversation; not offered this turn.",
                "inputSchema": {"json": {"type": "object"}},
            }
        }
        for name in names
    ]
    return {"tools": specs, "toolChoice": {"auto": {}}}


def thinking_block(reasoning: Mapping[str, Any]) -> dict[str, Any]:
    """A Converse ``reasoningContent`` as Anthropic's ``thinking`` (with its signature) or
    ``redacted_thinking`` block: the Messages API's content, and the Chat Completions door's
    ``thinking_blocks``, so a client can send it back as Claude requires."""
    text = reasoning.get("reasoningText")
    if text is not None:
        return {
            "type": "thinking",
            "thinking": text.get("text", ""),
            "signature": text.get("signature", ""),
        }
    data = redacted_data(reasoning.get("redactedContent", b""))
    return {"type": "redacted_thinking", "data": data}


def reasoning_block(block: Mapping[str, Any]) -> dict[str, Any]:
    """An Anthropic ``thinking`` or ``redacted_thinking`` block (sent back in a conversation)
    as the Converse ``reasoningContent`` it came from (:func:`thinking_block` reversed)."""
    if block.get("type") == "redacted_thinking":
        data = str(block.get("data", "")).encode("utf-8")
        return {"reasoningContent": {"redactedContent": data}}
    text = {"text": str(block.get("thinking", "")), "signature": str(block.get("signature", ""))}
    return {"reasoningContent": {"reasoningText": text}}


def redacted_data(blob: bytes | str) -> str:
    """Bedrock's redactedContent blob as Anthropic's ``data`` string (what the request sent).

    boto3 hands blobs over as bytes; the data is Anthropic's opaque ASCII text, so decoding
    restores it exactly (``replace`` only guards against a malformed upstream blob).
    """
    return blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob

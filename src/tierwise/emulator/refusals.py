"""What Claude on Bedrock refuses beyond the request's shape, with Bedrock's messages.

Each rule is one function, named in ``docs/emulator-refusals.md`` with its source. They run
on the Converse shape (Invoke bodies and batch records are converted first), after the
shape checks in :mod:`tierwise.emulator.validation`, so every door refuses alike.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from typing import Any

from tierwise.core.preflight import (
    BEDROCK_BETAS,
    LONG_CONTEXT_BETA,
    MAX_IMAGE_BASE64,
    MAX_IMAGE_SIDE,
    MAX_IMAGES,
    base64_size,
    image_dimensions,
)
from tierwise.core.tokens import count_request
from tierwise.emulator.apierror import ApiError, ModelError, validation
from tierwise.emulator.catalog import ModelSpec

__all__ = [
    "BEDROCK_BETAS",
    "LONG_CONTEXT_BETA",
    "LONG_CONTEXT_WINDOW",
    "check_betas",
    "check_cache_ttl_order",
    "check_content",
    "check_context_window",
    "check_converse_media",
    "check_extra_fields",
    "check_thinking_signatures",
    "check_thinking_turns",
    "check_tool_ids",
    "check_tool_pairing",
]

LONG_CONTEXT_WINDOW = 1_000_000
# Keys Claude's native body takes through Converse's additionalModelRequestFields.
_EXTRA_FIELDS = frozenset(
    {"thinking", "top_k", "anthropic_beta", "output_config", "context_management"}
)
_THINKING_DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
_BLOCK_TYPES = {
    "text": "text",
    "toolUse": "tool_use",
    "toolResult": "tool_result",
    "image": "image",
    "document": "document",
    "reasoningContent": "thinking",
}
# Converse's limits on a message's content (botocore's service model, Message.content: "up
# to 20 images. Each image's size ... no more than 3.75 MB"; "up to five documents. Each
# document's size must be no more than 4.5 MB"). MB read as MiB, the larger reading, so the
# emulator never refuses what Bedrock might take.
MAX_DOCUMENTS = 5
MAX_DOCUMENT_BYTES = 4_718_592  # 4.5 MiB
# botocore's ToolUseId: 1 to 64 characters matching [a-zA-Z0-9_.:-]+.
_TOOL_USE_ID = re.compile(r"^[a-zA-Z0-9_.:-]{1,64}$")
# Magic numbers of the image formats Converse takes.
_IMAGE_MAGIC: dict[str, tuple[bytes, ...]] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),
}


def _model_error(detail: str) -> ModelError:
    return ModelError(detail)


def _extra(request: Mapping[str, Any]) -> Mapping[str, Any]:
    extra = request.get("additionalModelRequestFields") or {}
    return extra if isinstance(extra, Mapping) else {}


def check_extra_fields(request: Mapping[str, Any]) -> None:
    """Unknown ``additionalModelRequestFields`` keys are refused, as the Invoke body's are."""
    unknown = sorted(set(_extra(request)) - _EXTRA_FIELDS)
    if unknown:
        raise validation(
            f"Malformed input request: #: extraneous key [{unknown[0]}] is not permitted, "
            "please reformat your input and try again."
        )


def _betas(request: Mapping[str, Any]) -> list[str]:
    betas = _extra(request).get("anthropic_beta")
    if betas is None:
        return []
    if not isinstance(betas, list) or not all(isinstance(b, str) for b in betas):
        raise validation(
            "Malformed input request: #/anthropic_beta: expected type: JSONArray, please "
            "reformat your input and try again."
        )
    return list(betas)


def check_betas(request: Mapping[str, Any], spec: ModelSpec) -> None:
    """An unknown beta name, or the 1M-context beta on a model without 1M context."""
    for beta in _betas(request):
        if beta not in BEDROCK_BETAS or (beta == LONG_CONTEXT_BETA and not spec.long_context_beta):
            raise _model_error("invalid beta flag")


def check_context_window(request: Mapping[str, Any], spec: ModelSpec) -> None:
    """A prompt larger than the model's window (1M with the beta on a model that takes it)."""
    window = spec.context_window
    if spec.long_context_beta and LONG_CONTEXT_BETA in _betas(request):
        window = max(window, LONG_CONTEXT_WINDOW)
    if count_request(request) > window:
        raise validation("Input is too long for requested model.")


def _thinking_on(request: Mapping[str, Any]) -> bool:
    thinking = _extra(request).get("thinking")
    return isinstance(thinking, Mapping) and thinking.get("type") in ("enabled", "adaptive")


def _first_type(content: Sequence[Any]) -> str:
    for block in content:
        if isinstance(block, Mapping) and block and "cachePoint" not in block:
            key = str(next(iter(block)))
            return _BLOCK_TYPES.get(key, key)
    return "text"


def check_thinking_turns(request: Mapping[str, Any]) -> None:
    """With thinking on: no ``top_k``, ``topP`` of 0.95 or more, and the final assistant
    turn (a prefill, or the turn whose tool calls the last user turn answers) must start
    with its thinking block."""
    if not _thinking_on(request):
        return
    if "top_k" in _extra(request):
        raise _model_error(f"`top_k` must be unset when thinking is enabled. See {_THINKING_DOCS}")
    top_p = (request.get("inferenceConfig") or {}).get("topP")
    if top_p is not None and top_p < 0.95:
        raise _model_error(
            "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled. "
            f"Please consult our documentation at {_THINKING_DOCS}"
        )
    messages = request.get("messages") or []
    final: int | None = None
    if messages and messages[-1].get("role") == "assistant":
        final = len(messages) - 1
    else:
        for i in range(len(messages) - 1, -1, -1):
            if messages[i].get("role") == "assistant":
                content = messages[i].get("content") or []
                if any(isinstance(b, Mapping) and "toolUse" in b for b in content):
                    final = i
                break
    if final is None:
        return
    found = _first_type(messages[final].get("content") or [])
    if found not in ("thinking", "redacted_thinking"):
        raise _model_error(
            f"messages.{final}.content.0.type: Expected `thinking` or `redacted_thinking`, "
            f"but found `{found}`. When `thinking` is enabled, a final `assistant` message "
            "must start with a thinking block (preceeding the lastmost set of `tool_use` and "
            "`tool_result` blocks). We recommend you include thinking blocks from previous "
            "turns. To avoid this requirement, disable `thinking`. Please consult our "
            f"documentation at {_THINKING_DOCS}"
        )


def check_thinking_signatures(request: Mapping[str, Any]) -> None:
    """An assistant's thinking block sent back without its signature. The service model
    leaves ``signature`` optional, so botocore and Bedrock's shape check let it through;
    Claude refuses it, thinking on or off (messages.N.content.M are Claude's, from 0)."""
    for i, message in enumerate(request.get("messages") or ()):
        if not isinstance(message, Mapping) or message.get("role") != "assistant":
            continue
        for j, block in enumerate(message.get("content") or ()):
            reasoning = block.get("reasoningContent") if isinstance(block, Mapping) else None
            text = reasoning.get("reasoningText") if isinstance(reasoning, Mapping) else None
            if isinstance(text, Mapping) and not text.get("signature"):
                raise _model_error(f"messages.{i}.content.{j}.thinking.signature: Field required")


def check_tool_pairing(request: Mapping[str, Any]) -> None:
    """Every tool call is answered in the next user turn; a result's status is an enum."""
    messages = request.get("messages") or []
    for i, message in enumerate(messages):
        content = message.get("content") or []
        for j, block in enumerate(content):
            result = block.get("toolResult") if isinstance(block, Mapping) else None
            if isinstance(result, Mapping) and result.get("status", "success") not in (
                "success",
                "error",
            ):
                raise validation(
                    f"1 validation error detected: Value '{result['status']}' at "
                    f"'messages.{i + 1}.member.content.{j + 1}.member.toolResult.status' "
                    "failed to satisfy constraint: Member must satisfy enum value set: "
                    "[success, error]"
                )
        if message.get("role") != "assistant" or i + 1 >= len(messages):
            continue
        calls = [
            b["toolUse"].get("toolUseId")
            for b in content
            if isinstance(b, Mapping) and isinstance(b.get("toolUse"), Mapping)
        ]
        answered = {
            b["toolResult"].get("toolUseId")
            for b in messages[i + 1].get("content") or ()
            if isinstance(b, Mapping) and isinstance(b.get("toolResult"), Mapping)
        }
        missing = [c for c in calls if c not in answered]
        if missing:
            raise _model_error(
                f"messages.{i + 1}: `tool_use` ids were found without `tool_result` blocks "
                f"immediately after: {', '.join(str(m) for m in missing)}. Each `tool_use` "
                "block must have a corresponding `tool_result` block in the next message."
            )


def _image_bytes(source: Mapping[str, Any]) -> bytes | None:
    raw = source.get("bytes")
    if not isinstance(raw, str):
        return None
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None


def _check_image(image: Mapping[str, Any]) -> None:
    source = image.get("source") or {}
    if isinstance(source, Mapping) and "s3Location" in source:
        raise validation(
            "This model doesn't support the S3 location image source that you provided. Try "
            "again with the image bytes."
        )
    data = _image_bytes(source) if isinstance(source, Mapping) else None
    if data is None:
        return  # the shape checks have already refused missing or non-base64 bytes
    magics = _IMAGE_MAGIC.get(str(image.get("format")), ())
    if not any(data.startswith(m) for m in magics) or (
        image.get("format") == "webp" and data[8:12] != b"WEBP"
    ):
        raise _model_error("Could not process image")


def check_content(request: Mapping[str, Any]) -> None:
    """Claude takes no video or audio, no S3 images, only real images, and a final
    assistant prefill that does not end in whitespace."""
    messages = request.get("messages") or []
    for message in messages:
        for block in message.get("content") or ():
            if not isinstance(block, Mapping):
                continue
            parts = [block]
            result = block.get("toolResult")
            if isinstance(result, Mapping):
                parts += [p for p in result.get("content") or () if isinstance(p, Mapping)]
            for part in parts:
                for kind in ("video", "audio"):
                    if kind in part:
                        raise validation(
                            f"This model doesn't support the {kind} content block that you "
                            "provided. Try again with a supported content block."
                        )
                if isinstance(part.get("image"), Mapping):
                    _check_image(part["image"])
    if messages and messages[-1].get("role") == "assistant":
        texts = [
            b["text"]
            for b in messages[-1].get("content") or ()
            if isinstance(b, Mapping) and isinstance(b.get("text"), str)
        ]
        if texts and texts[-1] != texts[-1].rstrip():
            raise _model_error("final assistant content cannot end with trailing whitespace")


def _constraint(value: Any, where: str, rule: str) -> ApiError:
    return validation(
        f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy "
        f"constraint: {rule}"
    )


def check_tool_ids(request: Mapping[str, Any]) -> None:
    """A toolUse or toolResult id outside botocore's ToolUseId (1-64 of [a-zA-Z0-9_.:-]);
    botocore checks neither the pattern nor the maximum on the client side."""
    for i, message in enumerate(request.get("messages") or ()):
        for j, block in enumerate(message.get("content") or ()):
            if not isinstance(block, Mapping):
                continue
            for kind in ("toolUse", "toolResult"):
                part = block.get(kind)
                if not isinstance(part, Mapping):
                    continue
                value = part.get("toolUseId")
                if isinstance(value, str) and _TOOL_USE_ID.match(value):
                    continue
                where = f"messages.{i + 1}.member.content.{j + 1}.member.{kind}.toolUseId"
                if isinstance(value, str) and len(value) > 64:
                    raise _constraint(
                        value, where, "Member must have length less than or equal to 64"
                    )
                raise _constraint(
                    value, where, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.:-]+"
                )


def _images(content: Sequence[Any], where: str) -> list[tuple[str, Mapping[str, Any]]]:
    """Each image block in a message's content, tool results' included, with its path as
    Claude's errors name it (``messages.0.content.1`` or ``...content.1.content.0``)."""
    found: list[tuple[str, Mapping[str, Any]]] = []
    for j, block in enumerate(content):
        if not isinstance(block, Mapping):
            continue
        if isinstance(block.get("image"), Mapping):
            found.append((f"{where}.{j}", block["image"]))
        result = block.get("toolResult")
        parts = result.get("content") if isinstance(result, Mapping) else None
        for k, part in enumerate(parts if isinstance(parts, list) else ()):
            if isinstance(part, Mapping) and isinstance(part.get("image"), Mapping):
                found.append((f"{where}.{j}.content.{k}", part["image"]))
    return found


def check_converse_media(request: Mapping[str, Any]) -> None:
    """Converse's rules for images and documents (botocore's Message.content): only in user
    messages; at most 20 images in the request, each within 5 MB of base64 and 8000 px a
    side; 5 documents of 4.5 MB each in a message; and a message with a document also has
    a text block. See docs/emulator-refusals.md for the sources of each message."""
    images: list[tuple[str, Mapping[str, Any]]] = []
    for i, message in enumerate(request.get("messages") or ()):
        content = [b for b in message.get("content") or () if isinstance(b, Mapping)]
        own = [b["image"] for b in content if isinstance(b.get("image"), Mapping)]
        documents = [b["document"] for b in content if isinstance(b.get("document"), Mapping)]
        if (own or documents) and message.get("role") != "user":
            kind = "image" if own else "document"
            raise validation(
                f"The {kind} content block at messages.{i} is in a message whose role is "
                f"{message.get('role')}. You can only include images and documents if the "
                "role is user. Move the block to a user message and try again."
            )
        images += _images(message.get("content") or (), f"messages.{i}.content")
        if len(documents) > MAX_DOCUMENTS:
            raise validation(
                f"Too many documents in messages.{i}: {len(documents)}. You can include up "
                f"to {MAX_DOCUMENTS} documents. Remove some documents and try again."
            )
        for block in documents:
            data = _image_bytes(block.get("source") or {})
            if data is not None and len(data) > MAX_DOCUMENT_BYTES:
                raise validation(
                    f"A document in messages.{i} is {len(data)} bytes. Each document's size "
                    "must be no more than 4.5 MB. Send a smaller document and try again."
                )
        if documents and not any(isinstance(b.get("text"), str) for b in content):
            raise validation(
                "A text block must be included when using documents. Add a text block and "
                "retry your request."
            )
    if len(images) > MAX_IMAGES:
        raise _model_error(f"messages: too many images: image_count > {MAX_IMAGES}")
    for where, image in images:
        data = _image_bytes(image.get("source") or {})
        if data is None:
            continue
        encoded = base64_size(len(data))
        if encoded > MAX_IMAGE_BASE64:
            raise validation(
                f"{where}.image.source.bytes: image exceeds 5 MB maximum: {encoded} bytes > "
                f"{MAX_IMAGE_BASE64} bytes"
            )
        size = image_dimensions(data)
        if size is not None and max(size) > MAX_IMAGE_SIDE:
            raise validation(
                f"{where}.image.source.bytes: At least one of the image dimensions exceed max "
                f"allowed size: {MAX_IMAGE_SIDE} pixels"
            )


def _cache_points(request: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every cache point in Claude's processing order (tools, system, messages): where
    Claude's body has it (the block it marks) and its TTL."""
    sections: list[tuple[str, Sequence[Any]]] = [
        ("tools", (request.get("toolConfig") or {}).get("tools") or ()),
        ("system", request.get("system") or ()),
    ]
    for i, message in enumerate(request.get("messages") or ()):
        sections.append((f"messages.{i}.content", message.get("content") or ()))
    found: list[tuple[str, str]] = []
    for where, blocks in sections:
        marked = -1
        for block in blocks:
            if not isinstance(block, Mapping):
                continue
            point = block.get("cachePoint")
            if isinstance(point, Mapping):
                found.append((f"{where}.{max(marked, 0)}", str(point.get("ttl") or "5m")))
            else:
                marked += 1
    return found


def check_cache_ttl_order(request: Mapping[str, Any]) -> None:
    """A 1-hour cache point after a 5-minute one (Anthropic's prompt-caching docs: "Cache
    entries with longer TTL must appear before shorter TTLs")."""
    five_minutes = False
    for where, ttl in _cache_points(request):
        if ttl == "1h" and five_minutes:
            raise _model_error(
                f"{where}.cache_control.ttl: a ttl='1h' cache_control block must not come "
                "after a ttl='5m' cache_control block. Note that blocks are processed in the "
                "following order: `tools`, `system`, `messages`."
            )
        five_minutes = five_minutes or ttl == "5m"

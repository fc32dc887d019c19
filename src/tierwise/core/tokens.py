"""A deterministic token estimator for Converse requests.

Bedrock's real tokenizer is not public; tierwise needs an estimate that is cheap, stable and
the same everywhere it is used (the emulator's ``usage`` and ``count-tokens``, automatic cache
placement, routing's size signal). The rule:

* text: one token per 4 UTF-8 characters, rounded up (``ceil(len(text) / 4)``);
* JSON payloads (tool specs, tool inputs, ``json`` tool results): the text rule applied to
  their canonical serialization (sorted keys, no spaces);
* images: one token per 750 bytes of encoded image, at least 85 and at most 1,600;
* documents: the text rule applied to the byte length;
* each message adds 3 tokens of framing, each tool 8.

:func:`segments` walks a request in the order Bedrock builds the prompt (tools, then
system, then messages) and yields the token count of every block together with the cache
points, so callers can compute the size of the prefix in front of each cache point.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import math
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "Segment",
    "binary_document_tokens",
    "canonical_json",
    "count_request",
    "count_text",
    "input_upper_bound",
    "prefix_tokens_at_cache_points",
    "segments",
]

MESSAGE_OVERHEAD = 3
TOOL_OVERHEAD = 8
IMAGE_MIN, IMAGE_MAX, IMAGE_BYTES_PER_TOKEN = 85, 1600, 750

Section = Literal["tools", "system", "messages"]


@dataclass(frozen=True, slots=True)
class Segment:
    """One block of a request: its tokens, or a cache point (tokens 0, ``ttl`` set)."""

    section: Section
    tokens: int
    cache_point: bool = False
    ttl: str = "5m"
    message_index: int = -1
    block_index: int = -1


def _bytes_digest(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "sha256:" + hashlib.sha256(value).hexdigest()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def canonical_json(value: Any) -> str:
    """A stable text of ``value`` for hashing; raw bytes (an image's or a document's, as
    boto3 takes them) stand in as their digest."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_bytes_digest
    )


def count_text(text: str) -> int:
    return math.ceil(len(text) / 4)


def _byte_len(source: Mapping[str, Any] | None) -> int:
    if not source:
        return 0
    raw = source.get("bytes")
    if isinstance(raw, bytes | bytearray):
        return len(raw)
    if isinstance(raw, str):  # base64 on the wire
        try:
            return len(base64.b64decode(raw, validate=False))
        except ValueError:
            return len(raw) * 3 // 4
    return 0


def _image_tokens(image: Mapping[str, Any]) -> int:
    n = _byte_len(image.get("source"))
    return max(IMAGE_MIN, min(IMAGE_MAX, math.ceil(n / IMAGE_BYTES_PER_TOKEN)))


def _document_tokens(document: Mapping[str, Any]) -> int:
    source = document.get("source") or {}
    if "text" in source:
        return count_text(str(source["text"]))
    return math.ceil(_byte_len(source) / 4) + count_text(str(document.get("name", "")))


def count_block(block: Mapping[str, Any]) -> int:
    """Tokens of one content block (message, system or tool-result content)."""
    if "text" in block:
        return count_text(str(block["text"]))
    if "image" in block:
        return _image_tokens(block["image"])
    if "document" in block:
        return _document_tokens(block["document"])
    if "json" in block:
        return count_text(canonical_json(block["json"]))
    if "toolUse" in block:
        use = block["toolUse"]
        return count_text(str(use.get("name", ""))) + count_text(canonical_json(use.get("input")))
    if "toolResult" in block:
        return sum(count_block(c) for c in block["toolResult"].get("content") or ())
    if "reasoningContent" in block:
        reasoning = block["reasoningContent"].get("reasoningText") or {}
        return count_text(str(reasoning.get("text", "")))
    if "guardContent" in block:
        return count_text(canonical_json(block["guardContent"]))
    return 0


def _tool_tokens(tool: Mapping[str, Any]) -> int:
    spec = tool.get("toolSpec")
    if spec is None:
        return 0
    return TOOL_OVERHEAD + count_text(canonical_json(spec))


def segments(request: Mapping[str, Any]) -> Iterator[Segment]:
    """Every block of ``request`` in prompt order: tools, system, messages."""
    tools: Sequence[Mapping[str, Any]] = (request.get("toolConfig") or {}).get("tools") or ()
    for i, tool in enumerate(tools):
        if "cachePoint" in tool:
            yield Segment("tools", 0, True, tool["cachePoint"].get("ttl", "5m"), -1, i)
        else:
            yield Segment("tools", _tool_tokens(tool), block_index=i)
    for i, block in enumerate(request.get("system") or ()):
        if "cachePoint" in block:
            yield Segment("system", 0, True, block["cachePoint"].get("ttl", "5m"), -1, i)
        else:
            yield Segment("system", count_block(block), block_index=i)
    for m, message in enumerate(request.get("messages") or ()):
        yield Segment("messages", MESSAGE_OVERHEAD, message_index=m, block_index=-1)
        for i, block in enumerate(message.get("content") or ()):
            if "cachePoint" in block:
                ttl = block["cachePoint"].get("ttl", "5m")
                yield Segment("messages", 0, True, ttl, m, i)
            else:
                yield Segment("messages", count_block(block), message_index=m, block_index=i)


def count_request(request: Mapping[str, Any]) -> int:
    """Estimated input tokens of a Converse request (cache points cost nothing)."""
    return sum(s.tokens for s in segments(request))


def binary_document_tokens(request: Mapping[str, Any]) -> int:
    """The part of :func:`count_request` that is documents given as bytes (PDF, docx, ...),
    counted at their byte length. Bedrock counts such a document by the text it extracts
    (and a PDF's pages as images), which is unknown before the call and often far below
    its compressed bytes: a check that refuses a request must not rest on this part."""
    total = 0
    for message in request.get("messages") or ():
        for block in message.get("content") or ():
            total += _binary_document_tokens(block)
    return total


def _binary_document_tokens(block: Mapping[str, Any]) -> int:
    if "document" in block:
        document = block["document"]
        return 0 if "text" in (document.get("source") or {}) else count_block(block)
    if "toolResult" in block:
        return sum(_binary_document_tokens(c) for c in block["toolResult"].get("content") or ())
    return 0


def prefix_tokens_at_cache_points(request: Mapping[str, Any]) -> list[tuple[int, Segment]]:
    """For each cache point, the cumulative tokens of everything before it."""
    out: list[tuple[int, Segment]] = []
    total = 0
    for seg in segments(request):
        if seg.cache_point:
            out.append((total, seg))
        total += seg.tokens
    return out


# Claude's tool-use system prompt, added to a request with tools (a few hundred tokens per
# Anthropic's docs), bounded from above.
TOOL_SYSTEM_PROMPT_BOUND = 1000


def _bytes(value: Any) -> int:
    text = value if isinstance(value, str) else canonical_json(value)
    return len(text.encode("utf-8", "surrogatepass"))


# A PDF's pages ("/Type /Page", not "/Pages") and its compressed content streams.
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_PDF_STREAM = re.compile(rb"stream\r?\n")
_INFLATE_CHUNK = 1 << 20


def _raw_bytes(source: Mapping[str, Any]) -> bytes | None:
    raw = source.get("bytes")
    if isinstance(raw, bytes | bytearray):
        return bytes(raw)
    if isinstance(raw, str):
        try:
            return base64.b64decode(raw, validate=False)
        except (binascii.Error, ValueError):
            return None
    return None


def _inflated_size(data: bytes) -> int:
    """Bytes a zlib stream at the start of ``data`` inflates to (0 when it is not one),
    counted in chunks so a stream that inflates hugely is never held whole."""
    inflater = zlib.decompressobj()
    total = 0
    try:
        chunk = inflater.decompress(data, _INFLATE_CHUNK)
        while chunk:
            total += len(chunk)
            chunk = inflater.decompress(inflater.unconsumed_tail, _INFLATE_CHUNK)
    except zlib.error:
        pass
    return total


def _document_bound(fmt: Any, data: bytes) -> int:
    """Input tokens a document's bytes cannot exceed. Bedrock bills the text it extracts,
    which for compressed formats is larger than the file: a docx/xlsx (a zip) is bounded by
    its members' uncompressed sizes, a PDF by its bytes, its content streams inflated and a
    page image (at most IMAGE_MAX) per page."""
    import zipfile  # only for a document; `import tierwise` stays light

    if fmt in ("docx", "xlsx") and zipfile.is_zipfile(io.BytesIO(data)):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return len(data) + sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, ValueError):
            return len(data)
    if fmt == "pdf":
        inflated = sum(_inflated_size(data[m.end() :]) for m in _PDF_STREAM.finditer(data))
        return len(data) + inflated + IMAGE_MAX * len(_PDF_PAGE.findall(data))
    return len(data)


def _block_bound(block: Mapping[str, Any]) -> int:
    if "image" in block:
        return IMAGE_MAX
    if "document" in block:
        document = block["document"]
        source = document.get("source") or {}
        if "text" in source:
            size = _bytes(source["text"])
        else:
            data = _raw_bytes(source)
            size = 0 if data is None else _document_bound(document.get("format"), data)
        return size + _bytes(str(document.get("name", "")))
    if "toolResult" in block:
        result = block["toolResult"]
        return sum(_block_bound(c) for c in result.get("content") or ()) + _bytes(
            str(result.get("toolUseId", ""))
        )
    if "cachePoint" in block:
        return 0
    return _bytes(block)


def input_upper_bound(request: Mapping[str, Any]) -> int:
    """Input tokens ``request`` cannot exceed, for reserving a budget before a call.

    A byte-level BPE token is at least one byte, so the UTF-8 bytes of every block's JSON
    (its text plus keys and quotes, which also cover the per-message framing) bound its
    tokens; an image is at most :data:`IMAGE_MAX` tokens (Claude resizes larger ones); a
    compressed document (PDF, docx, xlsx) by what it holds uncompressed, and a PDF's pages
    as images; and a request with tools carries Claude's tool-use system prompt.
    """
    total = 0
    tools: Sequence[Mapping[str, Any]] = (request.get("toolConfig") or {}).get("tools") or ()
    if tools:
        total += TOOL_SYSTEM_PROMPT_BOUND + _bytes(request.get("toolConfig"))
    for block in request.get("system") or ():
        total += _block_bound(block)
    for message in request.get("messages") or ():
        total += MESSAGE_OVERHEAD + 16
        total += sum(_block_bound(b) for b in message.get("content") or ())
    return total

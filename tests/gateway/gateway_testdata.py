"""Shared test data for the gateway tests."""

import struct
import zlib
from collections.abc import Callable
from typing import Any

#: Text deltas that the doors' text-delta templates must escape as json.dumps would (each
#: door's writer test adds the text that looks like its own template).
TEXTS = [
    "Hello",
    "",
    " two words",
    'quotes " and \\ backslash / slash',
    "line\nbreak\ttab\r\x00\x1f\x7f control",
    "é ü ß ✓ 中文 日本語 한국어",
    "emoji 🚀👍🏽 and \u2028\u2029 separators",
    "</script><b>html</b> & ampersand",
    '{"json": [1, 2]}',
]


def tiny_png() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def written_in_batches(
    writer: Callable[[list[dict[str, Any]]], bytes],
    before: Callable[[dict[str, Any]], bytes],
    events: list[dict[str, Any]],
    batch: int,
) -> bytes:
    """The body ``writer`` writes for ``events`` fed ``batch`` at a time, each batch's
    bytes checked against ``before`` (the door's encoding of one event before its writer)."""
    written = []
    for start in range(0, len(events), batch):
        chunk = events[start : start + batch]
        expected = b"".join(before(e) for e in chunk)
        assert writer(chunk) == expected
        written.append(expected)
    return b"".join(written)

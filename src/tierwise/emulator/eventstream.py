"""An ``application/vnd.amazon.eventstream`` frame encoder (botocore ships only a decoder).

Frame layout: a 12-byte prelude (total length, headers length, CRC32 of those 8 bytes), the
headers, the payload, then a CRC32 of everything before it. Only string headers (type 7) are
needed to speak Bedrock's streams.
"""

from __future__ import annotations

import binascii
import json
import struct
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CONTENT_TYPE",
    "encode_frame",
    "event_frame",
    "exception_frame",
]

CONTENT_TYPE = "application/vnd.amazon.eventstream"
_STRING = 7
_MAX_HEADERS = 128 * 1024
_MAX_PAYLOAD = 24 * 1024 * 1024


def _crc(data: bytes, start: int = 0) -> int:
    return binascii.crc32(data, start) & 0xFFFFFFFF


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode("utf-8"), value.encode("utf-8")
    return (
        struct.pack("!B", len(raw_name))
        + raw_name
        + struct.pack("!BH", _STRING, len(raw_value))
        + raw_value
    )


def encode_frame(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One eventstream message with string ``headers`` and ``payload``."""
    head = b"".join(_header(k, v) for k, v in headers.items())
    if len(head) > _MAX_HEADERS or len(payload) > _MAX_PAYLOAD:
        raise ValueError("eventstream frame exceeds the protocol's header or payload limit")
    prelude = struct.pack("!II", len(head) + len(payload) + 16, len(head))
    prelude_crc = struct.pack("!I", _crc(prelude))
    body = prelude + prelude_crc + head + payload
    return body + struct.pack("!I", _crc(body))


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def event_frame(event_type: str, payload: Mapping[str, Any]) -> bytes:
    """A modelled event (``:message-type: event``) carrying ``payload`` as JSON."""
    headers = {
        ":event-type": event_type,
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return encode_frame(headers, _json(payload))


def exception_frame(exception_type: str, payload: Mapping[str, Any]) -> bytes:
    """A modelled error in a stream; boto3 raises ``EventStreamError`` with this code."""
    headers = {
        ":exception-type": exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_frame(headers, _json(payload))

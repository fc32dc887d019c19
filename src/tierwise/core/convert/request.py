"""What a converted request carries besides the Converse fields, and shared helpers."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tierwise.errors import InvalidRequestError

__all__ = [
    "IMAGE_FORMATS",
    "NO_TOOL_CALLS",
    "Converted",
    "decode_base64",
    "has_tool_blocks",
    "invalid",
    "merge_turns",
    "require",
]

IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif", "image/webp": "webp"}
# Converse has no tool choice "none"; when the tools must stay, this asks the model instead.
NO_TOOL_CALLS = "Do not call any tools in this turn; answer in text only."


@dataclass(frozen=True)
class Converted:
    """A request in Converse shape plus the door's own options."""

    model: str
    request: dict[str, Any]
    stream: bool = False
    include_usage: bool = False
    json_schema: Mapping[str, Any] | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)


def invalid(message: str, param: str | None = None) -> InvalidRequestError:
    """The error for a bad field (the gateway maps it to each API's 400 format)."""
    return InvalidRequestError(message, hint=f"check `{param}`" if param else None)


def require(condition: object, message: str, param: str | None = None) -> None:
    if not condition:
        raise invalid(message, param)


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


def has_tool_blocks(messages: list[dict[str, Any]]) -> bool:
    """Whether any Converse turn holds a toolUse or toolResult (Bedrock then needs toolConfig)."""
    return any("toolUse" in b or "toolResult" in b for m in messages for b in m["content"])

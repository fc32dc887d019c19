"""Helpers shared by the emulator tests."""

from __future__ import annotations

from typing import Any

SONNET = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
OPUS = "global.anthropic.claude-opus-4-5-20251101-v1:0"
SONNET_BASE = "anthropic.claude-sonnet-4-5-20250929-v1:0"  # CountTokens takes base model IDs


class ManualClock:
    """A monotonic clock tests move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}

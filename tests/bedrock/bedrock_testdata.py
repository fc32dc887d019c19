"""Constants and fakes shared by the Bedrock adapter tests (imported by name, not fixtures)."""

from __future__ import annotations

from typing import Any

HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
HAIKU_US = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
HAIKU_EU = "eu.anthropic.claude-haiku-4-5-20251001-v1:0"

MESSAGES = [{"role": "user", "content": [{"text": "hello"}]}]
ANSWER: dict[str, Any] = {
    "output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 3, "outputTokens": 1, "totalTokens": 4},
    "metrics": {"latencyMs": 12},
}


class FakeTime:
    """A monotonic clock that only moves when the code under test sleeps (or a test ticks)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

"""What a stream has cost, whether or not Bedrock's usage event arrived.

A ConverseStream reports its usage only in its last event (``metadata``). A stream that
ends before it (the client hung up and the grace period passed, or the stream broke) was
still billed by Bedrock for what it generated, so its cost is estimated: the output from the
text, tool input and reasoning that arrived, the input from the request, with the estimator
the rest of tierwise uses (:mod:`tierwise.core.tokens`). Such a row is marked ``estimated``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tierwise.core.budgets import worst_case_usage
from tierwise.core.output_learning import split_output
from tierwise.core.pricing import Usage
from tierwise.core.tokens import count_request, count_text

__all__ = ["StreamMeter"]

ESTIMATE_NOTE = (
    "the stream ended before Bedrock's usage event: output counted from the text that "
    "arrived, input from the request"
)


@dataclass
class StreamMeter:
    """Notes a stream's events: Bedrock's usage when it comes, else what was generated."""

    usage: Usage | None = None
    served: Any = None
    stop_reason: str | None = None
    generated: list[str] = field(default_factory=list)
    # The reasoning part of ``generated`` (positions), and whether redacted reasoning came:
    # how much of the output was thinking (cache-aware routing learns it).
    reasoning: list[int] = field(default_factory=list)
    redacted: bool = False

    def note(self, event: Mapping[str, Any]) -> None:
        if "contentBlockDelta" in event:
            delta = event["contentBlockDelta"].get("delta") or {}
            if isinstance(delta.get("text"), str):
                self.generated.append(delta["text"])
            elif isinstance((delta.get("toolUse") or {}).get("input"), str):
                self.generated.append(delta["toolUse"]["input"])
            elif isinstance((delta.get("reasoningContent") or {}).get("text"), str):
                self.reasoning.append(len(self.generated))
                self.generated.append(delta["reasoningContent"]["text"])
            elif "redactedContent" in (delta.get("reasoningContent") or {}):
                self.redacted = True
        elif "contentBlockStart" in event:
            tool = (event["contentBlockStart"].get("start") or {}).get("toolUse") or {}
            if isinstance(tool.get("name"), str):
                self.generated.append(tool["name"])
        elif "messageStop" in event:
            self.stop_reason = event["messageStop"].get("stopReason")
        elif "metadata" in event:
            self.usage = Usage.from_converse(event["metadata"].get("usage") or {})
            self.served = event["metadata"].get("serviceTier")

    def thinking_tokens(self, output: int) -> int | None:
        """How many of ``output`` billed tokens were thinking: split in proportion to the
        estimated tokens of the reasoning that streamed and the rest (None: redacted)."""
        if self.redacted:
            return None
        if not self.reasoning:
            return 0
        positions = set(self.reasoning)
        thought = count_text("".join(self.generated[i] for i in self.reasoning))
        other = count_text("".join(t for i, t in enumerate(self.generated) if i not in positions))
        return split_output(output, thought, other)

    def billed(
        self, request: Mapping[str, Any], output_limit: int | None = None
    ) -> tuple[Usage, str | None]:
        """The usage to bill, and why it is an estimate (None: Bedrock reported it).
        ``output_limit`` is the most output the model serving it can produce, when known."""
        if self.usage is not None:
            return self.usage, None
        # The prompt was sent and read once the stream opened: it is billed in full.
        output = count_text("".join(self.generated))
        prompt = count_request(request)
        # The estimate (~4 characters a token) can read more than Bedrock could bill:
        # indentation or a rule of "=" is a few tokens to Claude's tokenizer and many to
        # it. Bedrock bills at most maxTokens of output and the prompt's upper bound of
        # input, the bounds a key's hold reserved, so a row never passes its hold.
        # Without maxTokens, Bedrock's default cap applies, which is not tierwise's to
        # guess but never passes the model's own limit: the most it could bill. (A keyed
        # request is sent with maxTokens, its hold's bound, and a hold never counts more
        # output than the model's limit.)
        worst = worst_case_usage(request)
        caps = [cap for cap in (worst.output, output_limit) if cap]
        if caps:
            output = min(output, *caps)
        prompt = min(prompt, worst.input + worst.cache_write_5m + worst.cache_write_1h)
        return Usage(input=prompt, output=output), ESTIMATE_NOTE

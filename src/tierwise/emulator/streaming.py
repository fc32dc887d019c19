"""ConverseStream events for an answer, in the order Bedrock sends them.

``messageStart``; per content block: ``contentBlockStart`` (tool use only; text blocks begin
with their first delta), deltas, ``contentBlockStop``; then ``messageStop`` (with any
additional model response fields) and ``metadata`` with usage and metrics.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from tierwise.emulator.engine import Answer

__all__ = ["converse_events", "json_pieces", "text_pieces"]

_WORDS = re.compile(r"\S+\s*|\s+")
_WORDS_PER_PIECE = 4
_JSON_PIECE = 24


def text_pieces(text: str) -> list[str]:
    """``text`` split into small word groups whose concatenation is exactly ``text``."""
    words = _WORDS.findall(text)
    pieces = [
        "".join(words[i : i + _WORDS_PER_PIECE]) for i in range(0, len(words), _WORDS_PER_PIECE)
    ]
    return pieces or [""]


def json_pieces(value: Any) -> list[str]:
    """The JSON text of ``value`` in fragments, as tool inputs stream."""
    text = json.dumps(value, separators=(",", ":"))
    return [text[i : i + _JSON_PIECE] for i in range(0, len(text), _JSON_PIECE)] or [""]


def converse_events(
    answer: Answer,
    usage: Mapping[str, Any],
    latency_ms: int,
    response_fields: Mapping[str, Any] | None = None,
    service_tier: Mapping[str, Any] | None = None,
    *,
    trace: Mapping[str, Any] | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event type, payload) pairs of a ConverseStream response.

    ``response_fields`` (what additionalModelResponseFieldPaths selected) ride on
    ``messageStop``, as Bedrock sends them.
    """
    yield "messageStart", {"role": "assistant"}
    for index, block in enumerate(answer.content):
        if "toolUse" in block:
            use = block["toolUse"]
            yield (
                "contentBlockStart",
                {
                    "contentBlockIndex": index,
                    "start": {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}},
                },
            )
            for piece in json_pieces(use["input"]):
                yield (
                    "contentBlockDelta",
                    {
                        "contentBlockIndex": index,
                        "delta": {"toolUse": {"input": piece}},
                    },
                )
        elif "reasoningContent" in block:
            reasoning = block["reasoningContent"]["reasoningText"]
            for piece in text_pieces(reasoning["text"]):
                yield (
                    "contentBlockDelta",
                    {
                        "contentBlockIndex": index,
                        "delta": {"reasoningContent": {"text": piece}},
                    },
                )
            yield (
                "contentBlockDelta",
                {
                    "contentBlockIndex": index,
                    "delta": {"reasoningContent": {"signature": reasoning["signature"]}},
                },
            )
        else:
            for piece in text_pieces(block.get("text", "")):
                yield (
                    "contentBlockDelta",
                    {
                        "contentBlockIndex": index,
                        "delta": {"text": piece},
                    },
                )
        yield "contentBlockStop", {"contentBlockIndex": index}
    stop: dict[str, Any] = {"stopReason": answer.stop_reason}
    if response_fields:
        stop["additionalModelResponseFields"] = dict(response_fields)
    yield "messageStop", stop
    metadata: dict[str, Any] = {"usage": dict(usage), "metrics": {"latencyMs": latency_ms}}
    if service_tier is not None:
        metadata["serviceTier"] = dict(service_tier)
    if trace is not None:
        metadata["trace"] = dict(trace)
    yield "metadata", metadata

"""Turning a finished Converse response into the ConverseStream events it would have made.

When an answer must be validated before the caller sees it (a cascade with validators), the
accepted attempt is buffered and then replayed to a streaming caller in Bedrock's own event
shapes, so stream consumers need no special case.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["MessageCollector", "replay_events"]

# Replayed text is cut into pieces of this many characters, like a real stream's deltas.
CHUNK_CHARS = 64


def _chunks(text: str) -> Iterator[str]:
    for start in range(0, len(text), CHUNK_CHARS):
        yield text[start : start + CHUNK_CHARS]


def replay_events(response: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The ConverseStream events equivalent to ``response`` (a Converse response)."""
    message = response.get("output", {}).get("message", {})
    yield {"messageStart": {"role": message.get("role", "assistant")}}
    for index, block in enumerate(message.get("content") or ()):
        if "text" in block:
            for piece in list(_chunks(block["text"])) or [""]:
                yield {"contentBlockDelta": {"contentBlockIndex": index, "delta": {"text": piece}}}
        elif "toolUse" in block:
            use = block["toolUse"]
            start = {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}
            yield {"contentBlockStart": {"contentBlockIndex": index, "start": start}}
            arguments = json.dumps(use.get("input", {}), separators=(",", ":"))
            for piece in _chunks(arguments):
                delta = {"toolUse": {"input": piece}}
                yield {"contentBlockDelta": {"contentBlockIndex": index, "delta": delta}}
        elif "redactedContent" in block.get("reasoningContent", {}):
            # A redacted block has no text to cut up: a real stream sends its blob whole.
            blob = block["reasoningContent"]["redactedContent"]
            delta = {"reasoningContent": {"redactedContent": blob}}
            yield {"contentBlockDelta": {"contentBlockIndex": index, "delta": delta}}
        elif "reasoningContent" in block:
            reasoning = block["reasoningContent"].get("reasoningText", {})
            for piece in _chunks(reasoning.get("text", "")):
                delta = {"reasoningContent": {"text": piece}}
                yield {"contentBlockDelta": {"contentBlockIndex": index, "delta": delta}}
            if reasoning.get("signature"):
                delta = {"reasoningContent": {"signature": reasoning["signature"]}}
                yield {"contentBlockDelta": {"contentBlockIndex": index, "delta": delta}}
        else:
            continue
        yield {"contentBlockStop": {"contentBlockIndex": index}}
    stop: dict[str, Any] = {"stopReason": response.get("stopReason", "end_turn")}
    if response.get("additionalModelResponseFields"):
        # A real stream carries them (e.g. the matched stop_sequence) on messageStop.
        stop["additionalModelResponseFields"] = response["additionalModelResponseFields"]
    yield {"messageStop": stop}
    metadata: dict[str, Any] = {"usage": dict(response.get("usage") or {})}
    metadata["metrics"] = dict(response.get("metrics") or {"latencyMs": 0})
    yield {"metadata": metadata}


class MessageCollector:
    """The inverse of :func:`replay_events`: folds ConverseStream events back into the
    assistant message's text and tool-use blocks (reasoning is left out), for callers that
    keep what a stream said (capture)."""

    def __init__(self) -> None:
        self._blocks: dict[int, dict[str, Any]] = {}
        self.stop_reason: str | None = None

    def add(self, event: Mapping[str, Any]) -> None:
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            use = (start.get("start") or {}).get("toolUse")
            if use is not None:
                self._blocks[int(start.get("contentBlockIndex", 0))] = {
                    "toolUse": {"toolUseId": use.get("toolUseId"), "name": use.get("name")},
                    "_input": "",
                }
        elif "contentBlockDelta" in event:
            body = event["contentBlockDelta"]
            index = int(body.get("contentBlockIndex", 0))
            delta = body.get("delta") or {}
            if "text" in delta:
                block = self._blocks.setdefault(index, {"text": ""})
                block["text"] = block.get("text", "") + str(delta["text"])
            elif "toolUse" in delta and index in self._blocks:
                self._blocks[index]["_input"] += str(delta["toolUse"].get("input", ""))
        elif "messageStop" in event:
            self.stop_reason = event["messageStop"].get("stopReason")

    def content(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for _, block in sorted(self._blocks.items()):
            if "toolUse" in block:
                raw = block["_input"]
                try:
                    parsed = json.loads(raw) if raw else {}
                except json.JSONDecodeError:
                    parsed = {"_unparsed": raw}
                out.append({"toolUse": {**block["toolUse"], "input": parsed}})
            else:
                out.append({"text": block["text"]})
        return out

"""Answer-quality test controls: make a model give bad answers on purpose.

Escalation is about weak answers, so tests and benchmarks need a cheap tier that sometimes
answers badly. A quirk applies to one model ID (as invoked) for a deterministic ``share`` of
requests: whether a request is hit depends only on the request's digest, so the same request
always gets the same treatment. Kinds:

* ``invalid_json``: the text answer is cut into JSON that does not parse;
* ``refusal``: the answer is a refusal;
* ``empty``: the answer has no text;
* ``truncate``: the answer stops with ``max_tokens``;
* ``low_confidence``: self-check prompts (asking for a ``"confidence"``) get 0.2 instead of 0.9;
* ``invalid_tool_input``: tool calls come with an empty input, which fails a schema with
  required properties (what ``strict`` tools and the ``tool_calls`` validator catch).

Requests asking for a self-check get ``{"confidence": 0.9, "issues": ""}`` when no quirk hits.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from tierwise.core.tokens import count_block
from tierwise.emulator.engine import Answer

__all__ = ["KINDS", "Quirks"]

KINDS = frozenset(
    {"invalid_json", "refusal", "empty", "truncate", "low_confidence", "invalid_tool_input"}
)
_SELF_CHECK_CUE = '"confidence"'
REFUSAL_TEXT = "I'm sorry, but I can't help with that request."


def _texts(request: Mapping[str, Any]) -> str:
    messages = request.get("messages") or ()
    if not messages:
        return ""
    return "".join(str(b.get("text", "")) for b in messages[-1].get("content") or ())


class Quirks:
    """Per-model quirks; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_model: dict[str, tuple[str, float]] = {}

    def set(self, kind: str, model_id: str, share: float = 1.0) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown quirk {kind!r}; known: {', '.join(sorted(KINDS))}")
        if not 0.0 <= share <= 1.0:
            raise ValueError("share must be between 0 and 1")
        with self._lock:
            self._by_model[model_id] = (kind, share)

    def clear(self) -> None:
        with self._lock:
            self._by_model.clear()

    def apply(
        self, model_id: str, request: Mapping[str, Any], digest: bytes, result: Answer
    ) -> Answer:
        with self._lock:
            quirk = self._by_model.get(model_id)
        hit = quirk is not None and int.from_bytes(digest[:4], "big") / 2**32 < quirk[1]
        kind = quirk[0] if quirk is not None and hit else None
        if _SELF_CHECK_CUE in _texts(request):
            confidence = 0.2 if kind == "low_confidence" else 0.9
            return _text_answer(json.dumps({"confidence": confidence, "issues": ""}), "end_turn")
        if kind == "invalid_json":
            return _text_answer('{"answer": "synthetic", "items": [1, 2', "end_turn")
        if kind == "refusal":
            return _text_answer(REFUSAL_TEXT, "end_turn")
        if kind == "empty":
            return _text_answer("", "end_turn")
        if kind == "truncate":
            return replace(result, stop_reason="max_tokens")
        if kind == "invalid_tool_input":
            content = tuple(
                {"toolUse": {**b["toolUse"], "input": {}}} if "toolUse" in b else b
                for b in result.content
            )
            return replace(result, content=content)
        return result


def _text_answer(text: str, stop_reason: str) -> Answer:
    block = {"text": text}
    return Answer((block,), stop_reason, None, count_block(block))

"""Offline ground truth for evaluation: per-class, per-tier answer quality, and a judge.

``tierwise evaluate`` decides from evidence whether a cheaper tier is good enough for a class
of requests. To test that loop offline against a *known* truth, the emulator can be given a
skill table: for each task class, the probability that each tier's answer is acceptable. A
request opts in by naming its class in ``requestMetadata`` under :data:`CLASS_KEY` (synthetic
workloads do; real traffic never carries it, so real-looking tests are unaffected).

Whether an answer is acceptable is drawn deterministically from the request's content and
the tier, so replays agree. Acceptable and unacceptable answers differ in ways the real
checks can see, with no special casing in tierwise:

* closed classes answer one short line. Every acceptable answer to a request is the same
  line (so it equals the strong tier's), and an unacceptable one is a different line per tier
  (so the reference check fails);
* open classes answer prose ending in a ``[check:xxxxxxxx]`` tag that is the hash of the
  prose when the answer is acceptable and something else when it is not. The emulated judge
  (a request built by :func:`tierwise.core.judging.judge_request`) prefers the answer whose
  tag verifies, and calls a tie when both or neither do. ``judge_bias`` makes it answer "A"
  for that share of ties, to show that asking in both orders cancels a position bias.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tierwise.core.judging import parse_judge_prompt
from tierwise.core.tokens import canonical_json, count_block
from tierwise.emulator.engine import PREFIX, Answer

__all__ = ["CLASS_KEY", "ClassSkill", "Skills", "tag_ok", "tier_family"]

CLASS_KEY = "tierwise-emulator-class"
_TAG_OPEN, _TAG_CLOSE = "[check:", "]"


def tier_family(model_name: str) -> str | None:
    """ "haiku", "sonnet" or "opus" from a model's display name."""
    lowered = model_name.lower()
    return next((f for f in ("haiku", "sonnet", "opus") if f in lowered), None)


@dataclass(frozen=True)
class ClassSkill:
    """P(acceptable answer) per tier family, and whether the class's answers are closed."""

    rates: Mapping[str, float]
    closed: bool = False

    @classmethod
    def parse(cls, name: str, value: Mapping[str, Any]) -> ClassSkill:
        rates: dict[str, float] = {}
        for key, raw in value.items():
            if key == "closed":
                continue
            if key not in ("haiku", "sonnet", "opus"):
                raise ValueError(f"skills.{name}: {key!r} is not haiku, sonnet, opus or closed")
            rate = float(raw)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"skills.{name}.{key} must be between 0 and 1")
            rates[key] = rate
        return cls(rates, bool(value.get("closed", False)))


def _unit(*parts: str) -> float:
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _hex(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _task_digest(request: Mapping[str, Any]) -> str:
    """What the task is: its system prompt and turns (not the model, thinking or cache)."""
    messages = [
        {
            "role": m.get("role"),
            "content": [b for b in m.get("content") or () if "cachePoint" not in b],
        }
        for m in request.get("messages") or ()
    ]
    system = [b for b in request.get("system") or () if "cachePoint" not in b]
    return _hex(canonical_json({"system": system, "messages": messages}))


def tag_ok(text: str) -> bool | None:
    """Whether an open answer's check tag verifies; None when it carries no tag."""
    end = text.rfind(_TAG_CLOSE)
    start = text.rfind(_TAG_OPEN, 0, end if end >= 0 else None)
    if start < 0 or end < start:
        return None
    body = text[:start].rstrip()
    return text[start + len(_TAG_OPEN) : end] == _hex("ok", body)[:8]


def _answer(
    text: str, stop_reason: str = "end_turn", before: tuple[dict[str, Any], ...] = ()
) -> Answer:
    blocks = (*before, {"text": text})
    return Answer(blocks, stop_reason, None, sum(count_block(b) for b in blocks))


def _texts(blocks: Any) -> str:
    return "".join(str(b.get("text", "")) for b in blocks or () if isinstance(b, Mapping))


class Skills:
    """The skill table of one emulator; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._table: dict[str, ClassSkill] = {}
        self._judge_bias = 0.0

    def set(self, table: Mapping[str, Any], *, judge_bias: float = 0.0) -> None:
        """Install ``{class: {"haiku": p, "sonnet": p, "opus": p, "closed": bool}}``."""
        parsed = {
            str(name): value if isinstance(value, ClassSkill) else ClassSkill.parse(name, value)
            for name, value in table.items()
        }
        if not 0.0 <= judge_bias <= 1.0:
            raise ValueError("judge_bias must be between 0 and 1")
        with self._lock:
            self._table = parsed
            self._judge_bias = judge_bias

    def clear(self) -> None:
        with self._lock:
            self._table = {}
            self._judge_bias = 0.0

    def table(self) -> dict[str, ClassSkill]:
        with self._lock:
            return dict(self._table)

    def apply(self, model_name: str, request: Mapping[str, Any], result: Answer) -> Answer:
        """The answer under the skill table (``result`` when it does not apply)."""
        messages = request.get("messages") or ()
        system = _texts(request.get("system"))
        last = _texts(messages[-1].get("content")) if messages else ""
        judged = parse_judge_prompt(system, last)
        if judged is not None:
            return self._judge(*judged)
        name = (request.get("requestMetadata") or {}).get(CLASS_KEY)
        with self._lock:
            skill = self._table.get(str(name)) if name is not None else None
        family = tier_family(model_name)
        if skill is None or family is None or family not in skill.rates:
            return result
        if any("toolUse" in b for b in result.content):
            return result  # tool calls are left as the engine made them
        task = _task_digest(request)
        ok = _unit(task, family) < skill.rates[family]
        # The engine's reasoning block stays, and is billed: Bedrock bills the thinking a
        # model generated as output whatever the answer (without it, a skill-tagged request
        # with a thinking budget thought for free, and thinking looked cheaper than it is).
        thought = tuple(b for b in result.content if "reasoningContent" in b)
        if skill.closed:
            line = f"label-{_hex(task)[:6]}" if ok else f"label-{_hex(task, family, 'x')[:6]}"
            return _answer(line, before=thought)
        prose = "".join(str(b.get("text", "")) for b in result.content if "text" in b).strip()
        verdict = "It answers every part correctly." if ok else "It gets one part wrong."
        body = f"{prose or PREFIX}\n\n{PREFIX} {name} answer to task {task[:8]}. {verdict}"
        tag = _hex("ok", body)[:8] if ok else _hex("flawed", body)[:8]
        return _answer(f"{body} {_TAG_OPEN}{tag}{_TAG_CLOSE}", before=thought)

    def acceptable(self, request: Mapping[str, Any], text: str) -> bool | None:
        """The ground truth for an answer to a skill-tagged request: whether it is one of
        the acceptable ones (None when the request carries no configured class)."""
        name = (request.get("requestMetadata") or {}).get(CLASS_KEY)
        with self._lock:
            skill = self._table.get(str(name)) if name is not None else None
        if skill is None:
            return None
        if skill.closed:
            return text.strip() == f"label-{_hex(_task_digest(request))[:6]}"
        return bool(tag_ok(text))

    def _judge(self, request: str, a: str, b: str) -> Answer:
        a_ok, b_ok = bool(tag_ok(a)), bool(tag_ok(b))
        if a_ok and not b_ok:
            winner, reason = "A", "A is correct and B has a flaw"
        elif b_ok and not a_ok:
            winner, reason = "B", "B is correct and A has a flaw"
        else:
            winner, reason = "tie", "the answers are equally good"
            with self._lock:
                bias = self._judge_bias
            if bias and _unit(request, a, b) < bias:
                winner, reason = "A", "A reads slightly better"
        return _answer(json.dumps({"winner": winner, "reason": reason}))

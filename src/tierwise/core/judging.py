"""Judging a cheaper tier's answer against a stronger tier's answer to the same request.

Two kinds of evidence, chosen by the answer's shape:

* **Closed answers** (a label, a number, a JSON object, a tool call, a short line) are
  checked against the reference directly: normalised text equality, numeric equality,
  JSON equality or schema validity, tool name and input equality. No model is asked.
* **Open answers** (prose) go to a pairwise LLM judge with a fixed rubric
  (:data:`RUBRIC`). It is asked twice with the answers in both orders, so a judge that
  prefers whichever answer comes first cancels out, and it may call a tie. The candidate
  passes when it is not worse than the reference in both orders.

Everything here is pure: building the judge's request and reading its reply are separate
from calling it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = [
    "JUDGE_ID",
    "RUBRIC",
    "Check",
    "Preference",
    "Verdict",
    "answer_text",
    "closed_check",
    "combine",
    "is_closed",
    "judge_request",
    "parse_judge_prompt",
    "parse_judge_reply",
]

JUDGE_ID = "tierwise-judge-v1"
RUBRIC = f"""You are {JUDGE_ID}, an impartial judge of answers from AI assistants.
You get a user's request and two answers, A and B. Decide which answer serves the request
better, judging in this order: correctness (facts, numbers, code that works, instructions
followed), completeness (everything asked is answered), then depth and clarity. Length is
not a merit by itself. Do not prefer an answer for its position or its style alone. If the
answers are equally good, or both fail in the same way, call a tie.
Reply with JSON only: {{"winner": "A" | "B" | "tie", "reason": "<one sentence>"}}"""
_A = ("<answer_a>", "</answer_a>")
_B = ("<answer_b>", "</answer_b>")
_Q = ("<request>", "</request>")
# A closed answer is short: one line of at most this many characters, or JSON, or a tool call.
CLOSED_MAX_CHARS = 200
_NUMBER = re.compile(r"^[-+]?[$€£]?\s*\d[\d,]*(\.\d+)?\s*%?$")


class Preference(Enum):
    """The candidate's standing against the reference in one judged order."""

    BETTER = "better"
    TIE = "tie"
    WORSE = "worse"


class Verdict(Enum):
    PASS = "pass"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    """The outcome of judging one candidate answer: verdict, method and why."""

    verdict: Verdict
    method: str  # "exact", "number", "json", "json_schema", "tool_call", "judge"
    reason: str

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASS

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict.value, "method": self.method, "reason": self.reason}


def answer_text(content: Sequence[Mapping[str, Any]]) -> str:
    """The text of an answer's blocks (reasoning left out)."""
    return "".join(str(b["text"]) for b in content if "text" in b).strip()


def _tool_calls(content: Sequence[Mapping[str, Any]]) -> list[tuple[str, Any]]:
    return [(b["toolUse"]["name"], b["toolUse"].get("input")) for b in content if "toolUse" in b]


def _json(text: str) -> Any:
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.strip("`").removeprefix("json").strip()
    if not stripped or stripped[0] not in "[{":
        raise ValueError("not JSON")
    return json.loads(stripped)


def is_closed(reference: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a reference answer is closed (checkable without a judge)."""
    if _tool_calls(reference):
        return True
    text = answer_text(reference)
    try:
        _json(text)
    except ValueError:
        return "\n" not in text and len(text) <= CLOSED_MAX_CHARS
    return True


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().strip(".").lower())


def _number(text: str) -> float | None:
    cleaned = text.strip().rstrip(".")
    if not _NUMBER.match(cleaned):
        return None
    return float(re.sub(r"[^\d.+-]", "", cleaned))


def closed_check(
    candidate: Sequence[Mapping[str, Any]],
    reference: Sequence[Mapping[str, Any]],
    *,
    schema: Mapping[str, Any] | None = None,
) -> Check:
    """Check a closed answer against the reference (see the module docstring)."""
    ref_calls, cand_calls = _tool_calls(reference), _tool_calls(candidate)
    if ref_calls or cand_calls:
        same = ref_calls == cand_calls
        why = "same tool calls" if same else f"tool calls differ: {cand_calls} vs {ref_calls}"
        return Check(Verdict.PASS if same else Verdict.FAIL, "tool_call", why)
    cand, ref = answer_text(candidate), answer_text(reference)
    try:
        ref_value = _json(ref)
    except ValueError:
        ref_value = None
    if ref_value is not None or schema is not None:
        try:
            cand_value = _json(cand)
        except ValueError:
            return Check(Verdict.FAIL, "json", "the answer is not JSON")
        if schema is not None:
            import jsonschema

            errors = list(jsonschema.Draft202012Validator(dict(schema)).iter_errors(cand_value))
            if errors:
                return Check(Verdict.FAIL, "json_schema", errors[0].message[:200])
            if ref_value is None:
                return Check(Verdict.PASS, "json_schema", "valid against the schema")
        same = cand_value == ref_value
        why = "same JSON as the reference" if same else "JSON differs from the reference"
        return Check(Verdict.PASS if same else Verdict.FAIL, "json", why)
    ref_number, cand_number = _number(ref), _number(cand)
    if ref_number is not None:
        same = cand_number is not None and abs(cand_number - ref_number) <= 1e-9 * max(
            1.0, abs(ref_number)
        )
        return Check(
            Verdict.PASS if same else Verdict.FAIL, "number", f"{cand!r} vs reference {ref!r}"
        )
    same = _normal(cand) == _normal(ref)
    return Check(Verdict.PASS if same else Verdict.FAIL, "exact", f"{cand!r} vs reference {ref!r}")


def judge_request(
    request_text: str, first: str, second: str, *, max_tokens: int = 300
) -> dict[str, Any]:
    """The Converse request asking the judge to compare ``first`` (A) with ``second`` (B)."""
    prompt = (
        f"{_Q[0]}\n{request_text}\n{_Q[1]}\n\n{_A[0]}\n{first}\n{_A[1]}\n\n"
        f"{_B[0]}\n{second}\n{_B[1]}\n\nWhich answer is better? Reply with the JSON only."
    )
    return {
        "system": [{"text": RUBRIC}],
        "messages": [{"role": "user", "content": [{"text": prompt}]}],
        "inferenceConfig": {"maxTokens": max_tokens, "temperature": 0.0},
    }


def _between(text: str, marks: tuple[str, str]) -> str | None:
    start = text.find(marks[0])
    end = text.rfind(marks[1])
    if start < 0 or end < start:
        return None
    return text[start + len(marks[0]) : end].strip("\n")


def parse_judge_prompt(system: str, prompt: str) -> tuple[str, str, str] | None:
    """(request, answer A, answer B) when ``system``/``prompt`` are a judge request this
    module built; None otherwise (the emulator uses it to play the judge)."""
    if JUDGE_ID not in system:
        return None
    parts = (_between(prompt, _Q), _between(prompt, _A), _between(prompt, _B))
    if any(p is None for p in parts):
        return None
    request, a, b = parts
    assert request is not None and a is not None and b is not None
    return request, a, b


def parse_judge_reply(text: str) -> str | None:
    """ "A", "B" or "tie" from the judge's reply; None when it is unreadable."""
    match = re.search(r"\{.*\}", text, re.S)
    if match is not None:
        try:
            winner = json.loads(match.group(0)).get("winner")
        except (json.JSONDecodeError, AttributeError):
            winner = None
        if isinstance(winner, str) and winner.strip().lower() in ("a", "b", "tie"):
            w = winner.strip().lower()
            return "tie" if w == "tie" else w.upper()
    return None


def combine(reference_first: str | None, candidate_first: str | None) -> Check:
    """The candidate's verdict from the judge's two orders.

    ``reference_first`` is the winner when A was the reference and B the candidate;
    ``candidate_first`` when A was the candidate. The candidate passes when it is not worse
    in both orders; a verdict that flips with the order is a position effect and counts as
    a tie; an unreadable reply counts as neither.
    """
    views: list[Preference] = []
    if reference_first is not None:
        views.append(_view(reference_first, candidate_is="B"))
    if candidate_first is not None:
        views.append(_view(candidate_first, candidate_is="A"))
    if not views:
        return Check(Verdict.FAIL, "judge", "the judge's replies could not be read")
    if {Preference.BETTER, Preference.WORSE} <= set(views):
        return Check(Verdict.PASS, "judge", "the judge's preference flipped with the order: tie")
    if Preference.WORSE in views:
        return Check(Verdict.FAIL, "judge", "the judge preferred the reference")
    label = "better" if Preference.BETTER in views else "as good"
    return Check(Verdict.PASS, "judge", f"the judge found the answer {label}")


def _view(winner: str, *, candidate_is: str) -> Preference:
    if winner == "tie":
        return Preference.TIE
    return Preference.BETTER if winner == candidate_is else Preference.WORSE

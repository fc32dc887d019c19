"""Expected output and thinking use per (task class, tier), learned from answers.

Cache-aware routing prices each allowed tier with the output it expects there: the answer's
length, and, for an option with an extended-thinking budget, the share of that budget the
thinking will use. Configured values (``[cache_state] output_tokens``,
``short_output_tokens``, ``thinking_use``) are the prior; every answer's reported usage
moves the estimate away from it:

    estimate = (prior_weight * parent + sum of observations) / (prior_weight + n)

a count-weighted mean that starts at the prior and, after ``prior_weight`` answers, weighs
what was seen as much as what was configured. ``parent`` is the next level up, itself such
a mean over a wider pool less this key's own answers (then the configured prior):

- answer tokens: the class on this tier, then the class on any tier, then the prior
  (an answer's length is the class's; a tier the class has not run on yet borrows it);
- thinking use: the class on this tier, then any class on this tier, then the prior
  (how much of a budget a model thinks is the model's; a class never served with thinking
  borrows its tier's measurement, else the configured use: priced at the whole budget, a
  thinking option was never chosen, so never measured).

Exploration. The packaged prior prices a thinking budget whole (``thinking_use = 1.0``):
right for a worst case, but as a price it keeps a thinking option from ever being chosen,
so its real use is never measured. So while a tier's thinking use rests on fewer than
``explore`` thinking answers (any class on the tier: what a class never served with thinking
borrows), the thinking estimate is optimistic: the same mean with 0 in place of the
configured use (the least a budget can cost), so the option is priced at what the answers
seen so far show, and at no thinking before the first. Once ``explore`` answers are in, the
configured prior weighs again. This is optimism under uncertainty, bounded: it can buy at
most about ``explore`` thinking answers per tier on a price that was too low (their budget
holds still reserve the whole budget, which is the request as sent, not this estimate),
and it only prices options the caller already allows. The answer's length is not explored:
its prior is a typical value, not a worst case, and it is the class's (learned from any
tier that serves the class, and borrowed by the others), so the routed tier measures it.

Counts stop growing at ``window`` (older answers are scaled down together), so the mean
follows traffic that changes. Bedrock reports thinking and answer tokens as one
``outputTokens`` count: the thinking part is read from the answer's reasoning blocks (the
billed count split in proportion to the estimated tokens of the reasoning and the rest), and
where it cannot be (redacted thinking) as the output beyond the expected answer.

Pure: the caller keeps the tallies (in process or in Redis, see :mod:`tierwise.cache_state`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tierwise.core.tokens import count_text

__all__ = [
    "ANY",
    "Observation",
    "OutputEstimate",
    "OutputPrior",
    "Tally",
    "estimate",
    "observe",
    "split_output",
    "tally_keys",
    "thinking_tokens",
]

# Stands for "every class" or "every tier" in a tally key.
ANY = "*"


def tally_keys(task_class: str, tier: str) -> tuple[str, str, str]:
    """The tallies one answer of ``task_class`` on ``tier`` adds to: its own, its class's on
    any tier, its tier's for any class."""
    return f"{task_class}|{tier}", f"{task_class}|{ANY}", f"{ANY}|{tier}"


@dataclass(frozen=True, slots=True)
class Observation:
    """What one answer says: its answer tokens (None: not known apart from the thinking)
    and the share of its thinking budget it used (None: it had none)."""

    answer_tokens: int | None
    thinking_share: float | None


@dataclass(frozen=True, slots=True)
class Tally:
    """Sums of observations for one key; counts capped at the window (scaled together)."""

    answers: float = 0.0
    answer_tokens: float = 0.0
    thinking: float = 0.0
    thinking_share: float = 0.0

    def add(self, seen: Observation, window: int) -> Tally:
        """This tally with ``seen`` added; each count held at ``window`` by scaling its sum
        with it (a moving mean of about the last ``window`` answers)."""
        n, total = self.answers, self.answer_tokens
        if seen.answer_tokens is not None:
            n, total = _capped(n + 1, total + seen.answer_tokens, window)
        t, share = self.thinking, self.thinking_share
        if seen.thinking_share is not None:
            t, share = _capped(t + 1, share + seen.thinking_share, window)
        return Tally(n, total, t, share)

    @classmethod
    def from_fields(cls, fields: Mapping[Any, Any]) -> Tally:
        """A tally from its stored fields (Redis hash: ``n``, ``out``, ``tn``, ``ts``)."""

        def num(name: str) -> float:
            raw = fields.get(name, fields.get(name.encode(), 0))
            return float(raw.decode() if isinstance(raw, bytes) else raw or 0)

        return cls(num("n"), num("out"), num("tn"), num("ts"))


def _capped(count: float, total: float, window: int) -> tuple[float, float]:
    if window > 0 and count > window:
        return float(window), total * window / count
    return count, total


def thinking_tokens(output: int, content: Iterable[Mapping[str, Any]]) -> int | None:
    """How many of a response's ``output`` tokens were thinking, from its content blocks:
    the billed count split in proportion to the estimated tokens of the reasoning text and
    of everything else. 0 without reasoning blocks; None when the reasoning is redacted
    (its length is not shown)."""
    reasoning = other = 0
    redacted = False
    for block in content:
        if "reasoningContent" in block:
            body = block["reasoningContent"] or {}
            text = (body.get("reasoningText") or {}).get("text")
            if isinstance(text, str):
                reasoning += count_text(text)
            elif "redactedContent" in body:
                redacted = True
        elif isinstance(block.get("text"), str):
            other += count_text(block["text"])
        elif "toolUse" in block:
            other += count_text(str(block["toolUse"].get("input", ""))) + 1
    return None if redacted else split_output(output, reasoning, other)


def split_output(output: int, reasoning: int, other: int) -> int:
    """The thinking part of ``output`` billed tokens, in proportion to the estimated tokens
    of the reasoning and of the rest of what came back."""
    if reasoning <= 0 or output <= 0:
        return 0
    return min(round(output * reasoning / (reasoning + other)), output)


def observe(
    output: int, budget: int | None, thinking: int | None, expected_answer: int
) -> Observation:
    """One answer's observation: ``output`` tokens billed, ``budget`` its thinking budget
    (None: none), ``thinking`` the part of the output that was thinking when known.
    Unknown thinking is measured as the output beyond ``expected_answer`` (the answer the
    router expects of the class), and the answer's own length is then not known."""
    if not budget:
        # Thinking the caller asked for itself (no budget the router set) is not the answer.
        return Observation(max(output - (thinking or 0), 0), None)
    if thinking is None:
        used = max(output - expected_answer, 0)
        return Observation(None, min(used / budget, 1.0))
    thinking = min(max(thinking, 0), output)
    return Observation(output - thinking, min(thinking / budget, 1.0))


@dataclass(frozen=True, slots=True)
class OutputPrior:
    """The configured expectations and how much they weigh against what is seen."""

    answer_tokens: int
    thinking_use: float
    weight: float = 5.0


@dataclass(frozen=True, slots=True)
class OutputEstimate:
    """What a tier's answer is expected to cost in output for one class, and from what:
    ``answers`` / ``thinking_answers`` are how many answers the estimate rests on, at the
    level named by ``answer_source`` / ``thinking_source`` ("class on tier", "class",
    "tier" or "prior")."""

    answer_tokens: int
    thinking_use: float
    answers: int = 0
    answer_source: str = "prior"
    thinking_answers: int = 0
    thinking_source: str = "prior"
    # Fewer than this many thinking answers seen on the tier: the thinking use is the
    # optimistic estimate (see the module's "Exploration"); 0 = not exploring.
    exploring_below: int = 0

    @property
    def exploring(self) -> bool:
        return self.exploring_below > 0

    @property
    def learned(self) -> bool:
        return self.answer_source != "prior"

    def describe(self, budget: int | None = None) -> str:
        out = f"{self.answer_tokens:,} output tokens ({_source(self.answer_source, self.answers)})"
        if budget:
            source = _source(self.thinking_source, self.thinking_answers)
            if self.exploring and self.thinking_source == "prior":
                source = (
                    f"exploring: no thinking answer on this tier yet (under "
                    f"{self.exploring_below:,}), so priced at none, not the prior"
                )
            elif self.exploring:
                source = (
                    f"exploring: {source}, under {self.exploring_below:,} on this tier, so "
                    f"priced at what was seen, not the prior"
                )
            out += f" + {self.thinking_use:.0%} of the {budget:,}-token thinking budget ({source})"
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer_tokens": self.answer_tokens,
            "answers": self.answers,
            "answer_source": self.answer_source,
            "thinking_use": round(self.thinking_use, 4),
            "thinking_answers": self.thinking_answers,
            "thinking_source": self.thinking_source,
            **({"exploring_below": self.exploring_below} if self.exploring else {}),
        }


def _source(level: str, n: int) -> str:
    if level == "prior":
        return "prior"
    return f"learned: {n:,} answer{'s' if n != 1 else ''} of the {level}"


def estimate(
    task_class: str,
    tier: str,
    tallies: Mapping[str, Tally],
    prior: OutputPrior,
    explore: int = 0,
) -> OutputEstimate:
    """The expected output of ``task_class`` on ``tier`` from ``tallies`` (by
    :func:`tally_keys`; missing ones count as empty) and ``prior``. With ``explore``, while
    fewer than that many thinking answers were seen on ``tier`` (any class), the thinking
    use is the optimistic one: the same mean with 0 as the prior's use (see the module's
    "Exploration")."""
    own, of_class, of_tier = (tallies.get(k, Tally()) for k in tally_keys(task_class, tier))
    w = max(prior.weight, 0.0)

    def mean(parent: float, n: float, total: float) -> float:
        return (w * parent + total) / (w + n) if w + n > 0 else parent

    # The wider pool without this key's own answers (counted once, at their own level).
    class_answer = mean(
        prior.answer_tokens,
        max(of_class.answers - own.answers, 0.0),
        max(of_class.answer_tokens - own.answer_tokens, 0.0),
    )
    answer = mean(class_answer, own.answers, own.answer_tokens)
    exploring = of_tier.thinking < explore
    tier_use = mean(
        0.0 if exploring else prior.thinking_use,
        max(of_tier.thinking - own.thinking, 0.0),
        max(of_tier.thinking_share - own.thinking_share, 0.0),
    )
    use = mean(tier_use, own.thinking, own.thinking_share)
    if own.answers > 0:
        answer_source, answers = "class on this tier", own.answers
    elif of_class.answers > 0:
        answer_source, answers = "class", of_class.answers
    else:
        answer_source, answers = "prior", 0.0
    if own.thinking > 0:
        thinking_source, thinking = "class on this tier", own.thinking
    elif of_tier.thinking > 0:
        thinking_source, thinking = "tier", of_tier.thinking
    else:
        thinking_source, thinking = "prior", 0.0
    return OutputEstimate(
        max(round(answer), 1),
        min(max(use, 0.0), 1.0),
        round(answers),
        answer_source,
        round(thinking),
        thinking_source,
        explore if exploring else 0,
    )

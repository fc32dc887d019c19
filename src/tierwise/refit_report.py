"""Before/after a refit, on outcomes the refit never saw.

``tierwise evaluate`` writes labelled outcomes; ``tierwise router train --data`` refits the
difficulty stage from them. Whether the refit helps is measured on a held-out part of the
same outcomes, split so that the held-out requests are not near-copies of training ones:

* ``class``: whole task classes are held out (every fourth class by name, or the ones
  named), so the refit is judged on kinds of request it was not fitted on;
* ``time``: the last quarter of the file (outcomes are written in capture order), so it is
  judged on later traffic.

(A random split would put near-duplicate requests of one class on both sides and flatter
the refit.) For each held-out request both models route it under the same policy, and the
report gives, before and after: the difficulty score's AUROC against "the cheapest tier
failed", and the routed tier's pass rate (from the outcome's own verdicts), mean cost and
tier mix.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tierwise.core.tiers import Tier
from tierwise.errors import InvalidRequestError

if TYPE_CHECKING:
    from tierwise.config import Settings
    from tierwise.core.difficulty import DifficultyScorer

__all__ = ["HOLDOUTS", "RefitReport", "Side", "refit_report", "split_outcomes"]

HOLDOUTS = ("class", "time")
_SHARE = 0.25


@dataclass(frozen=True)
class Split:
    train: list[dict[str, Any]]
    held: list[dict[str, Any]]
    how: str  # what was held out, in words


def split_outcomes(
    records: Sequence[dict[str, Any]], holdout: str, *, classes: Sequence[str] = ()
) -> Split:
    """The records split for a before/after (see the module docstring)."""
    if holdout == "time":
        cut = len(records) - max(1, math.ceil(len(records) * _SHARE))
        return Split(list(records[:cut]), list(records[cut:]), "by time (the last quarter)")
    if holdout != "class":
        raise InvalidRequestError(f"--holdout {holdout!r}", hint="class or time")
    names = sorted({str(r.get("task_class")) for r in records})
    held_out = set(classes) or set(names[1::4])
    if not held_out or held_out >= set(names):
        raise InvalidRequestError(
            "holding out by class needs classes on both sides",
            hint="evaluate at least two classes, or hold out by time",
        )
    held = [r for r in records if r.get("task_class") in held_out]
    train = [r for r in records if r.get("task_class") not in held_out]
    return Split(train, held, "classes " + ", ".join(sorted(held_out)))


@dataclass
class Side:
    """How one difficulty model does on the held-out outcomes."""

    auroc: float | None = None
    judged: int = 0  # held-out requests whose routed tier has a verdict
    passed: int = 0
    cost: Decimal = Decimal(0)
    tiers: Counter[str] = field(default_factory=Counter)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.judged if self.judged else 0.0

    @property
    def mean_cost(self) -> Decimal:
        return self.cost / self.judged if self.judged else Decimal(0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "auroc": None if self.auroc is None else round(self.auroc, 4),
            "judged": self.judged,
            "pass_rate": round(self.pass_rate, 4),
            "mean_cost_usd": str(self.mean_cost),
            "tiers": dict(sorted(self.tiers.items())),
        }


@dataclass(frozen=True)
class RefitReport:
    holdout: str
    train: int
    held: int
    before: Side
    after: Side

    def lines(self) -> list[str]:
        out = [f"refit on {self.train} outcomes; held out {self.holdout} ({self.held} outcomes)"]
        for label, side in (("before", self.before), ("after", self.after)):
            auroc = "-" if side.auroc is None else f"{side.auroc:.3f}"
            mix = ", ".join(f"{t} {n}" for t, n in sorted(side.tiers.items()))
            out.append(
                f"  {label:6} AUROC(cheapest tier fails) {auroc}  routed tier passes "
                f"{side.passed}/{side.judged} ({side.pass_rate:.1%})  mean cost "
                f"${side.mean_cost:.6f}  tiers: {mix}"
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "holdout": self.holdout,
            "train": self.train,
            "held": self.held,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
        }


def read_outcome_records(path: Path) -> list[dict[str, Any]]:
    """``tierwise evaluate``'s outcomes file (lines with request, outcomes and costs)."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError as exc:
        raise InvalidRequestError(f"cannot read {path}: {exc.strerror or exc}") from None
    records = [json.loads(line) for line in lines if line.strip()]
    if not all(isinstance(r, dict) and "request" in r and "outcomes" in r for r in records):
        raise InvalidRequestError(
            f"{path} is not a `tierwise evaluate` outcomes file",
            hint="a before/after needs the request and per-tier outcomes of each line",
        )
    return records


def _auroc(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    """P(a failing request scores above a passing one), ties half (Mann-Whitney)."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return None
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def measure(
    settings: Settings, scorer: DifficultyScorer, held: Iterable[Mapping[str, Any]]
) -> Side:
    """Route each held-out request with ``scorer`` under ``settings``' policy and score the
    routed tier by the outcome's own verdict and cost."""
    from tierwise.client import Tierwise

    side = Side()
    labels: list[int] = []
    scores: list[float] = []
    with Tierwise.from_settings(settings, ledger_url="sqlite:///:memory:", scorer=scorer) as tw:
        for record in held:
            decision = tw.route(record["request"])
            outcomes = {str(k): v for k, v in record["outcomes"].items()}
            cheapest = min(outcomes, key=lambda t: Tier(t).rank)
            if "learned" in decision.scores:
                labels.append(int(not outcomes[cheapest]))
                scores.append(float(decision.scores["learned"]))
            tier = decision.tier.value
            side.tiers[tier] += 1
            if tier in outcomes:
                side.judged += 1
                side.passed += int(bool(outcomes[tier]))
                side.cost += Decimal(str((record.get("costs_usd") or {}).get(tier, "0")))
    side.auroc = _auroc(labels, scores)
    return side


def refit_report(
    settings: Settings,
    records: Sequence[dict[str, Any]],
    holdout: str,
    *,
    classes: Sequence[str] = (),
) -> RefitReport:
    """Refit the configured difficulty model on the training part of ``records`` and
    measure it and the configured one on the held-out part (needs the ``train`` extra)."""
    from tierwise.router import train as training
    from tierwise.router.dataset import Example
    from tierwise.router.weights import load_model

    split = split_outcomes(records, holdout, classes=classes)
    examples = []
    for record in split.train:
        outcomes = {Tier(str(k)): float(v) for k, v in record["outcomes"].items()}
        ranked = sorted(outcomes, key=lambda t: t.rank)
        strong = outcomes[ranked[-1]] if len(ranked) > 1 else None
        examples.append(Example(str(record["prompt"]), outcomes[ranked[0]], strong, "evaluation"))
    before = load_model(settings.routing.model_path or None)
    try:
        after = training.refit(examples, before)
    except ValueError as exc:
        raise InvalidRequestError(str(exc), hint="evaluate more requests first") from None
    return RefitReport(
        split.how,
        len(split.train),
        len(split.held),
        measure(settings, before, split.held),
        measure(settings, after, split.held),
    )

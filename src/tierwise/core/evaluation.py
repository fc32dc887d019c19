"""Per-class evidence from evaluation outcomes, and the tier each class should run on.

The rule is empirical: if a cheaper tier clears the team's quality bar on a class, run the
class there; if even Sonnet falls short often enough to matter, run it on Opus. "Clears the
bar" is decided on the lower end of a Wilson score interval, so a class with a handful of
samples is not moved on luck: the recommendation needs the pass rate to be high *and* known.

Pure: no clock, no I/O. Outcomes come in, reports and one-line policy changes go out.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from tierwise.core.tiers import Tier

__all__ = [
    "ClassReport",
    "Outcome",
    "TierEvidence",
    "class_reports",
    "stratified_sample",
    "wilson",
]

T = TypeVar("T")
_Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval for ``successes`` out of ``n`` (0..1 when n is 0)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def stratified_sample(
    items: Sequence[T], key: Callable[[T], str], n: int, *, seed: int = 0
) -> list[T]:
    """Up to ``n`` items with classes sampled evenly: each class gets an equal share (a
    class with fewer items gives its unused share to the others), so small classes get
    enough samples to be judged. Deterministic for a seed; keeps the input order."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        groups[key(item)].append(index)
    if n >= len(items):
        return list(items)
    quota: dict[str, int] = dict.fromkeys(groups, 0)
    left = n
    open_classes = sorted(groups)
    while left > 0 and open_classes:
        share = max(left // len(open_classes), 1)
        for name in list(open_classes):
            room = len(groups[name]) - quota[name]
            take = min(share, room, left)
            quota[name] += take
            left -= take
            if quota[name] >= len(groups[name]):
                open_classes.remove(name)
            if left == 0:
                break
    rng = random.Random(seed)
    chosen: set[int] = set()
    for name in sorted(groups):
        chosen.update(rng.sample(groups[name], quota[name]))
    return [items[i] for i in sorted(chosen)]


@dataclass(frozen=True)
class Outcome:
    """One evaluated request: its class, each tier's verdict against the reference tier,
    and what each tier's answer cost. The reference tier's verdict is ``"reference"``."""

    request_id: str
    task_class: str
    verdicts: Mapping[str, str]
    costs: Mapping[str, Decimal]
    methods: Mapping[str, str] = field(default_factory=dict)

    def passed(self, tier: str) -> bool | None:
        verdict = self.verdicts.get(tier)
        if verdict is None or verdict == "error":
            return None
        return verdict in ("pass", "reference")


@dataclass(frozen=True)
class TierEvidence:
    tier: Tier
    passes: int
    n: int
    mean_cost: Decimal

    @property
    def rate(self) -> float:
        return self.passes / self.n if self.n else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.passes, self.n)

    def to_dict(self) -> dict[str, Any]:
        low, high = self.interval
        return {
            "tier": self.tier.value,
            "passes": self.passes,
            "n": self.n,
            "pass_rate": round(self.rate, 4),
            "interval": [round(low, 4), round(high, 4)],
            "mean_cost_usd": str(self.mean_cost),
        }


@dataclass(frozen=True)
class ClassReport:
    """The evidence for one class and what it means for the policy."""

    task_class: str
    samples: int
    evidence: tuple[TierEvidence, ...]
    reference: Tier
    current: Tier | None
    recommended: Tier
    quality_target: float
    risk: float
    reason: str
    monthly_requests: float
    monthly_saving: Decimal
    # What the evidence says the difficulty stage may not do to this class's requests: move
    # them below ``floor`` (the tier under the recommended one was not shown to clear the
    # bar) or above ``ceiling`` (the recommended tier was shown to clear it). None: no
    # evidence either way.
    floor: Tier | None = None
    ceiling: Tier | None = None

    @property
    def changes(self) -> bool:
        return self.current is not None and self.recommended is not self.current

    def to_dict(self) -> dict[str, Any]:
        return {
            "task_class": self.task_class,
            "samples": self.samples,
            "reference_tier": self.reference.value,
            "evidence": [e.to_dict() for e in self.evidence],
            "current_tier": self.current.value if self.current else None,
            "recommended_tier": self.recommended.value,
            "quality_target": self.quality_target,
            "quality_risk": round(self.risk, 4),
            "reason": self.reason,
            "min_tier": self.floor.value if self.floor else None,
            "max_tier": self.ceiling.value if self.ceiling else None,
            "monthly_requests": round(self.monthly_requests, 1),
            "projected_monthly_saving_usd": str(self.monthly_saving.quantize(Decimal("0.01"))),
        }


def _mean(values: Iterable[Decimal]) -> Decimal:
    items = list(values)
    return sum(items, Decimal(0)) / len(items) if items else Decimal(0)


def _recommend(
    evidence: Sequence[TierEvidence],
    reference: Tier,
    target: float,
    current: Tier | None,
    min_samples: int = 0,
) -> tuple[Tier, float, str]:
    """The tier a class should run on, and (quality risk, reason).

    Moves need evidence in their own direction. Down: the cheapest tier (at or below the
    current one) whose pass-rate lower bound reaches ``target``. Up: only when the current
    tier is clearly below the bar (its upper bound is under ``target``), to the next tier up
    that is not. Otherwise the class stays where it is: a handful of samples moves nothing.
    Risk is 1 - the recommended tier's lower bound (0 for the reference tier).
    """
    by_tier = {e.tier: e for e in evidence}
    ranked = sorted(evidence, key=lambda e: e.tier.rank)
    fewest = min((e.n for e in evidence if e.tier is not reference), default=0)
    if current is not None and fewest < min_samples:
        return (
            current,
            0.0 if current is reference else 1.0,
            f"stays on {current.value}: {fewest} sample(s) per tier, under the "
            f"{min_samples} needed to move a class",
        )
    for ev in ranked:
        if ev.tier is reference or (current is not None and ev.tier.rank > current.rank):
            continue
        low, _ = ev.interval
        if ev.n and low >= target:
            return (
                ev.tier,
                1 - low,
                f"{ev.tier.value} passes {ev.passes}/{ev.n} ({ev.rate:.0%}; 95% lower bound "
                f"{low:.0%} >= target {target:.0%})",
            )
    now = by_tier.get(current) if current is not None else None
    if current is not None and current is not reference:
        if now is not None and now.n and now.interval[1] < target:
            for tier in sorted(by_tier, key=lambda t: t.rank):
                if tier.rank <= current.rank:
                    continue
                ev = by_tier[tier]
                if tier is reference or (ev.n and ev.interval[1] >= target):
                    low = 1.0 if tier is reference else ev.interval[0]
                    return (
                        tier,
                        1 - low,
                        f"{current.value} falls short: {now.passes}/{now.n} ({now.rate:.0%}; "
                        f"95% upper bound {now.interval[1]:.0%} < target {target:.0%})",
                    )
        if now is not None and now.n:
            low, high = now.interval
            return (
                current,
                1 - low,
                f"stays on {current.value}: {now.passes}/{now.n} ({now.rate:.0%}, 95% interval "
                f"{low:.0%}-{high:.0%}) is not clear evidence either way",
            )
    if current is reference:
        cheaper = [e for e in ranked if e.tier is not reference and e.n]
        best = max(cheaper, key=lambda e: e.interval[0], default=None)
        detail = (
            f": best is {best.tier.value} at {best.passes}/{best.n} (lower bound "
            f"{best.interval[0]:.0%} < {target:.0%})"
            if best is not None
            else ""
        )
        return reference, 0.0, f"stays on {reference.value}: no cheaper tier clears the bar{detail}"
    return reference, 0.0, "no cheaper tier clears the bar; the reference tier does by definition"


def _bounds(
    evidence: Sequence[TierEvidence],
    recommended: Tier,
    reference: Tier,
    target: float,
    enough: bool,
) -> tuple[Tier | None, Tier | None]:
    """(floor, ceiling) for the difficulty stage, from the same evidence as the move: a
    request may step down only to a tier shown to clear the bar (its lower bound reaches
    the target), and stepping up from a tier shown to clear it buys nothing measured."""
    if not enough:
        return None, None
    below = [e for e in evidence if e.tier.rank < recommended.rank and e.n]
    floor = None
    if below:
        nearest = max(below, key=lambda e: e.tier.rank)
        if nearest.interval[0] < target:
            floor = recommended
    ceiling = None
    mine = next((e for e in evidence if e.tier is recommended), None)
    if recommended is not reference and mine is not None and mine.n and mine.interval[0] >= target:
        ceiling = recommended
    return floor, ceiling


def class_reports(
    outcomes: Iterable[Outcome],
    *,
    reference: Tier,
    quality_target: float,
    current: Mapping[str, Tier] | None = None,
    monthly_requests: Mapping[str, float] | None = None,
    monthly_cost_per_request: Callable[[str, Tier], Decimal] | None = None,
    min_samples: int = 20,
) -> list[ClassReport]:
    """One report per class in ``outcomes``.

    ``current`` is each class's tier under the policy now; ``monthly_requests`` its volume
    (from the ledger); ``monthly_cost_per_request(class, tier)`` the expected cost of one of
    its requests on a tier (else the evaluation's own mean cost is used). The projected
    saving is volume x (cost on the current tier - cost on the recommended tier).
    """
    by_class: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_class[outcome.task_class].append(outcome)
    current = current or {}
    volumes = monthly_requests or {}
    reports: list[ClassReport] = []
    for name in sorted(by_class):
        rows = by_class[name]
        tiers = sorted({Tier(t) for o in rows for t in o.verdicts}, key=lambda t: t.rank)
        evidence = []
        for tier in tiers:
            judged = [o for o in rows if o.passed(tier.value) is not None]
            evidence.append(
                TierEvidence(
                    tier,
                    sum(1 for o in judged if o.passed(tier.value)),
                    len(judged),
                    _mean(o.costs[tier.value] for o in judged if tier.value in o.costs),
                )
            )
        now = current.get(name)
        recommended, risk, reason = _recommend(
            evidence, reference, quality_target, now, min_samples
        )
        fewest = min((e.n for e in evidence if e.tier is not reference), default=0)
        floor, ceiling = _bounds(
            evidence,
            recommended,
            reference,
            quality_target,
            now is not None and fewest >= min_samples,
        )
        volume = float(volumes.get(name, 0.0))
        saving = Decimal(0)
        if now is not None and volume:
            cost_of = monthly_cost_per_request or _evaluated_cost(evidence)
            saving = (cost_of(name, now) - cost_of(name, recommended)) * Decimal(str(volume))
        reports.append(
            ClassReport(
                task_class=name,
                samples=len(rows),
                evidence=tuple(evidence),
                reference=reference,
                current=now,
                recommended=recommended,
                quality_target=quality_target,
                risk=risk,
                reason=reason,
                monthly_requests=volume,
                monthly_saving=saving,
                floor=floor,
                ceiling=ceiling,
            )
        )
    return reports


def _evaluated_cost(evidence: Sequence[TierEvidence]) -> Callable[[str, Tier], Decimal]:
    by_tier = {e.tier: e.mean_cost for e in evidence}

    def cost(_: str, tier: Tier) -> Decimal:
        return by_tier.get(tier, Decimal(0))

    return cost

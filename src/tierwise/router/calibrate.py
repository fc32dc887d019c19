"""Difficulty thresholds read off a cost/quality curve (``tierwise router calibrate``).

Routing moves a request one tier down from its class default when its difficulty score is
below ``routing.haiku_threshold`` and one tier up when it reaches ``routing.opus_threshold``
(:mod:`tierwise.core.routing`). The score is the router's final one: the learned P(the
cheaper tier fails) combined with rule evidence. Both thresholds are chosen on labelled
requests (a cheaper and a stronger tier's grade each) by what moving costs and earns:

* **step down** at the largest threshold where the requests at the margin (the last
  ``window`` of requests moved, just below it) keep at least ``keep`` of the quality the
  stronger tier gives them: the cheaper tier's mean grade over the stronger tier's. Cheaper
  calls, almost no quality lost, where the curve is flat.
* **step up** at the smallest threshold where the requests at the margin (just at or above
  it) are fixed by the stronger tier at least ``gain`` of the time, net (mean strong - weak
  grade): the curve's slope, quality bought per dearer call, is steep enough there.

Both bars must hold at the low end of a one-sided 95% interval (mean - 1.645 standard
errors), so a threshold rests on evidence rather than on a lucky handful of requests.

A side that no threshold satisfies (with at least ``min_share`` of the requests moved)
never moves: difficulty then only moves requests on evidence the data supports, not
around a fixed prior. Scores should come from a model that has not seen the requests
(``tierwise router calibrate`` scores the public sources out of source; a team's own file
is scored by the model it refitted, which is shrunk toward the packaged prior).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tierwise.core.routing import score_only, scorer_text
from tierwise.core.rules import RoutingPolicy
from tierwise.core.signals import extract_signals
from tierwise.router.dataset import Example
from tierwise.router.metrics import quantile_edges

__all__ = ["Calibration", "CurvePoint", "FixedScores", "calibrate", "request_of"]

Z = 1.645  # one-sided 95%
NEVER_DOWN = 1e-4
NEVER_UP = 1 - 1e-4
GRID = 200


@dataclass(frozen=True)
class CurvePoint:
    """Moving the requests on one side of ``threshold``: ``share`` of all requests move;
    the qualities are measured on the margin (the ``window`` moved requests nearest the
    threshold), which is the local slope of the cost/quality curve.

    ``*_se`` are standard errors of the means, so a bar is met only with a one-sided 95%
    margin: a threshold is chosen on evidence, not on a lucky handful of requests.
    """

    threshold: float
    share: float
    weak_quality: float
    strong_quality: float
    weak_se: float = 0.0
    gain_se: float = 0.0

    @property
    def kept(self) -> float:
        """Share of the stronger tier's quality the cheaper one keeps on these requests."""
        return 1.0 if self.strong_quality <= 0 else self.weak_quality / self.strong_quality

    @property
    def kept_low(self) -> float:
        """``kept`` at the low end of its one-sided 95% interval."""
        if self.strong_quality <= 0:
            return 1.0
        return (self.weak_quality - Z * self.weak_se) / self.strong_quality

    @property
    def gain(self) -> float:
        """How often (net) the stronger tier fixes these requests."""
        return self.strong_quality - self.weak_quality

    @property
    def gain_low(self) -> float:
        return self.gain - Z * self.gain_se


@dataclass(frozen=True)
class Calibration:
    haiku_threshold: float
    sonnet_thinking_threshold: float
    opus_threshold: float
    down: CurvePoint | None
    up: CurvePoint | None
    examples: int
    keep: float
    gain: float
    curve_down: list[CurvePoint] = field(default_factory=list)
    curve_up: list[CurvePoint] = field(default_factory=list)

    def overrides(self) -> dict[str, Any]:
        return {
            "routing.haiku_threshold": round(self.haiku_threshold, 4),
            "routing.sonnet_thinking_threshold": round(self.sonnet_thinking_threshold, 4),
            "routing.opus_threshold": round(self.opus_threshold, 4),
        }


def request_of(prompt: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": [{"text": prompt}]}]}


class FixedScores:
    """A scorer that answers precomputed (e.g. out-of-source) scores for known texts."""

    version = "out-of-source"

    def __init__(self, table: Mapping[str, float], rescue: float = 0.5) -> None:
        self._table = dict(table)
        self._rescue = rescue

    def score(self, text: str) -> float:
        return self._table[text]

    def rescue(self, text: str) -> float:
        return self._rescue


def fixed_scores(
    examples: Sequence[Example], probabilities: Sequence[float], policy: RoutingPolicy
) -> FixedScores:
    """Key each probability by the text routing will ask the scorer about."""
    table = {
        scorer_text(extract_signals(request_of(e.prompt)), policy): p
        for e, p in zip(examples, probabilities, strict=True)
    }
    return FixedScores(table)


def _se(values: Sequence[float]) -> float:
    k = len(values)
    if k < 2:
        return float("inf")
    mean = sum(values) / k
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (k - 1) / k)


def _point(
    threshold: float, chosen: Sequence[int], examples: Sequence[Example], n: int
) -> CurvePoint:
    weak = [examples[i].weak for i in chosen]
    strong = [_strong(examples[i]) for i in chosen]
    k = len(chosen)
    return CurvePoint(
        threshold,
        k / n,
        sum(weak) / k,
        sum(strong) / k,
        _se(weak),
        _se([b - a for a, b in zip(weak, strong, strict=True)]),
    )


def _strong(e: Example) -> float:
    return e.weak if e.strong is None else e.strong


def calibrate(
    examples: Sequence[Example],
    scores: Sequence[float],
    policy: RoutingPolicy,
    *,
    keep: float = 0.97,
    gain: float = 0.25,
    min_share: float = 0.01,
    window: float = 0.1,
) -> Calibration:
    """Thresholds for ``scores`` (the router's final score per example)."""
    pairs = [(s, e) for s, e in zip(scores, examples, strict=True) if e.strong is not None]
    if len(pairs) < 20:
        raise ValueError("calibration needs at least 20 requests graded on both tiers")
    if not (0 < keep <= 1 and 0 < gain <= 1 and 0 < min_share < 0.5):
        raise ValueError("keep and gain must be in (0, 1], min_share in (0, 0.5)")
    ordered = sorted(pairs, key=lambda p: p[0])
    values = [s for s, _ in ordered]
    rows = [e for _, e in ordered]
    n = len(rows)
    edges = sorted(set(quantile_edges(values, GRID)))
    curve_down: list[CurvePoint] = []
    curve_up: list[CurvePoint] = []
    margin = max(int(window * n), 30)
    start = 0
    for t in edges:
        while start < n and values[start] < t:
            start += 1
        if start >= max(2, min_share * n):
            point = _point(t, range(max(0, start - margin), start), rows, n)
            curve_down.append(replace(point, share=start / n))
        if n - start >= max(2, min_share * n):
            point = _point(t, range(start, min(n, start + margin)), rows, n)
            curve_up.append(replace(point, share=(n - start) / n))
    down = max(
        (p for p in curve_down if p.kept_low >= keep), key=lambda p: p.threshold, default=None
    )
    up = min((p for p in curve_up if p.gain_low >= gain), key=lambda p: p.threshold, default=None)
    haiku_t = down.threshold if down is not None else NEVER_DOWN
    opus_t = up.threshold if up is not None else NEVER_UP
    if opus_t <= haiku_t:  # the curve cannot support both: keep the step down only
        opus_t, up = NEVER_UP, None
    band = policy.opus_threshold - policy.sonnet_thinking_threshold
    thinking_t = min(max(haiku_t, opus_t - band), opus_t)
    return Calibration(
        haiku_threshold=haiku_t,
        sonnet_thinking_threshold=thinking_t,
        opus_threshold=opus_t,
        down=down,
        up=up,
        examples=n,
        keep=keep,
        gain=gain,
        curve_down=curve_down,
        curve_up=curve_up,
    )


def configured(
    examples: Sequence[Example], scores: Sequence[float], policy: RoutingPolicy
) -> tuple[CurvePoint | None, CurvePoint | None]:
    """What the configured thresholds move: (stepped down, stepped up), on all moved."""
    pairs = [(s, e) for s, e in zip(scores, examples, strict=True) if e.strong is not None]
    n = len(pairs)
    rows = [e for _, e in pairs]
    down = [i for i, (s, _) in enumerate(pairs) if s < policy.haiku_threshold]
    up = [i for i, (s, _) in enumerate(pairs) if s >= policy.opus_threshold]
    return (
        _point(policy.haiku_threshold, down, rows, n) if down else None,
        _point(policy.opus_threshold, up, rows, n) if up else None,
    )


def router_scores(examples: Sequence[Example], policy: RoutingPolicy, scorer: Any) -> list[float]:
    """The router's final score (learned difficulty plus rule evidence) per example."""
    return [score_only(request_of(e.prompt), policy, scorer) for e in examples]

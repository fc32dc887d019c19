"""Router quality metrics, defined as RouteLLM defines them, so numbers are comparable.

RouteLLM (``routellm/evals``) sweeps thresholds at the edges of ``num_results`` equal-count
bins of the router's scores (``pandas.qcut``): at each edge a prompt goes to the strong model
when its score is ``>=`` the edge (``>`` at the last edge, which gives 0% strong). Each
threshold gives a point (% strong calls, quality). Then:

* AUC = trapezoid area of quality over the strong-call fraction;
* APGR = (AUC - weak AUC) / (strong AUC - weak AUC), the two reference AUCs taken over the
  same x range: the average share of the weak-to-strong quality gap the router recovers
  (a random router scores about 0.5);
* CPT(x%) = the % of strong calls needed to recover x% of the gap, by linear interpolation
  of % strong over quality (``numpy.interp``; assumes quality rises with strong calls).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Curve", "apgr", "apgr_interval", "auc", "cpt", "curve", "quantile_edges"]


@dataclass(frozen=True, slots=True)
class Curve:
    """Points sorted by strong-call share: ``strong_pct`` in [0, 100], ``quality`` 0-100."""

    strong_pct: tuple[float, ...]
    quality: tuple[float, ...]
    weak_quality: float
    strong_quality: float


def quantile_edges(values: Sequence[float], bins: int) -> list[float]:
    """Edges of ``bins`` equal-count bins (linear interpolation, like ``numpy.quantile``)."""
    ordered = sorted(values)
    n = len(ordered)
    edges = []
    for k in range(bins + 1):
        pos = (n - 1) * k / bins
        lo = int(pos)
        hi = min(lo + 1, n - 1)
        edges.append(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))
    return edges


def curve(
    scores: Sequence[float],
    weak: Sequence[float],
    strong: Sequence[float],
    *,
    num_results: int = 10,
) -> Curve:
    """The RouteLLM curve for a router's ``scores`` (higher = send to the strong model)."""
    n = len(scores)
    if not (n == len(weak) == len(strong)) or n == 0:
        raise ValueError("scores, weak and strong must be non-empty and of equal length")
    points: dict[float, float] = {}
    edges = quantile_edges(scores, num_results)
    for i, edge in enumerate(edges):
        last = i == len(edges) - 1
        chosen = [(s > edge) if last else (s >= edge) for s in scores]
        strong_calls = sum(chosen)
        quality = sum(st if c else wk for c, st, wk in zip(chosen, strong, weak, strict=True))
        points[strong_calls / n * 100] = quality / n * 100
    xs = sorted(points)
    return Curve(
        tuple(xs),
        tuple(points[x] for x in xs),
        sum(weak) / n * 100,
        sum(strong) / n * 100,
    )


def _trapezoid(ys: Sequence[float], xs: Sequence[float]) -> float:
    return sum((xs[i + 1] - xs[i]) * (ys[i] + ys[i + 1]) / 2 for i in range(len(xs) - 1))


def auc(c: Curve) -> float:
    return _trapezoid(c.quality, [x / 100 for x in c.strong_pct])


def apgr(c: Curve) -> float:
    xs = [x / 100 for x in c.strong_pct]
    weak_auc = _trapezoid([c.weak_quality] * len(xs), xs)
    strong_auc = _trapezoid([c.strong_quality] * len(xs), xs)
    if strong_auc == weak_auc:
        return 0.0
    return (auc(c) - weak_auc) / (strong_auc - weak_auc)


def cpt(c: Curve, gap_share: float) -> float:
    """% strong calls to reach ``gap_share`` (0-1) of the weak-to-strong gap."""
    target = c.weak_quality + gap_share * (c.strong_quality - c.weak_quality)
    xs, ys = c.quality, c.strong_pct
    if target <= xs[0]:
        return ys[0]
    for i in range(len(xs) - 1):
        lo, hi = xs[i], xs[i + 1]
        if lo <= target <= hi:
            if hi == lo:
                return ys[i]
            return ys[i] + (ys[i + 1] - ys[i]) * (target - lo) / (hi - lo)
    return ys[-1]


def apgr_interval(
    scores: Sequence[float],
    weak: Sequence[float],
    strong: Sequence[float],
    *,
    resamples: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """A percentile bootstrap interval for APGR (prompts resampled with replacement).

    Per-prompt outcomes are single samples, so a few hundred prompts leave APGR uncertain
    by several points; the report shows this interval beside each headline figure. Fixed
    ``seed``: the same data gives the same interval.
    """
    rng = random.Random(seed)
    n = len(scores)
    values = []
    for _ in range(resamples):
        pick = [rng.randrange(n) for _ in range(n)]
        c = curve([scores[i] for i in pick], [weak[i] for i in pick], [strong[i] for i in pick])
        values.append(apgr(c))
    values.sort()
    tail = (1 - level) / 2
    lo = values[int(tail * (resamples - 1))]
    hi = values[round((1 - tail) * (resamples - 1))]
    return lo, hi

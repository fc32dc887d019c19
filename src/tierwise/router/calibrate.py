"""Choosing the Haiku/Sonnet and Sonnet/Opus thresholds for a target users can state.

Targets: "keep at least Q of the top tier's quality at least cost" sets the Haiku threshold
(the smallest share of prompts sent above Haiku that keeps quality >= Q x all-strong quality
on labelled data, cheapest first), and "send at most X of requests to Opus" sets the Opus
threshold (the (1 - X) quantile of the router's scores). With only weak/strong labels the
weak model stands for Haiku and the strong one for the tiers above; say so when reporting.
Calibrate on the training half or a team's own data, never on the evaluation half.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tierwise.config import Settings
from tierwise.core.difficulty import DifficultyModel
from tierwise.core.pricing import Usage, price
from tierwise.core.routing import decide, score_only
from tierwise.core.tiers import Tier
from tierwise.core.tokens import count_text
from tierwise.router.dataset import Example
from tierwise.router.metrics import quantile_edges

__all__ = ["Calibration", "calibrate"]

ASSUMED_OUTPUT_TOKENS = 300


@dataclass(frozen=True)
class Calibration:
    haiku_threshold: float
    sonnet_thinking_threshold: float
    opus_threshold: float
    tier_mix: dict[str, int]
    expected_quality: float
    strong_quality: float
    cost_per_1k: Decimal
    all_opus_cost_per_1k: Decimal

    def overrides(self) -> dict[str, Any]:
        return {
            "routing.haiku_threshold": round(self.haiku_threshold, 4),
            "routing.sonnet_thinking_threshold": round(self.sonnet_thinking_threshold, 4),
            "routing.opus_threshold": round(self.opus_threshold, 4),
        }


def _request(prompt: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": [{"text": prompt}]}]}


def _quantile(values: Sequence[float], q: float) -> float:
    edges = quantile_edges(values, 1000)
    return edges[min(1000, max(0, round(q * 1000)))]


def _strong(e: Example) -> float:
    return e.weak if e.strong is None else e.strong


def _clamp(value: float) -> float:
    return min(max(value, 1e-4), 1 - 1e-4)


def calibrate(
    examples: Sequence[Example],
    model: DifficultyModel | None,
    settings: Settings,
    *,
    quality: float = 0.95,
    max_opus_share: float = 0.10,
) -> Calibration:
    # Only prompts graded on both tiers say what sending one up is worth.
    examples = [e for e in examples if e.strong is not None]
    if not examples:
        raise ValueError("calibration needs examples with outcomes on both tiers")
    if not (0 < quality <= 1 and 0 <= max_opus_share <= 1):
        raise ValueError("quality must be in (0, 1] and max_opus_share in [0, 1]")
    policy = settings.routing_policy()
    scores = [score_only(_request(e.prompt), policy, model) for e in examples]
    order = sorted(range(len(examples)), key=lambda i: scores[i], reverse=True)
    strong_quality = sum(_strong(e) for e in examples) / len(examples)
    target = quality * strong_quality
    # Send the hardest-scored prompts up first, until quality reaches the target.
    current = sum(e.weak for e in examples)
    needed = len(examples)
    for k, i in enumerate(order):
        if current / len(examples) >= target:
            needed = k
            break
        current += _strong(examples[i]) - examples[i].weak
    else:
        needed = len(examples)
    above = needed / len(examples)
    haiku_t = _quantile(scores, 1 - above) if above < 1 else 0.0
    opus_t = _quantile(scores, 1 - max_opus_share) if max_opus_share < 1 else 0.0
    opus_t = max(opus_t, haiku_t + 1e-4)
    band = policy.opus_threshold - policy.sonnet_thinking_threshold
    thinking_t = max(haiku_t + 5e-5, opus_t - band)
    haiku_t, thinking_t, opus_t = (_clamp(v) for v in (haiku_t, thinking_t, opus_t))
    tuned = settings.with_overrides(
        {
            "routing.haiku_threshold": haiku_t,
            "routing.sonnet_thinking_threshold": thinking_t,
            "routing.opus_threshold": opus_t,
        }
    )
    tuned_policy = tuned.routing_policy()
    mix: Counter[str] = Counter()
    cost = Decimal(0)
    all_opus = Decimal(0)
    achieved = 0.0
    for e in examples:
        tier = decide(_request(e.prompt), policy=tuned_policy, scorer=model).tier
        mix[tier.value] += 1
        achieved += e.weak if tier is Tier.HAIKU else _strong(e)
        usage = Usage(input=count_text(e.prompt), output=ASSUMED_OUTPUT_TOKENS)
        cost += price(usage, tuned.rates(tier)).total
        all_opus += price(usage, tuned.rates(Tier.OPUS)).total
    scale = Decimal(1000) / len(examples)
    return Calibration(
        haiku_threshold=haiku_t,
        sonnet_thinking_threshold=thinking_t,
        opus_threshold=opus_t,
        tier_mix={t.value: mix.get(t.value, 0) for t in Tier},
        expected_quality=achieved / len(examples),
        strong_quality=strong_quality,
        cost_per_1k=cost * scale,
        all_opus_cost_per_1k=all_opus * scale,
    )

"""Spend reports from ledger rows: totals, groupings and savings (pure, exact).

Savings are recomputed from the same token counts at the configured prices, so the figures
are exact and reproducible:

* versus all-Opus / all-Sonnet: every answered call priced at that tier's on-demand rates;
* caching saved: what the cached tokens would have cost as plain input, minus what the cache
  reads and writes did cost;
* batch saved: the on-demand price of batch calls minus their batch price.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from tierwise.core.pricing import Rates, Usage, price
from tierwise.core.tiers import Tier

__all__ = ["Group", "SpendReport", "SpendRow", "plain_usd", "report"]

GroupBy = Literal["tier", "day", "key", "model"]
_ZERO = Decimal(0)


def plain_usd(amount: Decimal) -> str:
    """An exact amount in one plain notation for CSV and JSON: '0', '0.000123', '12.5'
    (a zero cost priced from ``0.00``-style rates was '0.00' beside '0.000123')."""
    return format(amount.normalize(), "f")


@dataclass(frozen=True, slots=True)
class SpendRow:
    day: date
    request_id: str
    tier: str | None
    model_id: str
    api_key_id: str | None
    usage: Usage
    cost: Decimal
    batch: bool
    status: str
    kind: str = "answer"
    service_tier: str = "default"
    # Cache-aware routing: the expected saving its choice made for this row's request (the
    # routed tier's expected cost minus the chosen one's), and whether it moved the request.
    cache_saving: Decimal | None = None
    cache_moved: bool = False
    guardrail_intervened: bool = False
    guardrail_cost: Decimal = _ZERO
    """The part of ``cost`` that Bedrock Guardrails' assessments billed (any tier pays it)."""

    def price_at(self, rates: Rates, *, batch: bool | None = None) -> Decimal:
        """This row's usage at ``rates``, through the same profile kind and service tier
        (``batch`` overrides whether it is priced as batch)."""
        return price(
            self.usage,
            rates,
            batch=self.batch if batch is None else batch,
            model_id=self.model_id or None,
            service_tier=self.service_tier,
        ).total


@dataclass
class Group:
    name: str
    requests: set[str] = field(default_factory=set)
    calls: int = 0
    usage: Usage = field(default_factory=Usage)
    cost: Decimal = _ZERO
    guardrail_interventions: int = 0
    """Calls a Bedrock guardrail stopped (stop reason ``guardrail_intervened``)."""
    guardrail_cost: Decimal = _ZERO
    """The part of ``cost`` billed for guardrail assessments."""

    def add(self, row: SpendRow) -> None:
        self.requests.add(row.request_id)
        self.calls += 1
        self.guardrail_interventions += row.guardrail_intervened
        self.usage = self.usage + row.usage
        self.cost += row.cost
        self.guardrail_cost += row.guardrail_cost

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.name,
            "requests": len(self.requests),
            "calls": self.calls,
            "input_tokens": self.usage.input,
            "output_tokens": self.usage.output,
            "cache_read_tokens": self.usage.cache_read,
            "cache_write_tokens": self.usage.cache_write,
            "cost_usd": plain_usd(self.cost),
            "guardrail_interventions": self.guardrail_interventions,
            "guardrail_cost_usd": plain_usd(self.guardrail_cost),
        }


@dataclass
class SpendReport:
    total: Group
    groups: list[Group]
    tier_mix: dict[str, float]
    escalation_rate: float
    cache_hit_ratio: float
    batch_share: float
    vs_all_opus: Decimal
    vs_all_sonnet: Decimal
    caching_saved: Decimal
    batch_saved: Decimal
    all_opus_cost: Decimal
    all_sonnet_cost: Decimal
    cache_aware_moves: int = 0
    cache_aware_saved: Decimal = _ZERO
    # Answered requests whose tier cache-aware routing chose (moved or not): what
    # cache_aware_saved is summed over.
    cache_aware_requests: int = 0
    # Requests with an answer: the tier mix's denominator (the groups also count failed ones).
    answered: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total.to_dict(),
            "groups": [g.to_dict() for g in self.groups],
            "tier_mix": self.tier_mix,
            "answered_requests": self.answered,
            "escalation_rate": self.escalation_rate,
            "cache_hit_ratio": self.cache_hit_ratio,
            "batch_share": self.batch_share,
            "savings": {
                "vs_all_opus_usd": plain_usd(self.vs_all_opus),
                "vs_all_sonnet_usd": plain_usd(self.vs_all_sonnet),
                "caching_saved_usd": plain_usd(self.caching_saved),
                "batch_saved_usd": plain_usd(self.batch_saved),
                "all_opus_cost_usd": plain_usd(self.all_opus_cost),
                "all_sonnet_cost_usd": plain_usd(self.all_sonnet_cost),
                "cache_aware_saved_usd": plain_usd(self.cache_aware_saved),
                "cache_aware_moves": self.cache_aware_moves,
                "cache_aware_requests": self.cache_aware_requests,
            },
        }


_KEYS: dict[str, Callable[[SpendRow], str]] = {
    "tier": lambda r: r.tier or "passthrough",
    "day": lambda r: r.day.isoformat(),
    "key": lambda r: r.api_key_id or "(no key)",
    "model": lambda r: r.model_id,
}


def _uncached(usage: Usage) -> Usage:
    return Usage(input=usage.prompt_total, output=usage.output)


def report(
    rows: Iterable[SpendRow], rates: Mapping[Tier, Rates], *, by: GroupBy = "tier"
) -> SpendReport:
    """Totals, groups by ``by``, and savings for ``rows`` at ``rates``."""
    key_of = _KEYS[by]
    total = Group("total")
    groups: dict[str, Group] = {}
    answers_per_request: dict[str, int] = defaultdict(int)
    final_tier: dict[str, str] = {}
    all_opus = all_sonnet = caching = batch_saved = batch_cost = _ZERO
    cache_seen: set[str] = set()
    cache_saved = _ZERO
    cache_moves = 0
    for row in rows:
        if row.cache_saving is not None and row.request_id not in cache_seen:
            cache_seen.add(row.request_id)
            cache_saved += row.cache_saving
            cache_moves += int(row.cache_moved)
        total.add(row)
        groups.setdefault(key_of(row), Group(key_of(row))).add(row)
        if row.kind == "answer" and row.status != "error":
            answers_per_request[row.request_id] += 1
            final_tier[row.request_id] = row.tier or "passthrough"
        # Guardrail assessments are billed whichever tier answers: in the counterfactuals too.
        all_opus += row.guardrail_cost
        all_sonnet += row.guardrail_cost
        if row.status == "error":
            continue
        all_opus += row.price_at(rates[Tier.OPUS])
        all_sonnet += row.price_at(rates[Tier.SONNET])
        tier = Tier(row.tier) if row.tier in {t.value for t in Tier} else None
        if tier is not None:
            own = rates[tier]
            paid = row.price_at(own)
            uncached = replace(row, usage=_uncached(row.usage))
            caching += uncached.price_at(own) - paid
            if row.batch:
                batch_saved += row.price_at(own, batch=False) - paid
        if row.batch:
            batch_cost += row.cost
    requests = len(answers_per_request) or 1
    mix: dict[str, int] = defaultdict(int)
    for tier_name in final_tier.values():
        mix[tier_name] += 1
    prompt = total.usage.prompt_total or 1
    return SpendReport(
        total=total,
        groups=sorted(groups.values(), key=lambda g: g.name),
        tier_mix={k: v / requests for k, v in sorted(mix.items())},
        escalation_rate=sum(1 for n in answers_per_request.values() if n > 1) / requests,
        cache_hit_ratio=total.usage.cache_read / prompt,
        batch_share=float(batch_cost / total.cost) if total.cost else 0.0,
        vs_all_opus=all_opus - total.cost,
        vs_all_sonnet=all_sonnet - total.cost,
        caching_saved=caching,
        batch_saved=batch_saved,
        cache_aware_moves=cache_moves,
        cache_aware_saved=cache_saved,
        cache_aware_requests=len(cache_seen),
        all_opus_cost=all_opus,
        all_sonnet_cost=all_sonnet,
        answered=len(answers_per_request),
    )

"""What routed traffic would have cost: the ledger's shadow decisions, re-priced.

In shadow mode every request runs on the model it asked for and the router's decision is
recorded beside it (``route["shadow"]``). This report prices each request's answer again at
the tier the router chose, from the same token counts, through the same kind of profile
(global, geographic ...) and on the same service tier the request really ran on: the
estimate assumes the other tier would have read and written as many tokens, which holds for
input and is an approximation for output. Escalations and retries are counted at what they
really cost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tierwise.core.pricing import Rates, Usage, price
from tierwise.core.spend import plain_usd
from tierwise.core.tiers import Tier

__all__ = ["ShadowGroup", "ShadowReport", "ShadowRow", "shadow_report"]


@dataclass(frozen=True, slots=True)
class ShadowRow:
    request_id: str
    tier: str | None
    usage: Usage
    cost: Decimal
    batch: bool
    status: str
    route: Mapping[str, Any] | None
    model_id: str = ""  # the profile or model that answered: its kind moves the price
    service_tier: str = "default"


@dataclass
class ShadowGroup:
    name: str
    requests: int = 0
    actual_cost: Decimal = Decimal(0)
    shadow_cost: Decimal = Decimal(0)
    moves: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def saving(self) -> Decimal:
        return self.actual_cost - self.shadow_cost

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.name,
            "requests": self.requests,
            "actual_cost_usd": plain_usd(self.actual_cost),
            "shadow_cost_usd": plain_usd(self.shadow_cost),
            "saving_usd": plain_usd(self.saving),
            "moves": dict(sorted(self.moves.items())),
        }


@dataclass
class ShadowReport:
    total: ShadowGroup
    by_class: list[ShadowGroup]

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total.to_dict(), "by_class": [g.to_dict() for g in self.by_class]}


def _class_name(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("name")
    return str(value) if value else None


def shadow_report(rows: Iterable[ShadowRow], rates: Mapping[Tier, Rates]) -> ShadowReport:
    """Actual and routed cost of every request that carries a shadow decision."""
    actual: dict[str, Decimal] = defaultdict(Decimal)
    final: dict[str, ShadowRow] = {}
    for row in rows:
        if not row.route or "shadow" not in row.route:
            continue
        actual[row.request_id] += row.cost
        if row.status == "ok":
            final[row.request_id] = row
    total = ShadowGroup("total")
    groups: dict[str, ShadowGroup] = {}
    for request_id, row in final.items():
        shadow = row.route["shadow"] if row.route else {}
        routed = Tier(shadow["tier"])
        name = _class_name(shadow.get("task_class")) or "(no class)"
        cost = price(
            row.usage,
            rates[routed],
            batch=row.batch,
            model_id=row.model_id or None,
            service_tier=row.service_tier,
        ).total
        for group in (total, groups.setdefault(name, ShadowGroup(name))):
            group.requests += 1
            group.actual_cost += actual[request_id]
            group.shadow_cost += cost
            group.moves[f"{row.tier or 'passthrough'}->{routed.value}"] += 1
    return ShadowReport(total, sorted(groups.values(), key=lambda g: g.name))

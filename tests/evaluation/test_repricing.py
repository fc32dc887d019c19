"""Re-pricing at another tier (shadow report, evaluation volume and worst case, the demo's
all-Opus column) goes through the profile kind and service tier the call really used: a
geographic profile costs more than a global one, and a flex call less than a default one."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tierwise.cli.app import app
from tierwise.cli.evaluate_cmd import _volume_and_cost
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.pricing import ProfileKind, ServiceTier, Usage, price
from tierwise.core.shadow import ShadowRow, shadow_report
from tierwise.core.tiers import Tier
from tierwise.evaluator import Evaluator
from tierwise.store import LedgerRow, open_ledger

GEO_OPUS = "us.anthropic.claude-opus-4-5-20251101-v1:0"
USAGE = Usage(input=1200, output=300)


def _row(model_id: str, service_tier: str = "default") -> ShadowRow:
    cost = Decimal("0.01")
    route = {"shadow": {"tier": "haiku", "task_class": {"name": "classify"}}}
    return ShadowRow("r1", "opus", USAGE, cost, False, "ok", route, model_id, service_tier)


def test_shadow_cost_goes_through_the_profile_and_service_tier_used(
    default_settings: Settings,
) -> None:
    rates = default_settings.all_rates()
    haiku = rates[Tier.HAIKU]
    geo = shadow_report([_row(GEO_OPUS)], rates).total.shadow_cost
    assert geo == price(USAGE, haiku, model_id=GEO_OPUS).total
    glob = shadow_report([_row(GEO_OPUS.replace("us.", "global."))], rates).total.shadow_cost
    # the configured geographic premium, not a number written here
    assert geo == glob * haiku.factor(ProfileKind.GEOGRAPHIC, ServiceTier.DEFAULT)
    assert geo > glob
    flex = shadow_report([_row(GEO_OPUS, "flex")], rates).total.shadow_cost
    assert flex == price(USAGE, haiku, model_id=GEO_OPUS, service_tier="flex").total


def test_evaluation_volume_cost_goes_through_the_profile_used(default_settings: Settings) -> None:
    row = LedgerRow(
        id=1, ts=datetime.now(UTC), request_id="a", attempt=1, tier="opus", model_id=GEO_OPUS,
        input_tokens=USAGE.input, output_tokens=USAGE.output, cache_read_tokens=0,
        cache_write_5m_tokens=0, cache_write_1h_tokens=0, cost_usd=Decimal("0.02"),
        latency_ms=1.0, status="ok", route={"task_class": {"name": "classify"}},
        metadata={"service_tier": "priority"},
    )  # fmt: skip
    volume, cost = _volume_and_cost([row], default_settings, 30)
    assert volume == {"classify": 1.0}
    haiku = default_settings.rates(Tier.HAIKU)
    want = price(USAGE, haiku, model_id=GEO_OPUS, service_tier="priority").total
    assert cost("classify", Tier.HAIKU) == want


def test_evaluation_worst_case_takes_the_dearest_profile_of_the_tier(tw: Tierwise) -> None:
    evaluator = Evaluator(tw, tiers=[Tier.HAIKU, Tier.OPUS], budget_usd=Decimal(1))
    request = {"messages": [{"role": "user", "content": [{"text": "hello " * 50}]}]}
    worst = evaluator.worst_case(Tier.OPUS, request)
    ts = tw.settings.tier(Tier.OPUS)
    assert any(a.startswith("us.") for a in ts.alternates)  # failover reaches a geographic one
    rates = tw.settings.rates(Tier.OPUS)
    by_profile = {
        p: evaluator_bound(rates, request, evaluator, p) for p in (ts.model_id, *ts.alternates)
    }
    assert worst == max(by_profile.values()) > by_profile[ts.model_id]
    assert evaluator.worst_case(Tier.OPUS, request, batch=True) == worst * rates.batch_discount


def evaluator_bound(rates: Any, request: Any, evaluator: Evaluator, profile: str) -> Decimal:
    # The prompt's upper bound (what a cut call is charged) at the input rate: the request
    # has no cache point and tierwise places none on it (below the cache minimum).
    from tierwise.core.tokens import input_upper_bound

    n = input_upper_bound(request)
    out = evaluator.max_tokens
    return price(Usage(input=n, output=out), rates, model_id=profile).total


def test_demo_all_opus_column_uses_the_profile_each_call_went_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_settings: Settings
) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("TIERWISE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")
    for tier in Tier.ordered():
        geo = next(a for a in default_settings.tier(tier).alternates if a.startswith("us."))
        monkeypatch.setenv(f"TIERWISE_TIERS__{tier.name}__MODEL_ID", geo)
    ledger_path = tmp_path / "demo.db"
    result = CliRunner().invoke(app, ["demo", "--ledger", str(ledger_path)])
    assert result.exit_code == 0, result.output
    printed = re.search(r"would have cost \$([0-9.]+)", result.stdout)
    assert printed is not None, result.stdout
    with open_ledger(f"sqlite:///{ledger_path}") as ledger:
        last = {r.request_id: r for r in ledger.rows() if r.status == "ok"}
    assert last and all(r.model_id.startswith("us.") for r in last.values())
    opus = default_settings.rates(Tier.OPUS)
    want = sum((price(r.usage, opus, model_id=r.model_id).total for r in last.values()), Decimal(0))
    assert Decimal(printed.group(1)) == want.quantize(Decimal("0.000001"))

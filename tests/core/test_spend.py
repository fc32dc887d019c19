"""Spend reports and savings against hand computations."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from tierwise.config import load_settings
from tierwise.core.pricing import Usage
from tierwise.core.spend import SpendRow, report
from tierwise.core.tiers import Tier

SETTINGS = load_settings(environ={}).settings
# Haiku $1/$5, Sonnet $3/$15, Opus $5/$25 at global profiles. The 1M-token rows below are
# above Sonnet's long-context band; these sums check the report's arithmetic at one rate
# per tier, so the bands are left out here (test_report_prices_bands_kinds_and_tiers).
RATES = {t: replace(r, bands=()) for t, r in SETTINGS.all_rates().items()}
D = date(2026, 11, 20)
MODEL = {t: SETTINGS.tier(t).model_id for t in Tier}


def row(req: str, tier: str, usage: Usage, cost: str, **kw: object) -> SpendRow:
    return SpendRow(
        day=kw.get("day", D),  # type: ignore[arg-type]
        request_id=req,
        tier=tier,
        model_id=str(kw.get("model_id", MODEL[Tier(tier)])),
        api_key_id=kw.get("key"),  # type: ignore[arg-type]
        usage=usage,
        cost=Decimal(cost),
        batch=bool(kw.get("batch", False)),
        status=str(kw.get("status", "ok")),
        service_tier=str(kw.get("service_tier", "default")),
    )


ROWS = [
    # r1: Haiku, 1M in + 1M out = $1 + $5 = $6
    row("r1", "haiku", Usage(input=1_000_000, output=1_000_000), "6", key="k1"),
    # r2: Haiku rejected ($6) then Sonnet ($18): an escalation
    row("r2", "haiku", Usage(input=1_000_000, output=1_000_000), "6", status="rejected", key="k1"),
    row("r2", "sonnet", Usage(input=1_000_000, output=1_000_000), "18", key="k2"),
    # r3: Sonnet with 1M cache read: $0.30 read + 1M out $15 = $15.30
    row(
        "r3",
        "sonnet",
        Usage(cache_read=1_000_000, output=1_000_000),
        "15.30",
        day=date(2026, 11, 21),
    ),
    # r4: Opus batch, 1M in + 1M out at 50%: $2.50 + $12.50 = $15
    row("r4", "opus", Usage(input=1_000_000, output=1_000_000), "15", batch=True),
]


def test_totals_groups_and_rates() -> None:
    r = report(ROWS, RATES, by="tier")
    assert r.total.cost == Decimal("60.30")
    assert [(g.name, len(g.requests), g.calls, g.cost) for g in r.groups] == [
        ("haiku", 2, 2, Decimal("12")),
        ("opus", 1, 1, Decimal("15")),
        ("sonnet", 2, 2, Decimal("33.30")),
    ]
    assert r.escalation_rate == 1 / 4
    assert r.tier_mix == {"haiku": 0.25, "opus": 0.25, "sonnet": 0.5}
    # Prompt tokens: 1M + 1M + 1M + 1M(read) + 1M = 5M; 1M read.
    assert r.cache_hit_ratio == 0.2
    assert r.batch_share == float(Decimal("15") / Decimal("60.30"))


def test_savings_by_hand() -> None:
    r = report(ROWS, RATES)
    # All-Opus: r1 $30, r2 $30 + $30, r3 1M read at $0.50 + 1M out $25 = $25.50, r4 batch $15.
    assert r.all_opus_cost == Decimal("130.50")
    assert r.vs_all_opus == Decimal("130.50") - Decimal("60.30")
    # All-Sonnet: $18 + $18 + $18 + $15.30 + batch $9 = $78.30
    assert r.all_sonnet_cost == Decimal("78.30")
    # Caching: r3's 1M read as plain input would be $3 instead of $0.30.
    assert r.caching_saved == Decimal("2.70")
    # Batch: r4 on demand $30 vs $15.
    assert r.batch_saved == Decimal("15")


def test_group_by_key_and_day() -> None:
    by_key = {g.name: g.cost for g in report(ROWS, RATES, by="key").groups}
    assert by_key == {"k1": Decimal("12"), "k2": Decimal("18"), "(no key)": Decimal("30.30")}
    by_day = {g.name: g.cost for g in report(ROWS, RATES, by="day").groups}
    assert by_day == {"2026-11-20": Decimal("45"), "2026-11-21": Decimal("15.30")}


def test_report_prices_bands_kinds_and_tiers() -> None:
    """The counterfactuals re-price each row through its profile kind, service tier and
    context band, as the ledger priced it."""
    rates = SETTINGS.all_rates()
    sonnet_us = SETTINGS.tier(Tier.SONNET).alternates[0]
    assert sonnet_us.startswith("us.")
    rows = [
        # 300k in + 1k out on Sonnet: above 200k, so $6 / $22.50: 1.8 + 0.0225 = $1.8225
        row("a", "sonnet", Usage(input=300_000, output=1_000), "1.8225"),
        # 100k in + 1k out on Sonnet's us. profile (1.10x): (0.3 + 0.015) x 1.1 = $0.3465
        row("b", "sonnet", Usage(input=100_000, output=1_000), "0.3465", model_id=sonnet_us),
        # 100k in + 1k out on flex (0.50x): (0.3 + 0.015) x 0.5 = $0.1575
        row("c", "sonnet", Usage(input=100_000, output=1_000), "0.1575", service_tier="flex"),
    ]
    r = report(rows, rates)
    # All-Sonnet equals what was paid: each row re-priced exactly as the ledger priced it.
    assert r.all_sonnet_cost == Decimal("1.8225") + Decimal("0.3465") + Decimal("0.1575")
    assert r.vs_all_sonnet == 0
    # All-Opus has no long-context band: a: 1.5 + 0.025 = 1.525; b: (0.5 + 0.025) x 1.1 =
    # 0.5775; c: 0.525 x 0.5 = 0.2625
    assert r.all_opus_cost == Decimal("1.525") + Decimal("0.5775") + Decimal("0.2625")


def test_savings_in_json_are_plain_decimals() -> None:
    """The savings came out as Decimal's str: '0E-7' in `spend --format json` (seen on a
    ledger without cache reads) and /v1/spend, '0.00' here, beside plain group costs."""
    uncached = [r for r in ROWS if r.usage.cache_read == 0 and not r.batch]
    savings = report(uncached, RATES).to_dict()["savings"]
    assert savings["caching_saved_usd"] == "0" and savings["batch_saved_usd"] == "0"
    assert all("E" not in str(v) for v in savings.values()), savings
    assert savings["vs_all_opus_usd"] == "60"  # r1 $30 + r2 $60 all-Opus, minus $30 paid


def test_cache_aware_saving_counts_only_answered_calls_on_the_chosen_tier() -> None:
    # A 500k-token prompt moved to Opus for its cache write, then refused by Bedrock (over
    # the context window): `tierwise spend` reported "moved 1 request ... saving $0.624004"
    # beside that $0.00 error row. Only a call the choice made and that answered saved.
    from datetime import UTC, datetime

    from tierwise.reports import spend_rows
    from tierwise.store import LedgerRow

    cache = {"tier": "opus", "preferred": "sonnet", "saving_usd": "0.624004"}

    def ledger_row(req: str, tier: str, status: str, attempt: int = 1) -> LedgerRow:
        return LedgerRow(
            id=None,
            ts=datetime(2026, 11, 20, tzinfo=UTC),
            request_id=req,
            attempt=attempt,
            tier=tier,
            model_id=MODEL[Tier(tier)],
            input_tokens=0 if status == "error" else 10,
            output_tokens=0 if status == "error" else 10,
            cache_read_tokens=0,
            cache_write_5m_tokens=0,
            cache_write_1h_tokens=0,
            cost_usd=Decimal("0") if status == "error" else Decimal("0.0003"),
            latency_ms=1.0,
            status=status,
            route={"tier": tier, "cache": cache},
        )

    refused = [ledger_row("r1", "opus", "error")]
    r = report(spend_rows(refused), RATES)
    assert (r.cache_aware_moves, r.cache_aware_saved) == (0, Decimal(0))
    # A request whose chosen tier failed and that another tier answered saved nothing either.
    failed_over = [ledger_row("r2", "opus", "error"), ledger_row("r2", "sonnet", "ok", 2)]
    r = report(spend_rows(failed_over), RATES)
    assert (r.cache_aware_moves, r.cache_aware_saved) == (0, Decimal(0))
    # Throttled once, then answered on the chosen tier: counted once.
    retried = [ledger_row("r3", "opus", "error"), ledger_row("r3", "opus", "ok", 2)]
    r = report(spend_rows(retried), RATES)
    assert (r.cache_aware_moves, r.cache_aware_saved) == (1, Decimal("0.624004"))

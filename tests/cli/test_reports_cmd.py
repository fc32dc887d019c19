"""`tierwise spend` and `tierwise credits` on a seeded ledger."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tierwise.cli.app import app
from tierwise.store import LedgerRow, open_ledger


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "seed.db"
    monkeypatch.setenv("TIERWISE_LEDGER__URL", f"sqlite:///{db}")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    now = datetime.now(UTC)
    with open_ledger(f"sqlite:///{db}") as ledger:
        for day in range(7):
            ledger.record(
                LedgerRow(
                    id=None, ts=now - timedelta(days=day), request_id=f"r{day}", attempt=1,
                    tier="sonnet", model_id="global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                    input_tokens=1_000_000, output_tokens=0, cache_read_tokens=0,
                    cache_write_5m_tokens=0, cache_write_1h_tokens=0, cost_usd=Decimal("3"),
                    latency_ms=5.0, status="ok",
                )
            )  # fmt: skip
    return tmp_path


def test_spend_json(seeded: Path) -> None:
    result = CliRunner().invoke(app, ["spend", "--since", "30d", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total"]["cost_usd"] == "21"  # 7 x $3
    assert data["total"]["requests"] == 7
    # All-Opus: 7M input at $5/M = $35; saved $14.
    assert data["savings"]["vs_all_opus_usd"] == "14"
    assert data["tier_mix"] == {"sonnet": 1.0}


def test_spend_table_csv_and_bad_options(seeded: Path) -> None:
    table = CliRunner().invoke(app, ["spend", "--by", "day"])
    assert table.exit_code == 0 and "saved $14.00" in table.stdout
    csv_out = CliRunner().invoke(app, ["spend", "--format", "csv", "--since", "2d"])
    lines = csv_out.stdout.strip().splitlines()
    assert lines[0].startswith("group,requests") and lines[-1].startswith("total,")
    bad = CliRunner().invoke(app, ["spend", "--by", "colour"])
    assert bad.exit_code != 0


def test_credits(seeded: Path) -> None:
    today = datetime.now(UTC).date()
    (seeded / "tierwise.toml").write_text(
        "[[credits]]\n"
        f'name = "Bedrock POC"\namount = "30"\nstart = {today - timedelta(days=60)}\n'
        f'expires = {today + timedelta(days=365)}\ncovers = "Bedrock"\n'
    )
    result = CliRunner().invoke(app, ["credits", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (pool,) = data["pools"]
    assert pool["used_usd"] == "21" and pool["balance_usd"] == "9"
    # $9 left at $3/day: empty three days from today; the card pays from the fourth.
    assert pool["runs_out"] == (today + timedelta(days=3)).isoformat()
    assert data["card_from"] == (today + timedelta(days=4)).isoformat()
    assert any("runs out" in w for w in data["warnings"])


def test_credits_without_pools_is_a_clear_error(seeded: Path) -> None:
    result = CliRunner().invoke(app, ["credits"])
    assert result.exit_code != 0
    assert "no credit pools" in str(result.exception)


def test_spend_above_a_baseline_says_it_cost_more(seeded: Path) -> None:
    # One Opus request writing 10M tokens ($250; $150 on Sonnet) makes the ledger dearer
    # than all-Sonnet, which was printed "saved $-79.000000 vs all-Sonnet".
    with open_ledger(f"sqlite:///{seeded / 'seed.db'}") as ledger:
        ledger.record(
            LedgerRow(
                id=None, ts=datetime.now(UTC), request_id="opus", attempt=1, tier="opus",
                model_id="global.anthropic.claude-opus-4-5-20251101-v1:0",
                input_tokens=0, output_tokens=10_000_000, cache_read_tokens=0,
                cache_write_5m_tokens=0, cache_write_1h_tokens=0, cost_usd=Decimal("250"),
                latency_ms=5.0, status="ok",
            )
        )  # fmt: skip
    table = CliRunner().invoke(app, ["spend"])
    assert table.exit_code == 0, table.output
    assert "$-" not in table.stdout
    # All-Sonnet re-prices the seeded 1M-token prompts in Sonnet 4.5's >200k band ($6/M).
    assert "cost $79.000000 more than all-Sonnet ($192.000000)" in table.stdout
    assert "saved $14.000000 vs all-Opus ($285.000000)" in table.stdout


def test_a_credit_pool_that_expires_before_it_starts_is_a_config_error(seeded: Path) -> None:
    # It was accepted and reported "expires on 2025-06-30 with about $5.00 unused".
    (seeded / "tierwise.toml").write_text(
        '[[credits]]\nname = "x"\namount = "5"\nstart = 2026-01-01\nexpires = 2025-06-30\n'
    )
    result = CliRunner().invoke(app, ["credits"])
    assert result.exit_code != 0
    assert "pool 'x' expires (2025-06-30) before it starts (2026-01-01)" in str(result.exception)


def test_spend_by_key_table_names_each_key(seeded: Path) -> None:
    # The table showed key ids alone ("6117789423a7"), a trip to `keys list` for each;
    # CSV and JSON keep the bare id as the group.
    from tierwise.store.keys import KeyStore
    from tierwise.store.sql import SQLLedger

    with open_ledger(f"sqlite:///{seeded / 'seed.db'}") as ledger:
        assert isinstance(ledger, SQLLedger)
        key, _ = KeyStore(ledger).create("search-team")
        ledger.record(
            LedgerRow(
                id=None, ts=datetime.now(UTC), request_id="k1", attempt=1, tier="sonnet",
                model_id="global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                input_tokens=10, output_tokens=0, cache_read_tokens=0,
                cache_write_5m_tokens=0, cache_write_1h_tokens=0, cost_usd=Decimal("0.00003"),
                latency_ms=5.0, status="ok", api_key_id=key.id,
            )
        )  # fmt: skip
    table = CliRunner().invoke(app, ["spend", "--by", "key"])
    assert table.exit_code == 0, table.output
    assert f"{key.id} (search-team)" in table.stdout
    assert "(no key)" in table.stdout
    csv_out = CliRunner().invoke(app, ["spend", "--by", "key", "--format", "csv"]).stdout
    assert f"\n{key.id},1," in csv_out


def test_a_report_on_a_ledger_file_that_does_not_exist_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A typo in --db created an empty ledger there and reported $0 of spend.
    monkeypatch.setenv("COLUMNS", "200")
    typo = tmp_path / "ledgr.db"
    result = CliRunner().invoke(app, ["--db", str(typo), "spend", "--format", "json"])
    assert result.exit_code == 1
    assert "no ledger at" in str(result.exception) and not typo.exists()
    monkeypatch.setenv("TIERWISE_LEDGER__URL", f"sqlite:///{typo}")
    assert CliRunner().invoke(app, ["spend"]).exit_code == 1
    assert not typo.exists()


def test_the_tier_mix_says_it_counts_answered_requests(seeded: Path) -> None:
    # A failed request is in the table's request counts but not in the mix: the line said
    # "tier mix (by request)" over a different denominator than the table's.
    with open_ledger(f"sqlite:///{seeded / 'seed.db'}") as ledger:
        ledger.record(
            LedgerRow(
                id=None, ts=datetime.now(UTC), request_id="failed", attempt=1, tier="haiku",
                model_id="global.anthropic.claude-haiku-4-5-20251001-v1:0",
                input_tokens=0, output_tokens=0, cache_read_tokens=0, cache_write_5m_tokens=0,
                cache_write_1h_tokens=0, cost_usd=Decimal("0"), latency_ms=5.0,
                status="error", error_class="ThrottledError",
            )
        )  # fmt: skip
    table = CliRunner().invoke(app, ["spend"])
    assert table.exit_code == 0, table.output
    assert "tier mix (of 7 answered requests; 1 without an answer): sonnet 100.0%" in table.stdout
    data = json.loads(CliRunner().invoke(app, ["spend", "--format", "json"]).stdout)
    assert (data["total"]["requests"], data["answered_requests"]) == (8, 7)


def test_caching_that_cost_more_says_so(seeded: Path) -> None:
    # A 1 h cache write (2x input) never read back made caching's saving negative, and the
    # line read "caching saved $-0.005400".
    with open_ledger(f"sqlite:///{seeded / 'seed.db'}") as ledger:
        ledger.record(
            LedgerRow(
                id=None, ts=datetime.now(UTC), request_id="write", attempt=1, tier="sonnet",
                model_id="global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                input_tokens=0, output_tokens=0, cache_read_tokens=0,
                cache_write_5m_tokens=0, cache_write_1h_tokens=10_000_000,
                cost_usd=Decimal("60"), latency_ms=5.0, status="ok",
            )
        )  # fmt: skip
    table = CliRunner().invoke(app, ["spend"])
    assert table.exit_code == 0, table.output
    assert "$-" not in table.stdout
    assert "caching cost $" in table.stdout and "more (cache writes not yet repaid" in table.stdout


def _cache_aware_row(request_id: str, tier: str, preferred: str, saving: str) -> LedgerRow:
    cache = {"tier": tier, "preferred": preferred, "saving_usd": saving}
    return LedgerRow(
        id=None, ts=datetime.now(UTC), request_id=request_id, attempt=1, tier=tier,
        model_id=f"global.anthropic.claude-{tier}-4-5-v1:0", input_tokens=1_000,
        output_tokens=10, cache_read_tokens=0, cache_write_5m_tokens=0,
        cache_write_1h_tokens=0, cost_usd=Decimal("0.01"), latency_ms=5.0, status="ok",
        route={"tier": preferred, "cache": cache},
    )  # fmt: skip


def _cache_aware_line(seeded: Path, rows: list[LedgerRow]) -> str:
    with open_ledger(f"sqlite:///{seeded / 'seed.db'}") as ledger:
        for row in rows:
            ledger.record(row)
    table = CliRunner().invoke(app, ["spend"])
    assert table.exit_code == 0, table.output
    (found,) = [x for x in table.stdout.splitlines() if x.startswith("cache-aware routing")]
    return found


def test_cache_aware_routing_line_says_what_its_saving_is_summed_over(seeded: Path) -> None:
    # The line put every chosen request's saving on the moved ones ("moved 1 request(s) to a
    # tier whose cache was warm, saving $0.400000"): the thinking option kept on the
    # router's own tier saved part of it, and a move may be to a cold, cheaper tier.
    found = _cache_aware_line(
        seeded,
        [
            _cache_aware_row("moved", "opus", "sonnet", "0.300000"),
            _cache_aware_row("thinking", "sonnet", "sonnet", "0.100000"),
        ],
    )
    assert found == (
        "cache-aware routing chose the tier of 2 answered requests (1 moved off the router's "
        "tier): expected saving $0.400000 against the router's tiers; a forecast at the "
        "configured prices, not a measured cost"
    )


def test_cache_aware_routing_that_cost_more_says_so(seeded: Path) -> None:
    # A conversation kept on its dearer tier for its cache: the line read "saving $-0.200000".
    found = _cache_aware_line(seeded, [_cache_aware_row("kept", "sonnet", "haiku", "-0.200000")])
    assert found == (
        "cache-aware routing chose the tier of 1 answered request (1 moved off the router's "
        "tier): expected to cost $0.200000 more than the router's tiers (conversations kept on "
        "a tier for its cache); a forecast at the configured prices, not a measured cost"
    )

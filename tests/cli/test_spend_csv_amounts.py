"""`tierwise spend --format csv`: every cost in one plain, exact notation. A zero cost (an
error row, priced from rates like 0.80 per million tokens) printed as "0.00" beside
"0.000025"."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tierwise.cli.app import app
from tierwise.config import load_settings
from tierwise.core.pricing import Usage, price
from tierwise.core.tiers import Tier
from tierwise.store import LedgerRow, open_ledger


def _row(i: int, tier: str, cost: Decimal, status: str) -> LedgerRow:
    return LedgerRow(
        id=None, ts=datetime.now(UTC), request_id=f"r{i}", attempt=1, tier=tier,
        model_id=f"global.anthropic.claude-{tier}", input_tokens=10, output_tokens=3,
        cache_read_tokens=0, cache_write_5m_tokens=0, cache_write_1h_tokens=0, cost_usd=cost,
        latency_ms=5.0, status=status,
    )  # fmt: skip


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "ledger.db"
    monkeypatch.setenv("TIERWISE_LEDGER__URL", f"sqlite:///{db}")
    monkeypatch.chdir(tmp_path)
    rates = load_settings(environ={}).settings.rates(Tier.HAIKU)
    zero = price(Usage(input=0, output=0), rates).total  # as the accountant prices a failure
    paid = price(Usage(input=10, output=3), rates).total
    assert paid > 0 == zero
    with open_ledger(f"sqlite:///{db}") as store:
        store.record(_row(1, "haiku", paid, "ok"))
        store.record(_row(2, "opus", zero, "error"))


@pytest.mark.usefixtures("ledger")
def test_costs_share_one_notation() -> None:
    result = CliRunner().invoke(app, ["spend", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = {r["group"]: r["cost_usd"] for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["opus"] == "0"
    assert rows["haiku"] == rows["total"]
    # Exact (the ledger's Decimal), plain notation: no trailing zeros, no exponent.
    assert Decimal(rows["haiku"]) > 0 and not rows["haiku"].endswith("0")
    assert "E" not in rows["haiku"].upper()

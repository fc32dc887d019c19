"""The ledger, on every store: migrations, exact round trips, atomic batches, concurrency."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tierwise.errors import LedgerError
from tierwise.store import LedgerRow, open_ledger
from tierwise.store.migrations import MIGRATIONS
from tierwise.store.sql import SQLLedger
from tierwise.store.sqlite import SQLiteLedger

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def row(**changes: object) -> LedgerRow:
    base = LedgerRow(
        id=None,
        ts=T0,
        request_id="req-1",
        attempt=1,
        tier="sonnet",
        model_id="global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        input_tokens=120,
        output_tokens=45,
        cache_read_tokens=4000,
        cache_write_5m_tokens=10,
        cache_write_1h_tokens=20,
        cost_usd=Decimal("0.001234567890123456789"),
        latency_ms=812.5,
        status="ok",
        route={"tier": "sonnet", "reasons": ["default"], "score": 0.5},
        metadata={"kind": "answer"},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_round_trip_is_exact(ledger: SQLLedger) -> None:
    original = row()
    row_id = ledger.record(original)
    (stored,) = ledger.rows()
    assert stored == replace(original, id=row_id)
    assert stored.cost_usd == Decimal("0.001234567890123456789")


def test_migrations_are_named_ordered_recorded_and_idempotent(store_url: str) -> None:
    open_ledger(store_url).close()
    again = open_ledger(store_url)
    assert isinstance(again, SQLLedger)
    assert again.migrations() == sorted(name for name, _ in MIGRATIONS)
    with again.transaction() as tx:
        tx.execute("INSERT INTO _migrations VALUES ('m999_future', 'x')")
    again.close()
    with pytest.raises(LedgerError, match="newer tierwise"):
        open_ledger(store_url)


def test_sqlite_wal_mode_and_directory_creation(tmp_path: Path) -> None:
    store = SQLiteLedger(f"sqlite:///{tmp_path / 'sub' / 'dir' / 'ledger.db'}")
    assert (tmp_path / "sub" / "dir" / "ledger.db").exists()
    assert store.query("PRAGMA journal_mode")[0][0] == "wal"
    store.close()


def test_filters_and_totals(ledger: SQLLedger) -> None:
    ledger.record(row(request_id="a", ts=T0))
    ledger.record(row(request_id="a", attempt=2, ts=T0 + timedelta(seconds=1)))
    ledger.record(row(request_id="b", ts=T0 + timedelta(days=2), cost_usd=Decimal("1")))
    assert [r.attempt for r in ledger.rows(request_id="a")] == [1, 2]
    assert [r.request_id for r in ledger.rows(since=T0 + timedelta(days=1))] == ["b"]
    assert len(ledger.rows(limit=2, order="desc")) == 2
    assert ledger.rows(order="desc")[0].request_id == "b"
    totals = ledger.totals()
    assert (totals.requests, totals.calls) == (2, 3)
    assert totals.cost_usd == Decimal("0.001234567890123456789") * 2 + 1
    assert totals.cache_read_tokens == 12000


def test_record_many_is_all_or_nothing(ledger: SQLLedger) -> None:
    ledger.record_many([row(request_id="x"), row(request_id="y")])
    assert len(ledger.rows()) == 2
    bad = row(request_id="z", input_tokens=None)  # type: ignore[arg-type]
    with pytest.raises(LedgerError):
        ledger.record_many([row(request_id="ok"), bad])
    assert {r.request_id for r in ledger.rows()} == {"x", "y"}


def test_concurrent_writers_lose_nothing(ledger: SQLLedger) -> None:
    def write(n: int) -> None:
        for i in range(50):
            ledger.record(row(request_id=f"t{n}-{i}"))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ledger.rows()) == 400


def test_reopen_keeps_rows(store_url: str) -> None:
    with open_ledger(store_url) as first:
        first.record(row())
    with open_ledger(store_url) as second:
        assert len(second.rows()) == 1


def test_bad_urls() -> None:
    with pytest.raises(LedgerError, match="unsupported ledger URL scheme"):
        open_ledger("mysql://x")
    with pytest.raises(LedgerError, match="unsupported SQLite URL"):
        open_ledger("sqlite://relative.db")


def test_sqlite_rows_survive_sigkill_and_checkpoints_leave_the_wal_short(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    db = tmp_path / "killed.db"
    script = f"""
import os, signal
from datetime import UTC, datetime
from decimal import Decimal
from tierwise.store import LedgerRow
from tierwise.store.sqlite import SQLiteLedger
ledger = SQLiteLedger({str(db)!r})
for i in range(300):
    ledger.record(LedgerRow(id=None, ts=datetime.now(UTC), request_id=f"r{{i}}", attempt=1,
        tier="haiku", model_id="m", input_tokens=1, output_tokens=1, cache_read_tokens=0,
        cache_write_5m_tokens=0, cache_write_1h_tokens=0, cost_usd=Decimal("0.1"),
        latency_ms=1.0, status="ok"))
os.kill(os.getpid(), signal.SIGKILL)  # no close, no final checkpoint
"""
    done = subprocess.run([sys.executable, "-c", script], check=False)
    assert done.returncode == -signal.SIGKILL
    ledger = SQLiteLedger(str(db))
    assert [r.request_id for r in ledger.rows()] == [f"r{i}" for i in range(300)]
    ledger.record(row())
    ledger.close()  # stops the checkpointer; the last connection folds the WAL in
    assert not os.path.exists(str(db) + "-wal")
    with SQLiteLedger(str(db)) as reopened:
        assert len(reopened.rows()) == 301

"""The ledger spool: durable appends, idempotent replay by request id, attempt and kind."""

from __future__ import annotations

import errno
import os
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tierwise.errors import LedgerUnavailableError
from tierwise.store import LedgerRow, open_ledger
from tierwise.store.keys import KeyStore
from tierwise.store.spool import Spool, SpoolReplayer
from tierwise.store.sql import SQLLedger


def row(request_id: str, key_id: str | None, kind: str | None = None) -> LedgerRow:
    return LedgerRow(
        id=None, ts=datetime.now(UTC), request_id=request_id, attempt=1, tier="haiku",
        model_id="m", input_tokens=10, output_tokens=5, cache_read_tokens=0,
        cache_write_5m_tokens=0, cache_write_1h_tokens=0, cost_usd=Decimal("0.25"),
        latency_ms=1.0, status="ok", api_key_id=key_id,
        metadata={"kind": kind} if kind else None,
    )  # fmt: skip


def test_replay_settles_each_row_once_even_when_run_twice(
    ledger: SQLLedger, tmp_path: Path
) -> None:
    keys = KeyStore(ledger)
    key, _ = keys.create("k", budget_usd=Decimal("10"))
    hold = keys.reserve(key.id, Decimal("1"), request_id="a", attempt=1)
    spool = Spool(tmp_path / "spool.jsonl")
    spool.append(row("a", key.id), hold)
    spool.append(row("a", key.id, kind="self_verify"), None)  # same attempt, other kind
    spool.append(row("b", None), None)
    assert spool.pending() == 3 and spool.outage.is_set()
    # A gateway restarted during the outage sees the same file.
    again = Spool(tmp_path / "spool.jsonl")
    assert again.outage.is_set()
    assert again.replay(ledger, keys) == 3
    assert again.pending() == 0 and not again.outage.is_set()
    # A replay cut short before the file was emptied runs again: nothing is doubled.
    again.append(row("a", key.id), hold)
    assert again.replay(ledger, keys) == 0
    rows = ledger.rows()
    assert sorted((r.request_id, (r.metadata or {}).get("kind", "")) for r in rows) == [
        ("a", ""), ("a", "self_verify"), ("b", ""),
    ]  # fmt: skip
    after = keys.get(key.id)
    assert after is not None
    assert after.reserved_usd == 0  # the spooled row settled its reservation
    assert after.spent_usd == Decimal("0.50")  # both of the key's rows, each once


def test_a_row_spooled_past_its_reservations_expiry_replaces_the_estimate(
    ledger: SQLLedger, tmp_path: Path
) -> None:
    # The gateway that made the call was down (or its database was) longer than the
    # reservation's TTL: the reservation expired, charged at its worst case with an
    # estimated row. The spooled row, the call's real usage, must still settle it.
    keys = KeyStore(ledger)
    key, _ = keys.create("k", budget_usd=Decimal("10"))
    hold = keys.reserve(key.id, Decimal("1"), request_id="a", attempt=1, ttl_s=60)
    spool = Spool(tmp_path / "spool.jsonl")
    spool.append(row("a", key.id), hold)
    assert keys.reconcile(datetime.now(UTC) + timedelta(hours=2)) == 1
    assert spool.replay(ledger, keys) == 1
    spool.append(row("a", key.id), hold)  # a replay cut short runs again
    assert spool.replay(ledger, keys) == 0
    (stored,) = ledger.rows()
    assert stored.cost_usd == Decimal("0.25") and stored.error_class is None
    after = keys.get(key.id)
    assert after is not None and after.reserved_usd == 0
    assert after.spent_usd == Decimal("0.25")


def test_a_postgresql_server_that_takes_no_writes_is_an_outage(store_url: str) -> None:
    # A standby after a failover, or a server in read-only mode: the row of a call already
    # made must be spooled (LedgerUnavailableError), not lost to a plain LedgerError.
    if not store_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    open_ledger(store_url).close()  # migrated while it takes writes
    read_only = open_ledger(f"{store_url}%20-cdefault_transaction_read_only%3Don", lazy=True)
    try:
        with pytest.raises(LedgerUnavailableError):
            read_only.record(row("a", None))
    finally:
        read_only.close()


def test_a_full_disk_keeps_the_row_in_memory_and_never_leaves_a_partial_line(
    ledger: SQLLedger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path / "spool.jsonl")
    spool.append(row("a", None), None)
    before = spool.path.read_bytes()

    def full_disk(fd: int) -> None:  # the filesystem reports ENOSPC when the data is synced
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(os, "fsync", full_disk)
        spool.append(row("b", None), None)  # no error: the answer is delivered
    assert spool.path.read_bytes() == before, "cut back: no line that is not on disk"
    assert spool.pending() == 2 and spool.outage.is_set()
    spool.append(row("c", None), None)  # the disk takes writes again: b goes first
    assert spool.pending() == 3
    assert spool.replay(ledger, None) == 3
    assert sorted(r.request_id for r in ledger.rows()) == ["a", "b", "c"]
    assert spool.pending() == 0


def test_rows_kept_in_memory_are_replayed_with_the_file(
    ledger: SQLLedger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path / "spool.jsonl")

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(os, "fsync", full_disk)
        spool.append(row("a", None), None)
    assert spool.pending() == 1
    assert spool.replay(ledger, None) == 1
    assert [r.request_id for r in ledger.rows()] == ["a"] and spool.pending() == 0


def test_a_replayer_expires_reservations_a_killed_gateway_left_held(
    ledger: SQLLedger, tmp_path: Path
) -> None:
    # A gateway killed mid-stream (its content delivered) never settled the stream's
    # reservation: the next replayer (a restarted gateway's) expires it once it is past
    # its time, giving the call its estimated row and charge, with no refusal needed.
    keys = KeyStore(ledger)
    key, _ = keys.create("k", budget_usd=Decimal("10"))
    keys.reserve(key.id, Decimal("1"), request_id="killed", attempt=1, ttl_s=0.001)
    replayer = SpoolReplayer(Spool(tmp_path / "spool.jsonl"), ledger, keys, interval_s=0.01)
    replayer.start()
    try:
        for _ in range(1000):  # it runs on the replayer's thread
            if ledger.rows():
                break
            threading.Event().wait(0.01)
    finally:
        replayer.stop()
    (estimated,) = ledger.rows()
    assert estimated.request_id == "killed" and estimated.error_class == "ReservationExpired"
    after = keys.get(key.id)
    assert after is not None and after.reserved_usd == 0 and after.spent_usd == Decimal("1")

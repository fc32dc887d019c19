"""The async engine's ledger rows go to the database in batches: rows queued in one turn of
the loop, or while the write before them runs, are written by one worker thread in one
transaction. Each caller still gets its answer only once its own row is committed, one
row the database refuses costs only itself, and no row is lost when the database is down
or the client closes. On SQLite and PostgreSQL (``TIERWISE_CI=1`` makes the latter run)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest

from tierwise.client import AsyncTierwise, Tierwise
from tierwise.config import Settings
from tierwise.engine import Record
from tierwise.engine.accounting import Accountant
from tierwise.engine.budgets import Budgets
from tierwise.engine.drivers import AsyncDriver, Books
from tierwise.errors import LedgerError
from tierwise.store import open_ledger
from tierwise.store.base import LedgerRow
from tierwise.store.keys import KeyStore
from tierwise.store.spool import Spool
from tierwise.store.sql import SQLLedger

MESSAGES = [{"role": "user", "content": [{"text": "Classify this ticket: refund not received"}]}]


def _row(request_id: str, cost: str = "0.001") -> LedgerRow:
    return LedgerRow(
        id=None, ts=datetime.now(UTC), request_id=request_id, attempt=1, tier="haiku",
        model_id="us.anthropic.claude-haiku-4-5-20251001-v1:0", input_tokens=10,
        output_tokens=5, cache_read_tokens=0, cache_write_5m_tokens=0,
        cache_write_1h_tokens=0, cost_usd=Decimal(cost), latency_ms=12.5, status="ok",
    )  # fmt: skip


def _refused(request_id: str) -> LedgerRow:
    """A row every SQL store refuses (model_id is NOT NULL): one bad row in a batch."""
    return replace(_row(request_id), model_id=cast(Any, None))


class Writes:
    """A ``blocking`` for the async driver that runs each function in a thread and notes the
    ledger writes it was handed (how many rows each), optionally holding the first."""

    def __init__(self) -> None:
        self.batches: list[int] = []
        self.hold_first = asyncio.Event()
        self.hold_first.set()
        self.first_started = asyncio.Event()

    async def __call__(self, fn: Any, *args: Any) -> Any:
        records = [a for a in args if isinstance(a, Record)]
        if records:
            self.batches.append(len(records))
            if len(self.batches) == 1:
                self.first_started.set()
                await self.hold_first.wait()
        return await asyncio.to_thread(fn, *args)


@pytest.fixture
def books(ledger: SQLLedger, tmp_path: Path) -> Books:
    return Books(ledger, spool=Spool(tmp_path / "spool.jsonl"))


def test_rows_queued_in_one_turn_go_in_one_write(ledger: SQLLedger, books: Books) -> None:
    writes = Writes()

    async def run() -> list[LedgerRow]:
        driver = AsyncDriver(cast(Any, None), books, blocking=writes)
        stored = await asyncio.gather(*(driver.perform(Record(_row(f"r{i}"))) for i in range(6)))
        await driver.close()
        return cast(list[LedgerRow], stored)

    stored = asyncio.run(run())
    assert writes.batches == [6]  # was six writes, one per row
    assert [r.request_id for r in stored] == [f"r{i}" for i in range(6)]
    ids = [r.id for r in stored]
    assert all(ids) and len(set(ids)) == 6
    assert {r.id: r.request_id for r in ledger.rows()} == {r.id: r.request_id for r in stored}


def test_rows_queued_while_a_write_runs_go_in_the_next_one(ledger: SQLLedger, books: Books) -> None:
    writes = Writes()
    writes.hold_first.clear()

    async def run() -> None:
        driver = AsyncDriver(cast(Any, None), books, blocking=writes)
        first = asyncio.ensure_future(driver.perform(Record(_row("first"))))
        await writes.first_started.wait()
        later = [asyncio.ensure_future(driver.perform(Record(_row(f"r{i}")))) for i in range(4)]
        await asyncio.sleep(0.05)
        assert not any(t.done() for t in [first, *later])  # nobody answered before the commit
        writes.hold_first.set()
        await asyncio.gather(first, *later)
        await driver.close()

    asyncio.run(run())
    assert writes.batches == [1, 4]
    assert len(ledger.rows()) == 5


def test_a_failing_batch_falls_back_row_by_row(ledger: SQLLedger, books: Books) -> None:
    outcomes = books.store_all(Record(_row("a")), Record(_refused("bad")), Record(_row("c")))
    assert isinstance(outcomes[1], LedgerError)
    assert isinstance(outcomes[0], LedgerRow) and isinstance(outcomes[2], LedgerRow)
    assert sorted(r.request_id for r in ledger.rows()) == ["a", "c"]
    assert books.spool is not None and books.spool.pending() == 0  # refused is not spooled

    async def run() -> list[Any]:
        driver = AsyncDriver(cast(Any, None), books)
        rows = [_row("d"), _refused("bad2"), _row("e")]
        answers = await asyncio.gather(
            *(driver.perform(Record(r)) for r in rows), return_exceptions=True
        )
        await driver.close()
        return answers

    d, bad, e = asyncio.run(run())
    assert isinstance(bad, LedgerError)  # its own caller gets the error...
    assert isinstance(d, LedgerRow) and isinstance(e, LedgerRow)  # ...the others their rows
    assert sorted(r.request_id for r in ledger.rows()) == ["a", "c", "d", "e"]


def test_a_batch_settles_each_rows_key_hold(
    ledger: SQLLedger, tmp_path: Path, default_settings: Settings
) -> None:
    keys = KeyStore(ledger)
    key, _ = keys.create("k", budget_usd=Decimal("1"))
    holds = [keys.reserve(key.id, Decimal("0.01"), request_id=f"r{i}", attempt=1) for i in range(3)]
    budgets = Budgets(keys, Accountant(default_settings))
    books = Books(ledger, budgets, Spool(tmp_path / "spool.jsonl"))
    records = [Record(_row(f"r{i}", "0.002"), hold) for i, hold in enumerate(holds)]
    outcomes = books.store_all(*records, Record(_row("keyless")))
    assert all(isinstance(o, LedgerRow) for o in outcomes)
    after = keys.get(key.id)
    assert after is not None
    assert after.reserved_usd == 0 and after.spent_usd == Decimal("0.006")
    assert len(ledger.rows()) == 4


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def down_ledger(store_url: str, tmp_path: Path) -> Iterator[SQLLedger]:
    """A ledger whose database is down: PostgreSQL at a port nothing listens on (lazy, as
    the client opens it); SQLite as a database that takes no writes now (SQLITE_READONLY,
    as a read-only file or volume gives)."""
    if store_url.startswith("sqlite"):
        store = open_ledger(f"sqlite:///{tmp_path / 'down.db'}")
        assert isinstance(store, SQLLedger)
        store.query("PRAGMA query_only = ON")
    else:
        pytest.importorskip("psycopg_pool")
        store = open_ledger(f"postgresql://nobody@127.0.0.1:{_closed_port()}/ledger", lazy=True)
        assert isinstance(store, SQLLedger)
    yield store
    store.close()


def test_no_row_is_lost_while_the_database_is_down(
    down_ledger: SQLLedger, ledger: SQLLedger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[str] = []  # writes the store was asked for (a lazy PostgreSQL store's
    opened = down_ledger.transaction  # first one also tries to migrate: one attempt)

    @contextmanager
    def counted() -> Iterator[Any]:
        if not attempts or attempts[-1] != "open":  # not the migration's, nested
            attempts.append("write")
        attempts.append("open")
        try:
            with opened() as tx:
                yield tx
        finally:
            attempts.remove("open")

    def record(row: LedgerRow) -> int:
        attempts.append("write")
        raise AssertionError("a row was written on its own")

    monkeypatch.setattr(down_ledger, "transaction", counted)
    monkeypatch.setattr(down_ledger, "record", record)
    spool = Spool(tmp_path / "spool.jsonl")
    books = Books(down_ledger, spool=spool)
    outcomes = books.store_all(*(Record(_row(f"r{i}")) for i in range(5)))
    # One attempt for the batch, not one per row (a PostgreSQL attempt waits ~2 s).
    assert attempts == ["write"]
    assert all(isinstance(o, LedgerRow) and o.id is None for o in outcomes)
    assert spool.pending() == 5 and spool.outage.is_set()
    assert spool.replay(ledger, None) == 5  # the database is back
    assert sorted(r.request_id for r in ledger.rows()) == [f"r{i}" for i in range(5)]


def test_closing_writes_every_queued_row(ledger: SQLLedger, books: Books) -> None:
    writes = Writes()
    writes.hold_first.clear()

    async def run() -> None:
        driver = AsyncDriver(cast(Any, None), books, blocking=writes)
        tasks = [asyncio.ensure_future(driver.perform(Record(_row("first"))))]
        await writes.first_started.wait()
        tasks += [asyncio.ensure_future(driver.perform(Record(_row(f"r{i}")))) for i in range(3)]
        await asyncio.sleep(0)
        for task in tasks:  # every caller gives up (a shutdown)
            task.cancel()
        closing = asyncio.ensure_future(driver.close())
        await asyncio.sleep(0.05)
        assert not closing.done()  # it waits for the queued rows
        writes.hold_first.set()
        await closing

    asyncio.run(run())
    assert sorted(r.request_id for r in ledger.rows()) == ["first", "r0", "r1", "r2"]


def test_each_answer_comes_after_its_own_row_is_committed(
    emu_settings: Settings, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Writes are slowed before and inside their transaction, so an answer released before
    # its row's commit (at the handoff, or once its row is inserted) would find no row.
    reader = open_ledger(store_url)
    with Tierwise.from_settings(emu_settings, ledger_url=store_url) as client:
        store_all, insert = client.books.store_all, cast(SQLLedger, client.ledger).insert

        def slow_store_all(*records: Record) -> list[Any]:
            time.sleep(0.03)
            return store_all(*records)

        def slow_insert(tx: Any, row: LedgerRow) -> int:
            row_id = insert(tx, row)
            time.sleep(0.03)
            return row_id

        monkeypatch.setattr(client.books, "store_all", slow_store_all)
        monkeypatch.setattr(client.ledger, "insert", slow_insert)
        writes = Writes()

        async def one(tw: AsyncTierwise) -> bool:
            answer = await tw.converse(modelId="haiku", messages=MESSAGES)
            info = answer["tierwise"]
            return any(r.id == info["ledgerId"] for r in reader.rows(request_id=info["requestId"]))

        async def run() -> list[bool]:
            tw = AsyncTierwise.sharing(client, blocking=writes)
            found = await asyncio.gather(*(one(tw) for _ in range(8)))
            await tw.driver.close()
            return list(found)

        found = asyncio.run(run())
    reader.close()
    assert found == [True] * 8
    assert sum(writes.batches) == 8 and len(writes.batches) < 8, writes.batches

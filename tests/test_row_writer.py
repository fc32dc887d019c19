"""RowWriter: the async driver's ledger rows written by one thread in batches, each store
returning only once its row is committed (a delivered response always has its row)."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from live_server import start_gateway
from tierwise.config import Settings
from tierwise.emulator import Emulator
from tierwise.engine.drivers import Books, RowWriter
from tierwise.errors import LedgerUnavailableError
from tierwise.store import open_ledger
from tierwise.store.base import LedgerRow


def _row(n: int) -> LedgerRow:
    return LedgerRow(
        id=None,
        ts=datetime.now(UTC),
        request_id=f"req-{n}",
        attempt=1,
        tier="haiku",
        model_id="m",
        input_tokens=1,
        output_tokens=1,
        cache_read_tokens=0,
        cache_write_5m_tokens=0,
        cache_write_1h_tokens=0,
        cost_usd=Decimal("0.001"),
        latency_ms=1.0,
        status="ok",
    )


class _SlowLedger:
    """Records in memory, each transaction taking a while (so rows queue behind it)."""

    def __init__(self, fail_request: str | None = None) -> None:
        self.rows: list[LedgerRow] = []
        self.transactions: list[int] = []  # rows per transaction
        self.fail_request = fail_request
        self.lock = threading.Lock()

    def _write(self, rows: list[LedgerRow]) -> list[int]:
        time.sleep(0.02)
        if any(r.request_id == self.fail_request for r in rows):
            raise ValueError("bad row")
        with self.lock:
            self.transactions.append(len(rows))
            self.rows.extend(rows)
            return list(range(len(self.rows) - len(rows) + 1, len(self.rows) + 1))

    def record(self, row: LedgerRow) -> int:
        return self._write([row])[0]

    def record_many(self, rows: list[LedgerRow]) -> list[int]:
        return self._write(rows)


def test_rows_stored_together_are_written_in_fewer_transactions_each_with_its_id() -> None:
    ledger = _SlowLedger()
    writer = RowWriter(Books(ledger))  # type: ignore[arg-type]

    async def main() -> list[LedgerRow]:
        return await asyncio.gather(*(writer.store(_row(n)) for n in range(40)))

    stored = asyncio.run(main())
    writer.close()
    assert [r.request_id for r in stored] == [f"req-{n}" for n in range(40)]
    assert sorted(r.id for r in stored if r.id is not None) == list(range(1, 41))
    assert sum(ledger.transactions) == 40
    assert len(ledger.transactions) < 40, "rows that queued went in one transaction"
    assert writer.batches == len(ledger.transactions)


def test_every_store_returns_only_after_its_row_is_committed() -> None:
    ledger = _SlowLedger()
    writer = RowWriter(Books(ledger))  # type: ignore[arg-type]
    seen: list[bool] = []

    async def one(n: int) -> None:
        row = await writer.store(_row(n))
        with ledger.lock:
            seen.append(any(r.request_id == row.request_id for r in ledger.rows))

    async def main() -> None:
        await asyncio.gather(*(one(n) for n in range(25)))

    asyncio.run(main())
    writer.close()
    assert seen == [True] * 25


def test_a_bad_row_fails_alone_and_the_rest_of_its_batch_is_written() -> None:
    ledger = _SlowLedger(fail_request="req-7")
    writer = RowWriter(Books(ledger))  # type: ignore[arg-type]

    async def main() -> list[Any]:
        return await asyncio.gather(
            *(writer.store(_row(n)) for n in range(20)), return_exceptions=True
        )

    outcomes = asyncio.run(main())
    writer.close()
    failed = [n for n, o in enumerate(outcomes) if isinstance(o, Exception)]
    assert failed == [7]
    assert isinstance(outcomes[7], ValueError)
    assert sorted(r.request_id for r in ledger.rows) == sorted(
        f"req-{n}" for n in range(20) if n != 7
    )


def test_while_the_database_is_down_the_batch_is_spooled_row_by_row(tmp_path: Path) -> None:
    class _Down:
        def record(self, row: LedgerRow) -> int:
            raise LedgerUnavailableError("down")

        def record_many(self, rows: list[LedgerRow]) -> list[int]:
            raise LedgerUnavailableError("down")

    spooled: list[str] = []

    class _Spool:
        outage = threading.Event()

        def append(self, row: LedgerRow, hold: Any) -> None:
            self.outage.set()
            spooled.append(row.request_id)

    writer = RowWriter(Books(_Down(), spool=_Spool()))  # type: ignore[arg-type]

    async def main() -> list[LedgerRow]:
        return await asyncio.gather(*(writer.store(_row(n)) for n in range(10)))

    stored = asyncio.run(main())
    writer.close()
    assert sorted(spooled) == sorted(f"req-{n}" for n in range(10))
    assert all(r.id is None for r in stored)


def test_close_writes_the_rows_whose_waiters_gave_up() -> None:
    ledger = _SlowLedger()
    writer = RowWriter(Books(ledger))  # type: ignore[arg-type]

    async def main() -> None:
        tasks = [asyncio.ensure_future(writer.store(_row(n))) for n in range(10)]
        await asyncio.sleep(0)
        for task in tasks:
            task.cancel()  # the clients hung up; their calls were billed all the same
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())
    writer.close()
    assert sorted(r.request_id for r in ledger.rows) == sorted(f"req-{n}" for n in range(10))


@pytest.fixture
def emulator(default_settings: Settings) -> Any:
    with Emulator(default_settings, port=0).start() as emu:
        yield emu


def test_sigkill_under_load_loses_no_delivered_response_without_keys(
    tmp_path: Path, emulator: Emulator
) -> None:
    """Without API keys no row holds a reservation, so every row goes through the batched
    writer: calls and streams delivered before a SIGKILL all have their rows."""
    db = f"sqlite:///{tmp_path}/ledger.db"
    proc, url = start_gateway(emulator.url, db, serve_args=["--no-auth"])
    delivered: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load(stream: bool) -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                body = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}
                try:
                    if stream:
                        with client.stream(
                            "POST", url + "/v1/chat/completions", json={**body, "stream": True}
                        ) as r:
                            text = b"".join(r.iter_bytes())
                            done = r.status_code == 200 and b"data: [DONE]" in text
                            rid = r.headers.get("x-tierwise-request-id")
                    else:
                        r = client.post(url + "/v1/chat/completions", json=body)
                        done = r.status_code == 200
                        rid = r.headers.get("x-tierwise-request-id")
                except httpx.HTTPError:
                    return
                if done and rid:
                    with lock:
                        delivered.append(rid)

    threads = [threading.Thread(target=load, args=(n % 2 == 0,)) for n in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while True:
        with lock:
            running = len(delivered) > 40
        if running or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    stop.set()
    for t in threads:
        t.join(15)
    assert len(delivered) > 40, "the load must have been running when the gateway died"
    ledger = open_ledger(db)
    recorded = {r.request_id for r in ledger.rows()}
    ledger.close()
    missing = [rid for rid in delivered if rid not in recorded]
    assert missing == []


def test_the_row_fields_are_kept_as_given() -> None:
    ledger = _SlowLedger()
    writer = RowWriter(Books(ledger))  # type: ignore[arg-type]
    row = dataclasses.replace(_row(1), api_key_id="k1", stop_reason="end_turn")

    async def main() -> LedgerRow:
        return await writer.store(row)

    stored = asyncio.run(main())
    writer.close()
    assert dataclasses.replace(stored, id=None) == row
    assert ledger.rows == [row]

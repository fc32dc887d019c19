"""A saturated PostgreSQL pool is load, not an outage: writes wait for a connection instead of
raising LedgerUnavailableError (which would spool rows and refuse budgeted requests)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

from pg import pg_schema_url
from tierwise.store import LedgerRow
from tierwise.store.postgres import ACQUIRE_TIMEOUT_S, PostgresLedger


def row() -> LedgerRow:
    return LedgerRow(
        id=None, ts=datetime.now(UTC), request_id="r", attempt=1, tier="haiku", model_id="m",
        input_tokens=1, output_tokens=1, cache_read_tokens=0, cache_write_5m_tokens=0,
        cache_write_1h_tokens=0, cost_usd=Decimal("0.001"), latency_ms=1.0, status="ok",
    )  # fmt: skip


def test_a_busy_pool_is_waited_out_not_reported_down() -> None:
    with pg_schema_url() as url:
        ledger = PostgresLedger(url, min_size=1, max_size=1)
        try:
            held = threading.Event()

            def hog() -> None:
                with ledger.transaction() as tx:
                    tx.execute("SELECT 1")
                    held.set()
                    time.sleep(ACQUIRE_TIMEOUT_S * 1.5)  # longer than one acquire timeout

            thread = threading.Thread(target=hog)
            thread.start()
            assert held.wait(10)
            started = time.monotonic()
            ledger.record(row())  # waits for the only connection instead of failing
            assert time.monotonic() - started >= ACQUIRE_TIMEOUT_S
            thread.join()
            assert len(ledger.rows()) == 1
        finally:
            ledger.close()

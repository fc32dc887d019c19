"""A saturated PostgreSQL pool is load, not an outage: writes wait for a connection instead of
raising LedgerUnavailableError (which would spool rows and refuse budgeted requests)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pg import pg_schema_url, throwaway_cluster
from tierwise.errors import LedgerUnavailableError
from tierwise.store import LedgerRow
from tierwise.store.postgres import ACQUIRE_TIMEOUT_S, BUSY_WAIT_S, PostgresLedger


def row() -> LedgerRow:
    return LedgerRow(
        id=None, ts=datetime.now(UTC), request_id="r", attempt=1, tier="haiku", model_id="m",
        input_tokens=1, output_tokens=1, cache_read_tokens=0, cache_write_5m_tokens=0,
        cache_write_1h_tokens=0, cost_usd=Decimal("0.001"), latency_ms=1.0, status="ok",
    )  # fmt: skip


@contextmanager
def hogging(ledger: PostgresLedger) -> Iterator[None]:
    """Inside: another thread holds one of ``ledger``'s connections in a transaction for
    longer than one acquire timeout (the only one, for a pool of one); on leaving, waits for
    it to let go."""
    held = threading.Event()

    def hog() -> None:
        with ledger.transaction() as tx:
            tx.execute("SELECT 1")
            held.set()
            time.sleep(ACQUIRE_TIMEOUT_S * 1.5)  # longer than one acquire timeout

    thread = threading.Thread(target=hog)
    thread.start()
    try:
        assert held.wait(10)
        yield
    finally:
        thread.join()


def test_a_busy_pool_is_waited_out_not_reported_down() -> None:
    with pg_schema_url() as url:
        ledger = PostgresLedger(url, min_size=1, max_size=1)
        try:
            with hogging(ledger):
                started = time.monotonic()
                ledger.record(row())  # waits for the only connection instead of failing
                assert time.monotonic() - started >= ACQUIRE_TIMEOUT_S
            assert len(ledger.rows()) == 1
        finally:
            ledger.close()


def test_a_pool_that_cannot_grow_at_a_busy_server_is_load_not_an_outage() -> None:
    """The pool may open more connections but the server refuses them for being too many
    (here the role's limit; a pool growing slowly under load is the same case): its own
    connection is lent out and working, so the write waits for a connection instead of
    being reported as an outage (which spools rows and refuses budgeted requests)."""
    import psycopg

    with throwaway_cluster() as cluster:
        with psycopg.connect(cluster.url, autocommit=True) as admin:
            admin.execute("CREATE ROLE limited LOGIN CONNECTION LIMIT 1")
            admin.execute("CREATE DATABASE limited OWNER limited")
        url = f"postgresql://limited@127.0.0.1:{cluster.port}/limited"
        ledger = PostgresLedger(url, min_size=1, max_size=2)
        try:
            with hogging(ledger):
                ledger.record(row())  # the pool cannot grow: it waits for the hog's connection
            assert len(ledger.rows()) == 1
        finally:
            ledger.close()


def test_a_server_that_is_down_is_reported_as_an_outage() -> None:
    with throwaway_cluster() as cluster:
        ledger = PostgresLedger(cluster.url, min_size=1, max_size=2)
        try:
            ledger.record(row())
            cluster.stop()
            started = time.monotonic()
            with pytest.raises(LedgerUnavailableError):
                ledger.record(row())
            # Reported at the pool's wait, not after waiting BUSY_WAIT_S as for load.
            assert time.monotonic() - started < BUSY_WAIT_S / 2
        finally:
            ledger.close()

"""A PostgreSQL ledger URL that cannot be reached, from the CLI: one `error:` line naming the
reason and one `hint:` line, not the connection pool's log lines and a 10 s wait's
"pool initialization incomplete". No server needed: nothing listens on the port."""

from __future__ import annotations

import logging
import socket
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tierwise.cli.app import _run
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.errors import LedgerError, LedgerUnavailableError
from tierwise.store import open_ledger
from tierwise.store.base import LedgerRow
from tierwise.store.postgres import PROBE_TTL_S, PostgresLedger

pytest.importorskip("psycopg_pool")
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_open_ledger_names_the_reason_in_one_line(caplog: pytest.LogCaptureFixture) -> None:
    url = f"postgresql://nobody@127.0.0.1:{_closed_port()}/ledger"
    with caplog.at_level(logging.DEBUG), pytest.raises(LedgerError) as refused:
        open_ledger(url)
    message = str(refused.value)
    assert "\n" not in message and "\t" not in message
    assert message.startswith("cannot connect to the PostgreSQL ledger at 127.0.0.1:")
    assert "Connection refused" in message, message
    assert "pool initialization incomplete" not in message
    assert refused.value.hint is not None and "server is up" in refused.value.hint
    assert not [r for r in caplog.records if r.name.startswith("psycopg")], caplog.records


def test_the_cli_says_it_in_two_lines(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"postgresql://nobody@127.0.0.1:{_closed_port()}/ledger"
    assert _run(["--db", url, "keys", "list"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2, err
    assert err[0].startswith("error: cannot connect to the PostgreSQL ledger at 127.0.0.1:")
    assert err[1].startswith("hint: check that the server is up")


def test_a_lazy_ledger_reports_the_outage_once(
    emu_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A library client or `tierwise converse` runs calls while the database is down: the
    # connection pool's retries printed psycopg's error once each (6 times in one CLI call),
    # and every spooled row said "unreachable" again.
    url = f"postgresql://nobody@127.0.0.1:{_closed_port()}/ledger"
    settings = emu_settings.with_overrides({"ledger.spool_path": str(tmp_path / "spool.jsonl")})
    with caplog.at_level(logging.DEBUG), Tierwise.from_settings(settings, ledger_url=url) as tw:
        for _ in range(3):
            tw.converse(modelId="haiku", messages=MESSAGES, inferenceConfig={"maxTokens": 20})
        time.sleep(1)  # the pool's background retries
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [r for r in warnings if r.name.startswith("psycopg")], warnings
    (down,) = [r.getMessage() for r in warnings if r.name == "tierwise.store.postgres"]
    assert down.startswith("the PostgreSQL ledger at 127.0.0.1:") and "Connection refused" in down
    assert "\n" not in down and "check that the server is up" in down
    spooled = [r.getMessage() for r in warnings if r.name == "tierwise.store.spool"]
    assert spooled == [
        f"ledger database unreachable: rows are spooled to {tmp_path / 'spool.jsonl'} until it "
        "answers"
    ]


def _row() -> LedgerRow:
    return LedgerRow(
        id=0, ts=datetime.now(UTC), request_id="r1", attempt=1, tier="haiku",
        model_id="m", input_tokens=1, output_tokens=1, cache_read_tokens=0,
        cache_write_5m_tokens=0, cache_write_1h_tokens=0, cost_usd=Decimal("0"),
        latency_ms=1.0, status="ok",
    )  # fmt: skip


def test_a_lazy_ledger_connects_at_first_use_and_reports_an_outage_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Every client and gateway start opens a lazy ledger: it connected at once (a blocking
    # wait of up to CONNECT_TIMEOUT_S per address with the database down, an event loop
    # blocked by AsyncTierwise.from_settings, an extra connection with it up).
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.settimeout(0.5)
        url = f"postgresql://nobody@127.0.0.1:{server.getsockname()[1]}/ledger"
        with caplog.at_level(logging.DEBUG):
            ledger = open_ledger(url, lazy=True)
        try:
            with pytest.raises(TimeoutError):
                server.accept()[0].close()  # a connection attempt, direct or the pool's
        finally:
            server.close()
        # The port is closed now: the first write finds the outage and says it once.
        try:
            for _ in range(3):
                with pytest.raises(LedgerUnavailableError, match="Connection refused"):
                    ledger.record(_row())
                time.sleep(PROBE_TTL_S)  # a fresh probe each time, not the shared answer
        finally:
            ledger.close()
    down = [r.getMessage() for r in caplog.records if r.name == "tierwise.store.postgres"]
    assert len(down) == 1, down
    assert down[0].startswith("the PostgreSQL ledger at 127.0.0.1:")
    assert "Connection refused" in down[0] and "check that the server is up" in down[0]


def test_only_the_ledgers_own_pool_retries_are_quietened(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The filter on psycopg_pool's logger hid every pool's "error connecting" lines,
    # a host application's own pools' too.
    pool_log = logging.getLogger("psycopg.pool")
    filters = list(pool_log.filters)
    ledger = PostgresLedger(f"postgresql://nobody@127.0.0.1:{_closed_port()}/ledger", lazy=True)
    try:
        with caplog.at_level(logging.DEBUG):
            pool_log.warning("error connecting in %r: %s", "app-pool", "refused")
            pool_log.warning("error connecting in %r: %s", ledger.pool.name, "refused")
    finally:
        ledger.close()
    logged = [r.getMessage() for r in caplog.records if r.name == "psycopg.pool"]
    assert logged == ["error connecting in 'app-pool': refused"]
    assert pool_log.filters == filters  # a closed ledger leaves the logger as it found it

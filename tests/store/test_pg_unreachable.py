"""A PostgreSQL ledger URL that cannot be reached, from the CLI: one `error:` line naming the
reason and one `hint:` line, not the connection pool's log lines and a 10 s wait's
"pool initialization incomplete". No server needed: nothing listens on the port."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

import pytest

from tierwise.cli.app import _run
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.errors import LedgerError
from tierwise.store import open_ledger

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

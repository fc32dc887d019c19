"""Keyed calls while the ledger database is unreachable follow ``[ledger] on_outage``
(SQLite here; PostgreSQL end to end in tests/gateway/test_ledger_outage.py): "refuse"
refuses every keyed call; "auto" (the default) refuses keys with a budget and serves keys
without one; "spool" serves them all, spooling their rows, with budgets enforced best-effort
from what this process last read of the key plus what it has reserved and spent since.

The outage is the engine's own state: rows already waiting in the spool mean the database
was unreachable when last tried, and calls queue behind them until the spool is replayed."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.errors import BudgetExceededError, LedgerUnavailableError
from tierwise.store import LedgerRow
from tierwise.store.keys import KeyStore
from tierwise.store.sql import SQLLedger

MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]


@pytest.fixture(params=["auto", "refuse", "spool"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def tw(emu_settings: Settings, tmp_path: Path, mode: str) -> Iterator[Tierwise]:
    settings = emu_settings.with_overrides({"ledger.on_outage": mode})
    with Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp_path / 'l.db'}") as client:
        yield client


def ask(tw: Tierwise, key_id: str) -> None:
    tw.converse(
        modelId="haiku", messages=MESSAGES, api_key_id=key_id, inferenceConfig={"maxTokens": 20}
    )


def go_down(tw: Tierwise) -> None:
    """The database cannot be written (a read-only connection fails as a locked or full
    file does) and a row it could not take is waiting."""
    assert tw.spool is not None and isinstance(tw.ledger, SQLLedger)
    tw.ledger.query("PRAGMA query_only = ON")
    tw.spool.append(
        LedgerRow(
            id=None, ts=datetime.now(UTC), request_id="earlier", attempt=1, tier="haiku",
            model_id="m", input_tokens=1, output_tokens=1, cache_read_tokens=0,
            cache_write_5m_tokens=0, cache_write_1h_tokens=0, cost_usd=Decimal(0),
            latency_ms=1.0, status="ok",
        ),
        None,
    )  # fmt: skip


def come_back(tw: Tierwise, keys: KeyStore) -> None:
    assert tw.spool is not None and isinstance(tw.ledger, SQLLedger)
    tw.ledger.query("PRAGMA query_only = OFF")
    tw.spool.replay(tw.ledger, keys)


def test_keyed_calls_during_an_outage_follow_on_outage(tw: Tierwise, mode: str) -> None:
    assert tw.budgets is not None
    keys = tw.budgets
    budgeted, _ = keys.create("budgeted", budget_usd=Decimal("1"))
    unlimited, _ = keys.create("unlimited")
    for key in (budgeted, unlimited):
        ask(tw, key.id)  # read while the database answers
    go_down(tw)
    served = {"refuse": set(), "auto": {"unlimited"}, "spool": {"budgeted", "unlimited"}}[mode]
    for key in (budgeted, unlimited):
        if key.name in served:
            ask(tw, key.id)
        else:
            with pytest.raises(LedgerUnavailableError):
                ask(tw, key.id)
    come_back(tw, keys)
    rows = [r for r in tw.ledger.rows() if r.api_key_id is not None]
    assert sorted(str(r.api_key_id) for r in rows) == sorted(
        [budgeted.id, unlimited.id] + [k.id for k in (budgeted, unlimited) if k.name in served]
    )
    for key in (budgeted, unlimited):  # rows spooled during the outage were charged on replay
        after = keys.get(key.id)
        assert after is not None and after.reserved_usd == 0
        assert after.spent_usd == sum(r.cost_usd for r in rows if r.api_key_id == key.id)


@pytest.mark.parametrize("mode", ["spool"])
def test_spool_enforces_the_budget_best_effort_during_an_outage(tw: Tierwise) -> None:
    assert tw.budgets is not None
    keys = tw.budgets
    probe, _ = keys.create("probe")
    ask(tw, probe.id)
    (first,) = [r for r in tw.ledger.rows() if r.api_key_id == probe.id]
    # Room for a few calls: each reserves its worst case (20 output tokens), more than a
    # call costs, so fewer fit while only this process counts.
    budget = first.cost_usd * 12
    key, _ = keys.create("small", budget_usd=budget)
    ask(tw, key.id)
    go_down(tw)
    served = 0
    with pytest.raises(BudgetExceededError, match="counted in this process") as refused:
        for _ in range(50):
            ask(tw, key.id)
            served += 1
    assert served >= 1, "calls that fit were served during the outage"
    assert refused.value.retry_after is None or refused.value.retry_after > 0
    come_back(tw, keys)
    after = keys.get(key.id)
    assert after is not None and after.reserved_usd == 0
    rows = [r for r in tw.ledger.rows() if r.api_key_id == key.id]
    assert len(rows) == 1 + served
    assert after.spent_usd == sum(r.cost_usd for r in rows) <= budget


@pytest.mark.parametrize("mode", ["spool"])
def test_spool_refuses_a_key_this_process_never_read(tw: Tierwise) -> None:
    assert tw.budgets is not None
    key, _ = tw.budgets.create("unseen", budget_usd=Decimal("1"))
    other = KeyStore(tw.budgets.db)  # another process's view: it has read nothing
    fresh = Tierwise(
        tw.settings, bedrock=tw.bedrock, ledger=tw.ledger, budgets=other, spool=tw.spool
    )
    go_down(fresh)
    with pytest.raises(LedgerUnavailableError, match="has not read the key"):
        ask(fresh, key.id)


def test_a_row_the_sqlite_file_cannot_take_is_spooled_not_lost(tw: Tierwise) -> None:
    # The file cannot be written (here read-only; another process holding the write lock
    # past busy_timeout, or a full disk, fail the same way): the call was made and billed,
    # so its answer is delivered and its row waits in the spool for the file.
    assert isinstance(tw.ledger, SQLLedger) and tw.spool is not None
    tw.ledger.query("PRAGMA query_only = ON")
    response = tw.converse(modelId="haiku", messages=MESSAGES, inferenceConfig={"maxTokens": 20})
    assert response["output"]["message"]["content"]
    assert tw.spool.pending() == 1
    tw.ledger.query("PRAGMA query_only = OFF")
    assert tw.budgets is not None
    come_back(tw, tw.budgets)
    (stored,) = tw.ledger.rows()
    assert stored.request_id == response["tierwise"]["requestId"]
    assert stored.cost_usd == Decimal(response["tierwise"]["costUsd"]) > 0


def test_a_client_replays_the_spool_once_the_database_takes_writes(
    emu_settings: Settings, tmp_path: Path
) -> None:
    # No gateway runs here: the library client itself replays what it, or a process
    # before it, spooled, on its next call once the database answers; without that every
    # later call queued behind the spool, and keys with a budget were refused.
    url = f"sqlite:///{tmp_path / 'l.db'}"
    with Tierwise.from_settings(emu_settings, ledger_url=url) as earlier:
        go_down(earlier)
        earlier.converse(modelId="haiku", messages=MESSAGES, inferenceConfig={"maxTokens": 20})
        assert earlier.spool is not None and earlier.spool.pending() == 2
    with Tierwise.from_settings(emu_settings, ledger_url=url) as tw:
        assert tw.budgets is not None and tw.spool is not None
        key, _ = tw.budgets.create("budgeted", budget_usd=Decimal("1"))
        ask(tw, key.id)
        assert tw.spool.pending() == 0
        rows = tw.ledger.rows()
        assert len(rows) == 3 and sum(1 for r in rows if r.api_key_id == key.id) == 1
        after = tw.budgets.get(key.id)
        assert after is not None and after.reserved_usd == 0
        assert after.spent_usd == next(r.cost_usd for r in rows if r.api_key_id == key.id)


def test_a_call_is_delivered_and_its_row_kept_when_neither_ledger_nor_spool_can_write(
    tw: Tierwise, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A full disk: the SQLite file and the spool beside it both refuse writes. The call was
    # made and billed; its answer is delivered and its row kept until one takes it.
    assert isinstance(tw.ledger, SQLLedger) and tw.spool is not None

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    tw.ledger.query("PRAGMA query_only = ON")
    with monkeypatch.context() as m:
        m.setattr(os, "fsync", full_disk)
        response = tw.converse(
            modelId="haiku", messages=MESSAGES, inferenceConfig={"maxTokens": 20}
        )
    assert response["output"]["message"]["content"]
    assert tw.spool.pending() == 1
    assert tw.budgets is not None
    come_back(tw, tw.budgets)
    (stored,) = tw.ledger.rows()
    assert stored.request_id == response["tierwise"]["requestId"]


@pytest.mark.parametrize("mode", ["auto"])
def test_a_billed_call_whose_row_cannot_be_stored_says_not_to_retry(tw: Tierwise) -> None:
    """Without a spool the ledger's error stands; the answer was billed, so the error is
    marked billed and the gateway's reply says x-should-retry: false (an SDK retry would
    pay the call again)."""
    from tierwise.gateway.errors import Dialect, error_reply

    bare = Tierwise(tw.settings, bedrock=tw.bedrock, ledger=tw.ledger, spool=None)
    assert isinstance(tw.ledger, SQLLedger)
    tw.ledger.query("PRAGMA query_only = ON")
    with pytest.raises(LedgerUnavailableError) as caught:
        bare.converse(modelId="haiku", messages=MESSAGES, inferenceConfig={"maxTokens": 20})
    assert caught.value.billed
    reply = error_reply(caught.value, Dialect.OPENAI)
    assert reply.status == 503 and reply.headers["x-should-retry"] == "false"

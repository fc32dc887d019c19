"""API keys on every store: atomic charges from many threads, shared rate windows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tierwise.errors import BudgetExceededError, InvalidRequestError, RateLimitedError
from tierwise.store import open_ledger
from tierwise.store.keys import KeyStore
from tierwise.store.sql import SQLLedger


def test_concurrent_charges_are_never_lost(ledger: SQLLedger) -> None:
    keys = KeyStore(ledger)
    key, _ = keys.create("load", budget_usd=Decimal("1000"))
    cost = Decimal("0.000123456")

    def charge() -> None:
        for _ in range(50):
            keys.charge(key.id, cost)

    threads = [threading.Thread(target=charge) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    again = keys.get(key.id)
    assert again is not None and again.spent_usd == cost * 400


def test_budget_admission_reads_committed_spend(ledger: SQLLedger) -> None:
    keys = KeyStore(ledger)
    key, _ = keys.create("small", budget_usd=Decimal("0.01"))
    keys.admit(key.id)
    keys.charge(key.id, Decimal("0.01"))
    with pytest.raises(BudgetExceededError):
        keys.admit(key.id)


def test_rate_window_is_shared_by_every_store_client(store_url: str) -> None:
    from tierwise.store import open_ledger

    first, second = open_ledger(store_url), open_ledger(store_url)
    assert isinstance(first, SQLLedger) and isinstance(second, SQLLedger)
    a, b = KeyStore(first), KeyStore(second)
    key, _ = a.create("rpm", rpm=3)
    now = 1_800_000_000.0
    a.hit(key.id, 3, now)
    b.hit(key.id, 3, now + 1)  # another gateway, same database
    a.hit(key.id, 3, now + 2)
    with pytest.raises(RateLimitedError) as info:
        b.hit(key.id, 3, now + 3)
    assert 0 < info.value.retry_after <= 60
    # The hint says what to do; it repeated the message ("... limit was reached").
    assert str(info.value) == (
        "the key's limit of 3 requests per minute is reached (wait the retry-after seconds "
        "before sending more, or use a key with a higher --rpm (`tierwise keys create --rpm N`))"
    )
    a.hit(key.id, 3, now + 61)  # the next minute starts a new window
    first.close()
    second.close()


class _Together:
    """A ledger whose transactions wait, after reading whether a key name is taken, until
    two have read it: the race of two `keys create` with one name, every time."""

    def __init__(self, db: SQLLedger, barrier: threading.Barrier) -> None:
        self.db, self.barrier = db, barrier

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        barrier = self.barrier

        class Tx:
            def __init__(self, tx: Any) -> None:
                self.tx = tx

            def execute(self, sql: str, params: Any = ()) -> Any:
                cursor = self.tx.execute(sql, params)
                if sql.startswith("SELECT id FROM api_keys WHERE name"):
                    barrier.wait(timeout=10)
                return cursor

        with self.db.transaction() as tx:
            yield Tx(tx)


def test_two_creates_racing_with_one_name_make_one_key(store_url: str) -> None:
    # The name check ran in each create's transaction, but PostgreSQL does not serialise
    # them: both read "free" and both inserted, two active keys named "search".
    if store_url.startswith("sqlite"):
        pytest.skip("SQLite's BEGIN IMMEDIATE serialises the creates: no race to force")
    barrier = threading.Barrier(2)
    outcomes: list[object] = []
    ledgers = [open_ledger(store_url) for _ in range(2)]

    def create(db: Any) -> None:
        try:
            outcomes.append(KeyStore(_Together(db, barrier)).create("search", unique_name=True))
        except InvalidRequestError as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=create, args=(db,)) for db in ledgers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    try:
        (winner,) = [o for o in outcomes if isinstance(o, tuple)]
        (loser,) = [o for o in outcomes if isinstance(o, InvalidRequestError)]
        key = winner[0]
        assert loser.message == f"an active key is already named 'search' ({key.id})"
        assert loser.hint == f"choose another --name, or `tierwise keys revoke {key.id}` first"
        store = KeyStore(ledgers[0])
        assert [k.name for k in store.list()] == ["search"]
        # Revoked, the name is free again; API-made keys may still share a name.
        assert store.revoke(key.id)
        store.create("search", unique_name=True)
        store.create("search")
    finally:
        for db in ledgers:
            db.close()


def test_a_ledger_with_duplicate_active_names_still_migrates(tmp_path: Path) -> None:
    # Keys made before `keys create` checked names may share one: the unique index must not
    # fail the migration, and a unique active name is held from then on.
    import sqlite3

    from tierwise.store.migrations import MIGRATIONS

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    types = {"id_pk": "INTEGER PRIMARY KEY AUTOINCREMENT", "float": "REAL", "bigint": "INTEGER"}
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for name, sql in MIGRATIONS[: [n for n, _ in MIGRATIONS].index("m009_unique_active_key_names")]:
        conn.executescript(sql.format(**types))
        conn.execute("INSERT INTO _migrations VALUES (?, '2026-01-01')", (name,))
    for key_id, name in [("a", "dup"), ("b", "dup"), ("c", "solo")]:
        conn.execute(
            "INSERT INTO api_keys (id, name, salt, secret_hash, created_at)"
            " VALUES (?, ?, '', '', '')",
            (key_id, name),
        )
    conn.commit()
    conn.close()
    ledger = open_ledger(f"sqlite:///{path}")
    assert isinstance(ledger, SQLLedger)
    try:
        held = {r["id"]: r["active_name"] for r in ledger.query("SELECT * FROM api_keys")}
        assert held == {"a": None, "b": None, "c": "solo"}
    finally:
        ledger.close()

"""The embedded default ledger: one SQLite file in WAL mode.

One connection guarded by a lock serves every thread: SQLite serialises writers anyway, and
a single connection keeps each committed row visible to the next reader at once.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from tierwise.errors import LedgerError
from tierwise.store.base import LedgerRow
from tierwise.store.sql import INSERT, SQLLedger, Tx, values

__all__ = ["SQLiteLedger", "sqlite_path"]


def sqlite_path(url_or_path: str) -> str:
    """``sqlite:///abs/path``, ``sqlite:///:memory:`` or a plain path -> a sqlite3 target."""
    if url_or_path.startswith("sqlite:///"):
        return url_or_path[len("sqlite:///") :]
    if url_or_path.startswith("sqlite://"):
        raise LedgerError(
            f"unsupported SQLite URL {url_or_path!r}",
            hint="use sqlite:///absolute/path.db or sqlite:///:memory:",
        )
    return url_or_path


class SQLiteLedger(SQLLedger):
    """The ledger on SQLite (WAL, synchronous=NORMAL)."""

    types: ClassVar[dict[str, str]] = {
        "id_pk": "INTEGER PRIMARY KEY",
        "float": "REAL",
        "bigint": "INTEGER",
    }

    def __init__(self, url_or_path: str) -> None:
        target = sqlite_path(url_or_path)
        self.path = self.location = target
        self._lock = threading.RLock()
        try:
            if target != ":memory:":
                Path(target).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                target, check_same_thread=False, isolation_level=None, timeout=30.0
            )
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA busy_timeout=30000")
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open the SQLite ledger at {target}: {exc}") from None
        except OSError as exc:
            raise LedgerError(f"cannot create the ledger directory for {target}: {exc}") from None
        self.migrate()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise LedgerError(f"ledger write failed: {exc}") from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return list(self._conn.execute(sql, tuple(params)).fetchall())
            except sqlite3.Error as exc:
                raise LedgerError(f"ledger read failed: {exc}") from None

    def record(self, row: LedgerRow) -> int:
        # In autocommit mode one INSERT is its own transaction, as atomic and as durable as
        # BEGIN IMMEDIATE / INSERT / COMMIT, for one statement instead of three.
        params = values(row)
        with self._lock:
            try:
                return int(self._conn.execute(INSERT, params).lastrowid or 0)
            except sqlite3.Error as exc:
                raise LedgerError(f"ledger write failed: {exc}") from None

    def _insert(self, tx: Tx, row_values: tuple[Any, ...]) -> int:
        cursor = tx.execute(INSERT, row_values)
        return int(getattr(cursor, "lastrowid", 0) or 0)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

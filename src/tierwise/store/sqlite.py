"""The embedded default ledger: one SQLite file in WAL mode.

One connection guarded by a lock serves every thread: SQLite serialises writers anyway, and
a single connection keeps each committed row visible to the next reader at once.

Checkpoints (moving the WAL into the database file, with an fsync) run on a background
thread with its own connection instead of inside whichever commit crossed SQLite's
automatic threshold: that commit took 5-10 ms while holding the lock every other request's
ledger write was waiting on. A row is committed to the WAL before its request answers,
exactly as before; the background thread only moves it on, within half a second.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from tierwise.errors import LedgerError, LedgerUnavailableError
from tierwise.store.base import LedgerRow
from tierwise.store.sql import INSERT, SQLLedger, Tx, values

__all__ = ["SQLiteLedger", "sqlite_path"]

_log = logging.getLogger(__name__)


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


# SQLite's primary result codes that say the file cannot be written now (another process
# holds the lock past busy_timeout, the disk or the file's page limit is full, an I/O error,
# a read-only or vanished file), not that the statement is wrong: a row that meets one is
# spooled like one the PostgreSQL ledger cannot reach, instead of lost.
_UNAVAILABLE = frozenset(
    {
        5,  # SQLITE_BUSY
        6,  # SQLITE_LOCKED
        7,  # SQLITE_NOMEM
        8,  # SQLITE_READONLY
        10,  # SQLITE_IOERR
        13,  # SQLITE_FULL
        14,  # SQLITE_CANTOPEN
        15,  # SQLITE_PROTOCOL
    }
)


def _failed(what: str, exc: sqlite3.Error) -> LedgerError:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in _UNAVAILABLE:
        return LedgerUnavailableError(f"the SQLite ledger cannot be written ({what}): {exc}")
    return LedgerError(f"ledger {what} failed: {exc}")


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
            self._checkpoints: _Checkpointer | None = None
            if target != ":memory:":
                self._conn.execute("PRAGMA wal_autocheckpoint=0")
                self._checkpoints = _Checkpointer(target, self._lock)
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
                if self._checkpoints is not None:
                    self._checkpoints.wrote()
            except sqlite3.Error as exc:
                raise _failed("write", exc) from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return list(self._conn.execute(sql, tuple(params)).fetchall())
            except sqlite3.Error as exc:
                raise _failed("read", exc) from None

    def record(self, row: LedgerRow) -> int:
        # In autocommit mode one INSERT is its own transaction, as atomic and as durable as
        # BEGIN IMMEDIATE / INSERT / COMMIT, for one statement instead of three.
        params = values(row)
        with self._lock:
            try:
                row_id = int(self._conn.execute(INSERT, params).lastrowid or 0)
            except sqlite3.Error as exc:
                raise _failed("write", exc) from None
        if self._checkpoints is not None:
            self._checkpoints.wrote()
        return row_id

    def _insert(self, tx: Tx, row_values: tuple[Any, ...]) -> int:
        cursor = tx.execute(INSERT, row_values)
        return int(getattr(cursor, "lastrowid", 0) or 0)

    def close(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.close()
        with self._lock:
            self._conn.close()  # the last connection to close checkpoints what is left


class _Checkpointer:
    """PASSIVE checkpoints on its own connection and thread, at most one per interval and
    only after writes. PASSIVE never waits for (or blocks) readers and writers, so under
    steady writes it never catches up with the end of the WAL, and only a complete
    checkpoint lets SQLite start the WAL over: past ``MAX_FRAMES`` one checkpoint runs
    holding the ledger's lock. It has little left to copy by then, and it comes about once
    per ``MAX_FRAMES`` pages written instead of SQLite's default of once per 1,000."""

    INTERVAL_S = 0.5
    MAX_FRAMES = 4000

    def __init__(self, path: str, ledger_lock: threading.RLock) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._ledger_lock = ledger_lock
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="tierwise-ledger-checkpoint", daemon=True
        )
        self._thread.start()

    def wrote(self) -> None:
        self._dirty.set()

    def _checkpoint(self) -> tuple[int, int]:
        """(frames in the WAL, frames copied into the database)."""
        _, frames, copied = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(frames), int(copied)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._dirty.wait()
            self._stop.wait(self.INTERVAL_S)
            self._dirty.clear()
            try:
                frames, copied = self._checkpoint()
                if frames > self.MAX_FRAMES and copied < frames:
                    with self._ledger_lock:
                        self._checkpoint()
            except sqlite3.Error:
                _log.warning("ledger checkpoint failed; retrying after the next write")

    def close(self) -> None:
        self._stop.set()
        self._dirty.set()
        self._thread.join()
        self._conn.close()

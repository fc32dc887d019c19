"""The ledger on PostgreSQL, for several gateways sharing one ledger and one set of budgets.

psycopg 3 directly (with its connection pool) rather than SQLAlchemy: the SQL is already
portable and small, the store needs exactly three operations (a transaction, a query, an
insert returning the id), and budgets rely on PostgreSQL's own atomic
``UPDATE ... SET spent = spent + ?`` and ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``,
which need no ORM. Migrations run under an advisory lock so gateways can start together.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from tierwise.errors import LedgerError, LedgerUnavailableError
from tierwise.store.sql import INSERT, Cursor, SQLLedger, Tx

__all__ = ["PostgresLedger"]

_MIGRATION_LOCK = 7_220_415  # any constant: one advisory lock for tierwise migrations
# A ledger that cannot be reached is reported in seconds, not after a 10 s pool wait: the
# engine then spools rows and the gateway answers 503 (retry-after) instead of hanging.
CONNECT_TIMEOUT_S = 2
ACQUIRE_TIMEOUT_S = 2.0
# A pool whose every connection is busy (many requests charging one key) is load, not an
# outage: keep waiting this long in total before giving up, instead of spooling and refusing.
BUSY_WAIT_S = 30.0
# How long one answer to "does the server accept connections?" is reused by every waiter.
PROBE_TTL_S = 1.0
_log = logging.getLogger(__name__)
_pool_numbers = itertools.count(1)
_HINT = (
    "check that the server is up and the URL's host, port, database and user "
    "(`tierwise config show` shows the ledger URL's source)"
)


class _QuietRetries(logging.Filter):
    """psycopg_pool logs every failed connection attempt of its background workers: a down
    server printed psycopg's error once per retry. tierwise reports the outage itself, once
    (the ledger's first use, the spool's first row, the ledger's errors). Only this
    ledger's pool is quietened: a host application's own pools log as they always did."""

    def __init__(self, pool_name: str) -> None:
        super().__init__()
        self._prefix = f"error connecting in {pool_name!r}:"

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self._prefix)


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split())  # psycopg's message has a tab-indented line


class _PgTx:
    """A psycopg connection that takes ``?`` placeholders like the rest of the store."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        return self.conn.execute(sql.replace("?", "%s"), tuple(params))  # type: ignore[no-any-return]


class PostgresLedger(SQLLedger):
    types: ClassVar[dict[str, str]] = {
        "id_pk": "BIGSERIAL PRIMARY KEY",
        "float": "DOUBLE PRECISION",
        "bigint": "BIGINT",
    }
    row_lock: ClassVar[str] = " FOR UPDATE"

    def __init__(
        self, url: str, *, min_size: int = 1, max_size: int = 16, lazy: bool = False
    ) -> None:
        """``lazy``: start even when the database is down (it is migrated once it answers;
        until then writes raise LedgerUnavailableError, which the engine spools)."""
        try:
            import psycopg
            from psycopg.rows import dict_row
            from psycopg_pool import ConnectionPool, PoolTimeout
        except ImportError:
            raise LedgerError(
                "the PostgreSQL ledger needs psycopg", hint="pip install 'tierwise[postgres]'"
            ) from None
        self._errors: tuple[type[BaseException], ...] = (psycopg.Error, PoolTimeout)
        # Connection failures (the server is down or restarting) as opposed to bad SQL; and
        # a server that takes no writes now (a standby after a failover, read-only mode).
        self._unreachable: tuple[type[BaseException], ...] = (
            psycopg.OperationalError,
            PoolTimeout,
            psycopg.errors.ReadOnlySqlTransaction,
        )
        self.location = url.rsplit("@", 1)[-1]  # never the password
        self._conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        self._probe_lock = threading.Lock()
        self._probed: tuple[float, str | None] | None = None  # (when, why unreachable)
        # Connections lent out by _connection() and not yet returned. (The pool's own
        # pool_size counts connection attempts in progress, so it cannot tell.)
        self._lent = 0
        self._lent_lock = threading.Lock()
        self._migrated = False
        self._migrating = False
        self._migrate_lock = threading.RLock()
        self._opened = False  # the pool (a lazy ledger's opens at first use)
        self._told = False  # the outage found at first use was logged
        self._pool_name = f"tierwise-ledger-{next(_pool_numbers)}"
        self._quiet = _QuietRetries(self._pool_name)
        logging.getLogger("psycopg.pool").addFilter(self._quiet)
        # Lazy (every client and gateway start): no connection until the first use, which
        # checks the server (reporting an outage once), opens the pool and migrates.
        self.pool = ConnectionPool(
            self._conninfo,
            min_size=min_size,
            max_size=max_size,
            kwargs={
                "row_factory": dict_row,
                "autocommit": False,
                "connect_timeout": CONNECT_TIMEOUT_S,
            },
            open=False,
            # A pooled connection is checked before use, so the first requests after a
            # database restart do not fail on connections that died with it.
            check=ConnectionPool.check_connection,
            timeout=ACQUIRE_TIMEOUT_S,
            name=self._pool_name,
        )
        if lazy:
            return
        # One direct connection first: a server that is down, or refuses these credentials,
        # is one line at once, not pool log lines on stderr every retry and "pool
        # initialization incomplete after 10 sec".
        reason = self._reach()
        if reason is not None:
            self.close()
            raise LedgerError(
                f"cannot connect to the PostgreSQL ledger at {self.location}: {reason}",
                hint=_HINT,
            )
        try:
            self.pool.open(wait=True, timeout=10)  # (a failed wait closes the pool)
            self._opened = True
        except Exception as exc:  # the pool raises its own and psycopg's errors
            self.close()
            raise LedgerError(
                f"cannot connect to the PostgreSQL ledger at {self.location}: {exc}"
            ) from None
        self.migrate()

    def _failed(self, what: str, exc: BaseException) -> LedgerError:
        if isinstance(exc, self._unreachable):
            return LedgerUnavailableError(
                f"the PostgreSQL ledger at {self.location} is unreachable ({what}): {exc}"
            )
        return LedgerError(f"ledger {what} failed: {exc}")

    def _ensure_migrated(self) -> None:
        """Migrate on first use when the database was down at start. The lock is
        re-entrant because migrating opens a transaction of its own."""
        if self._migrated:
            return
        with self._migrate_lock:
            if self._migrated or self._migrating:
                return
            self._open()
            self._migrating = True
            try:
                self.migrate()
            finally:
                self._migrating = False

    def _open(self) -> None:
        """A lazy ledger's first use: the server is checked with one direct connection (a
        down one is reported once, with the reason and what to check, and each use until it
        answers raises LedgerUnavailableError, which the engine spools), then the pool opens."""
        if self._opened:
            return
        reason = self._reach()
        if reason is not None:
            if not self._told:
                self._told = True
                _log.warning(
                    "the PostgreSQL ledger at %s is unreachable: %s; the calls [ledger] "
                    "on_outage allows go on, their rows spooled until it answers; %s",
                    self.location,
                    reason,
                    _HINT,
                )
            raise LedgerUnavailableError(
                f"the PostgreSQL ledger at {self.location} is unreachable (connect): {reason}"
            )
        self.pool.open()
        self._opened = True

    def migrate(self) -> None:
        super().migrate()
        self._migrated = True

    def _busy(self) -> bool:
        """After a PoolTimeout (the same error for a busy pool and a server that is down):
        whether the server is up and merely busy. It is when some of this ledger's
        connections are lent out (to transactions in progress: a down server's fail within
        the wait and come back), whether or not the pool could have grown (it may be
        growing slowly under load, or the server may refuse more connections for being too
        many); else when a new connection opens (psycopg's OperationalError is the outage).
        One probe at a time, its answer shared for PROBE_TTL_S. A server that stops
        answering mid-transaction (a network partition) is taken for busy until those
        transactions fail, at most BUSY_WAIT_S."""
        with self._lent_lock:
            if self._lent > 0:
                return True
        return self._reach() is None

    def _reach(self) -> str | None:
        """Why a new connection to the server fails (None: it opens). One probe at a time,
        its answer shared for PROBE_TTL_S."""
        import psycopg

        with self._probe_lock:
            now = time.monotonic()
            if self._probed is not None and now - self._probed[0] < PROBE_TTL_S:
                return self._probed[1]
            try:
                psycopg.connect(self._conninfo, connect_timeout=CONNECT_TIMEOUT_S).close()
                reason = None
            except psycopg.Error as exc:
                reason = _reason(exc)
            self._probed = (time.monotonic(), reason)
            return reason

    def _acquire(self) -> Any:
        """A pooled connection. While none is free, the wait goes on (up to BUSY_WAIT_S)
        as long as the server is up: a busy pool is load, not an outage."""
        from psycopg_pool import PoolTimeout

        waited = 0.0
        while True:
            try:
                return self.pool.getconn(timeout=ACQUIRE_TIMEOUT_S)
            except PoolTimeout:
                waited += ACQUIRE_TIMEOUT_S
                if waited >= BUSY_WAIT_S or not self._busy():
                    raise

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """As ``pool.connection()`` (commit or roll back, then return to the pool)."""
        conn = self._acquire()
        with self._lent_lock:
            self._lent += 1
        try:
            with conn:
                yield conn
        finally:
            with self._lent_lock:
                self._lent -= 1
            self.pool.putconn(conn)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        self._ensure_migrated()
        try:
            with self._connection() as conn, conn.transaction():
                yield _PgTx(conn)
        except self._errors as exc:
            raise self._failed("write", exc) from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        self._ensure_migrated()
        try:
            with self._connection() as conn:
                rows = conn.execute(sql.replace("?", "%s"), tuple(params)).fetchall()
                conn.commit()
                return list(rows)
        except self._errors as exc:
            raise self._failed("read", exc) from None

    def _lock_migrations(self, tx: Tx) -> None:
        tx.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))

    def _insert(self, tx: Tx, row_values: tuple[Any, ...]) -> int:
        (row,) = tx.execute(INSERT + " RETURNING id", row_values).fetchall()
        return int(row["id"])

    def close(self) -> None:
        self.pool.close()
        logging.getLogger("psycopg.pool").removeFilter(self._quiet)

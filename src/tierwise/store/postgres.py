"""The ledger on PostgreSQL, for several gateways sharing one ledger and one set of budgets.

psycopg 3 directly (with its connection pool) rather than SQLAlchemy: the SQL is already
portable and small, the store needs exactly three operations (a transaction, a query, an
insert returning the id), and budgets rely on PostgreSQL's own atomic
``UPDATE ... SET spent = spent + ?`` and ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``,
which need no ORM. Migrations run under an advisory lock so gateways can start together.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from tierwise.errors import LedgerError
from tierwise.store.sql import INSERT, Cursor, SQLLedger, Tx

__all__ = ["PostgresLedger"]

_MIGRATION_LOCK = 7_220_415  # any constant: one advisory lock for tierwise migrations


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

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 16) -> None:
        try:
            import psycopg
            from psycopg.rows import dict_row
            from psycopg_pool import ConnectionPool
        except ImportError:
            raise LedgerError(
                "the PostgreSQL ledger needs psycopg", hint="pip install 'tierwise[postgres]'"
            ) from None
        self._errors: tuple[type[BaseException], ...] = (psycopg.Error,)
        self.location = url.rsplit("@", 1)[-1]  # never the password
        try:
            self.pool = ConnectionPool(
                url.replace("postgresql+psycopg://", "postgresql://"),
                min_size=min_size,
                max_size=max_size,
                kwargs={"row_factory": dict_row, "autocommit": False},
                open=True,
                timeout=10,
            )
            self.pool.wait(timeout=10)
        except Exception as exc:  # the pool raises its own and psycopg's errors
            raise LedgerError(
                f"cannot connect to the PostgreSQL ledger at {self.location}: {exc}"
            ) from None
        self.migrate()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        try:
            with self.pool.connection() as conn, conn.transaction():
                yield _PgTx(conn)
        except self._errors as exc:
            raise LedgerError(f"ledger write failed: {exc}") from None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            with self.pool.connection() as conn:
                rows = conn.execute(sql.replace("?", "%s"), tuple(params)).fetchall()
                conn.commit()
                return list(rows)
        except self._errors as exc:
            raise LedgerError(f"ledger read failed: {exc}") from None

    def _lock_migrations(self, tx: Tx) -> None:
        tx.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))

    def _insert(self, tx: Tx, row_values: tuple[Any, ...]) -> int:
        (row,) = tx.execute(INSERT + " RETURNING id", row_values).fetchall()
        return int(row["id"])

    def close(self) -> None:
        self.pool.close()

"""The ledger logic shared by every SQL store: migrations, row mapping, queries.

Stores differ only in how they connect, open a transaction and spell a few column types;
SQL here uses ``?`` placeholders, which a store translates if its driver needs to.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal, Protocol

from tierwise.errors import LedgerError
from tierwise.store.base import LedgerRow, LedgerTotals
from tierwise.store.migrations import MIGRATIONS

__all__ = ["COLUMNS", "Cursor", "SQLLedger", "Tx"]

COLUMNS = (
    "ts", "request_id", "attempt", "tier", "model_id", "input_tokens", "output_tokens",
    "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cost_usd",
    "latency_ms", "status", "error_class", "stop_reason", "batch", "api_key_id", "route",
    "rejection_reason", "metadata",
)  # fmt: skip
INSERT = f"INSERT INTO ledger ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchall(self) -> list[Any]: ...


class Tx(Protocol):
    """A connection inside a transaction, speaking ``?`` placeholders."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...


def json_column(value: dict[str, Any] | None) -> str | None:
    """A JSON column's text (the ledger's and the captures'): keys sorted, odd values as str."""
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def _loads(value: str | None) -> dict[str, Any] | None:
    return None if value is None else dict(json.loads(value))


def iso(value: datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def to_row(r: Any) -> LedgerRow:
    return LedgerRow(
        id=int(r["id"]),
        ts=datetime.fromisoformat(r["ts"]),
        request_id=r["request_id"],
        attempt=r["attempt"],
        tier=r["tier"],
        model_id=r["model_id"],
        input_tokens=r["input_tokens"],
        output_tokens=r["output_tokens"],
        cache_read_tokens=r["cache_read_tokens"],
        cache_write_5m_tokens=r["cache_write_5m_tokens"],
        cache_write_1h_tokens=r["cache_write_1h_tokens"],
        cost_usd=Decimal(r["cost_usd"]),
        latency_ms=float(r["latency_ms"]),
        status=r["status"],
        error_class=r["error_class"],
        stop_reason=r["stop_reason"],
        batch=bool(r["batch"]),
        api_key_id=r["api_key_id"],
        route=_loads(r["route"]),
        rejection_reason=r["rejection_reason"],
        metadata=_loads(r["metadata"]),
    )


def values(row: LedgerRow) -> tuple[Any, ...]:
    return (
        iso(row.ts), row.request_id, row.attempt, row.tier, row.model_id,
        row.input_tokens, row.output_tokens, row.cache_read_tokens, row.cache_write_5m_tokens,
        row.cache_write_1h_tokens, str(row.cost_usd), row.latency_ms, row.status,
        row.error_class, row.stop_reason, int(row.batch), row.api_key_id, json_column(row.route),
        row.rejection_reason, json_column(row.metadata),
    )  # fmt: skip


def _filters(
    *,
    request_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[str, tuple[Any, ...]]:
    clauses: list[str] = []
    params: list[Any] = []
    if request_id is not None:
        clauses.append("request_id = ?")
        params.append(request_id)
    if since is not None:
        clauses.append("ts >= ?")
        params.append(iso(since))
    if until is not None:
        clauses.append("ts < ?")
        params.append(iso(until))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


class SQLLedger(ABC):
    """A :class:`~tierwise.store.base.Ledger` over any SQL store."""

    #: Column types a dialect spells its own way, substituted into the migrations.
    types: ClassVar[dict[str, str]] = {}
    #: Appended to a SELECT to lock its rows until the transaction ends, where needed.
    row_lock: ClassVar[str] = ""
    location = ""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Tx]:
        """One write transaction; driver errors become LedgerError inside it."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows (mapping-like) of one read."""

    @abstractmethod
    def _insert(self, tx: Tx, row_values: tuple[Any, ...]) -> int:
        """Insert one ledger row; return its id."""

    @abstractmethod
    def close(self) -> None: ...

    def _lock_migrations(self, tx: Tx) -> None:  # noqa: B027 - optional hook
        """Serialise concurrent migrators (several gateways starting at once)."""

    def migrate(self) -> None:
        with self.transaction() as tx:
            self._lock_migrations(tx)
            tx.execute(
                "CREATE TABLE IF NOT EXISTS _migrations"
                " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            applied = {r["name"] for r in tx.execute("SELECT name FROM _migrations").fetchall()}
            unknown = sorted(applied - {name for name, _ in MIGRATIONS})
            if unknown:
                raise LedgerError(
                    f"the ledger at {self.location} has migrations this tierwise does not know: "
                    f"{', '.join(unknown)}",
                    hint="it was written by a newer tierwise; upgrade tierwise to use it",
                )
            for name, sql in MIGRATIONS:
                if name in applied:
                    continue
                for statement in filter(str.strip, sql.format(**self.types).split(";")):
                    tx.execute(statement)
                tx.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                    (name, datetime.now(UTC).isoformat()),
                )

    def migrations(self) -> list[str]:
        return [r["name"] for r in self.query("SELECT name FROM _migrations ORDER BY name")]

    def insert(self, tx: Tx, row: LedgerRow) -> int:
        """Insert ``row`` inside the caller's transaction ``tx``; returns its id."""
        return self._insert(tx, values(row))

    def record(self, row: LedgerRow) -> int:
        with self.transaction() as tx:
            return self._insert(tx, values(row))

    def record_many(self, rows: list[LedgerRow]) -> list[int]:
        with self.transaction() as tx:
            return [self._insert(tx, values(row)) for row in rows]

    def rows(
        self,
        *,
        request_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        order: Literal["asc", "desc"] = "asc",
    ) -> list[LedgerRow]:
        where, params = _filters(request_id=request_id, since=since, until=until)
        direction = "DESC" if order == "desc" else "ASC"
        sql = f"SELECT * FROM ledger{where} ORDER BY id {direction}"
        if limit is not None:
            sql += " LIMIT ?"
            params = (*params, int(limit))
        return [to_row(r) for r in self.query(sql, params)]

    def iter_rows(self, since: datetime | None = None) -> Iterator[LedgerRow]:
        yield from self.rows(since=since)

    def totals(self, *, since: datetime | None = None) -> LedgerTotals:
        where, params = _filters(since=since)
        (r,) = self.query(
            "SELECT COUNT(DISTINCT request_id) AS requests, COUNT(*) AS calls,"
            " COALESCE(SUM(input_tokens), 0) AS i, COALESCE(SUM(output_tokens), 0) AS o,"
            " COALESCE(SUM(cache_read_tokens), 0) AS cr,"
            " COALESCE(SUM(cache_write_5m_tokens), 0) AS w5,"
            " COALESCE(SUM(cache_write_1h_tokens), 0) AS w1"
            f" FROM ledger{where}",
            params,
        )
        costs = self.query(f"SELECT cost_usd FROM ledger{where}", params)
        return LedgerTotals(
            requests=int(r["requests"]),
            calls=int(r["calls"]),
            input_tokens=int(r["i"]),
            output_tokens=int(r["o"]),
            cache_read_tokens=int(r["cr"]),
            cache_write_5m_tokens=int(r["w5"]),
            cache_write_1h_tokens=int(r["w1"]),
            # Summed in Decimal: SQL SUM over TEXT would go through floats.
            cost_usd=sum((Decimal(c["cost_usd"]) for c in costs), Decimal(0)),
        )

    def __enter__(self) -> SQLLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

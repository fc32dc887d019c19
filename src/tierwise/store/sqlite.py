"""The embedded default ledger: one SQLite file in WAL mode.

One connection guarded by a lock serves every thread: SQLite serialises writers anyway, and
a single connection keeps each committed row visible to the next reader at once.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from tierwise.errors import LedgerError
from tierwise.store.base import LedgerRow, LedgerTotals
from tierwise.store.migrations import MIGRATIONS

__all__ = ["SQLiteLedger", "sqlite_path"]

_COLUMNS = (
    "ts", "request_id", "attempt", "tier", "model_id", "input_tokens", "output_tokens",
    "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens", "cost_usd",
    "latency_ms", "status", "error_class", "stop_reason", "batch", "api_key_id", "route",
    "rejection_reason", "metadata",
)  # fmt: skip
_INSERT = f"INSERT INTO ledger ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"


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


def _dumps(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def _loads(value: str | None) -> dict[str, Any] | None:
    return None if value is None else dict(json.loads(value))


def _to_row(r: sqlite3.Row) -> LedgerRow:
    return LedgerRow(
        id=r["id"],
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
        latency_ms=r["latency_ms"],
        status=r["status"],
        error_class=r["error_class"],
        stop_reason=r["stop_reason"],
        batch=bool(r["batch"]),
        api_key_id=r["api_key_id"],
        route=_loads(r["route"]),
        rejection_reason=r["rejection_reason"],
        metadata=_loads(r["metadata"]),
    )


def _values(row: LedgerRow) -> tuple[Any, ...]:
    ts = row.ts if row.ts.tzinfo else row.ts.replace(tzinfo=UTC)
    return (
        ts.astimezone(UTC).isoformat(), row.request_id, row.attempt, row.tier, row.model_id,
        row.input_tokens, row.output_tokens, row.cache_read_tokens, row.cache_write_5m_tokens,
        row.cache_write_1h_tokens, str(row.cost_usd), row.latency_ms, row.status,
        row.error_class, row.stop_reason, int(row.batch), row.api_key_id, _dumps(row.route),
        row.rejection_reason, _dumps(row.metadata),
    )  # fmt: skip


def _iso(value: datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


class SQLiteLedger:
    """The :class:`~tierwise.store.base.Ledger` on SQLite (WAL, synchronous=NORMAL)."""

    def __init__(self, url_or_path: str) -> None:
        target = sqlite_path(url_or_path)
        self.path = target
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
            self._migrate()
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open the SQLite ledger at {target}: {exc}") from None
        except OSError as exc:
            raise LedgerError(f"cannot create the ledger directory for {target}: {exc}") from None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; sqlite3 errors become LedgerError here and nowhere else."""
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

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return list(self._conn.execute(sql, params).fetchall())
            except sqlite3.Error as exc:
                raise LedgerError(f"ledger read failed: {exc}") from None

    def _migrate(self) -> None:
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations"
            " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        applied = {r["name"] for r in self._conn.execute("SELECT name FROM _migrations")}
        known = {name for name, _ in MIGRATIONS}
        unknown = sorted(applied - known)
        if unknown:
            raise LedgerError(
                f"the ledger at {self.path} has migrations this tierwise does not know: "
                f"{', '.join(unknown)}",
                hint="it was written by a newer tierwise; upgrade tierwise to use it",
            )
        for name, sql in MIGRATIONS:
            if name in applied:
                continue
            with self.transaction() as conn:
                for statement in filter(str.strip, sql.split(";")):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                    (name, datetime.now(UTC).isoformat()),
                )

    def migrations(self) -> list[str]:
        return [r["name"] for r in self.query("SELECT name FROM _migrations ORDER BY name")]

    def record(self, row: LedgerRow) -> int:
        with self.transaction() as conn:
            cur = conn.execute(_INSERT, _values(row))
            return int(cur.lastrowid or 0)

    def record_many(self, rows: list[LedgerRow]) -> list[int]:
        ids: list[int] = []
        with self.transaction() as conn:
            for row in rows:
                ids.append(int(conn.execute(_INSERT, _values(row)).lastrowid or 0))
        return ids

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
        return [_to_row(r) for r in self.query(sql, params)]

    def totals(self, *, since: datetime | None = None) -> LedgerTotals:
        where, params = _filters(since=since)
        rows = self.query(
            "SELECT COUNT(DISTINCT request_id) AS requests, COUNT(*) AS calls,"
            " COALESCE(SUM(input_tokens), 0) AS i, COALESCE(SUM(output_tokens), 0) AS o,"
            " COALESCE(SUM(cache_read_tokens), 0) AS cr,"
            " COALESCE(SUM(cache_write_5m_tokens), 0) AS w5,"
            " COALESCE(SUM(cache_write_1h_tokens), 0) AS w1"
            f" FROM ledger{where}",
            params,
        )
        costs = self.query(f"SELECT cost_usd FROM ledger{where}", params)
        r = rows[0]
        return LedgerTotals(
            requests=r["requests"],
            calls=r["calls"],
            input_tokens=r["i"],
            output_tokens=r["o"],
            cache_read_tokens=r["cr"],
            cache_write_5m_tokens=r["w5"],
            cache_write_1h_tokens=r["w1"],
            # Summed in Decimal: SQLite's SUM over TEXT would go through floats.
            cost_usd=sum((Decimal(c["cost_usd"]) for c in costs), Decimal(0)),
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SQLiteLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
        params.append(_iso(since))
    if until is not None:
        clauses.append("ts < ?")
        params.append(_iso(until))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)

"""Captured requests and answers (opt-in, ``[capture]``), in the ledger's database.

A capture holds the request as sent to Bedrock and the answer, both already redacted by the
caller, with the routing decision and task class, so ``tierwise evaluate`` can replay a class
on other tiers. Only admin keys may read them over HTTP; ``tierwise capture purge`` deletes
them, and rows older than the retention period are deleted as new ones arrive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tierwise.store.sql import SQLLedger, iso, json_column

__all__ = ["Capture", "CaptureStore"]


@dataclass(frozen=True)
class Capture:
    id: int | None
    ts: datetime
    request_id: str
    api_key_id: str | None
    task_class: str | None
    tier: str | None
    model_id: str
    route: dict[str, Any] | None
    request: dict[str, Any]
    answer: dict[str, Any]
    redactions: int
    truncated: bool
    cost_usd: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ts": iso(self.ts),
            "request_id": self.request_id,
            "api_key_id": self.api_key_id,
            "task_class": self.task_class,
            "tier": self.tier,
            "model_id": self.model_id,
            "route": self.route,
            "request": self.request,
            "answer": self.answer,
            "redactions": self.redactions,
            "truncated": self.truncated,
            "cost_usd": str(self.cost_usd),
        }


def _row(r: Any) -> Capture:
    return Capture(
        id=int(r["id"]),
        ts=datetime.fromisoformat(r["ts"]),
        request_id=r["request_id"],
        api_key_id=r["api_key_id"],
        task_class=r["task_class"],
        tier=r["tier"],
        model_id=r["model_id"],
        route=json.loads(r["route"]) if r["route"] else None,
        request=json.loads(r["request"]),
        answer=json.loads(r["answer"]),
        redactions=int(r["redactions"]),
        truncated=bool(r["truncated"]),
        cost_usd=Decimal(r["cost_usd"]),
    )


class CaptureStore:
    def __init__(self, db: SQLLedger) -> None:
        self.db = db

    def add(self, capture: Capture, *, retention_days: int | None = None) -> None:
        """Store one capture; with ``retention_days``, also drop captures past retention
        (in the same transaction, so the table never grows past what the team allowed)."""
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO captures (ts, request_id, api_key_id, task_class, tier, model_id,"
                " route, request, answer, redactions, truncated, cost_usd)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    iso(capture.ts), capture.request_id, capture.api_key_id, capture.task_class,
                    capture.tier, capture.model_id, json_column(capture.route),
                    json_column(capture.request), json_column(capture.answer),
                    capture.redactions, int(capture.truncated), str(capture.cost_usd),
                ),
            )  # fmt: skip
            if retention_days is not None:
                cutoff = datetime.now(UTC) - timedelta(days=retention_days)
                tx.execute("DELETE FROM captures WHERE ts < ?", (iso(cutoff),))

    def list(
        self,
        *,
        task_class: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
        after: int | None = None,
    ) -> list[Capture]:
        """Captures in id order; ``after``: only those with a larger id (paging)."""
        clauses: list[str] = []
        params: list[Any] = []
        if after is not None:
            clauses.append("id > ?")
            params.append(int(after))
        if task_class is not None:
            clauses.append("task_class = ?")
            params.append(task_class)
        if since is not None:
            clauses.append("ts >= ?")
            params.append(iso(since))
        sql = "SELECT * FROM captures"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY id ASC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [_row(r) for r in self.db.query(sql, params)]

    def count(self) -> int:
        (r,) = self.db.query("SELECT COUNT(*) AS n FROM captures")
        return int(r["n"])

    def purge(self, *, before: datetime | None = None) -> int:
        """Delete captures (all, or those before ``before``); returns how many went."""
        with self.db.transaction() as tx:
            if before is None:
                cur = tx.execute("DELETE FROM captures")
            else:
                cur = tx.execute("DELETE FROM captures WHERE ts < ?", (iso(before),))
            return int(cur.rowcount)

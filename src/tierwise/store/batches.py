"""Batch runs in the ledger's database, so a batch's status survives restarts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tierwise.store.base import Ledger, LedgerRow
from tierwise.store.sql import SQLLedger

__all__ = ["BatchRecord", "BatchStore", "JobRow"]


@dataclass(frozen=True)
class BatchRecord:
    position: int
    custom_id: str
    tier: str | None
    model_id: str | None
    mode: str  # "batch", "on-demand", "refused", "waiting"
    job_arn: str | None
    state: str  # "pending", "done", "error", "refused", "waiting"
    reason: str | None
    result: dict[str, Any] | None
    ledger_id: int | None


@dataclass(frozen=True)
class JobRow:
    job_arn: str
    model_id: str
    tier: str | None
    output_uri: str
    status: str
    detail: dict[str, Any]


class BatchStore:
    def __init__(self, db: SQLLedger) -> None:
        self.db = db

    def create(self, batch_id: str, name: str, input_path: str, records: list[BatchRecord]) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO batches (id, name, created_at, input_path, record_count)"
                " VALUES (?, ?, ?, ?, ?)",
                (batch_id, name, datetime.now(UTC).isoformat(), input_path, len(records)),
            )
            for r in records:
                tx.execute(
                    "INSERT INTO batch_records (batch_id, position, custom_id, tier, model_id,"
                    " mode, job_arn, state, reason, result, ledger_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        batch_id, r.position, r.custom_id, r.tier, r.model_id, r.mode, r.job_arn,
                        r.state, r.reason, json.dumps(r.result) if r.result is not None else None,
                        r.ledger_id,
                    ),
                )  # fmt: skip

    def add_job(self, batch_id: str, job: JobRow, positions: list[int]) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO batch_jobs (job_arn, batch_id, model_id, tier, output_uri, status,"
                " detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (job.job_arn, batch_id, job.model_id, job.tier, job.output_uri, job.status,
                 json.dumps(job.detail)),
            )  # fmt: skip
            for position in positions:
                tx.execute(
                    "UPDATE batch_records SET job_arn = ? WHERE batch_id = ? AND position = ?",
                    (job.job_arn, batch_id, position),
                )

    def update_job(self, job_arn: str, status: str, detail: dict[str, Any]) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE batch_jobs SET status = ?, detail = ? WHERE job_arn = ?",
                (status, json.dumps(detail, default=str), job_arn),
            )

    def finish_record(
        self,
        batch_id: str,
        position: int,
        *,
        state: str,
        result: dict[str, Any] | None,
        reason: str | None,
        ledger_id: int | None,
    ) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE batch_records SET state = ?, result = ?, reason = ?, ledger_id = ?"
                " WHERE batch_id = ? AND position = ?",
                (state, json.dumps(result) if result is not None else None, reason, ledger_id,
                 batch_id, position),
            )  # fmt: skip

    def settle_record(
        self,
        batch_id: str,
        position: int,
        *,
        state: str,
        result: dict[str, Any] | None,
        reason: str | None,
        row: LedgerRow | None,
        ledger: Ledger,
    ) -> bool:
        """Finish a pending batch record and ledger its ``row`` (if any) at most once:
        whether this call did (False: another collect had finished it already).

        The record is claimed with a conditional update, which holds its row lock until
        the row is ledgered, so two collects running at once (or one run again after a
        crash) bill a result once. On the batch store's own ledger (the usual case) the
        row and the record commit together; on another ledger the row commits first."""
        with self.db.transaction() as tx:
            claimed = tx.execute(
                "UPDATE batch_records SET state = ?, result = ?, reason = ?"
                " WHERE batch_id = ? AND position = ? AND state = 'pending'",
                (state, json.dumps(result) if result is not None else None, reason,
                 batch_id, position),
            ).rowcount  # fmt: skip
            if claimed != 1:
                return False
            if row is not None:
                ledger_id = self.db.insert(tx, row) if ledger is self.db else ledger.record(row)
                tx.execute(
                    "UPDATE batch_records SET ledger_id = ? WHERE batch_id = ? AND position = ?",
                    (ledger_id, batch_id, position),
                )
        return True

    def record(self, batch_id: str, position: int) -> BatchRecord | None:
        """One record as stored."""
        rows = self.db.query(
            "SELECT * FROM batch_records WHERE batch_id = ? AND position = ?", (batch_id, position)
        )
        return _record(rows[0]) if rows else None

    def batches(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.query("SELECT * FROM batches ORDER BY created_at")]

    def batch(self, batch_id: str) -> dict[str, Any] | None:
        rows = self.db.query("SELECT * FROM batches WHERE id = ?", (batch_id,))
        return dict(rows[0]) if rows else None

    def jobs(self, batch_id: str) -> list[JobRow]:
        rows = self.db.query(
            "SELECT * FROM batch_jobs WHERE batch_id = ? ORDER BY job_arn", (batch_id,)
        )
        return [
            JobRow(
                r["job_arn"], r["model_id"], r["tier"], r["output_uri"], r["status"],
                json.loads(r["detail"] or "{}"),
            )
            for r in rows
        ]  # fmt: skip

    def records(self, batch_id: str) -> list[BatchRecord]:
        return [
            _record(r)
            for r in self.db.query(
                "SELECT * FROM batch_records WHERE batch_id = ? ORDER BY position", (batch_id,)
            )
        ]


def _record(r: Any) -> BatchRecord:
    return BatchRecord(
        r["position"], r["custom_id"], r["tier"], r["model_id"], r["mode"], r["job_arn"],
        r["state"], r["reason"], json.loads(r["result"]) if r["result"] else None,
        r["ledger_id"],
    )  # fmt: skip

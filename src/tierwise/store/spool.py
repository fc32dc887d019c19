"""A local, append-only spool for ledger rows the database could not take.

When the ledger's database is unreachable, a call that has already been made (and billed
by Bedrock) must not lose its row: the engine appends it here instead, one JSON line per
row, fsync'd before the call returns, with the key reservation it settles. When the
database answers again the spool is replayed: each row is inserted, and its key charged and
reservation released, in one transaction, unless a row with the same request id, attempt
and kind is already there (a replay cut short is simply run again). The file is shared by
every process that uses the same ledger on this machine (``flock``), so a gateway restarted
during the outage replays what its predecessor spooled.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from tierwise.errors import LedgerError
from tierwise.store.base import Ledger, LedgerRow
from tierwise.store.keys import Hold, KeyStore
from tierwise.store.sql import SQLLedger

__all__ = ["Spool"]

_log = logging.getLogger(__name__)

# How often a process without a replayer thread tries the database again while rows wait.
RETRY_S = 1.0
# How often a replayer expires reservations past their time (KeyStore.reconcile).
RECONCILE_S = 60.0


def _row_dict(row: LedgerRow) -> dict[str, Any]:
    data = asdict(row)
    data["ts"] = row.ts.isoformat()
    data["cost_usd"] = str(row.cost_usd)
    data["id"] = None
    return data


def _row(data: dict[str, Any]) -> LedgerRow:
    return LedgerRow(
        **{**data, "ts": datetime.fromisoformat(data["ts"]), "cost_usd": Decimal(data["cost_usd"])}
    )


def _kind(metadata: dict[str, Any] | None) -> str:
    return str((metadata or {}).get("kind", "answer"))


class Spool:
    """Rows waiting for the ledger database, in the file at ``path``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()
        #: Set while rows wait: the database was unreachable when last tried.
        self.outage = threading.Event()
        #: Set by a :class:`SpoolReplayer` (a gateway's): it replays, requests need not.
        self.replayed_elsewhere = False
        self._tried: float | None = None  # when recover() last tried the database
        # Rows no write of the file took (its disk full): kept here, ahead of the next row
        # the file takes, and replayed with the file's, so a full disk does not lose them
        # while this process lives.
        self._unwritten: list[str] = []
        self._told = False  # this outage's first spooled row was logged
        if self.pending():
            self.outage.set()

    @contextmanager
    def _locked(self) -> Iterator[IO[str]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path, "a+", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)  # other processes on this ledger
            try:
                yield f
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def append(self, row: LedgerRow, hold: Hold | None) -> None:
        """Write ``row`` (and the reservation it settles) durably before returning; if the
        file cannot take it (a full disk), keep it in memory until it can, or until the
        database takes it (replay), and say so in the log."""
        line = json.dumps(
            {"row": _row_dict(row), "hold": asdict(hold) if hold else None}, sort_keys=True
        )
        try:
            with self._locked() as f:
                _write_lines(f, [*self._unwritten, line])
                self._unwritten.clear()
        except OSError as exc:
            with self._lock:
                self._unwritten.append(line)
            self.outage.set()
            _log.error(
                "cannot write the ledger spool at %s (%s): %d row(s) kept in memory until "
                "the spool or the ledger takes them",
                self.path,
                exc,
                len(self._unwritten),
            )
            return
        if not self._told:  # once an outage: every row of a long one would say it again
            self._told = True
            _log.warning(
                "ledger database unreachable: rows are spooled to %s until it answers",
                self.path,
            )
        self.outage.set()

    def pending(self) -> int:
        try:
            with open(self.path, encoding="utf-8") as f:
                return sum(1 for line in f if line.strip()) + len(self._unwritten)
        except FileNotFoundError:
            return len(self._unwritten)

    def recover(self, ledger: Ledger, keys: KeyStore | None) -> bool:
        """While rows wait and no replayer thread runs (a library client or CLI process):
        replay them, trying the database at most once per RETRY_S; whether it took them.
        Without this, rows spooled by such a process (or left by one that ended) would wait
        for a gateway, and every later call would queue behind them."""
        if not self.outage.is_set():
            return True
        if self.replayed_elsewhere or not isinstance(ledger, SQLLedger):
            return False
        now = time.monotonic()
        if self._tried is not None and now - self._tried < RETRY_S:
            return False
        self._tried = now
        try:
            self.replay(ledger, keys)
        except Exception:  # still unreachable (or worse): the rows stay spooled
            _log.debug("ledger spool replay failed; retrying later", exc_info=True)
            return False
        return True

    def replay(self, ledger: SQLLedger, keys: KeyStore | None) -> int:
        """Move every spooled row into ``ledger`` (idempotently), then empty the file;
        returns how many rows were inserted. Raises LedgerError (the spool is kept) when
        the database is still unreachable."""
        with self._locked() as f:
            f.seek(0)
            records = [json.loads(line) for line in [*f, *self._unwritten] if line.strip()]
            inserted = 0
            for record in records:
                row = _row(record["row"])
                hold = Hold(**record["hold"]) if record.get("hold") else None
                with ledger.transaction() as tx:
                    # An expired reservation's estimate (its gateway was down past the
                    # reservation's TTL) is not this row: settling the hold replaces it.
                    existing = tx.execute(
                        "SELECT metadata FROM ledger WHERE request_id = ? AND attempt = ?"
                        " AND (error_class IS NULL OR error_class <> 'ReservationExpired')",
                        (row.request_id, row.attempt),
                    ).fetchall()
                    kinds = {_kind(json.loads(r["metadata"]) if r["metadata"] else None)
                             for r in existing}  # fmt: skip
                    if _kind(row.metadata) in kinds:
                        continue  # replayed before: the truncate below did not happen
                    if hold is not None and keys is not None:
                        keys.settle_in(tx, hold, row)
                    else:
                        ledger.insert(tx, row)
                        if keys is not None and row.api_key_id is not None:
                            keys.charge_in(tx, row.api_key_id, row.cost_usd)
                inserted += 1
            f.seek(0)
            f.truncate()
            f.flush()
            os.fsync(f.fileno())
            self._unwritten.clear()
        self.outage.clear()
        self._told = False
        if inserted:
            _log.warning("ledger database back: %d spooled row(s) replayed", inserted)
        return inserted


def _write_lines(f: IO[str], lines: list[str]) -> None:
    """Append ``lines`` to the spool file and fsync it; on failure the file is cut back to
    where it was, so a partial line (a disk full mid-write) never stops a replay. Written
    through the descriptor: a buffered writer would retry the failed bytes when closed."""
    fd = f.fileno()
    size = os.lseek(fd, 0, os.SEEK_END)
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except OSError:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)
        raise


class SpoolReplayer:
    """Replays the spool every ``interval_s`` while it holds rows (a daemon thread)."""

    def __init__(
        self, spool: Spool, ledger: SQLLedger, keys: KeyStore | None, interval_s: float = 1.0
    ) -> None:
        self.spool = spool
        self.ledger = ledger
        self.keys = keys
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._reconciled: float | None = None  # when tick() last expired reservations
        self._thread = threading.Thread(target=self._run, name="tierwise-spool", daemon=True)

    def start(self) -> SpoolReplayer:
        self.spool.replayed_elsewhere = True
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.tick()

    def tick(self) -> None:
        """One round: replay the rows waiting, if any; then, every RECONCILE_S (the first
        round included, so a restarted gateway does it at once), expire the reservations
        past their time. A gateway killed mid-stream, after its content was delivered,
        leaves its reservation held: expiring it gives that call its estimated row and
        charge, which otherwise waited for a refusal of the same key or `keys list`."""
        if self.spool.outage.is_set() or self.spool.pending():
            try:
                self.spool.replay(self.ledger, self.keys)
            except LedgerError:
                return  # still unreachable: try again next round
            except Exception:  # never let the thread die: the rows stay spooled
                _log.exception("replaying the ledger spool failed; retrying")
                return
        now = time.monotonic()
        if self.keys is None or (
            self._reconciled is not None and now - self._reconciled < RECONCILE_S
        ):
            return
        self._reconciled = now
        try:
            self.keys.reconcile()
        except LedgerError:
            pass  # unreachable now: the next round's replay finds out
        except Exception:
            _log.exception("expiring reservations past their time failed; retrying")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

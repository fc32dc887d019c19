"""The engine's ledger handoff alone, for instruction counts: N calls' ledger rows.

Run: valgrind --tool=callgrind --separate-threads=yes \
     python bench/ledger_handoff_cpu.py N [--together K]

What a keyless gateway call asks of the ledger after its answer is in: the async driver
(``AsyncDriver``, as the gateway builds it: blocking effects in a bounded thread pool through
``run_in_executor``) performs the call's ``Record`` (the priced row, into a SQLite ledger in a
temporary directory, with a key store and a spool as the gateway has; a keyless call makes
no reservation). ``--together K`` performs K calls' effects at once (as K
answers arriving in one turn of the loop), else one call at a time. No emulator, routing or
HTTP: the instructions of the handoff and the write, on the loop thread and in the worker.
Compare N=100 and N=1100 runs: per call = the difference / 1000 (imports and set-up cancel
out); under ``--separate-threads=yes`` callgrind writes one file per thread (the loop thread's
is the first). Compare an older checkout with ``PYTHONPATH=/path/to/old/src``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, cast


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("calls", type=int)
    parser.add_argument("--together", type=int, default=1, help="calls whose effects meet")
    args = parser.parse_args()

    from tierwise.config import load_settings
    from tierwise.engine import Record
    from tierwise.engine.accounting import Accountant
    from tierwise.engine.budgets import Budgets
    from tierwise.engine.drivers import AsyncDriver, Books
    from tierwise.store.base import LedgerRow
    from tierwise.store.keys import KeyStore
    from tierwise.store.spool import Spool
    from tierwise.store.sqlite import SQLiteLedger

    settings = load_settings(environ={}).settings
    workdir = Path(tempfile.mkdtemp(prefix="tierwise-bench-handoff-cpu-"))
    ledger = SQLiteLedger(str(workdir / "ledger.db"))
    budgets = Budgets(KeyStore(ledger), Accountant(settings))
    books = Books(ledger, budgets, Spool(workdir / "spool.jsonl"))
    pool = ThreadPoolExecutor(64, thread_name_prefix="tierwise-gateway")

    async def run(fn: Any, *a: Any) -> Any:  # the gateway's Gateway.run
        return await asyncio.get_running_loop().run_in_executor(pool, partial(fn, *a))

    driver = AsyncDriver(cast(Any, None), books, blocking=run)

    def row(i: int) -> LedgerRow:
        return LedgerRow(
            id=None, ts=datetime.now(UTC), request_id=f"r{i}", attempt=1, tier="sonnet",
            model_id="global.anthropic.claude-sonnet-4-5-20250929-v1:0", input_tokens=120,
            output_tokens=40, cache_read_tokens=0, cache_write_5m_tokens=0,
            cache_write_1h_tokens=0, cost_usd=Decimal("0.00096"), latency_ms=2003.1,
            status="ok", route={"tier": "sonnet", "reason": "bench"},
        )  # fmt: skip

    async def one(i: int) -> None:
        await driver.perform(Record(row(i)))

    async def calls() -> None:
        for start in range(0, args.calls, args.together):
            await asyncio.gather(*(one(i) for i in range(start, start + args.together)))
        await driver.close()

    asyncio.run(calls())
    pool.shutdown()
    ledger.close()


if __name__ == "__main__":
    main()

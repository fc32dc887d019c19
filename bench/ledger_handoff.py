"""The CPU of handing ledger rows from the event loop to the database (issue 13).

Run: python bench/ledger_handoff.py [--mode pool|writer|both] [--rows 400] [--rounds 5]
     [--concurrent 400]

Each round stores ``--rows`` rows from one event loop, ``--concurrent`` at a time (the
gateway at 400 clients ends many requests together), into a SQLite ledger in a temporary
directory, the way the async driver does:

- ``pool``: each row is one job in a thread pool (``[gateway] threads`` workers) running
  ``Books.store``: the hand-off before RowWriter;
- ``writer``: :class:`tierwise.engine.drivers.RowWriter`: one thread, rows that queue
  together in one transaction.

Either way each store returns once its row is committed. Prints the process CPU (every
thread) per row, the median of the rounds, and for ``writer`` the rows per transaction.
Under ``valgrind --tool=callgrind`` the instruction count of two runs with different
``--rows`` gives instructions per row. Figures only; no thresholds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["pool", "writer", "both"], default="both")
    parser.add_argument("--rows", type=int, default=400, help="rows per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrent", type=int, default=400, help="rows in flight at once")
    parser.add_argument("--threads", type=int, default=64, help="pool workers (pool mode)")
    args = parser.parse_args()

    from tierwise.store.base import LedgerRow

    def row(n: int) -> LedgerRow:
        return LedgerRow(
            id=None, ts=datetime.now(UTC), request_id=f"bench-{n}", attempt=1, tier="haiku",
            model_id="anthropic.claude-3-5-haiku-20241022-v1:0", input_tokens=120,
            output_tokens=40, cache_read_tokens=0, cache_write_5m_tokens=0,
            cache_write_1h_tokens=0, cost_usd=Decimal("0.000256"), latency_ms=2001.5,
            status="ok", stop_reason="end_turn", route={"tier": "haiku", "reason": "bench"},
        )  # fmt: skip

    modes = ["pool", "writer"] if args.mode == "both" else [args.mode]
    print(f"# bench/ledger_handoff.py, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          f"{args.rounds} rounds of {args.rows} rows, {args.concurrent} in flight; "
          "SQLite")  # fmt: skip
    for mode in modes:
        run_mode(mode, args, row)
    sys.stdout.flush()


def run_mode(mode: str, args: argparse.Namespace, row: Callable[[int], Any]) -> None:
    from tierwise.engine.drivers import Books, RowWriter
    from tierwise.store import open_ledger
    from tierwise.store.base import LedgerRow

    workdir = tempfile.mkdtemp(prefix="tierwise-bench-ledger-")
    ledger = open_ledger(f"sqlite:///{workdir}/ledger.db")
    books = Books(ledger)
    pool = ThreadPoolExecutor(args.threads, thread_name_prefix="bench-pool")
    writer = RowWriter(books)
    counter = iter(range(10**9))

    async def store_pool(r: LedgerRow) -> LedgerRow:
        loop = asyncio.get_running_loop()
        stored: LedgerRow = await loop.run_in_executor(pool, partial(books.store, r, None))
        return stored

    store = store_pool if mode == "pool" else writer.store

    async def one_round() -> float:
        gate = asyncio.Semaphore(args.concurrent)

        async def one() -> None:
            async with gate:
                await store(row(next(counter)))

        began = time.process_time()
        await asyncio.gather(*(one() for _ in range(args.rows)))
        return time.process_time() - began

    async def run() -> list[float]:
        await one_round()  # warm-up: threads, statements
        return [await one_round() for _ in range(args.rounds)]

    cpu = asyncio.run(run())
    per_row = statistics.median(cpu) * 1e6 / args.rows
    extra = ""
    if mode == "writer":
        extra = (
            f"  {(args.rounds + 1) * args.rows / max(1, writer.batches):.1f} rows per transaction"
        )
    print(f"{mode:<7} process CPU per row {per_row:8.1f} us  rounds "
          f"{[round(c * 1e6 / args.rows, 1) for c in cpu]}{extra}")  # fmt: skip
    writer.close()
    pool.shutdown(wait=True)
    ledger.close()


if __name__ == "__main__":
    main()

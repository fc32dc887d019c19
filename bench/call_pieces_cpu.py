"""Instructions of small pieces every gateway call runs, each against what it replaced.

Run under callgrind, twice with different N, and divide the difference per piece by the
difference in N (bench/results/request_cpu.txt, section 21)::

    valgrind --tool=callgrind --dump-before=time_sleep python bench/call_pieces_cpu.py 200
    valgrind --tool=callgrind --dump-before=time_sleep python bench/call_pieces_cpu.py 1200

Each piece runs N times between two ``time.sleep(0)`` markers, so each is a part of its own
(``callgrind.out.<pid>.<part>``): the parts printed at the end; the others are start-up,
warm-ups and the gaps between pieces. Pieces:
``isinstance(value, Mapping)`` and ``is_mapping(value)`` for None and a dict; on uvloop, an
awaited step alone, the step with what the gateway does for its client's hang-up (a watcher
task until section 23, now a flag looked at only before a fallback), and the step as a task
awaited by ``asyncio.wait({task}, timeout=...)`` and by ``drivers._within``; the gateway's
metrics for one answered call; the engine's ``cancel`` made as a threading.Event and as the
gateway's HungUp flag. Figures only; no thresholds.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import uvloop

from tierwise.core.mappings import is_mapping
from tierwise.engine.drivers import _within
from tierwise.gateway.metrics import Metrics
from tierwise.gateway.service import HungUp

PIECES = [
    "isinstance(None, Mapping)",
    "is_mapping(None)",
    "isinstance(dict, Mapping)",
    "is_mapping(dict)",
    "an awaited step",
    "the step, with the gateway's hang-up flag",
    "the step as a task, asyncio.wait",
    "the step as a task, drivers._within",
    "Metrics.observe of one answer",
    "threading.Event()",
    "HungUp()",
]

INFO = {
    "tier": "haiku",
    "costUsd": "0.000123",
    "attempts": [
        {"tier": "haiku", "outcome": "accepted", "kind": "answer",
         "usage": {"inputTokens": 30, "outputTokens": 12}},
    ],
}  # fmt: skip


def checks(n: int) -> None:
    nothing: object = None
    table: object = {"a": 1}
    for value in (nothing, table):
        time.sleep(0)
        for _ in range(n):
            isinstance(value, Mapping)
        time.sleep(0)
        time.sleep(0)
        for _ in range(n):
            is_mapping(value)
        time.sleep(0)


async def waits(n: int) -> None:
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await never.wait()  # as a server's receive() while the client stays connected
        return {"type": "http.disconnect"}

    async def step() -> int:
        await asyncio.sleep(0)
        return 1

    async def watched() -> int:
        # What the gateway does around a call for its client's hang-up: since section 23 a
        # flag looked at only before a fallback or an escalation (none here), no task.
        HungUp(receive)
        return await step()

    async def waited() -> int:
        task = asyncio.ensure_future(step())
        await asyncio.wait({task}, timeout=600.0)
        return task.result()

    async def within() -> int:
        task = asyncio.ensure_future(step())
        await _within(task, 600.0)
        return task.result()

    pieces: list[Callable[[], Awaitable[int]]] = [step, watched, waited, within]
    for piece in pieces:
        for _ in range(50):
            await piece()
    for piece in pieces:
        time.sleep(0)
        for _ in range(n):
            await piece()
        await asyncio.sleep(0.01)  # the cancelled watchers end here, inside their part
        time.sleep(0)


def metrics(n: int) -> None:
    m = Metrics()
    for _ in range(50):
        m.observe("openai", INFO, 0.01, 0.002)
    time.sleep(0)
    for _ in range(n):
        m.observe("openai", INFO, 0.01, 0.002)
    time.sleep(0)


def flags(n: int) -> None:
    time.sleep(0)
    for _ in range(n):
        threading.Event()
    time.sleep(0)
    time.sleep(0)
    for _ in range(n):
        HungUp()
    time.sleep(0)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    checks(n)
    uvloop.run(waits(n))
    metrics(n)
    flags(n)
    # Each piece's part is the one its first marker opens: 2, 4, 6, ... (odd: the gaps).
    for i, name in enumerate(PIECES):
        print(f"part {2 + 2 * i}: {name}")


if __name__ == "__main__":
    main()

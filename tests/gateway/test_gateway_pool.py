"""Gateway.run: blocking work in the gateway's own thread pool, awaited on the loop."""

from __future__ import annotations

import asyncio
import inspect
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tierwise.gateway.service import Gateway


def _gateway() -> Any:
    gw = Gateway.__new__(Gateway)  # only the pool: run() needs nothing else
    gw.executor = ThreadPoolExecutor(2, thread_name_prefix="tierwise-gateway")
    return gw


def test_run_returns_and_raises_from_the_pools_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arguments and keywords reach ``fn`` in a pool thread, its result and its exception
    come back; on uvloop (uvicorn's loop), without inspecting ``fn`` on the way, as
    uvloop's run_in_executor does on every call (every ledger write and key check)."""
    uvloop = pytest.importorskip("uvloop")

    def asked(fn: object, flag: int) -> bool:
        raise AssertionError("run inspected fn for a coroutine function")

    monkeypatch.setattr(inspect, "_has_code_flag", asked)
    gw = _gateway()

    def work(a: int, *, b: int) -> tuple[str, int]:
        return threading.current_thread().name, a + b

    def fail() -> None:
        raise KeyError("refused")

    async def main() -> tuple[str, int]:
        answer = await gw.run(work, 1, b=2)
        with pytest.raises(KeyError, match="refused"):
            await gw.run(fail)
        return answer

    try:
        name, total = uvloop.run(main())
    finally:
        gw.executor.shutdown()
    assert total == 3
    assert name.startswith("tierwise-gateway")


def test_a_cancelled_wait_leaves_the_work_running() -> None:
    """As with run_in_executor: cancelling the awaiting task does not stop a started job."""
    gw = _gateway()
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def job() -> None:
        started.set()
        release.wait(5)
        finished.set()

    async def main() -> None:
        task = asyncio.ensure_future(gw.run(job))
        while not started.is_set():
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    try:
        asyncio.run(main())
        release.set()
        assert finished.wait(5)
    finally:
        gw.executor.shutdown()

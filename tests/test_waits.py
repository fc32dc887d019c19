"""Waits: asyncio.timeout's behaviour (TimeoutError, cancellation passed through, the task's
cancel count restored) with one timer per sequence of waits."""

from __future__ import annotations

import asyncio

import pytest

from tierwise.waits import Waits


async def _now(value: str) -> str:
    return value


def test_a_wait_that_takes_too_long_raises_timeout_error() -> None:
    async def main() -> int:
        waits = Waits()
        with pytest.raises(TimeoutError):
            await waits.within(0.05, asyncio.sleep(30))
        # the same Waits serves the next wait, and the task is not left cancelled
        assert await waits.within(30, _now("next")) == "next"
        await asyncio.sleep(0)
        task = asyncio.current_task()
        assert task is not None
        waits.close()
        return task.cancelling()

    assert asyncio.run(main()) == 0


def test_a_shorter_timeout_after_a_longer_one_still_ends_its_wait() -> None:
    """The timer is set for the first wait's expiry (30 s); a later, shorter wait moves it."""

    async def main() -> None:
        waits = Waits()
        assert await waits.within(30, _now("a")) == "a"
        assert await waits.within(30, asyncio.sleep(0.01, "b")) == "b"
        with pytest.raises(TimeoutError):
            await waits.within(0.05, asyncio.sleep(30))
        waits.close()

    asyncio.run(main())


def test_a_longer_timeout_after_a_shorter_one_is_not_cut_short() -> None:
    """The timer, set for the first (short) wait, fires during the second and waits on."""

    async def main() -> str:
        waits = Waits()
        assert await waits.within(0.02, _now("a")) == "a"
        value = await waits.within(30, asyncio.sleep(0.1, "b"))
        waits.close()
        return value

    assert asyncio.run(main()) == "b"


def test_a_cancellation_from_outside_is_not_turned_into_a_timeout() -> None:
    async def main() -> None:
        waits = Waits()
        task = asyncio.ensure_future(waits.within(30, asyncio.sleep(30)))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        waits.close()

    asyncio.run(main())


def test_nested_waits_raise_where_they_expired() -> None:
    async def main() -> None:
        outer, inner = Waits(), Waits()
        with pytest.raises(TimeoutError):
            await outer.within(0.05, inner.within(30, asyncio.sleep(30)))
        with pytest.raises(TimeoutError):
            await outer.within(30, inner.within(0.05, asyncio.sleep(30)))
        # The inner timeout was handled inside: the outer wait saw a TimeoutError, not a
        # cancellation, and the task is not left cancelled.
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0
        outer.close()
        inner.close()

    asyncio.run(main())


def _later(loop: asyncio.AbstractEventLoop, delay: float, value: str) -> asyncio.Future[str]:
    future: asyncio.Future[str] = loop.create_future()
    loop.call_later(delay, lambda: future.done() or future.set_result(value))
    return future


def test_expire_fails_a_future_not_done_in_time_without_cancelling_the_task() -> None:
    async def main() -> tuple[int, str, str]:
        loop = asyncio.get_running_loop()
        waits = Waits()
        slow = _later(loop, 30, "late")
        with pytest.raises(TimeoutError):
            await waits.expire(0.05, slow)
        # A shorter wait after a longer one moves the timer; a longer one is not cut short.
        with pytest.raises(TimeoutError):
            await waits.expire(0.05, _later(loop, 30, "late"))
        kept = await waits.expire(30, _later(loop, 0.01, "in time"))
        after = await waits.expire(0.2, _later(loop, 0.1, "also in time"))
        await asyncio.sleep(0.3)  # the timer fires with no wait pending: nothing happens
        task = asyncio.current_task()
        assert task is not None
        waits.close()
        return task.cancelling(), kept, after

    assert asyncio.run(main()) == (0, "in time", "also in time")


def test_expire_and_within_share_one_timer_one_wait_at_a_time() -> None:
    async def main() -> str:
        loop = asyncio.get_running_loop()
        waits = Waits()
        assert await waits.expire(0.05, _later(loop, 0.01, "first")) == "first"
        with pytest.raises(TimeoutError):  # the task-cancelling wait, after a future's
            await waits.within(0.05, asyncio.sleep(30))
        with pytest.raises(TimeoutError):  # and a future's after it
            await waits.expire(0.05, _later(loop, 30, "late"))
        return await waits.within(30, _now("last"))

    assert asyncio.run(main()) == "last"

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

"""The stream pump: one worker opens and iterates; errors, early stops and the final chunk."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tierwise.gateway.streaming import EventStreamResponse, FinalChunk, open_stream


def _events(n: int, closed: list[str]) -> Iterator[int]:
    try:
        yield from range(n)
    finally:
        closed.append(threading.current_thread().name)


def test_open_and_iterate_in_one_worker_which_also_closes() -> None:
    closed: list[str] = []
    opened_in: list[str] = []

    def opener() -> tuple[dict[str, Any], Iterator[int]]:
        opened_in.append(threading.current_thread().name)
        return {"modelId": "m"}, _events(200, closed)  # more than the buffer holds

    async def main() -> list[int]:
        with ThreadPoolExecutor(2, thread_name_prefix="pump") as pool:
            stream = await open_stream(opener, pool)
            assert stream.info == {"modelId": "m"}
            seen = [e async for batch in stream.batches() for e in batch]
            await stream.close()
            return seen

    assert asyncio.run(main()) == list(range(200))
    assert closed == opened_in  # the same worker thread opened, iterated and closed


def test_a_failure_to_open_is_raised_by_open_stream() -> None:
    def opener() -> tuple[dict[str, Any], Iterator[int]]:
        raise ValueError("no stream")

    async def main() -> None:
        with ThreadPoolExecutor(1) as pool:
            await open_stream(opener, pool)

    with pytest.raises(ValueError, match="no stream"):
        asyncio.run(main())


def test_an_error_mid_stream_comes_after_the_events_before_it() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise RuntimeError("cut")

    async def main() -> list[int]:
        seen: list[int] = []
        with ThreadPoolExecutor(1) as pool:
            stream = await open_stream(lambda: ({}, failing()), pool)
            with pytest.raises(RuntimeError, match="cut"):
                async for batch in stream.batches():
                    seen.extend(batch)
            await stream.close()
        return seen

    assert asyncio.run(main()) == [1, 2]


def test_stopping_early_still_closes_the_iterator() -> None:
    closed: list[str] = []
    release = threading.Event()

    def slow() -> Iterator[int]:
        try:
            yield 0
            release.wait(5)
            yield 1
        finally:
            closed.append("closed")

    async def main() -> None:
        with ThreadPoolExecutor(1) as pool:
            stream = await open_stream(lambda: ({}, slow()), pool)
            async for _ in stream.batches():
                break
            release.set()
            await stream.close()

    asyncio.run(main())
    assert closed == ["closed"]


def test_abandoned_before_reading_the_worker_still_closes() -> None:
    closed: list[str] = []

    async def main() -> None:
        with ThreadPoolExecutor(1) as pool:
            stream = await open_stream(lambda: ({}, _events(500, closed)), pool)
            stream.abandon()
        # leaving the pool waits for the worker

    asyncio.run(main())
    assert len(closed) == 1


def test_the_final_chunk_ends_the_response_in_the_same_message() -> None:
    sent: list[dict[str, Any]] = []

    async def body() -> Any:
        yield b"data: 1\n\n"
        yield FinalChunk(b"data: [DONE]\n\n")

    async def main() -> None:
        with ThreadPoolExecutor(1) as pool:
            stream = await open_stream(lambda: ({}, iter(())), pool)
            response = EventStreamResponse(body(), stream, {})

            async def send(message: Any) -> None:
                sent.append(message)

            await response.stream_response(send)
            await stream.close()

    asyncio.run(main())
    assert [(m.get("body"), m.get("more_body")) for m in sent[1:]] == [
        (b"data: 1\n\n", True),
        (b"data: [DONE]\n\n", False),
    ]


def test_a_client_disconnect_ends_the_response_and_closes_the_stream() -> None:
    closed: list[str] = []
    release = threading.Event()

    def endless() -> Iterator[int]:
        try:
            yield 0
            while not release.wait(0.01):
                pass
            yield 1
        finally:
            closed.append("closed")

    async def main() -> list[Any]:
        sent: list[Any] = []
        with ThreadPoolExecutor(1) as pool:
            stream = await open_stream(lambda: ({}, endless()), pool)

            async def body() -> Any:
                async for batch in stream.batches():
                    yield b"".join(b"data: %d\n\n" % e for e in batch)
                yield FinalChunk(b"data: [DONE]\n\n")

            async def receive() -> dict[str, Any]:
                await asyncio.sleep(0.05)
                release.set()  # the worker's next hand-over sees the stop
                return {"type": "http.disconnect"}

            async def send(message: Any) -> None:
                sent.append(message)

            await EventStreamResponse(body(), stream, {})({"type": "http"}, receive, send)
        return sent

    sent = asyncio.run(main())
    assert closed == ["closed"]
    assert sent[-1]["more_body"] is False

"""OpenStream over the engine's async events: batches, errors, early stops, the final chunk."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tierwise.gateway.streaming import EventStreamResponse, FinalChunk, OpenStream


async def _events(n: int, closed: list[str]) -> AsyncIterator[int]:
    try:
        for i in range(n):
            yield i
    finally:
        closed.append("closed")


def test_events_arrive_in_order_and_close_closes_the_iterator() -> None:
    closed: list[str] = []

    async def main() -> list[int]:
        stream = OpenStream({"modelId": "m"}, _events(200, closed))
        seen = [e async for batch in stream.batches() for e in batch]
        await stream.close()
        return seen

    assert asyncio.run(main()) == list(range(200))
    assert closed == ["closed"]


def test_an_error_mid_stream_comes_after_the_events_before_it() -> None:
    async def failing() -> AsyncIterator[int]:
        yield 1
        yield 2
        raise RuntimeError("cut")

    async def main() -> list[int]:
        seen: list[int] = []
        stream = OpenStream({}, failing())
        with pytest.raises(RuntimeError, match="cut"):
            async for batch in stream.batches():
                seen.extend(batch)
        await stream.close()
        return seen

    assert asyncio.run(main()) == [1, 2]


def test_abandoning_stops_the_batches_and_close_still_runs_cleanup() -> None:
    closed: list[str] = []

    async def main() -> list[int]:
        stream = OpenStream({}, _events(500, closed))
        seen: list[int] = []
        async for batch in stream.batches():
            seen.extend(batch)
            if len(seen) == 3:
                stream.abandon()
        await stream.close()
        return seen

    assert asyncio.run(main()) == [0, 1, 2], "no event is read after the stop"
    assert closed == ["closed"]


def test_the_final_chunk_ends_the_response_in_the_same_message() -> None:
    sent: list[dict[str, Any]] = []

    async def body() -> Any:
        yield b"data: 1\n\n"
        yield FinalChunk(b"data: [DONE]\n\n")

    async def main() -> None:
        stream = OpenStream({}, _events(0, []))
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

    async def endless() -> AsyncIterator[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
                await asyncio.sleep(0.01)
        finally:
            closed.append("closed")

    async def main() -> list[Any]:
        sent: list[Any] = []
        stream = OpenStream({}, endless())

        async def body() -> Any:
            async for batch in stream.batches():
                yield b"".join(b"data: %d\n\n" % e for e in batch)
            yield FinalChunk(b"data: [DONE]\n\n")

        async def receive() -> dict[str, Any]:
            await asyncio.sleep(0.05)
            return {"type": "http.disconnect"}

        async def send(message: Any) -> None:
            sent.append(message)

        await EventStreamResponse(body(), stream, {})({"type": "http"}, receive, send)
        return sent

    sent = asyncio.run(main())
    assert closed == ["closed"]
    assert sent[-1]["more_body"] is False

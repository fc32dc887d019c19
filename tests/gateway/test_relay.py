"""Relay: an open stream's SSE body sent chunk by chunk, the first from the request's task
and the rest from a task of its own; what it sends is what the body generator sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import pytest

from tierwise.gateway.streaming import RAW_SEND, EventStreamResponse, OpenStream, Relay


class _Events:
    """An engine stream's shape: ``batches()`` and ``aclose()``."""

    def __init__(self, batches: list[list[int]], fail_after: int | None = None) -> None:
        self._batches = batches
        self._fail_after = fail_after
        self.closed = 0

    async def _gen(self) -> AsyncIterator[list[int]]:
        for n, batch in enumerate(self._batches):
            if self._fail_after is not None and n == self._fail_after:
                raise RuntimeError("upstream cut")
            await asyncio.sleep(0)
            yield batch

    def batches(self) -> AsyncIterator[list[int]]:
        return self._gen()

    async def aclose(self) -> None:
        self.closed += 1


def _relay(done: list[str]) -> Relay:
    return Relay(
        encode=lambda events: b"".join(b"data: %d\n\n" % e for e in events),
        closing=lambda: b"data: [DONE]\n\n",
        failed=lambda exc: b"data: error " + str(exc).encode() + b"\n\n",
        done=lambda: done.append("done"),
    )


def _serve(stream: OpenStream, relay: Relay, raw: bool) -> list[tuple[Any, Any, Any]]:
    """Body messages as (body, more_body, task) from serving the response."""
    sent: list[tuple[Any, Any, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.body":
            sent.append((message["body"], message["more_body"], asyncio.current_task()))

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)  # the client stays
        return {"type": "http.disconnect"}

    async def main() -> None:
        scope: dict[str, Any] = {"type": "http"}
        if raw:
            scope[RAW_SEND] = send
        await EventStreamResponse(relay, stream, {})(scope, receive, send)

    asyncio.run(main())
    return sent


def _run(stream: OpenStream, relay: Relay, send: Any) -> None:
    """Serve the response with ``send`` as the server's raw send; the client stays."""

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def main() -> None:
        await EventStreamResponse(relay, stream, {})(
            {"type": "http", RAW_SEND: send}, receive, send
        )

    asyncio.run(main())


@pytest.mark.parametrize("raw", [True, False])
def test_the_chunks_go_out_in_order_and_the_last_ends_the_response(raw: bool) -> None:
    done: list[str] = []
    events = _Events([[1], [2, 3], [4]])
    sent = _serve(OpenStream({}, events), _relay(done), raw)  # type: ignore[arg-type]
    assert [(body, more) for body, more, _ in sent] == [
        (b"data: 1\n\n", True),
        (b"data: 2\n\ndata: 3\n\n", True),
        (b"data: 4\n\n", True),
        (b"data: [DONE]\n\n", False),
    ]
    assert done == ["done"]
    assert events.closed == 1


def test_after_the_first_chunk_the_rest_is_sent_by_a_task_of_its_own() -> None:
    """With the server's send at hand, the first chunk leaves from the request's task (no
    loop turn before the first byte) and the later ones from another task (whose resumes
    skip the frames above the response)."""
    sent = _serve(OpenStream({}, _Events([[1], [2], [3]])), _relay([]), raw=True)  # type: ignore[arg-type]
    tasks = [task for _, _, task in sent]
    assert tasks[1] is not tasks[0]
    assert set(tasks[1:]) == {tasks[1]}


def test_an_upstream_error_becomes_the_error_chunk_after_the_chunks_before_it() -> None:
    done: list[str] = []
    events = _Events([[1], [2], [3]], fail_after=2)
    sent = _serve(OpenStream({}, events), _relay(done), raw=True)  # type: ignore[arg-type]
    assert [(body, more) for body, more, _ in sent] == [
        (b"data: 1\n\n", True),
        (b"data: 2\n\n", True),
        (b"data: error upstream cut\n\n", False),
    ]
    assert done == ["done"]
    assert events.closed == 1


# -- events handed over in the upstream connection's callback (Relay.run with push) -------


class _Pushing(_Events):
    """An engine stream that can hand its events over (``push``): after the first batch,
    each batch arrives in a loop callback of its own (as the upstream connection's), is
    given to the handler there, and the batches wake only when the handler answers False
    (with an empty batch) or at the end."""

    def __init__(self, batches: list[list[int]]) -> None:
        super().__init__(batches)
        self.handler: Any = None
        self.pushed = 0

    def push(self, handler: Any) -> bool:
        self.handler = handler
        return True

    async def _gen(self) -> AsyncIterator[list[int]]:
        loop = asyncio.get_running_loop()
        rest = list(self._batches)
        yield rest.pop(0)
        while rest:
            handler = self.handler
            if handler is None:
                await asyncio.sleep(0)
                yield rest.pop(0)
                continue
            woken: asyncio.Future[list[int] | None] = loop.create_future()

            def arrive(handler: Any = handler, woken: Any = woken) -> None:
                if not rest:
                    woken.set_result(None)
                    return
                self.pushed += 1
                if handler(rest.pop(0)):
                    loop.call_soon(arrive)
                else:
                    woken.set_result([])

            loop.call_soon(arrive)
            batch = await woken
            if batch is not None:
                yield batch


@pytest.mark.parametrize("pushes", [True, False])
def test_pushed_events_go_out_as_the_batches_would_send_them(
    pushes: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Relay, "pushes", pushes)
    done: list[str] = []
    events = _Pushing([[1], [2, 3], [4], [5]])
    sent = _serve(OpenStream({}, events), _relay(done), raw=True)  # type: ignore[arg-type]
    assert [(body, more) for body, more, _ in sent] == [
        (b"data: 1\n\n", True),
        (b"data: 2\n\ndata: 3\n\n", True),
        (b"data: 4\n\n", True),
        (b"data: 5\n\n", True),
        (b"data: [DONE]\n\n", False),
    ]
    assert done == ["done"] and events.closed == 1
    # Pushed: sent from the connection's callback, no task; else from the relay's task.
    assert events.pushed == (3 if pushes else 0)
    assert [task is None for _, _, task in sent[1:4]] == [pushes] * 3
    assert events.handler is None  # the relay stopped the hand-over when it ended


def test_a_pushed_send_that_must_wait_is_finished_by_the_relay_before_the_next() -> None:
    """The server's send waits for the client to drain its buffer (uvicorn's flow
    control): the rest of that send runs in the relay's task, and nothing is sent before
    it has finished."""
    events = _Pushing([[1], [2], [3], [4]])
    stream = OpenStream({}, events)  # type: ignore[arg-type]
    log: list[tuple[str, bytes]] = []

    async def main() -> None:
        drained = asyncio.Event()
        asyncio.get_running_loop().call_later(0.05, drained.set)

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] != "http.response.body":
                return
            body = message["body"]
            log.append(("begun", body))
            if body == b"data: 2\n\n":
                await drained.wait()
            log.append(("ended", body))

        async def receive() -> dict[str, Any]:
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        await EventStreamResponse(_relay([]), stream, {})(
            {"type": "http", RAW_SEND: send}, receive, send
        )

    asyncio.run(main())
    bodies = [b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n", b"data: 4\n\n", b"data: [DONE]\n\n"]
    assert log == [(what, body) for body in bodies for what in ("begun", "ended")]


def test_a_pushed_batch_that_cannot_be_encoded_becomes_the_error_chunk() -> None:
    def encode(events: list[int]) -> bytes:
        if 3 in events:
            raise ValueError("no chunk for 3")
        return b"".join(b"data: %d\n\n" % e for e in events)

    relay = Relay(
        encode=encode,
        closing=lambda: b"data: [DONE]\n\n",
        failed=lambda exc: b"data: error " + str(exc).encode() + b"\n\n",
        done=lambda: None,
    )
    events = _Pushing([[1], [2], [3], [4]])
    sent = _serve(OpenStream({}, events), relay, raw=True)  # type: ignore[arg-type]
    assert [(body, more) for body, more, _ in sent] == [
        (b"data: 1\n\n", True),
        (b"data: 2\n\n", True),
        (b"data: error no chunk for 3\n\n", False),
    ]
    assert events.closed == 1


# -- either way: events read by the relay's task, or pushed --------------------------------


@pytest.mark.parametrize("events_type", [_Events, _Pushing])
def test_a_failing_send_is_not_turned_into_an_error_chunk(events_type: type[_Events]) -> None:
    done: list[str] = []
    attempts: list[bytes] = []
    stream = OpenStream({}, events_type([[1], [2], [3]]))  # type: ignore[arg-type]

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.body":
            attempts.append(message["body"])
            if len(attempts) == 2:
                raise OSError("client gone")

    with pytest.raises(OSError, match="client gone"):
        _run(stream, _relay(done), send)
    assert attempts == [b"data: 1\n\n", b"data: 2\n\n"]
    assert done == ["done"]


@pytest.mark.parametrize("events_type", [_Events, _Pushing])
def test_abandoning_stops_at_the_batch_boundary_and_still_closes(
    events_type: type[_Events],
) -> None:
    done: list[str] = []
    events = events_type([[n] for n in range(100)])
    stream = OpenStream({}, events)  # type: ignore[arg-type]
    sent: list[bytes] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.body":
            sent.append(message["body"])
            if len(sent) == 3:
                stream.abandon()

    _run(stream, _relay(done), send)
    assert sent == [b"data: 0\n\n", b"data: 1\n\n", b"data: 2\n\n", b"data: [DONE]\n\n"]
    assert done == ["done"]
    assert events.closed == 1
    if isinstance(events, _Pushing):  # the two batches after the first were handed over
        assert events.pushed == 2

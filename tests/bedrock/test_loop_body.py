"""Streams read on the event loop (AsyncBedrockClient): a scripted HTTP server writes a
ConverseStream body in pieces, and the async client's batches must hold the events that
arrived together, equal what the sync client decodes from the same bytes, keep the
connection for the next call, and fail as the sync client fails on a broken body. A stream
handed its idle and deadline limits (``AsyncStreamResult.limit``) ends its read's one wait
with the limit that expired first, its window spanning the reads of one batch."""

from __future__ import annotations

import asyncio
import gc
import itertools
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tierwise.bedrock import AsyncBedrockClient, BedrockClient
from tierwise.config import Settings, load_settings
from tierwise.core.deadline import Deadline
from tierwise.emulator.eventstream import event_frame
from tierwise.errors import TierwiseError
from tierwise.waits import StreamLimitError

MODEL = "anthropic.claude-3-5-haiku-20241022-v1:0"
REQUEST: dict[str, Any] = {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}

FRAMES = [
    event_frame("messageStart", {"role": "assistant"}),
    event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hel"}}),
    event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "lo ✓"}}),
    event_frame("contentBlockStop", {"contentBlockIndex": 0}),
    event_frame("messageStop", {"stopReason": "end_turn"}),
    event_frame(
        "metadata",
        {"usage": {"inputTokens": 5, "outputTokens": 2, "totalTokens": 7}, "metrics": {}},
    ),
]
HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)


def _chunked(data: bytes, sizes: list[int]) -> bytes:
    """``data`` as HTTP chunks of ``sizes`` (the rest in one more), then the last chunk."""
    out, at = [], 0
    for size in [*sizes, len(data)]:
        piece = data[at : at + size]
        if piece:
            out.append(b"%x\r\n%s\r\n" % (len(piece), piece))
        at += len(piece)
    return b"".join(out) + b"0\r\n\r\n"


class _Server:
    """Answers every request on a connection with the next script: byte strings, each
    written (and given time to arrive) on its own; b"" closes the connection; a number is
    a pause of that many seconds."""

    def __init__(self, scripts: list[list[bytes | float]]) -> None:
        self.scripts = scripts
        self.connections = 0
        self.ready = threading.Event()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Server:
        self._thread.start()
        self.ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        server = loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        loop.run_forever()
        server.close()
        pending = asyncio.all_tasks(loop)  # connections kept alive: end their handlers
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.scripts:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                for piece in self.scripts.pop(0):
                    if isinstance(piece, float):
                        await asyncio.sleep(piece)
                        continue
                    if not piece:  # the script ends the connection here
                        return
                    writer.write(piece)
                    await writer.drain()
                    await asyncio.sleep(0.05)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
def served() -> Iterator[Any]:
    def start(scripts: list[list[bytes | float]]) -> _Server:
        server = _Server(scripts)
        started.append(server.__enter__())
        return server

    started: list[_Server] = []
    yield start
    for server in started:
        server.__exit__()


def _settings(port: int, **overrides: Any) -> Settings:
    base = load_settings(environ={}).settings
    # The sync client on the same lean HTTP client the async one runs in its bridge.
    return base.with_overrides(
        {
            "endpoint_url": f"http://127.0.0.1:{port}",
            "retry.base_delay_s": 0.0,
            "retry.http_client": "lean",
            **overrides,
        }
    )


def _sync_events(port: int, **overrides: Any) -> tuple[list[dict[str, Any]], str | None]:
    client = BedrockClient(_settings(port, **overrides), rng=random.Random(0))
    seen: list[dict[str, Any]] = []
    try:
        with client.converse_stream([MODEL], REQUEST) as stream:
            seen.extend(stream.events)
    except TierwiseError as exc:
        return seen, f"{type(exc).__name__}: {exc}"
    return seen, None


def _async_batches(port: int, streams: int = 1) -> tuple[list[list[dict[str, Any]]], str | None]:
    async def main() -> tuple[list[list[dict[str, Any]]], str | None]:
        batches: list[list[dict[str, Any]]] = []
        async with AsyncBedrockClient(_settings(port)) as client:
            try:
                for _ in range(streams):
                    async with await client.converse_stream([MODEL], REQUEST) as stream:
                        async for batch in stream.batches():
                            batches.append(batch)
            except TierwiseError as exc:
                return batches, f"{type(exc).__name__}: {exc}"
        return batches, None

    return asyncio.run(main())


def test_events_that_arrive_together_come_in_one_batch(served: Any) -> None:
    body = b"".join(FRAMES)
    # Three writes: the first two events in one chunk; the next two split across two chunks
    # and the writes; the last two with the end of the body.
    cut1, cut2 = len(FRAMES[0] + FRAMES[1]), len(b"".join(FRAMES[:4]))
    raw = HEAD + _chunked(body, [cut1, 20, cut2 - cut1 - 20])
    at1 = raw.index(FRAMES[2][:12]) + 7  # inside the third frame's prelude
    at2 = raw.index(FRAMES[4][:12]) - 5  # just before the fifth frame's chunk starts
    server = served([[raw[:at1], raw[at1:at2], raw[at2:]]] * 2)
    expected, error = _sync_events(server.port)
    assert error is None
    batches, error = _async_batches(server.port)
    assert error is None
    # Each write completes two events. Events that arrive together are never split across
    # batches; on a loaded machine two writes may be read at once, so a batch may hold the
    # events of more than one write (it held [2, 2, 2] here when the reader kept up).
    ends = list(itertools.accumulate(len(b) for b in batches))
    assert ends[-1] == 6 and set(ends) <= {2, 4, 6}, [len(b) for b in batches]
    assert [e for b in batches for e in b] == expected
    assert expected[1] == {"contentBlockDelta": {"delta": {"text": "Hel"}, "contentBlockIndex": 0}}


@pytest.mark.parametrize("sizes", [[1], [7, 3], [64], [100000]])
def test_any_chunking_and_any_split_decode_as_the_sync_client_does(
    served: Any, sizes: list[int]
) -> None:
    raw = HEAD + _chunked(b"".join(FRAMES), sizes)
    body_at = len(HEAD)
    cuts = sorted({body_at + 1, body_at + 3, body_at + len(raw) // 3, len(raw) - 3})
    pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    server = served([pieces, pieces])
    expected, error = _sync_events(server.port)
    assert error is None
    assert len(expected) == len(FRAMES)
    batches, error = _async_batches(server.port)
    assert (error, [e for b in batches for e in b]) == (None, expected)


@pytest.mark.parametrize(
    ("size_line", "end"),
    [(b"%x;name=value\r\n", b"\r\n"), (b"%X\r\n", b"\r\n"), (b"%x\n", b"\n")],
)
def test_whole_chunks_with_extensions_or_bare_lf_decode_as_the_sync_client_does(
    served: Any, size_line: bytes, end: bytes
) -> None:
    # One write per chunk (each arrives whole, as a paced stream's events do).
    chunks = [size_line % len(f) + f + end for f in FRAMES] + [b"0" + end + end]
    chunks[0] = HEAD + chunks[0]
    server = served([list(chunks), list(chunks)])
    expected, error = _sync_events(server.port)
    assert (error, len(expected)) == (None, len(FRAMES))
    batches, error = _async_batches(server.port)
    assert (error, [e for b in batches for e in b]) == (None, expected)


def test_a_body_read_to_its_end_leaves_its_connection_for_the_next_call(served: Any) -> None:
    raw = HEAD + _chunked(b"".join(FRAMES), [50])
    server = served([[raw], [raw], [raw]])
    batches, error = _async_batches(server.port, streams=3)
    assert error is None
    assert sum(len(b) for b in batches) == 3 * len(FRAMES)
    assert server.connections == 1


@pytest.mark.parametrize(
    "broken",
    [
        b"zz\r\n",  # a size line that is not hex
        b"ff\r\n" + FRAMES[3],  # a chunk that ends with the connection
        b"%x\r\n%sXX" % (len(FRAMES[3]), FRAMES[3]),  # a chunk not followed by CRLF
    ],
)
@pytest.mark.parametrize("together", [False, True], ids=["apart", "together"])
def test_a_broken_body_fails_as_in_the_sync_client(
    served: Any, broken: bytes, together: bool
) -> None:
    """The good events come first and the stream fails after them. Together: the good
    chunks and the broken one arrive in one write (as they may whenever the reader is
    slower than the writes, e.g. on a loaded machine); the async body once failed then
    before the stream opened, and the attempt was retried as one that never reached
    Bedrock."""
    good = _chunked(b"".join(FRAMES[:3]), [])[: -len(b"0\r\n\r\n")]
    script = [HEAD + good + broken, b""] if together else [HEAD + good, broken, b""]
    server = served([list(script), list(script)])
    expected, sync_error = _sync_events(server.port)
    assert sync_error is not None
    assert len(expected) == 3
    batches, error = _async_batches(server.port)
    assert [e for b in batches for e in b] == expected
    assert error == sync_error


def test_a_body_larger_than_the_unread_limit_pauses_reading_and_decodes_whole(
    served: Any,
) -> None:
    """A text delta of 400 KB arrives in one write, past the bytes the connection holds
    unread before it stops reading (2 x 64 KB): reading resumes as the body is read, the
    events equal the sync client's, and the connection is kept for the next call."""
    big = event_frame(
        "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "x" * 400_000}}
    )
    frames = [FRAMES[0], big, *FRAMES[3:]]
    raw = HEAD + _chunked(b"".join(frames), [len(frames[0]), len(big)])
    server = served([[raw], [raw], [raw]])
    expected, error = _sync_events(server.port)
    assert error is None
    batches, error = _async_batches(server.port, streams=2)
    assert error is None
    events = [e for b in batches for e in b]
    assert events == expected + expected
    assert events[1]["contentBlockDelta"]["delta"]["text"] == "x" * 400_000
    assert server.connections == 2  # the sync client's, then one for both async streams


def test_paced_whole_chunks_are_read_without_the_general_chunk_parser(
    served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One event per write (a paced stream): each read waits for and takes its whole chunk
    itself; the general parser (_chunks) runs only for what is not a whole chunk (here the
    body's end). The events are the sync client's."""
    from tierwise.bedrock.aio_transport import LoopBody

    general = LoopBody._chunks
    calls: list[int] = []

    async def counted(self: LoopBody, out: bytearray) -> None:
        calls.append(len(out))
        await general(self, out)

    monkeypatch.setattr(LoopBody, "_chunks", counted)
    pieces = [HEAD, *(b"%x\r\n%s\r\n" % (len(f), f) for f in FRAMES), b"0\r\n\r\n"]
    server = served([pieces, pieces])
    expected, error = _sync_events(server.port)
    assert error is None
    batches, error = _async_batches(server.port)
    assert (error, [e for b in batches for e in b]) == (None, expected)
    assert len(calls) <= 2, calls  # the end of the body (and at most one read that raced it)


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _limited(
    port: int, idle_s: float, deadline_s: float, **overrides: Any
) -> tuple[list[list[dict[str, Any]]], Exception | None]:
    """The batches of one stream handed ``idle_s`` and a ``deadline_s`` deadline, and the
    error that ended it (None: it ended)."""

    async def main() -> tuple[list[list[dict[str, Any]]], Exception | None]:
        batches: list[list[dict[str, Any]]] = []
        async with (
            AsyncBedrockClient(_settings(port, **overrides)) as client,
            await client.converse_stream([MODEL], REQUEST) as stream,
        ):
            assert stream.limit(idle_s, Deadline(deadline_s))
            try:
                async for batch in stream.batches():
                    batches.append(batch)
            except Exception as exc:
                return batches, exc
        return batches, None

    return asyncio.run(main())


STALL = [HEAD + _chunk(FRAMES[0] + FRAMES[1]), 30.0, *map(_chunk, FRAMES[2:]), b"0\r\n\r\n"]


def test_a_limited_stream_that_goes_idle_raises_its_idle_limit(served: Any) -> None:
    server = served([list(STALL)])
    started = time.monotonic()
    batches, error = _limited(server.port, idle_s=0.4, deadline_s=60.0)
    assert time.monotonic() - started < 15, "the stall was waited out"
    assert len(batches) == 1 and len(batches[0]) == 2
    assert isinstance(error, StreamLimitError) and not error.deadline


def test_a_limited_stream_past_its_deadline_raises_the_deadline(served: Any) -> None:
    server = served([list(STALL)])
    started = time.monotonic()
    batches, error = _limited(server.port, idle_s=60.0, deadline_s=0.6)
    assert time.monotonic() - started < 15, "the stall was waited out"
    assert len(batches) == 1
    assert isinstance(error, StreamLimitError) and error.deadline


def test_a_read_timeout_shorter_than_the_limits_fails_as_the_read_timeout(served: Any) -> None:
    """The read timeout, when it is the sooner, ends the one wait as a read timeout: the
    same error as the sync client's, not the stream's limit."""
    server = served([list(STALL), list(STALL)])
    _, sync_error = _sync_events(server.port, **{"retry.read_timeout_s": 0.4})
    assert sync_error is not None and "timeout" in sync_error.lower()
    batches, error = _limited(
        server.port, idle_s=60.0, deadline_s=60.0, **{"retry.read_timeout_s": 0.4}
    )
    assert len(batches) == 1
    assert isinstance(error, TierwiseError) and f"{type(error).__name__}: {error}" == sync_error


def test_the_idle_window_spans_the_reads_of_one_batch(served: Any) -> None:
    """An event that trickles in, a piece of its frame every 0.15 s (each piece a whole
    chunk, so each is a read of its own), is idle for the stream: no event for the 0.4 s
    limit, though no single read waited that long."""
    frame = FRAMES[1]
    pieces: list[bytes | float] = [HEAD + _chunk(FRAMES[0])]
    for at in range(0, len(frame), 8):
        pieces += [0.15, _chunk(frame[at : at + 8])]
    pieces += [*map(_chunk, FRAMES[2:]), b"0\r\n\r\n"]
    assert len(frame) >= 64  # a second and more of trickling
    server = served([pieces])
    batches, error = _limited(server.port, idle_s=0.4, deadline_s=60.0)
    assert [len(b) for b in batches] == [1]
    assert isinstance(error, StreamLimitError) and not error.deadline


def test_the_stream_is_closed_at_its_end_on_an_error_and_when_dropped(
    served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The async iterator closes the upstream stream as the generator around it did: at
    the end, on an error, and once dropped unfinished (on the loop)."""
    import tierwise.bedrock.client as bedrock_client

    closed: list[object] = []
    close = bedrock_client._close_stream

    def counted(stream: Any) -> None:
        closed.append(stream)
        close(stream)

    monkeypatch.setattr(bedrock_client, "_close_stream", counted)
    whole = HEAD + _chunked(b"".join(FRAMES), [len(FRAMES[0])])
    server = served([[whole], list(STALL), [whole]])

    async def main() -> list[int]:
        seen = []
        async with AsyncBedrockClient(_settings(server.port)) as client:
            stream = await client.converse_stream([MODEL], REQUEST)
            seen.append(sum([len(b) async for b in stream.batches()]))
            seen.append(len(closed))  # at the end
            stream = await client.converse_stream([MODEL], REQUEST)
            assert stream.limit(0.3, Deadline(60.0))
            with pytest.raises(StreamLimitError):
                async for _ in stream.batches():
                    pass
            seen.append(len(closed))  # on the error
            stream = await client.converse_stream([MODEL], REQUEST)
            await anext(stream.batches())
            del stream
            gc.collect()
            await asyncio.sleep(0.05)
            seen.append(len(closed))  # dropped
        return seen

    assert asyncio.run(main()) == [len(FRAMES), 1, 2, 3]


# -- events handed over while the batches wait (EventBatches.push / LoopBody.push) ----------


def _pushed(
    port: int,
    idle_s: float = 60.0,
    deadline_s: float = 60.0,
    answer: Any = True,
    **overrides: Any,
) -> tuple[list[tuple[str, list[dict[str, Any]]]], Exception | None]:
    """One limited stream whose waits hand the events that arrive to a handler (which
    returns ``answer``, or raises it): what the handler and the batches got, in order, and
    the error that ended the stream (None: it ended)."""

    async def main() -> tuple[list[tuple[str, list[dict[str, Any]]]], Exception | None]:
        got: list[tuple[str, list[dict[str, Any]]]] = []

        def handler(events: list[dict[str, Any]]) -> bool:
            got.append(("pushed", events))
            if isinstance(answer, Exception):
                raise answer
            return bool(answer)

        async with (
            AsyncBedrockClient(_settings(port, **overrides)) as client,
            await client.converse_stream([MODEL], REQUEST) as stream,
        ):
            assert stream.limit(idle_s, Deadline(deadline_s))
            assert stream.push(handler)
            try:
                async for batch in stream.batches():
                    got.append(("batch", batch))
            except Exception as exc:
                return got, exc
        return got, None

    return asyncio.run(main())


PACED = [HEAD, *map(_chunk, FRAMES), b"0\r\n\r\n"]


def _events(got: list[tuple[str, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    return [e for _, events in got for e in events]


def test_paced_events_are_handed_over_in_order_and_equal_the_sync_clients(served: Any) -> None:
    server = served([list(PACED), list(PACED)])
    expected, error = _sync_events(server.port)
    assert error is None
    got, error = _pushed(server.port)
    assert error is None
    assert _events(got) == expected
    # The first event arrives with the response's head (before any wait): the batches'.
    assert sum(len(e) for how, e in got if how == "pushed") >= len(FRAMES) - 2, got


def test_a_handler_that_answers_false_ends_the_wait_with_an_empty_batch(served: Any) -> None:
    server = served([list(PACED)])
    got, error = _pushed(server.port, answer=False)
    assert error is None
    assert _events(got) == _events(_sync_batches_of(server, PACED))
    pushes = [n for n, (how, _) in enumerate(got) if how == "pushed"]
    assert pushes and all(got[n + 1] == ("batch", []) for n in pushes)


def _sync_batches_of(server: Any, script: list[bytes | float]) -> list[tuple[str, list[Any]]]:
    server.scripts.append(list(script))
    expected, error = _sync_events(server.port)
    assert error is None
    return [("sync", expected)]


def test_an_error_the_handler_raises_is_raised_by_the_batches(served: Any) -> None:
    server = served([list(PACED)])
    got, error = _pushed(server.port, answer=RuntimeError("the handler broke"))
    assert isinstance(error, RuntimeError) and str(error) == "the handler broke"
    assert got[-1][0] == "pushed"


def test_an_error_frame_mid_stream_is_raised_after_the_events_before_it(served: Any) -> None:
    from tierwise.emulator.eventstream import exception_frame

    broken = exception_frame("modelStreamErrorException", {"message": "the model broke"})
    script: list[bytes | float] = [HEAD, *map(_chunk, FRAMES[:3]), _chunk(broken)]
    server = served([list(script), list(script)])
    expected, sync_error = _sync_events(server.port)
    assert sync_error is not None and "the model broke" in sync_error
    got, error = _pushed(server.port)
    assert _events(got) == expected
    assert isinstance(error, TierwiseError) and f"{type(error).__name__}: {error}" == sync_error


@pytest.mark.parametrize(
    ("idle_s", "deadline_s", "by_deadline"), [(0.4, 60.0, False), (60.0, 0.6, True)]
)
def test_while_events_are_handed_over_the_stream_limits_still_end_a_stall(
    served: Any, idle_s: float, deadline_s: float, by_deadline: bool
) -> None:
    stall: list[bytes | float] = [HEAD, *map(_chunk, FRAMES[:3]), 30.0, *PACED[4:]]
    server = served([stall])
    started = time.monotonic()
    got, error = _pushed(server.port, idle_s=idle_s, deadline_s=deadline_s)
    assert time.monotonic() - started < 15, "the stall was waited out"
    assert len(_events(got)) == 3 and any(how == "pushed" for how, _ in got)
    assert isinstance(error, StreamLimitError) and error.deadline is by_deadline


def test_while_events_are_handed_over_a_read_timeout_fails_as_the_sync_clients(
    served: Any,
) -> None:
    stall: list[bytes | float] = [HEAD, *map(_chunk, FRAMES[:3]), 30.0, *PACED[4:]]
    server = served([list(stall), list(stall)])
    _, sync_error = _sync_events(server.port, **{"retry.read_timeout_s": 0.4})
    assert sync_error is not None and "timeout" in sync_error.lower()
    got, error = _pushed(server.port, **{"retry.read_timeout_s": 0.4})
    assert len(_events(got)) == 3 and any(how == "pushed" for how, _ in got)
    assert isinstance(error, TierwiseError) and f"{type(error).__name__}: {error}" == sync_error


def test_an_event_that_trickles_in_is_idle_while_events_are_handed_over(served: Any) -> None:
    """Pieces of a frame (each a whole chunk) are not handed over: the batches read them,
    within the window the wait opened, as in test_the_idle_window_spans_the_reads_of_one_batch."""
    frame = FRAMES[2]
    pieces: list[bytes | float] = [HEAD + _chunk(FRAMES[0]), _chunk(FRAMES[1])]
    for at in range(0, len(frame), 8):
        pieces += [0.15, _chunk(frame[at : at + 8])]
    pieces += [*map(_chunk, FRAMES[3:]), b"0\r\n\r\n"]
    server = served([pieces])
    got, error = _pushed(server.port, idle_s=0.4)
    assert len(_events(got)) == 2
    assert isinstance(error, StreamLimitError) and not error.deadline


@pytest.mark.parametrize("at", [5, 20, -2])  # the prelude's CRC, the payload, the message CRC
def test_a_corrupted_frame_is_not_handed_over_and_fails_as_in_the_sync_client(
    served: Any, at: int
) -> None:
    broken = bytearray(FRAMES[2])
    broken[at] ^= 0x01
    script: list[bytes | float] = [HEAD, *map(_chunk, [*FRAMES[:2], bytes(broken)]), *PACED[4:]]
    server = served([list(script), list(script)])
    client = BedrockClient(_settings(server.port), rng=random.Random(0))
    expected: list[dict[str, Any]] = []
    # botocore's ChecksumMismatch, untranslated, in both clients.
    with pytest.raises(Exception) as raised, client.converse_stream([MODEL], REQUEST) as stream:
        expected.extend(stream.events)
    got, error = _pushed(server.port)
    assert _events(got) == expected and len(expected) == 2
    assert (type(error), str(error)) == (type(raised.value), str(raised.value))

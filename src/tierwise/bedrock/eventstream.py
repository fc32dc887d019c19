"""ConverseStream events from Bedrock's binary event stream, at less CPU per event.

botocore's :class:`~botocore.eventstream.EventStream` decodes a frame through several
objects and slices the whole buffer more than once per message, then walks each JSON
payload against the service model; in the gateway that was a large share of the CPU a
streamed event costs (most events of an answer are text deltas). :func:`stream_events`
yields exactly what iterating botocore's stream yields, from the same raw body:

- frames are decoded here (prelude, its CRC32, headers, payload, the message CRC32, with
  ``zlib.crc32``), the common case in a few slices;
- anything unusual (a checksum mismatch, a length over botocore's limits, a header type other
  than a string, a duplicate header) is handed to botocore's own decoder, so it raises, or
  decodes, exactly as botocore does;
- a text delta (``contentBlockDelta`` whose delta is ``{"text": str}``) is built directly, in
  the model's member order; every other event, and every error or exception frame, goes
  through botocore's parser as before (so an error frame still raises ``EventStreamError``
  with the same code and message).
"""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol
from zlib import crc32

from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import EventStreamError

if TYPE_CHECKING:
    from tierwise.core.deadline import Deadline

__all__ = ["EventBatches", "FrameDecoder", "stream_events"]

_PRELUDE = 12
# botocore's limits (botocore.eventstream._MAX_HEADERS_LENGTH, _MAX_PAYLOAD_LENGTH).
_MAX_HEADERS = 128 * 1024
_MAX_PAYLOAD = 24 * 1024 * 1024
_STRING = 7
_unpack_prelude = struct.Struct("!III").unpack_from
_unpack_u32 = struct.Struct("!I").unpack_from
_unpack_u16 = struct.Struct("!H").unpack_from

# A text delta's keys as Bedrock sends them ("p" is padding, not in the model).
# What :func:`stream_events` reads of botocore's EventStream (its constructor's arguments).
_STREAM_PARTS = ("_parser", "_output_shape", "_operation_name", "_raw_stream")
# Frames botocore turns into EventStreamError (EventStreamMessage.to_response_dict).
_FAILED = frozenset({"error", "exception"})
_DELTA_KEYS = frozenset({"contentBlockIndex", "delta", "p"})
# The text delta's members in botocore's model order (1.44), for which its dict is a literal.
_BEDROCK_ORDER = ("delta", "contentBlockIndex")
# Decoded header blocks by their bytes: a stream's frames repeat a few blocks (one per event
# type), so most frames' headers are a lookup (and a copy: callers may change theirs).
_KNOWN_HEADERS: dict[bytes, dict[str, Any]] = {}
_MAX_KNOWN_HEADERS = 64
# The C scanner json.loads runs, called directly: json.loads(s) is this scan from the first
# non-blank character plus checks that nothing but blanks follow. A payload with leading or
# trailing blanks, or none that scans, goes to botocore's parser instead (the same event).
# (typeshed does not declare the attribute; it is json's own, C or Python.)
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


class FrameDecoder:
    """Event-stream frames from bytes as they arrive: ``(headers, payload)`` pairs."""

    __slots__ = ("_buf", "_checked", "_pos")

    def __init__(self) -> None:
        self._buf = b""
        self._pos = 0  # where the first frame not yet taken starts in _buf
        self._checked = False  # whether the buffered frame's prelude has been validated

    def feed(self, data: bytes) -> Iterator[tuple[dict[str, Any], bytes]]:
        """The frames complete once ``data`` is added (a frame may span several feeds),
        decoded as botocore does: a bad frame raises after the ones before it have been
        taken."""
        frames, failure = self.frames(data)
        yield from frames
        if failure is not None:
            raise failure

    def frames(self, data: bytes) -> tuple[list[tuple[dict[str, Any], bytes]], Exception | None]:
        """:meth:`feed`'s frames in a list, and the error of the bad frame that ended them
        (None: all were good): one call per read, where a generator is resumed once per
        frame and once more to end."""
        rest = self._buf[self._pos :] if self._pos < len(self._buf) else b""
        buf = self._buf = rest + data if rest else data
        pos = self._pos = 0
        end = len(buf)
        frames: list[tuple[dict[str, Any], bytes]] = []
        try:
            while end - pos >= _PRELUDE:
                total, headers_len, prelude_crc = _unpack_prelude(buf, pos)
                if not self._checked:
                    # botocore validates a prelude as soon as it has arrived.
                    if (
                        crc32(buf[pos : pos + 8]) != prelude_crc
                        or headers_len > _MAX_HEADERS
                        or total - headers_len - 16 > _MAX_PAYLOAD
                    ):
                        _botocore_frame(buf[pos:])
                    self._checked = True
                if end - pos < total:
                    break
                # The usual frame (its checksum good, its header block seen before) here;
                # the rest, checked again, by _frame. (One call fewer per streamed event.)
                known = None
                if total >= headers_len + 16:
                    frame = buf[pos : pos + total]
                    (message_crc,) = _unpack_u32(frame, total - 4)
                    if crc32(frame[: total - 4]) == message_crc:
                        headers_end = _PRELUDE + headers_len
                        known = _KNOWN_HEADERS.get(frame[_PRELUDE:headers_end])
                if known is not None:  # a copy: callers may change theirs
                    frames.append((dict(known), frame[headers_end : total - 4]))
                else:
                    frames.append(_frame(buf, pos, total, headers_len))
                pos = self._pos = pos + total
                self._checked = False
        except Exception as exc:
            return frames, exc
        return frames, None


def _frame(buf: bytes, pos: int, total: int, headers_len: int) -> tuple[dict[str, Any], bytes]:
    if total < headers_len + 16:  # malformed: botocore decides what it means
        return _botocore_frame(buf[pos:])
    frame = buf[pos : pos + total]
    (message_crc,) = _unpack_u32(frame, total - 4)
    if crc32(frame[: total - 4]) == message_crc:
        headers_end = _PRELUDE + headers_len
        block = frame[_PRELUDE:headers_end]
        known = _KNOWN_HEADERS.get(block)
        headers = dict(known) if known is not None else _headers(frame, _PRELUDE, headers_end)
        if headers is not None:
            if known is None and len(_KNOWN_HEADERS) < _MAX_KNOWN_HEADERS:
                _KNOWN_HEADERS[block] = dict(headers)
            return headers, frame[headers_end : total - 4]
    return _botocore_frame(frame)


def _headers(frame: bytes, pos: int, end: int) -> dict[str, Any] | None:
    """String-valued headers; None for anything else (botocore decodes those)."""
    headers: dict[str, Any] = {}
    while pos < end:
        name_end = pos + 1 + frame[pos]
        if name_end + 3 > end or frame[name_end] != _STRING:
            return None
        (size,) = _unpack_u16(frame, name_end + 1)
        value_end = name_end + 3 + size
        if value_end > end:
            return None
        try:
            name = frame[pos + 1 : name_end].decode()
            value = frame[name_end + 3 : value_end].decode()
        except UnicodeDecodeError:
            return None
        if name in headers:
            return None
        headers[name] = value
        pos = value_end
    return headers


def _botocore_frame(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The first frame of ``data`` as botocore decodes it (raising what it raises)."""
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    message: Any = buffer.next()
    return message.headers, message.payload


def stream_events(stream: Any) -> Iterator[dict[str, Any]]:
    """What ``iter(stream)`` yields (and raises), decoded by :class:`FrameDecoder`
    (``stream``: botocore's :class:`~botocore.eventstream.EventStream`)."""
    if not all(hasattr(stream, a) for a in _STREAM_PARTS):  # another botocore's internals
        yield from stream
        return
    events = _Events(stream)
    decoder = FrameDecoder()
    for chunk in stream._raw_stream.stream():
        for headers, payload in decoder.feed(chunk):
            event = events.event(headers, payload)
            if event is not None:
                yield event


class _Events:
    """Event dicts from decoded frames, as botocore's EventStream builds them."""

    __slots__ = ("_delta_order", "_fast_deltas", "_literal", "_operation", "_parser", "_shape")

    def __init__(self, stream: Any) -> None:
        self._parser: Any = stream._parser
        self._shape: Any = stream._output_shape
        self._operation: str = stream._operation_name
        self._delta_order, self._fast_deltas = _delta_members(self._shape)
        self._literal = self._delta_order == _BEDROCK_ORDER

    def event(self, headers: dict[str, Any], payload: bytes) -> dict[str, Any] | None:
        """The frame's event (None for a frame botocore yields nothing for); raises what
        botocore raises for an error or exception frame. ``headers`` is only read (botocore's
        parser gets a copy), so a decoder's shared header block may be passed as it is."""
        if (
            self._fast_deltas
            and headers.get(":event-type") == "contentBlockDelta"
            and headers.get(":message-type") == "event"
        ):
            # A text delta, built here as botocore's parser builds it (written out in this
            # method: a helper was one more call per streamed event); any other delta goes
            # to the parser below.
            try:
                raw = payload.decode()
                body, end = _scan(raw, 0)
            except (ValueError, StopIteration):  # UnicodeDecodeError too: botocore's parser
                body = end = None  # says what it means
            if type(body) is dict and end == len(raw) and body.keys() <= _DELTA_KEYS:
                delta = body.get("delta")
                index = body.get("contentBlockIndex")
                # The scan's own delta, returned as it is: a new dict whose one key is "text".
                if (
                    type(delta) is dict
                    and len(delta) == 1
                    and type(index) is int
                    and type(delta.get("text")) is str
                ):
                    if self._literal:  # a literal: no comprehension call
                        return {"contentBlockDelta": {"delta": delta, "contentBlockIndex": index}}
                    fields = {"delta": delta, "contentBlockIndex": index}
                    order = self._delta_order
                    return {"contentBlockDelta": {name: fields[name] for name in order}}
        message_type = headers.get(":message-type")
        failed = message_type in _FAILED
        response = {
            "status_code": 400 if failed else 200, "headers": dict(headers), "body": payload,
        }  # fmt: skip
        parsed = self._parser.parse(response, self._shape)
        if failed:
            raise EventStreamError(parsed, self._operation)
        return parsed or None


class _Body(Protocol):
    """What :class:`EventBatches` reads (:class:`~tierwise.bedrock.aio_transport.LoopBody`)."""

    def read(self, fresh: bool = True) -> Awaitable[bytes | None]: ...

    def limit(self, idle_s: float, deadline: Deadline) -> None: ...

    def push(self, take: Callable[[bytes], bool | None] | None) -> bool: ...


class EventBatches:
    """A ConverseStream's events read on the event loop, a batch at a time: every event
    complete in the bytes that have arrived, decoded together (one wait, and one trip up
    the layers above, for events that arrived together). The events, and the errors, are
    :func:`stream_events`'s in the same order: a bad frame raises once the events before it
    have been returned.

    Read with :meth:`next` while the stream is being opened (in a bridge), then, once
    :meth:`own` has handed it its closing and its error translation, as the async iterator
    of the open stream's batches (no generator around it: one frame less on every event's
    wait and wake-up)."""

    __slots__ = (
        "__weakref__", "_body", "_close", "_decoder", "_done", "_error", "_events", "_handler",
        "_loop", "_ready", "_translate",
    )  # fmt: skip

    def __init__(self, stream: Any, body: _Body) -> None:
        """``stream``: botocore's EventStream; ``body``: its body, read on the loop."""
        self._events = _Events(stream)
        self._body = body
        self._decoder = FrameDecoder()
        self._ready: list[dict[str, Any]] = []
        self._error: Exception | None = None
        self._done = False
        self._close: Callable[[], None] | None = None
        self._translate: Callable[[Exception], Exception] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handler: Callable[[list[dict[str, Any]]], bool] | None = None

    @classmethod
    def of(cls, stream: Any, body: _Body) -> EventBatches | None:
        """Batches of ``stream``'s events, or None when its botocore's internals differ."""
        if not all(hasattr(stream, a) for a in _STREAM_PARTS):
            return None
        return cls(stream, body)

    def put_back(self, events: list[dict[str, Any]]) -> None:
        """Return ``events`` first, before any later ones."""
        self._ready = events + self._ready

    def limit(self, idle_s: float, deadline: Deadline) -> None:
        """Bound each wait for the next events by ``idle_s`` and ``deadline`` (see
        :meth:`LoopBody.limit <tierwise.bedrock.aio_transport.LoopBody.limit>`): the
        async iterator raises :class:`~tierwise.waits.StreamLimitError` when one expires."""
        self._body.limit(idle_s, deadline)

    def push(self, handler: Callable[[list[dict[str, Any]]], bool] | None) -> bool:
        """Hand ``handler`` the events that arrive while the iterator waits, in the
        connection's callback (see :meth:`LoopBody.push
        <tierwise.bedrock.aio_transport.LoopBody.push>`), when they are plain: whole frames,
        each an event, none an error. ``handler`` returns True to go on, False to have the
        wait return an empty batch (its events handed, in order, before anything the
        iterator returns later). An error it raises is the iterator's next. None stops
        this; False when the body cannot hand events over."""
        self._handler = handler
        return self._body.push(None if handler is None else self._take)

    def _take(self, data: bytes) -> bool | None:
        """Whole chunks' bytes, arrived while the iterator waits: their events handed to
        the handler (True / False: its answer), or None when they are not all plain events
        (then nothing is taken: the iterator decodes them itself, with their errors)."""
        handler = self._handler
        decoder = self._decoder
        before = decoder._buf, decoder._pos, decoder._checked
        if handler is None or self._ready or self._error is not None or self._done:
            return None
        if before[1] < len(before[0]):  # part of a frame is buffered: the iterator's way
            return None
        # A paced event is one whole frame: when its checksums are good, its lengths within
        # botocore's limits and its header block one seen before, it is what frames() would
        # return, decoded here (no list, loop and decoder state for one frame); else frames().
        size = len(data)
        out: list[dict[str, Any]] | None = None
        if size >= 16:
            total, headers_len, prelude_crc = _unpack_prelude(data, 0)
            if (
                total == size
                and total >= headers_len + 16
                and headers_len <= _MAX_HEADERS
                and total - headers_len - 16 <= _MAX_PAYLOAD
                and crc32(data[:8]) == prelude_crc
                and crc32(data[: total - 4]) == _unpack_u32(data, total - 4)[0]
            ):
                headers_end = _PRELUDE + headers_len
                known = _KNOWN_HEADERS.get(data[_PRELUDE:headers_end])
                if known is not None:  # not a copy: _Events.event only reads it
                    try:
                        event = self._events.event(known, data[headers_end : total - 4])
                    except Exception:  # an error frame: raised by the iterator, in its place
                        return None
                    if event is None:  # the decoder is as it was: nothing to put back
                        return None
                    out = [event]
        if out is None:
            frames, failure = decoder.frames(data)
            if failure is None and decoder._pos == len(decoder._buf):
                out = self._all_events(frames)
            if out is None:
                decoder._buf, decoder._pos, decoder._checked = before
                return None
        try:
            return handler(out)
        except Exception as exc:
            self._error = exc
            return False

    def _all_events(
        self, frames: list[tuple[dict[str, Any], bytes]]
    ) -> list[dict[str, Any]] | None:
        """The events of ``frames``; None when one of them is none (an error or exception
        frame, or one botocore yields nothing for): the iterator reads those itself."""
        out: list[dict[str, Any]] = []
        event_of = self._events.event
        try:
            for headers, payload in frames:
                event = event_of(headers, payload)
                if event is None:
                    return None
                out.append(event)
        except Exception:
            return None
        return out

    def own(self, close: Callable[[], None], translate: Callable[[Exception], Exception]) -> None:
        """From now on, as an async iterator: an error is raised as ``translate`` makes it,
        and the stream is closed (``close``) when it ends, fails, is cancelled, or is
        dropped unfinished (on the loop, as an async generator's cleanup would be)."""
        self._close = close
        self._translate = translate
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None

    def __del__(self) -> None:
        close = self._close
        if close is None or self._done:
            return
        loop = self._loop
        if loop is None:
            close()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(close)

    def _end(self) -> None:
        self._done = True
        close, self._close = self._close, None
        if close is not None:
            close()

    def __aiter__(self) -> EventBatches:
        return self

    async def __anext__(self) -> list[dict[str, Any]]:
        """The next events (at least one); StopAsyncIteration at the end of the stream."""
        ready = self._ready
        if ready:
            self._ready = []
            return ready
        read = self._body.read
        fresh = True  # the first read of this wait (the stream's limits' window opens)
        try:
            while True:
                if self._error is not None:
                    error, self._error = self._error, None
                    raise error
                if self._done:
                    break
                data = await read(fresh)
                fresh = False
                if data is None:  # the events that arrived were handed to push()'s handler
                    if self._error is None:
                        return []
                    continue
                if not data:
                    break
                out: list[dict[str, Any]] = []
                event_of = self._events.event
                frames, failure = self._decoder.frames(data)
                try:
                    for headers, payload in frames:
                        event = event_of(headers, payload)
                        if event is not None:
                            out.append(event)
                    if failure is not None:  # a bad frame after these: raised after them
                        raise failure
                except Exception as exc:
                    if not out:
                        raise
                    self._error = exc
                if out:
                    return out
        except BaseException as exc:  # cancelled too: the stream is closed, as at its end
            self._end()
            translate = self._translate
            if translate is not None and isinstance(exc, Exception):
                translated = translate(exc)
                if translated is not exc:
                    raise translated from exc
            raise
        self._end()
        raise StopAsyncIteration

    async def next(self) -> list[dict[str, Any]] | None:
        """The next events (at least one), or None at the end of the stream."""
        try:
            return await self.__anext__()
        except StopAsyncIteration:
            return None


def _delta_members(shape: Any) -> tuple[tuple[str, ...], bool]:
    """The text-delta event's member order, and whether its model is the one
    :meth:`_Events.event` builds (else every event goes through botocore's parser)."""
    event = shape.members.get("contentBlockDelta")
    if event is None:
        return (), False
    members = event.members
    union = members.get("delta")
    text = union.members.get("text") if union is not None else None
    plain = all(m.serialization.get("name", n) == n for n, m in members.items())
    fits = (
        set(members) == {"contentBlockIndex", "delta"}
        and plain
        and members["contentBlockIndex"].type_name == "integer"
        and text is not None
        and text.type_name == "string"
        and text.serialization.get("name", "text") == "text"
    )
    return tuple(members), fits

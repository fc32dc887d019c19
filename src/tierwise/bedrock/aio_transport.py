"""The lean HTTP/1.1 client of :mod:`tierwise.bedrock.transport` over asyncio streams.

Under :func:`~tierwise.bedrock.green.run_bridged`, botocore's send goes here: the same
request head, response parsing, chunked bodies and keep-alive rules as the lean transport,
with each socket read and write awaited on the event loop. Connections are pooled per event
loop and host. Called outside a bridge (a plain thread), it is the lean transport.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
    SSLError,
)

from tierwise.bedrock.green import await_, in_bridge
from tierwise.bedrock.transport import (
    _MAX_LINE,
    _READ,
    Bound,
    LeanTransport,
    _Body,
    _ClosedError,
)
from tierwise.waits import StreamLimitError, Waits

if TYPE_CHECKING:
    from tierwise.core.deadline import Deadline

__all__ = ["GreenTransport", "LoopBody", "loop_body"]

# Idle keep-alive connections kept per host: the event loop holds thousands of calls at
# once, and a connection dropped after each would mean a new TCP (and TLS) handshake.
MAX_IDLE = 1024


async def _within(timeout: float, awaitable: Awaitable[Any]) -> Any:
    async with asyncio.timeout(timeout):
        return await awaitable


# Received bytes held unread before the socket stops being read (asyncio's StreamReader
# pauses at twice its limit); reading resumes as soon as a read waits for more.
_HIGH_WATER = 2 * _READ


class _Inbox(asyncio.Protocol):
    """A connection's protocol: received bytes go straight into its reader's buffer, and
    the one read waiting (if any) is woken.

    In place of asyncio's StreamReader and its protocol, whose Python-level
    ``data_received`` / ``feed_data`` / ``read`` / ``_wait_for_data`` cost more per stream
    event than decoding it, and which copied each event's bytes once more. The same rules:
    reading pauses while too much is unread, EOF and a lost connection end the waits (a
    lost connection's error is raised once the bytes before it have been read), and a
    write waits while the transport's buffer is over its high-water mark."""

    def __init__(self, reader: _Reader) -> None:
        self.reader = reader
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[None] | None = None  # a read waiting for bytes
        self.eof = False
        self.error: BaseException | None = None
        self.paused = False  # reading paused (too much unread)
        self._drained: asyncio.Future[None] | None = None  # a write waiting for the buffer
        self._writing_paused = False
        # While a read waits: called with each arrival, it takes what it can there (True:
        # all of it, the read keeps waiting) instead of the read being woken for it.
        self.push: Callable[[], bool] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buf = self.reader._buf
        buf += data
        push = self.push
        if push is None or not push():
            waiter = self.waiter
            if waiter is not None:
                self.waiter = None
                if not waiter.done():
                    waiter.set_result(None)
        if len(buf) > _HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        if exc is not None:
            self.error = exc
        self._wake()
        drained = self._drained
        if drained is not None and not drained.done():
            drained.set_exception(exc or ConnectionResetError("Connection lost"))

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        drained = self._drained
        if drained is not None and not drained.done():
            drained.set_result(None)

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def more(self) -> asyncio.Future[None] | None:
        """A future done when more bytes, EOF or an error have arrived; None if that is
        known now (EOF: the reader's ``_eof`` is set; an error: raised)."""
        if self.error is not None:
            error, self.error = self.error, None
            self.eof = True
            raise error
        if self.eof:
            self.reader._eof = True
            return None
        if self.paused and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        waiter = self.waiter = asyncio.get_running_loop().create_future()
        return waiter

    def drained(self) -> asyncio.Future[None] | None:
        """A future done when the write buffer is below its high-water mark (None: it is)."""
        if self.transport is None or self.transport.is_closing():
            raise ConnectionResetError("Connection lost")
        if not self._writing_paused:
            return None
        self._drained = asyncio.get_running_loop().create_future()
        return self._drained


class _Reader:
    """What the lean transport reads through (a buffered file's readline/read/read1).

    Reads are served from a local buffer, which the connection's protocol fills with
    whatever has arrived: a stream event (a chunk's size line, its frame and CRLF) then
    costs one wait on the loop, not one per line."""

    __slots__ = ("_buf", "_eof", "_inbox", "_timeout", "_waits", "bound")

    def __init__(self, timeout: float) -> None:
        self._inbox: _Inbox | None = None  # set by the protocol's factory
        self._timeout = timeout
        self._buf = bytearray()
        self._eof = False
        self._waits = Waits()  # a read per stream event: one timer, not one per read
        self.bound: Bound | None = None

    def timeout(self) -> float:
        """How long the next read may wait: the configured timeout, within the bound of
        the call it serves."""
        if self.bound is None:
            return self._timeout
        left = self.bound.read(self._timeout)
        if left <= 0:
            raise TimeoutError("the call's deadline has passed")
        return left

    @property
    def buffered(self) -> bool:
        return bool(self._buf)

    def _fill(self) -> None:
        """Wait until more bytes have arrived (or EOF: ``_eof`` is set)."""
        assert self._inbox is not None
        more = self._inbox.more()
        if more is not None:
            await_(self._waits.within(self.timeout(), more))

    def readline(self, limit: int = _MAX_LINE) -> bytes:
        start = 0
        while True:
            end = self._buf.find(b"\n", start)
            if end >= 0 and end < limit:
                return self._take(end + 1)
            if len(self._buf) >= limit:
                return self._take(limit)
            if self._eof:
                return self._take(len(self._buf))
            start = len(self._buf)
            self._fill()

    def read(self, size: int) -> bytes:
        while len(self._buf) < size and not self._eof:
            self._fill()
        return self._take(min(size, len(self._buf)))

    def read1(self, size: int) -> bytes:
        if not self._buf and not self._eof:
            self._fill()
        return self._take(min(size, len(self._buf)))

    def _take(self, n: int) -> bytes:
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def close(self) -> None:
        """Drop the read timer (the writer closes the connection)."""
        self._waits.close()


class LoopBody:
    """A streamed response body read on the event loop, without the greenlet bridge.

    What :meth:`~tierwise.bedrock.transport._Body.stream` yields, read by coroutines: each
    :meth:`read` waits (once, within the same timeout and the call's bound) only when
    nothing is buffered, then returns all the body bytes that have arrived, across chunk
    boundaries (a chunk's bytes once it is complete, as ``_Body`` yields them); the same
    errors (``ReadTimeoutError``, ``ConnectionClosedError``), and the connection goes back
    to the pool once the body has been read to its end."""

    __slots__ = (
        "_body", "_bound", "_by_deadline", "_by_stream", "_chunked", "_conn", "_deadline_at",
        "_ended", "_failed", "_handed", "_idle_s", "_left", "_limited", "_partial", "_read_s",
        "_reader", "_take", "_time", "_until",
    )  # fmt: skip

    def __init__(self, body: _Body, conn: _GreenConn) -> None:
        self._body = body
        self._conn = conn
        self._reader = conn.reader
        self._chunked = body._chunked
        # Chunked: bytes of the current chunk still to come (0: a size line is next; -1: its
        # CRLF is next). Plain: bytes of the body still to come (None: until EOF).
        self._left: int | None = 0 if self._chunked else body._left
        self._partial = bytearray()
        self._ended = False
        # A malformed chunk found after whole chunks in the same read: those are returned
        # first and this is raised by the next read, as the sync client's body does.
        self._failed: Exception | None = None
        # The stream's own limits (see limit()); without them the reads wait within the
        # read timeout and the call's bound only.
        self._limited = False
        self._deadline_at = 0.0  # the deadline on the loop's clock
        self._idle_s = 0.0
        self._read_s = 0.0
        self._bound: Bound | None = None
        self._time: Callable[[], float] = time.monotonic  # the loop's clock, set by limit()
        self._until = 0.0  # when the current window's stream limit expires (0: not open)
        self._by_stream = False  # the stream's limit (not the read timeout) ends this wait
        self._by_deadline = False  # ... and it is the deadline's
        # What push() was given: the whole chunks that arrive during a limited read's wait
        # are handed to it there; _handed: it took some and asked the read to return.
        self._take: Callable[[bytes], bool | None] | None = None
        self._handed = False

    def push(self, take: Callable[[bytes], bool | None] | None) -> bool:
        """While a read of a limited body waits for the next events between chunks, hand
        ``take`` the bytes of each arrival that is whole chunks (a paced event: size line,
        frame, CRLF), in the connection's callback, without waking the read: ``take``
        returns True (taken: the read goes on waiting, its stream limits' window opened
        anew, as a new read's would be), False (taken, and the read is to return None) or
        None (not taken: the read is woken and reads them itself). Anything else (part of a
        chunk, the last chunk, EOF, an error, a timeout) wakes the read as before. None
        stops it. False when this body is not read in chunks (nothing is ever handed)."""
        if not self._chunked:
            return False
        self._take = take
        return True

    def limit(self, idle_s: float, deadline: Deadline) -> None:
        """Bound the waits for the stream's next events by ``idle_s`` and ``deadline`` as
        well, in the read's own wait: one timer and one wait per event, where the stream's
        reader would wait within its limits around a read that waits within its timeout.
        The limits' window opens at the first wait after a ``read(fresh=True)`` and spans
        the ``read(fresh=False)`` calls after it (the reads for one batch of events); when
        one of the limits ends a wait, the read raises :class:`StreamLimitError`, not
        ``ReadTimeoutError``. Call it on the loop the body is read on."""
        reader = self._reader
        bound = reader.bound
        self._time = time = asyncio.get_running_loop().time
        # On the loop's clock once (a wait's end is on it): no Deadline.remaining() per
        # event. Both clocks are monotonic; the error says which limit set the wait, so a
        # timer that fires a hair early on either clock still names the right one.
        self._deadline_at = time() + deadline.remaining()
        self._idle_s = idle_s
        self._read_s = reader._timeout
        # The call's bound on a read is its deadline plus a grace, never sooner than this
        # deadline when it is the same one; another deadline is still worked out per wait.
        self._bound = bound if bound is not None and bound.deadline is not deadline else None
        self._until = 0.0
        self._limited = True

    def _expiry(self) -> float:
        """When the wait at hand ends (loop time), under a limit: the stream's window or the
        read timeout, whichever is sooner (a tie: the stream's, whose timer was the
        sooner one when each had its own)."""
        self._by_stream = False
        read_s = self._read_s if self._bound is None else self._reader.timeout()
        now = self._time()
        until = self._until
        if not until:
            until = now + self._idle_s
            self._by_deadline = self._deadline_at <= until
            if self._by_deadline:
                until = self._deadline_at
            self._until = until
        if now + read_s < until:
            return now + read_s
        self._by_stream = True
        return until

    async def read(self, fresh: bool = True) -> bytes | None:
        """The body bytes that have arrived (waiting for some if none has); b"" at its end;
        None when the bytes that arrived were taken by :meth:`push`'s ``take``, which asked
        for the read to return. ``fresh``: a wait for new events begins (the window of the
        stream's limits, if it has them, opens anew)."""
        if self._ended:
            return b""
        if fresh:
            self._until = 0.0
        try:
            if self._failed is not None:
                raise self._failed
            if not self._chunked:
                return await self._read_plain()
            # A streamed event, read in this one coroutine (no _read_chunked, _chunks and
            # _fill frames to pass through on the wait and the wake-up): wait if nothing has
            # arrived (every path below waits the same way first), then take the whole
            # chunks that have (a paced event is one: size line, frame, CRLF). Anything else
            # (part of a chunk, the last chunk, a malformed one) goes the general way, which
            # continues from what was taken.
            reader = self._reader
            buf = reader._buf
            if not buf and not reader._eof:
                inbox = reader._inbox
                assert inbox is not None
                more = inbox.more()
                if more is not None:
                    if not self._limited:
                        await reader._waits.expire(reader.timeout(), more)
                    elif fresh and self._bound is None:
                        # _expiry() inline for a paced event's one wait (a call fewer on
                        # each): the window opens here, the read timeout a fixed length.
                        now = self._time()
                        until = now + self._idle_s
                        if self._deadline_at <= until:
                            until = self._deadline_at
                            self._by_deadline = True
                        else:
                            self._by_deadline = False
                        self._until = until
                        read_by = now + self._read_s
                        self._by_stream = until <= read_by
                        expiry = until if until <= read_by else read_by
                        if self._take is not None and self._left == 0 and not self._partial:
                            inbox.push = self._pushed
                            try:
                                await reader._waits.expire_at(expiry, more)
                            finally:
                                inbox.push = None
                            if self._handed:
                                self._handed = False
                                return None
                        else:
                            await reader._waits.expire_at(expiry, more)
                    else:
                        await reader._waits.expire_at(self._expiry(), more)
            out = bytearray()
            if self._left == 0 and not self._partial:
                while buf:
                    eol = buf.find(b"\n", 0, _MAX_LINE)
                    if eol <= 0:
                        break
                    try:
                        size = int(buf[:eol].split(b";", 1)[0], 16)
                    except ValueError:  # malformed: the general way says what it means
                        break
                    stop = eol + 1 + size
                    if not size or buf[stop : stop + 2] != b"\r\n":
                        break
                    out += buf[eol + 1 : stop]
                    del buf[: stop + 2]
                if out and not buf:
                    return bytes(out)
            return await self._read_chunked(out)
        except TimeoutError as exc:
            self._body.close()
            if self._by_stream:
                raise StreamLimitError(self._by_deadline) from None
            raise ReadTimeoutError(endpoint_url=self._body._url, error=exc) from exc
        except (OSError, ValueError, _ClosedError) as exc:  # ValueError: a malformed chunk
            self._body.close()
            raise ConnectionClosedError(endpoint_url=self._body._url, error=exc) from exc

    def _pushed(self) -> bool:
        """The connection's callback while a read waits with a ``take`` (see :meth:`push`):
        True when what arrived was whole chunks and ``take`` took them (the read goes on
        waiting, in a window opened anew); False wakes the read."""
        reader = self._reader
        buf = reader._buf
        end = len(buf)
        # Whole chunks only, found before any is taken: anything else is left to the read.
        pieces = []
        pos = 0
        while pos < end:
            eol = buf.find(b"\n", pos, pos + _MAX_LINE)
            if eol <= pos:
                return False
            try:
                size = int(buf[pos:eol].split(b";", 1)[0], 16)
            except ValueError:
                return False
            stop = eol + 1 + size
            if not size or buf[stop : stop + 2] != b"\r\n":
                return False
            pieces.append(buf[eol + 1 : stop])
            pos = stop + 2
        take = self._take
        if take is None or not pieces:
            return False
        taken = take(bytes(pieces[0]) if len(pieces) == 1 else b"".join(pieces))
        if taken is None:
            return False
        del buf[:]
        inbox = reader._inbox
        if not taken:
            self._handed = True
            if inbox is not None:
                inbox.push = None  # later arrivals wait in the buffer for the read
            return False
        # The next events' wait, as the read that follows a batch would begin it.
        waiter = inbox.waiter if inbox is not None else None
        if waiter is None:  # no read waits (not reached: one does while this is set)
            self._handed = True
            return False
        # _expiry()'s window opening inline, as in read(): this runs for every pushed batch,
        # the path request_cpu.txt section 21 measures, and a call more would cost each one.
        now = self._time()
        until = now + self._idle_s
        if self._deadline_at <= until:
            until = self._deadline_at
            self._by_deadline = True
        else:
            self._by_deadline = False
        self._until = until
        read_by = now + self._read_s
        self._by_stream = until <= read_by
        reader._waits.expire_at(until if until <= read_by else read_by, waiter)
        return True

    async def _fill(self) -> None:
        reader = self._reader
        assert reader._inbox is not None
        more = reader._inbox.more()
        if more is not None:
            if not self._limited:
                await reader._waits.expire(reader.timeout(), more)
            else:
                await reader._waits.expire_at(self._expiry(), more)

    async def _line(self) -> bytes:
        """What ``_Reader.readline(_MAX_LINE)`` returns, awaited."""
        reader = self._reader
        start = 0
        while True:
            buf = reader._buf
            end = buf.find(b"\n", start)
            if 0 <= end < _MAX_LINE:
                return reader._take(end + 1)
            if len(buf) >= _MAX_LINE:
                return reader._take(_MAX_LINE)
            if reader._eof:
                return reader._take(len(buf))
            start = len(buf)
            await self._fill()

    async def _read_chunked(self, out: bytearray) -> bytes:
        """``out`` (chunks already taken) and the chunks' bytes that have arrived."""
        try:
            await self._chunks(out)
        except (ValueError, _ClosedError) as exc:
            if not out:
                raise
            self._failed = exc
        return bytes(out)

    async def _chunks(self, out: bytearray) -> None:
        """Adds to ``out`` the chunks' bytes that have arrived (waiting for some if none
        has), up to the body's end."""
        reader = self._reader
        partial = self._partial  # the current chunk's bytes so far
        while True:
            left = self._left
            assert left is not None
            if left == 0:  # a chunk's size line
                buf = reader._buf
                if out and b"\n" not in buf:
                    break  # return what has arrived rather than wait for the next chunk
                # The usual case, a whole chunk buffered (one stream event: its size line,
                # frame and CRLF arrive together): taken in one slice. Anything else (the
                # last chunk, a chunk in pieces, a bare LF) goes the general way below.
                if not buf and not reader._eof:
                    await self._fill()  # nothing has arrived yet (and out is empty)
                    continue
                eol = buf.find(b"\n", 0, _MAX_LINE)
                if eol > 0 and not partial:
                    size = int(buf[:eol].split(b";", 1)[0], 16)
                    stop = eol + 1 + size
                    if size and buf[stop : stop + 2] == b"\r\n":
                        out += buf[eol + 1 : stop]
                        del buf[: stop + 2]
                        continue
                line = await self._line()
                if not line.endswith(b"\n"):
                    raise _ClosedError("the chunked body ended early")
                size = int(line.split(b";", 1)[0], 16)
                if size == 0:
                    while await self._line() not in (b"\r\n", b"\n", b""):
                        pass  # trailers carry nothing botocore reads
                    self._end()
                    break
                self._left = size
                continue
            if left < 0:  # the CRLF after a chunk: then its bytes count, as in _Body
                if out and b"\n" not in reader._buf:
                    break
                if await self._line() not in (b"\r\n", b"\n"):
                    raise _ClosedError("a chunk is not followed by CRLF")
                out += partial
                partial.clear()
                self._left = 0
                continue
            if not reader._buf:
                if out:
                    break
                if reader._eof:
                    raise _ClosedError("a chunk ended early")
                await self._fill()
                continue
            take = min(left, len(reader._buf))
            partial += reader._buf[:take]
            del reader._buf[:take]
            self._left = left - take or -1

    async def _read_plain(self) -> bytes:
        reader = self._reader
        left = self._left
        if left is not None and left <= 0:
            self._end()
            return b""
        if not reader._buf and not reader._eof:
            await self._fill()
        take = len(reader._buf) if left is None else min(left, len(reader._buf))
        if not take:
            if left is not None:
                raise _ClosedError(f"{left} byte(s) of the body never arrived")
            self._end()
            return b""
        data = reader._take(take)
        if left is not None:
            self._left = left - take
        return data

    def _end(self) -> None:
        self._ended = True
        self._body._finished()


def loop_body(raw: Any) -> LoopBody | None:
    """A :class:`LoopBody` for ``raw`` (an event stream's HTTP body) when it can be read on
    the event loop: a lean-transport body over an asyncio connection, not yet read."""
    if type(raw) is not _Body:
        return None
    conn = raw._conn
    return LoopBody(raw, conn) if isinstance(conn, _GreenConn) else None


class _Writer:
    __slots__ = ("_inbox", "_reader", "_transport")

    def __init__(self, transport: asyncio.Transport, inbox: _Inbox, reader: _Reader) -> None:
        self._transport = transport
        self._inbox = inbox
        self._reader = reader  # whose timeout (and bound) sending shares

    def sendall(self, data: bytes) -> None:
        if self._transport.is_closing():
            raise ConnectionResetError("Connection lost")
        self._transport.write(data)
        drained = self._inbox.drained()
        if drained is not None:
            await_(_within(self._reader.timeout(), drained))

    def close(self) -> None:
        self._transport.close()


class _GreenConn:
    __slots__ = ("_inbox", "reader", "sock")

    def __init__(self, transport: asyncio.Transport, inbox: _Inbox, reader: _Reader) -> None:
        self._inbox = inbox
        self.reader = reader
        self.sock = _Writer(transport, inbox, reader)

    def arm(self, bound: Bound | None, read_timeout: float) -> None:
        """Wait within ``bound`` (each wait works out what is left of it)."""
        self.reader.bound = bound

    def rearm(self, read_timeout: float) -> None:
        """Nothing to do: each read works out its own wait."""

    def shutdown(self) -> None:
        """Nothing to do: reads on the loop are cancelled, not woken by another thread."""

    def close(self) -> None:
        self.reader.close()
        self.sock.close()

    def dropped(self) -> bool:
        """Whether the server closed (or wrote to) this idle connection."""
        return self.reader.buffered or self._inbox.eof or self.sock._transport.is_closing()


class GreenTransport(LeanTransport):
    """:class:`LeanTransport` whose sockets are asyncio's when called in a bridge."""

    def __init__(self, fallback: Any, **options: Any) -> None:
        super().__init__(fallback, **options)
        self._loops: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[tuple[str, str, int], list[_GreenConn]]
        ] = weakref.WeakKeyDictionary()

    def send(self, request: AWSPreparedRequest) -> AWSResponse:
        if not in_bridge():
            return super().send(request)
        response = self._send(request)
        if response is not None:
            return response
        # Not a hot-path request (or one this client does not handle): botocore's own
        # session, which blocks the loop for its duration; only control-plane-like calls.
        return self.fallback.send(request)  # type: ignore[no-any-return]

    def _idle_for(
        self, on_loop: bool = False
    ) -> dict[tuple[str, str, int], list[_GreenConn]] | None:
        """This loop's idle connections: in a bridge (or, ``on_loop``, in any coroutine,
        as a :class:`LoopBody` read to its end releases its connection)."""
        if on_loop:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return None
        elif not in_bridge():
            return None
        else:
            loop = asyncio.get_running_loop()
        pools = self._loops.get(loop)
        if pools is None:
            pools = self._loops[loop] = {}
        return pools

    def _take(self, key: tuple[str, str, int]) -> Any:
        pools = self._idle_for()
        if pools is None:
            return super()._take(key)
        idle = pools.get(key)
        while idle:
            conn = idle.pop()
            if not conn.dropped():
                return conn
            conn.close()
        return self._green_connect(key)

    def release(self, key: tuple[str, str, int], conn: Any) -> None:
        if not isinstance(conn, _GreenConn):
            super().release(key, conn)
            return
        pools = self._idle_for(on_loop=True)
        if pools is None:
            conn.close()
            return
        idle = pools.setdefault(key, [])
        if len(idle) < MAX_IDLE:
            idle.append(conn)
        else:
            conn.close()

    def close(self) -> None:
        for pools in list(self._loops.values()):
            for idle in pools.values():
                for conn in idle:
                    conn.close()
        self._loops.clear()
        super().close()

    def _green_connect(self, key: tuple[str, str, int]) -> _GreenConn:
        scheme, host, port = key
        url = f"{scheme}://{host}:{port}"
        tls = self._tls_context() if scheme == "https" else None
        timeout = self._connect_timeout(url)
        reader = _Reader(self.read_timeout)

        def inbox() -> _Inbox:
            reader._inbox = _Inbox(reader)
            return reader._inbox

        loop = asyncio.get_running_loop()
        try:
            transport, protocol = await_(
                _within(
                    timeout,
                    loop.create_connection(
                        inbox, host, port, ssl=tls, server_hostname=host if tls else None
                    ),
                )
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(endpoint_url=url, error=exc) from exc
        except ssl.SSLError as exc:
            raise SSLError(endpoint_url=url, error=exc) from exc
        except OSError as exc:
            raise EndpointConnectionError(endpoint_url=url, error=exc) from exc
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tcp_keepalive:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return _GreenConn(transport, protocol, reader)

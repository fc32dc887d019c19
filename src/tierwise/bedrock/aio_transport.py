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
import weakref
from collections.abc import Coroutine
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, SSLError

from tierwise.bedrock.green import await_, in_bridge
from tierwise.bedrock.transport import _MAX_LINE, _READ, Bound, LeanTransport
from tierwise.waits import Waits

__all__ = ["GreenTransport"]

# Idle keep-alive connections kept per host: the event loop holds thousands of calls at
# once, and a connection dropped after each would mean a new TCP (and TLS) handshake.
MAX_IDLE = 1024


async def _within(timeout: float, coro: Coroutine[Any, Any, Any]) -> Any:
    async with asyncio.timeout(timeout):
        return await coro


class _Reader:
    """What the lean transport reads through (a buffered file's readline/read/read1).

    Reads are served from a local buffer, refilled by one awaited read of whatever has
    arrived: a stream event (a chunk's size line, its frame and CRLF) then costs one wait
    on the loop, not one per line."""

    __slots__ = ("_buf", "_eof", "_stream", "_timeout", "_waits", "bound")

    def __init__(self, stream: asyncio.StreamReader, timeout: float) -> None:
        self._stream = stream
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
        data: bytes = await_(self._waits.within(self.timeout(), self._stream.read(_READ)))
        if data:
            self._buf += data
        else:
            self._eof = True

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


class _Writer:
    __slots__ = ("_reader", "_stream")

    def __init__(self, stream: asyncio.StreamWriter, reader: _Reader) -> None:
        self._stream = stream
        self._reader = reader  # whose timeout (and bound) sending shares

    def sendall(self, data: bytes) -> None:
        self._stream.write(data)
        if self._stream.transport.get_write_buffer_size() > 0:
            await_(_within(self._reader.timeout(), self._stream.drain()))

    def close(self) -> None:
        self._stream.close()


class _GreenConn:
    __slots__ = ("_stream", "reader", "sock")

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float
    ) -> None:
        self._stream = reader
        self.reader = _Reader(reader, timeout)
        self.sock = _Writer(writer, self.reader)

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
        return self.reader.buffered or self._stream.at_eof() or self.sock._stream.is_closing()


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

    def _idle_for(self) -> dict[tuple[str, str, int], list[_GreenConn]] | None:
        if not in_bridge():
            return None
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
        pools = self._idle_for()
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
        try:
            reader, writer = await_(
                _within(
                    timeout,
                    asyncio.open_connection(
                        host, port, ssl=tls, server_hostname=host if tls else None,
                        limit=_MAX_LINE,
                    ),
                )
            )  # fmt: skip
        except TimeoutError as exc:
            raise ConnectTimeoutError(endpoint_url=url, error=exc) from exc
        except ssl.SSLError as exc:
            raise SSLError(endpoint_url=url, error=exc) from exc
        except OSError as exc:
            raise EndpointConnectionError(endpoint_url=url, error=exc) from exc
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tcp_keepalive:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return _GreenConn(reader, writer, self.read_timeout)

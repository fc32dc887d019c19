"""The emulator's HTTP side on asyncio: thousands of concurrent connections, paced streams.

The same wire as the thread-per-connection server (:mod:`tierwise.emulator.server`), which
it replaces where load matters (``tierwise emulator``, benchmarks): HTTP/1.1 keep-alive,
exact ``Content-Length``, streams chunked one eventstream frame per chunk, the same headers
and the same :func:`~tierwise.emulator.server.route`. A paced stream sleeps on the event
loop, not in a thread, so holding thousands of them costs memory, not threads; the listen
backlog is large enough that a burst of connections is queued rather than reset.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import itertools
import socket
import threading
from collections.abc import Mapping
from http import HTTPStatus

from tierwise.emulator.service import Reply, Service

__all__ = ["AsyncHTTPServer"]

BACKLOG = 8192
_MAX_LINE = 65536
_MAX_HEADERS = 100
# Batch requests may touch S3 through boto3 (blocking), as may the local S3's large
# objects: a worker thread.
_BLOCKING_PREFIXES = ("/model-invocation-job",)
METHODS = ("GET", "POST", "PUT", "HEAD", "DELETE")


class _Headers:
    """Request headers, looked up case-insensitively (as the stdlib's message does)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._values.get(name.lower(), default)

    def items(self) -> list[tuple[str, str]]:
        return list(self._values.items())


class AsyncHTTPServer:
    """The interface of the stdlib server the :class:`Emulator` drives (``server_address``,
    ``serve_forever``, ``shutdown``, ``server_close``), served by an asyncio loop."""

    def __init__(self, address: tuple[str, int], service: Service) -> None:
        self.service = service
        self.request_ids = itertools.count(1)
        self._sock = socket.create_server(address, backlog=BACKLOG, reuse_port=False)
        self._sock.setblocking(False)
        self.server_address = self._sock.getsockname()[:2]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._ready = threading.Event()
        self._connections: set[asyncio.Task[None]] = set()

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve until :meth:`shutdown` (from another thread) or Ctrl-C."""
        try:
            import uvloop

            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        except ImportError:  # pragma: no cover - uvloop is optional (uvicorn[standard])
            loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._serve())
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        server = await asyncio.start_server(self._connection, sock=self._sock, limit=_MAX_LINE)
        self._ready.set()
        async with server:
            await self._stopped.wait()
            server.close()
            # Idle keep-alive connections wait for a next request that will not come.
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)

    def shutdown(self) -> None:
        self._ready.wait(5)
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stopped.set)

    def server_close(self) -> None:
        self._sock.close()

    # -- one connection -----------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away or sent garbage; as the stdlib server, stay quiet
        except ValueError:
            pass
        finally:
            writer.close()
            if task is not None:
                self._connections.discard(task)

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        line = await reader.readline()
        if not line.strip():
            return False
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            await self._write_plain(writer, 400, b"Bad request line")
            return False
        method, target, version = parts
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADERS + 1):
            raw = await reader.readline()
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        else:
            await self._write_plain(writer, 431, b"Too many headers")
            return False
        body = await _read_body(reader, headers)
        connection = headers.get("connection", "").lower()
        keep = version == "HTTP/1.1" and connection != "close"
        if method not in METHODS:
            await self._write_plain(writer, 501, b"Unsupported method", keep=keep)
            return keep
        if method == "HEAD":
            reply = _route(self.service, method, target, _Headers(headers), body)
            length = "" if "Content-Length" in reply.headers else "Content-Length: 0\r\n"
            writer.write(self._head(reply, keep=keep, framing=length))
            await writer.drain()
            return keep
        if target.startswith(_BLOCKING_PREFIXES) or method not in ("GET", "POST"):
            reply = await asyncio.to_thread(
                _route, self.service, method, target, _Headers(headers), body
            )
        else:
            reply = _route(self.service, method, target, _Headers(headers), body)
        try:
            await self._send(writer, reply, keep=keep, reader=reader)
        except ConnectionError:
            if reply.frames is not None:
                self.service.note_hangup()
            raise
        return keep

    def _head(self, reply: Reply, *, keep: bool, framing: str) -> bytes:
        request_id = next(self.request_ids)
        phrase = _phrase(reply.status)
        lines = [
            f"HTTP/1.1 {reply.status} {phrase}\r\n",
            "Server: tierwise-emulator\r\n",
            f"Date: {email.utils.formatdate(usegmt=True)}\r\n",
            f"x-amzn-RequestId: 00000000-0000-4000-8000-{request_id:012d}\r\n",
        ]
        lines += [f"{name}: {value}\r\n" for name, value in reply.headers.items()]
        lines.append(framing)
        if not keep:
            lines.append("Connection: close\r\n")
        lines.append("\r\n")
        return "".join(lines).encode("latin-1")

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        reply: Reply,
        *,
        keep: bool,
        reader: asyncio.StreamReader | None = None,
    ) -> None:
        if reply.frames is None:
            if reply.delay_s > 0:
                await asyncio.sleep(reply.delay_s)
            head = self._head(reply, keep=keep, framing=f"Content-Length: {len(reply.body)}\r\n")
            writer.write(head + reply.body)
            await writer.drain()
            return
        writer.write(self._head(reply, keep=keep, framing="Transfer-Encoding: chunked\r\n"))
        await writer.drain()
        if reply.delay_s > 0:
            await asyncio.sleep(reply.delay_s)
        for index, frame in enumerate(reply.frames):
            if index and reply.gap_s > 0:
                await asyncio.sleep(reply.gap_s)
            if reply.stall is not None and index == reply.stall[0] and reader is not None:
                await _stall(reader, reply.stall[1])
            writer.write(b"%x\r\n%s\r\n" % (len(frame), frame))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    async def _write_plain(
        self, writer: asyncio.StreamWriter, status: int, text: bytes, *, keep: bool = False
    ) -> None:
        reply = Reply(status, text, {"Content-Type": "text/plain"})
        await self._send(writer, reply, keep=keep)


async def _stall(reader: asyncio.StreamReader, seconds: float) -> None:
    """Wait ``seconds``; raise ConnectionResetError if the client closes meanwhile."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            # Nothing is sent on a connection while its response streams: EOF is a close.
            if not await reader.read(1):
                raise ConnectionResetError("the client closed the stream")


def _route(service: Service, method: str, target: str, headers: _Headers, body: bytes) -> Reply:
    from tierwise.emulator.server import route

    return route(service, method, target, headers, body)


async def _read_body(reader: asyncio.StreamReader, headers: Mapping[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await reader.readline()
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readline()
    length = int(headers.get("content-length") or 0)
    return await reader.readexactly(length) if length > 0 else b""


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""

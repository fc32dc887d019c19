"""A lean HTTP/1.1 client for the runtime calls on the hot path, under botocore.

botocore still builds, signs and parses every request, runs its event handlers and raises
its own exceptions; this module only moves the bytes, in place of botocore's urllib3-based
HTTP session for Converse, ConverseStream and CountTokens. Why: urllib3 and http.client cost
about as much CPU per call as the rest of a gateway request (the URL parsed twice, headers
parsed by the email package, the socket timeout set three times), where a request here is
one ``sendall`` and, usually, one ``recv``.

Every other request, and any it does not handle (a body that is not bytes, ``Expect`` or
``Transfer-Encoding`` request headers, a per-request timeout), goes to botocore's own
session, as does everything when a proxy applies. ``[retry] http_client = "botocore"``
turns it off altogether.

Keep-alive connections are pooled per host, checked before reuse (a connection the server
closed is dropped, as urllib3 does) and never reused after a response that was not read to
its end. TLS verifies the certificate and host name against the CA bundle botocore would
use.

Socket waits come from the call's deadline (:func:`bounded`): a connection is awaited at
most until the deadline, and each read (a stream's included) at most until ``grace_s``
after it, never longer than the configured timeouts. The grace lets Bedrock's answer (and
its usage) still arrive for an attempt the caller stopped waiting for at the deadline; past
it the attempt ends, so a hung upstream holds no thread, greenlet or socket for the full
``read_timeout_s``.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HeadersDict
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
    SSLError,
)

from tierwise.bedrock.header_keys import HeaderKey, header_table

if TYPE_CHECKING:
    from tierwise.core.deadline import Deadline

__all__ = ["OPERATIONS", "Bound", "LeanTransport", "bounded", "current_bound"]

# The bedrock-runtime operations sent through this client, by the end of their path.
OPERATIONS = ("/converse", "/converse-stream", "/count-tokens")
_MAX_LINE = 65536
_MAX_HEADERS = 100
_READ = 65536
# Request headers botocore's client handles and this one does not.
_UNHANDLED = frozenset({"expect", "transfer-encoding", "host"})


@dataclass(frozen=True, slots=True)
class Bound:
    """The socket waits of one Bedrock call, from its deadline."""

    deadline: Deadline
    grace_s: float

    def connect(self, configured: float) -> float:
        """How long a new connection may take (<= 0: the deadline has passed)."""
        return min(configured, self.deadline.remaining())

    def read(self, configured: float) -> float:
        """How long the next read may wait (<= 0: the deadline and its grace have passed)."""
        return min(configured, self.deadline.remaining() + self.grace_s)


# The bound of the call being sent (set by the Bedrock client around each call; a context
# variable, so every thread and every greenlet of the async client has its own).
_BOUND: ContextVar[Bound | None] = ContextVar("tierwise_socket_bound", default=None)


def current_bound() -> Bound | None:
    """The bound of the call being sent in this thread or greenlet, if any."""
    return _BOUND.get()


@contextmanager
def bounded(deadline: Deadline | None, grace_s: float) -> Iterator[None]:
    """Requests sent inside this block wait on their sockets within ``deadline`` (plus
    ``grace_s`` for reads); without a deadline, the configured timeouts apply."""
    token = _BOUND.set(Bound(deadline, grace_s) if deadline is not None else None)
    try:
        yield
    finally:
        _BOUND.reset(token)


class _Conn:
    __slots__ = ("bound", "reader", "sock", "timeout")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = sock.makefile("rb")
        self.timeout = sock.gettimeout()
        self.bound: Bound | None = None

    def arm(self, bound: Bound | None, read_timeout: float) -> None:
        """Wait on reads within ``bound`` (the configured ``read_timeout`` without one)."""
        self.bound = bound
        self._wait(bound.read(read_timeout) if bound is not None else read_timeout)

    def rearm(self, read_timeout: float) -> None:
        """Before the next read of a stream: what is left of the bound."""
        if self.bound is not None:
            self._wait(self.bound.read(read_timeout))

    def _wait(self, timeout: float) -> None:
        if timeout <= 0:
            raise TimeoutError("the call's deadline has passed")
        if timeout != self.timeout:
            self.sock.settimeout(timeout)
            self.timeout = timeout

    def close(self) -> None:
        self.reader.close()
        self.sock.close()

    def shutdown(self) -> None:
        """End a read blocked on this connection in another thread (a close would not)."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RD)

    def dropped(self) -> bool:
        """Whether the server closed (or wrote to) this idle connection."""
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return True
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)


class _ClosedError(Exception):
    """The connection ended before the response did."""


class _Body:
    """A response body read as it arrives: what botocore's event streams need of urllib3's
    response (``stream``, ``read``, ``close``). The connection goes back to the pool once
    the body has been read to its end, and is closed if the body is abandoned."""

    def __init__(
        self,
        transport: LeanTransport,
        key: tuple[str, str, int],
        conn: _Conn,
        url: str,
        *,
        length: int | None,
        chunked: bool,
        reusable: bool,
    ) -> None:
        self._transport = transport
        self._key = key
        self._conn: _Conn | None = conn
        self._url = url
        self._left = length
        self._chunked = chunked
        self._reusable = reusable

    def stream(self, amt: int | None = None, decode_content: bool = True) -> Iterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        try:
            if self._chunked:
                yield from self._chunks(conn, self._transport.read_timeout)
            else:
                yield from self._plain(conn, amt or _READ)
        except TimeoutError as exc:
            self.close()
            raise ReadTimeoutError(endpoint_url=self._url, error=exc) from exc
        except (OSError, ValueError, _ClosedError) as exc:  # ValueError: a malformed chunk
            self.close()
            raise ConnectionClosedError(endpoint_url=self._url, error=exc) from exc
        self._finished()

    def read(self, amt: int | None = None) -> bytes:
        if amt is None:
            return b"".join(self.stream())
        out = bytearray()
        for piece in self.stream(amt):
            out += piece
            if len(out) >= amt:
                break
        return bytes(out)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def shutdown(self) -> None:
        """As urllib3's: end a read of this body blocked in another thread."""
        conn = self._conn
        if conn is not None:
            conn.shutdown()

    def _plain(self, conn: _Conn, size: int) -> Iterator[bytes]:
        timeout = self._transport.read_timeout
        if self._left is None:  # no length: the body ends with the connection
            while True:
                conn.rearm(timeout)
                piece = conn.reader.read1(size)
                if not piece:
                    return
                yield piece
        while self._left > 0:
            conn.rearm(timeout)
            piece = conn.reader.read1(min(size, self._left))
            if not piece:
                raise _ClosedError(f"{self._left} byte(s) of the body never arrived")
            self._left -= len(piece)
            yield piece

    def _chunks(self, conn: _Conn, read_timeout: float) -> Iterator[bytes]:
        reader = conn.reader
        while True:
            conn.rearm(read_timeout)  # each event waits within the call's deadline
            line = reader.readline(_MAX_LINE)
            if not line.endswith(b"\n"):
                raise _ClosedError("the chunked body ended early")
            size = int(line.split(b";", 1)[0], 16)
            if size == 0:
                while reader.readline(_MAX_LINE) not in (b"\r\n", b"\n", b""):
                    pass  # trailers carry nothing botocore reads
                return
            data = reader.read(size)
            if len(data) < size:
                raise _ClosedError("a chunk ended early")
            if reader.readline(_MAX_LINE) not in (b"\r\n", b"\n"):
                raise _ClosedError("a chunk is not followed by CRLF")
            yield data

    def _finished(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            if self._reusable:
                self._transport.release(self._key, conn)
            else:
                conn.close()


class LeanTransport:
    """botocore's HTTP session for one client: the hot-path calls here, the rest to
    ``fallback`` (botocore's own session). Thread-safe."""

    def __init__(
        self,
        fallback: Any,
        *,
        connect_timeout: float,
        read_timeout: float,
        max_pool: int,
        verify: bool | str = True,
        tcp_keepalive: bool = False,
    ) -> None:
        self.fallback = fallback
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_pool = max_pool
        self.tcp_keepalive = tcp_keepalive
        self._verify = verify
        self._tls: ssl.SSLContext | None = None
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self._lock = threading.Lock()

    # -- botocore's HTTP session interface ----------------------------------------------

    def send(self, request: AWSPreparedRequest) -> AWSResponse:
        response = self._send(request)
        return response if response is not None else self.fallback.send(request)

    def close(self) -> None:
        with self._lock:
            pools, self._idle = self._idle, {}
        for idle in pools.values():
            for conn in idle:
                conn.close()
        self.fallback.close()

    # -- the hot path ----------------------------------------------------------------------

    def _send(self, request: AWSPreparedRequest) -> AWSResponse | None:
        """The response, or None for a request left to the fallback."""
        body = request.body
        if body is None:
            body = b""
        if not isinstance(body, bytes):
            return None
        fields = _fields(request.headers)
        if not self._handles(request, fields):
            return None
        parts = urlsplit(request.url)
        scheme = parts.scheme
        if (
            scheme not in ("http", "https")
            or not parts.hostname
            or not parts.path.endswith(OPERATIONS)
        ):
            return None
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, parts.hostname, port)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        host = _host_header(parts.hostname, parts.port, scheme)
        head = self._head(request.method, target, host, len(body), fields)
        url = request.url
        bound = _BOUND.get()
        conn = self._take(key)
        try:
            try:
                conn.arm(bound, self.read_timeout)
                conn.sock.sendall(head + body if len(body) < 65536 else head)
                if len(body) >= 65536:
                    conn.sock.sendall(body)
                return self._response(key, conn, url, stream=bool(request.stream_output))
            except BaseException:
                conn.close()
                raise
        except TimeoutError as exc:
            raise ReadTimeoutError(endpoint_url=url, error=exc) from exc
        except ssl.SSLError as exc:
            raise SSLError(endpoint_url=url, error=exc) from exc
        except (OSError, ValueError, _ClosedError) as exc:  # ValueError: a malformed head
            raise ConnectionClosedError(endpoint_url=url, error=exc) from exc

    def _handles(self, request: AWSPreparedRequest, fields: list[_Field]) -> bool:
        context: Mapping[str, Any] | None = getattr(request, "context", None)
        if context and context.get("read_timeout") is not None:
            return False
        return not any(lower in _UNHANDLED for _, lower, _ in fields)

    @staticmethod
    def _head(method: str, target: str, host: str, length: int, fields: list[_Field]) -> bytes:
        lines = [f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n"]
        has_length = False
        for name, lower, value in fields:
            text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            if "\r" in text or "\n" in text or "\r" in name or "\n" in name:
                raise HTTPClientError(error=ValueError(f"invalid value for header {name}"))
            has_length = has_length or lower == "content-length"
            lines.append(f"{name}: {text}\r\n")
        if not has_length:
            lines.append(f"Content-Length: {length}\r\n")
        # What urllib3 sends: the body must not come back compressed.
        lines.append("Accept-Encoding: identity\r\n\r\n")
        return "".join(lines).encode("latin-1")

    def _response(
        self, key: tuple[str, str, int], conn: _Conn, url: str, *, stream: bool
    ) -> AWSResponse:
        reader = conn.reader
        while True:
            status_line = reader.readline(_MAX_LINE)
            if not status_line:
                raise _ClosedError("the connection closed before a response")
            version, status, headers = _parse_head(status_line, reader)
            if not 100 <= status < 200:
                break
        tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
        reusable = version == "HTTP/1.1" and "close" not in tokens
        encoding = headers.get("transfer-encoding", "").lower()
        chunked = encoding.endswith("chunked")
        length: int | None = None
        if status in (204, 304):
            length = 0
        elif not chunked and "content-length" in headers:
            length = int(headers["content-length"].split(",")[0])
        elif not chunked:
            reusable = False
        body = _Body(self, key, conn, url, length=length, chunked=chunked, reusable=reusable)
        response = AWSResponse(url, status, {}, body)  # type: ignore[arg-type]
        # HeadersDict(headers) as AWSResponse makes it, its table filled directly (its
        # update() goes through MutableMapping: a __setitem__ call per header).
        table = header_table(response.headers)
        for name, value in headers.items():
            table[HeaderKey(name)] = value
        if not stream:
            response.content  # noqa: B018 - read now, so the connection is free again
        return response

    # -- the pool ------------------------------------------------------------------------

    def _take(self, key: tuple[str, str, int]) -> _Conn:
        while True:
            with self._lock:
                idle = self._idle.get(key)
                conn = idle.pop() if idle else None
            if conn is None:
                return self._connect(key)
            if not conn.dropped():
                return conn
            conn.close()

    def release(self, key: tuple[str, str, int], conn: _Conn) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self.max_pool:
                idle.append(conn)
                return
        conn.close()

    def _connect_timeout(self, url: str) -> float:
        """The configured connect timeout, within the call's deadline."""
        bound = _BOUND.get()
        timeout = bound.connect(self.connect_timeout) if bound is not None else self.connect_timeout
        if timeout <= 0:
            error = TimeoutError("the call's deadline has passed")
            raise ConnectTimeoutError(endpoint_url=url, error=error)
        return timeout

    def _connect(self, key: tuple[str, str, int]) -> _Conn:
        scheme, host, port = key
        url = f"{scheme}://{host}:{port}"
        timeout = self._connect_timeout(url)
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except TimeoutError as exc:
            raise ConnectTimeoutError(endpoint_url=url, error=exc) from exc
        except OSError as exc:
            raise EndpointConnectionError(endpoint_url=url, error=exc) from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tcp_keepalive:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            if scheme == "https":
                sock = self._tls_context().wrap_socket(sock, server_hostname=host)
            sock.settimeout(self.read_timeout)
        except ssl.SSLError as exc:
            sock.close()
            raise SSLError(endpoint_url=url, error=exc) from exc
        except TimeoutError as exc:
            sock.close()
            raise ConnectTimeoutError(endpoint_url=url, error=exc) from exc
        except OSError as exc:
            sock.close()
            raise EndpointConnectionError(endpoint_url=url, error=exc) from exc
        return _Conn(sock)

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            from botocore.httpsession import get_cert_path

            if self._verify is False:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            else:
                cafile = get_cert_path(self._verify)  # type: ignore[arg-type]
                context = ssl.create_default_context(cafile=cafile)
            self._tls = context
        return self._tls


# A request header: its name as sent, the name lower-cased, its value.
_Field = tuple[str, str, Any]


def _fields(headers: Any) -> list[_Field]:
    """The request's headers in order, from a ``HeadersDict``'s own table when it is one
    (each key holds the name and its lower-case form; its mapping layer would make a key
    object and hash it per lookup)."""
    if type(headers) is HeadersDict:
        table = header_table(headers)
        return [(key._key, key._lower, value) for key, value in table.items()]
    return [(str(name), str(name).lower(), value) for name, value in headers.items()]


def _host_header(hostname: str, port: int | None, scheme: str) -> str:
    """The Host value SigV4 signed: no default port, IPv6 in brackets."""
    host = f"[{hostname}]" if ":" in hostname else hostname
    if port is not None and port != (443 if scheme == "https" else 80):
        host = f"{host}:{port}"
    return host


def _parse_head(status_line: bytes, reader: Any) -> tuple[str, int, dict[str, str]]:
    """Version, status and headers (lower-case names; repeated fields joined with ", ", as
    urllib3 does)."""
    parts = status_line.decode("latin-1").split(None, 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise _ClosedError(f"not an HTTP status line: {status_line[:80]!r}")
    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADERS + 1):
        line = reader.readline(_MAX_LINE)
        if line in (b"\r\n", b"\n"):
            break
        if not line.endswith(b"\n"):
            raise _ClosedError("the response headers ended early")
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    else:
        raise _ClosedError(f"more than {_MAX_HEADERS} response headers")
    return parts[0], int(parts[1]), headers

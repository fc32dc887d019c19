"""The HTTP side: a stdlib ``ThreadingHTTPServer`` speaking bedrock-runtime's rest-json.

HTTP/1.1 with keep-alive and exact ``Content-Length``; streams are sent with chunked
transfer encoding, one eventstream frame per chunk, so injected latency shows up as
time-to-first-token. :class:`Emulator` owns the server, its thread and the :class:`Service`.
"""

from __future__ import annotations

import itertools
import json
import re
import select
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from tierwise.config import Settings
from tierwise.core.tiers import Tier
from tierwise.emulator.apierror import ApiError
from tierwise.emulator.faults import FAULT_KINDS, STREAM_ERRORS, Faults
from tierwise.emulator.guardrails import DEFAULT_MESSAGE, GuardrailSpec
from tierwise.emulator.pacing import MAX_DELAY_MS, Pace
from tierwise.emulator.s3 import is_s3_request
from tierwise.emulator.service import RUNTIME_OPERATIONS, Controls, Reply, Service, error_reply
from tierwise.emulator.service import json_reply as _json_reply
from tierwise.errors import EmulatorError

__all__ = ["Emulator"]

_RUNTIME = re.compile(r"^/model/(?P<id>.+)/(?P<op>" + "|".join(RUNTIME_OPERATIONS) + r")$")
_CONTROL_PREFIXES = ("/foundation-models", "/inference-profiles", "/model-invocation-job")
_LOGGING = "/logging/modelinvocations"
_HEADER_FAULT = "x-tierwise-emulator-fault"
_HEADER_LATENCY = "x-tierwise-emulator-latency-ms"
_HEADER_CUT = "x-tierwise-emulator-cut-stream-after"
_HEADER_PACING = "x-tierwise-emulator-pacing"
_HEADER_STREAM_ERROR = "x-tierwise-emulator-stream-error"
# Request methods the emulator answers (the local S3 takes PUT, HEAD and DELETE too).
METHODS = ("GET", "POST", "PUT", "HEAD", "DELETE")


class HeaderMap(Protocol):
    """Request headers: ``get`` is case-insensitive (the stdlib's message, or the async
    server's own map)."""

    def get(self, name: str, default: Any = None) -> Any: ...

    def items(self) -> Any: ...


def _unsigned() -> Reply:
    """AWS's answer to a request without a signature or bearer token."""
    return error_reply(
        ApiError("MissingAuthenticationTokenException", "Missing Authentication Token")
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], service: Service) -> None:
        self.service = service
        self.request_ids = itertools.count(1)
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up mid-response are normal (cancelled streams); stay quiet."""
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tierwise-emulator"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm
        # and the client's delayed ACK add ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines can carry model IDs and nothing here is worth a log line."""

    @property
    def _service(self) -> Service:
        return cast(_Server, self.server).service

    # -- plumbing -----------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _start(self, reply: Reply) -> None:
        self.send_response(reply.status)
        request_id = next(cast(_Server, self.server).request_ids)
        self.send_header("x-amzn-RequestId", f"00000000-0000-4000-8000-{request_id:012d}")
        for name, value in reply.headers.items():
            self.send_header(name, value)

    def _send(self, reply: Reply) -> None:
        if reply.frames is None:
            if reply.delay_s > 0:
                time.sleep(reply.delay_s)
            self._start(reply)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            return
        self._start(reply)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        if reply.delay_s > 0:
            time.sleep(reply.delay_s)
        try:
            for index, frame in enumerate(reply.frames):
                if index and reply.gap_s > 0:
                    time.sleep(reply.gap_s)
                stall = reply.stall
                if stall is not None and index == stall[0] and self._hung_up_within(stall[1]):
                    raise ConnectionResetError("the client closed the stream")
                self.wfile.write(b"%x\r\n%s\r\n" % (len(frame), frame))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            self._service.note_hangup()

    def _hung_up_within(self, seconds: float) -> bool:
        """Wait ``seconds``, or less if the client closes the connection meanwhile."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.05))
            if readable:
                if not self.connection.recv(1, socket.MSG_PEEK):
                    return True
                time.sleep(min(left, 0.05))  # data, not a close: keep waiting
        return False

    def _handle(self, method: str) -> None:
        raw = self._read_body() if method in ("POST", "PUT") else b""
        reply = route(self._service, method, self.path, self.headers, raw)
        if method == "HEAD":  # headers only; Content-Length is the object's, if any
            self._start(reply)
            if "Content-Length" not in reply.headers:
                self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(reply)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


def route(service: Service, method: str, target: str, headers: HeaderMap, raw: bytes) -> Reply:
    """The reply to one HTTP request, whichever server received it."""
    parts = urlsplit(target)
    path = parts.path
    if is_s3_request(headers.get("Authorization") or ""):
        # Signed for S3: the local S3 (as LocalStack tells services apart on one port).
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        return service.s3.handle(method, path, query, dict(headers.items()), raw)
    if method == "HEAD":
        return Reply(404)
    if path == _LOGGING and method in ("GET", "PUT", "DELETE"):
        if not _authorized(headers):
            return _unsigned()
        return service.logging(method, _body(raw))
    if method == "GET":
        if path == "/_emulator/stats":
            return _json_reply(service.stats())
        if not path.startswith(_CONTROL_PREFIXES):
            return error_reply(ApiError("UnknownOperationException", "Unknown operation."))
        if not _authorized(headers):
            return _unsigned()
        return service.control(unquote(path), dict(parse_qsl(parts.query)))
    if method != "POST":
        return error_reply(ApiError("UnknownOperationException", "Unknown operation."))
    if path == "/_emulator/faults":
        return _control(service, raw, _inject)
    if path == "/_emulator/quirks":
        return _control(service, raw, _quirk)
    if path == "/_emulator/skills":
        return _control(service, raw, _skills)
    if path == "/_emulator/guardrails":
        return _control(service, raw, _guardrail)
    if path == "/_emulator/reset":
        emulator_reset(service)
        return _json_reply({"ok": True})
    if path.startswith("/model-invocation-job"):
        if not _authorized(headers):
            return _unsigned()
        return service.batch_control("POST", unquote(path), _body(raw), {})
    match = _RUNTIME.match(path)
    if match is None:
        return error_reply(ApiError("UnknownOperationException", "Unknown operation."))
    if not _authorized(headers):
        return _unsigned()
    try:
        controls = _controls(headers)
    except ApiError as error:
        return error_reply(error)
    identifier = unquote(match.group("id"))
    return service.runtime(match.group("op"), identifier, raw, controls)


def _controls(headers: HeaderMap) -> Controls:
    fault = headers.get(_HEADER_FAULT)
    if fault is not None and fault not in FAULT_KINDS:
        raise ApiError(
            "ValidationException",
            f"{_HEADER_FAULT} must be one of: {', '.join(FAULT_KINDS)}",
        )
    kind = headers.get(_HEADER_STREAM_ERROR)
    if kind is not None and kind not in STREAM_ERRORS:
        raise ApiError(
            "ValidationException",
            f"{_HEADER_STREAM_ERROR} must be one of: {', '.join(STREAM_ERRORS)}",
        )
    pacing = headers.get(_HEADER_PACING)
    try:
        pace = Pace.parse(pacing) if pacing is not None else None
    except ValueError as exc:
        raise ApiError("ValidationException", f"{_HEADER_PACING}: {exc}") from None
    try:
        latency = headers.get(_HEADER_LATENCY)
        cut = headers.get(_HEADER_CUT)
        latency_ms = max(0, int(latency)) if latency is not None else None
        cut_after = max(0, int(cut)) if cut is not None else None
    except ValueError:
        raise ApiError(
            "ValidationException", f"{_HEADER_LATENCY} and {_HEADER_CUT} must be integers"
        ) from None
    # Capped as --latency-ms and pacing ttft_ms are: a larger delay overflowed time.sleep
    # or stalled the call for good.
    if latency_ms is not None and latency_ms > MAX_DELAY_MS:
        raise ApiError(
            "ValidationException",
            f"{_HEADER_LATENCY} must be between 0 and {MAX_DELAY_MS}, got {latency_ms}",
        )
    return Controls(
        service_tier=headers.get("X-Amzn-Bedrock-Service-Tier"),
        stream_error=kind,
        fault=fault,
        latency_ms=latency_ms,
        cut_stream_after=cut_after,
        pace=pace,
    )


def _authorized(headers: HeaderMap) -> bool:
    auth = headers.get("Authorization") or ""
    return str(auth).startswith(("AWS4-HMAC-SHA256 ", "Bearer "))


def _control(service: Service, raw: bytes, apply: Callable[[Service, Any], None]) -> Reply:
    """The reply to a POST to a test control: ``apply`` its JSON body to ``service``; a
    body that is not JSON, or that ``apply`` cannot take, is a 400 saying why."""
    try:
        apply(service, json.loads(raw or b"{}"))
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        return _json_reply({"message": str(exc)}, status=400)
    return _json_reply({"ok": True})


def _inject(service: Service, spec: Any) -> None:
    count = int(spec.get("count", 1))
    service.plan.inject(str(spec.get("kind")), count, spec.get("model_id"))


def _quirk(service: Service, spec: Any) -> None:
    share = float(spec.get("share", 1.0))
    service.quirks.set(str(spec.get("kind")), str(spec["model_id"]), share)


def _skills(service: Service, spec: Any) -> None:
    bias = float(spec.get("judge_bias", 0.0))
    service.skills.set(spec.get("skills") or {}, judge_bias=bias)


def _guardrail(service: Service, spec: Any) -> None:
    words = spec["blocked_words"]
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ValueError("blocked_words must be a list of strings")
    service.guardrails.add(
        GuardrailSpec(
            str(spec["id"]),
            str(spec.get("version", "DRAFT")),
            tuple(words),
            str(spec.get("blocked_input_message", DEFAULT_MESSAGE)),
            str(spec.get("blocked_output_message", DEFAULT_MESSAGE)),
        )
    )


def _body(raw: bytes) -> Any:
    """A control-plane request's JSON body; one that is not JSON reads as empty, for the
    operation to refuse what it lacks as Bedrock would."""
    try:
        return json.loads(raw or b"{}")
    except json.JSONDecodeError:
        return {}


def emulator_reset(service: Service) -> None:
    """Forget cached prefixes, queued faults, quirks and statistics."""
    service.quirks.clear()
    service.skills.clear()
    service.cache.clear()
    service.plan.clear()
    service.reset_stats()


class Emulator:
    """A local Bedrock (runtime + control plane) for tests, demos and offline work.

    The socket is bound on construction, so :attr:`url` is known before :meth:`start`.
    """

    def __init__(
        self,
        settings: Settings,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        server: str = "threads",
    ) -> None:
        """``server``: ``"threads"`` (a thread per connection; the tests' default) or
        ``"async"`` (asyncio: thousands of connections and paced streams, no thread each;
        :mod:`tierwise.emulator.aserver`)."""
        self.settings = settings
        self.faults = faults if faults is not None else Faults()
        self._service = Service(settings, self.faults, clock)
        if server not in ("threads", "async"):
            raise ValueError(f"server must be 'threads' or 'async', not {server!r}")
        try:
            if server == "async":
                from tierwise.emulator.aserver import AsyncHTTPServer

                self._server: _Server | AsyncHTTPServer = AsyncHTTPServer(
                    (host, port), self._service
                )
            else:
                self._server = _Server((host, port), self._service)
        except OSError as exc:
            raise EmulatorError(
                f"the emulator cannot listen on {host}:{port}: {exc.strerror or exc}"
            ) from None
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def stats(self) -> dict[str, Any]:
        """Invocation counts: ``calls``, ``succeeded``, ``failed`` per model ID as requested,
        ``operations`` per operation name, and ``total``."""
        return self._service.stats()

    def start(self) -> Emulator:
        """Serve in a background daemon thread; returns ``self``."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"tierwise-emulator-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the CLI's foreground mode)."""
        self._server.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def inject(self, kind: str = "throttle", count: int = 1, model_id: str | None = None) -> None:
        """Make the next ``count`` invocations (of ``model_id`` only, if given) fail with
        ``kind``: throttle, unavailable, internal, model_not_ready, access_denied or model_error."""
        self._service.plan.inject(kind, count, model_id)

    def inject_stream_error(
        self,
        kind: str = "modelStreamErrorException",
        *,
        after: int = 3,
        count: int = 1,
        model_id: str | None = None,
    ) -> None:
        """End the next ``count`` streams (of ``model_id`` only, if given) after ``after``
        events with the ``kind`` exception frame: throttlingException,
        internalServerException, serviceUnavailableException, validationException or
        modelStreamErrorException."""
        self._service.plan.inject_stream_error(kind, after, count, model_id)

    def inject_stream_stall(
        self, *, after: int = 3, seconds: float = 30.0, count: int = 1, model_id: str | None = None
    ) -> None:
        """Stall the next ``count`` streams (of ``model_id`` only, if given) for ``seconds``
        after their first ``after`` events; ``stats["hangups"]`` counts the clients that
        close the connection meanwhile (or at any point before a stream's end)."""
        self._service.plan.inject_stream_stall(after, seconds, count, model_id)

    def misbehave(
        self,
        kind: str,
        *,
        model_id: str | None = None,
        tier: str | None = None,
        share: float = 1.0,
    ) -> None:
        """Make ``model_id`` (or every profile of ``tier``) answer badly for ``share`` of
        requests: ``invalid_json``, ``refusal``, ``empty``, ``truncate``, ``low_confidence``,
        ``invalid_tool_input`` (see :mod:`tierwise.emulator.quirks`)."""
        if tier is not None:
            ts = self.settings.tiers[Tier(tier)]
            targets = [ts.model_id, *ts.alternates]
        elif model_id is not None:
            targets = [model_id]
        else:
            raise ValueError("misbehave needs model_id or tier")
        for target in targets:
            self._service.quirks.set(kind, target, share)

    def batch_record(
        self, model_id: str, model_input: Any, invocation_type: str = "InvokeModel"
    ) -> dict[str, Any]:
        """What a batch job of ``invocation_type`` (``InvokeModel`` or ``Converse``) writes
        for one record of ``model_id`` (a model or profile ID): ``{"modelOutput": ...}`` or
        ``{"error": {"errorCode", "errorMessage"}}``."""
        from tierwise.emulator.batch import InvocationType

        return self._service.batch.record_result(
            model_id, model_input, InvocationType(invocation_type)
        )

    def set_skills(self, table: Mapping[str, Any], *, judge_bias: float = 0.0) -> None:
        """Give each task class a per-tier probability of an acceptable answer, for testing
        evaluation offline (see :mod:`tierwise.emulator.skills`)."""
        self._service.skills.set(table, judge_bias=judge_bias)

    def acceptable(self, request: Mapping[str, Any], text: str) -> bool | None:
        """Whether ``text`` is an acceptable answer to a skill-tagged ``request``."""
        return self._service.skills.acceptable(request, text)

    def add_guardrail(
        self,
        guardrail_id: str,
        version: str = "DRAFT",
        *,
        blocked_words: tuple[str, ...] | list[str],
        blocked_input_message: str = DEFAULT_MESSAGE,
        blocked_output_message: str = DEFAULT_MESSAGE,
    ) -> None:
        """Define guardrail ``guardrail_id`` at ``version``: it blocks ``blocked_words``
        (whole words, any case) in input and output (see :mod:`tierwise.emulator.guardrails`).
        Guardrails are resources: :meth:`reset` keeps them."""
        self._service.guardrails.add(
            GuardrailSpec(
                guardrail_id,
                version,
                tuple(blocked_words),
                blocked_input_message,
                blocked_output_message,
            )
        )

    def reset(self) -> None:
        """Forget cached prompt prefixes, queued faults and statistics."""
        emulator_reset(self._service)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

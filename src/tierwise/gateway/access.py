"""The access log: one structured line per gateway request, whatever its outcome.

:class:`AccessLog` is an ASGI middleware: it opens a :class:`AccessRecord` when a request
arrives, sees the status leave, and writes the line when the response has been sent in full
(a stream's too, after its last event and its pricing) or when the app raised. What the
middleware cannot see (the key, the model asked, what answered and what it cost) the gateway
notes on the request's record through :func:`current`, a context variable, so no route passes
it around.

Every line has a request id: a model call's is its ledger id (its rows carry it); a request
that made no call (refused, unauthenticated, a health check, an unknown path) gets a fresh
one in the same format (32 hex digits), sent back as ``x-tierwise-request-id`` like a
call's, so a client can quote it.

The line holds identifiers, counts and timings only: never prompt or answer text, never a
key's secret, never an error's message (it may quote the request); errors appear by class.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ACCESS_LOGGER", "AccessLog", "AccessRecord", "current"]

ACCESS_LOGGER = "tierwise.access"
_log = logging.getLogger(ACCESS_LOGGER)
_current: ContextVar[AccessRecord | None] = ContextVar("tierwise_access", default=None)
_REQUEST_ID_HEADER = b"x-tierwise-request-id"

# The API a path belongs to ("door"); anything else is named by its path.
_DOORS = {
    "/v1/chat/completions": "openai",
    "/v1/responses": "responses",
    "/v1/messages": "anthropic",
    "/v1/messages/count_tokens": "anthropic",
    "/v1/models": "models",
    "/v1/spend": "admin",
    "/v1/credits": "admin",
    "/metrics": "metrics",
    "/healthz": "health",
    "/readyz": "health",
}


@dataclass(slots=True)
class AccessRecord:
    """What one request did; the gateway fills in what it learns, the middleware the rest."""

    started: float
    method: str
    path: str
    status: int | None = None
    request_id: str | None = None
    key: str | None = None
    model: str | None = None
    tier: str | None = None
    model_id: str | None = None
    attempts: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    cost_usd: str | None = None
    overhead_ms: float | None = None
    stream: bool = False
    error: str | None = None

    def call(self, info: Mapping[str, Any], overhead_ms: float | None = None) -> None:
        """Note a call's ``tierwise`` section: tier, model, attempts, cost, and the tokens of
        every attempt (each is billed, so each counts)."""
        self.request_id = info.get("requestId") or self.request_id
        self.tier = info.get("tier") or self.tier
        self.model_id = info.get("modelId") or self.model_id
        steps = info.get("attempts") or ()
        answers = sum(1 for a in steps if a.get("kind") == "answer")
        self.attempts = answers or len(steps) or 1
        usages = [a["usage"] for a in steps if a.get("usage")]
        if not usages and info.get("usage"):
            usages = [info["usage"]]
        if usages:
            self.input_tokens = sum(u.get("inputTokens") or 0 for u in usages)
            self.output_tokens = sum(u.get("outputTokens") or 0 for u in usages)
            self.cache_read_tokens = sum(u.get("cacheReadInputTokens") or 0 for u in usages)
            self.cache_write_tokens = sum(u.get("cacheWriteInputTokens") or 0 for u in usages)
        if "costUsd" in info:
            self.cost_usd = str(info["costUsd"])
        if overhead_ms is not None:
            self.overhead_ms = overhead_ms

    def failed(self, exc: BaseException) -> None:
        """Note the error a request ended with: its class, and its request id if calls were
        made (their ledger rows carry it). Never its message."""
        self.error = type(exc).__name__
        request_id = getattr(exc, "request_id", None)
        if request_id:
            self.request_id = str(request_id)
        # The calls made before it are billed: their tokens and cost belong on the line
        # (a rejected answer's response carries them, another error its ``spent``).
        rejected = getattr(exc, "response", None)
        spent = getattr(exc, "spent", None) or (
            rejected.get("tierwise") if isinstance(rejected, Mapping) else None
        )
        if isinstance(spent, Mapping) and spent.get("attempts"):
            self.call(spent)

    def fields(self, latency_ms: float) -> dict[str, Any]:
        """The line's fields, in a stable order; unknown ones are None."""
        return {
            "request_id": self.request_id,
            "method": self.method,
            "path": self.path,
            "door": _DOORS.get(self.path)
            or ("models" if self.path.startswith("/v1/models/") else None),
            "key": self.key,
            "model": self.model,
            "tier": self.tier,
            "model_id": self.model_id,
            "status": self.status,
            "stream": self.stream,
            "attempts": self.attempts,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "cost_usd": self.cost_usd,
            "latency_ms": round(latency_ms, 3),
            "overhead_ms": None if self.overhead_ms is None else round(self.overhead_ms, 3),
            "error": self.error,
        }


def current() -> AccessRecord | None:
    """The record of the request being served (None outside a request, or when the access
    log is off)."""
    return _current.get()


class AccessLog:
    """ASGI middleware writing one ``tierwise.access`` INFO line per HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Checked per request, so the level can change at run time; off costs one call.
        if scope["type"] != "http" or not _log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        record = AccessRecord(time.perf_counter(), scope["method"], scope["path"])
        token = _current.set(record)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
                if record.request_id is None:
                    # The ledger's format (32 hex digits), so every line's id looks alike.
                    record.request_id = uuid.uuid4().hex
                    headers = list(message.get("headers") or ())
                    if not any(k.lower() == _REQUEST_ID_HEADER for k, _ in headers):
                        headers.append((_REQUEST_ID_HEADER, record.request_id.encode()))
                        message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except BaseException as exc:
            # Unhandled: the server's last-resort handler answers 500 after this.
            if record.status is None:
                record.status = 500
            if record.error is None:
                record.error = type(exc).__name__
            raise
        finally:
            _current.reset(token)
            latency_ms = (time.perf_counter() - record.started) * 1000
            # makeRecord + handle is what _log.info does, less the walk up the stack for
            # the caller's file and line, which no access line shows.
            line = _log.makeRecord(
                ACCESS_LOGGER, logging.INFO, __file__, 0, "access", (), None,
                extra={"access": record.fields(latency_ms)},
            )  # fmt: skip
            _log.handle(line)

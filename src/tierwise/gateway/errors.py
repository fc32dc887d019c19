"""TierwiseError -> HTTP status and each API's native error body: one table, one place.

OpenAI replies ``{"error": {"message", "type", "param", "code"}}`` and Anthropic
``{"type": "error", "error": {"type", "message"}}``; the status codes are the ones each
API's own SDK maps to its typed exceptions (so callers catch ``openai.RateLimitError``,
``anthropic.PaymentRequiredError`` and so on). Anything that is not a TierwiseError, and any
gateway-side failure (configuration, ledger), is an opaque 500: the class is logged, never
the message, which could hold paths or prompt text.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from enum import Enum

from starlette.responses import Response

from tierwise.errors import (
    AccessDeniedError,
    AnswerRejectedError,
    Api,
    AuthenticationError,
    BudgetExceededError,
    DeadlineExceededError,
    ExhaustedError,
    InvalidRequestError,
    LedgerUnavailableError,
    ModelAccessDeniedError,
    ModelNotAvailableError,
    ModelOutputError,
    PermissionDeniedError,
    RateLimitedError,
    ThrottledError,
    TierwiseError,
    UnavailableError,
    UpstreamError,
)

__all__ = [
    "AnsweredError",
    "BodyTooLargeError",
    "Dialect",
    "ErrorReply",
    "answered",
    "error_reply",
    "error_response",
]

_log = logging.getLogger("tierwise.gateway")


class Dialect(Enum):
    OPENAI = "openai"
    ANTHROPIC = "anthropic"


class AnsweredError(TierwiseError):
    """The gateway failed to send a reply after Bedrock had answered (a bug; ``__cause__``
    is the failure): the answer is ledgered and charged, so it is an opaque 500 that tells
    the SDKs not to retry, with the request id of its rows."""

    billed = True

    def __init__(self, cause: BaseException, request_id: str | None) -> None:
        super().__init__(f"the gateway failed to send the answer ({type(cause).__name__})")
        self.__cause__ = cause
        self.request_id = request_id


def answered(exc: Exception, request_id: str | None) -> TierwiseError:
    """``exc``, raised after Bedrock answered, as an error that says the answer was billed."""
    if isinstance(exc, TierwiseError):
        exc.billed = True
        exc.request_id = exc.request_id or request_id
        return exc
    return AnsweredError(exc, request_id)


class BodyTooLargeError(InvalidRequestError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the request body is larger than {limit} bytes",
            hint="send smaller images or raise [gateway] max_body_bytes",
        )


@dataclass(frozen=True)
class _Kind:
    status: int
    openai_type: str
    openai_code: str | None
    anthropic_type: str
    anthropic_status: int | None = None  # when Anthropic's convention differs
    retry: bool = False  # send retry-after
    public: bool = True  # the message may be shown to the caller


_THROTTLED = _Kind(429, "rate_limit_error", "rate_limit_exceeded", "rate_limit_error", retry=True)
# Anthropic answers "overloaded" with 529, which its SDK raises as OverloadedError (503 would
# be its ServiceUnavailableError, which code written for Anthropic's API does not catch).
_UNAVAILABLE = _Kind(
    503, "server_error", "service_unavailable", "overloaded_error", anthropic_status=529, retry=True
)
_UPSTREAM = _Kind(502, "server_error", "upstream_error", "api_error")
_INTERNAL = _Kind(500, "server_error", None, "api_error", public=False)
_AUTH = _Kind(401, "invalid_request_error", "invalid_api_key", "authentication_error")
# A budget that cannot cover a request is 429 in both APIs (OpenAI's insufficient_quota;
# Anthropic's rate_limit_error), with retry-after when waiting helps: reservations in flight
# settle, or a periodic budget starts again.
_BUDGET = _Kind(429, "insufficient_quota", "insufficient_quota", "rate_limit_error")
_NOT_FOUND = _Kind(404, "invalid_request_error", "model_not_found", "not_found_error")
_TOO_LARGE = _Kind(413, "invalid_request_error", "request_too_large", "request_too_large")

_DENIED = _Kind(403, "permission_error", None, "permission_error")
_TIMEOUT = _Kind(504, "timeout", "timeout", "timeout_error")
# The model's answer failed the caller's schema or validators at every allowed attempt. Not a
# 5xx: the SDKs would retry it, paying for the whole cascade again.
_REJECTED = _Kind(422, "answer_rejected_error", "answer_rejected", "api_error")

# Most specific first; the first isinstance match wins.
_TABLE: tuple[tuple[type[TierwiseError], _Kind], ...] = (
    (AuthenticationError, _AUTH),
    (PermissionDeniedError, _DENIED),
    (BudgetExceededError, _BUDGET),
    (RateLimitedError, _THROTTLED),
    (ThrottledError, _THROTTLED),
    (ModelNotAvailableError, _NOT_FOUND),
    (AccessDeniedError, _DENIED),
    (AnswerRejectedError, _REJECTED),
    (UnavailableError, _UNAVAILABLE),
    (LedgerUnavailableError, _UNAVAILABLE),
    (DeadlineExceededError, _TIMEOUT),
    (ModelOutputError, _UPSTREAM),
    (BodyTooLargeError, _TOO_LARGE),
    (InvalidRequestError, _Kind(400, "invalid_request_error", None, "invalid_request_error")),
    (UpstreamError, _UPSTREAM),
)  # fmt: skip
# Every retry and fallback failed: decided by the last attempt's own error. Throttling stays
# 429; denied by IAM or model access on every profile is permanent, and a 5xx would make the
# SDKs retry it; the rest (an expired token included) is 503.
_EXHAUSTED_BY_LAST: tuple[tuple[type[UpstreamError], _Kind], ...] = (
    (ThrottledError, _THROTTLED),
    (ModelAccessDeniedError, _DENIED),
)
_INTERNAL_MESSAGE = "internal error in the tierwise gateway; the request was not completed"


@dataclass(frozen=True)
class ErrorReply:
    status: int
    body: bytes
    headers: dict[str, str]


def _kind(exc: BaseException) -> _Kind:
    if isinstance(exc, ExhaustedError):
        last = exc.last
        found = (kind for cls, kind in _EXHAUSTED_BY_LAST if isinstance(last, cls))
        return next(found, _UNAVAILABLE)
    for cls, kind in _TABLE:
        if isinstance(exc, cls):
            return kind
    return _INTERNAL


def error_reply(exc: BaseException, dialect: Dialect) -> ErrorReply:
    """The status, native body and headers for ``exc``."""
    kind = _kind(exc)
    # In the door's terms: how to ask for a larger window, where the models are listed.
    api = Api.ANTHROPIC if dialect is Dialect.ANTHROPIC else Api.OPENAI
    message = _INTERNAL_MESSAGE
    if kind.public and isinstance(exc, TierwiseError):
        message = exc.in_api(api)
    headers: dict[str, str] = {}
    request_id = getattr(exc, "request_id", None)
    if request_id:  # the failed calls' ledger rows carry it
        headers["x-tierwise-request-id"] = str(request_id)
    retry_after = getattr(exc, "retry_after", None)
    billed = bool(getattr(exc, "billed", False))
    if billed:
        # The error's own hint may say "retry the request": not without paying again.
        message += (
            "; this request's earlier calls were billed (its ledger rows carry "
            "x-tierwise-request-id): sending it again pays for them again"
        )
    # No retry-after after a billed call: clients that read only that header (not
    # x-should-retry) would take it as an invitation to pay again.
    if not billed and (kind.retry or (kind is _BUDGET and retry_after)):
        headers["retry-after"] = str(max(1, math.ceil(retry_after or 1)))
    if kind is _TIMEOUT or billed:
        # The SDKs retry 408, 409, 429 and 5xx (twice by default) unless told not to; both
        # obey this header. After a billed call (an answer rejected before a failed
        # escalation, a reply the gateway failed to send) a retry pays for it again, and
        # the attempt cut off at the deadline is charged at its worst case, paid again by
        # each retry under the same deadline. A failure before any charge (throttled at the
        # first attempt) has no header: retrying it is what the caller wants.
        headers["x-should-retry"] = "false"
    elif kind is _BUDGET and not retry_after:
        # Only a bigger budget helps: the SDKs would retry the 429 twice, each refused again.
        headers["x-should-retry"] = "false"
    if dialect is Dialect.ANTHROPIC:
        status = kind.anthropic_status or kind.status
        payload: dict[str, object] = {
            "type": "error",
            "error": {"type": kind.anthropic_type, "message": message},
        }
    else:
        status = kind.status
        payload = {
            "error": {
                "message": message,
                "type": kind.openai_type,
                "param": getattr(exc, "param", None),
                "code": kind.openai_code,
            }
        }
    return ErrorReply(status, json.dumps(payload).encode("utf-8"), headers)


def error_response(exc: BaseException, dialect: Dialect) -> Response:
    """``exc`` as a native error response; gateway-side failures are logged by class."""
    reply = error_reply(exc, dialect)
    if reply.status >= 500 and not isinstance(exc, UpstreamError):
        cause = f" ({type(exc.__cause__).__name__})" if isinstance(exc, AnsweredError) else ""
        _log.error("gateway error: %s%s", type(exc).__name__, cause)
    return Response(reply.body, reply.status, reply.headers, media_type="application/json")

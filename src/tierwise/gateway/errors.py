"""TierwiseError -> HTTP status and each API's native error body: one table, one place."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import Enum

from tierwise.errors import (
    AccessDeniedError,
    AuthenticationError,
    BudgetExceededError,
    ConfigError,
    ExhaustedError,
    InvalidRequestError,
    ModelNotAvailableError,
    ModelOutputError,
    RateLimitedError,
    ThrottledError,
    TierwiseError,
    UnavailableError,
    UpstreamError,
)

__all__ = ["Dialect", "ErrorReply", "error_reply"]


class Dialect(Enum):
    OPENAI = "openai"
    ANTHROPIC = "anthropic"


@dataclass(frozen=True)
class _Kind:
    status: int
    openai_type: str
    openai_code: str | None
    anthropic_type: str


_THROTTLED = _Kind(429, "rate_limit_error", "rate_limit_exceeded", "rate_limit_error")
_NOT_FOUND = _Kind(404, "invalid_request_error", "model_not_found", "not_found_error")
_UNAVAILABLE = _Kind(503, "server_error", "service_unavailable", "overloaded_error")
_UPSTREAM = _Kind(502, "server_error", "upstream_error", "api_error")
_AUTH = _Kind(401, "invalid_request_error", "invalid_api_key", "authentication_error")
_QUOTA = _Kind(429, "insufficient_quota", "insufficient_quota", "rate_limit_error")

# Most specific first; the first isinstance match wins.
_TABLE: tuple[tuple[type[TierwiseError], _Kind], ...] = (
    (AuthenticationError, _AUTH),
    (BudgetExceededError, _QUOTA),
    (RateLimitedError, _THROTTLED),
    (ThrottledError, _THROTTLED),
    (ModelNotAvailableError, _NOT_FOUND),
    (AccessDeniedError, _Kind(403, "permission_error", None, "permission_error")),
    (UnavailableError, _UNAVAILABLE),
    (ModelOutputError, _UPSTREAM),
    (InvalidRequestError, _Kind(400, "invalid_request_error", None, "invalid_request_error")),
    (ConfigError, _Kind(500, "server_error", None, "api_error")),
    (UpstreamError, _UPSTREAM),
)  # fmt: skip
_DEFAULT = _Kind(500, "server_error", None, "api_error")
_EXHAUSTED_BY_CODE = {
    "ThrottlingException": _THROTTLED,
    "ServiceQuotaExceededException": _THROTTLED,
}


@dataclass(frozen=True)
class ErrorReply:
    status: int
    body: bytes
    headers: dict[str, str]


def _kind(exc: BaseException) -> _Kind:
    if isinstance(exc, ExhaustedError):
        by_code = _EXHAUSTED_BY_CODE.get(exc.code or "")
        return by_code or _UNAVAILABLE
    for cls, kind in _TABLE:
        if isinstance(exc, cls):
            return kind
    return _DEFAULT


def error_reply(exc: BaseException, dialect: Dialect, *, status: int | None = None) -> ErrorReply:
    """The response for ``exc``; anything that is not a TierwiseError is an opaque 500."""
    kind = _kind(exc)
    if isinstance(exc, TierwiseError):
        message = str(exc)
    else:
        message = "internal error in the tierwise gateway; the request was not completed"
    code = status or kind.status
    headers: dict[str, str] = {}
    retry_after = getattr(exc, "retry_after", None)
    if code == 429 or retry_after:
        headers["retry-after"] = str(max(1, math.ceil(retry_after or 1)))
    if dialect is Dialect.ANTHROPIC:
        payload: dict[str, object] = {
            "type": "error",
            "error": {
                "type": "request_too_large" if code == 413 else kind.anthropic_type,
                "message": message,
            },
        }
    else:
        payload = {
            "error": {
                "message": message,
                "type": kind.openai_type,
                "param": None,
                "code": kind.openai_code,
            }
        }
    return ErrorReply(code, json.dumps(payload).encode("utf-8"), headers)

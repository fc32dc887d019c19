"""Bedrock's error responses: status from the service model, code header, ``{"message"}`` body."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["ERROR_STATUS", "ApiError", "ModelError", "error_headers", "validation"]

# HTTP status per error code, as the bedrock / bedrock-runtime service models declare them.
ERROR_STATUS: dict[str, int] = {
    "AccessDeniedException": 403,
    "InternalServerException": 500,
    "ModelErrorException": 424,
    "ModelNotReadyException": 429,
    "ModelStreamErrorException": 424,
    "ModelTimeoutException": 408,
    "MissingAuthenticationTokenException": 403,
    "ResourceNotFoundException": 404,
    # Not in the service model: AWS's JSON services answer a body member of the wrong JSON
    # type with it (a 400), before any constraint is checked.
    "SerializationException": 400,
    "ServiceQuotaExceededException": 400,
    "ServiceUnavailableException": 503,
    "ThrottlingException": 429,
    "UnknownOperationException": 404,
    "ValidationException": 400,
}

_CORAL_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.bedrock/"


def error_headers(code: str) -> dict[str, str]:
    return {"x-amzn-errortype": f"{code}:{_CORAL_NAMESPACE}"}


class ApiError(Exception):
    """An error the emulator answers with, shaped exactly as Bedrock sends it."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    @property
    def status(self) -> int:
        return ERROR_STATUS.get(self.code, 400)

    def body(self) -> bytes:
        return json.dumps({"message": self.message, **self.extra}).encode("utf-8")

    def stream_type(self) -> str:
        """The eventstream union member name: ``throttlingException`` etc."""
        return self.code[0].lower() + self.code[1:]


def validation(message: str) -> ApiError:
    return ApiError("ValidationException", message)


class ModelError(ApiError):
    """Claude's own refusal, as Bedrock relays it: Converse wraps Claude's message in "The
    model returned the following errors: ...", InvokeModel passes it on as Claude wrote it
    (``ValidationException: invalid beta flag`` from InvokeModelWithResponseStream in
    QuantumNous/new-api#2772, ``The model returned the following errors: invalid beta flag``
    from ConverseStream in anthropics/claude-code#26570)."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            "ValidationException", f"The model returned the following errors: {detail}"
        )
        self.detail = detail

    def as_invoke(self) -> ApiError:
        """The same refusal as InvokeModel (and its stream) answers it."""
        return validation(self.detail)

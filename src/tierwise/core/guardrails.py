"""Bedrock guardrails at the doors: reading a ``guardrailConfig`` from a body or a header,
and what a response says about the guardrail (pure).

The gateway takes the guardrail either as a body field ``guardrailConfig`` (Converse's own
shape, which the OpenAI and Anthropic SDKs send with ``extra_body``) or as the header
``x-tierwise-guardrail: ID[:VERSION]`` with ``x-tierwise-guardrail-trace``. The checks match
Bedrock's (botocore's ``GuardrailConfiguration`` patterns), so a bad value is a 400 here and
never a billed or retried call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tierwise.errors import InvalidRequestError

__all__ = ["INTERVENED", "guardrail_config", "guardrail_from_header", "guardrail_summary"]

INTERVENED = "guardrail_intervened"
_ID = re.compile(
    r"^(?:[a-z0-9]+|arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{1,20}:\d{12}:guardrail/[a-z0-9]+)$"
)
_VERSION = re.compile(r"^(?:[1-9][0-9]{0,7}|DRAFT)$")
_TRACES = ("enabled", "disabled", "enabled_full")
_FIELDS = {"guardrailIdentifier", "guardrailVersion", "trace", "streamProcessingMode"}


def _bad(message: str, param: str) -> InvalidRequestError:
    return InvalidRequestError(message, hint=f"check `{param}`", param=param)


def guardrail_config(value: Any, *, stream: bool, param: str = "guardrailConfig") -> dict[str, Any]:
    """A checked copy of a Converse ``guardrailConfig`` (``streamProcessingMode`` is kept
    for streams only, as ConverseStream alone takes it)."""
    if not isinstance(value, Mapping):
        raise _bad(f"{param} must be an object", param)
    unknown = sorted(set(value) - _FIELDS)
    if unknown:
        raise _bad(f"{param} has unknown field(s): {', '.join(unknown)}", param)
    ident = value.get("guardrailIdentifier")
    if not isinstance(ident, str) or not _ID.match(ident):
        raise _bad(
            f"{param}.guardrailIdentifier must be a guardrail ID (lowercase letters and digits) "
            "or a guardrail ARN",
            param,
        )
    version = value.get("guardrailVersion", "DRAFT")
    if not isinstance(version, str) or not _VERSION.match(version):
        raise _bad(f"{param}.guardrailVersion must be a version number or DRAFT", param)
    out: dict[str, Any] = {"guardrailIdentifier": ident, "guardrailVersion": version}
    trace = value.get("trace")
    if trace is not None:
        if trace not in _TRACES:
            raise _bad(f"{param}.trace must be one of {', '.join(_TRACES)}", param)
        out["trace"] = trace
    mode = value.get("streamProcessingMode")
    if mode is not None:
        if mode not in ("sync", "async"):
            raise _bad(f"{param}.streamProcessingMode must be sync or async", param)
        if stream:
            out["streamProcessingMode"] = mode
    return out


def guardrail_from_header(
    value: str | None, trace: str | None, *, stream: bool
) -> dict[str, Any] | None:
    """``x-tierwise-guardrail: ID[:VERSION]`` (version defaults to DRAFT) and
    ``x-tierwise-guardrail-trace``, as a ``guardrailConfig``; None without the header."""
    if value is None or not value.strip():
        if trace:
            raise _bad(
                "x-tierwise-guardrail-trace needs x-tierwise-guardrail", "x-tierwise-guardrail"
            )
        return None
    text = value.strip()
    # An ARN has colons of its own: the version follows the last ":" after "guardrail/".
    head, sep, version = text.rpartition(":")
    if not sep or "/" in version or not _VERSION.match(version):
        head, version = text, "DRAFT"
    config: dict[str, Any] = {"guardrailIdentifier": head, "guardrailVersion": version}
    if trace:
        config["trace"] = trace.strip()
    return guardrail_config(config, stream=stream, param="x-tierwise-guardrail")


def guardrail_summary(response: Mapping[str, Any], applied: str | None) -> dict[str, Any] | None:
    """What the caller learns about the guardrail: which one, whether it intervened, and
    Bedrock's trace when one was asked for; None when no guardrail applied."""
    if applied is None:
        return None
    out: dict[str, Any] = {
        "guardrail": applied,
        "action": "INTERVENED" if response.get("stopReason") == INTERVENED else "NONE",
    }
    trace = (response.get("trace") or {}).get("guardrail")
    if trace:
        out["trace"] = trace
    return out

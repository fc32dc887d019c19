"""The one boundary where botocore exceptions become tierwise errors.

Everything in ``tierwise.bedrock`` that calls boto3 catches ``BotoCoreError``/``ClientError``
(and urllib3's errors, which escape botocore while an event stream is being read) and passes
them to :func:`translate`; nothing above this package sees a raw botocore exception.

An error Bedrock answered with (a ``ClientError``) is translated to the matching tierwise
class *and* stays a ``botocore.exceptions.ClientError``: the class is built here as a subclass
of both, carrying boto3's ``response`` and ``operation_name`` unchanged. Code written for
boto3 (``except ClientError as e: e.response["Error"]["Code"]``) keeps working against
tierwise, and ``except ThrottledError`` works too. Only this package imports botocore, so
``import tierwise`` stays light.
"""

from __future__ import annotations

import email.utils
import functools
import math
import re
import time
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from botocore import exceptions as bce
from botocore import session as boto_session
from botocore import validate
from urllib3 import exceptions as u3e

from tierwise.errors import (
    AccessDeniedError,
    ConfigError,
    InvalidRequestError,
    ModelAccessDeniedError,
    ModelNotAvailableError,
    ModelOutputError,
    ParameterValidationError,
    ThrottledError,
    TierwiseError,
    UnavailableError,
    UpstreamError,
)

__all__ = [
    "as_bedrock_answered",
    "boto_compatible",
    "is_retryable",
    "parameter_problem",
    "translate",
]

_THROTTLING = frozenset({"ThrottlingException", "ServiceQuotaExceededException"})
_UNAVAILABLE = frozenset(
    {"ServiceUnavailableException", "InternalServerException", "ModelTimeoutException"}
)
_MODEL_OUTPUT = frozenset({"ModelErrorException", "ModelStreamErrorException"})
_ACCESS = frozenset(
    {
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "IncompleteSignatureException",
        "ExpiredTokenException",
        "MissingAuthenticationTokenException",
    }
)
_NOT_AVAILABLE = frozenset({"ResourceNotFoundException", "ModelNotReadyException"})

# Bedrock's statuses per code (service-2.json ``httpStatusCode``): event-stream errors carry
# no HTTP status of their own, so the modelled one is filled in.
_STATUS = {
    "ThrottlingException": 429,
    "ModelNotReadyException": 429,
    "ServiceQuotaExceededException": 400,
    "ServiceUnavailableException": 503,
    "InternalServerException": 500,
    "ValidationException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ModelTimeoutException": 408,
    "ModelErrorException": 424,
    "ModelStreamErrorException": 424,
}

# ValidationExceptions that are really about the model ID, not the request body.
_NEEDS_PROFILE = re.compile(r"on-demand throughput isn.t supported|inference profile", re.I)
_BAD_MODEL_ID = re.compile(r"model identifier is invalid", re.I)

# ParamValidationError reports echo the offending value, which may be prompt text (and may
# span lines), so only the problem and the parameter's path are kept.
_PARAM_PROBLEM = re.compile(
    r"(?:Invalid [\w ]+? for parameter|Missing required parameter in|Unknown parameter in)"
    r'(?: input)? ?[\w.\[\]]*(?:: "[\w.]+")?'
)
# What to send instead, from the end of a problem's report (after the echoed value): type
# and class names, bounds and field names only, never the value itself.
_PARAM_TYPES = re.compile(
    r"type: <class '(\w+)'>, valid types: ((?:<class '\w+'>(?:, )?)+)\s*$", re.M
)
_PARAM_BOUND = re.compile(r", (valid (?:min|max) (?:value|length): -?\d+)\s*$", re.M)
_PARAM_CHOICES = re.compile(r", must be one of: ([\w, ]+)")
_CLASS_NAME = re.compile(r"<class '(\w+)'>")


def _param_problems(report: str) -> str:
    """Each problem of a ParamValidationError report with its path and what would be valid."""
    starts = list(_PARAM_PROBLEM.finditer(report))
    problems = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(report)
        problem = match.group(0)
        types = list(_PARAM_TYPES.finditer(report, match.end(), end))
        bounds = list(_PARAM_BOUND.finditer(report, match.end(), end))
        choices = _PARAM_CHOICES.match(report, match.end(), end)
        if types:
            got, valid = types[-1].groups()
            problem += f" (got {got}, expected {' or '.join(_CLASS_NAME.findall(valid))})"
        elif bounds:
            problem += f" ({bounds[-1].group(1)})"
        elif choices:
            problem += f" (known: {choices.group(1).strip()})"
        problems.append(problem)
    return "; ".join(dict.fromkeys(problems))


_CREDENTIAL_ERRORS = (
    bce.NoCredentialsError,
    bce.PartialCredentialsError,
    bce.CredentialRetrievalError,
    bce.NoAuthTokenError,
    bce.TokenRetrievalError,
    bce.SSOError,
    bce.RefreshWithMFAUnsupportedError,
)


class _ClientErrorFace(bce.ClientError):
    """The boto3 face of a tierwise error: ``response`` and ``operation_name`` as boto3 set
    them. The tierwise class's ``__init__`` and ``__str__`` win (they come first in the MRO)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Reached from TierwiseError.__init__'s super() call: ClientError's own __init__
        # wants (error_response, operation_name), which are set by boto_compatible instead.
        Exception.__init__(self, *args)

    def __reduce__(self) -> tuple[Any, ...]:
        # ClientError pickles as (response, operation_name); this pickles as itself.
        return _rebuild, (type(self).__mro__[1], self.args, dict(self.__dict__))


E = TypeVar("E", bound=TierwiseError)
_FACES: dict[type[TierwiseError], type[TierwiseError]] = {}


def _face_class(cls: type[TierwiseError]) -> type[TierwiseError]:
    face = _FACES.get(cls)
    if face is None:
        face = type(cls.__name__, (cls, _ClientErrorFace), {"__module__": cls.__module__})
        face.__qualname__ = cls.__qualname__
        _FACES[cls] = face
    return face


def _rebuild(
    cls: type[TierwiseError], args: tuple[Any, ...], state: dict[str, Any]
) -> TierwiseError:
    err = _face_class(cls).__new__(_face_class(cls))
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


def boto_compatible(err: E, response: Mapping[str, Any], operation_name: str) -> E:
    """``err``, also a ``botocore.exceptions.ClientError`` with this ``response``.

    ``isinstance(result, type(err))`` holds, and every attribute of ``err`` is kept."""
    if isinstance(err, bce.ClientError):
        return err
    state = {**err.__dict__, "response": response, "operation_name": operation_name}
    return cast(E, _rebuild(type(err), err.args, state))


def as_bedrock_answered(err: E, operation_name: str) -> E:
    """``err``, refused before the call, as the ``ClientError`` boto3 raises when Bedrock
    refuses it (``ValidationException``, HTTP 400, ``operation_name``): a boto3 caller's
    ``except ClientError`` catches it as it caught Bedrock's answer. The message is
    tierwise's (Bedrock's own wording is not known before the call). An error that is a
    ``ClientError`` already (Bedrock's own answer) is returned as it is."""
    response = {
        "Error": {"Code": "ValidationException", "Message": err.message},
        "ResponseMetadata": {
            "HTTPStatusCode": _STATUS["ValidationException"],
            "HTTPHeaders": {},
            "RetryAttempts": 0,
        },
        "message": err.message,
    }
    return boto_compatible(err, response, operation_name)


@functools.cache
def _converse_input() -> Any:
    model = boto_session.get_session().get_service_model("bedrock-runtime")
    return model.operation_model("Converse").input_shape


def parameter_problem(request: Mapping[str, Any]) -> TierwiseError | None:
    """What botocore's parameter check says of ``request`` (Converse fields; the model ID is
    tierwise's to choose), as the :class:`ParameterValidationError` a call would raise, or
    None when it passes. For a request whose shape broke tierwise's own reading of it (a
    content block that is a string, a tool that is a number) before botocore saw it."""
    report = validate.ParamValidator().validate(
        {**request, "modelId": "anthropic.placeholder"}, _converse_input()
    )
    if not report.has_errors():
        return None
    return translate(bce.ParamValidationError(report=report.generate_report()), model_id=None)


def translate(exc: BaseException, *, model_id: str | None) -> TierwiseError:
    """Map a botocore (or urllib3) exception to the matching :mod:`tierwise.errors` class;
    a ``ClientError`` stays one (see :func:`boto_compatible`)."""
    if isinstance(exc, TierwiseError):
        return exc
    if isinstance(exc, bce.ClientError):
        return boto_compatible(_from_client_error(exc, model_id), exc.response, exc.operation_name)
    if isinstance(exc, _CREDENTIAL_ERRORS):
        return AccessDeniedError(
            f"no usable AWS credentials for Bedrock: {exc}",
            code=type(exc).__name__,
            model_id=model_id,
        )
    if isinstance(exc, bce.ProfileNotFound):
        return ConfigError(
            f"AWS profile not found: {exc}",
            hint="check the profile name (AWS_PROFILE or --profile) against ~/.aws/config",
        )
    if isinstance(exc, bce.InvalidEndpointConfigurationError):
        return ConfigError(
            f"the Bedrock endpoint cannot be used this way: {exc}",
            hint="use an https:// endpoint_url for API-key (bearer) auth, or SigV4 credentials",
        )
    if isinstance(exc, bce.NoRegionError | bce.InvalidRegionError):
        return ConfigError(f"invalid AWS region: {exc}", hint="set `region` in tierwise.toml")
    if isinstance(exc, bce.ParamValidationError):
        problems = _param_problems(str(exc))
        return ParameterValidationError(
            f"the request does not match the Bedrock API: {problems or 'invalid parameters'}",
            hint="compare the request with the Converse API reference (field names and types)",
        )
    if isinstance(exc, bce.ConnectionError | bce.HTTPClientError | u3e.HTTPError):
        return UnavailableError(
            f"could not reach Bedrock: {exc}",
            hint="check the network, the region and endpoint_url; retry later",
            code=type(exc).__name__,
            model_id=model_id,
        )
    return UpstreamError(
        f"unexpected {type(exc).__name__} from the Bedrock client: {exc}",
        code=type(exc).__name__,
        model_id=model_id,
    )


def is_retryable(err: TierwiseError) -> bool:
    """Whether repeating the same call on the same profile may succeed."""
    if isinstance(err, ThrottledError | UnavailableError | ModelOutputError):
        return True
    # Not ready is "not available yet": Bedrock is loading the model, so waiting helps.
    return isinstance(err, ModelNotAvailableError) and err.code == "ModelNotReadyException"


def _from_client_error(exc: bce.ClientError, model_id: str | None) -> TierwiseError:
    response: Mapping[str, Any] = exc.response or {}
    error: Mapping[str, Any] = response.get("Error") or {}
    meta: Mapping[str, Any] = response.get("ResponseMetadata") or {}
    code = _normalise_code(str(error.get("Code") or "Unknown"))
    aws_message = str(error.get("Message") or "").strip() or "no message"
    raw_status = meta.get("HTTPStatusCode")
    status = raw_status if isinstance(raw_status, int) else _STATUS.get(code)
    headers: Mapping[str, Any] = meta.get("HTTPHeaders") or {}
    fields: dict[str, Any] = {
        "code": code,
        "status": status,
        "model_id": model_id,
        "retry_after": _retry_after(headers),
    }
    who = f" for {model_id}" if model_id else ""
    what = f"{aws_message} ({code}{f', HTTP {status}' if status else ''})"

    if code in _THROTTLING:
        hint = None
        if code == "ServiceQuotaExceededException":
            hint = "request a higher Bedrock quota in Service Quotas, or add alternate profiles"
        return ThrottledError(f"Bedrock throttled the call{who}: {what}", hint=hint, **fields)
    if code == "ValidationException":
        if _NEEDS_PROFILE.search(aws_message):
            return ModelNotAvailableError(
                f"{model_id or 'this model'} cannot be called on demand: {what}",
                hint="use an inference profile ID (global./us./eu. prefix) as the model ID",
                **fields,
            )
        if _BAD_MODEL_ID.search(aws_message):
            return ModelNotAvailableError(
                f"Bedrock does not know the model ID {model_id or '(none)'}: {what}", **fields
            )
        return InvalidRequestError(f"Bedrock rejected the request{who}: {what}")
    if code in _NOT_AVAILABLE:
        if code == "ModelNotReadyException":
            return ModelNotAvailableError(
                f"the model{who} is not ready yet: {what}",
                hint="Bedrock is still preparing the model; retry shortly",
                capacity=True,
                **fields,
            )
        if "guardrail" in aws_message.lower():
            # The request's guardrail, not the model, is missing: every profile would
            # answer the same, so this is the caller's to fix, not a reason to fail over.
            return InvalidRequestError(
                f"Bedrock does not know the request's guardrail{who}: {what}",
                hint="check guardrailIdentifier and guardrailVersion (or the "
                "x-tierwise-guardrail header, [guardrails]): the guardrail must exist in "
                "this account and Region",
                param="guardrailConfig",
            )
        return ModelNotAvailableError(f"the model{who} was not found: {what}", **fields)
    if code in _ACCESS:
        hint = None
        if code == "ExpiredTokenException":
            hint = "the AWS session has expired; refresh it (for SSO: `aws sso login`)"
        elif code == "AccessDeniedException":
            hint = (
                "allow bedrock:InvokeModel* for this model in IAM and enable model access "
                "in the Bedrock console"
            )
        refused = f"Bedrock refused access{who}: {what}"
        if code == "AccessDeniedException":
            return ModelAccessDeniedError(refused, hint=hint, **fields)
        return AccessDeniedError(refused, hint=hint, **fields)
    if code in _UNAVAILABLE:
        return UnavailableError(f"Bedrock failed{who}: {what}", **fields)
    if code in _MODEL_OUTPUT:
        return ModelOutputError(f"the model failed while answering{who}: {what}", **fields)
    if status == 429:
        return ThrottledError(f"Bedrock throttled the call{who}: {what}", **fields)
    if isinstance(status, int) and status >= 500:
        return UnavailableError(f"Bedrock failed{who}: {what}", **fields)
    return UpstreamError(f"Bedrock returned an error{who}: {what}", **fields)


def _normalise_code(code: str) -> str:
    # Event-stream errors use the union member name (``throttlingException``); HTTP errors
    # the shape name (``ThrottlingException``). One spelling keeps the table above simple.
    return code[:1].upper() + code[1:]


def _retry_after(headers: Mapping[str, Any]) -> float | None:
    raw = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    if raw is None:
        return None
    text = str(raw).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)

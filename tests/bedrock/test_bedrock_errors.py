"""The error boundary: every botocore failure becomes the right tierwise error."""

from __future__ import annotations

import email.utils
import socket
import time
from collections.abc import Callable

import pytest
from bedrock_testdata import HAIKU, MESSAGES
from botocore import exceptions as bce
from botocore.stub import Stubber

from tierwise.bedrock import BedrockClient, is_retryable, translate
from tierwise.bedrock.session import runtime_client
from tierwise.config import Settings
from tierwise.errors import (
    AccessDeniedError,
    ConfigError,
    InvalidRequestError,
    ModelAccessDeniedError,
    ModelNotAvailableError,
    ModelOutputError,
    ThrottledError,
    TierwiseError,
    UnavailableError,
    UpstreamError,
)

CASES = [
    ("ThrottlingException", 429, ThrottledError, True),
    ("ServiceQuotaExceededException", 400, ThrottledError, True),
    ("ModelNotReadyException", 429, ModelNotAvailableError, True),
    ("ValidationException", 400, InvalidRequestError, False),
    ("ResourceNotFoundException", 404, ModelNotAvailableError, False),
    ("AccessDeniedException", 403, ModelAccessDeniedError, False),
    ("UnrecognizedClientException", 403, AccessDeniedError, False),
    ("ServiceUnavailableException", 503, UnavailableError, True),
    ("InternalServerException", 500, UnavailableError, True),
    ("ModelTimeoutException", 408, UnavailableError, True),
    ("ModelErrorException", 424, ModelOutputError, True),
    ("ModelStreamErrorException", 424, ModelOutputError, True),
]


def _stubbed_error(
    settings: Settings,
    code: str,
    status: int,
    message: str = "boom",
    headers: dict[str, str] | None = None,
) -> bce.ClientError:
    client = runtime_client(settings)
    with Stubber(client) as stub:
        stub.add_client_error(
            "converse",
            service_error_code=code,
            service_message=message,
            http_status_code=status,
            response_meta={"HTTPHeaders": headers or {}},
        )
        with pytest.raises(bce.ClientError) as info:
            client.converse(modelId=HAIKU, messages=MESSAGES)  # type: ignore[arg-type]
    return info.value


def _tierwise_class(err: TierwiseError) -> type[TierwiseError]:
    """The tierwise class of ``err``: a Bedrock ClientError is translated to a subclass of
    that class and of ClientError (see tierwise.bedrock.errors.boto_compatible)."""
    if isinstance(err, bce.ClientError):
        base = type(err).__bases__[0]
        assert issubclass(base, TierwiseError) and base.__name__ == type(err).__name__
        return base
    return type(err)


@pytest.mark.parametrize(("code", "status", "cls", "retryable"), CASES)
def test_each_client_error_code_maps_to_its_class(
    settings: Settings, code: str, status: int, cls: type[TierwiseError], retryable: bool
) -> None:
    err = translate(_stubbed_error(settings, code, status), model_id=HAIKU)
    assert _tierwise_class(err) is cls
    # ... and still the ClientError boto3 raised, for code written against boto3.
    assert isinstance(err, bce.ClientError) and err.response["Error"]["Code"] == code
    assert is_retryable(err) is retryable
    assert "boom" in err.message
    assert err.hint
    if isinstance(err, UpstreamError):
        assert (err.code, err.status, err.model_id) == (code, status, HAIKU)


@pytest.mark.parametrize(("code", "status", "cls", "retryable"), CASES)
def test_the_client_raises_the_typed_error_never_botocore(
    make_client: Callable[..., BedrockClient],
    code: str,
    status: int,
    cls: type[TierwiseError],
    retryable: bool,
) -> None:
    client = make_client(max_attempts=1)
    with Stubber(client.runtime_client) as stub:
        stub.add_client_error(
            "converse", service_error_code=code, service_message="boom", http_status_code=status
        )
        with pytest.raises(TierwiseError) as info:
            client.converse([HAIKU], {"messages": MESSAGES})
    assert _tierwise_class(info.value) is cls
    assert isinstance(info.value.__cause__, bce.ClientError)


@pytest.mark.parametrize(
    "message",
    [
        "Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand "
        "throughput isn’t supported. Retry your request with the ID or ARN of an inference "
        "profile that contains this model.",
        "Invocation of model ID x with on-demand throughput isn't supported.",
        "The provided model identifier is invalid.",
    ],
)
def test_validation_about_the_model_id_is_model_not_available(
    settings: Settings, message: str
) -> None:
    err = translate(_stubbed_error(settings, "ValidationException", 400, message), model_id="x")
    assert isinstance(err, ModelNotAvailableError)
    assert err.code == "ValidationException"
    assert not is_retryable(err)


def test_other_validation_is_an_invalid_request(settings: Settings) -> None:
    exc = _stubbed_error(
        settings, "ValidationException", 400, "Input is too long for requested model."
    )
    err = translate(exc, model_id=HAIKU)
    assert _tierwise_class(err) is InvalidRequestError
    assert "Input is too long" in err.message


def test_retry_after_header_in_seconds(settings: Settings) -> None:
    exc = _stubbed_error(settings, "ThrottlingException", 429, headers={"retry-after": "2.5"})
    err = translate(exc, model_id=HAIKU)
    assert isinstance(err, ThrottledError)
    assert err.retry_after == 2.5


def test_retry_after_header_as_http_date(settings: Settings) -> None:
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    exc = _stubbed_error(settings, "ThrottlingException", 429, headers={"Retry-After": when})
    err = translate(exc, model_id=HAIKU)
    assert isinstance(err, ThrottledError)
    assert err.retry_after is not None
    assert 60 < err.retry_after <= 121


def test_no_retry_after_header_means_none(settings: Settings) -> None:
    err = translate(_stubbed_error(settings, "ThrottlingException", 429), model_id=HAIKU)
    assert isinstance(err, ThrottledError)
    assert err.retry_after is None


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("throttlingException", ThrottledError),
        ("serviceUnavailableException", UnavailableError),
        ("internalServerException", UnavailableError),
        ("modelStreamErrorException", ModelOutputError),
        ("validationException", InvalidRequestError),
    ],
)
def test_event_stream_errors_use_lower_camel_codes(code: str, cls: type[TierwiseError]) -> None:
    exc = bce.EventStreamError({"Error": {"Code": code, "Message": "mid-stream"}}, "ConverseStream")
    err = translate(exc, model_id=HAIKU)
    assert _tierwise_class(err) is cls
    if isinstance(err, UpstreamError):
        assert err.code == code[0].upper() + code[1:]
        assert err.status is not None


@pytest.mark.parametrize(
    "exc",
    [
        bce.EndpointConnectionError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com"),
        bce.ConnectTimeoutError(endpoint_url="https://x"),
        bce.ReadTimeoutError(endpoint_url="https://x"),
        bce.ConnectionClosedError(endpoint_url="https://x"),
    ],
)
def test_network_failures_are_unavailable_and_retryable(exc: Exception) -> None:
    err = translate(exc, model_id=HAIKU)
    assert isinstance(err, UnavailableError)
    assert is_retryable(err)
    assert err.model_id == HAIKU


@pytest.mark.parametrize(
    "exc",
    [
        bce.NoCredentialsError(),
        bce.PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"),
        bce.NoAuthTokenError(),
    ],
)
def test_missing_credentials_are_access_denied(exc: Exception) -> None:
    err = translate(exc, model_id=None)
    assert isinstance(err, AccessDeniedError)
    assert not is_retryable(err)
    assert "credentials" in err.hint


def test_unknown_profile_is_a_config_error() -> None:
    err = translate(bce.ProfileNotFound(profile="nope"), model_id=None)
    assert isinstance(err, ConfigError)


def test_param_validation_does_not_echo_the_prompt(
    make_client: Callable[..., BedrockClient],
) -> None:
    client = make_client()
    bad = [{"role": "user", "content": [{"text": "my secret prompt"}, {"text": 42}]}]
    with pytest.raises(InvalidRequestError) as info:
        client.converse([HAIKU], {"messages": bad, "inferenceConfig": {"maxTokens": "secret"}})
    assert "secret" not in str(info.value)
    assert "messages[0].content[1].text" in info.value.message


def test_connection_refused_over_real_http_is_unavailable(settings: Settings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port now: the connection is refused at once.
    s = settings.with_overrides(
        {"endpoint_url": f"http://127.0.0.1:{port}", "retry.max_attempts": 1}
    )
    with pytest.raises(UnavailableError) as info:
        BedrockClient(s).converse([HAIKU], {"messages": MESSAGES})
    assert info.value.code == "EndpointConnectionError"


def test_a_tierwise_error_passes_through_unchanged() -> None:
    err = ThrottledError("x")
    assert translate(err, model_id=None) is err


def test_unknown_codes_fall_back_by_status(settings: Settings) -> None:
    throttled = translate(_stubbed_error(settings, "TooManyRequests", 429), model_id=HAIKU)
    broken = translate(_stubbed_error(settings, "WeirdFailure", 502), model_id=HAIKU)
    other = translate(_stubbed_error(settings, "Teapot", 418), model_id=HAIKU)
    assert _tierwise_class(throttled) is ThrottledError
    assert _tierwise_class(broken) is UnavailableError
    assert _tierwise_class(other) is UpstreamError


def test_param_validation_report_keeps_paths_and_drops_multiline_values() -> None:
    report = (
        "Invalid type for parameter messages[0].content[0].text, value: first line\n"
        "second secret line, type: <class 'bytes'>, valid types: <class 'str'>\n"
        'Missing required parameter in messages[1]: "role"\n'
        'Unknown parameter in input: "temperature", must be one of: modelId, messages'
    )
    err = translate(bce.ParamValidationError(report=report), model_id=HAIKU)
    assert isinstance(err, InvalidRequestError)
    assert "secret" not in str(err)
    assert "first line" not in str(err)
    assert "messages[0].content[0].text" in err.message
    assert 'messages[1]: "role"' in err.message
    assert '"temperature"' in err.message

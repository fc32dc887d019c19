"""FastSigV4Auth signs exactly as botocore's SigV4Auth: same URL, headers and body on the wire.

With botocore's clock fixed, the request a runtime client sends (captured at ``before-send``,
as test_bedrock_session does) is compared with what the same client sends signed by stock
botocore; and the signer itself is compared with ``SigV4Auth`` on requests it handles its own
way and on those it leaves to botocore (odd headers, query strings, other bodies).
"""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from bedrock_testdata import HAIKU, HAIKU_US
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials, RefreshableCredentials
from wire_capture import ARN, NOON, aws_request, capture, send

import tierwise.bedrock.signing as signing
from tierwise.bedrock import AwsAuth
from tierwise.bedrock.session import runtime_client
from tierwise.bedrock.signing import FastSigV4Auth, use_fast_sigv4
from tierwise.config import Settings

MIDNIGHT = datetime.datetime(2026, 12, 8, 0, 0, 1)


def _client(settings: Settings, fast: bool, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> Any:
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(signing, "use_fast_sigv4", lambda client: False)
        client = runtime_client(settings, **kw)
    client.meta.events.register("before-send.*.*", capture)
    return client


@pytest.mark.parametrize(
    ("endpoint", "region"),
    [
        ("http://127.0.0.1:9", "us-east-1"),
        ("", "eu-west-3"),  # AWS itself, over https
        ("https://bedrock.example.internal:8443", "us-west-2"),
    ],
)
@pytest.mark.parametrize("token", [None, "session-token/with+odd=chars"])
def test_a_runtime_request_is_byte_for_byte_botocores(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    clock: list[datetime.datetime],
    endpoint: str,
    region: str,
    token: str | None,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    if token:
        monkeypatch.setenv("AWS_SESSION_TOKEN", token)
    s = settings.with_overrides({"endpoint_url": endpoint, "region": region})
    fast = _client(s, True, monkeypatch)
    stock = _client(s, False, monkeypatch)
    assert getattr(fast._request_signer.get_auth_instance, "_tierwise_fast", False)
    assert not getattr(stock._request_signer.get_auth_instance, "_tierwise_fast", False)
    for operation in ("converse", "converse_stream", "count_tokens"):
        for model_id in (HAIKU, HAIKU_US, ARN):
            for now in (NOON, MIDNIGHT, NOON):  # a new day's key, then the cached one again
                clock[0] = now
                ours, theirs = send(fast, operation, model_id), send(stock, operation, model_id)
                assert (ours.url, ours.headers, ours.body) == (
                    theirs.url,
                    theirs.headers,
                    theirs.body,
                )
                authorization = ours.header("Authorization")
                assert authorization.startswith("AWS4-HMAC-SHA256 Credential=")


def test_a_bedrock_api_key_is_still_sent_as_a_bearer_token(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, clock: list[datetime.datetime]
) -> None:
    client = _client(settings, True, monkeypatch, auth=AwsAuth(bearer_token="explicit-key"))
    sent = send(client, "converse", HAIKU)
    assert sent.header("Authorization") == "Bearer explicit-key"


def test_refreshed_credentials_sign_with_the_new_secret(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, clock: list[datetime.datetime]
) -> None:
    """The signer still asks the credentials for their frozen values per request: a refresh
    (a new secret, the same day, after the old secret's key was cached) signs with the new
    secret."""
    s = settings.with_overrides({"endpoint_url": "http://127.0.0.1:9"})
    client = _client(s, True, monkeypatch)
    client._request_signer._credentials = Credentials("AKIDROTATING", "first-secret", "t")
    first = send(client, "converse", HAIKU).header("Authorization")

    def metadata(secret: str, minutes: int) -> dict[str, str]:
        expiry = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=minutes)
        return {
            "access_key": "AKIDROTATING",
            "secret_key": secret,
            "token": "t",
            "expiry_time": expiry.isoformat(),
        }

    # Due for a refresh (expires within botocore's mandatory window) on its next use.
    client._request_signer._credentials = RefreshableCredentials.create_from_metadata(
        metadata("first-secret", 1), lambda: metadata("second-secret", 60), "test"
    )
    ours = send(client, "converse", HAIKU).header("Authorization")
    stock = _client(s, False, monkeypatch)
    stock._request_signer._credentials = Credentials("AKIDROTATING", "second-secret", "t")
    assert ours == send(stock, "converse", HAIKU).header("Authorization")
    assert ours != first


def _signed_both(make: Any, token: str | None = None) -> tuple[list[Any], list[Any]]:
    creds = Credentials("AKIDEXAMPLE", "secret", token)
    ours, theirs = make(), make()
    FastSigV4Auth(creds, "bedrock", "us-east-1").add_auth(ours)
    SigV4Auth(creds, "bedrock", "us-east-1").add_auth(theirs)
    return list(ours.headers.items()), list(theirs.headers.items())


def _with_duplicate_header() -> AWSRequest:
    request = aws_request()
    request.headers["X-Amz-Meta"] = "one"
    request.headers["x-amz-meta"] = "two  words"  # HTTPHeaders keeps both
    return request


def _with_non_ascii_header() -> AWSRequest:
    request = aws_request()
    request.headers["X-Amz-Meta"] = "caf\u00e9"  # not ASCII: left to botocore
    return request


@pytest.mark.parametrize(
    "make",
    [
        aws_request,
        lambda: aws_request(data=b""),
        lambda: aws_request(data=None),
        lambda: aws_request(data="a str body \u00e9"),
        lambda: aws_request(data={"form": "value", "b": "x y"}),
        lambda: aws_request(data=io.BytesIO(b"a file body")),
        lambda: aws_request(data=bytearray(b"a bytearray body")),
        lambda: aws_request(params={"b": "2", "a": "1 x"}),
        lambda: aws_request(
            url="https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse?z=1&a=2"
        ),
        lambda: aws_request(url="http://127.0.0.1:8080/model/a%3Ab%2Fc/./x/../converse"),
        lambda: aws_request(url="https://[::1]:443/model/m/converse"),
        lambda: aws_request(headers={"Content-Type": "application/json", "Host": "elsewhere:1"}),
        lambda: aws_request(
            headers={"User-Agent": "ua", "X-Amz-Date": "old", "Authorization": "old"}
        ),
        lambda: aws_request(headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}),
        lambda: aws_request(method="get", data=None),
        _with_duplicate_header,
        _with_non_ascii_header,
    ],
)
@pytest.mark.parametrize("token", [None, "tok"])
def test_the_signer_matches_sigv4auth(
    clock: list[datetime.datetime], make: Any, token: str | None
) -> None:
    for now in (NOON, MIDNIGHT):
        clock[0] = now
        ours, theirs = _signed_both(make, token)
        assert ours == theirs


def test_unsigned_payloads_and_checksum_trailers_are_botocores(
    clock: list[datetime.datetime],
) -> None:
    def unsigned() -> AWSRequest:
        request = aws_request()
        request.context["payload_signing_enabled"] = False
        return request

    def trailer() -> AWSRequest:
        request = aws_request()
        request.context["checksum"] = {"request_algorithm": {"in": "trailer", "name": "crc32"}}
        return request

    for make in (unsigned, trailer):
        ours, theirs = _signed_both(make)
        assert ours == theirs


def test_the_fast_signer_is_put_under_a_client_once(settings: Settings) -> None:
    client = runtime_client(settings.with_overrides({"endpoint_url": "http://127.0.0.1:9"}))
    wrapped = client._request_signer.get_auth_instance
    assert use_fast_sigv4(client) is False  # already there
    assert client._request_signer.get_auth_instance is wrapped
    auth = wrapped(signing_name="bedrock", region_name="us-east-1", signature_version="v4")
    assert type(auth) is FastSigV4Auth
    bearer = wrapped(signing_name="bedrock", region_name="us-east-1", signature_version="bearer")
    assert type(bearer) is not FastSigV4Auth
    assert use_fast_sigv4(object()) is False

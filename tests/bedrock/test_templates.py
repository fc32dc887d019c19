"""Templated runtime calls (tierwise.bedrock.templates) send what botocore sends and answer
what it answers.

A client with templates is compared with a client without them (every other fast step on in
both), on a sequence of calls with botocore's signing clock moving and the invocation id
fixed: method, URL, headers in order with their types, body; the parsed answer or the
raised error. Each comparison checks that the templated client's later calls did not go
botocore's way, so the comparison is of the templated path; the cases that must go
botocore's way (a handler of a user's, the Stubber, debug logging, credentials to refresh,
a token put in the environment) check that they did.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import Any

import pytest
from bedrock_testdata import HAIKU, MESSAGES
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import ClientError, NoAuthTokenError, ParamValidationError
from botocore.stub import Stubber
from wire_capture import ANSWER, ARN, ERROR_ANSWERS, NOON, REQUEST, Wire

import tierwise.bedrock.templates as templates
from tierwise.bedrock import AwsAuth
from tierwise.bedrock.session import runtime_client
from tierwise.config import Settings


@pytest.fixture(autouse=True)
def fixed(monkeypatch: pytest.MonkeyPatch) -> list[datetime.datetime]:
    """botocore's signing clock (moved a second per call by :func:`_calls`) and invocation
    id fixed, so two clients send the same bytes."""
    now = [NOON]
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: now[0])
    monkeypatch.setattr("uuid.uuid4", lambda: uuid.UUID(int=7))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    return now


class BotocoresWay:
    """Counts a templated client's calls that went botocore's own way."""

    def __init__(self, client: Any) -> None:
        self.templates: Any = client._make_api_call.__self__
        self.calls = 0
        stock = self.templates._stock

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return stock(*args, **kwargs)

        self.templates._stock = counted


def _pair(settings: Settings, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> tuple[Any, Any]:
    ours = runtime_client(settings, **kw)
    with monkeypatch.context() as m:
        m.setattr(templates, "use_request_templates", lambda client: False)
        stock = runtime_client(settings, **kw)
    assert isinstance(getattr(ours._make_api_call, "__self__", None), templates.RequestTemplates)
    assert "_make_api_call" not in vars(stock)
    return ours, stock


def _call(client: Any, operation: str, model_id: str) -> Any:
    try:
        if operation == "count_tokens":
            answer = client.count_tokens(
                modelId=model_id, input={"converse": {"messages": MESSAGES}}
            )
        else:
            answer = getattr(client, operation)(modelId=model_id, **REQUEST)
    except ClientError as exc:
        return (type(exc).__name__, exc.operation_name, exc.response)
    if operation == "converse_stream":
        answer = dict(answer)
        stream = answer.pop("stream")
        answer["events"] = list(stream)
    return answer


def _calls(
    clients: tuple[Any, Any], now: list[datetime.datetime], operation: str, model_id: str, n: int
) -> list[tuple[Any, Any]]:
    outcomes = []
    for _ in range(n):
        outcomes.append(tuple(_call(client, operation, model_id) for client in clients))
        now[0] += datetime.timedelta(seconds=1)
    return outcomes


STREAM_ANSWER: dict[str, Any] = {}  # an empty event stream: the stream's own parse is botocore's

SETUPS = [
    pytest.param({"endpoint_url": "http://127.0.0.1:9"}, {}, id="emulator-url"),
    pytest.param({"region": "eu-west-3"}, {}, id="aws-eu-west-3"),
    pytest.param({"region": "us-east-1"}, {"token": "session/token+="}, id="session-token"),
    pytest.param({"region": "us-west-2"}, {"bearer": True}, id="bearer-api-key"),
    pytest.param({"region": "us-east-1"}, {"env": "AWS_USE_FIPS_ENDPOINT"}, id="fips"),
    pytest.param({"region": "us-east-1"}, {"env": "AWS_USE_DUALSTACK_ENDPOINT"}, id="dualstack"),
    pytest.param(
        {"endpoint_url": "https://bedrock.example.com/base/path"}, {}, id="https-base-path"
    ),
]


@pytest.mark.parametrize(("overrides", "how"), SETUPS)
@pytest.mark.parametrize("operation", ["converse", "converse_stream", "count_tokens"])
@pytest.mark.parametrize("model_id", [HAIKU, ARN])
def test_templated_calls_are_botocores_on_the_wire_and_in_answers(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    fixed: list[datetime.datetime],
    overrides: dict[str, Any],
    how: dict[str, Any],
    operation: str,
    model_id: str,
) -> None:
    if "token" in how:
        monkeypatch.setenv("AWS_SESSION_TOKEN", how["token"])
    if "env" in how:
        monkeypatch.setenv(how["env"], "true")
    auth = AwsAuth(bearer_token="bedrock-api-key-abc") if how.get("bearer") else None
    ours, stock = _pair(settings.with_overrides(overrides), monkeypatch, auth=auth)
    if operation == "count_tokens":
        model_id = "anthropic.claude-haiku-4-5-20251001-v1:0"
    body = STREAM_ANSWER if operation == "converse_stream" else ANSWER
    wires = [Wire(ours, body=body), Wire(stock, body=body)]
    way = BotocoresWay(ours)
    outcomes = _calls((ours, stock), fixed, operation, model_id, 3)
    assert way.calls == 1, "only the first call goes botocore's way (and makes the template)"
    assert len(way.templates._templates) == 1
    for mine, theirs in outcomes:
        assert mine == theirs
    assert wires[0].sent == wires[1].sent
    signed = wires[0].header_values("Authorization")
    # each call signed at its own time (the clock moves), or the same API key each call
    assert len(set(signed)) == (1 if how.get("bearer") else 3)


@pytest.mark.parametrize(
    ("status", "body"),
    ERROR_ANSWERS,
)
def test_errors_are_raised_as_botocore_raises_them(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    fixed: list[datetime.datetime],
    status: int,
    body: dict[str, Any],
) -> None:
    ours, stock = _pair(settings.with_overrides({"region": "us-east-1"}), monkeypatch)
    Wire(ours)
    Wire(stock)
    _calls((ours, stock), fixed, "converse", HAIKU, 1)  # a template from a good answer
    wires = [Wire(ours, status, body), Wire(stock, status, body)]
    way = BotocoresWay(ours)
    errors = []
    for client in (ours, stock):
        with pytest.raises(ClientError) as info:
            client.converse(modelId=HAIKU, **REQUEST)
        errors.append((type(info.value).__name__, info.value.operation_name, info.value.response))
    assert way.calls == 0
    assert errors[0] == errors[1]
    assert errors[0][2]["ResponseMetadata"]["HTTPStatusCode"] == status
    assert errors[0][2]["ResponseMetadata"].get("MaxAttemptsReached") == errors[1][2][
        "ResponseMetadata"
    ].get("MaxAttemptsReached")
    assert wires[0].sent == wires[1].sent


def test_invalid_parameters_raise_botocores_error(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, fixed: list[datetime.datetime]
) -> None:
    ours, stock = _pair(settings.with_overrides({"region": "us-east-1"}), monkeypatch)
    Wire(ours)
    Wire(stock)
    _calls((ours, stock), fixed, "converse", HAIKU, 1)
    messages = []
    for client in (ours, stock):
        with pytest.raises(ParamValidationError) as info:
            client.converse(modelId=HAIKU, messages=[{"role": "user", "content": [{"x": 1}]}])
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def _user_handlers_and_headers(client: Any, seen: list[str]) -> None:
    def before_call(event_name: str, **_: Any) -> None:
        seen.append(event_name)

    def tag(request: Any, **_: Any) -> None:
        request.headers["x-tag"] = "added-later"

    client.meta.events.register("before-call.bedrock-runtime.Converse", before_call)
    client.meta.events.register("request-created.bedrock-runtime", tag)


def test_a_users_handlers_send_calls_botocores_way(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, fixed: list[datetime.datetime]
) -> None:
    ours, stock = _pair(settings.with_overrides({"region": "us-east-1"}), monkeypatch)
    wires = [Wire(ours), Wire(stock)]
    _calls((ours, stock), fixed, "converse", HAIKU, 2)
    seen: list[list[str]] = [[], []]
    for client, log in zip((ours, stock), seen, strict=True):
        _user_handlers_and_headers(client, log)
    way = BotocoresWay(ours)
    _calls((ours, stock), fixed, "converse", HAIKU, 3)
    assert way.calls == 3
    assert seen[0] == seen[1] == ["before-call.bedrock-runtime.Converse"] * 3, "once a call"
    assert wires[0].sent == wires[1].sent
    assert wires[0].header_values("x-tag") == [
        None,
        None,
        *[b"added-later"] * 3,
    ]


def test_the_stubber_answers_and_templates_come_back_after_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, fixed: list[datetime.datetime]
) -> None:
    client = runtime_client(settings.with_overrides({"endpoint_url": "http://127.0.0.1:9"}))
    wire = Wire(client)
    for _ in range(2):
        client.converse(modelId=HAIKU, messages=MESSAGES)
    stubbed = {**ANSWER, "output": {"message": {"role": "assistant", "content": [{"text": "s"}]}}}
    way = BotocoresWay(client)
    with Stubber(client) as stub:
        stub.add_response("converse", stubbed, {"modelId": HAIKU, "messages": MESSAGES})
        stub.add_client_error("converse", "ThrottlingException", http_status_code=429)
        assert client.converse(modelId=HAIKU, messages=MESSAGES)["output"] == stubbed["output"]
        with pytest.raises(ClientError) as info:
            client.converse(modelId=HAIKU, messages=MESSAGES)
    assert info.value.response["Error"]["Code"] == "ThrottlingException"
    assert way.calls == 2
    assert len(wire.sent) == 2, "the Stubber's answers never reach the wire"
    for _ in range(3):
        assert client.converse(modelId=HAIKU, messages=MESSAGES)["output"] == ANSWER["output"]
    assert way.calls == 3, "one call botocore's way to check the template again, then templated"


def test_botocores_debug_log_is_kept(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    fixed: list[datetime.datetime],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = runtime_client(settings.with_overrides({"endpoint_url": "http://127.0.0.1:9"}))
    Wire(client)
    for _ in range(2):
        client.converse(modelId=HAIKU, messages=MESSAGES)
    way = BotocoresWay(client)
    with caplog.at_level(logging.DEBUG, logger="botocore.endpoint"):
        client.converse(modelId=HAIKU, messages=MESSAGES)
    assert way.calls == 1
    assert any("Making request for" in r.getMessage() for r in caplog.records)


def test_a_bearer_token_put_in_the_environment_is_seen_as_botocore_sees_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, fixed: list[datetime.datetime]
) -> None:
    """choose-signer's answer is the template's only while the environment's token presence
    is; with a token exported later botocore chooses bearer signing (and, having resolved no
    token when the client was made, refuses the call): the templated client does the same."""
    ours, stock = _pair(settings.with_overrides({"region": "us-east-1"}), monkeypatch)
    wires = [Wire(ours), Wire(stock)]
    _calls((ours, stock), fixed, "converse", HAIKU, 2)
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "exported-later")
    way = BotocoresWay(ours)
    for client in (ours, stock):
        with pytest.raises(NoAuthTokenError):
            client.converse(modelId=HAIKU, **REQUEST)
    assert way.calls == 1
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK")
    _calls((ours, stock), fixed, "converse", HAIKU, 2)
    assert way.calls == 1, "the template holds again"
    assert wires[0].sent == wires[1].sent
    assert len(wires[0].sent) == 4


def test_rotated_credentials_make_a_new_template(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, fixed: list[datetime.datetime]
) -> None:
    ours, stock = _pair(settings.with_overrides({"region": "us-east-1"}), monkeypatch)
    wires = [Wire(ours), Wire(stock)]
    _calls((ours, stock), fixed, "converse", HAIKU, 2)
    way = BotocoresWay(ours)
    for client in (ours, stock):
        creds = client._request_signer._credentials
        creds.access_key, creds.secret_key, creds.token = "AKIDROTATED", "new-secret", "tok"
    _calls((ours, stock), fixed, "converse", HAIKU, 3)
    assert way.calls == 1
    assert wires[0].sent == wires[1].sent
    assert b"Credential=AKIDROTATED/" in wires[0].header_values("Authorization")[-1]


def test_credentials_due_a_refresh_are_refreshed_botocores_way(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, fixed: list[datetime.datetime]
) -> None:
    ours, stock = _pair(settings.with_overrides({"region": "us-east-1"}), monkeypatch)
    wires = [Wire(ours), Wire(stock)]
    refreshed: list[int] = [0, 0]
    lifetime = [datetime.timedelta(hours=1)]

    def install(client: Any, index: int) -> None:
        def fetch() -> dict[str, str]:
            refreshed[index] += 1
            expiry = datetime.datetime.now(datetime.UTC) + lifetime[0]
            return {
                "access_key": f"AKIDREFRESH{refreshed[index]}",
                "secret_key": f"secret-{refreshed[index]}",
                "token": f"token-{refreshed[index]}",
                "expiry_time": expiry.isoformat(),
            }

        client._request_signer._credentials = RefreshableCredentials.create_from_metadata(
            fetch(), fetch, "test"
        )

    install(ours, 0)
    install(stock, 1)
    _calls((ours, stock), fixed, "converse", HAIKU, 2)
    way = BotocoresWay(ours)
    lifetime[0] = datetime.timedelta(minutes=5)  # each refresh now lasts less than botocore's
    _calls((ours, stock), fixed, "converse", HAIKU, 1)  # one more refresh: the hour ran out?
    for client in (ours, stock):
        client._request_signer._credentials._expiry_time = datetime.datetime.now(
            datetime.UTC
        ) + datetime.timedelta(minutes=5)
    _calls((ours, stock), fixed, "converse", HAIKU, 3)
    assert refreshed[0] == refreshed[1] == 4, "each call with credentials near expiry refreshes"
    assert way.calls == 3
    assert wires[0].sent == wires[1].sent
    assert b"Credential=AKIDREFRESH4/" in wires[0].header_values("Authorization")[-1]


def test_a_template_that_does_not_reproduce_botocores_request_is_never_used(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, fixed: list[datetime.datetime]
) -> None:
    ours, stock = _pair(settings.with_overrides({"region": "us-east-1"}), monkeypatch)
    wires = [Wire(ours), Wire(stock)]
    # A botocore whose request differs from what the template would build: here a header
    # added after signing that the template does not know of.
    for client in (ours, stock):
        client.meta.events.register_last(
            "request-created.bedrock-runtime.Converse",
            lambda request, **_: request.headers.__setitem__("x-extra", "1"),
        )
    way = BotocoresWay(ours)
    _calls((ours, stock), fixed, "converse", HAIKU, 3)
    assert way.calls == 3
    assert wires[0].sent == wires[1].sent
    monkeypatch.setattr(templates, "_DEFAULTS", {})  # even with the handler check off
    ours.meta.events.unregister("request-created.bedrock-runtime.Converse")
    _calls((ours, stock), fixed, "converse", HAIKU, 2)
    assert way.calls == 5, "the template made from the extra header's request never matched"


def test_a_client_it_does_not_know_is_left_alone(settings: Settings) -> None:
    client: Any = runtime_client(settings.with_overrides({"endpoint_url": "http://127.0.0.1:9"}))
    assert not templates.use_request_templates(client), "put under a client once"
    client.meta.config.retries = {"total_max_attempts": 3}
    fresh: Any = runtime_client(settings.with_overrides({"endpoint_url": "http://127.0.0.1:9"}))
    vars(fresh).pop("_make_api_call")
    fresh.meta.config.retries = {"total_max_attempts": 3, "mode": "standard"}
    assert not templates.use_request_templates(fresh), "botocore would retry: its way"


emulator = pytest.importorskip("tierwise.emulator")


def test_whole_calls_through_the_emulator(settings: Settings) -> None:
    from tierwise.bedrock import BedrockClient

    with emulator.Emulator(settings, port=0) as emu:
        client = BedrockClient(settings.with_overrides({"endpoint_url": emu.url}))
        way = BotocoresWay(client.runtime_client)
        answers = [client.converse([HAIKU], {"messages": MESSAGES}) for _ in range(3)]
        with client.converse_stream([HAIKU], {"messages": MESSAGES}) as stream:
            kinds = [next(iter(event)) for event in stream.events]
        with client.converse_stream([HAIKU], {"messages": MESSAGES}) as stream:
            again = [next(iter(event)) for event in stream.events]
    assert [a.response["stopReason"] for a in answers] == ["end_turn"] * 3
    assert kinds == again
    assert kinds[-2:] == ["messageStop", "metadata"]
    assert way.calls == 2, "one per operation"

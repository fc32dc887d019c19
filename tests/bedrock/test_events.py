"""The runtime client's direct event dispatch (tierwise.bedrock.events) runs botocore's
handlers as botocore's emitter runs them.

A client with it is compared with a client without it (every other fast step on in both):
the request sent (method, URL, headers in order, body; botocore's clock and invocation id
fixed) and the parsed answer or raised error, on the call after a first one (the first fills
the table). Each comparison also checks that the direct client's call did not go through
``HierarchicalEmitter._emit``, so the comparison is of the direct path. Handlers registered
or unregistered after the table was filled, the Stubber, botocore's debug log and the async
client against the emulator are covered too.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import uuid
from typing import Any

import pytest
from bedrock_testdata import HAIKU, MESSAGES
from botocore.exceptions import ClientError
from botocore.hooks import EventAliaser, HierarchicalEmitter
from botocore.stub import Stubber
from wire_capture import ANSWER, ERROR_ANSWERS, Wire

import tierwise.bedrock.events as events
from tierwise.bedrock import AsyncBedrockClient, AwsAuth
from tierwise.bedrock.events import DirectEvents, use_direct_events
from tierwise.bedrock.session import runtime_client
from tierwise.config import Settings

ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3/x"
NOON = datetime.datetime(2026, 12, 7, 12, 0, 0)
REQUEST: dict[str, Any] = {
    "messages": [*MESSAGES, {"role": "assistant", "content": [{"text": "h\u00e9llo"}]}],
    "system": [{"text": "be brief"}],
    "inferenceConfig": {"maxTokens": 60, "temperature": 0.5},
}


@pytest.fixture(autouse=True)
def fixed(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's signing clock and invocation id fixed, so two clients send the same bytes."""
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: NOON)
    monkeypatch.setattr("uuid.uuid4", lambda: uuid.UUID(int=7))


class Spy:
    """Counts the calls that reach botocore's ``HierarchicalEmitter._emit`` of a client."""

    def __init__(self, client: Any) -> None:
        emitter = client.meta.events._emitter
        self.calls = 0
        stock = emitter._emit

        def spy(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return stock(*args, **kwargs)

        emitter._emit = spy  # an instance attribute: botocore's lookup cache is untouched


def _pair(settings: Settings, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> tuple[Any, Any]:
    direct = runtime_client(settings, **kw)
    with monkeypatch.context() as m:
        m.setattr(events, "use_direct_events", lambda client: False)
        stock = runtime_client(settings, **kw)
    return direct, stock


def _call(client: Any, operation: str, model_id: str) -> Any:
    if operation == "count_tokens":
        return client.count_tokens(modelId=model_id, input={"converse": {"messages": MESSAGES}})
    return getattr(client, operation)(modelId=model_id, **REQUEST)


def _outcome(client: Any, operation: str, model_id: str) -> Any:
    try:
        answer = _call(client, operation, model_id)
    except ClientError as exc:
        return (type(exc).__name__, exc.operation_name, exc.response)
    if operation == "converse_stream":
        answer = dict(answer)
        answer["stream"] = type(answer["stream"]).__name__
    return answer


SETUPS = [
    pytest.param({"endpoint_url": "http://127.0.0.1:9"}, {}, id="emulator-url"),
    pytest.param({"region": "eu-west-3"}, {}, id="aws-eu-west-3"),
    pytest.param({"region": "us-west-2"}, {"bearer": True}, id="bearer-api-key"),
]


@pytest.mark.parametrize(("overrides", "how"), SETUPS)
@pytest.mark.parametrize("operation", ["converse", "converse_stream", "count_tokens"])
@pytest.mark.parametrize("model_id", [HAIKU, ARN])
def test_requests_and_answers_are_stock_botocores(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    overrides: dict[str, Any],
    how: dict[str, Any],
    operation: str,
    model_id: str,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session/token+=")
    auth = AwsAuth(bearer_token="bedrock-api-key-abc") if how.get("bearer") else None
    direct, stock = _pair(settings.with_overrides(overrides), monkeypatch, auth=auth)
    if operation == "count_tokens":
        model_id = "anthropic.claude-haiku-4-5-20251001-v1:0"
    wires = [Wire(direct), Wire(stock)]
    outcomes = []
    for client in (direct, stock):
        _call(client, operation, model_id)  # fills the direct client's table
        spy = Spy(client)
        outcomes.append(_outcome(client, operation, model_id))
        outcomes.append(spy.calls)
    assert outcomes[1] == 0, "the direct client's second call went through botocore's emitter"
    assert outcomes[3] > 0
    assert outcomes[0] == outcomes[2]
    assert wires[0].sent == wires[1].sent
    assert len(wires[0].sent) == 2


@pytest.mark.parametrize(
    ("status", "body"),
    ERROR_ANSWERS,
)
def test_errors_are_raised_as_stock_botocore_raises_them(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, status: int, body: dict[str, Any]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    direct, stock = _pair(settings.with_overrides({"region": "us-east-1"}), monkeypatch)
    wires = [Wire(direct, status, body), Wire(stock, status, body)]
    outcomes = []
    for client in (direct, stock):
        _outcome(client, "converse", HAIKU)
        spy = Spy(client)
        outcomes.append(_outcome(client, "converse", HAIKU))
        outcomes.append(spy.calls)
    assert outcomes[1] == 0
    assert outcomes[0] == outcomes[2]
    assert outcomes[0][2]["ResponseMetadata"]["HTTPStatusCode"] == status
    assert wires[0].sent == wires[1].sent


def test_a_handler_registered_after_the_first_calls_runs(settings: Settings) -> None:
    client = runtime_client(settings.with_overrides({"endpoint_url": "http://127.0.0.1:9"}))
    wire = Wire(client)
    for _ in range(2):
        client.converse(modelId=HAIKU, **REQUEST)
    seen: list[str] = []

    def before_call(event_name: str, **_: Any) -> None:
        seen.append(event_name)

    def tag(request: Any, **_: Any) -> None:
        request.headers["x-tag"] = "added-later"

    def received(event_name: str, parsed_response: Any, **_: Any) -> None:
        seen.append(f"{event_name} {parsed_response['stopReason']}")

    client.meta.events.register("before-call.bedrock-runtime.Converse", before_call)
    client.meta.events.register("request-created.bedrock-runtime", tag)
    client.meta.events.register("response-received.bedrock-runtime.Converse", received)
    for _ in range(2):  # botocore's way, then the table rebuilt with the new handlers
        client.converse(modelId=HAIKU, **REQUEST)
    assert (
        seen
        == [
            "before-call.bedrock-runtime.Converse",
            "response-received.bedrock-runtime.Converse end_turn",
        ]
        * 2
    )
    assert wire.header_values("x-tag") == [
        None,
        None,
        b"added-later",
        b"added-later",
    ]
    client.meta.events.unregister("request-created.bedrock-runtime", tag)
    spy = Spy(client)
    client.converse(modelId=HAIKU, **REQUEST)
    assert spy.calls > 0, "a changed handler set goes botocore's way first"
    before = spy.calls
    client.converse(modelId=HAIKU, **REQUEST)
    assert spy.calls == before, "then directly again"
    assert wire.header_values("x-tag")[4:] == [None, None]
    assert len(seen) == 8
    assert client._service_model.service_id.hyphenize() == "bedrock-runtime"


def test_the_stubber_answers_after_direct_calls(settings: Settings) -> None:
    client = runtime_client(settings.with_overrides({"endpoint_url": "http://127.0.0.1:9"}))
    Wire(client)
    for _ in range(2):
        client.converse(modelId=HAIKU, messages=MESSAGES)
    stubbed = {**ANSWER, "output": {"message": {"role": "assistant", "content": [{"text": "s"}]}}}
    with Stubber(client) as stub:
        stub.add_response("converse", stubbed, {"modelId": HAIKU, "messages": MESSAGES})
        stub.add_client_error("converse", "ThrottlingException", http_status_code=429)
        assert client.converse(modelId=HAIKU, messages=MESSAGES)["output"] == stubbed["output"]
        with pytest.raises(ClientError) as info:
            client.converse(modelId=HAIKU, messages=MESSAGES)
    assert info.value.response["Error"]["Code"] == "ThrottlingException"
    assert client.converse(modelId=HAIKU, messages=MESSAGES)["output"] == ANSWER["output"]


def test_botocores_debug_log_of_handlers_is_kept(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    client = runtime_client(settings.with_overrides({"endpoint_url": "http://127.0.0.1:9"}))
    Wire(client)
    client.converse(modelId=HAIKU, messages=MESSAGES)
    with caplog.at_level(logging.DEBUG, logger="botocore.hooks"):
        client.converse(modelId=HAIKU, messages=MESSAGES)
    called = [r.getMessage() for r in caplog.records if "calling handler" in r.getMessage()]
    assert any("Event needs-retry.bedrock-runtime.Converse" in m for m in called)
    assert any("Event request-created.bedrock-runtime.Converse" in m for m in called)


def _emitters() -> tuple[Any, Any]:
    """Two aliasers over emitters with the same handlers; the first dispatches directly."""
    pair = []
    for _ in range(2):
        aliaser: Any = EventAliaser(HierarchicalEmitter())
        aliaser.register("before-call.api-gateway", lambda **kw: None)
        aliaser.register("before-call.api-gateway.Op", lambda event_name, **kw: event_name)
        aliaser.register("after-call.*", lambda **kw: None)
        aliaser.register("after-call.*", lambda **kw: None)
        pair.append(aliaser)
    client: Any = type("Client", (), {})()
    client.meta = type("Meta", (), {"events": pair[0]})()
    assert use_direct_events(client)
    assert not use_direct_events(client), "put under a client once"
    return pair[0], pair[1]


def test_emit_answers_as_botocores_emitter() -> None:
    direct, stock = _emitters()
    # An aliased service name (apigateway -> api-gateway), handlers that answer and do not.
    names = ["before-call.apigateway.Op", "after-call.x.Op", "nothing.here", "before-call.x"]
    for _ in range(2):  # the first fills the table, the second is answered from it
        for name in names:
            ours = direct.emit(name, a=1)
            theirs = stock.emit(name, a=1)
            assert [r for _, r in ours] == [r for _, r in theirs]
            assert len(ours) == len(theirs)
            ours_until = direct.emit_until_response(name, a=1)
            theirs_until = stock.emit_until_response(name, a=1)
            assert (ours_until[0] is None, ours_until[1]) == (
                theirs_until[0] is None,
                theirs_until[1],
            )
    assert direct.emit_until_response("before-call.apigateway.Op")[1] == (
        "before-call.api-gateway.Op"
    )
    handlers = direct._emitter._lookup_cache["after-call.x.Op"]
    assert direct.emit_until_response("after-call.x.Op") == (handlers[-1], None)
    assert isinstance(direct.emit, type(DirectEvents(stock).emit))


def test_a_client_whose_emitter_is_not_botocores_is_left_alone() -> None:
    client: Any = type("Client", (), {})()
    client.meta = type("Meta", (), {"events": HierarchicalEmitter()})()
    assert not use_direct_events(client)
    assert "emit" not in client.meta.events.__dict__


emulator = pytest.importorskip("tierwise.emulator")


def test_the_async_client_dispatches_directly_on_the_loop(settings: Settings) -> None:
    base = settings
    with emulator.Emulator(base, port=0) as emu:
        s = base.with_overrides({"endpoint_url": emu.url})
        seen: list[str] = []

        async def main() -> list[str]:
            async with AsyncBedrockClient(s) as client:
                runtime: Any = client.sync.runtime_client
                answers = [await client.converse([HAIKU], {"messages": MESSAGES})]
                spy = Spy(client.sync.runtime_client)
                answers.append(await client.converse([HAIKU], {"messages": MESSAGES}))
                direct_calls = spy.calls
                runtime.meta.events.register(
                    "before-call.bedrock-runtime.Converse", lambda **_: seen.append("ran")
                )
                answers.append(await client.converse([HAIKU], {"messages": MESSAGES}))
                stream = await client.converse_stream([HAIKU], {"messages": MESSAGES})
                async with stream:
                    kinds = [next(iter(event)) async for event in stream]
                assert direct_calls == 0
                return [a.response["stopReason"] for a in answers] + kinds[-2:]

        out = asyncio.run(main())
    assert out[:3] == ["end_turn"] * 3
    assert out[3:] == ["messageStop", "metadata"]
    assert seen == ["ran"]

"""A templated call's answer (tierwise.bedrock.responding) is botocore's answer.

The emulator's real answers (Converse, CountTokens, a ConverseStream's whole event stream,
each fault it injects, a validation error) are recorded once, then replayed to a client
with every fast path and to one without request templates (botocore's own response
steps); each call's parsed answer (ResponseMetadata with the HTTP headers and retry
metadata, usage, metrics, the stream's events) or raised error (class, code, message,
status, the whole response) must be the same, and the templated client's 2xx answers must
not have gone through botocore's ``_do_get_response`` (its non-2xx answers must).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import botocore.endpoint
import pytest
from bedrock_testdata import HAIKU, MESSAGES
from botocore.exceptions import ClientError, ConnectionClosedError
from botocore.history import get_global_history_recorder
from wire_capture import ERROR_ANSWERS, NOON, REQUEST, Replay, Wire, record_answers

import tierwise.bedrock.templates as templates
from tierwise.bedrock.responding import Answers
from tierwise.bedrock.session import runtime_client
from tierwise.config import Settings

emulator = pytest.importorskip("tierwise.emulator")

FOUNDATION = "anthropic.claude-haiku-4-5-20251001-v1:0"  # what CountTokens takes
FAULTS = ["throttle", "unavailable", "internal", "model_not_ready", "access_denied", "model_error"]
Answer = tuple[int, dict[str, str], bytes]
# REQUEST's text (non-ASCII, white space) without its image, which the emulator refuses.
ASKED = {
    "messages": [*REQUEST["messages"][:-1], {"role": "user", "content": [{"text": "\u00e9 \t"}]}],
    "system": REQUEST["system"],
    "inferenceConfig": REQUEST["inferenceConfig"],
}


@pytest.fixture(autouse=True)
def fixed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: NOON)
    monkeypatch.setattr("uuid.uuid4", lambda: uuid.UUID(int=7))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")


def _invoke(client: Any, operation: str) -> Any:
    if operation == "count_tokens":
        return client.count_tokens(modelId=FOUNDATION, input={"converse": {"messages": MESSAGES}})
    if operation == "invalid":
        return client.converse(
            modelId=HAIKU, messages=MESSAGES, inferenceConfig={"maxTokens": 10**7}
        )
    return getattr(client, operation)(modelId=HAIKU, **ASKED)


@pytest.fixture(scope="module")
def wire_answers() -> dict[str, list[Answer]]:
    """The emulator's answers on the wire, per case (three of each)."""
    from tierwise.config import load_settings

    settings = load_settings(environ={}).settings
    kept: dict[str, list[Answer]] = {}
    with pytest.MonkeyPatch.context() as m, emulator.Emulator(settings, port=0) as emu:
        m.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        m.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        client = runtime_client(settings.with_overrides({"endpoint_url": emu.url}))
        answers = record_answers(client)
        cases = [(op, None) for op in ("converse", "count_tokens", "converse_stream", "invalid")]
        cases += [("converse", fault) for fault in FAULTS]
        for operation, fault in cases:
            del answers[:]
            for _ in range(3):
                if fault is not None:
                    emu.inject(fault)
                try:
                    answer = _invoke(client, operation)
                    if operation == "converse_stream":
                        list(answer["stream"])
                except ClientError:
                    pass
            kept[f"{operation}-{fault}" if fault else operation] = list(answers)
    assert all(body for answers in kept.values() for _, _, body in answers)
    statuses = {case: {answer[0] for answer in answers} for case, answers in kept.items()}
    assert statuses == {
        "converse": {200},
        "count_tokens": {200},
        "converse_stream": {200},
        "invalid": {400},
        **{
            f"converse-{f}": {s}
            for f, s in zip(FAULTS, (429, 503, 500, 429, 403, 424), strict=True)
        },
    }
    return kept


class Counted:
    """Counts the answers of ``client``'s HTTP send (installed after it) that botocore's
    own response steps read (``convert_to_response_dict``, once or twice an answer)."""

    def __init__(self, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        session = client._endpoint.http_session
        send = session.send
        answered: list[Any] = []
        self.read: set[int] = set()
        self.calls = 0

        def noted(request: Any) -> Any:
            answered.append(send(request))
            return answered[-1]

        def convert(http_response: Any, operation_model: Any) -> Any:
            if any(http_response is mine for mine in answered) and (
                id(http_response) not in self.read
            ):
                self.read.add(id(http_response))
                self.calls += 1
            return stock(http_response, operation_model)

        stock = botocore.endpoint.convert_to_response_dict
        session.send = noted
        monkeypatch.setattr(botocore.endpoint, "convert_to_response_dict", convert)


def _pair(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    settings = settings.with_overrides({"endpoint_url": "http://127.0.0.1:9"})
    ours = runtime_client(settings)
    with monkeypatch.context() as m:
        m.setattr(templates, "use_request_templates", lambda client: False)
        stock = runtime_client(settings)
    assert isinstance(ours._make_api_call.__self__._answers, Answers)
    return ours, stock


def _warmed(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """:func:`_pair` on the emulator's wire, past the two Converse calls that make ours
    its template (the tests count what botocore does after that)."""
    ours, stock = _pair(settings, monkeypatch)
    for client in (ours, stock):
        Wire(client)
    list(_outcomes((ours, stock), "converse", 2))
    return ours, stock


def _outcome(client: Any, operation: str) -> Any:
    try:
        answer = _invoke(client, operation)
    except ClientError as exc:
        return (type(exc).__name__, exc.operation_name, str(exc), exc.response)
    if operation == "converse_stream":
        answer = dict(answer)
        answer["events"] = list(answer.pop("stream"))
    return answer


def _outcomes(clients: tuple[Any, Any], operation: str, n: int = 3) -> Iterator[tuple[Any, Any]]:
    for _ in range(n):
        yield _outcome(clients[0], operation), _outcome(clients[1], operation)


@pytest.mark.parametrize(
    "case",
    ["converse", "count_tokens", "converse_stream", "invalid", *(f"converse-{f}" for f in FAULTS)],
)
def test_answers_are_botocores_over_the_emulators_wire(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    wire_answers: dict[str, list[Answer]],
    case: str,
) -> None:
    operation = case.split("-", maxsplit=1)[0]
    recorded = wire_answers[case]
    ours, stock = _pair(settings, monkeypatch)
    wires = [Replay(ours, recorded), Replay(stock, recorded)]
    counted = Counted(ours, monkeypatch)
    # the first call goes botocore's whole way (its request template is made from it)
    outcomes = list(_outcomes((ours, stock), operation, 1))
    counted.calls = 0
    outcomes += _outcomes((ours, stock), operation, 2)
    for mine, theirs in outcomes:
        assert mine == theirs
    assert wires[0].sent == wires[1].sent
    status = {answer[0] for answer in recorded}
    assert len(status) == 1
    if 200 <= min(status) < 300:
        assert counted.calls == 0, "the templated calls' answers were botocore's steps"
        assert {"usage", "inputTokens", "events"} & set(outcomes[-1][0]), "the answer's body"
        metadata = outcomes[-1][0]["ResponseMetadata"]
        assert metadata["HTTPHeaders"]["x-amzn-requestid"] == metadata["RequestId"]
        assert metadata["RetryAttempts"] == 0
    else:
        assert counted.calls == 2, "an error answer is botocore's to read"
        assert outcomes[-1][0][3]["ResponseMetadata"]["HTTPStatusCode"] == min(status)


@pytest.mark.parametrize(("status", "body"), ERROR_ANSWERS)
def test_error_answers_are_raised_as_botocore_raises_them(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, status: int, body: dict[str, Any]
) -> None:
    ours, stock = _pair(settings, monkeypatch)
    for client in (ours, stock):
        Wire(client)
    list(_outcomes((ours, stock), "converse", 2))  # the template, from a good answer
    wires = [Wire(ours, status, body), Wire(stock, status, body)]
    counted = Counted(ours, monkeypatch)
    mine, theirs = next(_outcomes((ours, stock), "converse", 1))
    assert mine == theirs
    assert mine[3]["ResponseMetadata"]["HTTPStatusCode"] == status
    assert counted.calls == 1, "handed to botocore's steps, not sent again"
    assert wires[0].sent == wires[1].sent and len(wires[0].sent) == 1


def test_send_failures_are_botocores(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    ours, stock = _warmed(settings, monkeypatch)
    raised = []
    for client in (ours, stock):

        def broken(request: Any) -> Any:
            raise ConnectionClosedError(endpoint_url=request.url)

        client._endpoint.http_session.send = broken
        with pytest.raises(ConnectionClosedError) as info:
            client.converse(modelId=HAIKU, **REQUEST)
        raised.append(str(info.value))
    assert raised[0] == raised[1]


def _handler_before_parse(client: Any, seen: list[str]) -> Any:
    def before_parse(event_name: str, response_dict: Any, **_: Any) -> None:
        seen.append(event_name)
        response_dict["headers"]["x-seen"] = "yes"

    client.meta.events.register("before-parse.bedrock-runtime.Converse", before_parse)
    return before_parse


def test_a_handler_on_the_answer_sends_answers_botocores_way(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, stock = _warmed(settings, monkeypatch)
    seen: list[list[str]] = [[], []]
    handlers = [_handler_before_parse(c, log) for c, log in zip((ours, stock), seen, strict=True)]
    counted = Counted(ours, monkeypatch)
    outcomes = list(_outcomes((ours, stock), "converse", 1))
    counted.calls = 0  # (the first also answers response-received's lookup botocore's way)
    outcomes += _outcomes((ours, stock), "converse", 2)
    assert counted.calls == 2
    assert seen[0] == seen[1] == ["before-parse.bedrock-runtime.Converse"] * 3
    for mine, theirs in outcomes:
        assert mine == theirs
        assert mine["ResponseMetadata"]["HTTPHeaders"]["x-seen"] == "yes"
    for client, handler in zip((ours, stock), handlers, strict=True):
        client.meta.events.unregister("before-parse.bedrock-runtime.Converse", handler)
    list(_outcomes((ours, stock), "converse", 3))
    assert counted.calls == 3, "once the handler is gone: one call botocore's way, then not"


def test_history_and_debug_logging_send_answers_botocores_way(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ours, _ = _warmed(settings, monkeypatch)
    counted = Counted(ours, monkeypatch)
    history = get_global_history_recorder()
    records: list[str] = []

    class Handler:
        def emit(self, event_type: str, payload: Any, source: str) -> None:
            records.append(event_type)

    history.add_handler(Handler())
    history.enable()
    try:
        _outcome(ours, "converse")
    finally:
        history.disable()
        history._handlers.clear()
    assert counted.calls == 1
    assert {"HTTP_RESPONSE", "PARSED_RESPONSE"} <= set(records)
    with caplog.at_level(logging.DEBUG, logger="botocore.parsers"):
        _outcome(ours, "converse")
    assert counted.calls == 2
    assert any("Response body" in r.getMessage() for r in caplog.records)
    _outcome(ours, "converse")
    assert counted.calls == 2


def test_the_kill_switch_leaves_botocores_send(settings: Settings) -> None:
    off = settings.with_overrides(
        {"endpoint_url": "http://127.0.0.1:9", "retry": {"botocore_fast_paths": False}}
    )
    client: Any = runtime_client(off)
    assert "_send" not in vars(client._endpoint)
    assert "_make_api_call" not in vars(client)


def test_whole_calls_through_the_emulator(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tierwise.bedrock import BedrockClient

    with emulator.Emulator(settings, port=0) as emu:
        client = BedrockClient(settings.with_overrides({"endpoint_url": emu.url}))
        counted = Counted(client.runtime_client, monkeypatch)
        answers = [client.converse([HAIKU], {"messages": MESSAGES}) for _ in range(3)]
        streams = []
        for _ in range(2):
            with client.converse_stream([HAIKU], {"messages": MESSAGES}) as stream:
                streams.append([next(iter(event)) for event in stream.events])
    assert [a.response["stopReason"] for a in answers] == ["end_turn"] * 3
    assert streams[0] == streams[1] and streams[0][-2:] == ["messageStop", "metadata"]
    assert counted.calls == 2, "one per operation: the call its template was made from"


def test_new_parser_defaults_send_answers_botocores_way(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, _ = _warmed(settings, monkeypatch)
    counted = Counted(ours, monkeypatch)
    _outcome(ours, "converse")
    assert counted.calls == 0
    ours._endpoint._response_parser_factory.set_parser_defaults(blob_parser=bytes)
    _outcome(ours, "converse")
    assert counted.calls == 1, "botocore makes its parser with the new defaults"

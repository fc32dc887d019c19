"""A templated call's 2xx answer is not put to botocore's ``needs-retry`` event: with
botocore's standard retry handler as its only handler and one attempt allowed, its answer
is known (no retry; the answer marked MaxAttemptsReached), and the event cost ~40 k
instructions a call. Everything else still asks the event: error answers (so retry
classification is botocore's), a handler of a user's, the retry module's debug log. A
client without templates is the reference throughout."""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import Any

import pytest
from bedrock_testdata import HAIKU, MESSAGES
from botocore.exceptions import ClientError
from wire_capture import ERROR_ANSWERS, NOON, REQUEST, Wire

import tierwise.bedrock.templates as templates
from tierwise.bedrock.session import runtime_client
from tierwise.config import Settings


@pytest.fixture(autouse=True)
def fixed(monkeypatch: pytest.MonkeyPatch) -> list[datetime.datetime]:
    now = [NOON]
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: now[0])
    monkeypatch.setattr("uuid.uuid4", lambda: uuid.UUID(int=7))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    return now


def _pair(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    settings = settings.with_overrides({"region": "us-east-1"})
    ours = runtime_client(settings)
    with monkeypatch.context() as m:
        m.setattr(templates, "use_request_templates", lambda client: False)
        stock = runtime_client(settings)
    return ours, stock


class Asked:
    """Counts a client's needs-retry asks (Endpoint._needs_retry), answering as before."""

    def __init__(self, client: Any) -> None:
        self.calls = 0
        endpoint = client._endpoint
        real = endpoint._needs_retry

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return real(*args, **kwargs)

        endpoint._needs_retry = counted


def _call(client: Any, operation: str) -> Any:
    try:
        if operation == "count_tokens":
            return client.count_tokens(
                modelId="anthropic.claude-haiku-4-5-20251001-v1:0",
                input={"converse": {"messages": MESSAGES}},
            )
        answer = getattr(client, operation)(modelId=HAIKU, **REQUEST)
    except ClientError as exc:
        return (type(exc).__name__, exc.operation_name, exc.response)
    if operation == "converse_stream":
        answer = dict(answer)
        answer["events"] = list(answer.pop("stream"))
    return answer


@pytest.mark.parametrize("operation", ["converse", "converse_stream", "count_tokens"])
def test_a_templated_2xx_answer_is_not_put_to_needs_retry(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    fixed: list[datetime.datetime],
    operation: str,
) -> None:
    ours, stock = _pair(settings, monkeypatch)
    body: dict[str, Any] = {} if operation == "converse_stream" else {"inputTokens": 5}
    if operation == "converse":
        body = {
            "output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 10, "outputTokens": 3, "totalTokens": 13},
            "metrics": {"latencyMs": 12},
        }
    Wire(ours, body=body)
    Wire(stock, body=body)
    asked = Asked(ours)
    for _ in range(3):
        mine, theirs = _call(ours, operation), _call(stock, operation)
        assert mine == theirs
        assert mine["ResponseMetadata"]["MaxAttemptsReached"] is True
        assert mine["ResponseMetadata"]["RetryAttempts"] == 0
        fixed[0] += datetime.timedelta(seconds=1)
    assert asked.calls == 1, "only the first call (botocore's way, making the template) asks"


@pytest.mark.parametrize(("status", "body"), ERROR_ANSWERS)
def test_an_error_answer_still_asks_needs_retry(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    fixed: list[datetime.datetime],
    status: int,
    body: dict[str, Any],
) -> None:
    """Throttling, validation, 5xx and untyped errors: botocore's classification decides,
    and the error is raised as without templates (MaxAttemptsReached where botocore sets
    it)."""
    ours, stock = _pair(settings, monkeypatch)
    Wire(ours)
    Wire(stock)
    assert _call(ours, "converse") == _call(stock, "converse")  # the template, from a 2xx
    Wire(ours, status, body)
    Wire(stock, status, body)
    asked = Asked(ours)
    mine, theirs = _call(ours, "converse"), _call(stock, "converse")
    assert asked.calls == 1
    assert mine == theirs
    assert mine[2]["ResponseMetadata"]["HTTPStatusCode"] == status


def test_a_users_needs_retry_handler_sees_every_answer(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, fixed: list[datetime.datetime]
) -> None:
    ours, stock = _pair(settings, monkeypatch)
    Wire(ours)
    Wire(stock)
    assert _call(ours, "converse") == _call(stock, "converse")
    seen: list[int] = []

    def mine(**kwargs: Any) -> None:
        seen.append(kwargs["attempts"])

    for client in (ours, stock):
        client.meta.events.register("needs-retry.bedrock-runtime.Converse", mine)
    for _ in range(2):
        assert _call(ours, "converse") == _call(stock, "converse")
        fixed[0] += datetime.timedelta(seconds=1)
    assert seen == [1] * 4  # each client's two calls


def test_the_retry_modules_debug_log_is_kept(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ours, stock = _pair(settings, monkeypatch)
    Wire(ours)
    Wire(stock)
    _call(ours, "converse")
    asked = Asked(ours)
    with caplog.at_level(logging.DEBUG, logger="botocore.retries.standard"):
        assert _call(ours, "converse") == _call(stock, "converse")
    assert asked.calls == 1
    logged = [r.getMessage() for r in caplog.records if r.name == "botocore.retries.standard"]
    assert logged.count("Not retrying request.") == 2  # one per client


def test_another_retry_handler_is_asked(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, fixed: list[datetime.datetime]
) -> None:
    """A standard handler allowing more than one attempt (not what tierwise configures,
    but what a template must not assume): asked on every call."""
    ours, _ = _pair(settings, monkeypatch)
    (handler,) = ours.meta.events._emitter._handlers.prefix_search(
        "needs-retry.bedrock-runtime.Converse"
    )
    conditions = handler.__self__._retry_policy._retry_checker
    monkeypatch.setattr(conditions._max_attempts_checker, "_max_attempts", 2)
    Wire(ours)
    asked = Asked(ours)
    for _ in range(2):
        _call(ours, "converse")
        fixed[0] += datetime.timedelta(seconds=1)
    assert asked.calls == 2

"""The access log: one structured line per request through every door, errors and streams
included, never prompt text or secrets; and ``tierwise serve --log-level/--log-format``."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest

from live_server import free_port
from tierwise.core.tiers import Tier
from tierwise.gateway.logs import JsonFormatter, TextFormatter, configure_logging

SECRET_PROMPT = "the launch code is swordfish-4471"


@pytest.fixture
def access(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    caplog.set_level(logging.INFO, logger="tierwise.access")
    records: list[logging.LogRecord] = []
    yield records


def _lines(caplog: pytest.LogCaptureFixture, count: int) -> list[dict[str, Any]]:
    """The access lines, waiting briefly: a stream's line is written after its last byte."""
    deadline = time.monotonic() + 5
    while True:
        found = [r for r in caplog.records if r.name == "tierwise.access"]
        if len(found) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert len(found) == count, [getattr(r, "access", None) for r in found]
    for record in found:  # neither format may carry the prompt or the key
        for formatter in (TextFormatter(), JsonFormatter()):
            line = formatter.format(record)
            assert "swordfish" not in line and "tw_" not in line and "\n" not in line
    return [r.access for r in found]  # type: ignore[attr-defined]


def test_each_door_writes_one_line(gateway: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tierwise.access")
    oai = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=gateway.key, max_retries=0)
    ant = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
    messages: Any = [{"role": "user", "content": f"Summarise: {SECRET_PROMPT}"}]
    oai.chat.completions.create(model="haiku", messages=messages)
    for _ in oai.chat.completions.create(model="auto", messages=messages, stream=True):
        pass
    ant.messages.create(model="sonnet", max_tokens=64, messages=messages)
    lines = _lines(caplog, 3)
    chat, stream, messages_line = lines
    assert chat["door"] == "openai" and chat["path"] == "/v1/chat/completions"
    assert chat["key"] == "main" and chat["model"] == "haiku" and chat["tier"] == "haiku"
    assert chat["status"] == 200 and chat["stream"] is False and chat["attempts"] == 1
    assert chat["input_tokens"] > 0 and chat["output_tokens"] > 0
    assert float(chat["cost_usd"]) > 0 and len(chat["request_id"]) >= 16
    assert chat["latency_ms"] >= chat["overhead_ms"] >= 0 and chat["error"] is None
    assert stream["stream"] is True and stream["model"] == "auto" and stream["status"] == 200
    assert stream["tier"] in ("haiku", "sonnet", "opus") and stream["output_tokens"] > 0
    assert float(stream["cost_usd"]) > 0 and stream["overhead_ms"] is not None
    assert messages_line["door"] == "anthropic" and messages_line["tier"] == "sonnet"
    assert messages_line["key"] == "main" and messages_line["input_tokens"] > 0
    # Every line is a distinct request, matching the ledger's request ids.
    assert len({x["request_id"] for x in lines}) == 3


def test_errors_are_logged_by_class(gateway: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tierwise.access")
    oai = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=gateway.key, max_retries=0)
    messages: Any = [{"role": "user", "content": SECRET_PROMPT}]
    no_budget = openai.OpenAI(
        base_url=f"{gateway.url}/v1", api_key=gateway.new_key(), max_retries=0
    )
    with pytest.raises(openai.NotFoundError):
        no_budget.chat.completions.create(model="anthropic.no-such-model-v1:0", messages=messages)
    bad_key = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="tw_wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad_key.chat.completions.create(model="haiku", messages=messages)
    gateway.emulator.inject(kind="throttle", count=100)
    with pytest.raises(openai.RateLimitError):
        oai.chat.completions.create(model="haiku", messages=messages)
    nowhere = httpx.get(f"{gateway.url}/no/such/path")
    missing, unauthenticated, throttled, unknown = _lines(caplog, 4)
    assert missing["status"] == 404 and missing["error"] == "ModelNotAvailableError"
    assert missing["model"] == "anthropic.no-such-model-v1:0" and missing["request_id"]
    assert missing["key"] == "test"
    assert unauthenticated["status"] == 401 and unauthenticated["error"] == "AuthenticationError"
    # A request that reached no model still has an id, and the client got it.
    assert unauthenticated["key"] is None and unauthenticated["request_id"]
    assert unknown["request_id"] == nowhere.headers["x-tierwise-request-id"]
    assert throttled["status"] == 429 and throttled["key"] == "main"
    assert throttled["error"] in ("ExhaustedError", "ThrottledError")
    assert unknown["status"] == 404 and unknown["door"] is None and unknown["method"] == "GET"


@pytest.mark.parametrize("then", ["rejected", "throttled"])
def test_a_failure_after_billed_calls_logs_their_tokens_and_cost(
    gateway: Any, caplog: pytest.LogCaptureFixture, then: str
) -> None:
    """A request that fails after billed calls (haiku's answer rejected, then sonnet's
    rejected too or throttled) logs those calls' tokens and cost, as the ledger has them;
    the line had none, so the access log under-counted spend."""
    caplog.set_level(logging.INFO, logger="tierwise.access")
    gateway.emulator.misbehave("invalid_json", tier="haiku")
    if then == "rejected":
        gateway.emulator.misbehave("invalid_json", tier="sonnet")
    else:
        ts = gateway.tierwise.settings.tiers[Tier.SONNET]
        for profile in (ts.model_id, *ts.alternates):
            gateway.emulator.inject("throttle", count=100, model_id=profile)
    oai = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=gateway.key, max_retries=0)
    schema = {"type": "object", "properties": {"t": {"type": "string"}}, "required": ["t"]}
    with pytest.raises(openai.APIStatusError) as caught:
        oai.chat.completions.create(
            model="haiku",
            messages=[{"role": "user", "content": SECRET_PROMPT}],
            response_format={"type": "json_schema", "json_schema": {"name": "t", "schema": schema}},
            extra_headers={"x-tierwise-escalate": "true", "x-tierwise-max-tier": "sonnet"},
        )
    assert caught.value.status_code == (422 if then == "rejected" else 429)
    (line,) = _lines(caplog, 1)
    rows = gateway.tierwise.ledger.rows(request_id=line["request_id"])
    assert sum(r.cost_usd for r in rows) > 0
    assert Decimal(line["cost_usd"]) == sum(r.cost_usd for r in rows)
    assert line["output_tokens"] == sum(r.output_tokens for r in rows)
    assert line["attempts"] == len(rows)


def test_request_ids_have_one_format(gateway: Any, caplog: pytest.LogCaptureFixture) -> None:
    # A request that reached a model had its ledger id (bare hex), one refused before any
    # call had "req_<hex>": two formats to grep and join on. Both are the ledger's now.
    caplog.set_level(logging.INFO, logger="tierwise.access")
    body = {"model": "haiku", "messages": [{"role": "user", "content": "hi"}]}
    called = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        json=body,
        headers={"authorization": f"Bearer {gateway.key}"},
        timeout=30,
    )
    refused = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        json=body,
        headers={"authorization": "Bearer tw_wrong"},
        timeout=30,
    )
    health = httpx.get(f"{gateway.url}/healthz")
    assert (called.status_code, refused.status_code, health.status_code) == (200, 401, 200)
    lines = _lines(caplog, 3)
    ids = [line["request_id"] for line in lines]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids), ids
    assert ids[0] == gateway.tierwise.ledger.rows()[-1].request_id
    assert ids[1] == refused.headers["x-tierwise-request-id"]


def test_no_lines_below_the_level(gateway: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="tierwise.access")
    httpx.get(f"{gateway.url}/healthz")
    assert not [r for r in caplog.records if r.name == "tierwise.access"]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide logging: put it back for the other tests."""
    root = logging.getLogger()
    names = ("tierwise", "uvicorn", "uvicorn.access")
    saved = (list(root.handlers), root.level, {n: logging.getLogger(n).level for n in names})
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def test_formats_parse(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    logging.getLogger("tierwise.access").info(
        "access", extra={"access": {"status": 200, "key": "a b", "cost_usd": "0.1"}}
    )
    logging.getLogger("tierwise.gateway").warning("plain message")
    logging.getLogger("botocore.endpoint").info("never shown: library INFO")
    configure_logging("info", "text", stream=stream)
    logging.getLogger("tierwise.access").info(
        "access", extra={"access": {"status": 200, "key": 'say "hi"', "error": None}}
    )
    first, second, third = stream.getvalue().splitlines()
    parsed = json.loads(first)
    assert parsed["status"] == 200 and parsed["key"] == "a b" and parsed["level"] == "info"
    assert json.loads(second)["message"] == "plain message"
    assert third.endswith('INFO tierwise.access status=200 key="say \\"hi\\""')
    assert shlex.split(third.split("tierwise.access ", 1)[1]) == ["status=200", 'key=say "hi"']


def _serve(tmp_path: Path, *args: str) -> list[str]:
    """Run ``tierwise serve --emulate`` as a user would, send two requests, stop it; its
    stderr lines."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERWISE_")}
    env["TIERWISE_LEDGER__URL"] = f"sqlite:///{tmp_path / 'serve.db'}"
    command = [sys.executable, "-m", "tierwise", "serve", "--emulate", "--no-auth"]
    proc = subprocess.Popen(
        [*command, "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0)
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, "serve did not start"
                time.sleep(0.1)
        client.chat.completions.create(
            model="haiku", messages=[{"role": "user", "content": SECRET_PROMPT}]
        )
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "swordfish" not in err
    return err.splitlines()


def test_serve_json_logs(tmp_path: Path) -> None:
    lines = [json.loads(x) for x in _serve(tmp_path, "--log-format", "json")]  # all JSON
    access = [x for x in lines if x["logger"] == "tierwise.access"]
    assert [(x["path"], x["status"]) for x in access] == [
        ("/healthz", 200),
        ("/v1/chat/completions", 200),
    ]
    assert access[1]["tier"] == "haiku" and access[1]["output_tokens"] > 0
    assert any("SYNTHETIC" in x["message"] and x["level"] == "warning" for x in lines)


def test_serve_log_level_warning_has_no_access_lines(tmp_path: Path) -> None:
    lines = _serve(tmp_path, "--log-level", "warning")
    assert not [x for x in lines if "tierwise.access" in x]
    assert any("SYNTHETIC" in x for x in lines)  # the banner is not a log line in text mode


def test_workers_log_as_configured(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, restore_logging: None
) -> None:
    """`serve --workers N` passes its log settings to each worker through the environment;
    the worker factory installs the same handler."""
    from tierwise.gateway.app import app_from_environment

    monkeypatch.setenv("TIERWISE_GATEWAY__LOG_FORMAT", "json")
    monkeypatch.setenv("TIERWISE_GATEWAY__LOG_LEVEL", "warning")
    monkeypatch.setenv("TIERWISE_LEDGER__URL", f"sqlite:///{tmp_path / 'w.db'}")
    app_from_environment()
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_tierwise_handler", False)]
    assert len(ours) == 1 and isinstance(ours[0].formatter, JsonFormatter)
    assert logging.getLogger("tierwise").level == logging.WARNING
    assert not logging.getLogger("tierwise.access").isEnabledFor(logging.INFO)


def test_an_unexpected_error_is_logged_without_its_message(
    restore_logging: None, default_settings: Any, tmp_path: Path
) -> None:
    # Starlette raises again what the app's last handler answered, for the server to log:
    # uvicorn logged the traceback with the exception's message, which can quote the prompt.
    import threading

    import uvicorn

    from tierwise.client import Tierwise
    from tierwise.gateway import create_app

    stream = io.StringIO()
    configure_logging("info", "text", stream=stream)  # as `tierwise serve` does
    tw = Tierwise.from_settings(default_settings, ledger_url=f"sqlite:///{tmp_path / 'l.db'}")
    app = create_app(default_settings, tierwise=tw, auth=False)

    async def leaky(request: Any) -> Any:
        raise RuntimeError(f"could not parse {SECRET_PROMPT!r}")

    app.add_route("/leaky", leaky, methods=["POST"])
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.02)
        r = httpx.post(f"http://127.0.0.1:{port}/leaky", json={"q": 1}, timeout=10)
        assert r.status_code == 500 and SECRET_PROMPT not in r.text
        time.sleep(0.3)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        tw.close()
    logged = stream.getvalue()
    assert "RuntimeError" in logged and "in leaky" in logged  # where, for debugging
    assert "swordfish" not in logged, logged

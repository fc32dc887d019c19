"""A prompt over the model's context window, or a max_tokens above its output limit, is a
400 on every door before any call or ledger row (Bedrock refused both after a round trip,
which left an error row), naming the window or the limit and the count."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tierwise.cli.app import _run
from tierwise.errors import Api, ContextWindowError, InvalidRequestError
from tierwise.gateway.errors import Dialect, error_reply

# ~4 characters a token: 1,200,000 characters are about 300,000 tokens, over a 200k window
# by more than the refusal's margin (a prompt within it is Bedrock's to refuse).
LONG = "word " * 240_000
HAIKU_WINDOW = (
    r"the prompt is about 300,0\d\d tokens, over Claude Haiku 4\.5's context window of 200,000 "
)
HAIKU_OUTPUT = "maxTokens 100,000 is above Claude Haiku 4.5's output limit of 64,000 tokens"


def _counts(gateway: Any) -> tuple[int, int]:
    return gateway.emulator.stats["total"], len(gateway.tierwise.ledger.rows())


def _post(gateway: Any, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        gateway.url + path, json=body, headers={"authorization": f"Bearer {gateway.key}"},
        timeout=60,
    )  # fmt: skip


DOORS = [
    ("/v1/chat/completions", lambda text, cap: {
        "model": "haiku", "max_tokens": cap, "messages": [{"role": "user", "content": text}]}),
    ("/v1/responses", lambda text, cap: {
        "model": "haiku", "max_output_tokens": cap, "input": text}),
    ("/v1/messages", lambda text, cap: {
        "model": "haiku", "max_tokens": cap, "messages": [{"role": "user", "content": text}]}),
]  # fmt: skip


@pytest.mark.parametrize(("path", "body"), DOORS)
def test_doors_refuse_what_the_model_cannot_take_before_bedrock(
    gateway: Any, path: str, body: Any
) -> None:
    before = _counts(gateway)
    for text, cap, expected in [(LONG, 100, HAIKU_WINDOW), ("hi", 100_000, HAIKU_OUTPUT)]:
        r = _post(gateway, path, body(text, cap))
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert re.match(re.escape(expected) if cap > 64_000 else expected, error["message"]), error
    assert _counts(gateway) == before


def test_the_client_refuses_what_the_model_cannot_take_before_bedrock(gateway: Any) -> None:
    before = _counts(gateway)
    for text, cap, expected in [(LONG, 100, HAIKU_WINDOW), ("hi", 100_000, HAIKU_OUTPUT)]:
        request = {
            "messages": [{"role": "user", "content": [{"text": text}]}],
            "inferenceConfig": {"maxTokens": cap},
        }
        for call in (gateway.tierwise.converse, gateway.tierwise.converse_stream):
            with pytest.raises(InvalidRequestError) as refused:
                call(modelId="haiku", **request)
            assert re.match(re.escape(expected) if cap > 64_000 else expected, str(refused.value))
    # Sonnet 4.5 takes 1M tokens with the beta: the hint says so, and with it the call goes.
    sonnet = {"messages": [{"role": "user", "content": [{"text": LONG}]}]}
    with pytest.raises(InvalidRequestError) as refused:
        gateway.tierwise.converse(modelId="sonnet", **sonnet)
    assert "takes 1,000,000 with the context-1m-2025-08-07 beta" in refused.value.hint
    assert _counts(gateway) == before
    beta = {"anthropic_beta": ["context-1m-2025-08-07"]}
    answer = gateway.tierwise.converse(
        modelId="sonnet", additionalModelRequestFields=beta, **sonnet
    )
    assert answer["stopReason"]


def test_the_cli_refuses_a_max_tokens_the_tier_cannot_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No endpoint is reachable: the refusal must come before any call.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    args = ["--db", db, "--endpoint-url", "http://127.0.0.1:9", "converse", "--tier", "haiku",
            "--max-tokens", "100000", "hi"]  # fmt: skip
    assert _run(args) == 1
    err = capsys.readouterr().err
    assert f"error: {HAIKU_OUTPUT}" in err, err
    assert "ask for at most 64,000 output tokens" in err
    # The hint named only the OpenAI and Anthropic APIs' fields, none a CLI or Python
    # caller sends.
    assert "--max-tokens in the CLI" in err and "inferenceConfig.maxTokens in Converse" in err


def test_each_door_says_how_its_own_api_asks_for_the_larger_window(gateway: Any) -> None:
    # Sonnet 4.5 takes the prompt with the 1M-context beta: the hint says how to ask in the
    # caller's API. The OpenAI APIs have no field for it, so their hint names none of
    # Anthropic's or Converse's (the last session saw the anthropic-beta header there).
    sonnet = {path: body(LONG, 100) | {"model": "sonnet"} for path, body in DOORS}
    for path in ("/v1/chat/completions", "/v1/responses"):
        message = _post(gateway, path, sonnet[path]).json()["error"]["message"]
        assert "takes 1,000,000 with the context-1m-2025-08-07 beta" in message, message
        assert "only the Anthropic Messages API asks for" in message, message
        assert "anthropic-beta" not in message and "additionalModelRequestFields" not in message
    message = _post(gateway, "/v1/messages", sonnet["/v1/messages"]).json()["error"]["message"]
    assert "context-1m-2025-08-07 beta (with the anthropic-beta header)" in message, message
    assert "additionalModelRequestFields" not in message


def test_the_larger_window_hint_is_keyed_by_the_api_type() -> None:
    # in_api took a string ("openai", "anthropic", "converse"): any other string, a
    # capitalised one included, silently got the OpenAI APIs' wording. It takes Api now,
    # and each door passes its own.
    err = ContextWindowError(
        "the prompt is about 300,000 tokens, over Claude Sonnet 4.5's context window",
        base_hint="shorten it",
        model="Claude Sonnet 4.5",
        long_context=1_000_000,
        beta="context-1m-2025-08-07",
    )
    worded = {api: err.in_api(api) for api in Api}
    assert worded[Api.CONVERSE].endswith("(with additionalModelRequestFields.anthropic_beta))")
    assert worded[Api.ANTHROPIC].endswith("(with the anthropic-beta header))")
    assert "only the Anthropic Messages API asks for" in worded[Api.OPENAI]
    assert err.hint in worded[Api.CONVERSE]  # the Python client's own hint is Converse's
    for dialect, api in ((Dialect.ANTHROPIC, Api.ANTHROPIC), (Dialect.OPENAI, Api.OPENAI)):
        body = json.loads(error_reply(err, dialect).body)
        assert body["error"]["message"].startswith(worded[api]), body


@pytest.mark.parametrize(("path", "body"), DOORS)
def test_a_door_points_to_get_v1_models_for_a_larger_window(
    gateway: Any, path: str, body: Any
) -> None:
    # Gateway clients were told to run the CLI's `tierwise models`, which they may not have.
    message = _post(gateway, path, body(LONG, 100)).json()["error"]["message"]
    assert "a model with a larger window (GET /v1/models lists them)" in message, message
    assert "tierwise models" not in message
    hint = ContextWindowError("x", base_hint="y", model="m", long_context=None, beta="b").hint
    assert hint == "y (`tierwise models` lists them)"  # the Python client's and the CLI's

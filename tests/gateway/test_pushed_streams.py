"""Streamed events relayed in the upstream connection's callback (``Relay.pushes``) put the
same bytes on the wire, through every door, as the relay's task reading each batch.

A live gateway (uvicorn, whose send the pushed events go through) in front of the emulator,
its streams paced so that each event arrives on its own: every request is sent twice, with
the push path off and on, and the two bodies compared byte for byte, once the values that
differ between any two requests (request ids, timestamps, ledger row ids) are masked. Each
comparison also requires that events went the pushed way (a text stream's, a quarter of its
chunks at least), so it cannot pass by the push path having been skipped."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from live_server import emulated_gateway
from tierwise.config import Settings
from tierwise.emulator.pacing import Pacing
from tierwise.gateway.streaming import Relay

# The values two identical requests do not share: ids (request ids, with or without
# dashes, and what the doors build from them), timestamps, the ledger row's id.
_VARYING = (
    (re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), b"<uuid>"),
    (re.compile(rb"[0-9a-f]{32}"), b"<hex>"),
    (re.compile(rb'"(created|created_at)":\d+'), rb'"\1":0'),
    (re.compile(rb"ledger_id=\d+"), b"ledger_id=0"),
)

_USER = [{"role": "user", "content": "Write three sentences about rivers and deltas."}]
_WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
_ASK_TOOL = [{"role": "user", "content": "Use get_weather for the weather in Paris."}]

# (door path, body): plain text with usage at the end, a tool call, thinking, for each door.
_REQUESTS: dict[str, tuple[str, dict[str, Any]]] = {
    "openai-text-usage": (
        "/v1/chat/completions",
        {"model": "auto", "messages": _USER, "stream_options": {"include_usage": True}},
    ),
    "openai-tool": (
        "/v1/chat/completions",
        {
            "model": "sonnet",
            "messages": _ASK_TOOL,
            "tools": [{"type": "function", "function": _WEATHER}],
            "tool_choice": "required",
        },
    ),
    "openai-thinking": (
        "/v1/chat/completions",
        {"model": "sonnet", "messages": _USER, "reasoning_effort": "low", "max_tokens": 3000},
    ),
    "anthropic-text": (
        "/v1/messages",
        {"model": "auto", "messages": _USER, "max_tokens": 400},
    ),
    "anthropic-tool": (
        "/v1/messages",
        {
            "model": "sonnet",
            "messages": _ASK_TOOL,
            "max_tokens": 400,
            "tools": [
                {
                    "name": _WEATHER["name"],
                    "description": _WEATHER["description"],
                    "input_schema": _WEATHER["parameters"],
                }
            ],
            "tool_choice": {"type": "any"},
        },
    ),
    "anthropic-thinking": (
        "/v1/messages",
        {
            "model": "sonnet",
            "messages": _USER,
            "max_tokens": 3000,
            "thinking": {"type": "enabled", "budget_tokens": 1024},
        },
    ),
    "responses-text": ("/v1/responses", {"model": "auto", "input": _USER[0]["content"]}),
    "responses-tool": (
        "/v1/responses",
        {
            "model": "sonnet",
            "input": _ASK_TOOL[0]["content"],
            "tools": [{"type": "function", **_WEATHER}],
            "tool_choice": "required",
        },
    ),
}


@pytest.fixture(scope="module")
def live(
    default_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, Any]]:
    db: Path = tmp_path_factory.mktemp("pushed") / "ledger.db"
    overrides = {"retry.base_delay_s": 0.0, "retry.max_attempts": 1}
    with emulated_gateway(default_settings, db, overrides) as gw:
        _, secret = gw.keys.create("pushed")
        # Paced: each event is its own read, as at a real model's pace.
        gw.emulator.faults.pacing = Pacing.parse("ttft_ms=0,tps=150")
        yield gw.url, secret, gw.emulator


@pytest.fixture
def pushed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the events the relays took in the connection's callback."""
    counts: list[int] = []
    original: Callable[[Relay, list[Any]], bool] = Relay._pushed

    def counting(self: Relay, batch: list[Any]) -> bool:
        counts.append(len(batch))
        return original(self, batch)

    monkeypatch.setattr(Relay, "_pushed", counting)
    return counts


def _masked(body: bytes) -> bytes:
    for pattern, mask in _VARYING:
        body = pattern.sub(mask, body)
    return body


def _post(url: str, secret: str, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
    headers = {"authorization": f"Bearer {secret}", "anthropic-version": "2023-06-01"}
    response = httpx.post(url + path, json={**body, "stream": True}, headers=headers, timeout=60)
    return response.status_code, response.content


def _both_ways(
    live: tuple[str, str, Any], pushed: list[int], path: str, body: dict[str, Any]
) -> tuple[bytes, bytes]:
    url, secret, _ = live
    Relay.pushes = False
    try:
        status_off, off = _post(url, secret, path, body)
    finally:
        Relay.pushes = True
    assert not pushed
    status_on, on = _post(url, secret, path, body)
    assert status_off == status_on == 200
    return off, on


@pytest.mark.parametrize("name", sorted(_REQUESTS))
def test_pushed_events_put_the_same_bytes_on_the_wire(
    live: tuple[str, str, Any], pushed: list[int], name: str
) -> None:
    path, body = _REQUESTS[name]
    off, on = _both_ways(live, pushed, path, body)
    assert _masked(on) == _masked(off)
    # The first event leaves from the request's task and the end is the batches' way; paced
    # events between were taken in the connection's callback (how many depends on how the
    # machine's load lets them arrive: a tool call's few events may come together).
    assert pushed
    if name.endswith(("-text", "-text-usage")):
        assert sum(pushed) >= off.count(b"\n\n") // 4, (pushed, off.count(b"\n\n"))


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages", "/v1/responses"])
def test_an_error_mid_stream_is_the_same_error_chunk_after_the_same_events(
    live: tuple[str, str, Any], pushed: list[int], path: str
) -> None:
    emulator = live[2]
    emulator.faults.cut_stream_after = 12  # then Bedrock's modelStreamErrorException
    try:
        body = {"model": "auto", "messages": _USER, "max_tokens": 400}
        if path == "/v1/responses":
            body = {"model": "auto", "input": _USER[0]["content"]}
        off, on = _both_ways(live, pushed, path, body)
    finally:
        emulator.faults.cut_stream_after = None
    assert b"error" in off.rsplit(b"\n\n", 3)[-3] + off.rsplit(b"\n\n", 3)[-2]
    assert _masked(on) == _masked(off)
    assert pushed

"""The engine's ``cancel`` for a gateway call: a plain flag, looked at (is the client still
there?) only when a fallback or an escalation would follow, not watched by a task on every
call. A client that has hung up by then still stops them."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from live_server import EmulatedGateway, emulated_gateway
from tierwise.client import AsyncTierwise
from tierwise.config import Settings
from tierwise.core.tiers import Tier
from tierwise.errors import AnswerRejectedError, ExhaustedError
from tierwise.gateway.service import Call, Gateway, HungUp

Message = dict[str, Any]


def _gateway(engine: Any) -> Any:
    gw = Gateway.__new__(Gateway)  # only the engine: converse() needs nothing else
    gw.engine = engine
    return gw


class Server:
    """An ASGI ``receive`` after the body: each of ``ready`` at once, then, unless the
    client has gone, a wait for a message that never comes."""

    def __init__(self, *ready: Message, gone: bool = False) -> None:
        self.ready = list(ready)
        self.gone = gone
        self.calls = 0
        self.waiting = asyncio.Event()

    async def receive(self) -> Message:
        self.calls += 1
        if self.ready:
            return self.ready.pop(0)
        if self.gone:
            return {"type": "http.disconnect"}
        await self.waiting.wait()  # never set: the client stays
        raise AssertionError("unreachable")


def test_a_call_that_neither_fails_over_nor_escalates_asks_the_server_nothing() -> None:
    """No task waits on ``receive`` for an ordinary call (one cost ~41 k instructions a
    call); the engine gets a clear flag it is no threading.Event."""
    seen: list[Any] = []

    class Engine:
        async def converse(self, **kwargs: Any) -> dict[str, Any]:
            for _ in range(10):  # turns in which a watcher task would have read receive
                await asyncio.sleep(0)
            seen.append(kwargs["cancel"])
            return {"model": kwargs["modelId"]}

    async def main() -> tuple[dict[str, Any], int]:
        server = Server(gone=True)
        gw = _gateway(Engine())
        answer = await gw.converse(Call(None, 0.0, server.receive), modelId="haiku")
        await asyncio.sleep(0)
        return answer, server.calls

    assert asyncio.run(main()) == ({"model": "haiku"}, 0)
    (cancel,) = seen
    assert isinstance(cancel, HungUp) and not isinstance(cancel, threading.Event)
    assert not cancel.is_set()


def test_a_look_sees_a_hang_up_the_server_has_had() -> None:
    async def main() -> tuple[bool, int]:
        server = Server(gone=True)
        flag = HungUp(server.receive)
        await flag.look()
        await flag.look()  # once seen, not asked again
        return flag.is_set(), server.calls

    assert asyncio.run(main()) == (True, 1)


def test_a_look_skips_other_messages_to_the_hang_up() -> None:
    async def main() -> bool:
        stale: Message = {"type": "http.request", "body": b"", "more_body": False}
        flag = HungUp(Server(stale, stale, gone=True).receive)
        await flag.look()
        return flag.is_set()

    assert asyncio.run(main())


def test_a_look_leaves_a_client_still_there_alone() -> None:
    """The look does not wait for the next message: the receive it started is stopped,
    leaving nothing waiting on the server."""

    async def main() -> tuple[bool, int, int]:
        stale: Message = {"type": "http.request", "body": b"", "more_body": False}
        server = Server(stale)
        flag = HungUp(server.receive)
        await asyncio.wait_for(flag.look(), 10)
        return flag.is_set(), server.calls, len(server.waiting._waiters or ())  # type: ignore[attr-defined]

    assert asyncio.run(main()) == (False, 2, 0)


def test_a_failing_receive_leaves_the_flag_clear() -> None:
    async def receive() -> Message:
        raise RuntimeError("the server's receive failed")

    async def main() -> bool:
        flag = HungUp(receive)
        await flag.look()
        return flag.is_set()

    assert not asyncio.run(main())


def test_without_a_receive_nothing_is_looked_at() -> None:
    flag = HungUp()
    asyncio.run(flag.look())
    assert not flag.is_set()


def test_only_a_look_sets_the_flag() -> None:
    # The engine only reads a cancel; a setter nothing calls would be a second way in.
    assert not hasattr(HungUp(), "set")


# -- the async engine: a look before its fallback and its escalation ---------------------

SCHEMA = {"type": "object", "properties": {"label": {"type": "string"}}, "required": ["label"]}
JSON_PROMPT = "Answer in JSON with a label for: 'the app crashes on start'."


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


@pytest.mark.parametrize("stream", [False, True])
def test_a_client_gone_before_the_fallback_stops_it(
    emu_settings: Settings, ledger_url: str, live_emulator: Any, stream: bool
) -> None:
    async def main(server: Server) -> Any:
        async with AsyncTierwise.from_settings(emu_settings, ledger_url=ledger_url) as tw:
            for profile in tw.profiles(Tier.HAIKU):
                live_emulator.inject(
                    kind="throttle", count=tw.settings.retry.max_attempts, model_id=profile
                )
            call = tw.converse_stream if stream else tw.converse
            try:
                result = await call(
                    modelId="haiku", messages=user("hi"), cancel=HungUp(server.receive)
                )
            except ExhaustedError as exc:
                return exc
            if stream:
                async for _ in result["stream"]:
                    pass
            return result["tierwise"]

    there = Server()
    info = asyncio.run(main(there))
    assert there.calls == 1  # looked once, before the fallback
    assert [(a["tier"], a["outcome"]) for a in info["attempts"]] == [
        ("haiku", "error"),
        ("sonnet", "accepted"),
    ]
    gone = Server(gone=True)
    assert isinstance(asyncio.run(main(gone)), ExhaustedError)
    assert gone.calls == 1


def test_a_client_gone_before_the_escalation_stops_it(
    emu_settings: Settings, ledger_url: str, live_emulator: Any
) -> None:
    live_emulator.misbehave("invalid_json", tier="haiku")

    async def main(server: Server) -> Any:
        async with AsyncTierwise.from_settings(emu_settings, ledger_url=ledger_url) as tw:
            try:
                response = await tw.converse(
                    modelId="haiku", messages=user(JSON_PROMPT), validate={"json_schema": SCHEMA},
                    escalate=True, cancel=HungUp(server.receive),
                )  # fmt: skip
            except AnswerRejectedError as exc:
                assert exc.response is not None
                return exc.response["tierwise"]
            return response["tierwise"]

    there = Server()
    info = asyncio.run(main(there))
    assert info["escalated"] and there.calls == 1
    gone = Server(gone=True)
    (attempt,) = asyncio.run(main(gone))["attempts"]
    assert (attempt["tier"], attempt["outcome"]) == ("haiku", "rejected")
    assert attempt["reason"].endswith("not escalated: the caller has gone")
    assert gone.calls == 1


# -- through the gateway: uvicorn's receive ----------------------------------------------


@pytest.fixture(scope="module")
def live(
    default_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmulatedGateway]:
    db: Path = tmp_path_factory.mktemp("hungup") / "ledger.db"
    overrides = {"retry.base_delay_s": 0.0, "retry.max_attempts": 1}
    with emulated_gateway(default_settings, db, overrides) as gw:
        yield gw


BODY = {
    "model": "haiku", "max_tokens": 100,
    "messages": [{"role": "user", "content": JSON_PROMPT}],
    "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": SCHEMA}},
}  # fmt: skip


@pytest.mark.parametrize("hang_up", [False, True])
def test_a_client_that_hangs_up_during_the_first_attempt_gets_no_escalation(
    live: EmulatedGateway, hang_up: bool
) -> None:
    """The first answer (haiku's, invalid JSON) comes after the client has gone: it is
    rejected and ledgered, and not escalated; a client still there gets sonnet's."""
    live.emulator.misbehave("invalid_json", tier="haiku")
    live.emulator.faults.latency_ms = 1500
    key, secret = live.keys.create(f"hangup-{hang_up}", budget_usd=Decimal("10"))
    headers = {"authorization": f"Bearer {secret}", "x-tierwise-escalate": "true"}
    _, admin = live.keys.create(f"admin-{hang_up}", admin=True)

    def counted() -> float:
        text = httpx.get(live.url + "/metrics", headers={"authorization": f"Bearer {admin}"}).text
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(("tierwise_requests_total{", "tierwise_errors_total{"))
        )

    before = counted()
    try:
        if hang_up:
            with pytest.raises(httpx.ReadTimeout):
                httpx.post(
                    live.url + "/v1/chat/completions", json=BODY, headers=headers, timeout=0.4
                )
            # The request has ended when the gateway has counted it (an error or an answer).
            deadline = time.monotonic() + 30
            while counted() == before and time.monotonic() < deadline:
                time.sleep(0.05)
        else:
            reply = httpx.post(
                live.url + "/v1/chat/completions", json=BODY, headers=headers, timeout=30
            )
            assert reply.status_code == 200, reply.text
    finally:
        live.emulator.faults.latency_ms = 0
        live.emulator.reset()
    rows = sorted(
        (r for r in live.tierwise.ledger.rows() if r.api_key_id == key.id), key=lambda r: r.attempt
    )
    if hang_up:
        assert [(r.tier, r.status) for r in rows] == [("haiku", "rejected")]
    else:
        assert [(r.tier, r.status) for r in rows] == [("haiku", "rejected"), ("sonnet", "ok")]
    current = live.keys.get(key.id)
    assert current is not None and current.reserved_usd == 0

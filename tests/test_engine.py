"""The call engine: its per-attempt seam, deadlines, the async driver, and the machine alone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, cast

import pytest

from tierwise.client import AsyncTierwise, Tierwise
from tierwise.config import Settings
from tierwise.core.tiers import Tier
from tierwise.engine import (
    AfterAttempt,
    Attempt,
    BeforeAttempt,
    Deadline,
    Effect,
    Engine,
    Invoke,
    Record,
    Result,
    Settled,
    Settlement,
    drive,
)
from tierwise.errors import (
    BudgetExceededError,
    DeadlineExceededError,
    ExhaustedError,
    ThrottledError,
)


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


class Journal:
    """An AttemptHooks that writes down what it is told, and can refuse a tier."""

    def __init__(self, refuse: Tier | None = None) -> None:
        self.refuse = refuse
        self.lines: list[tuple[Any, ...]] = []
        self.settlements: list[Settlement] = []

    def before_attempt(self, attempt: Attempt, deadline: Deadline) -> None:
        tier = attempt.tier.value if attempt.tier else None
        self.lines.append(("before", attempt.number, attempt.kind, tier, attempt.stream))
        assert attempt.request["messages"], "the hook sees the request as sent"
        if attempt.tier is self.refuse:
            raise BudgetExceededError(f"no budget for {tier}")

    def after_attempt(self, settlement: Settlement) -> None:
        row = settlement.row
        self.lines.append(("after", settlement.attempt.number, row.tier, row.status))
        assert row.id is not None, "the row is stored before the hook hears of it"
        self.settlements.append(settlement)


@pytest.fixture
def journal() -> Journal:
    return Journal()


@pytest.fixture
def tw(emu_settings: Settings, ledger_url: str, journal: Journal) -> Iterator[Tierwise]:
    with Tierwise.from_settings(emu_settings, ledger_url=ledger_url, hooks=[journal]) as client:
        yield client


def _throttle(tw: Tierwise, emulator: Any, tier: Tier) -> None:
    for profile in tw.profiles(tier):
        emulator.inject(kind="throttle", count=tw.settings.retry.max_attempts, model_id=profile)


def test_hooks_see_every_attempt_of_a_fallback(
    tw: Tierwise, journal: Journal, live_emulator: Any
) -> None:
    _throttle(tw, live_emulator, Tier.SONNET)
    tw.converse(modelId="sonnet", messages=user("hi"))
    assert journal.lines == [
        ("before", 1, "answer", "sonnet", False),
        ("after", 1, "sonnet", "error"),
        ("before", 2, "answer", "opus", False),
        ("after", 2, "opus", "ok"),
    ]
    assert isinstance(journal.settlements[0].error, ExhaustedError)
    assert journal.settlements[1].cost_usd > 0


def test_a_stream_settles_when_it_ends(tw: Tierwise, journal: Journal) -> None:
    response = tw.converse_stream(modelId="haiku", messages=user("hi"))
    assert journal.lines == [("before", 1, "answer", "haiku", True)]
    list(response["stream"])
    assert journal.lines[-1] == ("after", 1, "haiku", "ok")
    (settled,) = journal.settlements
    assert settled.usage.output > 0 and settled.row.id == response["tierwise"]["ledgerId"]


def test_self_checks_are_attempts_too(tw: Tierwise, journal: Journal) -> None:
    tw.converse(
        modelId="haiku",
        messages=user("Answer in JSON: the label of 'app crashes'."),
        validate={"json_schema": {"type": "object"}, "self_verify": True},
    )
    kinds = [line[2] for line in journal.lines if line[0] == "before"]
    assert kinds == ["answer", "self_verify"]


def test_a_hook_refusal_stops_the_request_before_the_call(
    emu_settings: Settings, ledger_url: str, live_emulator: Any
) -> None:
    journal = Journal(refuse=Tier.HAIKU)
    with Tierwise.from_settings(emu_settings, ledger_url=ledger_url, hooks=[journal]) as tw:
        with pytest.raises(BudgetExceededError) as info:
            tw.converse(modelId="haiku", messages=user("hi"))
        assert info.value.request_id is not None
        assert tw.ledger.rows(request_id=info.value.request_id) == []
    assert sum(live_emulator.stats["calls"].values()) == 0, "Bedrock was never called"


def test_an_expired_deadline_starts_no_attempt(tw: Tierwise, live_emulator: Any) -> None:
    with pytest.raises(DeadlineExceededError, match="deadline"):
        tw.converse(modelId="haiku", messages=user("hi"), deadline=Deadline(-1))
    assert sum(live_emulator.stats["calls"].values()) == 0


def test_async_client_calls_and_streams_fall_back_like_the_sync_one(
    emu_settings: Settings, ledger_url: str, live_emulator: Any
) -> None:
    async def main() -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        async with AsyncTierwise.from_settings(emu_settings, ledger_url=ledger_url) as tw:
            for profile in tw.profiles(Tier.SONNET):
                live_emulator.inject(
                    kind="throttle", count=tw.settings.retry.max_attempts, model_id=profile
                )
            called = (await tw.converse(modelId="sonnet", messages=user("hi")))["tierwise"]
            live_emulator.reset()
            for profile in tw.profiles(Tier.SONNET):
                live_emulator.inject(
                    kind="throttle", count=tw.settings.retry.max_attempts, model_id=profile
                )
            response = await tw.converse_stream(modelId="sonnet", messages=user("hi"))
            kinds = [next(iter(e)) async for e in response["stream"]]
            return called, response["tierwise"], kinds

    called, streamed, kinds = asyncio.run(main())
    chain = [(a["tier"], a["outcome"]) for a in called["attempts"]]
    assert chain == [("sonnet", "error"), ("opus", "accepted")]
    assert [(a["tier"], a["outcome"]) for a in streamed["attempts"]] == chain
    assert kinds[0] == "messageStart" and kinds[-1] == "metadata"
    assert streamed["ledgerId"] is not None and streamed["usage"]["outputTokens"] > 0


def test_async_validated_stream_is_judged_then_replayed(
    emu_settings: Settings, ledger_url: str, live_emulator: Any
) -> None:
    live_emulator.misbehave("invalid_json", tier="haiku")

    async def main() -> tuple[str, dict[str, Any]]:
        async with AsyncTierwise.from_settings(emu_settings, ledger_url=ledger_url) as tw:
            response = await tw.converse_stream(
                modelId="haiku",
                messages=user("Answer in JSON with a label for 'the app crashes'."),
                validate={"json_schema": {"type": "object"}},
                escalate=True,
            )
            text = "".join(
                [
                    e["contentBlockDelta"]["delta"].get("text", "")
                    async for e in response["stream"]
                    if "contentBlockDelta" in e
                ]
            )
            return text, response["tierwise"]

    text, info = asyncio.run(main())
    assert text.lstrip().startswith("{")
    assert [a["tier"] for a in info["attempts"]] == ["haiku", "sonnet"]


# -- the machine alone: no I/O, effects answered by hand -----------------------------------


def _machine(tw: Tierwise, **options: Any) -> Engine:
    plan = tw.plan("haiku", {"messages": user("hi")})
    return Engine.build(tw.planner, tw.accountant, plan, request_id="r1", **options)


def test_the_machine_asks_for_each_call_and_falls_back_upward(tw: Tierwise) -> None:
    engine = _machine(tw, stream=True)
    invoked: list[tuple[str | None, bool]] = []

    def perform(effect: Effect) -> Any:
        if isinstance(effect, Invoke):
            attempt = effect.attempt
            invoked.append((attempt.tier.value if attempt.tier else None, attempt.stream))
            if attempt.tier is Tier.HAIKU:
                return Settled(attempt.profiles[0], 5.0, 5.0, error=ThrottledError("busy"))
            return Settled(attempt.profiles[0], 7.0, 7.0, stream="opened")
        if isinstance(effect, Record):
            return replace(effect.row, id=len(invoked))
        assert isinstance(effect, BeforeAttempt | AfterAttempt)
        return None

    opened = drive(engine.run({"messages": user("hi")}), perform)
    assert not isinstance(opened, Result)
    assert invoked == [("haiku", True), ("sonnet", True)]
    assert opened.stream == "opened" and opened.upstream_ms == 12.0
    assert [(s.tier, s.outcome) for s in engine.steps] == [("haiku", "error")]


def test_async_attempts_are_awaited_without_asyncio_wait(
    emu_settings: Settings, ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An attempt is awaited until it ends or the deadline passes by one waiter and one
    timer (``drivers._within``), not asyncio.wait's sets and callbacks (~20 k instructions
    a call): the answer and its row as before; a call cut off goes on and is ledgered."""
    real_wait = asyncio.wait
    waited: list[int] = []

    async def counting(fs: Any, **kwargs: Any) -> Any:
        waited.append(len(fs))
        return await real_wait(fs, **kwargs)

    monkeypatch.setattr(asyncio, "wait", counting)

    async def main() -> dict[str, Any]:
        async with AsyncTierwise.from_settings(emu_settings, ledger_url=ledger_url) as tw:
            return cast(dict[str, Any], (await tw.converse(modelId="haiku", messages=user("hi"))))

    answer = asyncio.run(main())
    assert waited == []
    assert answer["tierwise"]["attempts"][0]["outcome"] == "accepted"
    assert answer["tierwise"]["ledgerId"] is not None


def test_within_returns_at_the_end_or_the_timeout_and_never_cancels() -> None:
    from tierwise.engine.drivers import _within

    async def main() -> None:
        loop = asyncio.get_running_loop()
        quick = asyncio.ensure_future(asyncio.sleep(0.01, "done"))
        await _within(quick, 5.0)
        assert quick.result() == "done"
        slow = asyncio.ensure_future(asyncio.sleep(5.0))
        started = loop.time()
        await _within(slow, 0.02)
        assert not slow.done() and loop.time() - started < 2.0  # the timeout, not the task
        waiting = asyncio.ensure_future(_within(slow, None))
        await asyncio.sleep(0.01)
        waiting.cancel()  # the waiter's caller gives up: the task itself goes on
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert not slow.cancelled() and not slow.done()
        slow.cancel()

    asyncio.run(main())

"""Cache-aware routing end to end against the emulator (whose prompt cache counts reads and
writes as Bedrock does), with in-process and Redis-shared state."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from redis_namespace import RedisNamespace, redis_namespace
from tierwise.cache_state import MemoryCacheState, RedisCacheState
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.budgets import worst_case_usage
from tierwise.core.cache_aware import Prefix
from tierwise.core.hints import Hints
from tierwise.core.thinking import DEFAULT_ANSWER_TOKENS
from tierwise.core.tiers import Tier
from tierwise.errors import ConfigError

DOC = (
    "Policy 4.2: refunds on annual plans are prorated by month and go to the original "
    "payment method. "
) * 2000  # ~48k tokens
SYSTEM = [{"text": "You label support tickets with one label only: billing, technical, "
                   "account. Reference policies:\n" + DOC}]  # fmt: skip


def ticket(text: str) -> dict[str, Any]:
    return {"system": SYSTEM, "messages": [{"role": "user", "content": [{"text": text}]}]}


@pytest.fixture
def tw(emu_settings: Settings, ledger_url: str) -> Iterator[Tierwise]:
    with Tierwise.from_settings(emu_settings, ledger_url=ledger_url) as client:
        yield client


def test_a_warm_sonnet_prefix_wins_over_a_cold_haiku(tw: Tierwise) -> None:
    cold = tw.converse(modelId="haiku", **ticket("Ticket: I was charged twice this month."))
    tw.cache_router.state = type(tw.cache_router.state)()  # forget what that call warmed
    assert tw.route(ticket("Ticket: the app will not start.")).tier.value == "haiku"
    # another service pins Sonnet on the same prefix, warming Sonnet's cache
    tw.converse(modelId="sonnet", **ticket("Ticket: my invoice is wrong."))
    tw.converse(modelId="sonnet", **ticket("Ticket: please refund me."))
    routed = tw.converse(**ticket("Ticket: the app will not start."))
    info = routed["tierwise"]
    assert info["tier"] == "sonnet"
    cache = info["route"]["cache"]
    assert cache["preferred"] == "haiku" and cache["tier"] == "sonnet"
    assert "haiku allowed" in info["route"]["reasons"][-1]
    assert routed["usage"].get("cacheReadInputTokens", 0) > 40_000
    # and it really was cheaper than the cold haiku call it replaced
    costs = {o["tier"]: float(o["cost_usd"]) for o in cache["options"]}
    assert costs["sonnet"] < costs["haiku"]
    assert float(info["costUsd"]) < float(cold["tierwise"]["costUsd"])
    # the ledger keeps the choice, so spend reports can show what it saved
    from tierwise.core.spend import report
    from tierwise.reports import spend_rows

    summary = report(spend_rows(tw.ledger.rows()), tw.settings.all_rates())
    assert summary.cache_aware_moves == 1
    assert float(summary.cache_aware_saved) == pytest.approx(float(cache["saving_usd"]))
    assert summary.to_dict()["savings"]["cache_aware_moves"] == 1


def test_cache_awareness_can_be_turned_off(emu_settings: Settings, ledger_url: str) -> None:
    settings = emu_settings.with_overrides({"cache_state.enabled": False})
    with Tierwise.from_settings(settings, ledger_url=ledger_url) as tw:
        tw.converse(modelId="sonnet", **ticket("Ticket: my invoice is wrong."))
        tw.converse(modelId="sonnet", **ticket("Ticket: please refund me."))
        routed = tw.converse(**ticket("Ticket: the app will not start."))
        assert routed["tierwise"]["tier"] == "haiku"
        assert "cache" not in routed["tierwise"]["route"]


def test_warm_prefixes_expire_with_their_ttl() -> None:
    now = [0.0]
    state = MemoryCacheState(clock=lambda: now[0])
    state.mark("m", [Prefix(5000, "5m", "a"), Prefix(9000, "1h", "b")])
    assert state.warm("m", ["a", "b", "c"]) == {"a", "b"}
    assert state.warm("other-model", ["a"]) == set()
    now[0] = 301.0
    assert state.warm("m", ["a", "b"]) == {"b"}
    now[0] = 3601.0
    assert state.warm("m", ["a", "b"]) == set()
    state.set_conversation_tier("c1", "sonnet")
    assert state.conversation_tier("c1") == "sonnet"


def test_a_conversation_stays_where_its_cache_is(tw: Tierwise) -> None:
    logs = "ERROR 12:00:01 worker-3 timeout talking to the ledger database. " * 400
    history = [
        {"role": "user", "content": [{"text": "Review this incident report. " + DOC[:60000]}]},
        {"role": "assistant", "content": [{"text": "Here is my review."}]},
        {"role": "user", "content": [{"text": "Here are the logs, go deeper: " + logs}]},
    ]
    first = tw.converse(modelId="sonnet", messages=history)
    assert first["usage"]["cacheWriteInputTokens"] > 10_000
    turn = [*history, {"role": "assistant", "content": [{"text": "Done."}]},
            {"role": "user", "content": [{"text": "thanks!"}]}]  # fmt: skip
    assert tw.route({"messages": turn}).tier.value == "haiku"  # alone, it is chit-chat
    second = tw.converse(messages=turn)
    cache = second["tierwise"]["route"]["cache"]
    assert second["tierwise"]["tier"] == "sonnet"
    assert cache["preferred"] == "haiku" and cache["tier"] == "sonnet"
    assert second["usage"]["cacheReadInputTokens"] > 10_000  # the conversation's cache, read


@pytest.fixture
def redis_ns() -> Iterator[RedisNamespace]:
    """A namespace of the test's own on the shared test database (TIERWISE_TEST_REDIS)."""
    with redis_namespace(os.environ.get("TIERWISE_TEST_REDIS", "redis://127.0.0.1:6379/15")) as ns:
        yield ns


def test_two_gateways_share_warm_state_through_redis(
    emu_settings: Settings, tmp_path: Any, redis_ns: RedisNamespace
) -> None:
    settings = emu_settings.with_overrides(redis_ns.overrides)
    a = Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp_path / 'a.db'}")
    b = Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp_path / 'b.db'}")
    try:
        # replica A warms Sonnet's cache
        a.converse(modelId="sonnet", **ticket("Ticket: my invoice is wrong."))
        a.converse(modelId="sonnet", **ticket("Ticket: please refund me."))
        # replica B has never seen this prefix itself, but Redis tells it Sonnet is warm
        routed = b.converse(**ticket("Ticket: the app will not start."))
        assert routed["tierwise"]["tier"] == "sonnet"
        assert routed["tierwise"]["route"]["cache"]["preferred"] == "haiku"
    finally:
        a.close()
        b.close()


def test_deployments_with_their_own_key_prefix_share_one_redis_but_not_its_state(
    emu_settings: Settings, tmp_path: Any, redis_ns: RedisNamespace
) -> None:
    # staging warms Sonnet's cache; production, on the same Redis under its own prefix, has
    # seen nothing of it and routes the ticket to Haiku, as a replica on its own memory would
    with redis_namespace(redis_ns.url) as other:
        staging = emu_settings.with_overrides(redis_ns.overrides)
        production = emu_settings.with_overrides(other.overrides)
        with Tierwise.from_settings(staging, ledger_url=f"sqlite:///{tmp_path / 's.db'}") as tw:
            tw.converse(modelId="sonnet", **ticket("Ticket: my invoice is wrong."))
            tw.converse(modelId="sonnet", **ticket("Ticket: please refund me."))
        assert redis_ns.keys() and not other.keys()
        ledger = f"sqlite:///{tmp_path / 'p.db'}"
        with Tierwise.from_settings(production, ledger_url=ledger) as tw:
            assert (
                tw.converse(**ticket("Ticket: the app won't start."))["tierwise"]["tier"] == "haiku"
            )
        assert other.keys()
        # a second staging replica, same prefix, does read it
        ledger = f"sqlite:///{tmp_path / 's2.db'}"
        with Tierwise.from_settings(staging, ledger_url=ledger) as tw:
            assert (
                tw.converse(**ticket("Ticket: the app won't start."))["tierwise"]["tier"]
                == "sonnet"
            )


@pytest.mark.parametrize("bad", ["", "two words", "x" * 201])
def test_a_key_prefix_with_spaces_or_none_at_all_is_refused(
    emu_settings: Settings, bad: str
) -> None:
    with pytest.raises(ConfigError, match=r"key_prefix.*without spaces"):
        emu_settings.with_overrides({"cache_state.key_prefix": bad})


def test_the_request_window_and_its_age_drive_the_forecast() -> None:
    now = [100.0]
    state = MemoryCacheState(clock=lambda: now[0])
    assert state.seen("p", 300) == (0, 0.0)
    now[0] = 102.5
    assert state.seen("p", 300) == (1, 2.5)
    now[0] = 401.0  # the window closed: a new one opens
    assert state.seen("p", 300) == (0, 0.0)


def test_redis_counts_a_prefixs_requests_and_its_window_age(redis_ns: RedisNamespace) -> None:
    state = RedisCacheState(redis_ns.url, prefix=redis_ns.key_prefix)
    try:
        assert state.seen("p", 300) == (0, 0.0)
        count, age = state.seen("p", 300)
        assert count == 1 and 0.0 <= age < 5.0  # the window opened a moment ago
    finally:
        state.close()


def test_a_redis_outage_falls_back_to_local_state() -> None:
    dead = RedisCacheState("redis://127.0.0.1:1/0", retry_after_s=60)
    prefix = Prefix(5000, "5m", "k")
    dead.mark("m", [prefix])  # no exception: the mark lands in local memory
    assert dead.degraded
    assert dead.warm("m", ["k"]) == {"k"}
    dead.set_conversation_tier("c", "opus")
    assert dead.conversation_tier("c") == "opus"
    dead.close()


def test_a_busy_prefix_writes_the_routed_tiers_copy_instead_of_reading_a_dearer_one(
    tw: Tierwise,
) -> None:
    # Sonnet's copy of the prefix is warm (another service pins Sonnet); routed questions
    # want Haiku. The first has nothing to forecast from and reads Sonnet's copy; the second
    # arrives moments later, so many more are due within the TTL, and Haiku's copy is
    # written once for them (before, a write waited until as many had been seen, and the
    # dearer reads in between were paid on top of it).
    tw.converse(modelId="sonnet", **ticket("Ticket: my invoice is wrong."))
    tiers, reads = [], []
    for text in ("the app will not start.", "I was charged twice.", "password reset fails."):
        answer = tw.converse(**ticket(f"Ticket: {text}"))
        tiers.append(answer["tierwise"]["tier"])
        reads.append(answer["usage"].get("cacheReadInputTokens", 0))
        assert answer["tierwise"]["route"]["cache"]["preferred"] == "haiku"
    assert tiers == ["sonnet", "haiku", "haiku"]
    assert reads[0] > 40_000 and reads[1] == 0 and reads[2] > 40_000


class _LateOnce:
    """A Redis client whose next reply, once ``late`` is set, comes after the socket timeout
    (as one does on a loaded machine): the call raises ``redis.TimeoutError``."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.late = False

    def __getattr__(self, name: str) -> Any:
        import redis

        attr = getattr(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.late:
                self.late = False
                raise redis.TimeoutError("Timeout reading from socket")
            return attr(*args, **kwargs)

        return call if callable(attr) else attr


@pytest.mark.parametrize(("gap_s", "second"), [(1.0, "haiku"), (250.0, "sonnet")])
def test_a_late_redis_reply_keeps_the_reuse_forecast(
    emu_settings: Settings, tmp_path: Any, redis_ns: RedisNamespace, gap_s: float, second: str
) -> None:
    # bench/cache_aware.py's back-to-back RAG run under load: one Redis reply later than the
    # 0.25 s socket timeout puts a replica on its own memory for 5 s, where the prefix's
    # requests were not counted, so it forecast no reuse and a busy prefix's easy question
    # read Sonnet's warm copy instead of writing Haiku's once (1.0003x of class routing).
    # With its own count, the same requests choose the same tiers with or without the late
    # reply; and a second question long after the first (reuse unlikely) still reads Sonnet.
    import redis

    settings = emu_settings.with_overrides(redis_ns.overrides)
    chosen: dict[bool, list[str]] = {}
    now = [0.0]
    for late in (False, True):
        redis_ns.clear()
        now[0] = 0.0
        flaky = _LateOnce(redis.Redis.from_url(redis_ns.url))
        with Tierwise.from_settings(
            settings, ledger_url=f"sqlite:///{tmp_path / f'{late}.db'}"
        ) as tw:
            tw.cache_router.state.close()
            state = RedisCacheState(
                redis_ns.url, prefix=redis_ns.key_prefix, client=flaky, clock=lambda: now[0]
            )
            tw.cache_router.state = state
            tw.converse(modelId="sonnet", **ticket("Ticket: my invoice is wrong."))
            tiers = [tw.converse(**ticket("Ticket: the app will not start."))["tierwise"]]
            now[0] = gap_s
            flaky.late = late
            tiers.append(tw.converse(**ticket("Ticket: I was charged twice."))["tierwise"])
            assert state.degraded is late
            assert all(t["route"]["cache"]["preferred"] == "haiku" for t in tiers)
            chosen[late] = [t["tier"] for t in tiers]
            reason = tiers[1]["route"]["cache"]["reason"]  # the late run's, kept
    # in time, Redis's own window ages the real seconds, not the clock above: a 250 s gap
    # is seen in time only by the local count, so only the late run is compared there
    assert chosen[True] == ["sonnet", second]
    assert reason.startswith(
        "haiku: cheapest allowed" if second == "haiku" else "sonnet: haiku allowed, but"
    )
    if second == "haiku":
        assert chosen[False] == chosen[True]


def _design_turn(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [*history, {"role": "assistant", "content": [{"text": "Noted."}]},
            {"role": "user", "content": [{"text": (
                "Design the architecture for a multi-region payments system: compare "
                "active-active and active-passive designs, their failure modes and "
                "trade-offs, and plan the migration.")}]}]  # fmt: skip


HISTORY = [
    {"role": "user", "content": [{"text": "Here is our current design doc. " + DOC[:40000]}]},
    {"role": "assistant", "content": [{"text": "Read it."}]},
    {"role": "user", "content": [{"text": "And the incident notes: " + DOC[:20000]}]},
]


def test_opus_class_work_runs_on_sonnet_with_thinking_where_sonnet_is_warm(
    emu_settings: Settings, ledger_url: str
) -> None:
    # a team that measured its thinking answers using a tenth of their budget says so (cold,
    # Sonnet with thinking is then expected cheaper than Opus), and keeps Opus unless a warm
    # prefix pays for leaving it
    settings = emu_settings.with_overrides(
        {"cache_state.thinking_use": 0.1, "cache_state.below_preferred": "when_warmer"}
    )
    with Tierwise.from_settings(settings, ledger_url=ledger_url) as tw:
        _opus_work_on_warm_sonnet(tw, cold_tier="opus")


# The design doc as a system prompt: a cache point there stays warm whatever the thinking
# settings of the turns after it (message cache points do not, see below).
DESIGN = [{"text": "Reference material:\n" + DOC[:40000]}]
NOTES = [{"role": "user", "content": [{"text": "And the incident notes: " + DOC[:20000]}]}]


def _opus_work_on_warm_sonnet(tw: Tierwise, cold_tier: str) -> None:
    turn = _design_turn(NOTES)
    decision = tw.route({"system": DESIGN, "messages": turn})
    assert decision.tier.value == "opus" and decision.lowest is not None
    assert decision.task_class.name == "complex_analysis"
    # cold everywhere: Opus with "when_warmer"; Sonnet with thinking when cheaper is enough
    cold = tw.converse(messages=_design_turn(HISTORY[:1]))
    assert cold["tierwise"]["tier"] == cold_tier
    # the conversation so far ran on Sonnet, so its system prompt is warm there: read on
    # Sonnet, plus the thinking budget's expected use, costs less than writing it on Opus
    tw.converse(modelId="sonnet", system=DESIGN, messages=NOTES)
    answer = tw.converse(system=DESIGN, messages=turn)
    info = answer["tierwise"]
    assert info["tier"] == "sonnet"
    assert info["route"]["thinking_budget"] == decision.lowest_thinking_budget
    assert info["route"]["cache"]["preferred"] == "opus"
    assert answer["usage"]["cacheReadInputTokens"] > 9_000
    # the history was cached without thinking: a turn with a thinking budget writes it again
    assert answer["usage"]["cacheWriteInputTokens"] > 4_000
    content = answer["output"]["message"]["content"]
    assert any("reasoningContent" in block for block in content)  # it did think


def test_a_history_cached_without_thinking_is_not_warm_for_a_turn_with_thinking(
    emu_settings: Settings, ledger_url: str
) -> None:
    # Anthropic: changing the thinking settings invalidates message cache points. A
    # conversation that ran on plain Sonnet has nothing warm for Sonnet with a thinking
    # budget, so "when_warmer" keeps the planning turn on Opus (before, the router counted
    # the plain history as warm for the thinking option, and the emulator read it back)
    settings = emu_settings.with_overrides(
        {"cache_state.thinking_use": 0.1, "cache_state.below_preferred": "when_warmer"}
    )
    with Tierwise.from_settings(settings, ledger_url=ledger_url) as tw:
        warmed = tw.converse(modelId="sonnet", messages=HISTORY)
        assert warmed["usage"]["cacheWriteInputTokens"] > 10_000
        answer = tw.converse(messages=_design_turn(HISTORY))
        cache = answer["tierwise"]["route"]["cache"]
        sonnet = next(o for o in cache["options"] if o["tier"] == "sonnet")
        assert sonnet["thinking_budget"] and sonnet["warm_tokens"] == 0
        assert answer["tierwise"]["tier"] == "opus"
        # and a plain Sonnet turn of the same conversation still reads its history
        plain = tw.converse(modelId="sonnet", messages=HISTORY)
        assert plain["usage"]["cacheReadInputTokens"] > 10_000


def test_a_team_forbids_sonnet_for_opus_work_with_one_line(
    emu_settings: Settings, ledger_url: str
) -> None:
    tenth = {"cache_state.thinking_use": 0.1}
    with Tierwise.from_settings(emu_settings.with_overrides(tenth), ledger_url=ledger_url) as tw:
        _opus_work_on_warm_sonnet(tw, cold_tier="sonnet")  # the packaged line allows it
    forbid = {**tenth, "routing.classes.complex_analysis.lowest": "opus"}
    with Tierwise.from_settings(emu_settings.with_overrides(forbid), ledger_url=ledger_url) as tw:
        assert tw.converse(messages=_design_turn(HISTORY[:1]))["tierwise"]["tier"] == "opus"
        tw.converse(modelId="sonnet", messages=HISTORY)
        answer = tw.converse(messages=_design_turn(HISTORY))
        assert answer["tierwise"]["tier"] == "opus"


def test_a_cold_planning_turn_runs_on_sonnet_with_thinking_when_that_is_cheaper(
    emu_settings: Settings, ledger_url: str
) -> None:
    # the packaged [cache_state] below_preferred = "when_cheaper": nothing is warm anywhere;
    # with the whole thinking budget priced as output (the packaged thinking_use before any
    # answer is seen, exploration off), Opus is cheaper, so it stays there
    prior_only = emu_settings.with_overrides({"cache_state.explore_answers": 0})
    with Tierwise.from_settings(prior_only, ledger_url=ledger_url) as tw:
        assert tw.settings.cache_state.below_preferred == "when_cheaper"
        full = tw.converse(messages=_design_turn(HISTORY[:1]))["tierwise"]["route"]["cache"]
        by = {o["tier"]: Decimal(o["cost_usd"]) for o in full["options"]}
        assert full["tier"] == "opus" and by["opus"] < by["sonnet"]
    # thinking measured at a tenth of its budget: Sonnet with thinking is expected cheaper
    # than Opus, so the policy's lowest tier serves it and the reason says why
    tenth = prior_only.with_overrides({"cache_state.thinking_use": 0.1})
    with Tierwise.from_settings(tenth, ledger_url=ledger_url) as tw:
        answer = tw.converse(messages=_design_turn(HISTORY[:1]))
        info = answer["tierwise"]
        cache = info["route"]["cache"]
        assert info["tier"] == "sonnet" and cache["preferred"] == "opus"
        assert info["route"]["thinking_budget"]
        assert answer["usage"].get("cacheReadInputTokens", 0) == 0
        assert "in place of opus" in cache["reason"]
        assert "expected cheaper (nothing warm on either)" in cache["reason"]
        by = {o["tier"]: Decimal(o["cost_usd"]) for o in cache["options"]}
        assert by["sonnet"] < by["opus"]


# -- expected output and thinking use learned per (task class, tier) ----------------------

# The router sends it to Sonnet with a 4,096-token thinking budget (math); the emulator
# thinks 40-200 tokens of it.
MATH = "Work out step by step: how many ways can 8 rooks be placed on a chessboard so that none attack each other, and why?"  # noqa: E501


def _maths(n: int) -> list[dict[str, Any]]:
    return [
        {"messages": [{"role": "user", "content": [{"text": f"{MATH} (case {i})"}]}]}
        for i in range(n)
    ]


def _sonnet_math(tw: Tierwise) -> Any:
    return tw.cache_router.state.tallies(["math|sonnet"]).get("math|sonnet")


def test_every_door_learns_output_and_thinking_through_the_engine(
    emu_settings: Settings, ledger_url: str
) -> None:
    import asyncio

    from tierwise.client import AsyncTierwise

    first, second, third, fourth, fifth = _maths(5)
    with Tierwise.from_settings(emu_settings, ledger_url=ledger_url) as tw:
        decision = tw.route(first)
        assert decision.tier.value == "sonnet" and decision.thinking_budget
        assert _sonnet_math(tw) is None
        tw.call(**first)  # the typed door (it learned nothing before)
        tw.converse(**second)
        for _ in tw.converse_stream(**third)["stream"]:
            pass
        tally = _sonnet_math(tw)
        assert tally.answers == 3 and tally.thinking == 3
        # each answer's thinking was read from its reasoning: a small share of the budget
        assert 0 < tally.thinking_share / tally.thinking < 0.1

        async def doors() -> None:
            client = AsyncTierwise.sharing(tw)
            await client.converse(**fourth)
            streamed = await client.converse_stream(**fifth)
            async for _ in streamed["stream"]:
                pass

        asyncio.run(doors())
        assert _sonnet_math(tw).answers == 5


def test_a_learned_thinking_use_moves_a_cold_planning_turn_to_sonnet_with_thinking(
    emu_settings: Settings, ledger_url: str
) -> None:
    # the packaged thinking_use = 1.0 prices Sonnet's whole 8,192-token budget for planning
    # work (exploration off here): Opus is expected cheaper. Sonnet's answers with thinking
    # (maths) use a few per cent of their budget; once seen, planning work borrows Sonnet's
    # measured use and the policy's lowest tier (Sonnet with thinking) is expected cheaper
    prior_only = emu_settings.with_overrides({"cache_state.explore_answers": 0})
    with Tierwise.from_settings(prior_only, ledger_url=ledger_url) as tw:
        before = tw.converse(messages=_design_turn(HISTORY[:1]))["tierwise"]["route"]["cache"]
        assert before["tier"] == "opus"
        assert "opus 400 output tokens (prior)" in before["reason"]
        for request in _maths(30):
            tw.converse(**request)
        other = [{"role": "user", "content": [{"text": "Another design doc. " + DOC[:40000]}]}]
        answer = tw.converse(messages=_design_turn(other))
        cache = answer["tierwise"]["route"]["cache"]
        assert answer["tierwise"]["tier"] == "sonnet" and cache["preferred"] == "opus"
        assert answer["tierwise"]["route"]["thinking_budget"]
        assert "learned: 30 answers of the tier" in cache["reason"]
        sonnet = next(o for o in cache["options"] if o["tier"] == "sonnet")
        assert sonnet["expected"]["thinking_source"] == "tier"
        assert sonnet["expected"]["thinking_use"] < 0.15


def test_an_unmeasured_thinking_option_is_explored_until_its_use_is_learned(
    emu_settings: Settings, ledger_url: str
) -> None:
    # no thinking answer seen on Sonnet yet: priced whole (the prior), Sonnet with thinking
    # would never be chosen for planning work, so never measured. Exploration prices it at
    # what was seen (none yet) while fewer than explore_answers thinking answers are in.
    small = emu_settings.with_overrides({"cache_state.explore_answers": 3})
    other = [{"role": "user", "content": [{"text": "Another design doc. " + DOC[:40000]}]}]
    with Tierwise.from_settings(small, ledger_url=ledger_url) as tw:
        first = tw.converse(messages=_design_turn(HISTORY[:1]))["tierwise"]
        cache = first["route"]["cache"]
        assert first["tier"] == "sonnet" and first["route"]["thinking_budget"]
        assert "exploring sonnet with a 8,192-token thinking budget" in cache["reason"]
        assert "no thinking answer on this tier yet (under 3)" in cache["reason"]
        assert "hold still reserves the whole budget" in cache["reason"]
        sonnet = next(o for o in cache["options"] if o["tier"] == "sonnet")
        assert sonnet["expected"]["exploring_below"] == 3 and "thinking_tokens" not in sonnet
        for turn in range(2):
            doc = [{"role": "user", "content": [{"text": f"Doc {turn}. " + DOC[:40000]}]}]
            assert tw.converse(messages=_design_turn(doc))["tierwise"]["tier"] == "sonnet"
        # three thinking answers measured (the emulator thinks 40-200 of the 8,192 tokens):
        # the prior weighs again, with what was learned, and the reason no longer explores
        after = tw.converse(messages=_design_turn(other))["tierwise"]["route"]["cache"]
        sonnet = next(o for o in after["options"] if o["tier"] == "sonnet")
        assert "exploring_below" not in sonnet["expected"]
        assert sonnet["expected"]["thinking_answers"] == 3
        assert "exploring" not in after["reason"]
        # prior 1.0 weighing 3 answers against 3 small ones: about half the budget
        assert 0.45 < sonnet["expected"]["thinking_use"] < 0.55


def test_exploration_never_picks_a_tier_the_policy_rules_out(
    emu_settings: Settings, ledger_url: str
) -> None:
    strict = emu_settings.with_overrides({"routing.classes.complex_analysis.lowest": "opus"})
    with Tierwise.from_settings(strict, ledger_url=ledger_url) as tw:
        assert tw.settings.cache_state.explore_answers > 0
        info = tw.converse(messages=_design_turn(HISTORY[:1]))["tierwise"]
        assert info["tier"] == "opus" and not info["route"].get("thinking_budget")
        cache = info["route"].get("cache")
        assert cache is None or all(o["tier"] == "opus" for o in cache["options"])


def test_an_explored_option_holds_the_whole_thinking_budget_and_max_output(
    emu_settings: Settings, ledger_url: str
) -> None:
    # the estimate prices the option; the hold is the request as sent, worst case: the
    # whole thinking budget and the answer room beside it, whatever thinking was expected
    request = {"messages": _design_turn(HISTORY[:1])}
    holds = []
    for overrides in (
        {},  # exploring: thinking expected to use none of the budget
        {"cache_state.explore_answers": 0, "cache_state.thinking_use": 0.1},  # the prior
    ):
        settings = emu_settings.with_overrides(overrides)
        with Tierwise.from_settings(settings, ledger_url=ledger_url) as tw:
            plan = tw.plan(None, request)
            assert plan.tier is Tier.SONNET and plan.thinking_budget == 8192
            assert plan.cache is not None
            explored = "exploring" in plan.cache.reason
            assert explored == (not overrides)
            assert tw.budgets is not None
            key, _ = tw.budgets.create(f"k{len(holds)}", budget_usd=Decimal("10"))
            hold, sent = tw.reserve("r", 1, plan, tw.prepare(request, plan), key.id)
            assert hold is not None
            thinking = sent["additionalModelRequestFields"]["thinking"]["budget_tokens"]
            assert thinking == 8192
            assert sent["inferenceConfig"]["maxTokens"] == 8192 + DEFAULT_ANSWER_TOKENS
            usage = worst_case_usage(sent)
            assert usage.output == 8192 + DEFAULT_ANSWER_TOKENS
            assert hold.amount_usd == max(
                tw.cost_of(Tier.SONNET, usage, model_id=p) for p in plan.profiles
            )
            holds.append(hold.amount_usd)
            tw.release(hold)
    assert holds[0] == holds[1] > 0


def test_a_conversation_keeps_its_thinking_after_a_planning_turn(
    emu_settings: Settings, ledger_url: str
) -> None:
    # the planning turn runs on Sonnet with thinking (explored); its history is now cached
    # under that budget, so the next turn (a thank-you with a new log, routed to plain
    # Sonnet) keeps the thinking and reads it, where dropping it would write the history again
    planning = _design_turn(HISTORY)
    log = "\n".join(
        f"2026-11-0{i % 9 + 1}T12:{i % 60:02d}:00Z host-{i % 40} ERROR request to ledger-db "
        f"timed out after {100 + i * 37} ms (pool exhausted, {i % 64} waiters)"
        for i in range(60)
    )
    follow_up = [
        *planning,
        {"role": "assistant", "content": [{"text": "The design."}]},
        {"role": "user", "content": [{"text": "thanks! here is the next log:\n\n" + log}]},
    ]
    reads = {}
    for sticky in (True, False):
        settings = emu_settings.with_overrides({"cache_state.sticky_thinking": sticky})
        with Tierwise.from_settings(settings, ledger_url=ledger_url) as tw:
            first = tw.converse(messages=planning)["tierwise"]
            assert first["tier"] == "sonnet" and first["route"]["thinking_budget"] == 8192
            answer = tw.converse(messages=follow_up)
            info = answer["tierwise"]
            reads[sticky] = answer["usage"].get("cacheReadInputTokens", 0)
            # routed to plain Sonnet: the thinking is the conversation's, not the turn's
            assert info["route"]["cache"]["preferred"] == "sonnet"
            assert info["route"]["routed_tier"] == "sonnet"
            if sticky:
                assert info["tier"] == "sonnet" and info["route"]["thinking_budget"] == 8192
                assert "cached with this thinking budget" in info["route"]["cache"]["reason"]
            else:
                assert not info["route"].get("thinking_budget")
    # kept: the history the planning turn cached under thinking read back (its first 10k
    # tokens: the cache points this turn places); dropped: none of it, all written again
    assert reads[True] >= 10_000 and reads[False] == 0


def test_a_conversations_thinking_is_kept_only_where_the_router_could_add_it(
    emu_settings: Settings, ledger_url: str
) -> None:
    planning = _design_turn(HISTORY)
    follow_up = [
        *planning,
        {"role": "assistant", "content": [{"text": "The design."}]},
        {"role": "user", "content": [{"text": "List the services it names. " + DOC[:6000]}]},
    ]
    tool = {"toolSpec": {"name": "record", "inputSchema": {"json": {"type": "object"}}}}

    def kept(plan: Any) -> bool:
        return any(o.thinking_budget == 8192 for o in plan.cache.options if o.tier is Tier.SONNET)

    with Tierwise.from_settings(emu_settings, ledger_url=ledger_url) as tw:
        assert tw.converse(messages=planning)["tierwise"]["route"]["thinking_budget"] == 8192
        assert kept(tw.plan(None, {"messages": follow_up}))
        # Claude refuses thinking with a forced tool choice
        forced = {"tools": [tool], "toolChoice": {"any": {}}}
        assert not kept(tw.plan(None, {"messages": follow_up, "toolConfig": forced}))
        # a latency-sensitive caller has thinking off
        fast = tw.plan(None, {"messages": follow_up}, Hints(latency_sensitive=True))
        assert not kept(fast)
        # the budget does not fit the caller's maxTokens: a smaller one is another cache
        small = {"messages": follow_up, "inferenceConfig": {"maxTokens": 3000}}
        assert not kept(tw.plan(None, small))


def test_an_exploration_threshold_the_window_never_reaches_is_refused(
    emu_settings: Settings,
) -> None:
    with pytest.raises(ConfigError, match=r"explore_answers \(300\) must not exceed"):
        emu_settings.with_overrides({"cache_state.explore_answers": 300})


def test_with_output_learning_off_the_configured_values_price_every_option(
    emu_settings: Settings, ledger_url: str
) -> None:
    static = emu_settings.with_overrides({"cache_state.output_learning": False})
    with Tierwise.from_settings(static, ledger_url=ledger_url) as tw:
        for request in _maths(5):
            tw.converse(**request)
        assert _sonnet_math(tw) is None  # nothing kept
        answer = tw.converse(messages=_design_turn(HISTORY[:1]))
        cache = answer["tierwise"]["route"]["cache"]
        assert cache["tier"] == "opus" and "learned" not in cache["reason"]
        assert "opus 400 output tokens (prior)" in cache["reason"]


@pytest.fixture
def learning_redis() -> Iterator[RedisNamespace]:
    """A namespace of the test's own on Redis database 12."""
    with redis_namespace("redis://127.0.0.1:6379/12") as ns:
        yield ns


def test_two_gateways_share_what_answers_cost_through_redis(
    emu_settings: Settings, tmp_path: Any, learning_redis: RedisNamespace
) -> None:
    settings = emu_settings.with_overrides(learning_redis.overrides)
    a = Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp_path / 'a.db'}")
    b = Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp_path / 'b.db'}")
    try:
        assert isinstance(a.cache_router.state, RedisCacheState)
        for request in _maths(30):
            a.converse(**request)
        # replica B answered nothing, but reads A's answers from Redis
        tally = _sonnet_math(b)
        assert tally.answers == 30 and tally.thinking == 30
        assert b.cache_router.state._fallback.tallies(["math|sonnet"]) == {}  # type: ignore[attr-defined]
        answer = b.converse(messages=_design_turn(HISTORY[:1]))
        cache = answer["tierwise"]["route"]["cache"]
        assert cache["tier"] == "sonnet" and "learned: 30 answers of the tier" in cache["reason"]
        # and B's answers add to the same tallies (atomically, as A's do)
        b.converse(**_maths(31)[30])
        assert _sonnet_math(a).answers == 31
    finally:
        a.close()
        b.close()


def test_a_redis_outage_keeps_learning_in_process() -> None:
    from tierwise.core.output_learning import Observation

    dead = RedisCacheState("redis://127.0.0.1:1/0", retry_after_s=60)
    dead.observe_output(["math|sonnet"], Observation(300, 0.02), window=200)
    assert dead.degraded
    assert dead.tallies(["math|sonnet"])["math|sonnet"].answers == 1
    dead.close()

"""Prompt caching with Bedrock semantics: writes, reads, TTLs, minimums, limits."""

from __future__ import annotations

from typing import Any

import pytest
from emulator_testdata import HAIKU, SONNET, ManualClock, user

from emulator_clients import make_runtime
from tierwise.config import Settings
from tierwise.core.tokens import count_request, prefix_tokens_at_cache_points
from tierwise.emulator import Emulator

LONG_SYSTEM = "You are a meticulous assistant. " * 200  # ~1600 tokens: above Sonnet's 1024


def _request(ttl: str | None = None, question: str = "Question one?") -> dict[str, Any]:
    point: dict[str, Any] = {"type": "default"}
    if ttl:
        point["ttl"] = ttl
    return {
        "modelId": SONNET,
        "system": [{"text": LONG_SYSTEM}, {"cachePoint": point}],
        "messages": [user(question)],
    }


def _prefix(request: dict[str, Any]) -> int:
    return prefix_tokens_at_cache_points(request)[0][0]


def test_first_call_writes_then_repeat_reads(runtime: Any) -> None:
    request = _request()
    total = count_request(request)
    prefix = _prefix(request)
    first = runtime.converse(**request)["usage"]
    assert first["cacheWriteInputTokens"] == prefix
    assert first["cacheReadInputTokens"] == 0
    assert first["inputTokens"] == total - prefix
    assert first["cacheDetails"] == [{"ttl": "5m", "inputTokens": prefix}]
    second = runtime.converse(**_request(question="A different question?"))["usage"]
    assert second["cacheReadInputTokens"] == prefix
    assert second["cacheWriteInputTokens"] == 0
    assert "cacheDetails" not in second
    assert second["totalTokens"] == (
        second["inputTokens"] + second["outputTokens"] + second["cacheReadInputTokens"]
    )


def test_one_hour_ttl_is_reported_and_honoured(runtime: Any, clock: ManualClock) -> None:
    request = _request(ttl="1h")
    first = runtime.converse(**request)["usage"]
    assert first["cacheDetails"] == [{"ttl": "1h", "inputTokens": _prefix(request)}]
    clock.advance(30 * 60)
    assert runtime.converse(**request)["usage"]["cacheReadInputTokens"] == _prefix(request)


def test_entries_expire_and_hits_reset_the_ttl(runtime: Any, clock: ManualClock) -> None:
    request = _request()
    runtime.converse(**request)
    clock.advance(240)
    assert runtime.converse(**request)["usage"]["cacheReadInputTokens"] > 0  # hit resets TTL
    clock.advance(240)  # 480 s after the write, 240 s after the hit
    assert runtime.converse(**request)["usage"]["cacheReadInputTokens"] > 0
    clock.advance(301)
    expired = runtime.converse(**request)["usage"]
    assert expired["cacheReadInputTokens"] == 0
    assert expired["cacheWriteInputTokens"] == _prefix(request)


def test_longest_prefix_is_read_and_later_points_written(runtime: Any) -> None:
    base = _request()
    runtime.converse(**base)
    extended = {
        **base,
        "messages": [
            {
                "role": "user",
                "content": [{"text": "More context. " * 400}, {"cachePoint": {"type": "default"}}],
            }
        ],
    }
    points = [tokens for tokens, _ in prefix_tokens_at_cache_points(extended)]
    usage = runtime.converse(**extended)["usage"]
    assert usage["cacheReadInputTokens"] == points[0]
    assert usage["cacheWriteInputTokens"] == points[1] - points[0]
    assert usage["inputTokens"] == count_request(extended) - points[1]
    again = runtime.converse(**extended)["usage"]
    assert again["cacheReadInputTokens"] == points[1]
    assert again["cacheWriteInputTokens"] == 0


def test_prefix_below_the_model_minimum_is_not_cached(runtime: Any) -> None:
    request = {**_request(), "modelId": HAIKU}  # Haiku 4.5 needs 4096 tokens
    usage = runtime.converse(**request)["usage"]
    assert usage["cacheWriteInputTokens"] == 0
    assert usage["cacheReadInputTokens"] == 0
    assert usage["inputTokens"] == count_request(request)


def test_cache_is_per_model(runtime: Any) -> None:
    runtime.converse(**_request())
    other = {**_request(), "modelId": "us.anthropic.claude-sonnet-4-5-20250929-v1:0"}
    assert runtime.converse(**other)["usage"]["cacheReadInputTokens"] == 0


def test_more_than_four_cache_points_is_refused(runtime: Any) -> None:
    content: list[dict[str, Any]] = []
    for i in range(5):
        content += [{"text": f"part {i}"}, {"cachePoint": {"type": "default"}}]
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        runtime.converse(modelId=SONNET, messages=[{"role": "user", "content": content}])
    assert info.value.response["Error"]["Message"] == (
        "A maximum of 4 blocks with cache_control may be provided. Found 5."
    )


def test_cache_point_to_a_model_without_caching_is_refused(settings: Settings) -> None:
    no_cache = settings.with_overrides({"tiers.sonnet.supports_caching": False})
    with Emulator(no_cache).start() as emu:
        runtime = make_runtime(emu.url)
        with pytest.raises(runtime.exceptions.ValidationException) as info:
            runtime.converse(**_request())
        assert "prompt caching" in info.value.response["Error"]["Message"]
        plain = runtime.converse(modelId=SONNET, messages=[user("no cache point here")])
        assert "cacheReadInputTokens" not in plain["usage"]


def _conversation(thinking: int | None, question: str) -> dict[str, Any]:
    """A system prompt and a long first turn, each ending in a cache point."""
    request: dict[str, Any] = {
        "modelId": SONNET,
        "system": [{"text": LONG_SYSTEM}, {"cachePoint": {"type": "default"}}],
        "messages": [
            {"role": "user", "content": [{"text": "Log line. " * 800},
                                         {"cachePoint": {"type": "default"}}]},
            {"role": "assistant", "content": [{"text": "Read it."}]},
            user(question),
        ],
        "inferenceConfig": {"maxTokens": 8192},
    }  # fmt: skip
    if thinking:
        request["additionalModelRequestFields"] = {
            "thinking": {"type": "enabled", "budget_tokens": thinking}
        }
    return request


def test_changing_the_thinking_settings_invalidates_message_cache_points(runtime: Any) -> None:
    # Anthropic: changes to thinking parameters (enabled/disabled or budget) invalidate
    # message cache breakpoints; the system prompt and tools stay cached
    plain = _conversation(None, "Summarize it.")
    system, history = (t for t, _ in prefix_tokens_at_cache_points(plain))
    assert runtime.converse(**plain)["usage"]["cacheWriteInputTokens"] == history
    thinking = runtime.converse(**_conversation(2048, "Plan the fix."))["usage"]
    assert thinking["cacheReadInputTokens"] == system
    assert thinking["cacheWriteInputTokens"] == history - system
    # another budget is another setting; the same one reads what it wrote
    other = runtime.converse(**_conversation(4096, "Plan the fix."))["usage"]
    assert other["cacheReadInputTokens"] == system
    assert runtime.converse(**_conversation(2048, "Again."))["usage"]["cacheReadInputTokens"] == (
        history
    )
    # and the plain entries are still there for a turn without thinking
    assert runtime.converse(**_conversation(None, "Again."))["usage"]["cacheReadInputTokens"] == (
        history
    )
    # "disabled" is no thinking
    disabled = _conversation(None, "Once more.")
    disabled["additionalModelRequestFields"] = {"thinking": {"type": "disabled"}}
    assert runtime.converse(**disabled)["usage"]["cacheReadInputTokens"] == history


def _blocks(extra: int, point_at: int | None = None) -> dict[str, Any]:
    """The long system prompt, then one user message of 1 + ``extra`` small text blocks with a
    cache point after the first and at the end (and after block ``point_at``, if given)."""
    content: list[dict[str, Any]] = [{"text": "Turn one."}, {"cachePoint": {"type": "default"}}]
    for i in range(extra):
        content.append({"text": f"block {i}"})
        if point_at is not None and i == point_at:
            content.append({"cachePoint": {"type": "default"}})
    if extra:
        content.append({"cachePoint": {"type": "default"}})
    return {"system": [{"text": LONG_SYSTEM}], "messages": [{"role": "user", "content": content}]}


def test_a_read_looks_back_20_blocks_counting_its_own_for_an_earlier_entry() -> None:
    # Anthropic: "at most 20 positions per breakpoint, counting the breakpoint itself as the
    # first"; only entries an earlier call wrote at its own cache point are found.
    from tierwise.emulator.cache import PromptCache

    def second_call(extra: int, point_at: int | None = None) -> tuple[int, int, int]:
        cache = PromptCache(clock=ManualClock())
        first = _blocks(0)
        wrote = cache.apply("m", first, 1024).write
        request = _blocks(extra, point_at)
        # the first call's point is the request's first point too: drop it, so only the
        # lookback of the later points can find that entry
        content = request["messages"][0]["content"]
        content.pop(1)
        usage = cache.apply("m", request, 1024)
        return wrote, usage.read, usage.write

    wrote, read, write = second_call(19)  # the entry is the 20th position back: found
    assert read == wrote > 0
    assert write > 0
    wrote, read, write = second_call(20)  # the 21st: not found, the whole prefix written
    assert read == 0
    assert write > wrote
    # a second point starts a second window: 10 blocks in, it finds the entry 11 back
    wrote, read, _ = second_call(40, point_at=9)
    assert read == wrote
    # a point of its own on the same prefix reads it whatever the distance (no lookback)
    cache = PromptCache(clock=ManualClock())
    wrote = cache.apply("m", _blocks(0), 1024).write
    assert cache.apply("m", _blocks(40), 1024).read == wrote


def test_a_conversation_whose_one_point_moves_to_each_turns_end_reads_the_last_turn() -> None:
    # a Haiku-sized minimum with short follow-ups: each call reads everything the previous
    # call sent and writes only its own turn
    from tierwise.core.caching import CachePolicy, place_cache_points
    from tierwise.emulator.cache import PromptCache

    cache = PromptCache(clock=ManualClock())
    messages: list[dict[str, Any]] = [user("Here is the log.\n" + "line of log output " * 1200)]
    previous = 0
    for k in range(6):
        request = place_cache_points({"messages": list(messages)}, CachePolicy(min_tokens=4096))
        total = count_request(request.request)
        usage = cache.apply("haiku", request.request, 4096)
        assert usage.read == previous
        assert usage.write == total - previous
        previous = total
        messages += [{"role": "assistant", "content": [{"text": f"Noted {k}."}]},
                     user(f"ok, more: {'short output ' * 30}")]  # fmt: skip

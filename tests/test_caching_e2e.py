"""Automatic prompt caching over real HTTP: reads billed at the cache-read rate."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.pricing import Usage, price
from tierwise.core.tiers import Tier
from tierwise.emulator import Emulator

LONG_SYSTEM = "You answer questions about the travel policy. " + "Policy clause. " * 1500


def ask(tw: Tierwise, question: str, **extra: Any) -> dict[str, Any]:
    return tw.converse(
        modelId="sonnet",
        system=[{"text": LONG_SYSTEM}],
        messages=[{"role": "user", "content": [{"text": question}]}],
        **extra,
    )


def test_second_call_with_the_same_long_system_prompt_reads_the_cache(
    emu_settings: Settings, ledger_url: str
) -> None:
    with Tierwise.from_settings(emu_settings, ledger_url=ledger_url) as tw:
        first = ask(tw, "Can I book business class?")
        second = ask(tw, "Is a hotel minibar refundable?")
    u1, u2 = Usage.from_converse(first["usage"]), Usage.from_converse(second["usage"])
    assert u1.cache_write_5m > 0 and u1.cache_read == 0
    assert u2.cache_read == u1.cache_write_5m and u2.cache_write == 0
    rates = emu_settings.rates(Tier.SONNET)
    # Hand check: the read part is billed at $0.30/M instead of $3/M.
    assert price(u2, rates).cache_read == Decimal(u2.cache_read) * Decimal("0.30") / 1_000_000
    assert Decimal(second["tierwise"]["costUsd"]) == price(u2, rates).total


def test_caching_off_sends_no_cache_points(emu_settings: Settings, ledger_url: str) -> None:
    settings = emu_settings.with_overrides({"caching.mode": "off"})
    with Tierwise.from_settings(settings, ledger_url=ledger_url) as tw:
        ask(tw, "one")
        second = ask(tw, "two")
    assert "cacheReadInputTokens" not in second["usage"]


def test_no_cache_point_reaches_a_model_without_caching(
    default_settings: Settings, ledger_url: str
) -> None:
    # The emulator shares the setting and, like Bedrock, rejects cache points for such a
    # model: success proves tierwise stripped even the caller's own point.
    settings = default_settings.with_overrides({"tiers.sonnet.supports_caching": False})
    with Emulator(settings, port=0).start() as emu:
        local = settings.with_overrides({"endpoint_url": emu.url})
        with Tierwise.from_settings(local, ledger_url=ledger_url) as tw:
            response = tw.converse(
                modelId="sonnet",
                system=[{"text": LONG_SYSTEM}, {"cachePoint": {"type": "default"}}],
                messages=[{"role": "user", "content": [{"text": "hi"}]}],
            )
    assert response["stopReason"] == "end_turn"
    assert "cacheWriteInputTokens" not in response["usage"]


def _log(n: int) -> str:
    return "\n".join(f"12:{i:02d} host-{n} ERROR ledger-db timed out after {900 + i} ms"
                     for i in range(300))  # fmt: skip


def test_a_turn_after_another_model_or_thinking_reads_back_its_own_cache(
    emu_settings: Settings, ledger_url: str
) -> None:
    # a conversation on Sonnet whose third turn went elsewhere (Opus, or Sonnet with a
    # thinking budget, whose message cache is another one): on its fourth turn the
    # "history" point (the third turn's end) is cold on plain Sonnet, but the second turn's
    # end, marked too, is what Sonnet last cached. Before, the fourth turn wrote it all again.
    thinking = {"thinking": {"type": "enabled", "budget_tokens": 2048}}
    away: list[dict[str, Any]] = [{"modelId": "opus"},
                                  {"modelId": "sonnet", "additionalModelRequestFields": thinking,
                                   "inferenceConfig": {"maxTokens": 6000}}]  # fmt: skip
    for elsewhere in away:
        with Tierwise.from_settings(emu_settings, ledger_url=ledger_url) as tw:
            messages: list[dict[str, Any]] = []
            usages = []
            for n, extra in enumerate([{"modelId": "sonnet"}, {"modelId": "sonnet"}, elsewhere,
                                       {"modelId": "sonnet"}]):  # fmt: skip
                if messages:
                    messages.append({"role": "assistant", "content": [{"text": "Noted."}]})
                text = f"Scenario {extra}. Log {n}:\n{_log(n)}"  # its own prefixes
                messages.append({"role": "user", "content": [{"text": text}]})
                usages.append(tw.converse(messages=list(messages), **extra)["usage"])
            second, fourth = usages[1], usages[3]
            through_second = second["cacheReadInputTokens"] + second["cacheWriteInputTokens"]
            assert fourth["cacheReadInputTokens"] == through_second
            # written from there: the second answer, the third turn and answer, the fourth turn
            assert 0 < fourth["cacheWriteInputTokens"] < 2 * through_second


def test_a_callers_one_hour_point_after_a_long_system_prompt_is_served(
    emu_settings: Settings, ledger_url: str
) -> None:
    # The emulator refuses a 1h point after a 5m one, as Claude does: tierwise adds no 5m
    # point after the system prompt in front of the caller's 1h point on the user turn.
    contract = "Clause on liability and warranties. " * 900
    with Tierwise.from_settings(emu_settings, ledger_url=ledger_url) as tw:
        response = tw.converse(
            modelId="sonnet",
            system=[{"text": LONG_SYSTEM}],
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"text": contract},
                        {"cachePoint": {"type": "default", "ttl": "1h"}},
                        {"text": "Sum up the contract."},
                    ],
                }
            ],
        )
    usage = Usage.from_converse(response["usage"])
    assert usage.cache_write_1h > 0  # the caller's point cached system and contract

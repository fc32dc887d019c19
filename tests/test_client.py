"""Tierwise end to end over real HTTP against the emulator: route, call, price, ledger."""

from __future__ import annotations

import asyncio
import inspect
from decimal import Decimal
from typing import Any

import pytest

from tierwise.client import AsyncTierwise, Tierwise, apply_thinking
from tierwise.core.hints import Hints
from tierwise.core.pricing import Usage, price
from tierwise.core.signals import thinking_conflict
from tierwise.core.tiers import Tier
from tierwise.errors import ExhaustedError, InvalidRequestError, ModelNotAvailableError


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


CLASSIFY = (
    "Classify this support ticket into exactly one of: billing, technical, account. "
    "Respond with only the label. Ticket: my card was charged twice."
)
RAG = (
    "Passage 1: Annual plans renew on the signup date.\n"
    "Passage 2: Refunds on annual plans are prorated by month.\n"
    "Passage 3: Refunds go to the original payment method.\n"
    "Using the passages above, answer the customer: can I get a partial refund after "
    "four months, and where will the money go? Cite the passages."
)
PROOF = (
    "Prove rigorously that there are infinitely many primes congruent to 3 mod 4. "
    "Give every step of the argument."
)


@pytest.mark.parametrize(
    ("prompt", "tier"),
    [(CLASSIFY, Tier.HAIKU), (RAG, Tier.SONNET), (PROOF, Tier.OPUS)],
)
def test_auto_routing_end_to_end_with_reasons_in_the_ledger(
    tw: Tierwise, prompt: str, tier: Tier
) -> None:
    response = tw.converse(messages=user(prompt))
    info = response["tierwise"]
    assert info["tier"] == tier.value
    assert info["modelId"] == tw.settings.tier(tier).model_id
    (row,) = tw.ledger.rows(request_id=info["requestId"])
    assert row.tier == tier.value and row.status == "ok"
    assert row.route is not None and row.route["tier"] == tier.value
    assert row.route["reasons"], "the decision's reasons are recorded"
    assert row.route["policy_version"]
    usage = Usage.from_converse(response["usage"])
    assert row.cost_usd == price(usage, tw.settings.rates(tier)).total
    assert Decimal(info["costUsd"]) == row.cost_usd


def test_pinned_tier_and_raw_model_passthrough(tw: Tierwise) -> None:
    pinned = tw.converse(modelId="opus", messages=user("hello"))
    assert pinned["tierwise"]["tier"] == "opus"
    raw_id = "us.anthropic.claude-haiku-4-5-20251001-v1:0"  # a configured alternate
    raw = tw.converse(modelId=raw_id, messages=user("hello"))
    assert raw["tierwise"]["modelId"] == raw_id
    assert raw["tierwise"]["tier"] == "haiku"  # priced as the tier that lists it


def test_hints_cap_the_tier(tw: Tierwise) -> None:
    response = tw.converse(messages=user(PROOF), hints=Hints(max_tier=Tier.SONNET))
    assert response["tierwise"]["tier"] == "sonnet"
    reasons = " ".join(response["tierwise"]["route"]["reasons"])
    assert "sonnet" in reasons


def test_stream_is_ledgered_with_usage(tw: Tierwise) -> None:
    response = tw.converse_stream(modelId="sonnet", messages=user("Write two sentences."))
    text = "".join(
        e["contentBlockDelta"]["delta"].get("text", "")
        for e in response["stream"]
        if "contentBlockDelta" in e
    )
    assert text
    info = response["tierwise"]
    (row,) = tw.ledger.rows(request_id=info["requestId"])
    assert row.output_tokens > 0 and row.stop_reason == "end_turn"
    assert info["ledgerId"] == row.id and Decimal(info["costUsd"]) == row.cost_usd > 0


def test_abandoned_stream_is_still_ledgered(tw: Tierwise) -> None:
    response = tw.converse_stream(modelId="haiku", messages=user("Write a long essay."))
    stream = response["stream"]
    next(stream)
    stream.close()
    (row,) = tw.ledger.rows(request_id=response["tierwise"]["requestId"])
    assert row.stop_reason == "client_closed"


def test_prompt_cache_write_then_read_is_priced_at_cache_rates(tw: Tierwise) -> None:
    system = [{"text": "Policy. " * 1200}, {"cachePoint": {"type": "default"}}]
    first = tw.converse(modelId="sonnet", system=system, messages=user("Question one?"))
    second = tw.converse(modelId="sonnet", system=system, messages=user("Question two?"))
    u1 = Usage.from_converse(first["usage"])
    u2 = Usage.from_converse(second["usage"])
    assert u1.cache_write_5m > 1024 and u1.cache_read == 0
    assert u2.cache_read == u1.cache_write_5m and u2.cache_write == 0
    rates = tw.settings.rates(Tier.SONNET)
    assert Decimal(second["tierwise"]["costUsd"]) == price(u2, rates).total
    assert Decimal(second["tierwise"]["costUsd"]) < Decimal(first["tierwise"]["costUsd"])


def test_thinking_budget_is_applied_for_the_thinking_band() -> None:
    # Without a caller's cap the answer keeps its default room on top of the budget.
    request = {"messages": user("x"), "inferenceConfig": {"temperature": 0.2}}
    out = apply_thinking(request, 2048)
    assert out["additionalModelRequestFields"]["thinking"] == {
        "type": "enabled",
        "budget_tokens": 2048,
    }
    assert out["inferenceConfig"] == {"maxTokens": 2048 + 4096}
    assert request["inferenceConfig"]["temperature"] == 0.2  # input untouched
    own = {"messages": user("x"), "additionalModelRequestFields": {"thinking": {"type": "x"}}}
    assert apply_thinking(own, 4096) == own


def test_a_callers_max_tokens_caps_thinking_and_answer_together() -> None:
    capped = {"messages": user("x"), "inferenceConfig": {"maxTokens": 5000}}
    out = apply_thinking(capped, 8192)
    assert out["additionalModelRequestFields"]["thinking"]["budget_tokens"] == 5000 - 1024
    assert out["inferenceConfig"]["maxTokens"] == 5000
    too_small = {"messages": user("x"), "inferenceConfig": {"maxTokens": 2000}}
    assert apply_thinking(too_small, 8192) == too_small


_TOOL_CALL = {"toolUse": {"toolUseId": "t1", "name": "w", "input": {}}}
_TOOL_RESULT = {"toolResult": {"toolUseId": "t1", "content": [{"text": "sun"}]}}
_THOUGHT = {"reasoningContent": {"reasoningText": {"text": "hm", "signature": "s"}}}


@pytest.mark.parametrize(
    ("messages", "why"),
    [
        ([*user("x"), {"role": "assistant", "content": [{"text": "{"}]}], "prefill"),
        ([*user("weather?"), {"role": "assistant", "content": [_TOOL_CALL]},
          {"role": "user", "content": [_TOOL_RESULT]}], "called tools without thinking"),
    ],
)  # fmt: skip
def test_router_thinking_is_not_added_where_claude_would_refuse_it(
    messages: list[dict[str, Any]], why: str
) -> None:
    request = {"messages": messages}
    assert why in thinking_conflict(messages)
    assert apply_thinking(request, 2048) == request


def test_only_the_last_assistant_turn_must_carry_thinking() -> None:
    old_tool_turn = [
        *user("weather?"),
        {"role": "assistant", "content": [_TOOL_CALL]},
        {"role": "user", "content": [_TOOL_RESULT]},
        {"role": "assistant", "content": [{"text": "Sunny."}]},
        *user("and now?"),
    ]
    assert thinking_conflict(old_tool_turn) == ""
    with_thought = [*user("weather?"), {"role": "assistant", "content": [_THOUGHT, _TOOL_CALL]},
                    {"role": "user", "content": [_TOOL_RESULT]}]  # fmt: skip
    assert thinking_conflict(with_thought) == ""
    assert (
        "thinking"
        in apply_thinking({"messages": with_thought}, 2048)["additionalModelRequestFields"]
    )


def test_the_routing_decision_says_when_thinking_cannot_be_used(tw: Tierwise) -> None:
    hard = (
        "Prove that there are infinitely many primes p such that p + 2 is also prime, or "
        "explain rigorously why the problem is open, reconciling the literature."
    )
    prefill = {"messages": [*user(hard), {"role": "assistant", "content": [{"text": "Proof:"}]}]}
    hints = Hints(max_tier=Tier.SONNET)
    open_ = tw.route({"messages": user(hard)}, hints)
    blocked = tw.route(prefill, hints)
    assert open_.tier is Tier.SONNET and open_.thinking_budget  # capped from Opus: thinks
    assert blocked.thinking_budget is None
    assert any("prefill" in r for r in blocked.reasons)
    capped = tw.route({"messages": user(hard), "inferenceConfig": {"maxTokens": 3000}}, hints)
    assert capped.thinking_budget == 3000 - 1024


def test_errors_are_typed_and_ledgered(tw: Tierwise, live_emulator: Any) -> None:
    with pytest.raises(ModelNotAvailableError):
        tw.converse(modelId="us.anthropic.claude-nonexistent-v1:0", messages=user("hi"))
    live_emulator.inject(kind="throttle", count=50)
    with pytest.raises(ExhaustedError) as info:
        tw.converse(modelId="haiku", messages=user("hi"))
    assert info.value.code == "ThrottlingException"
    assert len(info.value.attempts) == 2 * tw.settings.retry.max_attempts  # both profiles
    live_emulator.reset()
    failed = [r for r in tw.ledger.rows() if r.status == "error"]
    assert [r.error_class for r in failed] == ["ModelNotAvailableError"] + ["ExhaustedError"] * 3
    # The default error policy ("allow-upgrade") tried the next tiers up before giving up.
    assert [r.tier for r in failed[1:]] == ["haiku", "sonnet", "opus"]
    assert len({r.request_id for r in failed[1:]}) == 1
    assert [r.attempt for r in failed[1:]] == [1, 2, 3]
    assert all(r.cost_usd == 0 for r in failed)


@pytest.mark.parametrize("extra", [{"maxTokens": 5}, {"images_checked": True}])
def test_unknown_argument_is_a_clear_error(tw: Tierwise, extra: dict[str, Any]) -> None:
    # images_checked was the gateway's note that its doors had sniffed the images: the
    # checked bytes now say so themselves, and callers have no such argument.
    with pytest.raises(InvalidRequestError, match="unknown converse argument"):
        tw.converse(messages=user("hi"), **extra)


CONVERSE_ARGUMENTS = [
    "self", "modelId", "hints", "validate", "escalate", "cheap_first", "api_key_id", "cancel",
    "deadline", "timeout_s", "routing_mode", "capture_rate", "kwargs",
]  # fmt: skip


@pytest.mark.parametrize(
    "method",
    [
        Tierwise.converse,
        Tierwise.converse_stream,
        AsyncTierwise.converse,
        AsyncTierwise.converse_stream,
    ],
)
def test_converse_methods_show_their_keyword_arguments(method: Any) -> None:
    """The four methods' arguments are written once; help() and editors still show each of
    them, keyword-only, with its type and default."""
    params = inspect.signature(method).parameters
    assert list(params) == CONVERSE_ARGUMENTS
    options = list(params.values())[1:-1]
    assert all(p.kind is p.KEYWORD_ONLY and p.default is None for p in options)
    assert params["timeout_s"].annotation == "float | None"
    assert params["kwargs"].kind is inspect.Parameter.VAR_KEYWORD
    assert method.__doc__
    assert inspect.iscoroutinefunction(method) == method.__qualname__.startswith("Async")


def test_count_tokens_matches_usage(tw: Tierwise) -> None:
    messages = user("How many tokens is this sentence?")
    counted = tw.count_tokens(modelId="sonnet", messages=messages)
    response = tw.converse(modelId="sonnet", messages=messages)
    assert counted == response["usage"]["inputTokens"]


def test_route_takes_string_content_and_refuses_other_types(tw: Tierwise) -> None:
    blocks = tw.route({"messages": user(CLASSIFY)})
    text = tw.route({"messages": [{"role": "user", "content": CLASSIFY}]})
    assert text.tier is blocks.tier and text.reasons == blocks.reasons
    with pytest.raises(InvalidRequestError, match="must be a list of content blocks"):
        tw.route({"messages": [{"role": "user", "content": 7}]})


@pytest.mark.parametrize(
    "model", ["haiku", "auto", "global.anthropic.claude-haiku-4-5-20251001-v1:0"]
)
@pytest.mark.parametrize(
    ("messages", "error"),
    [
        ("hi", "messages must be a list, not str"),
        ({"role": "user", "content": [{"text": "hi"}]}, "messages must be a list, not dict"),
        ([None], "messages[0] must be a dict with role and content, not NoneType"),
        (["hi"], "messages[0] must be a dict with role and content, not str"),
    ],
)
def test_messages_of_the_wrong_shape_are_an_invalid_request_on_every_model(
    tw: Tierwise, live_emulator: Any, model: str, messages: Any, error: str
) -> None:
    # A pinned tier or model ID raised AttributeError ('str' object has no attribute 'get')
    # from cache placement; only routed requests were checked.
    before = live_emulator.stats["total"]
    for call in (tw.converse, tw.converse_stream):
        with pytest.raises(InvalidRequestError) as refused:
            call(modelId=model, messages=messages)
        assert str(refused.value).startswith(error)
        assert refused.value.hint == 'use [{"role": "user", "content": [{"text": "..."}]}]'
    assert live_emulator.stats["total"] == before
    assert tw.ledger.rows() == []


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        ({}, "messages must be a non-empty list"),
        ({"messages": []}, "messages must be a non-empty list"),
        ({"messages": [{"role": "assistant", "content": [{"text": "hi"}]}]},
         "messages[0] is from the 'assistant' role"),
        ({"messages": [{"role": "user", "content": []}]}, "messages[0].content is empty"),
    ],
)  # fmt: skip
def test_a_conversation_bedrock_refuses_makes_no_call_and_no_row(
    tw: Tierwise, live_emulator: Any, request_: dict[str, Any], error: str
) -> None:
    # Each went to Bedrock and came back as its 400 ("A conversation must start with a user
    # message"), leaving an error row; the gateway's doors refused them before any call.
    before = live_emulator.stats["total"]
    for call in (tw.converse, tw.converse_stream):
        with pytest.raises(InvalidRequestError) as refused:
            call(modelId="haiku", **request_)
        assert str(refused.value).startswith(error)
    assert live_emulator.stats["total"] == before
    assert tw.ledger.rows() == []


def test_a_closed_client_makes_no_call(
    emu_settings: Any, ledger_url: str, live_emulator: Any
) -> None:
    # After close() a call still went to Bedrock (billed), and then its row failed to write:
    # "ledger write failed: Cannot operate on a closed database ... check the ledger
    # location and its permissions".
    from tierwise.errors import ClientClosedError

    messages = [{"role": "user", "content": [{"text": "hi"}]}]
    before = live_emulator.stats["total"]
    closed = Tierwise.from_settings(emu_settings, ledger_url=ledger_url)
    closed.close()
    for call in (closed.converse, closed.converse_stream):
        with pytest.raises(ClientClosedError, match="this Tierwise is closed: no call was made"):
            call(modelId="haiku", messages=messages)

    async def async_calls() -> None:
        client = AsyncTierwise.from_settings(emu_settings, ledger_url=ledger_url)
        await client.aclose()
        with pytest.raises(ClientClosedError, match="this AsyncTierwise is closed"):
            await client.converse(modelId="haiku", messages=messages)
        with pytest.raises(ClientClosedError):
            await client.converse_stream(modelId="haiku", messages=messages)

    asyncio.run(async_calls())
    assert live_emulator.stats["total"] == before


def test_an_unknown_guardrail_is_the_callers_error_not_a_missing_model(
    tw: Tierwise, live_emulator: Any
) -> None:
    # Bedrock answers ResourceNotFoundException for a guardrail that does not exist; it was
    # read as "the model was not found" (hint: check the model ID) and failed over to the
    # tier's alternate profile, which answered the same.
    from botocore.exceptions import ClientError

    before = live_emulator.stats["total"]
    with pytest.raises(InvalidRequestError) as refused:
        tw.converse(
            modelId="haiku",
            messages=[{"role": "user", "content": [{"text": "hi"}]}],
            guardrailConfig={"guardrailIdentifier": "nosuchguardrail", "guardrailVersion": "1"},
        )
    assert str(refused.value).startswith("Bedrock does not know the request's guardrail")
    assert refused.value.hint is not None and "guardrailIdentifier" in refused.value.hint
    assert refused.value.param == "guardrailConfig"
    assert isinstance(refused.value, ClientError)  # still what boto3 would have raised
    assert refused.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert live_emulator.stats["total"] == before + 1, "no failover to another profile"


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"timeout_s": float("nan")}, "timeout_s must be a positive number of seconds, not nan"),
        ({"timeout_s": 0}, "timeout_s must be a positive number of seconds, not 0"),
        ({"timeout_s": "30"}, "timeout_s must be a positive number of seconds, not '30'"),
        ({"hints": "sonnet"}, "hints must be a tierwise.core.hints.Hints, not str"),
        ({"modelId": 5}, "modelId must be a string, not int"),
        ({"validate": 5}, "validate must be a spec mapping or a list of validators, not int"),
        # A string was read by its truth: escalate="false" turned escalation on.
        ({"escalate": "false"}, "escalate must be True, False or None, not str 'false'"),
        ({"cheap_first": 0}, "cheap_first must be True, False or None, not int 0"),
    ],
)
def test_tierwise_arguments_of_the_wrong_kind_are_refused_before_any_call(
    tw: Tierwise, live_emulator: Any, options: dict[str, Any], error: str
) -> None:
    # A NaN timeout made the call and cut it ("deadline passed while Bedrock was answering",
    # an estimated row); the others were AttributeError/TypeError from deep inside.
    before = live_emulator.stats["total"]
    for call in (tw.converse, tw.converse_stream):
        with pytest.raises(InvalidRequestError) as refused:
            call(messages=[{"role": "user", "content": [{"text": "hi"}]}], **options)
        assert str(refused.value).startswith(error)
    assert live_emulator.stats["total"] == before
    assert tw.ledger.rows() == []


HI = [{"role": "user", "content": [{"text": "hi"}]}]
TOOL = {"toolSpec": {"name": "w", "inputSchema": {"json": {"type": "object"}}}}


@pytest.mark.parametrize(
    ("request_fields", "problem"),
    [
        ({"messages": [{"role": "user", "content": ["hi"]}]},
         "Invalid type for parameter messages[0].content[0] (got str, expected dict)"),
        ({"messages": HI, "system": [5]}, "Invalid type for parameter system[0]"),
        ({"messages": [{"role": "user", "content": [
            {"image": {"format": "png", "source": b"x"}}, {"text": "what?"}]}]},
         "Invalid type for parameter messages[0].content[0].image.source"),
        ({"messages": [{"role": "user", "content": [{"text": "x"}, {"cachePoint": "default"}]}]},
         "Invalid type for parameter messages[0].content[1].cachePoint"),
        ({"messages": HI, "toolConfig": {"tools": [5]}},
         "Invalid type for parameter toolConfig.tools[0]"),
        ({"messages": HI, "toolConfig": {"tools": [TOOL], "toolChoice": "auto"}},
         "Invalid type for parameter toolConfig.toolChoice"),
        ({"messages": HI, "inferenceConfig": {"maxTokens": float("nan")}},
         "Invalid type for parameter inferenceConfig.maxTokens (got float, expected int)"),
        ({"messages": HI, "additionalModelRequestFields": 5},
         "additionalModelRequestFields must be a JSON object"),
    ],
)  # fmt: skip
def test_a_malformed_request_is_botocores_parameter_error_not_a_crash(
    tw: Tierwise, live_emulator: Any, request_fields: dict[str, Any], problem: str
) -> None:
    # Routing read these before botocore checked them and crashed with a bare TypeError,
    # AttributeError or ValueError ("'bytes' object has no attribute 'get'"): now what
    # botocore says of them, naming the path and the type wanted, before any call or row.
    before = live_emulator.stats["total"]
    for call in (tw.converse, tw.converse_stream):
        with pytest.raises(InvalidRequestError) as refused:
            call(**request_fields)
        assert problem in refused.value.message
    assert live_emulator.stats["total"] == before
    assert tw.ledger.rows() == []


def test_route_of_a_malformed_request_is_botocores_parameter_error(tw: Tierwise) -> None:
    # It crashed with "TypeError: argument of type 'int' is not iterable".
    with pytest.raises(InvalidRequestError) as refused:
        tw.route({"messages": HI, "toolConfig": {"tools": [5]}})
    assert "Invalid type for parameter toolConfig.tools[0] (got int, expected dict)" in (
        refused.value.message
    )
    # Plain strings as content stay a convenience of route (the CLI's and the docs' form).
    assert tw.route({"messages": [{"role": "user", "content": "hi"}]}).tier is not None

"""Bedrock Guardrails' assessments are billed per 1,000 text units per policy type, besides
the model: priced from the response's trace (exact), else estimated from the text checked
(labelled), in the ledger row's cost, itemised in its metadata, in `tierwise spend`, and
counted by a key's budget. Prices are configuration ([guardrails.prices])."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tierwise.cli.app import app as cli
from tierwise.client import Tierwise
from tierwise.config import GuardrailPrices, Settings
from tierwise.core.guardrails import guardrail_charge, guardrail_worst_case
from tierwise.core.pricing import Usage, price
from tierwise.core.tiers import Tier
from tierwise.emulator import Emulator
from tierwise.errors import DeadlineExceededError, InvalidRequestError
from tierwise.store import open_ledger
from tierwise.store.keys import KeyStore

WORD_PRICE = Decimal("0.50")  # the emulator's guardrail is a word filter (free on Bedrock)
TEXT = "word " * 500  # 2,500 characters: 3 text units
THOUSAND = Decimal(1000)


@pytest.fixture
def tw(default_settings: Settings, tmp_path: Path) -> Iterator[tuple[Tierwise, str, Settings]]:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    with Emulator(default_settings, port=0).start() as emu:
        emu.add_guardrail("acme", "1", blocked_words=["plutonium"])
        settings = default_settings.with_overrides(
            {
                "endpoint_url": emu.url,
                "retry.base_delay_s": 0.0,
                "guardrails.prices.word": str(WORD_PRICE),
            }
        )
        with Tierwise.from_settings(settings, ledger_url=db) as client:
            yield client, db, settings


def _ask(tw: Tierwise, trace: str, text: str = TEXT, **kwargs: Any) -> dict[str, Any]:
    out: dict[str, Any] = tw.converse(
        modelId="haiku",
        messages=[{"role": "user", "content": [{"text": text}]}],
        guardrailConfig={"guardrailIdentifier": "acme", "guardrailVersion": "1", "trace": trace},
        **kwargs,
    )
    return out


def _row(tw: Tierwise, out: dict[str, Any]) -> Any:
    (row,) = [r for r in tw.ledger.rows() if r.request_id == out["tierwise"]["requestId"]]
    return row


def _model_cost(settings: Settings, row: Any) -> Decimal:
    return price(row.usage, settings.rates(Tier.HAIKU), model_id=row.model_id).total


def test_traced_units_are_priced_exactly(tw: tuple[Tierwise, str, Settings]) -> None:
    client, _, settings = tw
    out = _ask(client, "enabled")
    guard = out["trace"]["guardrail"]
    units = guard["inputAssessment"]["acme"]["invocationMetrics"]["usage"]["wordPolicyUnits"]
    units += guard["outputAssessments"]["acme"][0]["invocationMetrics"]["usage"]["wordPolicyUnits"]
    assert units >= 4  # 3 for the prompt, at least 1 for the answer
    row = _row(client, out)
    charge = units * WORD_PRICE / THOUSAND
    assert row.metadata["guardrail_units"] == {"word": units}
    assert Decimal(row.metadata["guardrail_usd"]) == charge
    assert "guardrail_estimate" not in row.metadata
    assert row.cost_usd == _model_cost(settings, row) + charge > _model_cost(settings, row)
    assert Decimal(out["tierwise"]["costUsd"]) == row.cost_usd


def test_a_blocked_prompt_bills_its_assessment(tw: tuple[Tierwise, str, Settings]) -> None:
    client, _, _ = tw
    out = _ask(client, "enabled", text="plutonium " + TEXT)
    assert out["stopReason"] == "guardrail_intervened"
    row = _row(client, out)
    assert row.usage.total == 0  # the model never ran
    assert row.cost_usd == 3 * WORD_PRICE / THOUSAND  # but the guardrail checked 3 units


def test_without_a_trace_units_are_estimated_and_labelled(
    tw: tuple[Tierwise, str, Settings],
) -> None:
    client, _, settings = tw
    out = _ask(client, "disabled")
    assert "trace" not in out
    row = _row(client, out)
    assert "estimated" in row.metadata["guardrail_estimate"]
    answer_units = -(-row.usage.output * 4 // 1000)
    per_policy = 3 + answer_units
    policies = settings.guardrails.prices.estimate_policies
    assert row.metadata["guardrail_units"] == dict.fromkeys(policies, per_policy)
    rates = settings.guardrails.prices.per_thousand()
    charge = sum((per_policy * rates[p] / THOUSAND for p in policies), Decimal(0))
    assert charge > 0
    assert row.cost_usd == _model_cost(settings, row) + charge


def test_spend_and_budgets_count_guardrail_charges(
    tw: tuple[Tierwise, str, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, db, settings = tw
    store = KeyStore(client.ledger)  # type: ignore[arg-type]
    key, _ = store.create("k", budget_usd=Decimal("10"))
    out = _ask(client, "enabled", api_key_id=key.id)
    row = _row(client, out)
    guard = Decimal((row.metadata or {})["guardrail_usd"])
    assert guard > 0
    spent = store.get(key.id)
    assert spent is not None and spent.spent_usd == row.cost_usd
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(cli, ["--db", db, "spend", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert Decimal(data["total"]["guardrail_cost_usd"]) == guard
    assert Decimal(data["total"]["cost_usd"]) == row.cost_usd
    # Any tier would have paid the guardrail: the all-Opus figure includes it, so the
    # saving against it is the model's alone.
    opus = price(row.usage, settings.rates(Tier.OPUS), model_id=None).total
    assert Decimal(data["savings"]["all_opus_cost_usd"]) == opus + guard
    table = CliRunner().invoke(cli, ["--db", db, "spend"])
    assert "guardrails (USD)" in table.stdout


def test_guardrail_prices_are_configuration(default_settings: Settings) -> None:
    prices = default_settings.guardrails.prices
    assert prices.content == Decimal("0.15") and prices.word == 0
    changed = default_settings.with_overrides({"guardrails.prices.content": "0.2"})
    assert changed.guardrails.prices.content == Decimal("0.2")


def test_a_streams_traced_units_are_priced(tw: tuple[Tierwise, str, Settings]) -> None:
    client, _, settings = tw
    out = client.converse_stream(
        modelId="haiku",
        messages=[{"role": "user", "content": [{"text": TEXT}]}],
        guardrailConfig={
            "guardrailIdentifier": "acme",
            "guardrailVersion": "1",
            "trace": "enabled",
        },
    )
    events = list(out["stream"])
    (meta,) = [e["metadata"] for e in events if "metadata" in e]
    assert "guardrail" in meta["trace"]
    row = _row(client, out)
    units = row.metadata["guardrail_units"]["word"]
    assert units >= 4 and "guardrail_estimate" not in row.metadata
    assert row.cost_usd == _model_cost(settings, row) + units * WORD_PRICE / THOUSAND


def test_the_estimate_counts_what_bedrock_checks() -> None:
    # Plain system text is not checked; guardContent blocks, where present, are the only
    # message text checked.
    prices = {"content": Decimal("0.15")}
    plain = {
        "system": [{"text": "s" * 5000}],
        "messages": [{"role": "user", "content": [{"text": "m" * 1500}]}],
    }
    charge = guardrail_charge(prices, request=plain, estimate_policies=["content"])
    assert charge.units == {"content": 2} and charge.estimate is not None
    guarded = {
        "system": [{"guardContent": {"text": {"text": "g" * 900}}}],
        "messages": [
            {
                "role": "user",
                "content": [{"text": "m" * 5000}, {"guardContent": {"text": {"text": "q" * 100}}}],
            }
        ],
    }
    charge = guardrail_charge(
        prices, request=guarded, output_tokens=300, estimate_policies=["content"]
    )
    assert charge.units == {"content": 1 + 2}  # 1,000 checked characters, 1,200 of answer
    assert charge.cost == 3 * Decimal("0.15") / THOUSAND


def test_tool_results_are_not_counted_as_checked_text() -> None:
    # AWS's "Include a guardrail with the Converse API" page: tool results
    # (messages[].content[].toolResult) and tool definitions are not evaluated by any
    # guardrail filter, so they bill no text units.
    prices = {"content": Decimal("0.15")}
    text = {"role": "user", "content": [{"text": "m" * 1500}]}
    plain = {"messages": [text]}
    with_tools = {
        "messages": [
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t", "name": "f",
                                                            "input": {"q": "x" * 3000}}}]},
            {"role": "user", "content": [{"toolResult": {"toolUseId": "t",
                                                         "content": [{"text": "r" * 5000}]}}]},
            text,
        ],
        "toolConfig": {"tools": [{"toolSpec": {"name": "f", "description": "d" * 4000,
                                               "inputSchema": {"json": {}}}}]},
    }  # fmt: skip
    for request in (plain, with_tools):
        charge = guardrail_charge(prices, request=request, estimate_policies=["content"])
        assert charge.units == {"content": 2}


def test_images_a_guardrail_may_assess_are_a_labelled_gap() -> None:
    # Image content filters assess images (guardContent may carry one), but no price for
    # their units is sourced: they are left out of the charge and the row says so, rather
    # than priced at an invented rate. A tool result's image is not assessed.
    prices = {"content": Decimal("0.15")}
    png = {"format": "png", "source": {"bytes": b"x"}}
    request = {
        "messages": [
            {"role": "user", "content": [
                {"text": "m" * 1500}, {"image": png}, {"guardContent": {"image": png}},
                {"toolResult": {"toolUseId": "t", "content": [{"image": png}]}},
            ]},
        ],
    }  # fmt: skip
    charge = guardrail_charge(prices, request=request, estimate_policies=["content"])
    assert charge.units == {"content": 2} and charge.cost == 2 * Decimal("0.15") / THOUSAND
    assert charge.unpriced is not None and charge.unpriced.startswith("2 image(s)")
    assert "not priced" in charge.unpriced
    usage = {"contentPolicyUnits": 2, "contentPolicyImageUnits": 1}
    trace = {"guardrail": {"inputAssessment": {"g": {"invocationMetrics": {"usage": usage}}}}}
    traced = guardrail_charge(prices, trace=trace, request=request)
    assert traced.units == {"content": 2} and traced.estimate is None
    assert traced.unpriced is not None and traced.unpriced.startswith("1 image unit(s)")
    text_only = {"messages": [{"role": "user", "content": [{"text": "m"}]}]}
    assert guardrail_charge(prices, request=text_only).unpriced is None


# A guarded request (a 3-unit prompt, a 1-unit worst case): its call cut off by the deadline,
# or its hold left to expire.
CUT_REQUEST = {
    "messages": [{"role": "user", "content": [{"text": TEXT}]}],
    "inferenceConfig": {"maxTokens": 20},
    "guardrailConfig": {"guardrailIdentifier": "acme", "guardrailVersion": "1"},
}


@pytest.fixture
def guarded_cut(deadline_cut: tuple[Emulator, Settings]) -> Settings:
    """Settings whose deadline cuts every call off, on an emulator with the acme guardrail."""
    emu, settings = deadline_cut
    emu.add_guardrail("acme", "1", blocked_words=["plutonium"])
    return settings


@pytest.mark.parametrize("stream", [False, True], ids=["call", "stream"])
def test_a_call_cut_at_its_deadline_estimates_the_prompts_units(
    guarded_cut: Settings, tmp_path: Path, stream: bool
) -> None:
    # The cut-off row is estimated (no answer, so no trace): the guardrail checked the
    # prompt (3 units) whatever became of the answer (a call's worst case: 20 tokens, 1
    # unit; a stream that never opened: none). The row counted no prompt text before.
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    settings = guarded_cut
    with Tierwise.from_settings(settings, ledger_url=db) as client:
        send = client.converse_stream if stream else client.converse
        with pytest.raises(DeadlineExceededError):
            send(modelId="haiku", **CUT_REQUEST)
    (row,) = _rows(db)
    assert row.error_class == "AttemptCutError"
    per_policy = 3 if stream else 3 + 1
    rates = settings.guardrails.prices.per_thousand()
    # Bedrock bills only the policies the guardrail has, which without a trace are known
    # as estimate_policies: a call cut off is charged those (on its worst-case answer), as
    # a stream that never opened and any untraced row are.
    policies = settings.guardrails.prices.estimate_policies
    assert row.metadata["guardrail_units"] == dict.fromkeys(policies, per_policy)
    charge = sum((per_policy * rates[p] / THOUSAND for p in policies), Decimal(0))
    assert row.cost_usd == _model_cost(settings, row) + charge


def test_a_call_cut_at_its_deadline_is_charged_its_guardrails_policies_within_its_hold(
    guarded_cut: Settings, tmp_path: Path
) -> None:
    # Bedrock bills only the policies the guardrail has (AWS, "How charges are
    # calculated"). A call the deadline closed before Bedrock answered was charged every
    # priced policy (5, automated reasoning and grounding included) where an untraced
    # answer is charged the guardrail's own, estimate_policies (3). The key's hold, a cap,
    # still counts all 5 (and an expired hold is charged what it held): the row is less.
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    settings = guarded_cut
    with Tierwise.from_settings(settings, ledger_url=db) as client:
        store = KeyStore(client.ledger)  # type: ignore[arg-type]
        key, _ = store.create("k", budget_usd=Decimal("10"))
        with pytest.raises(DeadlineExceededError):
            client.converse(modelId="haiku", api_key_id=key.id, **CUT_REQUEST)
        client.driver.close()  # the cut call has ended and been ledgered
        (row,) = client.ledger.rows()
        # The same request's hold: its guardrail part counts every priced policy.
        held = guardrail_worst_case(
            settings.guardrails.prices.per_thousand(),
            request=CUT_REQUEST,
            output_tokens=row.output_tokens,
        ).cost
    assert row.error_class == "AttemptCutError"
    policies = settings.guardrails.prices.estimate_policies
    assert set(row.metadata["guardrail_units"]) == set(policies)
    rates = settings.guardrails.prices.per_thousand()
    charge = sum((4 * rates[p] / THOUSAND for p in policies), Decimal(0))  # prompt 3 + answer 1
    assert 0 < Decimal(row.metadata["guardrail_usd"]) == charge < held
    assert "estimated" in row.metadata["guardrail_estimate"]


def _rows(db: str) -> list[Any]:
    with open_ledger(db) as ledger:
        return ledger.rows()


def _expired_hold(
    client: Tierwise, store: KeyStore, key_id: str, request: dict[str, Any]
) -> tuple[Any, Any]:
    """A hold on ``request`` for ``key_id`` that expires unsettled, and the row it is
    charged with (request id "expired")."""
    plan = client.plan("haiku", request)
    hold, _ = client.reserve("expired", 1, plan, client.prepare(request, plan), key_id)
    assert hold is not None
    # Just past its expiry: a second TTL later what the expiry kept would be charged too.
    ttl = client.settings.budgets.reservation_ttl_s
    assert store.reconcile(datetime.now(UTC) + timedelta(seconds=ttl + 60)) >= 1
    (row,) = client.ledger.rows(request_id="expired")
    return hold, row


def test_an_expired_holds_row_itemises_its_guardrail_part(
    tw: tuple[Tierwise, str, Settings],
) -> None:
    # A hold never settled (its gateway stopped mid-call) is charged at its worst case,
    # guardrail included: its row says how much of that is the guardrail's, as any row
    # does (spend's guardrail column and the counterfactuals read it; it said nothing).
    # The guardrail part is its own policies, not every priced one the hold counted.
    client, _, _ = tw
    store = KeyStore(client.ledger)  # type: ignore[arg-type]
    key, _ = store.create("k", budget_usd=Decimal("10"))
    request = {
        "messages": [{"role": "user", "content": [{"text": TEXT}]}],
        "guardrailConfig": {"guardrailIdentifier": "acme", "guardrailVersion": "1"},
    }
    hold, row = _expired_hold(client, store, key.id, request)
    guard = Decimal((row.metadata or {})["guardrail_usd"])
    assert 0 < guard < row.cost_usd < hold.amount_usd


def test_an_expired_hold_is_charged_its_guardrails_policies_not_every_priced_one(
    tw: tuple[Tierwise, str, Settings],
) -> None:
    # Bedrock bills only the policies a guardrail has (AWS, "How charges are calculated");
    # without a trace they are known as estimate_policies. The hold, a cap, counts every
    # priced policy; the row of a hold that expired unsettled is charged the guardrail's
    # own (on the prompt and the longest answer), as a deadline-cut call is, and the rest
    # of the hold stays held until the call settles (its row may still come, charged up
    # to the whole hold). It was charged all 5 priced policies.
    client, _, settings = tw
    store = KeyStore(client.ledger)  # type: ignore[arg-type]
    key, _ = store.create("k", budget_usd=Decimal("10"))
    request = CUT_REQUEST  # a 3-unit prompt, a 1-unit worst case
    hold, row = _expired_hold(client, store, key.id, request)
    prices = settings.guardrails.prices
    rates = prices.per_thousand()
    policies = prices.estimate_policies
    per_policy = 3 + 1  # the prompt's 3 units and a 20-token answer's 1
    charge = sum((per_policy * rates[p] / THOUSAND for p in policies), Decimal(0))
    meta = row.metadata or {}
    assert Decimal(meta["guardrail_usd"]) == charge
    assert meta["guardrail_units"] == dict.fromkeys(policies, per_policy)
    assert row.cost_usd == _model_cost(settings, row) + charge < hold.amount_usd
    (current,) = [k for k in store.list() if k.id == key.id]
    assert current.spent_usd == row.cost_usd
    assert current.reserved_usd == hold.amount_usd - row.cost_usd


def test_a_hold_settled_after_expiring_replaces_its_charge(
    tw: tuple[Tierwise, str, Settings],
) -> None:
    # The call of an expired hold settles after all: its row replaces the estimated one
    # and the key is charged the difference from what the expired row charged (not from
    # what the hold reserved), so the spend is the settled row's cost.
    client, _, _ = tw
    store = KeyStore(client.ledger)  # type: ignore[arg-type]
    key, _ = store.create("k", budget_usd=Decimal("10"))
    request = CUT_REQUEST  # a 3-unit prompt, a 1-unit worst case
    hold, expired = _expired_hold(client, store, key.id, request)
    late = dataclasses.replace(expired, cost_usd=Decimal("0.000123"), status="ok")
    store.settle(hold, late)
    (row,) = client.ledger.rows(request_id="expired")
    assert row.cost_usd == Decimal("0.000123")
    (current,) = [k for k in store.list() if k.id == key.id]
    assert current.spent_usd == Decimal("0.000123") and current.reserved_usd == 0


PNG = {"format": "png", "source": {"bytes": b"\x89PNG\r\n\x1a\n"}}


def test_an_image_price_is_configuration_that_prices_image_units() -> None:
    # No price for image content filter units is sourced, so none ships; an operator who
    # sets [guardrails.prices] image gets the trace's image units priced, an untraced
    # image counted as one unit (said so), and the worst case counting every image.
    rates = {"content": Decimal("0.15")}
    request = {"messages": [{"role": "user", "content": [{"text": "m" * 900}, {"image": PNG}]}]}
    usage = {"contentPolicyUnits": 1, "contentPolicyImageUnits": 2}
    trace = {"guardrail": {"inputAssessment": {"g": {"invocationMetrics": {"usage": usage}}}}}
    image = Decimal("0.001")
    traced = guardrail_charge(rates, trace=trace, request=request, image_price=image)
    assert traced.units == {"content": 1, "image": 2} and traced.unpriced is None
    assert traced.cost == Decimal("0.15") / THOUSAND + 2 * image
    untraced = guardrail_charge(
        rates, request=request, estimate_policies=["content"], image_price=image
    )
    assert untraced.units == {"content": 1, "image": 1} and untraced.unpriced is None
    assert untraced.estimate is not None and "one per image" in untraced.estimate
    # The guardrail's own policies without content: its image filter is not assumed.
    assert (
        "image"
        not in guardrail_charge(
            rates, request=request, estimate_policies=["topic"], image_price=image
        ).units
    )
    worst = guardrail_worst_case(rates, request=request, output_tokens=0, image_price=image)
    assert worst.units["image"] == 1 and worst.unpriced is None
    assert guardrail_worst_case(rates, request=request, output_tokens=0).unpriced is not None
    assert GuardrailPrices().image is None
    assert GuardrailPrices(image=Decimal("0.002")).image == Decimal("0.002")


def _image_request() -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": [{"text": TEXT}, {"image": PNG}]}],
        "inferenceConfig": {"maxTokens": 20},
        "guardrailConfig": {"guardrailIdentifier": "acme", "guardrailVersion": "1"},
    }


def test_a_budgeted_key_is_refused_guarded_images_it_cannot_price(
    tw: tuple[Tierwise, str, Settings],
) -> None:
    # A budget is a cap: a guarded request with an image may be billed image units that
    # no configured price covers, so its worst case cannot be held. A key with a budget
    # is refused it before any call (it was served, its hold and row leaving the image
    # out); a key without one is served and its row flags the unpriced image.
    client, _, _ = tw
    store = KeyStore(client.ledger)  # type: ignore[arg-type]
    capped, _ = store.create("capped", budget_usd=Decimal("10"))
    free, _ = store.create("free")
    with pytest.raises(InvalidRequestError, match="image"):
        client.converse(modelId="haiku", api_key_id=capped.id, **_image_request())
    assert client.ledger.rows() == []
    (current,) = [k for k in store.list() if k.id == capped.id]
    assert current.spent_usd == 0 and current.reserved_usd == 0
    out = client.converse(modelId="haiku", api_key_id=free.id, **_image_request())
    row = _row(client, out)
    assert "image" in row.metadata["guardrail_unpriced"]


def test_with_an_image_price_a_budgeted_key_holds_and_pays_for_images(
    default_settings: Settings, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    image = Decimal("0.01")
    with Emulator(default_settings, port=0).start() as emu:
        emu.add_guardrail("acme", "1", blocked_words=["plutonium"])
        settings = default_settings.with_overrides(
            {"endpoint_url": emu.url, "guardrails.prices.image": str(image)}
        )
        with Tierwise.from_settings(settings, ledger_url=db) as client:
            store = KeyStore(client.ledger)  # type: ignore[arg-type]
            key, _ = store.create("capped", budget_usd=Decimal("10"))
            out = client.converse(modelId="haiku", api_key_id=key.id, **_image_request())
            row = _row(client, out)
            hold, _ = _expired_hold(client, store, key.id, _image_request())
    assert "guardrail_unpriced" not in row.metadata
    assert row.metadata["guardrail_units"]["image"] == 1
    assert Decimal(row.metadata["guardrail_usd"]) >= image
    assert hold.amount_usd > image


def test_a_trace_billing_more_image_units_than_held_is_charged_flagged_and_held_next_time(
    default_settings: Settings, tmp_path: Path
) -> None:
    # QA: the hold counts one unit per image (how many units an image makes is not
    # sourced) and a trace may report more. Bedrock billed them, so the row and the key are
    # charged in full; the row says by how much its hold was passed, and later holds count
    # as many units per image, so the same request cannot pass its hold again.
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    image = Decimal("1")  # dear enough that the image part outweighs the model's slack
    usage = {"contentPolicyUnits": 3, "contentPolicyImageUnits": 3}
    trace = {"guardrail": {"inputAssessment": {"g": {"invocationMetrics": {"usage": usage}}}}}
    with Emulator(default_settings, port=0).start() as emu:
        emu.add_guardrail("acme", "1", blocked_words=["plutonium"])
        settings = default_settings.with_overrides(
            {"endpoint_url": emu.url, "guardrails.prices.image": str(image)}
        )
        with Tierwise.from_settings(settings, ledger_url=db) as client:
            store = KeyStore(client.ledger)  # type: ignore[arg-type]
            key, _ = store.create("capped", budget_usd=Decimal("100"))
            request = _image_request()
            plan = dataclasses.replace(client.plan("haiku", request), guardrail="acme:1")
            first, sent = client.reserve("r1", 1, plan, client.prepare(request, plan), key.id)
            assert first is not None and first.amount_usd < 2 * image  # one unit per image
            billed = client.accountant.row(
                "r1", plan, plan.profiles[0], 1.0, usage=Usage(input=700, output=5),
                api_key_id=key.id, request=sent, trace=trace,
            )  # fmt: skip
            store.settle(first, billed)
            (row,) = client.ledger.rows(request_id="r1")
            after = store.get(key.id)
            later, _ = client.reserve("r2", 1, plan, client.prepare(request, plan), key.id)
    assert row.metadata["guardrail_units"]["image"] == 3
    assert row.cost_usd > first.amount_usd  # billed as Bedrock reports, not cut to the hold
    assert Decimal(row.metadata["over_hold_usd"]) == row.cost_usd - first.amount_usd
    assert after is not None and after.spent_usd == row.cost_usd
    assert later is not None and later.amount_usd >= 3 * image

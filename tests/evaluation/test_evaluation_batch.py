"""Evaluation replays through Bedrock batch: the emulator's Converse-type jobs carry each
record's requestMetadata (so skill-tagged replays are answered by their skills), the runner
puts such records in Converse jobs, and `Evaluator` uses batch from a threshold on, at the
batch price, ledgered as evaluation, within its budget."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator_clients import emulator_client
from tierwise.batch import BatchRunner
from tierwise.batch.runner import FINAL_STATUSES
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.evaluation import class_reports
from tierwise.core.pricing import Usage, price
from tierwise.core.tiers import Tier
from tierwise.emulator.skills import CLASS_KEY
from tierwise.evaluator import EvalItem, Evaluator

SKILLS = {
    "label": {"haiku": 0.9, "sonnet": 0.97, "opus": 1.0, "closed": True},
    "reply": {"haiku": 0.5, "sonnet": 0.95, "opus": 1.0},
}
HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0"


def converse_body(name: str, i: int) -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": [{"text": f"{name} task number {i}: go"}]}],
        "requestMetadata": {CLASS_KEY: name},
    }


def item(name: str, i: int) -> EvalItem:
    return EvalItem(f"{name}-{i}", converse_body(name, i), name)


@pytest.fixture
def tw(emu_settings: Settings, ledger_url: str, live_emulator: Any) -> Iterator[Tierwise]:
    live_emulator.set_skills(SKILLS)
    with Tierwise.from_settings(emu_settings, ledger_url=ledger_url) as client:
        yield client


# -- the emulator's batch ---------------------------------------------------------------


def test_a_converse_job_answers_skill_tagged_records_by_their_skills(live_emulator: Any) -> None:
    live_emulator.set_skills(SKILLS)
    body = converse_body("label", 7)
    out = live_emulator.batch_record(HAIKU, body, "Converse")
    text = out["modelOutput"]["output"]["message"]["content"][0]["text"]
    assert live_emulator.acceptable(body, text) is not None  # the skill table answered
    assert text.startswith("label-")
    assert {"inputTokens", "outputTokens"} <= set(out["modelOutput"]["usage"])
    # Bedrock's rules for Converse-type records: no tools, only Converse body members
    tools = {"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {"type": "object"}}}}]}
    refused = live_emulator.batch_record(HAIKU, {**body, "toolConfig": tools}, "Converse")
    assert refused["error"]["errorCode"] == 400
    extra = live_emulator.batch_record(HAIKU, {**body, "modelId": HAIKU}, "Converse")
    assert extra["error"]["errorCode"] == 400
    bad = live_emulator.batch_record(HAIKU, {**body, "requestMetadata": {"k": "a;b"}}, "Converse")
    assert bad["error"]["errorCode"] == 400
    # an InvokeModel job's record is an Anthropic body: a Converse body is malformed there
    assert live_emulator.batch_record(HAIKU, body, "InvokeModel")["error"]["errorCode"] == 400


def test_a_job_of_an_unknown_invocation_type_is_refused(emu_settings: Settings) -> None:
    control = emulator_client("bedrock", emu_settings.endpoint_url)
    with pytest.raises(ClientError) as caught:
        control.create_model_invocation_job(
            jobName="j1", roleArn="arn:aws:iam::123456789012:role/r", modelId=HAIKU,
            inputDataConfig={"s3InputDataConfig": {"s3Uri": "s3://tierwise-batch/in/"}},
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://tierwise-batch/out/"}},
            modelInvocationType="Chat",
        )  # fmt: skip
    assert caught.value.response["Error"]["Code"] == "ValidationException"


# -- the runner -------------------------------------------------------------------------


def test_records_with_request_metadata_run_in_converse_jobs(tw: Tierwise, tmp_path: Path) -> None:
    runner = BatchRunner(tw)
    tagged = [{"custom_id": f"t{i}", "converse": {**converse_body("label", i), "modelId": "haiku"}}
              for i in range(100)]  # fmt: skip
    plain = [{"custom_id": f"p{i}", "converse": {"modelId": "haiku", "messages":
              converse_body("label", i)["messages"]}} for i in range(100)]  # fmt: skip
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in tagged + plain))
    batch_id = runner.submit(source)
    kinds = {j.detail["modelInvocationType"] for j in runner.store.jobs(batch_id)}
    assert kinds == {"Converse", "InvokeModel"}
    while any(j.status not in FINAL_STATUSES for j in runner.status(batch_id)):
        time.sleep(0.01)
    lines = {line["custom_id"]: line for line in runner.collect(batch_id)}
    assert all(line["state"] == "done" and line["mode"] == "batch" for line in lines.values())
    answer = lines["t3"]["result"]["response"]  # a Converse response, as on demand
    text = answer["output"]["message"]["content"][0]["text"]
    assert tw_acceptable(tw, converse_body("label", 3), text)
    usage = Usage.from_converse(answer["usage"])
    rates = tw.settings.rates(Tier.HAIKU)
    assert (
        Decimal(lines["t3"]["result"]["cost_usd"])
        == price(usage, rates, batch=True, model_id=HAIKU).total
    )
    assert "message" in lines["p3"]["result"]  # InvokeModel jobs answer in Anthropic's shape


def tw_acceptable(tw: Tierwise, request: dict[str, Any], text: str) -> bool:
    # the skill table's closed answers are one label line per task
    return text.startswith("label-")


# -- the evaluator ----------------------------------------------------------------------


def test_evaluate_replays_through_batch_from_the_threshold_on(tw: Tierwise) -> None:
    items = [item("label", i) for i in range(60)] + [item("reply", i) for i in range(60)]
    evaluator = Evaluator(tw, tiers=list(Tier.ordered()), budget_usd=Decimal("20"),
                          batch_min_records=100)  # fmt: skip
    run = evaluator.run(items)
    assert not run.stopped and len(run.outcomes) == 120
    rows = tw.ledger.rows()
    assert all((r.metadata or {}).get("purpose") == "evaluation" for r in rows)
    batched = [r for r in rows if r.batch]
    # every replay (360) ran in a job; judge calls too where their group reached the minimum
    assert len(batched) == run.batched >= 360
    assert sum((r.cost_usd for r in rows), Decimal(0)) == run.spent <= Decimal(20)
    for r in batched:
        rates = tw.settings.rates(Tier(r.tier))
        assert r.cost_usd == price(r.usage, rates, batch=True, model_id=r.model_id).total
    for report in class_reports(run.outcomes, reference=Tier.OPUS, quality_target=0.85):
        for ev in report.evidence:
            if ev.tier is not Tier.OPUS:
                low, high = ev.interval
                assert low <= SKILLS[report.task_class][ev.tier.value] <= high, report.task_class


def test_below_the_threshold_every_call_is_on_demand(tw: Tierwise) -> None:
    run = Evaluator(tw, tiers=[Tier.HAIKU, Tier.OPUS], budget_usd=Decimal(5),
                    batch_min_records=100).run([item("reply", i) for i in range(5)])  # fmt: skip
    assert len(run.outcomes) == 5 and run.batched == 0
    assert not any(r.batch for r in tw.ledger.rows())


def test_the_budget_holds_for_batch(tw: Tierwise) -> None:
    # the worst case of all 200 items does not fit $4 (the real cost does): the first round
    # takes what its worst case allows, later rounds what the real spend left
    items = [item("reply", i) for i in range(200)]
    evaluator = Evaluator(tw, tiers=list(Tier.ordered()), budget_usd=Decimal(4),
                          batch_min_records=100, max_tokens=256)  # fmt: skip
    run = evaluator.run(items)
    rows = tw.ledger.rows()
    assert sum((r.cost_usd for r in rows), Decimal(0)) == run.spent <= Decimal(4)
    assert run.batched > 0
    batches = {(r.metadata or {}).get("batch_id") for r in rows} - {None}
    assert len(batches) >= 3  # replays and judging of round 1, then another round
    assert len(run.outcomes) == 200 or run.stopped.startswith("budget")


def test_a_small_budget_stops_batch_evaluation_within_it(tw: Tierwise) -> None:
    evaluator = Evaluator(tw, tiers=list(Tier.ordered()), budget_usd=Decimal("0.3"),
                          batch_min_records=100, max_tokens=256)  # fmt: skip
    run = evaluator.run([item("reply", i) for i in range(150)])
    assert run.stopped.startswith("budget") and len(run.outcomes) < 150
    assert sum((r.cost_usd for r in tw.ledger.rows()), Decimal(0)) == run.spent <= Decimal("0.3")


def test_a_record_batch_refuses_counts_as_a_failed_call(tw: Tierwise) -> None:
    # Batch submit refuses what Bedrock would (here a blank text block) before the job;
    # evaluate counted such a record neither as a call nor a failure, so "N of M calls
    # failed" left it out.
    blank = {**converse_body("reply", 999), "messages": [
        {"role": "user", "content": [{"text": "go"}, {"text": "  "}]}]}  # fmt: skip
    items = [item("reply", i) for i in range(100)] + [EvalItem("blank", blank, "reply")]
    run = Evaluator(tw, tiers=[Tier.HAIKU, Tier.OPUS], budget_usd=Decimal(20),
                    batch_min_records=100, max_tokens=256).run(items)  # fmt: skip
    assert run.failed.get("refused batch record", 0) >= 1

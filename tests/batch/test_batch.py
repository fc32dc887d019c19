"""Batch inference end to end: 250 records through submit, status and collect against the
emulator's batch jobs and a separate S3 server (a second emulator, serving only its S3), so
both the runner and the batch jobs reach S3 through boto3 at a configured endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from emulator_clients import emulator_client
from tierwise.batch import BatchRunner
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.convert.anthropic import usage_from_message
from tierwise.core.pricing import price
from tierwise.core.tiers import Tier
from tierwise.emulator import Emulator

CLASSIFY = (
    "Classify this ticket into exactly one of: billing, technical, account. "
    "Ticket #{i}: charged twice."
)
SUMMARY = (
    "Summarize the following meeting notes for the team in a short paragraph (notes #{i}): "
    "the launch moved to Friday and QA needs two more days."
)
PROOF = (
    "Prove rigorously, step by step, that the sum of the first {i} odd numbers is a perfect square."
)


@pytest.fixture(scope="module")
def s3_url(default_settings: Settings) -> Iterator[str]:
    with Emulator(default_settings, port=0).start() as s3_server:
        yield s3_server.url


@pytest.fixture
def runner(default_settings: Settings, s3_url: str, tmp_path: Path) -> Iterator[BatchRunner]:
    base = default_settings.with_overrides(
        {"batch.s3_endpoint_url": s3_url, "batch.bucket": "tierwise-batch-test"}
    )
    with Emulator(base, port=0).start() as emu:
        settings = base.with_overrides({"endpoint_url": emu.url})
        s3 = emulator_client("s3", s3_url)
        s3.create_bucket(Bucket="tierwise-batch-test")
        with Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp_path / 'b.db'}") as tw:
            yield BatchRunner(tw)


def write_input(path: Path) -> list[str]:
    lines: list[dict[str, Any]] = []
    for i in range(130):
        lines.append(
            {
                "custom_id": f"c{i}",
                "converse": {
                    "messages": [{"role": "user", "content": [{"text": CLASSIFY.format(i=i)}]}],
                    "inferenceConfig": {"maxTokens": 20},
                },
            }
        )
    for i in range(110):
        lines.append(
            {
                "custom_id": f"s{i}",
                "openai": {
                    "messages": [{"role": "user", "content": SUMMARY.format(i=i)}],
                    "max_tokens": 200,
                },
            }
        )
    for i in range(7):
        lines.append(
            {
                "custom_id": f"p{i}",
                "anthropic": {
                    "max_tokens": 500,
                    "messages": [{"role": "user", "content": PROOF.format(i=i + 3)}],
                },
            }
        )
    lines.append(
        {
            "custom_id": "tool",
            "converse": {
                "modelId": "sonnet",
                "messages": [{"role": "user", "content": [{"text": "Use the lookup tool."}]}],
                "toolConfig": {
                    "tools": [
                        {
                            "toolSpec": {
                                "name": "lookup",
                                "inputSchema": {"json": {"type": "object"}},
                            }
                        }
                    ]
                },
            },
        }
    )
    lines.append(
        {
            "custom_id": "too-long",
            "converse": {
                "modelId": "haiku",
                "messages": [{"role": "user", "content": [{"text": "hi"}]}],
                "inferenceConfig": {"maxTokens": 900000},
            },
        }
    )
    lines.append(
        {
            "custom_id": "pinned",
            "converse": {
                "modelId": "haiku",
                "messages": [{"role": "user", "content": [{"text": "Say hi."}]}],
            },
        }
    )
    # Interleave so that input order differs from any per-model grouping.
    lines = lines[::2] + lines[1::2]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return [line["custom_id"] for line in lines]


def test_250_records_through_submit_status_collect(runner: BatchRunner, tmp_path: Path) -> None:
    source = tmp_path / "requests.jsonl"
    order = write_input(source)
    assert len(order) == 250
    batch_id = runner.submit(source, name="nightly")
    jobs = runner.status(batch_id)
    assert {j.tier for j in jobs} == {"haiku", "sonnet"}  # opus's 7 records are a small group
    for _ in range(10):
        jobs = runner.status(batch_id)
        if all(j.status in ("Completed", "PartiallyCompleted") for j in jobs):
            break
    assert all(j.status in ("Completed", "PartiallyCompleted") for j in jobs)
    out = tmp_path / "results.jsonl"
    results = runner.collect(batch_id, out)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["custom_id"] for r in lines] == order, "one line per input record, in input order"
    by_id = {r["custom_id"]: r for r in lines}
    # Tool use goes to batch (InvokeModel-type jobs take tools; only Converse-type jobs refuse).
    assert by_id["tool"]["mode"] == "batch" and by_id["tool"]["state"] == "done"
    assert all(
        by_id[f"p{i}"]["mode"] == "on-demand" and by_id[f"p{i}"]["state"] == "done"
        for i in range(7)
    )
    # Over Haiku's output limit: refused before the job (it was the job's failed record).
    assert by_id["too-long"]["state"] == "refused"
    assert "output limit of 64,000 tokens" in by_id["too-long"]["reason"]
    assert by_id["c0"]["tier"] == "haiku" and by_id["s0"]["tier"] == "sonnet"
    done_batch = [r for r in lines if r["mode"] == "batch" and r["state"] == "done"]
    # every classification, summary, "pinned" and "tool"
    assert len(done_batch) == 130 + 110 + 1 + 1
    # Batch prices in the ledger: each batch row costs half its on-demand price.
    rows = [r for r in runner.tw.ledger.rows() if r.batch]
    assert len(rows) == len(done_batch)
    for row in rows[:20]:
        rates = runner.settings.rates(Tier(row.tier))
        assert row.cost_usd == price(row.usage, rates, batch=True).total
        assert row.cost_usd * 2 == price(row.usage, rates).total
    sample = by_id["c0"]["result"]
    assert (
        Decimal(sample["cost_usd"])
        == price(
            usage_from_message(sample["message"]), runner.settings.rates(Tier.HAIKU), batch=True
        ).total
    )
    # Collect again: the same lines, nothing billed twice.
    again = runner.collect(batch_id, tmp_path / "again.jsonl")
    assert again == results
    assert len([r for r in runner.tw.ledger.rows() if r.batch]) == len(rows)


def test_small_groups_can_wait_and_cancel_stops_jobs(runner: BatchRunner, tmp_path: Path) -> None:
    source = tmp_path / "few.jsonl"
    source.write_text("".join(
        json.dumps({"custom_id": f"x{i}", "converse": {"modelId": "sonnet", "messages": [{"role": "user", "content": [{"text": f"hello {i}"}]}]}}) + "\n"
        for i in range(3)
    ))  # fmt: skip
    batch_id = runner.submit(source, small_groups="wait")
    results = runner.collect(batch_id)
    assert [r["state"] for r in results] == ["waiting"] * 3
    assert "below the 100-record minimum" in results[0]["reason"]
    big = tmp_path / "big.jsonl"
    write_input(big)
    second = runner.submit(big)
    assert runner.cancel(second)
    assert all(j.status in ("Stopping", "Stopped") for j in runner.status(second))


def test_a_record_naming_an_openai_model_while_they_are_off_is_refused_alone(
    runner: BatchRunner, tmp_path: Path
) -> None:
    # The planner refuses such a name (it is no Bedrock model): that must refuse the one
    # record, with the reason, not abort the submit of every other record.
    source = tmp_path / "mixed.jsonl"
    source.write_text("".join(
        json.dumps(line) + "\n"
        for line in (
            {"custom_id": "gpt", "openai": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}},
            {"custom_id": "ok", "openai": {"model": "haiku", "messages": [{"role": "user", "content": "hi"}]}},
        )
    ))  # fmt: skip
    batch_id = runner.submit(source)
    refused, done = runner.collect(batch_id)
    assert (refused["custom_id"], refused["state"]) == ("gpt", "refused")
    assert refused["reason"].startswith("model 'gpt-4o-mini' is an OpenAI model name")
    assert "[model_names] openai = true" in refused["reason"]
    assert (done["custom_id"], done["state"]) == ("ok", "done")


def test_a_collect_that_read_the_records_before_another_finished_bills_nothing_twice(
    runner: BatchRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "classify.jsonl"
    source.write_text("".join(
        json.dumps({"custom_id": f"c{i}", "converse": {"modelId": "haiku", "messages": [{"role": "user", "content": [{"text": CLASSIFY.format(i=i)}]}], "inferenceConfig": {"maxTokens": 20}}}) + "\n"
        for i in range(100)
    ))  # fmt: skip
    batch_id = runner.submit(source)
    for _ in range(10):
        if all(j.status == "Completed" for j in runner.status(batch_id)):
            break
    # Two collects at once (two shells, a cron and a person): the second read every record
    # as pending before the first settled them.
    stale = runner.store.records(batch_id)
    first = runner.collect(batch_id)
    monkeypatch.setattr(runner.store, "records", lambda _batch_id: stale)
    second = runner.collect(batch_id)
    rows = [r for r in runner.tw.ledger.rows() if r.batch]
    assert len(rows) == 100 == len({r.request_id for r in rows})
    assert second == first
    assert {r["result"]["cost_usd"] for r in first} == {str(r.cost_usd) for r in rows}


def test_a_record_run_on_demand_that_the_deadline_cut_says_what_it_cost(
    deadline_cut: tuple[Emulator, Settings], s3_url: str, tmp_path: Path
) -> None:
    # A small group runs on demand; a call the deadline cuts off raises, and its row is
    # written when it ends, charged at its worst case. The record's error line said
    # nothing of that cost, so evaluate (which counts a batch's cost from these lines)
    # counted it as free. Now it carries the most the record was billed.
    _, settings = deadline_cut
    settings = settings.with_overrides(
        {"batch.s3_endpoint_url": s3_url, "batch.bucket": "tierwise-batch-test"}
    )
    source = tmp_path / "one.jsonl"
    request = {"messages": [{"role": "user", "content": [{"text": "hello"}]}],
               "inferenceConfig": {"maxTokens": 50}}  # fmt: skip
    source.write_text(json.dumps({"custom_id": "c0", "converse": {"modelId": "haiku", **request}}))
    with Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp_path / 'b.db'}") as tw:
        runner = BatchRunner(tw)
        batch_id = runner.submit(source, on_demand_fallback=True, small_groups="on-demand")
        (line,) = runner.collect(batch_id)
        tw.driver.close()  # the cut call has ended and been ledgered
        (row,) = tw.ledger.rows()
    assert (line["mode"], line["state"]) == ("on-demand", "error")
    assert "deadline" in line["error"]
    # A bound, named as one: a done record's cost_usd is its ledger row's cost (review)
    assert "cost_usd" not in line["result"]
    assert 0 < row.cost_usd <= Decimal(line["result"]["cost_usd_at_most"])


def test_records_bedrock_would_refuse_are_refused_before_the_job(
    runner: BatchRunner, tmp_path: Path
) -> None:
    # A record over the model's context window, a maxTokens above its output limit, or a
    # blank text block went into the job (Bedrock refuses each); they are refused alone, with
    # the on-demand call's reason, and the rest still make their job.
    def line(custom_id: str, text: str, max_tokens: int = 20) -> str:
        body = {"modelId": "haiku", "messages": [{"role": "user", "content": [{"text": text}]}],
                "inferenceConfig": {"maxTokens": max_tokens}}  # fmt: skip
        return json.dumps({"custom_id": custom_id, "converse": body}) + "\n"

    source = tmp_path / "limits.jsonl"
    source.write_text(
        "".join(line(f"c{i}", CLASSIFY.format(i=i)) for i in range(100))
        + line("long", "word " * 240_000)
        + line("cap", "hello", max_tokens=100_000)
        + line("blank", "   ")
    )
    modes = runner.modes(source)
    refused = {k: r.reason for k, r in modes.items() if r.mode == "refused"}
    assert set(refused) == {"long", "cap", "blank"}
    assert "over Claude Haiku 4.5's context window of 200,000 tokens" in refused["long"]
    assert refused["cap"].startswith(
        "maxTokens 100,000 is above Claude Haiku 4.5's output limit of 64,000 tokens"
    )
    assert refused["blank"].startswith("messages[0].content[0].text is blank")
    assert {r.mode for k, r in modes.items() if k not in refused} == {"batch"}
    batch_id = runner.submit(source)
    (job,) = runner.status(batch_id)
    results = runner.collect(batch_id)
    assert [r["custom_id"] for r in results if r["state"] == "refused"] == ["long", "cap", "blank"]
    assert job.model_id == runner.settings.tier(Tier.HAIKU).model_id


def test_a_malformed_converse_record_is_refused_alone(runner: BatchRunner, tmp_path: Path) -> None:
    # A content block of the wrong type broke routing's reading of the record, and the whole
    # submit failed: "unexpected AttributeError ... this is a bug in tierwise".
    records = [
        {"custom_id": "ok", "converse": {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}},
        {"custom_id": "bad", "converse": {"messages": [{"role": "user", "content": [
            {"text": "x"}, {"cachePoint": "default"}]}]}},
        {"custom_id": "bad2", "converse": {"system": [5], "messages": [
            {"role": "user", "content": [{"text": "x"}]}]}},
    ]  # fmt: skip
    source = tmp_path / "malformed.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records))
    modes = runner.modes(source)
    assert modes["ok"].mode != "refused"
    assert modes["bad"].mode == modes["bad2"].mode == "refused"
    assert (
        "Invalid type for parameter messages[0].content[1].cachePoint (got str, expected dict)"
        in (modes["bad"].reason or "")
    )
    assert "Invalid type for parameter system[0] (got int, expected dict)" in (
        modes["bad2"].reason or ""
    )

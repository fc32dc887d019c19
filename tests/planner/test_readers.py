"""Readers for `tierwise plan`: the Bedrock log layout (local and s3:// on the emulator's S3),
CloudWatch exports, OpenAI/Anthropic JSONL and the tierwise ledger."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from emulator_clients import emulator_client
from tierwise.config import Settings
from tierwise.emulator import Emulator
from tierwise.planner.readers import BatchTag, ReadStats, read_sources

SONNET = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"


def log(i: int, **extra: Any) -> dict[str, Any]:
    rec = {
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
        "timestamp": f"2026-10-01T12:00:{i:02d}Z",
        "accountId": "123456789012",
        "region": "us-east-1",
        "requestId": f"r{i}",
        "operation": "Converse",
        "modelId": SONNET,
        "input": {
            "inputBodyJson": {"messages": [{"role": "user", "content": [{"text": f"q{i}"}]}]},
            "inputTokenCount": 100 + i,
            "cacheReadInputTokenCount": 7,
        },
        "output": {"outputBodyJson": {"stopReason": "end_turn"}, "outputTokenCount": 20},
        "requestMetadata": {"tierwise-batch": "true"} if i % 2 else {},
    }
    rec.update(extra)
    return rec


def layout(root: Path, files: dict[str, list[dict[str, Any]]]) -> Path:
    base = root / "AWSLogs/123456789012/BedrockModelInvocationLogs"
    (base / "us-east-1/2026/10/01/12/data").mkdir(parents=True)
    (base / "amazon-bedrock-logs-permission-check").touch()
    # An offloaded body under data/ is a raw request, not a record: skipped.
    with gzip.open(base / "us-east-1/2026/10/01/12/data/x_input.json.gz", "wt") as fh:
        fh.write(json.dumps({"messages": []}))
    for name, records in files.items():
        with gzip.open(base / "us-east-1/2026/10/01/12" / name, "wt") as fh:
            fh.write("\n".join(json.dumps(r) for r in records) + "\n")
    return root


def read(*sources: str, **kw: Any) -> tuple[list[Any], ReadStats]:
    stats = ReadStats()
    out = list(read_sources(sources, tag=BatchTag(), stats=stats, **kw))
    return out, stats


def test_s3_layout_on_disk(tmp_path: Path) -> None:
    root = layout(
        tmp_path,
        {
            "20261001T120000000Z_a.json.gz": [log(1), log(2)],
            "20261001T120500000Z_b.json.gz": [log(3), log(4, errorCode="ThrottlingException")],
        },
    )
    invs, stats = read(str(root))
    assert [i.usage.input for i in invs] == [101, 102, 103]
    assert invs[0].usage.cache_read == 7 and invs[0].usage.output == 20
    assert invs[0].request == {"messages": [{"role": "user", "content": [{"text": "q1"}]}]}
    assert [i.batchable for i in invs] == [True, False, True]
    assert invs[0].ts == datetime(2026, 10, 1, 12, 0, 1, tzinfo=UTC)
    assert (stats.files, stats.records, stats.skipped_errors) == (2, 3, 1)


def test_s3_prefix_through_boto3(tmp_path: Path, default_settings: Settings) -> None:
    root = layout(tmp_path, {"f1.json.gz": [log(1), log(2)], "f2.json.gz": [log(3)]})
    # The emulator serves S3 on its port (buckets, objects, ListObjectsV2): real boto3 S3
    # calls, no AWS and no other server.
    with Emulator(default_settings, port=0).start() as server:

        def client() -> Any:
            return emulator_client("s3", server.url)

        s3 = client()
        s3.create_bucket(Bucket="logs")
        for path in root.rglob("*"):
            if path.is_file():
                s3.put_object(
                    Bucket="logs",
                    Key=f"team/{path.relative_to(root).as_posix()}",
                    Body=path.read_bytes(),
                )
        invs, stats = read("s3://logs/team/", s3_client=client)
        assert [i.usage.input for i in invs] == [101, 102, 103]
        assert stats.files == 2
        # A body offloaded to data/ is read from S3 with the same client.
        body = _offloaded(tmp_path / "more")
        for path in (tmp_path / "more").rglob("*"):
            if path.is_file():
                key = f"team/{path.relative_to(tmp_path / 'more').as_posix()}"
                s3.put_object(Bucket="logs", Key=key, Body=path.read_bytes())
        invs, stats = read("s3://logs/team/", s3_client=client)
    # In key order: team/AWSLogs/... before team/f1.json.gz.
    assert [i.usage.input for i in invs] == [30020, 5, 101, 102, 103]
    assert invs[0].request == body
    assert (stats.files, stats.bodies_offloaded, stats.bodies_missing) == (3, 1, 1)


def _offloaded(root: Path) -> dict[str, Any]:
    """A record whose body went to data/ (over 100 KB), and that object in the layout."""
    hour = "AWSLogs/123456789012/BedrockModelInvocationLogs/us-east-1/2026/10/01/12"
    body = {
        "system": [{"text": "Reconcile these ledgers. " + "entry " * 30000}],
        "messages": [{"role": "user", "content": [{"text": "Which entries differ?"}]}],
    }
    (root / hour / "data").mkdir(parents=True, exist_ok=True)
    with gzip.open(root / hour / "data/5f1c_input.json.gz", "wt") as fh:
        fh.write(json.dumps(body))
    rec = log(9)
    rec["input"] = {
        "inputBodyS3Path": f"s3://logs/team/{hour}/data/5f1c_input.json.gz",
        "inputTokenCount": 30020,
    }
    gone = log(8)
    gone["input"] = {
        "inputBodyS3Path": f"s3://logs/team/{hour}/data/gone_input.json.gz",
        "inputTokenCount": 5,
    }
    with gzip.open(root / hour / "20261001T120900000Z_c.json.gz", "wt") as fh:
        fh.write(json.dumps(rec) + "\n" + json.dumps(gone) + "\n")
    return body


def test_offloaded_bodies_are_read_from_the_local_copy(tmp_path: Path) -> None:
    body = _offloaded(tmp_path)
    # From the bucket's copy, or from a folder inside it: the key's tail is found.
    for root in (tmp_path, tmp_path / "AWSLogs/123456789012"):
        invs, stats = read(str(root))
        assert [i.usage.input for i in invs] == [30020, 5]
        assert invs[0].request == body and invs[1].request is None
        assert (stats.records, stats.bodies_offloaded, stats.bodies_missing) == (2, 1, 1)


def test_cloudwatch_exports_and_json_arrays(tmp_path: Path) -> None:
    export = tmp_path / "000000.gz"
    with gzip.open(export, "wt") as fh:
        fh.write(
            f"2026-10-01T12:00:01.000Z {json.dumps(log(1))}\n"
            f"2026-10-01T12:00:02.000Z {json.dumps(log(2))}\n"
        )
    events = tmp_path / "events.json"
    events.write_text(json.dumps({"events": [{"timestamp": 1, "message": json.dumps(log(3))}]}))
    array = tmp_path / "array.json"
    array.write_text(json.dumps([log(4), log(5)]))
    insights = tmp_path / "query.json"  # aws logs get-query-results
    insights.write_text(
        json.dumps(
            {
                "status": "Complete",
                "results": [
                    [
                        {"field": "@timestamp", "value": "2026-10-01 12:00:06.000"},
                        {"field": "@message", "value": json.dumps(log(6))},
                        {"field": "@ptr", "value": "Cm4KNQ"},
                    ]
                ],
                "statistics": {"recordsMatched": 1.0},
            }
        )
    )
    rows = tmp_path / "insights.jsonl"  # Logs Insights rows saved one per line
    rows.write_text(json.dumps({"@timestamp": "x", "@message": json.dumps(log(7))}))
    invs, _ = read(str(export), str(events), str(array), str(insights), str(rows))
    assert [i.usage.input for i in invs] == [101, 102, 103, 104, 105, 106, 107]


def test_usage_from_the_body_or_estimated(tmp_path: Path) -> None:
    no_counts = log(1)
    no_counts["input"].pop("inputTokenCount")
    no_counts["output"] = {
        "outputBodyJson": {"usage": {"inputTokens": 55, "outputTokens": 9, "totalTokens": 64}}
    }
    bare = log(2)
    bare["input"].pop("inputTokenCount")
    bare["output"] = {
        "outputBodyJson": {
            "output": {"message": {"content": [{"text": "an answer of some words"}]}}
        }
    }
    invoke = log(3, operation="InvokeModel")
    invoke["input"]["inputBodyJson"] = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "hi"}],
    }
    path = tmp_path / "x.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (no_counts, bare, invoke)))
    invs, _ = read(str(path))
    assert (invs[0].usage.input, invs[0].usage.output, invs[0].usage_estimated) == (55, 9, False)
    assert invs[1].usage_estimated and invs[1].usage.input > 0 and invs[1].usage.output > 0
    assert invs[2].request is not None and invs[2].request["system"] == [{"text": "Be brief."}]


def test_streamed_answers_logged_as_chunks(tmp_path: Path) -> None:
    # InvokeModelWithResponseStream: outputBodyJson is the list of chunks. Without the
    # record's token counts, Bedrock's invocation metrics win; else message_start gives the
    # prompt and the last message_delta the output (not message_start's output of 1).
    start = {
        "type": "message_start",
        "message": {
            "usage": {"input_tokens": 900, "output_tokens": 1, "cache_read_input_tokens": 50}
        },
    }
    deltas = [
        {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "hi"}},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 77},
        },
        {"type": "message_stop"},
    ]
    metrics = {
        "type": "message_stop",
        "amazon-bedrock-invocationMetrics": {"inputTokenCount": 901, "outputTokenCount": 78},
    }
    records = []
    for i, chunks in enumerate(([start, *deltas], [start, *deltas[:-1], metrics])):
        rec = log(i, operation="InvokeModelWithResponseStream")
        rec["input"].pop("inputTokenCount")
        rec["output"] = {"outputBodyJson": chunks}
        records.append(rec)
    path = tmp_path / "stream.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records))
    invs, _ = read(str(path))
    assert [(i.usage.input, i.usage.output, i.usage.cache_read) for i in invs] == [
        (900, 77, 50),
        (901, 78, 0),
    ]
    assert not any(i.usage_estimated for i in invs)


def test_openai_and_anthropic_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    lines = [
        {
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "Label it."},
                {"role": "user", "content": "a"},
            ],
            "response": {"usage": {"prompt_tokens": 40, "completion_tokens": 3}},
        },
        {
            "custom_id": "b",
            "params": {
                "model": "claude-sonnet-4-5",
                "max_tokens": 50,
                "messages": [{"role": "user", "content": "b"}],
            },
            "response": {
                "usage": {"input_tokens": 12, "output_tokens": 4, "cache_read_input_tokens": 2}
            },
        },
        {
            "custom_id": "c",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "c"}],
                "metadata": {"tierwise-batch": "true"},
            },
        },
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines))
    responses = tmp_path / "responses.jsonl"  # OpenAI Responses API: a batch line, a pair
    responses.write_text(
        json.dumps(
            {
                "custom_id": "r1",
                "method": "POST",
                "url": "/v1/responses",
                "body": {
                    "model": "gpt-4o",
                    "instructions": "Answer in one word.",
                    "input": "Capital of France?",
                },
            }
        )
        + "\n"
        + json.dumps(
            {
                "model": "gpt-4o-mini",
                "input": [{"role": "user", "content": "Label: spam?"}],
                "response": {
                    "usage": {
                        "input_tokens": 30,
                        "input_tokens_details": {"cached_tokens": 10},
                        "output_tokens": 2,
                    }
                },
            }
        )
    )
    answers, _ = read(str(responses))
    assert answers[0].request["system"] == [{"text": "Answer in one word."}]
    assert answers[0].request["messages"][0]["content"] == [{"text": "Capital of France?"}]
    assert answers[0].usage_estimated
    assert (answers[1].usage.input, answers[1].usage.cache_read, answers[1].usage.output) == (
        20,
        10,
        2,
    )
    other = tmp_path / "settings.json"  # not a request: unreadable, not a failed call
    other.write_text(json.dumps({"id": "batch_1", "status": "completed"}))
    invs, stats = read(str(path), str(other))
    assert (stats.skipped_errors, stats.skipped_unreadable) == (0, 1)
    assert [(i.usage.input, i.usage.output) for i in invs[:2]] == [(40, 3), (12, 4)]
    assert invs[1].usage.cache_read == 2
    assert invs[0].request["system"] == [{"text": "Label it."}]
    assert invs[2].usage_estimated and invs[2].batchable
    assert stats.kinds == {"api-jsonl": 3}


def test_tierwise_ledger(tmp_path: Path) -> None:
    from tierwise.store import LedgerRow, open_ledger

    url = f"sqlite:///{tmp_path / 'l.db'}"
    with open_ledger(url) as ledger:
        for i, status in enumerate(["ok", "error", "ok"]):
            ledger.record(
                LedgerRow(
                    id=None,
                    ts=datetime(2026, 10, 1, tzinfo=UTC),
                    request_id=f"r{i}",
                    attempt=1,
                    tier="sonnet",
                    model_id=SONNET,
                    input_tokens=100,
                    output_tokens=10,
                    cache_read_tokens=0,
                    cache_write_5m_tokens=0,
                    cache_write_1h_tokens=0,
                    cost_usd=Decimal("0.1"),
                    latency_ms=1.0,
                    status=status,
                    error_class=None,
                    stop_reason="end_turn",
                    batch=False,
                    api_key_id=None,
                    route={"tier": "haiku", "task_class": {"name": "extraction"}},
                )
            )
    invs, stats = read(url)
    assert len(invs) == 2 and stats.kinds == {"ledger": 2}
    assert invs[0].route is not None and invs[0].route.tier.value == "haiku"
    assert invs[0].route.task_class == "extraction"


def test_unreadable_source_is_a_clear_error(tmp_path: Path) -> None:
    from tierwise.errors import InvalidRequestError

    with pytest.raises(InvalidRequestError, match="neither a file nor a directory"):
        read(str(tmp_path / "missing"))
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(b"not gzip")
    with pytest.raises(InvalidRequestError, match="cannot be read"):
        read(str(bad))


def test_progress_through_a_file_and_the_size_of_local_sources(tmp_path: Path) -> None:
    from tierwise.planner.readers import local_size

    path = tmp_path / "big.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        for i in range(3000):
            fh.write(json.dumps(log(i % 60)) + "\n")
    size = path.stat().st_size
    assert local_size([str(path), str(tmp_path)]) == 2 * size
    assert local_size([str(path), "s3://bucket/x"]) is None
    assert local_size(["captures:"]) is None
    stats = ReadStats()
    seen = []
    for n, _ in enumerate(read_sources([str(path)], tag=BatchTag(), stats=stats), start=1):
        if n % 500 == 0:
            seen.append(stats.position)
    # The position inside the (compressed) file moves forward as its lines are read.
    assert seen == sorted(seen) and 0 < seen[0] < seen[-1] <= size
    assert (stats.bytes_read, stats.position) == (size, 0)

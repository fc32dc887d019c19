"""`tierwise plan` from the command line on each model-ID form the issue names, and on
OpenAI- and Anthropic-style JSONL: the as-is cost prices every model at its tier."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from tierwise.cli.app import app
from tierwise.config import load_settings
from tierwise.core.pricing import Usage, price
from tierwise.core.tiers import Tier

SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
OPUS = "anthropic.claude-opus-4-5-20251101-v1:0"
APP = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/team01"
FORMS = {
    HAIKU: "haiku",  # bare ID
    f"us.{SONNET}": "sonnet",  # geographic profile
    f"global.{SONNET}": "sonnet",  # global profile
    f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}": "haiku",  # model ARN
    f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.{OPUS}": "opus",  # profile ARN
    APP: "opus",  # application profile (its model given with --app-profile)
}


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _log(model_id: str, i: int) -> dict[str, Any]:
    return {
        "schemaType": "ModelInvocationLog",
        "timestamp": f"2026-10-01T12:00:{i:02d}Z",
        "requestId": f"r{i}",
        "operation": "Converse",
        "modelId": model_id,
        "input": {
            "inputBodyJson": {"messages": [{"role": "user", "content": [{"text": f"q{i}"}]}]},
            "inputTokenCount": 1000,
        },
        "output": {"outputBodyJson": {"stopReason": "end_turn"}, "outputTokenCount": 100},
    }


def _plan(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["plan", *args, "--json", "--no-progress", "--rules-only"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_every_model_id_form_is_priced_at_its_tier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, live_emulator: Any
) -> None:
    logs = tmp_path / "logs.jsonl"
    logs.write_text("\n".join(json.dumps(_log(m, i)) for i, m in enumerate(FORMS)))
    data = _plan(str(logs), "--app-profile", f"{APP}={OPUS}")
    assert data["unpriced"] == 0
    assert data["tier_mix_as_is"] == {"haiku": 2, "sonnet": 2, "opus": 2}
    settings = load_settings(environ={}).settings
    usage = Usage(input=1000, output=100)
    expected = sum(
        (price(usage, settings.rates(Tier(t)), model_id=m).total for m, t in FORMS.items()),
        Decimal(0),
    )
    assert Decimal(data["totals_usd"]["as_is"]) == expected
    # Without the application profile's model, Bedrock is asked (GetInferenceProfile, here
    # the emulator, which knows no application profiles): it cannot say, so the record is
    # unpriced (in no strategy), and both stderr and the summary say so and what to do.
    monkeypatch.setenv("TIERWISE_ENDPOINT_URL", live_emulator.url)
    summary = CliRunner().invoke(app, ["plan", str(logs), "--no-progress", "--rules-only"])
    assert summary.exit_code == 0, summary.output
    assert summary.stderr.count(f"could not ask Bedrock which model {APP} runs") == 1
    assert "1 requests name a model in no tier" in summary.stdout
    assert "--app-profile" in summary.stdout
    offline = CliRunner().invoke(
        app, ["plan", str(logs), "--json", "--no-progress", "--rules-only", "--offline"]
    )
    assert json.loads(offline.stdout)["unpriced"] == 1
    assert "could not ask Bedrock" not in offline.stderr


def test_other_apis_model_names_are_priced_at_the_tier_they_map_to(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    lines = [
        {  # Anthropic Messages batch line, the Anthropic API's model name
            "custom_id": "a",
            "params": {
                "model": "claude-sonnet-4-5-20250929",
                "max_tokens": 50,
                "messages": [{"role": "user", "content": "Explain the refund policy."}],
            },
            "response": {"usage": {"input_tokens": 1000, "output_tokens": 100}},
        },
        {  # OpenAI chat request with its usage
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": "Label: spam or not?"}],
            "response": {"usage": {"prompt_tokens": 1000, "completion_tokens": 100}},
        },
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines))
    data = _plan(str(path))
    assert data["requests"] == 2 and data["unpriced"] == 0
    assert data["tier_mix_as_is"] == {"sonnet": 1, "haiku": 1}
    assert Decimal(data["totals_usd"]["as_is"]) > 0


def test_an_s3_prefix_on_the_emulators_s3(
    monkeypatch: pytest.MonkeyPatch, live_emulator: Any
) -> None:
    # The command line's own S3 client ([batch] s3_endpoint_url), real S3 calls to the
    # emulator's S3: a Bedrock log layout under a prefix, and a bucket that is not there.
    monkeypatch.setenv("TIERWISE_BATCH__S3_ENDPOINT_URL", live_emulator.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=live_emulator.url)
    s3.create_bucket(Bucket="team-logs")
    base = "bedrock/AWSLogs/123456789012/BedrockModelInvocationLogs/us-east-1/2026/10/01/12"
    models = [HAIKU, f"us.{SONNET}", f"global.{SONNET}"]
    for n in range(2):
        lines = "\n".join(json.dumps(_log(m, 3 * n + i)) for i, m in enumerate(models))
        s3.put_object(
            Bucket="team-logs",
            Key=f"{base}/20261001T12{n}000000Z_{n:016x}.json.gz",
            Body=gzip.compress(lines.encode()),
        )
    s3.put_object(  # Bedrock's permission-check object: not a log
        Bucket="team-logs",
        Key="bedrock/AWSLogs/123456789012/BedrockModelInvocationLogs/"
        "amazon-bedrock-logs-permission-check",
        Body=b"",
    )
    data = _plan("s3://team-logs/bedrock/", "--offline")
    assert data["requests"] == 6 and data["read"]["files"] == 2
    assert data["tier_mix_as_is"] == {"haiku": 2, "sonnet": 4} and data["unpriced"] == 0
    missing = CliRunner().invoke(app, ["plan", "s3://no-such-bucket/x", "--no-progress"])
    assert missing.exit_code != 0
    assert "cannot read s3://no-such-bucket/x" in str(missing.exception)
    assert "s3:ListBucket" in str(missing.exception)


def test_the_ledger_as_is_is_what_the_ledger_billed(
    tmp_path: Path, emu_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Calls made through tierwise (emulator), plus one that ran as batch inference: planned
    # from the ledger, "as is" is exactly what the ledger recorded, the batch call at the
    # batch discount as it was billed.
    from datetime import UTC, datetime

    from tierwise.client import Tierwise
    from tierwise.store import LedgerRow, open_ledger

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with Tierwise.from_settings(emu_settings, ledger_url=url) as tw:
        for text in ("Label this ticket: refund", "Prove that sqrt(2) is irrational."):
            tw.converse(messages=[{"role": "user", "content": [{"text": text}]}])
    settings = load_settings(environ={}).settings
    usage = Usage(input=4000, output=500)
    model = settings.tier(Tier.HAIKU).model_id
    cost = price(usage, settings.rates(Tier.HAIKU), model_id=model, batch=True).total
    with open_ledger(url) as ledger:
        ledger.record(
            LedgerRow(
                id=None, ts=datetime.now(UTC), request_id="batch-1", attempt=1, tier="haiku",
                model_id=model, input_tokens=4000, output_tokens=500, cache_read_tokens=0,
                cache_write_5m_tokens=0, cache_write_1h_tokens=0, cost_usd=cost,
                latency_ms=0.0, status="ok", error_class=None, stop_reason="end_turn",
                batch=True, api_key_id=None, route={"tier": "haiku", "task_class": "labeling"},
            )
        )  # fmt: skip
        billed = sum(r.cost_usd for r in ledger.rows() if r.status != "error")
    data = _plan(url)
    assert data["requests"] == 3 and data["recorded_routes"] == 3
    assert Decimal(data["totals_usd"]["as_is"]) == billed


def test_escalated_requests_count_once_with_every_attempt_billed_as_is(
    tmp_path: Path, emu_settings: Any, live_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Haiku's answer is rejected (invalid JSON) and the request escalates to Sonnet: two
    # billed ledger rows, one request. As is, both attempts; the other strategies, one request.
    from tierwise.client import Tierwise
    from tierwise.store import open_ledger

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    settings = emu_settings.with_overrides({"capture.sample_rate": 1.0})
    live_emulator.misbehave("invalid_json", tier="haiku")
    with Tierwise.from_settings(settings, ledger_url=url) as tw:
        tw.converse(
            modelId="haiku",
            messages=[{"role": "user", "content": [{"text": 'Reply with {"ok": true}'}]}],
            validate={"json_schema": {"type": "object"}},
            escalate=True,
        )
        tw.converse(messages=[{"role": "user", "content": [{"text": "Label: spam?"}]}])
    with open_ledger(url) as ledger:
        rows = ledger.rows()
    assert sorted(r.status for r in rows) == ["ok", "ok", "rejected"]
    billed = sum(r.cost_usd for r in rows)
    monkeypatch.setenv("TIERWISE_LEDGER__URL", url)
    for source in (url, "captures:"):
        data = _plan(source, "--offline")
        assert (data["requests"], data["rejected_attempts"]) == (2, 1), source
        assert Decimal(data["totals_usd"]["as_is"]) == billed, source
        assert sum(data["tier_mix_routed"].values()) == 2
        as_is_by_class = sum(Decimal(c["costs_usd"]["as_is"]) for c in data["classes"])
        assert as_is_by_class == billed

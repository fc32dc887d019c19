"""`tierwise iam-policy` end to end: Regions from the emulator's ListInferenceProfiles (real
boto3), offline with --destinations, the batch documents, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from iam_validation import policy_problems
from tierwise.cli.app import app


@pytest.fixture(autouse=True)
def _cwd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_discovers_destination_regions_from_bedrock(live_emulator: Any, tmp_path: Path) -> None:
    result = _run(
        "--endpoint-url",
        live_emulator.url,
        "iam-policy",
        "--batch",
        "--out-dir",
        str(tmp_path / "out"),
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert policy_problems(doc) == []
    text = json.dumps(doc)
    # The alternates are us. profiles: the emulator routes them to three US Regions.
    for region in ("us-east-1", "us-east-2", "us-west-2"):
        assert f"arn:aws:bedrock:{region}::foundation-model/anthropic.claude-haiku-4-5" in text
    assert "arn:aws:bedrock:::foundation-model/anthropic.claude-opus-4-5-20251101-v1:0" in text
    assert ":123456789012:inference-profile/global.anthropic.claude-sonnet-4-5" in text
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == [
        "tierwise-batch-role-trust.json",
        "tierwise-batch-role.json",
        "tierwise-batch-submit.json",
        "tierwise-caller.json",
    ]
    trust = json.loads((tmp_path / "out" / "tierwise-batch-role-trust.json").read_text())
    assert policy_problems(trust, trust=True) == []
    for name in ("tierwise-batch-role", "tierwise-batch-submit"):
        assert policy_problems(json.loads((tmp_path / "out" / f"{name}.json").read_text())) == []


def test_offline_with_destinations_prints_a_chosen_document() -> None:
    result = _run(
        "iam-policy",
        "--offline",
        "--account-id",
        "111122223333",
        "--destinations",
        "us=us-east-1,us-west-2",
        "--api-keys",
        "--api-key-type",
        "short-term",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert policy_problems(doc) == []
    text = json.dumps(doc)
    assert "us-east-2" not in text
    assert "SHORT_TERM" in text and "LONG_TERM" not in text


def test_offline_without_destinations_or_account_is_a_clear_error() -> None:
    result = _run("iam-policy", "--offline", "--account-id", "111122223333")
    assert result.exit_code != 0
    assert "no destination Regions known for inference profile us." in str(result.exception)
    result = _run("iam-policy", "--offline", "--destinations", "us=us-east-1")
    assert "--account-id" in str(getattr(result.exception, "hint", ""))
    result = _run(
        "iam-policy",
        "--offline",
        "--account-id",
        "111122223333",
        "--destinations",
        "us=us-east-1",
        "--document",
        "tierwise-batch-role",
    )
    assert "tierwise-caller" in str(getattr(result.exception, "hint", ""))


def test_plan_reader_document_for_the_logs_prefix() -> None:
    result = _run(
        "iam-policy",
        "--offline",
        "--account-id",
        "111122223333",
        "--destinations",
        "us=us-east-1,us-west-2",
        "--plan-logs",
        "s3://team-logs/bedrock/AWSLogs/111122223333/BedrockModelInvocationLogs/",
        "--document",
        "tierwise-plan-reader",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert policy_problems(doc) == []
    actions = sorted(a for st in doc["Statement"] for a in st["Action"])
    assert actions == [
        "bedrock:GetInferenceProfile",
        "bedrock:GetModelInvocationLoggingConfiguration",
        "s3:GetObject",
        "s3:ListBucket",
    ]
    bad = _run(
        "iam-policy", "--offline", "--account-id", "111122223333",
        "--destinations", "us=us-east-1", "--plan-logs", "/tmp",
    )  # fmt: skip
    assert bad.exit_code != 0 and "s3://bucket/prefix" in str(bad.exception)

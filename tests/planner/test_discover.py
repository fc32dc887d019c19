"""`tierwise plan bedrock-logs:`: the logs where Bedrock's logging configuration says they
are, end to end on the emulator (its control plane keeps the configuration, its S3 holds the
logs), and the configurations that name no S3 logs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from tierwise.cli.app import app
from tierwise.errors import InvalidRequestError
from tierwise.planner.discover import logs_uri

SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"


def test_logs_uri_from_a_logging_configuration() -> None:
    assert logs_uri({"s3Config": {"bucketName": "b", "keyPrefix": "team/x/"}}, "us-east-1") == (
        "s3://b/team/x/AWSLogs/"
    )
    assert logs_uri({"s3Config": {"bucketName": "b"}}, "us-east-1") == "s3://b/AWSLogs/"
    cloudwatch = {"cloudWatchConfig": {"logGroupName": "bedrock-calls", "roleArn": "arn:x"}}
    with pytest.raises(InvalidRequestError, match=r"CloudWatch Logs \(bedrock-calls\)") as err:
        logs_uri(cloudwatch, "eu-west-1")
    assert "create-export-task" in str(err.value)
    with pytest.raises(InvalidRequestError, match="logging is off in us-east-1"):
        logs_uri({}, "us-east-1")


def _record(i: int) -> dict[str, Any]:
    return {
        "schemaType": "ModelInvocationLog",
        "timestamp": f"2026-10-01T12:00:{i:02d}Z",
        "operation": "Converse",
        "modelId": f"us.{SONNET}",
        "input": {
            "inputBodyJson": {"messages": [{"role": "user", "content": [{"text": f"q{i}"}]}]},
            "inputTokenCount": 100,
        },
        "output": {"outputBodyJson": {}, "outputTokenCount": 10},
    }


def test_plan_bedrock_logs_reads_where_bedrock_logs(
    live_emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "TIERWISE_ENDPOINT_URL": live_emulator.url,
        "TIERWISE_BATCH__S3_ENDPOINT_URL": live_emulator.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    url = live_emulator.url
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=url)
    s3.create_bucket(Bucket="acme-bedrock-logs")
    key = "prod/AWSLogs/123456789012/BedrockModelInvocationLogs/us-east-1/2026/10/01/12/a.json.gz"
    body = "\n".join(json.dumps(_record(i)) for i in range(4))
    s3.put_object(Bucket="acme-bedrock-logs", Key=key, Body=gzip.compress(body.encode()))
    s3.put_object(Bucket="acme-bedrock-logs", Key="elsewhere/x.json", Body=b"{}")
    bedrock = boto3.client("bedrock", region_name="us-east-1", endpoint_url=url)
    bedrock.put_model_invocation_logging_configuration(
        loggingConfig={
            "s3Config": {"bucketName": "acme-bedrock-logs", "keyPrefix": "prod"},
            "textDataDeliveryEnabled": True,
        }
    )
    try:
        result = CliRunner().invoke(
            app, ["plan", "bedrock-logs:", "--json", "--no-progress", "--rules-only", "--offline"]
        )
        assert result.exit_code == 0, result.output
        assert "s3://acme-bedrock-logs/prod/AWSLogs/" in result.stderr
        data = json.loads(result.stdout)
        assert data["requests"] == 4 and data["read"]["files"] == 1
        bedrock.delete_model_invocation_logging_configuration()
        off = CliRunner().invoke(app, ["plan", "bedrock-logs:", "--no-progress"])
        assert off.exit_code != 0
        assert "model invocation logging is off in us-east-1" in str(off.exception)
    finally:
        bedrock.delete_model_invocation_logging_configuration()

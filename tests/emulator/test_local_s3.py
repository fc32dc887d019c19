"""The emulator's own S3: real boto3 speaks to it, and a stand-alone ``tierwise emulator``
runs batches end to end without any other S3 and without reaching AWS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator_clients import emulator_client
from live_server import free_port
from tierwise.batch.runner import s3_endpoint
from tierwise.bedrock.session import is_loopback
from tierwise.config import Settings
from tierwise.emulator import Emulator


@pytest.fixture
def s3(live_emulator: Any) -> Iterator[Any]:
    live_emulator.reset()
    yield emulator_client("s3", live_emulator.url, Config(s3={"addressing_style": "path"}))


def test_objects_round_trip_through_boto3(s3: Any, default_settings: Settings) -> None:
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert default_settings.batch.bucket in names  # the configured bucket exists from the start
    s3.create_bucket(Bucket="round-trip")
    payload = ("x" * 100 + "\n").encode() * 20_000  # 2 MB: boto3 sends it aws-chunked or whole
    s3.put_object(Bucket="round-trip", Key="in/a b+c.jsonl", Body=payload)
    got = s3.get_object(Bucket="round-trip", Key="in/a b+c.jsonl")
    assert got["Body"].read() == payload and got["ContentLength"] == len(payload)
    assert s3.head_object(Bucket="round-trip", Key="in/a b+c.jsonl")["ContentLength"] == len(
        payload
    )
    for i in range(5):
        s3.put_object(Bucket="round-trip", Key=f"out/{i}.jsonl.out", Body=b"{}")
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket="round-trip", Prefix="out/", PaginationConfig={"PageSize": 2}
    )
    listed = [o["Key"] for page in pages for o in page.get("Contents", [])]
    assert listed == [f"out/{i}.jsonl.out" for i in range(5)]
    everything = s3.list_objects_v2(Bucket="round-trip")
    assert "in/a b+c.jsonl" in [o["Key"] for o in everything["Contents"]]
    s3.delete_object(Bucket="round-trip", Key="in/a b+c.jsonl")
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket="round-trip", Key="in/a b+c.jsonl")
    assert missing.value.response["Error"]["Code"] == "NoSuchKey"


def test_s3_errors_are_s3s(s3: Any) -> None:
    with pytest.raises(ClientError) as no_bucket:
        s3.put_object(Bucket="never-created", Key="k", Body=b"x")
    assert no_bucket.value.response["Error"]["Code"] == "NoSuchBucket"
    assert no_bucket.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as bad_name:
        s3.create_bucket(Bucket="Not_A_Valid_Name")
    assert bad_name.value.response["Error"]["Code"] == "InvalidBucketName"
    with pytest.raises(ClientError) as head:
        s3.head_bucket(Bucket="never-created")
    assert head.value.response["Error"]["Code"] == "404"


def test_bedrock_requests_still_reach_bedrock(live_emulator: Any) -> None:
    runtime = emulator_client("bedrock", live_emulator.url)
    assert runtime.list_foundation_models()["modelSummaries"]


def test_batch_s3_follows_a_local_emulator(default_settings: Settings) -> None:
    assert s3_endpoint(default_settings) is None  # AWS
    local = default_settings.with_overrides({"endpoint_url": "http://127.0.0.1:4566"})
    assert s3_endpoint(local) == "http://127.0.0.1:4566"
    chosen = local.with_overrides({"batch.s3_endpoint_url": "http://127.0.0.1:9000"})
    assert s3_endpoint(chosen) == "http://127.0.0.1:9000"
    remote = default_settings.with_overrides({"endpoint_url": "https://bedrock.example.com"})
    assert s3_endpoint(remote) is None


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.2:4566", True),
        ("http://127.5.5.5", True),
        ("http://[::1]:4566", True),
        ("http://localhost.example.com:1", False),
    ],
)
def test_batch_s3_takes_this_machine_as_the_bedrock_client_does(
    default_settings: Settings, url: str, local: bool
) -> None:
    """The Bedrock client (``is_loopback``) took any 127/8 address for this machine, batch
    only 127.0.0.1: an emulator on 127.0.0.2 had its batch data sent to AWS's S3."""
    assert is_loopback(url) is local
    settings = default_settings.with_overrides({"endpoint_url": url})
    assert s3_endpoint(settings) == (url if local else None)


def test_an_emulator_without_s3_config_uses_no_network(default_settings: Settings) -> None:
    """The emulator's batch reads its local store: it never builds an S3 client."""
    with Emulator(default_settings, port=0) as emu:
        service = emu._service
        assert service._s3_client() is service.s3


def _tierwise(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tierwise", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_standalone_emulator_runs_a_batch_offline(tmp_path: Path) -> None:
    """The issue's case: `tierwise emulator` started on its own (no shared config), then
    `tierwise batch submit/status/collect` against it. AWS is made unreachable (HTTPS goes to
    a closed proxy port), so any attempt to use real S3 would fail the batch."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TIERWISE_", "AWS_"))}
    env.update(
        {
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "https_proxy": "http://127.0.0.1:9",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        }
    )
    emulator = subprocess.Popen(
        [sys.executable, "-m", "tierwise", "emulator", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/_emulator/stats")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and emulator.poll() is None
                time.sleep(0.1)
        client_env = {
            **env,
            "TIERWISE_ENDPOINT_URL": url,
            "TIERWISE_BATCH__MIN_RECORDS": "2",
            "TIERWISE_LEDGER__URL": f"sqlite:///{tmp_path / 'ledger.db'}",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
        }
        source = tmp_path / "in.jsonl"
        source.write_text(
            "".join(
                json.dumps({"custom_id": f"r{i}", "converse": {"modelId": "haiku", "messages": [
                    {"role": "user", "content": [{"text": f"Label {i}: spam or ham?"}]}]}}) + "\n"
                for i in range(3)
            )
        )  # fmt: skip
        submitted = _tierwise(client_env, "batch", "submit", str(source))
        assert submitted.returncode == 0, submitted.stderr
        batch_id = submitted.stdout.strip().splitlines()[-1]
        status = _tierwise(client_env, "batch", "status", batch_id, "--watch", "--interval", "0")
        assert status.returncode == 0, status.stderr
        assert "Completed" in status.stdout, status.stdout
        out = tmp_path / "results.jsonl"
        collected = _tierwise(client_env, "batch", "collect", batch_id, "-o", str(out))
        assert collected.returncode == 0, collected.stderr
        results = [json.loads(x) for x in out.read_text().splitlines()]
        assert [r["custom_id"] for r in results] == ["r0", "r1", "r2"]
        assert all(r["state"] == "done" for r in results), results
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)

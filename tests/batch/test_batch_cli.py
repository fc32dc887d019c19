"""`tierwise batch` from the command line, and batch spend in `tierwise spend`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from emulator_clients import emulator_client
from tierwise.cli.app import app
from tierwise.config import Settings
from tierwise.emulator import Emulator


def test_batch_cli_and_spend(
    default_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Emulator(default_settings, port=0).start()  # another S3, as in production
    s3_url = server.url
    settings = default_settings.with_overrides({"batch.s3_endpoint_url": s3_url})
    try:
        with Emulator(settings, port=0).start() as emu:
            emulator_client("s3", s3_url).create_bucket(Bucket="clibatch")
            for name, value in {
                "TIERWISE_ENDPOINT_URL": emu.url,
                "TIERWISE_BATCH__S3_ENDPOINT_URL": s3_url,
                "TIERWISE_BATCH__BUCKET": "clibatch",
                "TIERWISE_BATCH__MIN_RECORDS": "2",
                "TIERWISE_LEDGER__URL": f"sqlite:///{tmp_path / 'cli.db'}",
                "COLUMNS": "200",
            }.items():
                monkeypatch.setenv(name, value)
            source = tmp_path / "in.jsonl"
            source.write_text("".join(
                json.dumps({"custom_id": f"r{i}", "converse": {"modelId": "haiku", "messages": [
                    {"role": "user", "content": [{"text": f"Label {i}: spam or ham?"}]}]}}) + "\n"
                for i in range(4)
            ))  # fmt: skip
            runner = CliRunner()
            submitted = runner.invoke(app, ["batch", "submit", str(source), "--name", "cli"])
            assert submitted.exit_code == 0, submitted.output
            batch_id = submitted.stdout.strip().splitlines()[-1]
            watched = runner.invoke(
                app, ["batch", "status", batch_id, "--watch", "--interval", "0"]
            )
            assert watched.exit_code == 0, watched.output
            assert "Completed" in watched.stdout
            out = tmp_path / "results.jsonl"
            collected = runner.invoke(app, ["batch", "collect", batch_id, "-o", str(out)])
            assert collected.exit_code == 0, collected.output
            assert [json.loads(x)["custom_id"] for x in out.read_text().splitlines()] == [
                "r0",
                "r1",
                "r2",
                "r3",
            ]
            spend = runner.invoke(app, ["spend", "--format", "json"])
            data = json.loads(spend.stdout)
            assert data["batch_share"] == 1.0
            assert float(data["savings"]["batch_saved_usd"]) > 0
            assert "cli" in runner.invoke(app, ["batch", "status"]).stdout
    finally:
        server.stop()

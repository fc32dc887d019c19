"""`tierwise batch status` of a batch whose records all ran on demand (a group under
`[batch] min_records`) says so; it printed an empty line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tierwise.cli.app import app


def test_status_of_a_batch_without_jobs_says_where_its_records_went(
    live_emulator: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "TIERWISE_ENDPOINT_URL": live_emulator.url,  # type: ignore[attr-defined]
        "TIERWISE_LEDGER__URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "COLUMNS": "200",
    }.items():
        monkeypatch.setenv(name, value)
    source = tmp_path / "in.jsonl"
    message = {"role": "user", "content": [{"text": "Label: spam or ham?"}]}
    line = {"converse": {"modelId": "haiku", "messages": [message]}}
    source.write_text("".join(json.dumps({"custom_id": f"r{i}", **line}) + "\n" for i in range(2)))
    runner = CliRunner()
    submitted = runner.invoke(app, ["batch", "submit", str(source), "--name", "small"])
    assert submitted.exit_code == 0, submitted.output
    # The id alone on stdout (the summary table goes to stderr): `id=$(... batch submit ...)`.
    batch_id = submitted.stdout.strip()
    assert submitted.stdout == batch_id + "\n" and len(batch_id.split()) == 1, submitted.stdout
    assert "on-demand" in submitted.stderr
    status = runner.invoke(app, ["batch", "status", batch_id])
    assert status.exit_code == 0, status.output
    assert status.stdout.strip() == (
        f"batch {batch_id}: no Bedrock batch job (2 on-demand); "
        f"`tierwise batch collect {batch_id}` writes the results"
    )

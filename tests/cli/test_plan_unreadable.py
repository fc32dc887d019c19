"""The plan's terminal summary says how many lines it could not read (they are in no figure)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tierwise.cli.app import app

GOOD = {"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "Classify: refund"}]}


def test_the_summary_counts_unreadable_lines(tmp_path: Path) -> None:
    logs = tmp_path / "requests.jsonl"
    logs.write_text(
        "\n".join([json.dumps(GOOD), "not json", '{"model": "claude-haiku-4-5"}', "[1"]) + "\n",
        "utf-8",
    )
    summary = CliRunner().invoke(app, ["plan", str(logs), "--no-progress", "--rules-only"])
    assert summary.exit_code == 0, summary.output
    # 1 request priced, 3 lines dropped without a word in the summary.
    assert "1 requests" in summary.stdout
    assert "3 lines skipped: not JSON, or holding no request" in summary.stdout


def test_a_clean_file_says_nothing_of_skipped_lines(tmp_path: Path) -> None:
    logs = tmp_path / "requests.jsonl"
    logs.write_text(json.dumps(GOOD) + "\n", "utf-8")
    summary = CliRunner().invoke(app, ["plan", str(logs), "--no-progress", "--rules-only"])
    assert summary.exit_code == 0, summary.output
    assert "skipped" not in summary.stdout

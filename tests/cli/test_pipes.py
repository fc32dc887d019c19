"""The real ``tierwise`` command with stdout and stderr as pipes (never a terminal) and a
narrow ``COLUMNS``: what comes out parses (csv, json), is never wrapped, shows user and
config text as written, and every failure is one ``error:`` line, one ``hint:`` line and
exit code 1, never a traceback."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from tierwise.config import NON_SETTING_ENV
from tierwise.store import LedgerRow, open_ledger

LONG_NAME = "team-search-and-recommendations-with-a-deliberately-long-name-[prod]"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith("TIERWISE_") and k not in NON_SETTING_ENV) and not k.startswith("AWS_")
    }
    env.update(
        {
            "COLUMNS": "40",  # narrow: nothing machine-readable may be wrapped to it
            "TIERWISE_LEDGER__URL": f"sqlite:///{tmp_path / 'ledger.db'}",
            "HOME": str(tmp_path),
            "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            **extra,
        }
    )
    return env


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tierwise", *args],
        capture_output=True,
        text=True,
        env=_env(tmp_path, **env),
        cwd=tmp_path,
        timeout=120,
    )


def assert_one_line_failure(result: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    """Exit code 1, no traceback, stderr exactly ``error: ...`` then ``hint: ...``."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: "), result.stderr
    return lines[0].removeprefix("error: "), lines[1].removeprefix("hint: ")


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    with open_ledger(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        for i, (tier, model) in enumerate(
            [
                ("haiku", "global.anthropic.claude-haiku-4-5-20251001-v1:0"),
                ("sonnet", "global.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            ]
        ):
            ledger.record(
                LedgerRow(
                    id=None, ts=datetime.now(UTC), request_id=f"r{i}", attempt=1, tier=tier,
                    model_id=model, input_tokens=123_456, output_tokens=7_890,
                    cache_read_tokens=10, cache_write_5m_tokens=20, cache_write_1h_tokens=0,
                    cost_usd=Decimal("0.5"), latency_ms=5.0, status="ok",
                )
            )  # fmt: skip
    return tmp_path


def test_spend_csv_and_json_parse_through_a_narrow_pipe(seeded: Path) -> None:
    result = run(seeded, "spend", "--format", "csv", "--by", "model")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "group", "requests", "calls", "input_tokens", "output_tokens",
        "cache_read_tokens", "cache_write_tokens", "cost_usd", "guardrail_interventions",
        "guardrail_cost_usd",
    ]  # fmt: skip
    assert [r["group"] for r in rows] == [
        "global.anthropic.claude-haiku-4-5-20251001-v1:0",
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "total",
    ]
    assert rows[-1]["input_tokens"] == "246912" and rows[-1]["cost_usd"] == "1"
    as_json = run(seeded, "spend", "--format", "json")
    assert json.loads(as_json.stdout)["total"]["requests"] == 2


def test_tables_and_prose_keep_one_line_per_row_when_piped(seeded: Path) -> None:
    result = run(seeded, "spend", "--by", "model")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # Each model's row is one line with every column, whatever COLUMNS says.
    row = next(x for x in lines if "claude-sonnet-4-5-20250929" in x)
    assert "123,456" in row and "7,890" in row and "0.500000" in row
    assert any(x.startswith("saved $") and "batch saved $" in x for x in lines)


def test_config_show_json_and_table_values_as_written(tmp_path: Path) -> None:
    (tmp_path / "tierwise.toml").write_text('[batch]\nprefix = "jobs/[nightly]/x"\n')
    as_json = json.loads(run(tmp_path, "config", "show", "--json").stdout)
    assert as_json["batch.prefix"]["value"] == "jobs/[nightly]/x"
    source = as_json["batch.prefix"]["source"]
    assert source == f"file:{tmp_path / 'tierwise.toml'}"
    table = run(tmp_path, "config", "show").stdout
    row = next(x for x in table.splitlines() if "batch.prefix" in x)
    assert "jobs/[nightly]/x" in row and source in row


def test_keys_secret_raw_and_user_names_unescaped(tmp_path: Path) -> None:
    created = run(tmp_path, "keys", "create", "--name", LONG_NAME, "--budget-usd", "5")
    assert created.returncode == 0, created.stderr
    secret = created.stdout
    assert secret.count("\n") == 1 and " " not in secret.strip()
    assert LONG_NAME in created.stderr
    listed = run(tmp_path, "keys", "list").stdout
    row = next(x for x in listed.splitlines() if LONG_NAME in x)
    assert "$5.00" in row and "active" in row


def test_converse_answer_is_written_raw(tmp_path: Path, live_emulator: object) -> None:
    url: str = live_emulator.url  # type: ignore[attr-defined]
    prompt = "Write a long paragraph about tiered routing of requests " * 3
    full = run(tmp_path, "--endpoint-url", url, "converse", prompt, "--tier", "haiku", "--json")
    assert full.returncode == 0, full.stderr
    response = json.loads(full.stdout)
    answer = "".join(b.get("text", "") for b in response["output"]["message"]["content"])
    assert len(answer) > 80  # long enough that a wrap at 40 or 80 columns would show
    plain = run(tmp_path, "--endpoint-url", url, "converse", prompt, "--tier", "haiku")
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == answer + "\n"
    *attempts, footer = plain.stderr.splitlines()
    assert [a.split(":")[0] for a in attempts] == ["attempt 1 answer on haiku"]
    assert (
        footer.startswith("tier haiku  model global.anthropic.claude-haiku")
        and "ledger #" in footer
    )
    streamed = run(
        tmp_path, "--endpoint-url", url, "converse", prompt, "--tier", "haiku", "--stream"
    )
    assert streamed.returncode == 0, streamed.stderr
    assert streamed.stdout == answer + "\n"


def test_route_json_parses(tmp_path: Path) -> None:
    result = run(tmp_path, "route", "Classify this ticket: [urgent] printer on fire", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["tier"] in ("haiku", "sonnet", "opus")


def test_version(tmp_path: Path) -> None:
    result = run(tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout == f"tierwise {version('tierwise')}\n"


def test_help_shows_config_sections(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", "--help", COLUMNS="200")
    assert result.returncode == 0
    assert "(default [gateway] host)" in result.stdout
    assert "(default [gateway] port)" in result.stdout


def test_credits_hint_keeps_brackets(tmp_path: Path) -> None:
    message, hint = assert_one_line_failure(run(tmp_path, "credits"))
    assert message == "no credit pools are configured"
    assert hint.startswith("add [[credits]] entries")


def test_region_error_shows_the_pattern(tmp_path: Path) -> None:
    message, _ = assert_one_line_failure(run(tmp_path, "--region", "Mars", "config", "show"))
    # Named as the option typed, not the config key it sets (tests/cli/test_flag_errors.py).
    assert "--region" in message and r"^[a-z]{2}(-[a-z]+)+-\d$" in message


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    message, hint = assert_one_line_failure(run(tmp_path, "spend", "--bogus"))
    assert "--bogus" in message and hint == "see `tierwise spend --help`"
    message, _ = assert_one_line_failure(run(tmp_path, "spend", "--format", "xml"))
    assert "--format 'xml'" in message
    message, _ = assert_one_line_failure(run(tmp_path, "no-such-command"))
    assert "no-such-command" in message


def test_group_without_command_prints_its_help(tmp_path: Path) -> None:
    result = run(tmp_path, "batch")
    assert result.returncode == 0 and "submit" in result.stdout and not result.stderr


def test_batch_submit_without_credentials_is_one_line(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "".join(
            json.dumps({"custom_id": f"r{i}", "converse": {"messages": [
                {"role": "user", "content": [{"text": f"Label {i}: spam or ham?"}]}]}}) + "\n"
            for i in range(2)
        )
    )  # fmt: skip
    result = run(
        tmp_path,
        "batch",
        "submit",
        str(source),
        TIERWISE_BATCH__BUCKET="my-bucket",
        TIERWISE_BATCH__MIN_RECORDS="1",
        TIERWISE_TIERS__HAIKU__MODEL_ID="global.anthropic.claude-haiku-4-5-20251001-v1:0",
    )
    message, hint = assert_one_line_failure(result)
    assert message.startswith("S3 put_object failed: no usable AWS credentials")
    assert "credentials" in hint


def test_a_closed_pipe_is_not_an_error(seeded: Path) -> None:
    # `tierwise config show | head -1`: the reader goes away early.
    proc = subprocess.Popen(
        [sys.executable, "-m", "tierwise", "config", "show"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(seeded),
        cwd=seeded,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err


def _commands() -> list[tuple[list[str], Any]]:
    import typer.main

    from tierwise.cli.app import app

    out: list[tuple[list[str], Any]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        out.append((path, cmd))
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return out


def test_every_help_text_shows_as_written() -> None:
    """Audit of every command: each option's and command's help appears verbatim in its
    --help (rich markup would eat "[gateway]", "[[credits]]" and the like)."""
    from typer.testing import CliRunner

    from tierwise.cli.app import app

    commands = _commands()
    assert len(commands) > 15
    for path, cmd in commands:
        result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "300"})
        assert result.exit_code == 0, (path, result.output)
        shown = " ".join(result.output.split())
        texts = [cmd.help or ""] + [getattr(p, "help", None) or "" for p in cmd.params]
        for text in texts:
            first = " ".join(text.split("\n\n")[0].split())
            assert first in shown, (path, first)

"""`-` reads standard input where a command takes a prompt or a file of records
(`cat prompt.txt | tierwise route -`, `... | tierwise plan -`); the help says so. Before,
`-` was the prompt itself or a file named `-`."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from invocation_logs import generator
from tierwise.cli.app import app

PROMPT = (
    "Compare the two proofs below and say which one is wrong, step by step:\n"
    "1. sqrt(2) is irrational because ...\n2. every prime is odd because ...\n"
)


def _invoke(args: list[str], stdin: str = "") -> Any:
    return CliRunner().invoke(app, args, input=stdin)


def test_route_reads_the_prompt_from_stdin() -> None:
    given = _invoke(["route", "--json", PROMPT])
    piped = _invoke(["route", "--json", "-"], PROMPT)
    assert given.exit_code == 0 and piped.exit_code == 0, piped.output
    assert json.loads(piped.stdout) == json.loads(given.stdout)


def test_converse_reads_the_prompt_from_stdin(tmp_path: Path) -> None:
    # An empty stdin is an empty prompt, refused before any call (nothing listens on the
    # endpoint: `-` sent as the prompt would have been a connection error).
    db = f"sqlite:///{tmp_path / 'l.db'}"
    args = ["--db", db, "--endpoint-url", "http://127.0.0.1:9", "converse", "-"]
    result = _invoke(args, "  \n")
    assert result.exit_code == 1
    assert "the prompt is empty" in str(result.exception), result.output
    both = _invoke([*args, "--schema", "-"], "{}")
    assert "the prompt and --schema cannot both be standard input" in str(both.exception)


def test_batch_submit_reads_records_from_stdin(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    result = _invoke(["--db", db, "batch", "submit", "-"], "not json\n")
    assert result.exit_code == 1
    # The records were read (line 1 is not JSON), not a file named "-" looked for.
    message = getattr(result.exception, "message", "")
    assert message.endswith("/stdin.jsonl:1: not JSON (Expecting value)"), result


def _plan_logs(tmp_path: Path) -> tuple[str, list[str]]:
    """40 generated invocation-log records as one text, and the `plan` options that read
    them (the app profile to Sonnet, JSON out, rules only)."""
    gen = generator()
    gen.generate(tmp_path / "logs", 40, seed=3, days=1)
    text = "".join(
        gzip.decompress(p.read_bytes()).decode() if p.suffix == ".gz" else p.read_text()
        for p in sorted((tmp_path / "logs").rglob("*.json*"))
    )
    options = ["--app-profile", f"{gen.APP_PROFILE}={gen.SONNET}", "--json", "--no-progress",
               "--rules-only"]  # fmt: skip
    return text, options


def test_plan_reads_logs_from_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    lines, options = _plan_logs(tmp_path)
    result = _invoke(["plan", "-", *options], lines)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["requests"] == 40


def test_plan_reads_gzip_from_stdin_and_stdin_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Gzip piped in was decoded as text (a UnicodeDecodeError traceback); `plan - -` read
    standard input once and counted its requests twice."""
    monkeypatch.chdir(tmp_path)
    text, options = _plan_logs(tmp_path)
    piped = CliRunner().invoke(app, ["plan", "-", *options], input=gzip.compress(text.encode()))
    assert piped.exit_code == 0, piped.output
    assert json.loads(piped.stdout)["requests"] == 40
    twice = _invoke(["plan", "-", "-", *options], text)
    assert twice.exit_code == 1
    assert "`-` given 2 times" in str(getattr(twice.exception, "message", twice.exception))


@pytest.mark.parametrize(
    "command",
    [["converse"], ["route"], ["batch", "submit"], ["plan"], ["evaluate"], ["router", "train"],
     ["router", "calibrate"]],
)  # fmt: skip
def test_the_help_says_dash_reads_stdin(command: list[str]) -> None:
    result = _invoke([*command, "--help"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "`-` reads" in text and "standard input" in text, text


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["batch", "submit", "-"], "error: standard input has no records"),
        (["plan", "-", "--no-progress"], "error: no invocation records found in standard input"),
        (["router", "train", "--data", "-"], "error: standard input:1: not a routing example"),
    ],
)
def test_an_error_in_piped_input_names_standard_input(
    args: list[str],
    error: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # It named the temporary file standard input is copied to
    # (`/tmp/tierwise-wa231eis/stdin.jsonl has no records`), which the user never made.
    import io

    from tierwise.cli.app import _run

    piped = b'{"prompt": "hi"}\n' if "router" in args else b""
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(piped)))
    assert _run(["--db", f"sqlite:///{tmp_path / 'l.db'}", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith(error), err
    assert "tierwise-" not in err and "stdin.jsonl" not in err, err

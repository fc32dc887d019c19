"""Usage errors say how to fix them: an option of tierwise itself given after the command
names where it goes; an out-of-range value is refused, not dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierwise.cli.app import _run


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (
            ["converse", "hello", "--endpoint-url", "http://127.0.0.1:4566"],
            "hint: --endpoint-url is an option of tierwise itself: put it before the command "
            "(`tierwise --endpoint-url ... converse ...`)",
        ),
        (
            ["router", "eval", "--db=sqlite:///x.db"],
            "hint: --db is an option of tierwise itself: put it before the command "
            "(`tierwise --db ... router eval ...`)",
        ),
        (["converse", "--bogus", "hi"], "hint: see `tierwise converse --help`"),
        (["--bogus"], "hint: see `tierwise --help`"),
    ],
)
def test_unknown_options_get_a_hint_that_says_what_to_do(
    args: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(args) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("error: No such option: "), err
    assert err[1:] == [hint]


def test_max_tokens_below_one_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    # It was dropped as falsy and the answer came back uncapped.
    assert _run(["converse", "--max-tokens", "0", "hi"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Invalid value for '--max-tokens'"), err


def test_route_max_tokens_below_one_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    # It was dropped as falsy and the decision was made for an uncapped request.
    assert _run(["route", "--max-tokens", "0", "hi"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Invalid value for '--max-tokens'"), err


@pytest.mark.parametrize("workers", ["0", "-2"])
def test_serve_workers_below_one_is_refused(
    workers: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # It was taken as one process (workers > 1 chose the multi-process path) and served.
    assert _run(["serve", "--emulate", "--no-auth", "--port", "0", "--workers", workers]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Invalid value for '--workers'"), err


@pytest.mark.parametrize("command", [["route"], ["converse"]])
def test_min_tier_above_max_tier_is_hinted_in_cli_terms(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # The hint named force_tier, a Python field the CLI has no option for.
    assert _run([*command, "--min-tier", "opus", "--max-tier", "haiku", "hi"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "error: --min-tier opus is above --max-tier haiku", err
    assert "force_tier" not in err[1]
    assert "--tier" in err[1]


@pytest.mark.parametrize("value", ["2", "-0.1", "nan"])
def test_self_verify_out_of_range_is_hinted_in_cli_terms(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The hint was the Python spec's ('use true or {"threshold": 0.7}'), no CLI option.
    assert _run(["converse", "--self-verify", value, "hi"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"error: --self-verify {float(value)} is not a confidence"), err
    assert err[1].startswith("hint: e.g. --self-verify 0.7"), err


@pytest.mark.parametrize(("text", "kind"), [("[1]", "list"), ("null", "null"), ('"x"', "str")])
def test_a_schema_file_that_holds_no_object_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, kind: str
) -> None:
    # It said "json_schema must be a JSON Schema object" (the Python spec's field) with the
    # generic "correct the request" hint; null was taken as no schema at all.
    schema = tmp_path / "label.json"
    schema.write_text(text)
    assert _run(["converse", "--schema", str(schema), "hi"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"error: schema {schema} holds a JSON {kind}, not a JSON Schema object"
    assert err[1].startswith("hint: --schema takes a JSON Schema object, e.g.")


@pytest.mark.parametrize(
    ("args", "error", "hint"),
    [
        # It routed the empty prompt (chit_chat, haiku) where `converse` refuses it.
        (["route", "  "], "error: the prompt is empty",
         'hint: pass it as the argument: tierwise route "..."'),
        # The error was the value alone (`--by 'foo'`).
        (["spend", "--by", "foo"], "error: --by 'foo' is not a grouping",
         "hint: use tier, day, key or model"),
        # The hint was the API's "retrying it unchanged will fail the same way".
        (["keys", "create", "--name", "x", "--budget-usd", "abc"],
         "error: --budget-usd 'abc' is not a number", "hint: e.g. --budget-usd 500"),
        (["evaluate", "--budget-usd", "abc"],
         "error: --budget-usd 'abc' is not a number", "hint: e.g. --budget-usd 5"),
        # "Since now" gave an empty report, read as no spend.
        (["spend", "--since", "0d"], "error: --since '0d' is an empty window",
         "hint: e.g. 1d or 30d"),
        # A date to come gave the same empty report, read as "no spend".
        (["spend", "--since", "2999-01-01"],
         "error: --since '2999-01-01' is in the future: an empty window",
         "hint: use a date before today, or a duration such as 30d"),
        # The error was the value alone (`--format 'xml'`).
        (["spend", "--format", "xml"], "error: --format 'xml' is not a format",
         "hint: use table, csv or json"),
        (["evaluate", "--tiers", "foo"], "error: --tiers 'foo' is not a list of tiers",
         "hint: a comma-separated list of haiku, sonnet, opus"),
        (["router", "train", "--holdout", "x"], "error: --holdout 'x' is not a holdout",
         "hint: use class or time"),
        # These had the API's "retrying it unchanged will fail the same way".
        (["evaluate", "--sample", "0"], "error: --sample must be at least 1",
         "hint: e.g. --sample 400"),
        (["plan", "logs", "--batch-tag", "x"], "error: --batch-tag 'x' is not KEY=VALUE",
         "hint: e.g. --batch-tag tierwise-batch=true"),
        # The hint was the API's "retrying it unchanged will fail the same way".
        (["keys", "create", "--name", "x", "--validate", "{bad"],
         "error: --validate is not JSON: Expecting property name enclosed in double quotes",
         """hint: e.g. --validate '{"refusal": true, "stop_reasons": true}'"""),
        (["keys", "create", "--name", "x", "--validate", '{"json_schema": 5}'],
         "error: json_schema must be a JSON Schema object",
         """hint: e.g. {"json_schema": {"type": "object", "required": ["label"]}}"""),
        # It pointed at itself (`see tierwise batch status`), and cancel said "nothing to
        # stop" (exit 0) for a batch that does not exist.
        (["batch", "status", "nope"], "error: no batch nope",
         "hint: `tierwise batch status` with no id lists the batches"),
        (["batch", "cancel", "nope"], "error: no batch nope",
         "hint: `tierwise batch status` with no id lists the batches"),
        # The hint was the generic "fix the value in tierwise.toml, the TIERWISE_* ...".
        (["emulator", "--server", "bogus"], "error: --server 'bogus' is not a server",
         "hint: use async (the default) or threads"),
    ],
)  # fmt: skip
def test_bad_values_say_what_is_wrong_and_what_to_do(
    args: list[str], error: str, hint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["--db", f"sqlite:///{tmp_path / 'l.db'}", *args]) == 1
    assert capsys.readouterr().err.splitlines() == [error, hint]


def test_a_routing_example_without_outcomes_says_what_it_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # It said "not a routing example (KeyError: 'weak')", a key the hint never mentions.
    data = tmp_path / "outcomes.jsonl"
    data.write_text('{"prompt": "hi", "tier": "haiku"}\n')
    assert _run(["router", "train", "--data", str(data), "--out", str(tmp_path / "m")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f'error: {data}:1: not a routing example: no "outcomes" (nor "weak")'
    assert err[1].startswith('hint: each line needs "prompt" and "outcomes" per tier')

"""Bad input a new user types by mistake: each is one `error:` line and one `hint:` line that
says what to do, exit code 1, never the "this is a bug in tierwise" line of an unexpected
exception; machine-readable key listings carry plain decimal amounts."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tierwise.cli.app import _run


def _fails(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    assert _run(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2, err
    assert err[0].startswith("error: ") and err[1].startswith("hint: "), err
    assert "bug in tierwise" not in err[1], err
    return err[0], err[1]


@pytest.mark.parametrize(
    ("budget", "error"),
    [
        ("NaN", "error: a budget must be an amount of USD, not NaN"),
        ("sNaN", "error: a budget must be an amount of USD, not sNaN"),
        ("Infinity", "error: a budget must be an amount of USD, not Infinity"),
        ("-5", "error: a budget cannot be negative"),
        # Stored in picodollars in a 64-bit column: $10M does not fit.
        ("1e7", "error: a budget of $10000000 is above the largest one the ledger stores"),
    ],
)
def test_keys_create_refuses_budgets_it_cannot_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], budget: str, error: str
) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    args = ["--db", db, "keys", "create", "--name", "a", "--budget-usd", budget]
    err, hint = _fails(args, capsys)
    assert err.startswith(error), err
    assert "--budget-usd" in hint, hint


def test_keys_create_refuses_an_rpm_it_cannot_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    err, hint = _fails(["--db", db, "keys", "create", "--name", "a", "--rpm", "9" * 20], capsys)
    assert err.startswith("error: rpm must be from 1 to 2,147,483,647"), err
    assert "--rpm" in hint


def test_the_largest_budget_the_ledger_stores_is_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert _run(["--db", db, "keys", "create", "--name", "a", "--budget-usd", "9223372.03"]) == 0
    capsys.readouterr()
    assert _run(["--db", db, "keys", "list", "--json"]) == 0
    (key,) = json.loads(capsys.readouterr().out)
    assert key["budget_usd"] == "9223372.03"


def test_keys_list_json_amounts_are_plain_decimals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # They were the ledger's picodollar scale: "0E-12" spent, "500.000000000000" budget.
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert _run(["--db", db, "keys", "create", "--name", "a", "--budget-usd", "500"]) == 0
    assert _run(["--db", db, "keys", "create", "--name", "b", "--budget-usd", "0.25"]) == 0
    capsys.readouterr()
    assert _run(["--db", db, "keys", "list", "--json"]) == 0
    a, b = json.loads(capsys.readouterr().out)
    assert (a["budget_usd"], a["spent_usd"], a["reserved_usd"], a["remaining_usd"]) == (
        "500",
        "0",
        "0",
        "500",
    )
    assert (b["budget_usd"], b["remaining_usd"]) == ("0.25", "0.25")
    for key in (a, b):
        for field in ("budget_usd", "spent_usd", "reserved_usd", "remaining_usd"):
            assert "E" not in key[field] and Decimal(key[field]) >= 0


@pytest.mark.parametrize(
    ("flags", "error"),
    [
        (["--throttle-rate", "5"], "error: --throttle-rate must be between 0 and 1, got 5.0"),
        (["--error-rate", "-1"], "error: --error-rate must be between 0 and 1, got -1.0"),
        (
            ["--throttle-rate", "0.6", "--error-rate", "0.6"],
            "error: --throttle-rate + --error-rate must not exceed 1",
        ),
        (["--latency-ms", "-1"], "error: --latency-ms must be between 0 and 3600000, got -1"),
    ],
)
def test_emulator_fault_options_out_of_range_name_the_flag(
    capsys: pytest.CaptureFixture[str], flags: list[str], error: str
) -> None:
    err, hint = _fails(["emulator", "--port", "0", *flags], capsys)
    assert err == error
    assert hint == "hint: see `tierwise emulator --help` for each fault option"


@pytest.mark.parametrize("port", ["99999", "-1"])
def test_an_emulator_port_out_of_range_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], port: str
) -> None:
    # 99999 reached bind(): "unexpected OverflowError ... this is a bug in tierwise".
    err, hint = _fails(["emulator", "--port", port], capsys)
    assert err.startswith("error: Invalid value for '--port'"), err
    assert hint == "hint: see `tierwise emulator --help`"


@pytest.mark.parametrize("command", [["router", "train"], ["router", "calibrate"]])
def test_router_data_that_is_not_a_file_names_the_data_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    # train said "fix the value in tierwise.toml, the TIERWISE_* variable or the CLI flag";
    # calibrate started loading and then said "correct the request".
    err, hint = _fails([*command, "--data", str(tmp_path / "my-outcomes.jsonl")], capsys)
    assert err == f"error: cannot read --data {tmp_path / 'my-outcomes.jsonl'}: no such file"
    assert hint.startswith("hint: check the --data path")
    err, hint = _fails([*command, "--data", str(tmp_path)], capsys)
    assert err == f"error: cannot read --data {tmp_path}: not a file"


def test_converse_schema_file_problems_say_what_to_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "answer.schema.json"
    err, hint = _fails(["converse", "--schema", str(missing), "hi"], capsys)
    assert err == f"error: cannot read schema {missing}: No such file or directory"
    assert hint == "hint: check the --schema path"
    toml = tmp_path / "tierwise.toml"
    toml.write_text('region = "us-east-1"\n')
    err, hint = _fails(["converse", "--schema", str(toml), "hi"], capsys)
    assert err == f"error: schema {toml} is not valid JSON: Expecting value (line 1, column 1)"
    assert hint == "hint: --schema takes a JSON Schema document (a .json file)"


def test_an_output_path_that_cannot_be_written_is_the_users_to_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # batch collect -o, iam-policy --out-dir, plan --html/--csv into a missing folder or onto
    # a file said "unexpected FileNotFoundError ... this is a bug in tierwise".
    taken = tmp_path / "policies"
    taken.write_text("a file where the folder should go")
    offline = ["iam-policy", "--offline", "--account-id", "111122223333", "--destinations",
               "us=us-east-1,us-east-2,us-west-2"]  # fmt: skip
    err, hint = _fails([*offline, "--batch", "--out-dir", str(taken)], capsys)
    assert err == f"error: {taken}: File exists"
    assert hint == "hint: check the path: its folder must exist, and be writable for an output"
    err, _ = _fails([*offline, "--batch", "--out-dir", str(taken / "sub")], capsys)
    assert err == f"error: {taken / 'sub'}: Not a directory"


def _store_a_capture(db: str) -> None:
    from datetime import UTC, datetime, timedelta

    from tierwise.store import open_ledger
    from tierwise.store.captures import Capture, CaptureStore
    from tierwise.store.sql import SQLLedger

    ledger = open_ledger(db)
    assert isinstance(ledger, SQLLedger)
    try:
        CaptureStore(ledger).add(
            Capture(
                id=None, ts=datetime.now(UTC) - timedelta(minutes=1), request_id="r1",
                api_key_id=None, task_class="chit_chat", tier="haiku",
                model_id="global.anthropic.claude-haiku-4-5-20251001-v1:0", route=None,
                request={"messages": [{"role": "user", "content": [{"text": "hi"}]}]},
                answer={"content": [{"text": "hello"}]}, redactions=0, truncated=False,
                cost_usd=Decimal("0.0001"),
            )
        )  # fmt: skip
    finally:
        ledger.close()


@pytest.mark.parametrize("cut_off", ["2999-01-01", "0d", "0h"])
def test_capture_purge_older_than_now_or_a_date_to_come_is_every_capture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cut_off: str
) -> None:
    # --since refuses a date to come or 0d (an empty window); older than either is every
    # capture (0d was refused as "an empty window", though a cut-off is no window)
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    _store_a_capture(db)
    assert _run(["--db", db, "capture", "purge", "--older-than", cut_off, "--yes"]) == 0
    assert capsys.readouterr().out == "deleted 1 capture(s)\n"
    assert _run(["--db", db, "capture", "purge", "--yes"]) == 0
    assert capsys.readouterr().out == "deleted 0 capture(s)\n"


def test_capture_purge_names_its_own_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # It said "--since 'bogus' is not a duration or a date" to `purge --older-than bogus`.
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    err, hint = _fails(["--db", db, "capture", "purge", "--older-than", "bogus"], capsys)
    assert err == "error: --older-than 'bogus' is not a duration or a date"
    assert hint == "hint: use 30d, 12h, 2w or 2026-11-01"


@pytest.mark.parametrize("answer", ["", "n\n"])
def test_capture_purge_not_confirmed_says_so_and_how_to_skip_the_question(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
) -> None:
    # A closed stdin exited 130 and a "n" exited 1, neither saying anything but the
    # question, which went to stdout.
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(answer))
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert _run(["--db", db, "capture", "purge"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[-2:] == [
        "error: nothing deleted: the deletion was not confirmed",
        "hint: answer y, or pass --yes to delete without asking",
    ]


@pytest.mark.parametrize("prompt", ["", "  \n"])
def test_an_empty_prompt_is_refused_before_any_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], prompt: str
) -> None:
    # It went to Bedrock (a ledgered error row) and came back "The text field in the
    # ContentBlock object at messages.0.content.0 is blank".
    from tierwise.store import open_ledger

    db = tmp_path / "ledger.db"
    args = ["--db", f"sqlite:///{db}", "--endpoint-url", "http://127.0.0.1:9", "converse"]
    err, hint = _fails([*args, prompt], capsys)
    assert err == "error: the prompt is empty"
    assert hint == 'hint: pass it as the argument: tierwise converse "..."'
    if db.exists():
        with open_ledger(f"sqlite:///{db}") as ledger:
            assert ledger.rows() == []


def test_keys_list_json_shows_what_the_key_was_created_with(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A key made with --routing-mode shadow --capture-rate 0.05 --escalate listed no trace
    # of it: nothing showed whether a key shadows, captures or escalates.
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    create = ["--db", db, "keys", "create", "--name", "s", "--routing-mode", "shadow",
              "--capture-rate", "0.05", "--escalate",
              "--validate", '{"refusal": true}']  # fmt: skip
    assert _run(create) == 0
    assert _run(["--db", db, "keys", "create", "--name", "plain"]) == 0
    capsys.readouterr()
    assert _run(["--db", db, "keys", "list", "--json"]) == 0
    shadow, plain = json.loads(capsys.readouterr().out)
    assert shadow["policy"] == {
        "routing_mode": "shadow",
        "capture_rate": 0.05,
        "escalate": True,
        "validate": {"refusal": True},
    }
    assert plain["policy"] == {}
    assert shadow["created_at"] <= plain["created_at"]


@pytest.mark.parametrize(("flag", "value"), [("--keep", "5"), ("--gain", "-1"), ("--keep", "0")])
def test_calibrate_shares_out_of_range_are_refused_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    # They were taken, the data loaded and scored, and then refused for too few requests
    # (or, with enough, by the calibration itself), with the tierwise.toml hint.
    data = tmp_path / "outcomes.jsonl"
    data.write_text('{"prompt": "hi", "outcomes": {"haiku": 1, "sonnet": 1}}\n')
    err, hint = _fails(["router", "calibrate", "--data", str(data), flag, value], capsys)
    assert err == f"error: {flag} must be a share in (0, 1], not {float(value)}"
    assert hint == f"hint: e.g. {flag} 0.25"


def test_calibrate_on_too_few_outcomes_says_to_add_some(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sklearn")
    data = tmp_path / "outcomes.jsonl"
    data.write_text('{"prompt": "hi", "outcomes": {"haiku": 1, "sonnet": 1}}\n')
    assert _run(["router", "calibrate", "--data", str(data)]) == 1
    # Exactly two lines: no spinner frame ("⠋ routing scores 0:00:00") or blank line above.
    err, hint = capsys.readouterr().err.split("\n")[:2]
    assert err == "error: calibration needs at least 20 requests graded on both tiers"
    assert hint.startswith("hint: give --data more lines with outcomes on both tiers")


@pytest.mark.parametrize("judge", ["ultra", ""])
def test_evaluate_judge_that_is_not_a_tier_names_the_judge_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], judge: str
) -> None:
    # "--judge ultra" said "--tiers 'ultra'"; "--judge ''" was an IndexError (a bug line).
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    err, hint = _fails(["--db", db, "evaluate", "--judge", judge], capsys)
    assert err == f"error: --judge {judge!r} is not a tier"
    assert hint == "hint: use haiku, sonnet or opus (default opus)"


@pytest.mark.parametrize("command", [["capture", "list"], ["evaluate"]])
def test_a_class_that_does_not_exist_is_named_with_the_real_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    # `capture list --class clasify` listed nothing and `evaluate --class clasify` said there
    # were no requests of that class: a typo read as an empty result.
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    err, hint = _fails(["--db", db, *command, "--class", "clasify"], capsys)
    assert err == "error: --class 'clasify' is not a task class"
    assert hint.startswith("hint: use one of: ") and "classify" in hint and "proof" in hint


def test_capture_list_limit_below_one_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert _run(["--db", db, "capture", "list", "--limit", "-1"]) == 1
    assert capsys.readouterr().err.startswith("error: Invalid value for '--limit'")


def test_batch_submit_of_a_missing_file_says_to_check_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The hint was the generic "correct the request; retrying it unchanged will fail".
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    missing = tmp_path / "requests.jsonl"
    err, hint = _fails(["--db", db, "batch", "submit", str(missing)], capsys)
    assert err == f"error: cannot read {missing}: No such file or directory"
    assert hint.startswith("hint: check the path: a JSONL file of")


def test_keys_create_refuses_a_name_an_active_key_has(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Access logs, the dashboard and `spend --by key` show keys by name: a second active
    # "search" would make two keys' traffic indistinguishable there.
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert _run(["--db", db, "keys", "create", "--name", "search"]) == 0
    capsys.readouterr()
    assert _run(["--db", db, "keys", "list", "--json"]) == 0
    (first,) = json.loads(capsys.readouterr().out)
    err, hint = _fails(["--db", db, "keys", "create", "--name", "search"], capsys)
    assert err == f"error: an active key is already named 'search' ({first['id']})"
    assert hint == f"hint: choose another --name, or `tierwise keys revoke {first['id']}` first"
    assert _run(["--db", db, "keys", "list", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
    # Once revoked, the name is free for the key that replaces it.
    assert _run(["--db", db, "keys", "revoke", first["id"]]) == 0
    assert _run(["--db", db, "keys", "create", "--name", "search"]) == 0


@pytest.mark.parametrize(
    ("flag", "value", "error", "hint"),
    [
        ("--capture-rate", "2", "error: --capture-rate 2.0 is not a share from 0 to 1",
         "hint: e.g. --capture-rate 0.05 to capture one request in twenty"),
        ("--capture-rate", "nan", "error: --capture-rate nan is not a share from 0 to 1",
         "hint: e.g. --capture-rate 0.05 to capture one request in twenty"),
        ("--routing-mode", "sideways", "error: --routing-mode 'sideways' is not a routing mode",
         "hint: use --routing-mode shadow (or route, the default)"),
        ("--validate", "[1]", "error: --validate must be a JSON object of validators",
         """hint: e.g. --validate '{"refusal": true}'"""),
    ],
)  # fmt: skip
def test_keys_create_policy_flags_are_named_as_typed(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flag: str,
    value: str,
    error: str,
    hint: str,
) -> None:
    # The store's messages name the admin API's policy fields (policy.capture_rate), which a
    # CLI user never typed.
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert _fails(["--db", db, "keys", "create", "--name", "a", flag, value], capsys) == (
        error, hint
    )  # fmt: skip

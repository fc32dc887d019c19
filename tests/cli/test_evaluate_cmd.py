"""`tierwise evaluate`, `tierwise capture` and `tierwise spend --shadow` from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tierwise.cli.app import app
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.tiers import Tier
from tierwise.emulator.skills import CLASS_KEY
from tierwise.errors import InvalidRequestError
from tierwise.store import open_ledger

SKILLS = {
    "label": {"haiku": 0.97, "sonnet": 1.0, "opus": 1.0, "closed": True},
    "reply": {"haiku": 0.4, "sonnet": 0.97, "opus": 1.0},
}


@pytest.fixture
def env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu_settings: Settings, live_emulator: Any
) -> dict[str, Any]:
    db = tmp_path / "ledger.db"
    monkeypatch.setenv("TIERWISE_LEDGER__URL", f"sqlite:///{db}")
    monkeypatch.setenv("TIERWISE_ENDPOINT_URL", live_emulator.url)
    monkeypatch.setenv("TIERWISE_RETRY__BASE_DELAY_S", "0")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    live_emulator.set_skills(SKILLS)
    return {"db": db, "settings": emu_settings, "path": tmp_path}


def request(name: str, i: int) -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": [{"text": f"{name} request {i}, please"}]}],
        "requestMetadata": {CLASS_KEY: name},
    }


def test_evaluate_from_a_jsonl_file(env: dict[str, Any]) -> None:
    source = env["path"] / "requests.jsonl"
    lines = [{"id": f"{n}-{i}", "task_class": n, "request": request(n, i)}
             for n in SKILLS for i in range(40)]  # fmt: skip
    source.write_text("\n".join(json.dumps(x) for x in lines))
    result = CliRunner().invoke(
        app, ["evaluate", "--from", str(source), "--sample", "80", "--budget-usd", "20",
              "--quality", "0.8", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    by_class = {c["task_class"]: c for c in report["classes"]}
    assert by_class["label"]["recommended_tier"] == "haiku"
    assert by_class["reply"]["recommended_tier"] == "sonnet"
    assert Decimal_ok(report["spent_usd"], "20")
    outcomes = (env["path"] / "tierwise-outcomes.jsonl").read_text().splitlines()
    assert len(outcomes) == 80
    first = json.loads(outcomes[0])
    assert {"task_class", "verdicts", "costs_usd", "features", "request"} <= set(first)
    assert first["prompt"].startswith(first["task_class"])
    assert first["outcomes"]["opus"] == 1 and set(first["outcomes"]) == {"haiku", "sonnet", "opus"}
    html = (env["path"] / "tierwise-evaluation.html").read_text()
    assert "<svg" in html and "label" in html and "reply" in html
    # the outcomes file is what `tierwise router train --data` refits from
    model = env["path"] / "mine.twdm"
    refit = CliRunner().invoke(
        app, ["router", "train", "--data", "tierwise-outcomes.jsonl", "--out", str(model)]
    )
    assert refit.exit_code == 0, refit.output
    assert model.stat().st_size > 0


def Decimal_ok(spent: str, budget: str) -> bool:
    from decimal import Decimal

    return Decimal(0) < Decimal(spent) <= Decimal(budget)


def test_evaluate_without_captures_says_how_to_get_them(env: dict[str, Any]) -> None:
    result = CliRunner().invoke(app, ["evaluate"])
    # main() turns this into one line plus the hint; the runner shows the error itself
    assert isinstance(result.exception, InvalidRequestError)
    assert "no captured requests" in result.exception.message
    assert "sample_rate" in (result.exception.hint or "")


def test_evaluate_rejects_bad_options(env: dict[str, Any]) -> None:
    for args in (["--tiers", "haiku,gpt"], ["--budget-usd", "-1"], ["--quality", "2"],
                 ["--tiers", "opus"]):  # fmt: skip
        result = CliRunner().invoke(app, ["evaluate", "--from", "x.jsonl", *args])
        assert isinstance(result.exception, InvalidRequestError), args


def test_capture_list_purge_and_evaluate_from_captures(env: dict[str, Any]) -> None:
    settings = env["settings"].with_overrides({"capture.sample_rate": 1.0})
    with Tierwise.from_settings(settings, ledger_url=f"sqlite:///{env['db']}") as tw:
        for i in range(6):
            tw.converse(modelId="sonnet", **request("reply", i))
    listed = CliRunner().invoke(app, ["capture", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(rows) == 6 and rows[0]["tier"] == "sonnet"
    evaluated = CliRunner().invoke(
        app, ["evaluate", "--tiers", "sonnet,opus", "--budget-usd", "5", "--json"]
    )
    assert evaluated.exit_code == 0, evaluated.output
    assert sum(c["samples"] for c in json.loads(evaluated.stdout)["classes"]) == 6
    purged = CliRunner().invoke(app, ["capture", "purge", "--yes"])
    assert purged.exit_code == 0 and "deleted 6" in purged.stdout
    assert CliRunner().invoke(app, ["capture", "list", "--json"]).stdout.strip() == ""


def test_spend_shadow_prices_the_routers_choices(env: dict[str, Any]) -> None:
    settings = env["settings"].with_overrides({"routing.mode": "shadow"})
    text = ("Classify this ticket as billing, technical or account. Reply with the label "
            "only. Ticket: I was charged twice.")  # fmt: skip
    with Tierwise.from_settings(settings, ledger_url=f"sqlite:///{env['db']}") as tw:
        for _ in range(3):
            tw.converse(modelId="opus", messages=[{"role": "user", "content": [{"text": text}]}])
        routed = tw.route({"messages": [{"role": "user", "content": [{"text": text}]}]}).tier
    result = CliRunner().invoke(app, ["spend", "--shadow", "--format", "json"])
    assert result.exit_code == 0, result.output
    total = json.loads(result.stdout)["total"]
    assert total["requests"] == 3
    assert total["moves"] == {f"opus->{routed.value}": 3}
    if routed.value != "opus":
        assert float(total["saving_usd"]) > 0
    table = CliRunner().invoke(app, ["spend", "--shadow"])
    assert table.exit_code == 0 and "routed" in table.stdout


def test_apply_writes_one_line_per_changed_class(env: dict[str, Any], live_emulator: Any) -> None:
    # support_reply defaults to sonnet; make haiku as good there, and summarize weak on sonnet
    live_emulator.set_skills(
        {
            "support_reply": {"haiku": 1.0, "sonnet": 1.0, "opus": 1.0},
            "summarize": {"haiku": 0.3, "sonnet": 0.3, "opus": 1.0},
        }
    )
    source = env["path"] / "requests.jsonl"
    lines = [{"task_class": n, "request": request(n, i)}
             for n in ("support_reply", "summarize") for i in range(30)]  # fmt: skip
    source.write_text("\n".join(json.dumps(x) for x in lines))
    args = ["evaluate", "--from", str(source), "--budget-usd", "20", "--quality", "0.85"]
    dry = CliRunner().invoke(app, args)
    assert dry.exit_code == 0, dry.output
    assert 'routing.classes.support_reply.tier = "haiku"   # was "sonnet"' in dry.stdout
    assert 'routing.classes.summarize.tier = "opus"   # was "sonnet"' in dry.stdout
    # the evidence also bounds the difficulty stage: haiku proven on support_reply (no step
    # up from it), sonnet short on summarize (no step down to it)
    assert 'routing.classes.support_reply.max_tier = "haiku"   # was unset' in dry.stdout
    assert 'routing.classes.summarize.min_tier = "opus"   # was unset' in dry.stdout
    assert not (env["path"] / "tierwise.toml").exists()
    applied = CliRunner().invoke(app, [*args, "--apply"])
    assert applied.exit_code == 0, applied.output
    written = (env["path"] / "tierwise.toml").read_text()
    assert "[routing.classes.support_reply]" in written and 'tier = "haiku"' in written
    from tierwise.config import load_settings

    settings = load_settings(str(env["path"] / "tierwise.toml"), environ={}).settings
    assert settings.routing.classes["support_reply"].tier.value == "haiku"
    assert settings.routing.classes["summarize"].tier.value == "opus"
    assert settings.routing.classes["summarize"].min_tier is Tier.OPUS
    assert settings.routing.classes["support_reply"].max_tier is Tier.HAIKU


def test_apply_keeps_a_configured_bound_valid(env: dict[str, Any], live_emulator: Any) -> None:
    # a team's own floor of sonnet on support_reply; the evidence moves the class to haiku
    (env["path"] / "tierwise.toml").write_text(
        '[routing.classes.support_reply]\ntier = "sonnet"\nmin_tier = "sonnet"\n'
    )
    live_emulator.set_skills({"support_reply": {"haiku": 1.0, "sonnet": 1.0, "opus": 1.0}})
    source = env["path"] / "requests.jsonl"
    lines = [{"task_class": "support_reply", "request": request("support_reply", i)}
             for i in range(30)]  # fmt: skip
    source.write_text("\n".join(json.dumps(x) for x in lines))
    args = ["evaluate", "--from", str(source), "--budget-usd", "20", "--quality", "0.85"]
    applied = CliRunner().invoke(app, [*args, "--apply"])
    assert applied.exit_code == 0, applied.output
    from tierwise.config import load_settings

    line = load_settings(str(env["path"] / "tierwise.toml"), environ={}).settings.routing.classes[
        "support_reply"
    ]
    assert (line.tier, line.min_tier, line.max_tier) == (Tier.HAIKU, Tier.HAIKU, Tier.HAIKU)


def test_evaluate_uses_batch_from_the_threshold(env: dict[str, Any]) -> None:
    source = env["path"] / "requests.jsonl"
    lines = [{"id": f"{n}-{i}", "task_class": n, "request": request(n, i)}
             for n in SKILLS for i in range(60)]  # fmt: skip
    source.write_text("\n".join(json.dumps(x) for x in lines))
    args = ["evaluate", "--from", str(source), "--sample", "120", "--budget-usd", "20",
            "--quality", "0.8", "--json"]  # fmt: skip
    batched = CliRunner().invoke(app, [*args, "--batch-min-records", "100"])
    assert batched.exit_code == 0, batched.output
    report = json.loads(batched.stdout)
    assert report["batched_calls"] >= 360  # every replay of 120 requests on 3 tiers
    by_class = {c["task_class"]: c for c in report["classes"]}
    assert by_class["label"]["recommended_tier"] == "haiku"
    assert by_class["reply"]["recommended_tier"] == "sonnet"
    with open_ledger(f"sqlite:///{env['db']}") as ledger:
        rows = ledger.rows()
    assert all((r.metadata or {}).get("purpose") == "evaluation" for r in rows)
    assert sum(1 for r in rows if r.batch) == report["batched_calls"]
    never = CliRunner().invoke(app, [*args, "--batch-min-records", "0"])
    assert never.exit_code == 0, never.output
    assert json.loads(never.stdout)["batched_calls"] == 0


def test_a_run_whose_every_call_failed_says_so_and_exits_1(
    env: dict[str, Any], live_emulator: Any
) -> None:
    # Every call failing (here the emulator's 5xx on each) printed "0 of 3 sampled requests
    # evaluated with 9 calls" and "no policy changes recommended", exit 0: read as a verdict.
    source = env["path"] / "requests.jsonl"
    source.write_text("\n".join(json.dumps(request("label", i)) for i in range(3)))
    live_emulator.faults.error_rate = 1.0
    try:
        result = CliRunner().invoke(
            app, ["evaluate", "--from", str(source), "--budget-usd", "5", "--json"]
        )
    finally:
        live_emulator.faults.error_rate = 0.0
    assert result.exit_code == 1, result.output
    assert "no sampled request could be evaluated: 9 of the 9 calls failed" in str(result.exception)
    report = json.loads(result.stdout)
    assert report["calls"] == 9 and sum(report["failed_calls"].values()) == 9
    html = (env["path"] / "tierwise-evaluation.html").read_text()
    assert "9 of the 9 calls failed" in html

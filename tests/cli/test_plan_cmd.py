"""`tierwise plan` end to end on generated invocation logs: terminal summary, JSON, CSV, and
the HTML report rendered in headless Chromium (a screenshot test)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from invocation_logs import generator
from pg import in_ci
from tierwise.cli.app import app
from tierwise.client import load_class_scorer, load_scorer
from tierwise.config import load_settings
from tierwise.core.planning import RouteChoice
from tierwise.core.routing import decide
from tierwise.planner.workers import make_router

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("TIERWISE_TEST_ARTIFACTS", "test-artifacts"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"


GEN = generator()
# The generated logs name one application inference profile, which runs Sonnet.
APP = ["--app-profile", f"{GEN.APP_PROFILE}={GEN.SONNET}"]


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("logs")
    GEN.generate(out, 600, seed=3, days=2)
    return out


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "tierwise.toml"
    path.write_text(
        '[[credits]]\nname = "AWS Activate"\namount = "25"\n'
        'start = "2026-09-01"\nexpires = "2027-06-30"\n'
    )
    return path


def test_plan_json_csv_and_summary(logs: Path, config: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "plan",
            str(logs),
            *APP,
            "--json",
            "--no-progress",
            "--rules-only",
            "--csv",
            str(tmp_path / "plan.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["requests"] == 600 and data["read"]["files"] == 1
    assert data["unpriced"] == 0  # the application profile too (--app-profile)
    totals = {k: Decimal(v) for k, v in data["totals_usd"].items()}
    assert totals["routed"] < totals["as_is"]
    assert totals["routed_cached"] < totals["routed"]  # the shared triage prompt caches
    assert totals["routed_cached_batch"] < totals["routed_cached"]  # nightly summaries
    assert data["cache"]["reads"] > 0 and data["batchable"] > 0
    assert set(data["tier_mix_routed"]) <= {"haiku", "sonnet", "opus"}
    assert {c["class"] for c in data["classes"]} >= {"triage"} or len(data["classes"]) > 2
    assert data["credit_runway"]["as_is"]["burn_7d_usd"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "plan.csv").read_text())))
    total_rows = {r["strategy"]: Decimal(r["cost_usd"]) for r in rows if r["kind"] == "total"}
    day_sum = sum(
        Decimal(r["cost_usd"]) for r in rows if r["kind"] == "day" and r["strategy"] == "as_is"
    )
    assert abs(total_rows["as_is"] - day_sum) < Decimal("0.0001")
    summary = CliRunner().invoke(app, ["plan", str(logs), *APP, "--no-progress", "--rules-only"])
    assert summary.exit_code == 0, summary.output
    assert "routed_cached_batch" in summary.stdout and "600 requests" in summary.stdout
    # The period, and with a [[credits]] pool, when each strategy's spend reaches the card.
    assert "600 requests from 2026-" in summary.stdout
    assert "spend reaches the card" in summary.stdout
    card = {
        line.split("│")[1].strip(): line.split("│")[6].strip()
        for line in summary.stdout.splitlines()
        if line.count("│") == 7
    }
    expected = data["credit_runway"]
    assert card == {k: v["card_from"] or "not within 3 years" for k, v in expected.items()}


def test_workers_route_as_this_process_does(logs: Path, config: Path) -> None:
    # Routing in worker processes must not change a single figure: same routes, same order.
    runs = []
    for workers in ("1", "2"):
        result = CliRunner().invoke(
            app, ["plan", str(logs), *APP, "--json", "--no-progress", "--workers", workers]
        )
        assert result.exit_code == 0, result.output
        runs.append(json.loads(result.stdout))
    assert runs[0]["requests"] == 600
    assert runs[0] == runs[1]
    bad = CliRunner().invoke(app, ["plan", str(logs), *APP, "--no-progress", "--workers", "-1"])
    assert "--workers" in str(bad.exception)


def test_progress_bar_on_stderr_with_workers(
    logs: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A terminal, as far as rich can tell: the bar is live (redrawn in place) while worker
    # processes route, ends on the final count and rate, and stays off stdout (the JSON).
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    result = CliRunner().invoke(
        app, ["plan", str(logs), *APP, "--json", "--progress", "--workers", "2", "--rules-only"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["requests"] == 600
    err = result.stderr
    assert "\x1b[" in err  # drawn as a live display, not printed once
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", err)
    frames = re.findall(r"(\d+)% ([\d,]+) records · (\d+) files · ([\d,]+)/s", text)
    assert frames, err
    # The last frame: all the bytes (local files have a known size), every record, a rate.
    assert frames[-1][:3] == ("100", "600", "1")
    assert int(frames[-1][3].replace(",", "")) > 0
    quiet = CliRunner().invoke(
        app, ["plan", str(logs), *APP, "--json", "--no-progress", "--rules-only"]
    )
    assert "records ·" not in quiet.stderr
    # No terminal (a pipe, a log file): plain lines, no escape codes, the last one complete.
    monkeypatch.delenv("TTY_COMPATIBLE")
    monkeypatch.delenv("TTY_INTERACTIVE")
    piped = CliRunner().invoke(
        app, ["plan", str(logs), *APP, "--json", "--progress", "--rules-only"]
    )
    assert piped.exit_code == 0, piped.output
    assert "\x1b[" not in piped.stderr
    lines = [x for x in piped.stderr.splitlines() if x.startswith("planning: ")]
    assert re.fullmatch(
        r"planning: 600 records · 1 files · [\d,]+/s · \d+:\d\d:\d\d · 100% read", lines[-1]
    )


def test_caching_that_costs_more_than_it_saves_is_called_out() -> None:
    from tierwise.cli.plan_cmd import caveats
    from tierwise.core.planning import PlanResult

    r = PlanResult(requests=10, cache_writes=9, cache_reads=0)
    r.totals.update(routed=Decimal("2.00"), routed_cached=Decimal("2.50"))
    (line,) = caveats(r, "5m")
    assert "Caching costs $0.5000 more than it saves" in line and "--ttl 1h" in line
    assert "9 cache writes and 0 reads within the 5m TTL" in line
    assert '[caching] mode = "off"' in caveats(r, "1h")[0]
    r.totals.update(routed_cached=Decimal("1.50"))
    assert caveats(r, "5m") == []


def test_plan_routes_as_the_client_does() -> None:
    # The plan prices what tierwise would do: the client's router, task-class model included
    # (before, the planner routed with the cue classifier alone: 22 of these 150 requests
    # got another tier).
    settings = load_settings(environ={}).settings
    route = make_router(settings, use_model=True)
    policy, scorer = settings.routing_policy(), load_scorer(settings)
    classes = load_class_scorer(settings)
    assert classes is not None
    rows = (ROOT / "tests" / "router" / "data" / "heldout_requests.jsonl").read_text()
    for line in rows.splitlines():
        request = json.loads(line)["request"]
        decision = decide(request, policy=policy, scorer=scorer, class_scorer=classes)
        assert route(request) == RouteChoice(decision.tier, decision.task_class.name)


def test_empty_or_bad_sources_are_one_line_errors(tmp_path: Path, config: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(app, ["plan", str(empty), "--no-progress"])
    assert result.exit_code != 0
    assert "no invocation records found" in str(result.exception)
    result = CliRunner().invoke(app, ["plan", str(empty), "--ttl", "2h", "--no-progress"])
    assert "--ttl '2h' is not a cache TTL" in str(result.exception)


def test_html_report_renders_in_chromium(logs: Path, config: Path, tmp_path: Path) -> None:
    report = tmp_path / "plan.html"
    result = CliRunner().invoke(
        app, ["plan", str(logs), *APP, "--html", str(report), "--no-progress", "--rules-only"]
    )
    assert result.exit_code == 0, result.output
    text = report.read_text()
    assert "http://" not in text and "https://" not in text and "<script" not in text  # offline
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if in_ci():
            pytest.fail("playwright is required in CI for the browser test")
        pytest.skip("playwright not installed")
    if not Path(CHROMIUM).exists():
        if in_ci():
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs it")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(report.as_uri())
        assert page.locator("svg").count() == 3
        assert page.locator("svg[aria-label='savings waterfall'] rect").count() == 5
        assert page.locator("svg[aria-label='cost per day per strategy'] polyline").count() == 5
        assert page.locator("table.totals tbody tr").count() == 5
        assert page.locator("table.classes tbody tr").count() >= 3
        assert "AWS Activate" in page.inner_text("body")
        box = page.locator("svg").first.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
        page.screenshot(path=str(ARTIFACTS / "plan-report.png"), full_page=True)
        browser.close()
    assert errors == []

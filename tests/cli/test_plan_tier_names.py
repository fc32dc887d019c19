"""`tierwise plan` on logs whose ``model`` is a tier name or "auto" (the gateway's names):
a tier name is priced at that tier, "auto" at the tier the router picks, never at $0."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tierwise.cli.app import app

BODY = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 50}


def _plan(tmp_path: Path, *models: str) -> dict[str, object]:
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps({"model": m, **BODY}) + "\n" for m in models))
    result = CliRunner().invoke(app, ["plan", str(path), "--no-progress", "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


@pytest.fixture(autouse=True)
def _no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_tier_names_price_at_their_tier(tmp_path: Path) -> None:
    data = _plan(tmp_path, "haiku", "Opus")
    assert data["unpriced"] == 0
    assert data["tier_mix_as_is"] == {"haiku": 1, "opus": 1}
    totals = data["totals_usd"]
    assert isinstance(totals, dict)
    assert Decimal(totals["as_is"]) > 0
    # The same usage: as is prices one request on Opus, so it costs more than the routed plan.
    haiku_only = _plan(tmp_path, "haiku")
    h = haiku_only["totals_usd"]
    assert isinstance(h, dict)
    assert Decimal(h["as_is"]) == Decimal(h["routed"])  # "hi" routes to Haiku


def test_auto_is_priced_at_the_routed_tier(tmp_path: Path) -> None:
    data = _plan(tmp_path, "auto", "AUTO")
    assert data["unpriced"] == 0 and data["auto_as_is"] == 2
    totals = data["totals_usd"]
    assert isinstance(totals, dict)
    assert Decimal(totals["as_is"]) == Decimal(totals["routed"]) > 0
    routed = data["tier_mix_routed"]
    assert data["tier_mix_as_is"] == routed


def test_summary_says_how_auto_was_priced(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps({"model": m, **BODY}) + "\n" for m in ("haiku", "auto")))
    result = CliRunner().invoke(app, ["plan", str(path), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "in no tier" not in result.output
    assert '1 requests name model "auto"' in result.output
    assert "tier the router picks" in result.output


def test_html_report_counts_auto_requests(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps({"model": m, **BODY}) + "\n" for m in ("auto", "auto")))
    html = tmp_path / "plan.html"
    result = CliRunner().invoke(app, ["plan", str(path), "--no-progress", "--html", str(html)])
    assert result.exit_code == 0, result.output
    page = html.read_text()
    assert "model in no tier (excluded from every strategy)</td><td>0<" in page.replace("\n", "")
    assert "as is at the tier the router picks)</td><td>2<" in page.replace("\n", "")


def test_lines_naming_no_model_are_excluded_from_every_strategy(tmp_path: Path) -> None:
    # A line with no model was priced $0 as is but at full price routed, so the plan showed
    # routing as a loss ("-194.8% saved") against a baseline that left those lines out.
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps({"model": "haiku", **BODY}) + "\n" + json.dumps(BODY) + "\n")
    with_blank = CliRunner().invoke(app, ["plan", str(path), "--no-progress", "--json"])
    assert with_blank.exit_code == 0, with_blank.output
    data = json.loads(with_blank.stdout)
    assert data["requests"] == 2 and data["unpriced"] == 1 and data["no_model"] == 1
    # Every strategy prices the same requests: the one naming a model, as if alone.
    assert data["totals_usd"] == _plan(tmp_path, "haiku")["totals_usd"]
    summary = CliRunner().invoke(app, ["plan", str(path), "--no-progress"])
    assert summary.exit_code == 0, summary.output
    assert "1 requests name no model" in summary.stdout
    assert "excluded from every strategy" in summary.stdout


def test_only_unpriced_lines_give_no_savings_percentage(tmp_path: Path) -> None:
    path = tmp_path / "unpriced.jsonl"
    path.write_text(json.dumps(BODY) + "\n" + json.dumps({"model": "gpt-x-unknown", **BODY}) + "\n")
    result = CliRunner().invoke(app, ["plan", str(path), "--no-progress", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["unpriced"] == 2 and data["no_model"] == 1
    assert all(Decimal(v) == 0 for v in data["totals_usd"].values())
    summary = CliRunner().invoke(app, ["plan", str(path), "--no-progress"])
    assert summary.exit_code == 0, summary.output
    assert "%" not in summary.stdout


def test_another_apis_model_name_is_priced_at_its_tiers_model(tmp_path: Path) -> None:
    # With [model_names] openai off (the default) "gpt-4o" was read as a model ID of no
    # profile kind and priced as a Regional call, 10% above Sonnet's global profile: as is
    # came out above all-Sonnet for the same Sonnet traffic, a saving that was not there.
    for name in ("gpt-4o", "gpt-4o-2024-08-06", "claude-sonnet-4-5"):
        data = _plan(tmp_path, name)
        assert data["unpriced"] == 0 and data["tier_mix_as_is"] == {"sonnet": 1}
        totals = data["totals_usd"]
        assert isinstance(totals, dict)
        assert Decimal(totals["as_is"]) == Decimal(totals["all_sonnet"]) > 0, name
    # A logged Bedrock model ID still carries its profile kind's price.
    regional = _plan(tmp_path, "anthropic.claude-sonnet-4-5-20250929-v1:0")["totals_usd"]
    assert isinstance(regional, dict)
    assert Decimal(regional["as_is"]) > Decimal(regional["all_sonnet"])

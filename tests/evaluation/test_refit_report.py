"""Before/after a refit from evaluation outcomes, on outcomes held out by class or by time."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tierwise.cli.app import app
from tierwise.config import Settings
from tierwise.errors import InvalidRequestError
from tierwise.refit_report import refit_report, split_outcomes

pytest.importorskip("sklearn")

# Easy classes Haiku answers; hard ones it fails (Sonnet and Opus pass both).
TEXTS = {
    "classify": "Classify this ticket as billing, technical or account: {i} was charged twice.",
    "extract": "Extract the invoice number and total from: invoice INV-{i} for ${i}.00.",
    "short_form": "Write a one-line subject line for our new pricing, version {i}.",
    "proof": "Prove rigorously that there are infinitely many primes of the form 4k+3 ({i}).",
    "complex_analysis": "Design a multi-region ledger consistent under partitions, case {i}; "
    "compare three approaches and their failure modes.",
    "routine_code": "Write a Python function that returns the median of list {i}.",
}
HARD = {"proof", "complex_analysis"}


def records(per_class: int = 20) -> list[dict[str, Any]]:
    out = []
    for i in range(per_class):
        for name, text in TEXTS.items():
            prompt = text.format(i=i)
            haiku = 0 if name in HARD else 1
            out.append(
                {
                    "id": f"{name}-{i}",
                    "prompt": prompt,
                    "task_class": name,
                    "request": {"messages": [{"role": "user", "content": [{"text": prompt}]}]},
                    "outcomes": {"haiku": haiku, "sonnet": 1, "opus": 1},
                    "costs_usd": {"haiku": "0.001", "sonnet": "0.003", "opus": "0.005"},
                    "verdicts": {},
                }
            )
    return out


def test_holding_out_by_class_keeps_whole_classes_apart() -> None:
    data = records()
    split = split_outcomes(data, "class")
    train = {r["task_class"] for r in split.train}
    held = {r["task_class"] for r in split.held}
    assert held and train and not held & train
    named = split_outcomes(data, "class", classes=["proof"])
    assert {r["task_class"] for r in named.held} == {"proof"}
    with pytest.raises(InvalidRequestError):
        split_outcomes(data, "class", classes=list(TEXTS))  # nothing left to train on


def test_holding_out_by_time_keeps_the_last_quarter() -> None:
    data = records()
    split = split_outcomes(data, "time")
    assert split.train + split.held == data
    assert len(split.held) == 30  # a quarter of 120, the last ones


def test_the_report_routes_the_held_out_requests_with_both_models(
    default_settings: Settings,
) -> None:
    report = refit_report(default_settings, records(), "time")
    assert report.train == 90 and report.held == 30
    for side in (report.before, report.after):
        assert side.judged == 30 == sum(side.tiers.values())
        assert 0 <= side.passed <= side.judged and side.mean_cost > Decimal(0)
        assert side.auroc is not None and 0.0 <= side.auroc <= 1.0
    # the refit learnt "these prompts fail on haiku" from the training part
    assert report.after.auroc is not None and report.before.auroc is not None
    assert report.after.auroc >= report.before.auroc
    assert report.lines()[0].startswith("refit on 90 outcomes; held out by time")


def test_router_train_prints_the_before_after(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "tierwise-outcomes.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in records()))
    args = ["router", "train", "--data", str(data), "--out", str(tmp_path / "m.twdm")]
    result = CliRunner().invoke(app, [*args, "--holdout", "class"])
    assert result.exit_code == 0, result.output
    assert "held out classes" in result.stdout
    assert "before" in result.stdout and "after" in result.stdout
    bad = CliRunner().invoke(app, [*args, "--holdout", "random"])
    assert bad.exit_code != 0

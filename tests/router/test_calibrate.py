"""Thresholds read off the cost/quality curve: moved requests meet the stated bars."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tierwise.core.rules import RoutingPolicy
from tierwise.router.calibrate import NEVER_DOWN, NEVER_UP, calibrate, fixed_scores
from tierwise.router.dataset import Example


def labelled(n: int = 2000, signal: bool = True) -> tuple[list[Example], list[float]]:
    """P(cheaper fails) = score when ``signal``; the stronger tier fails 5% of the time."""
    rng = random.Random(4)
    examples, scores = [], []
    for i in range(n):
        s = rng.random()
        p_fail = s if signal else 0.4
        weak = 0.0 if rng.random() < p_fail else 1.0
        strong = 0.0 if rng.random() < 0.05 else 1.0
        examples.append(Example(f"request {i}", weak, strong, "x"))
        scores.append(s)
    return examples, scores


def test_thresholds_meet_the_quality_and_gain_bars() -> None:
    examples, scores = labelled()
    result = calibrate(examples, scores, RoutingPolicy(), keep=0.9, gain=0.5)
    assert result.down is not None and result.up is not None
    below = [e for e, s in zip(examples, scores, strict=True) if s < result.haiku_threshold]
    above = [e for e, s in zip(examples, scores, strict=True) if s >= result.opus_threshold]
    kept = sum(e.weak for e in below) / sum(e.strong or 0.0 for e in below)
    fixed = sum((e.strong or 0.0) - e.weak for e in above) / len(above)
    assert kept >= 0.9 and fixed >= 0.5
    # Largest step-down / smallest step-up meeting the bar: roughly where p_fail crosses them.
    assert 0.1 < result.haiku_threshold < 0.3
    assert 0.4 < result.opus_threshold < 0.8
    assert result.haiku_threshold <= result.sonnet_thinking_threshold <= result.opus_threshold
    # The thresholds are valid routing settings.
    RoutingPolicy(
        haiku_threshold=result.haiku_threshold,
        sonnet_thinking_threshold=result.sonnet_thinking_threshold,
        opus_threshold=result.opus_threshold,
    )


def test_no_signal_means_no_move() -> None:
    examples, scores = labelled(signal=False)
    result = calibrate(examples, scores, RoutingPolicy(), keep=0.9, gain=0.5)
    assert result.down is None and result.up is None
    assert (result.haiku_threshold, result.opus_threshold) == (NEVER_DOWN, NEVER_UP)


def test_bad_inputs() -> None:
    examples, scores = labelled(10)
    with pytest.raises(ValueError, match="at least 20"):
        calibrate(examples, scores, RoutingPolicy())
    examples, scores = labelled(100)
    with pytest.raises(ValueError, match="keep and gain"):
        calibrate(examples, scores, RoutingPolicy(), keep=0.0)


def test_fixed_scores_answer_what_routing_asks() -> None:
    from tierwise.core.routing import score_only
    from tierwise.router.calibrate import request_of

    examples = [Example("Classify this ticket: refund", 1.0, 1.0, "x")]
    scorer = fixed_scores(examples, [0.9], RoutingPolicy())
    high = score_only(request_of(examples[0].prompt), RoutingPolicy(), scorer)
    low = score_only(
        request_of(examples[0].prompt),
        RoutingPolicy(),
        fixed_scores(examples, [0.1], RoutingPolicy()),
    )
    assert high > low


def test_calibrate_cli_on_a_team_file(tmp_path: Path) -> None:
    """A team's own outcomes, scored by the configured model: a curve and thresholds."""
    import json

    from typer.testing import CliRunner

    from tierwise.cli.app import app

    rng = random.Random(2)
    lines = []
    for i in range(300):
        hard = i % 3 == 0
        prompt = (
            f"Prove the lemma {i} step by step and derive the bound, explaining why."
            if hard
            else f"Label ticket {i}: billing or account? Answer with one word."
        )
        weak = 0 if hard and rng.random() < 0.7 else 1
        lines.append(json.dumps({"prompt": prompt, "outcomes": {"haiku": weak, "sonnet": 1}}))
    data = tmp_path / "team.jsonl"
    data.write_text("\n".join(lines))
    result = CliRunner().invoke(app, ["router", "calibrate", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "cost/quality curve" in result.output
    assert "thresholds: haiku" in result.output
    assert "configured step down" in result.output

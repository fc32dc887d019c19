"""Leave-one-source-out evaluation: folds never see their held-out source, metrics agree."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tierwise.core.difficulty import Featurizer
from tierwise.router.dataset import Example

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")

from tierwise.router.evaluate import LENGTH, OURS, TFIDF, evaluate, fast_apgr, markdown  # noqa: E402
from tierwise.router.metrics import apgr, curve  # noqa: E402


def test_fast_apgr_equals_the_reference_metric() -> None:
    rng = np.random.default_rng(1)
    for n in (7, 50, 333):
        for t in range(10):
            scores = rng.integers(0, 5, n).astype(float) if t % 2 else rng.random(n)
            weak = rng.integers(0, 2, n).astype(float)
            strong = rng.random(n)
            expected = apgr(curve(scores.tolist(), weak.tolist(), strong.tolist()))
            assert fast_apgr(scores, weak, strong) == pytest.approx(expected, abs=1e-9)


def sources() -> list[Example]:
    """Three sources in different vocabularies where failure grows with the number of
    constraints, each source wording them differently; prompt length is noise (padding).
    Words do not transfer across sources, the constraint-cue feature does."""
    rng = random.Random(5)
    vocab = {
        "alpha": (["apple", "pear", "plum"], ["must", "exactly", "each", "every"]),
        "beta": (["cable", "wire", "plug"], ["at least", "without", "ensure", "all"]),
        "gamma": (["river", "lake", "sea"], ["cannot", "do not", "should not", "only if"]),
    }
    out = []
    for name, (words, constraints) in vocab.items():
        for i in range(160):
            k = rng.randint(0, 4)
            cues = " ".join(constraints[:k])
            pad = " ".join(rng.choice(words) for _ in range(rng.randint(3, 40)))
            fails = rng.random() < 0.15 + 0.18 * k
            out.append(Example(f"{pad}. {cues} {name} case {i}.", 0.0 if fails else 1.0, 1.0, name))
    return out


def test_loso_holds_each_source_out_and_reports_every_method(tmp_path: Path) -> None:
    examples = sources()
    report = evaluate(examples, featurizer=Featurizer(bits=12), resamples=50)
    assert [s.source for s in report.sources] == ["alpha", "beta", "gamma"]
    for s in report.sources:
        assert s.source not in s.trained_on and s.train_rows == 320
        assert set(s.methods) == {OURS, LENGTH, TFIDF}
        auroc = s.methods[OURS].auroc
        assert auroc.lo <= auroc.value <= auroc.hi
        # The transferable cue beats length and words learned on other sources.
        assert auroc.value > 0.6
        assert s.beats_baselines
    text = markdown(report, "tierwise router eval")
    assert "`tierwise router eval`" in text
    assert "beats both baselines on every held-out source" in text


def test_a_source_that_is_not_beaten_is_reported_plainly() -> None:
    examples = sources()
    # A fourth source where only length predicts failure (cues are absent).
    rng = random.Random(9)
    for i in range(200):
        n = rng.randint(2, 60)
        fails = rng.random() < n / 60
        examples.append(Example("word " * n + f"delta {i}", 0.0 if fails else 1.0, 1.0, "delta"))
    report = evaluate(examples, featurizer=Featurizer(bits=12), resamples=50)
    delta = next(s for s in report.sources if s.source == "delta")
    assert delta.methods[LENGTH].auroc.value > delta.methods[OURS].auroc.value
    assert not delta.beats_baselines
    assert "does not beat both baselines on delta" in markdown(report, "x")


def test_a_source_whose_label_is_not_comparable_carries_its_caveat() -> None:
    examples = sources()
    text = markdown(evaluate(examples, featurizer=Featurizer(bits=12), resamples=20), "x")
    assert "not comparable" not in text
    renamed = [
        Example(e.prompt, e.weak, e.strong, "alpaca-eval" if e.source == "gamma" else e.source)
        for e in examples
    ]
    text = markdown(evaluate(renamed, featurizer=Featurizer(bits=12), resamples=20), "x")
    assert "**alpaca-eval**: its label is not comparable" in text


def test_each_fold_chooses_its_penalty_without_the_held_out_source() -> None:
    examples = sources()
    report = evaluate(examples, featurizer=Featurizer(bits=12), resamples=0)
    # The held-out source's outcomes cannot move its fold's choice: flip them all.
    flipped = [
        Example(e.prompt, 1.0 - e.weak, e.strong, e.source) if e.source == "alpha" else e
        for e in examples
    ]
    again = evaluate(flipped, featurizer=Featurizer(bits=12), resamples=0)
    by_source = {s.source: s for s in report.sources}
    for s in again.sources:
        assert set(s.penalty_scores) == {"3", "10", "30"}
        assert s.penalty_hashed == float(max(s.penalty_scores, key=s.penalty_scores.__getitem__))
    alpha = next(s for s in again.sources if s.source == "alpha")
    assert alpha.penalty_scores == by_source["alpha"].penalty_scores
    # ...while a fold that trains on alpha sees them.
    beta = next(s for s in again.sources if s.source == "beta")
    assert beta.penalty_scores != by_source["beta"].penalty_scores
    assert "chosen among 3, 10, 30 by leave-one-source-out" in markdown(report, "x")

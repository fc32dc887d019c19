"""Leave-one-source-out evaluation: folds never see their held-out source, metrics agree."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tierwise.core.difficulty import Featurizer
from tierwise.router.dataset import Example

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")

from tierwise.router.evaluate import (  # noqa: E402
    LENGTH,
    OURS,
    STEM,
    TFIDF,
    evaluate,
    fast_apgr,
    markdown,
    question_stem,
)
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
        assert set(s.methods) == {OURS, LENGTH, STEM, TFIDF}
        auroc = s.methods[OURS].auroc
        assert auroc.lo <= auroc.value <= auroc.hi
        # The transferable cue beats length and words learned on other sources.
        assert auroc.value > 0.6
        assert s.beats_baselines
    text = markdown(report, "tierwise router eval")
    assert "`tierwise router eval`" in text
    assert "beats every baseline on every held-out source" in text


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
    assert "does not beat every baseline on delta (below prompt length" in markdown(report, "x")


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


def test_the_stem_drops_enumerated_answer_options_and_the_answer_cue() -> None:
    mmlu = "Which gas is most abundant in air?\nA. Oxygen\nB. Nitrogen\nC. Argon\nD. CO2\nAnswer:"
    assert question_stem(mmlu) == "Which gas is most abundant in air?"
    bracketed = "Pick one.\n(A) red\n(B) blue\nExplain your choice."
    assert question_stem(bracketed) == "Pick one.\nExplain your choice."
    lower = "Which should the aides report?\na) a girl reading\nb) two boys arguing"
    assert question_stem(lower) == "Which should the aides report?"
    # No run of lettered options: the prompt is its own stem (numbered steps, one "A.",
    # letters out of order or in mixed formats).
    for text in (
        "Tom gets 4 car washes a month at $15 each. How much does he pay in a year?",
        "Rewrite these steps:\n1. Boil water\n2. Add tea",
        "A. Smith wrote the letter below. Summarise it.",
        "Options:\nA. yes\nC. no",
        "Options:\nA. yes\nB) no",
    ):
        assert question_stem(text) == text


def test_a_length_win_is_claimed_only_against_the_stronger_length() -> None:
    """Failure grows with the question's length; padded answer options hide it from the
    whole prompt's length but not from the stem's."""
    rng = random.Random(3)
    examples = []
    for name in ("alpha", "beta", "gamma"):
        for i in range(150):
            n = rng.randint(2, 40)
            fails = rng.random() < n / 40
            options = "\n".join(f"{letter}. " + "opt " * rng.randint(0, 60) for letter in "ABCD")
            prompt = f"{name} {i} " + "word " * n + "?\n" + options + "\nAnswer:"
            examples.append(Example(prompt, 0.0 if fails else 1.0, 1.0, name))
    report = evaluate(examples, featurizer=Featurizer(bits=12), resamples=20)
    for s in report.sources:
        assert s.methods[STEM].auroc.value > s.methods[LENGTH].auroc.value
        assert s.stronger_length == STEM
        assert s.beats_length == (s.methods[OURS].auroc.value > s.methods[STEM].auroc.value)
    text = markdown(report, "x")
    assert "| stem length |" in text and "against the **stronger** of the two" in text
    assert "Routing quality (APGR, below) is above the better of the two length" in text

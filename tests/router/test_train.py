"""Training: both heads learn their labels, deterministically; a team's refit keeps the prior."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tierwise.core.difficulty import DENSE_FEATURES, DifficultyModel, Featurizer
from tierwise.router.dataset import Example
from tierwise.router.train import Penalty, featurize, fit_head, refit, source_weights, train
from tierwise.router.weights import load_model

pytest.importorskip("sklearn")

HARD = ["prove", "theorem", "derive"]
EASY = ["label", "classify", "tag"]


def synthetic(n: int = 300, seed: int = 7, sources: int = 3) -> list[Example]:
    """Hard prompts: the cheaper model fails 80% of the time; the stronger rescues the half
    that mention "lemma" and fails the rest."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        hard = i % 2 == 0
        words = HARD if hard else EASY
        prompt = " ".join(rng.choice(words) for _ in range(8)) + f" item {i}"
        if i % 4 == 0:
            prompt += " lemma"
        weak = 0.0 if hard and rng.random() < 0.8 else 1.0
        strong = 1.0 if (not hard or i % 4 == 0) else 0.0
        out.append(Example(prompt, weak, strong, f"s{(i // 2) % sources}"))
    return out


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def test_fails_head_learns_the_weak_fails_label_and_is_calibrated() -> None:
    examples = synthetic()
    model = train(examples, featurizer=Featurizer(bits=12))
    hard = [model.score(e.prompt) for e in examples if e.prompt.split()[0] in HARD]
    easy = [model.score(e.prompt) for e in examples if e.prompt.split()[0] in EASY]
    assert mean(hard) > mean(easy) + 0.4
    # Calibrated: the mean predicted failure matches the observed rate within a few points.
    observed = mean([e.fails for e in examples])
    assert abs(mean(hard + easy) - observed) < 0.08
    assert set(model.meta["calibration"]) == {"fails", "rescue"}


def test_rescue_head_learns_the_stronger_tier_on_failed_prompts() -> None:
    # A light n-gram penalty: the packaged one is strong on purpose (n-grams transfer badly).
    model = train(synthetic(), featurizer=Featurizer(bits=12), penalty=Penalty(1.0, 1.0))
    with_lemma = "prove theorem derive prove theorem derive prove theorem item 9999 lemma"
    without = "prove theorem derive prove theorem derive prove theorem item 9998"
    assert model.rescue(with_lemma) > model.rescue(without) + 0.2


def test_source_weights_grow_with_the_square_root_of_size() -> None:
    examples = [Example("a", 1.0, 1.0, "big")] * 400 + [Example("b", 1.0, 1.0, "small")] * 4
    weights = source_weights(examples)
    big, small = sum(weights[:400]), sum(weights[400:])
    assert big / small == pytest.approx((400 / 4) ** 0.5)
    assert mean(weights) == pytest.approx(1.0)


def test_training_is_deterministic_and_round_trips() -> None:
    examples = synthetic()
    a = train(examples, featurizer=Featurizer(bits=12)).to_bytes()
    b = train(examples, featurizer=Featurizer(bits=12)).to_bytes()
    assert a == b
    assert DifficultyModel.from_bytes(a).to_bytes() == a


def test_too_few_examples() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        train(synthetic(5))


def test_refit_moves_toward_the_team_data_but_keeps_the_prior() -> None:
    """A prior that thinks "label" prompts are easy; the team's data says they fail."""
    prior = train(synthetic(), featurizer=Featurizer(bits=12))
    rng = random.Random(3)
    team = [
        Example(" ".join(rng.choice(EASY) for _ in range(8)) + f" ticket {i}", 0.0, 1.0, "team")
        for i in range(60)
    ]
    team += [Example(f"prove theorem derive lemma case {i}", 0.0, 0.0, "team") for i in range(60)]
    before = prior.score("label classify tag label ticket 5000")
    tuned = refit(team, prior)
    after = tuned.score("label classify tag label ticket 5000")
    assert after > before + 0.2
    assert tuned.version == f"{prior.version}+team"
    # Little data: a refit is not a model trained from scratch on the same rows.
    scratch = train(team, featurizer=Featurizer(bits=12), calibrate=False)
    assert tuned.to_bytes() != scratch.to_bytes()
    # Cheaper-tier outcomes only: the rescue head stays the prior's.
    only_weak = [Example(e.prompt, e.weak, None, "team") for e in team]
    kept = refit(only_weak, prior)
    assert kept.rescue_head == prior.rescue_head and kept.fails != prior.fails


def test_featurize_matches_the_serving_featurizer() -> None:
    fz = Featurizer(bits=10)
    prompts = ["Prove it.", "label this\nplease", "def f():\n    return 1"]
    x = featurize(fz, prompts)
    for i, prompt in enumerate(prompts):
        row = x.hashed.getrow(i)
        assert dict(zip(row.indices.tolist(), row.data.tolist(), strict=True)) == pytest.approx(
            fz.hashed(prompt)
        )
        assert x.dense[i].tolist() == pytest.approx(fz.dense(prompt))


def test_user_data_cli_refit(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tierwise.cli.app import app

    data = tmp_path / "mine.jsonl"
    data.write_text(
        "\n".join(
            json.dumps({"prompt": e.prompt, "outcomes": {"haiku": e.weak, "opus": e.strong}})
            for e in synthetic(60)
        )
    )
    out = tmp_path / "mine.twdm"
    result = CliRunner().invoke(app, ["router", "train", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    model = load_model(out)
    assert model.version == load_model().version + "+team"
    assert model.meta["refitted_heads"] == ["fails", "rescue"]


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real entry point, as a user runs it (errors become one line plus a hint)."""
    code = "import sys; from tierwise.cli.app import main; sys.argv[0] = 'tierwise'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout
    )


def test_cli_refuses_bad_user_data(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"prompt": "a", "outcomes": {"gpt": 1}}\n')
    result = run_cli("router", "train", "--data", str(data))
    assert result.returncode == 1
    err = " ".join(result.stderr.split())  # the console may wrap long lines
    assert "bad.jsonl:1: not a routing example" in err
    assert "hint:" in err and "Traceback" not in err


def test_eval_says_where_to_get_the_data(tmp_path: Path) -> None:
    result = run_cli("router", "eval", "--data-dir", str(tmp_path), "--out", str(tmp_path))
    assert result.returncode == 1
    err = " ".join(result.stderr.split())
    assert "routellm-evals/ not found" in err
    assert "github.com/lm-sys/RouteLLM" in err and "--data-dir DIR" in err
    assert "Traceback" not in err


def test_packaged_model_loads_and_scores() -> None:
    model = load_model()
    assert model.version == "difficulty-v4"
    assert set(model.meta["sources"]) >= {"routellm-mmlu", "mmlu-pro"}
    assert "alpaca-eval" not in model.meta["sources"]  # evaluation-only data
    easy = model.score("Classify this ticket: billing, technical or account?")
    hard = model.score(
        "Prove that for every integer n > 2 there is no pair of primes p, q with p - q = n "
        "and derive the bound step by step, explaining each assumption."
    )
    assert 0.0 < easy < hard < 1.0
    assert 0.0 < model.rescue("x") < 1.0
    assert model.score("x") == model.score("x")


def test_a_model_file_from_the_previous_release_still_loads() -> None:
    """Teams keep `routing.model_path` files trained by older releases (same TWDM3 format)."""
    old = load_model(Path(__file__).parent / "data" / "difficulty-v2.twdm")
    assert old.version == "difficulty-v2"
    assert 0.0 < old.score("Classify this ticket: billing or technical?") < 1.0
    assert 0.0 < old.rescue("x") < 1.0


def test_training_is_byte_identical_across_processes(tmp_path: Path) -> None:
    """Python's string hash seed changes set order between processes; weights must not."""
    import os

    script = (
        "import sys\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from test_train import synthetic\n"
        "from tierwise.core.difficulty import Featurizer\n"
        "from tierwise.router.train import train\n"
        "model = train(synthetic(), featurizer=Featurizer(bits=12))\n"
        "open(sys.argv[1], 'wb').write(model.to_bytes())\n"
    )
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"model-{seed}.twdm"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-c", script, str(out), str(Path(__file__).parent)],
            env=env,
            check=True,
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def _public_layout(root: Path, n: int = 60) -> None:
    """A small data directory in the public sources' own formats (docs/router/data.md)."""
    import csv

    rng = random.Random(3)
    weak_model, strong_model = "mistralai/Mixtral-8x7B-Instruct-v0.1", "gpt-4-1106-preview"

    def prompt(i: int, hard: bool) -> str:
        words = " ".join(rng.choice(HARD if hard else EASY) for _ in range(rng.randint(3, 12)))
        return f"{words} question {i}?"

    def rows(kind: str) -> list[tuple[str, int, int]]:
        out = []
        for i in range(n):
            hard = i % 2 == 0
            weak = int(not (hard and rng.random() < 0.8))
            out.append((prompt(i, hard) + f" {kind}", weak, int(rng.random() < 0.9)))
        return out

    for folder, name in (("mmlu/responses", "mmlu_algebra.csv"), ("gsm8k", "gsm8k_responses.csv")):
        path = root / "routellm-evals" / folder / name
        path.parent.mkdir(parents=True)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["prompt", weak_model, strong_model])
            for text, weak, strong in rows(folder):
                writer.writerow([text, str(bool(weak)), str(bool(strong))])
    mt = root / "routellm-evals" / "mt_bench"
    mt.mkdir(parents=True)
    questions, judgements = [], []
    for qid, (text, weak, strong) in enumerate(rows("mt"), start=1):
        questions.append(json.dumps({"question_id": qid, "turns": [text]}))
        for model, good in ((weak_model, weak), (strong_model, strong)):
            judgements.append(
                json.dumps(
                    {"question_id": qid, "model": model, "turn": 1, "score": 9 if good else 3}
                )
            )
    (mt / "question.jsonl").write_text("\n".join(questions) + "\n")
    (mt / "judgements.jsonl").write_text("\n".join(judgements) + "\n")
    pro = root / "mmlu-pro-outcomes"
    pro.mkdir()
    with (pro / "mmlu_pro_outcomes.jsonl").open("w", encoding="utf-8") as handle:
        for text, weak, strong in rows("pro"):
            correct = {"gemini-1.5-flash-002": weak, "gemini-1.5-pro-002": strong}
            handle.write(json.dumps({"prompt": text, "correct": correct}) + "\n")


# The subprocess gets 900 s; pytest-timeout's suite-wide 300 s must not cut it first (the
# evaluation refits per held-out source and chooses the n-gram penalty by inner
# leave-one-source-out, which under a loaded machine took over 300 s).
@pytest.mark.timeout(960)
def test_eval_cli_runs_on_a_data_directory(tmp_path: Path) -> None:
    """`tierwise router eval` from the installed package, on data in the sources' formats,
    without the optional AlpacaEval and Arena-Hard folders (it stopped with "no labelled
    routing data found" when AlpacaEval was absent)."""
    _public_layout(tmp_path / "data")
    out = tmp_path / "report"
    result = run_cli(
        "router", "eval", "--data-dir", str(tmp_path / "data"), "--out", str(out),
        "--resamples", "20", timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "eval.json").read_text())
    assert report["settings"]["bootstrap_resamples"] == 20
    held = {s["source"] for s in report["sources"]}
    assert held == {"routellm-mmlu", "routellm-gsm8k", "mt-bench", "mmlu-pro"}
    text = (out / "eval.md").read_text()
    assert "(20 resamples)" in text and "| mt-bench | 60 |" in text


def test_the_ngram_penalty_is_chosen_by_leave_one_source_out() -> None:
    model = train(synthetic(), featurizer=Featurizer(bits=12))
    scores = model.meta["penalty_choice"]["mean_auroc"]
    assert set(scores) == {"3", "10", "30"}
    assert model.meta["penalty"]["hashed"] == float(max(scores, key=scores.__getitem__))
    fixed = train(synthetic(), featurizer=Featurizer(bits=12), penalty=Penalty(10.0, 1.0))
    assert "penalty_choice" not in fixed.meta


def test_long_words_may_make_a_prompt_easier() -> None:
    # Writing vocabulary is long-worded and easy, arithmetic short-worded and hard: the
    # sign of long_words is learned, not fixed (the fixed + sign held it at 0).
    rng = random.Random(3)
    long_words = ["characterisation", "atmospheric", "melancholic", "protagonist"]
    short = ["add", "sum", "of", "the", "and", "two"]
    prompts, labels = [], []
    for i in range(200):
        easy = i % 2 == 0
        words = long_words if easy else short
        prompts.append(" ".join(rng.choice(words) for _ in range(12)))
        labels.append(0.0 if easy else 1.0)
    featurizer = Featurizer(bits=12)
    x = featurize(featurizer, prompts)
    _, dense, _ = fit_head(x, labels, [1.0] * len(prompts), penalty=Penalty(1e4, 0.01))
    assert dense[DENSE_FEATURES.index("long_words")] < -0.5

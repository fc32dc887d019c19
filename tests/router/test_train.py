"""Training: the exported pure-Python model reproduces scikit-learn, deterministically."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tierwise.core.difficulty import DifficultyModel, Featurizer
from tierwise.router.dataset import Example
from tierwise.router.train import design_matrix, train
from tierwise.router.weights import load_model

pytest.importorskip("sklearn")


def synthetic(n: int = 300) -> list[Example]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        hard = i % 2 == 0
        words = ["prove", "theorem", "derive", "lemma"] if hard else ["label", "classify", "tag"]
        prompt = " ".join(rng.choice(words) for _ in range(8)) + f" item {i}"
        weak = 0.0 if hard and rng.random() < 0.8 else 1.0
        out.append(Example(prompt, weak, 1.0, "synthetic"))
    return out


def test_export_matches_the_fitted_linear_model() -> None:
    from sklearn.linear_model import Ridge

    examples = synthetic()
    model = train(examples, alpha=1.0, featurizer=Featurizer(bits=12))
    # Refit the same ridge and compare rankings: the export folds scaling into the weights.
    x = design_matrix(model.featurizer, [e.prompt for e in examples])
    from tierwise.router.train import targets

    ridge = Ridge(alpha=1.0, random_state=0).fit(x, targets(examples))
    raw = x @ ridge.coef_ + ridge.intercept_
    ours = [model.logit(e.prompt) for e in examples]
    order_raw = sorted(range(len(examples)), key=lambda i: raw[i])
    order_ours = sorted(range(len(examples)), key=lambda i: ours[i])
    assert order_raw == order_ours
    # And the model learned the signal: hard prompts score higher.
    hard = [model.score(e.prompt) for e in examples if "prove" in e.prompt or "lemma" in e.prompt]
    easy = [model.score(e.prompt) for e in examples if "label" in e.prompt or "tag" in e.prompt]
    assert sum(hard) / len(hard) > sum(easy) / len(easy) + 0.2


def test_training_is_deterministic_and_round_trips() -> None:
    examples = synthetic()
    a = train(examples, featurizer=Featurizer(bits=12)).to_bytes()
    b = train(examples, featurizer=Featurizer(bits=12)).to_bytes()
    assert a == b
    model = DifficultyModel.from_bytes(a)
    assert model.to_bytes() == a


def test_too_few_examples() -> None:
    with pytest.raises(ValueError, match="at least 10"):
        train(synthetic(5))


def test_user_data_cli_training(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from tierwise.cli.app import app

    data = tmp_path / "mine.jsonl"
    data.write_text(
        "\n".join(
            json.dumps({"prompt": e.prompt, "scores": {"haiku": e.weak, "opus": e.strong}})
            for e in synthetic(120)
        )
    )
    out = tmp_path / "mine.twdm"
    result = CliRunner().invoke(app, ["router", "train", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    model = load_model(out)
    assert model.version == "difficulty-v1" and len(model.indexes) > 0


def test_packaged_model_loads_and_scores() -> None:
    model = load_model()
    assert model.version == "difficulty-v1"
    easy = model.score("Classify this ticket: billing, technical or account?")
    assert 0.0 < easy < 1.0
    assert model.score("x") == model.score("x")

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
    assert set(model.specialists) == {"math"}
    easy = model.score("Classify this ticket: billing, technical or account?")
    assert 0.0 < easy < 1.0
    assert model.score("x") == model.score("x")


def word_problems(n: int = 260) -> list[Example]:
    """Math word problems whose weak-model failures grow with the number of quantities."""
    rng = random.Random(11)
    out = []
    for i in range(n):
        k = rng.randint(2, 9)
        names = [rng.choice(["Ann", "Bo", "Cy"]) for _ in range(k)]
        parts = [f"{name} buys {rng.randint(2, 90)} items" for name in names]
        prompt = ". ".join(parts) + f". How many items in total for order {i}?"
        weak = 0.0 if rng.random() < (k - 1) / 9 else 1.0
        out.append(Example(prompt, weak, 1.0, "synthetic-math"))
    return out


def test_math_specialist_is_fitted_exported_and_matches_scikit_learn() -> None:
    import numpy as np
    from sklearn.ensemble import ExtraTreesRegressor

    from tierwise.core.quantities import quantity_features
    from tierwise.router import train as training

    examples = word_problems() + synthetic(60)
    model = train(examples, featurizer=Featurizer(bits=12))
    assert set(model.specialists) == {"math"}
    specialist = model.specialists["math"]
    math = [e for e in examples if model.featurizer.family(e.prompt) == "math"]
    features = np.asarray([quantity_features(e.prompt) for e in math])
    reference = ExtraTreesRegressor(
        n_estimators=training.TREES,
        min_samples_leaf=training.TREE_MIN_LEAF,
        max_features=0.5,
        random_state=0,
    ).fit(features, [e.strong - e.weak for e in math])
    ours = [specialist.trees.predict(row) for row in features.tolist()]
    assert ours == pytest.approx(reference.predict(features).tolist(), abs=1e-9)
    # The blend ranks long problems above short ones, and the file round-trips exactly.
    short = "Ann buys 3 items. Bo buys 4 items. How many items in total?"
    long = ". ".join(f"Cy buys {n} items" for n in range(10, 19)) + ". How many items in total?"
    assert model.score(long) > model.score(short)
    data = model.to_bytes()
    again = DifficultyModel.from_bytes(data)
    assert again.to_bytes() == data
    assert again.score(long) == model.score(long)
    assert train(examples, featurizer=Featurizer(bits=12)).to_bytes() == data


def test_specialists_can_be_turned_off_and_need_enough_examples() -> None:
    examples = word_problems(150) + synthetic(60)
    assert train(examples, featurizer=Featurizer(bits=12)).specialists == {}
    off = train(word_problems(), featurizer=Featurizer(bits=12), specialists=False)
    assert off.specialists == {}


def test_version_1_files_still_load() -> None:
    model = train(synthetic(), featurizer=Featurizer(bits=12), specialists=False)
    v1 = b"TWDM1\n" + model.to_bytes()[len(b"TWDM2\n") :]
    old = DifficultyModel.from_bytes(v1)
    assert old.score("prove the lemma") == model.score("prove the lemma")


def test_training_is_byte_identical_across_processes(tmp_path: Path) -> None:
    """Python's string hash seed changes set order between processes; weights must not."""
    import os
    import subprocess
    import sys

    script = (
        "import sys\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from test_train import synthetic, word_problems\n"
        "from tierwise.core.difficulty import Featurizer\n"
        "from tierwise.router.train import train\n"
        "model = train(word_problems() + synthetic(60), featurizer=Featurizer(bits=12))\n"
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

"""The pure difficulty model: features, scoring, file format."""

from array import array

import pytest

from tierwise.core.difficulty import DifficultyModel, Featurizer


def tiny_model() -> DifficultyModel:
    fz = Featurizer(bits=8, char_ngrams=0, families=False)
    weights = [0.0] * fz.buckets
    index, sign = fz._hash("w:prove")
    weights[index] = 4.0 * sign
    dense = [0.0] * len(fz.dense(""))
    return DifficultyModel.from_weights(
        featurizer=fz, hashed_weights=weights, dense_weights=dense, bias=-1.0, version="t1"
    )


def test_features_are_stable_and_normalised() -> None:
    fz = Featurizer(bits=12)
    a = fz.hashed("Prove that the sum of two even numbers is even.")
    assert a == fz.hashed("Prove that the sum of two even numbers is even.")
    assert sum(v * v for v in a.values()) == pytest.approx(1.0)
    assert all(0 <= i < fz.buckets for i in a)
    assert fz.family("Which is right?\nA. x\nB. y\nC. z\nD. w") == "choice"
    assert fz.family("Tom has 3 apples and buys 5 more. How many?") == "math"
    assert fz.family("Write a poem") == "open"


def test_score_follows_the_weights() -> None:
    model = tiny_model()
    assert model.score("please prove it") > 0.5 > model.score("please label it")
    assert 0.0 < model.score("") < 1.0


def test_round_trip_and_corruption() -> None:
    model = tiny_model()
    data = model.to_bytes()
    again = DifficultyModel.from_bytes(data)
    assert again.score("prove") == pytest.approx(model.score("prove"), abs=1e-6)
    assert again.version == "t1"
    with pytest.raises(ValueError, match="magic"):
        DifficultyModel.from_bytes(b"nope")
    with pytest.raises(ValueError, match="truncated"):
        DifficultyModel.from_bytes(data[:-3])


def test_wrong_dense_width_is_refused() -> None:
    fz = Featurizer(bits=8)
    with pytest.raises(ValueError, match="dense weights"):
        DifficultyModel(
            featurizer=fz, indexes=array("I"), weights=array("f"), dense_weights=(1.0,),
            bias=0.0, version="x",
        )  # fmt: skip


def test_memoised_features_equal_fresh_ones_and_memory_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tierwise.core import difficulty

    texts = [
        "Tom has 3 apples and buys 5 more. How many apples does he have?",
        "Prove that the sum of two even numbers is even.",
        "Which is right?\nA. x\nB. y\nC. z\nD. w",
    ]
    warm = Featurizer(bits=12)
    for text in texts * 2:
        assert warm.hashed(text) == Featurizer(bits=12).hashed(text)  # a fresh, empty memo
    monkeypatch.setattr(difficulty, "_MEMO_LIMIT", 5)
    monkeypatch.setattr(difficulty, "_CODE_MEMO_LIMIT", 50)
    small = Featurizer(bits=12)
    for text in texts:
        assert small.hashed(text) == Featurizer(bits=12).hashed(text)
        assert len(small._word_memo) <= 5 + len(set(text.split()))
    assert len(small._code_memo) < 200
    # Memo tables do not make featurizers unequal (they are part of the model's identity).
    assert warm == Featurizer(bits=12)

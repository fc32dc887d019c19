"""The pure difficulty model: features, both heads, file format."""

from array import array

import pytest

from tierwise.core.difficulty import DENSE_FEATURES, DifficultyModel, Featurizer, Head


def head(fz: Featurizer, words: dict[str, float], bias: float) -> Head:
    weights = [0.0] * fz.buckets
    for word, w in words.items():
        index, sign = fz.bucket("w:" + word)
        weights[index] = w * sign
    return Head.from_weights(weights, [0.0] * len(DENSE_FEATURES), bias)


def tiny_model() -> DifficultyModel:
    fz = Featurizer(bits=8, char_ngrams=0)
    return DifficultyModel(
        featurizer=fz,
        fails=head(fz, {"prove": 4.0}, -1.0),
        rescue=head(fz, {"prove": -3.0}, 1.0),
        version="t1",
    )


def feature(text: str, name: str) -> float:
    return Featurizer.shape(text)[DENSE_FEATURES.index(name)]


def test_features_are_stable_and_normalised() -> None:
    fz = Featurizer(bits=12)
    a = fz.hashed("Prove that the sum of two even numbers is even.")
    assert a == fz.hashed("Prove that the sum of two even numbers is even.")
    assert sum(v * v for v in a.values()) == pytest.approx(1.0)
    assert all(0 <= i < fz.buckets for i in a)
    assert len(fz.dense("anything")) == len(DENSE_FEATURES)


def test_dates_prices_and_years_are_not_maths() -> None:
    dates = "Convert these dates to ISO format: 03/05/2024, 2023-11-30, 12.01.2022, 1999."
    prices = "Tag each product: mug $4.99, lid 12.50 EUR, bottle \u00a37, released 2021."
    equation = "Solve for x: 3x + 5 = 20, then compute x^2 - 4 and sqrt(x + 11)."
    assert feature(dates, "maths_density") == 0.0
    assert feature(prices, "maths_density") == 0.0
    assert feature(equation, "maths_density") > 0.5
    assert feature(dates, "number_density") == 0.0
    assert feature(equation, "number_density") > 0.0


def test_cues_match_whole_words_only() -> None:
    assert feature("Give me 5 tags for a leak-proof lid", "reasoning_cues") == 0.0
    assert feature("Please proofread and improve this", "reasoning_cues") == 0.0
    assert feature("Prove it, then explain why.", "reasoning_cues") > 0.0
    assert feature("Answer with one word: yes or no", "short_answer_cues") == 1.0
    assert feature("def f(x):\n    return x\n", "code_lines") > 0.0


def test_both_heads_follow_their_weights() -> None:
    model = tiny_model()
    assert model.score("please prove it") > 0.5 > model.score("please label it")
    assert model.rescue("please prove it") < 0.5 < model.rescue("please label it")
    assert 0.0 < model.score("") < 1.0
    # The features of the last text are reused, so the order of calls does not matter.
    assert model.rescue("label") == tiny_model().rescue("label")


def test_round_trip_and_corruption() -> None:
    model = tiny_model()
    data = model.to_bytes()
    again = DifficultyModel.from_bytes(data)
    assert again.score("prove") == pytest.approx(model.score("prove"), abs=1e-6)
    assert again.rescue("prove") == pytest.approx(model.rescue("prove"), abs=1e-6)
    assert again.version == "t1" and again.to_bytes() == data
    with pytest.raises(ValueError, match="magic"):
        DifficultyModel.from_bytes(b"nope")
    with pytest.raises(ValueError, match="truncated"):
        DifficultyModel.from_bytes(data[:-3])
    with pytest.raises(ValueError, match="older tierwise"):
        DifficultyModel.from_bytes(b"TWDM2\n" + data[6:])


def test_wrong_dense_width_is_refused() -> None:
    with pytest.raises(ValueError, match="dense weights"):
        Head(array("I"), array("f"), (1.0,), 0.0)


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

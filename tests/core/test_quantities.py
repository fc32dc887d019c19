"""Quantity counts and the math word-problem family."""

from tierwise.core.difficulty import Featurizer
from tierwise.core.quantities import QUANTITY_FEATURES, is_word_problem, quantity_features


def feature(text: str, name: str) -> float:
    return quantity_features(text)[QUANTITY_FEATURES.index(name)]


def test_word_problems_are_recognised() -> None:
    assert is_word_problem("Tom has 3 apples and buys 5 more. How many does he have?")
    # Quantities written out count, but then three are needed.
    assert is_word_problem("Jan has three times as many pets as Marcia, who has two. If Cindy "
                           "has four pets, how many pets do they have?")  # fmt: skip
    assert is_word_problem("A shirt costs $20 after a 25% discount. Calculate the old price.")


def test_ordinary_prompts_are_not_word_problems() -> None:
    for text in (
        "Write a poem",
        "Summarize these two documents in three bullets.",
        "What is the capital of France?",
        "Classify this ticket: my 2 orders are late, where are they?",
        "Explain it in 2 sentences.",
    ):
        assert not is_word_problem(text), text
    assert Featurizer().family("Summarize these two documents in three bullets.") == "open"


def test_counts() -> None:
    text = "Ann pays $1,200 per month, 10% more than Bob. Bob pays half. How much in 2 years?"
    row = quantity_features(text)
    assert len(row) == len(QUANTITY_FEATURES)
    assert feature(text, "digit_numbers") == 3  # 1,200 / 10 / 2
    assert feature(text, "percentages") == 1
    assert feature(text, "fractions") == 1  # half
    assert feature(text, "time_words") == 2  # month, years
    assert feature(text, "dollar_signs") == 1
    assert feature(text, "distinct_names") == 1  # Bob (Ann starts the text)
    assert 7.0 < feature(text, "log_largest_number") < 7.2  # log1p(1200)
    assert quantity_features("") == [0.0] * len(QUANTITY_FEATURES)

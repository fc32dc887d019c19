"""One split of a request's text into words for the class model and both difficulty parts.

The class model's user words, the hashed n-grams' and the dense features' word counts read
:func:`tierwise.core.word_runs.lower_words`, which keeps the last text's result. Checked
here: it is ``text.lower()`` and its ``\\w+`` runs for any text, including after another
text; a plan of a request without a system prompt splits its text once (three times before);
the dense features computed from it equal those of the text's own split (the digests of
tests/core/test_plan_digest.py cover the plans).
"""

from __future__ import annotations

import math
import re

import pytest
from test_route_cpu import _texts
from test_route_once import _planner

from tierwise.config import load_settings
from tierwise.core import word_runs
from tierwise.core.difficulty import Featurizer

_WORD = re.compile(r"\w+")


def test_lower_words_are_the_split_of_the_lower_case() -> None:
    texts = [*_texts(), "", "ΣΑΣ ΟΔΥΣΣΕΥΣ", "İstanbul İİ", "Straße ﬁle", "东京的天气"]
    for text in texts + texts[::-1]:  # every text after another one, and after itself
        for _ in range(2):
            lowered, words = word_runs.lower_words(text)
            assert lowered == text.lower()
            assert list(words) == _WORD.findall(text.lower())


def test_dense_features_equal_the_texts_own_split() -> None:
    fz = Featurizer()
    for text in _texts():
        # Another text's split in the memo, then the same text's: the same features.
        word_runs.lower_words("something else entirely")
        cold = fz.dense(text)
        word_runs.lower_words(text[: fz.max_chars])
        warm = fz.dense(text)
        assert cold == warm
        # Word count and long words as the text's own split (not lower-cased) gives them.
        words = _WORD.findall(text[: fz.max_chars])
        n = len(words) or 1
        assert cold[1] == math.log1p(len(words)) / 8
        assert cold[17] == sum(len(w) >= 9 for w in words) / n


class _CountingWord:
    def __init__(self) -> None:
        self.calls = 0

    def findall(self, text: str) -> list[str]:
        self.calls += 1
        return _WORD.findall(text)


def test_a_plan_splits_its_text_once(monkeypatch: pytest.MonkeyPatch) -> None:
    planner = _planner(load_settings(environ={}).settings)
    counting = _CountingWord()
    monkeypatch.setattr(word_runs, "_WORD", counting)
    request = {
        "messages": [
            {"role": "user", "content": [{"text": "Summarize in one sentence: sales rose 4%."}]}
        ]
    }
    planner.plan("auto", request)
    assert counting.calls == 1

"""The class corpus's shared drawing helpers: distinct requests per template, slot fillers."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from tierwise.router.class_draws import distinct, one_of


def test_distinct_keeps_the_first_of_equal_requests_whatever_their_key_order() -> None:
    a = {"messages": [{"role": "user", "content": [{"text": "hi"}]}], "system": [{"text": "s"}]}
    b = {"system": [{"text": "s"}], "messages": [{"role": "user", "content": [{"text": "hi"}]}]}
    c = {"messages": [{"role": "user", "content": [{"text": "bye"}]}]}
    kept = list(distinct([a, b, c, a]))
    assert kept == [a, c] and kept[0] is a


def test_distinct_draws_only_as_rows_are_taken() -> None:
    # A template's draws share the corpus's random source with the rows after them: drawing
    # ahead would change every later row.
    drawn: list[int] = []

    def draws() -> Iterator[dict[str, Any]]:
        for n in range(5):
            drawn.append(n)
            yield {"n": n}

    rows = distinct(draws())
    assert next(rows) == {"n": 0} and drawn == [0]
    assert next(rows) == {"n": 1} and drawn == [0, 1]


def test_one_of_draws_as_choice_does() -> None:
    pool = ["a", "b", "c", "d"]
    fill, rng = one_of(pool), random.Random(3)
    expected = random.Random(3)
    assert [fill(rng) for _ in range(20)] == [expected.choice(pool) for _ in range(20)]

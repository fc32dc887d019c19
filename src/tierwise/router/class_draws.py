"""What the class corpus's templates share when they are drawn: slot fillers, and keeping
each template's distinct requests.

A template drawn several times with random slot fillers can give the same request twice; a
repeat would weigh twice in training, so each template's draws keep their first of each.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

__all__ = ["SlotFiller", "distinct", "one_of"]

SlotFiller = Callable[[random.Random], str]


def one_of(pool: Sequence[str]) -> SlotFiller:
    """The slot filler that draws one of ``pool``."""
    return lambda rng: rng.choice(pool)


def distinct(requests: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """``requests`` without the ones equal to an earlier one (lazily: a template's draws
    take from the corpus's random source in the same order as without it)."""
    seen: set[str] = set()
    for request in requests:
        key = json.dumps(request, sort_keys=True)
        if key not in seen:
            seen.add(key)
            yield request

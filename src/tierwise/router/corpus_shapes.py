"""How a corpus round asks one team-written question: bare, under a persona's system prompt,
or after an earlier exchange, so that a class is learnt from the ask and not from its framing."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from tierwise.router.class_round3 import _text


def shaped(
    text: str,
    shape: str,
    rng: random.Random,
    personas: Sequence[str],
    earlier: Sequence[tuple[str, str]],
) -> dict[str, Any]:
    """``text`` as the user's turn of a request of ``shape`` ("bare", "persona" or "earlier");
    the persona or the earlier exchange is drawn from ``rng``."""
    request: dict[str, Any] = {"messages": [_text("user", text)]}
    if shape == "persona":
        request["system"] = [{"text": rng.choice(personas)}]
    elif shape == "earlier":
        said, answered = rng.choice(earlier)
        request["messages"] = [
            _text("user", said),
            _text("assistant", answered),
            _text("user", text),
        ]
    return request

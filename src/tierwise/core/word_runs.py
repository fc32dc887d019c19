"""A text's lower case and its word runs, shared by the readers of one request's text.

The class model reads the user turn's words, the difficulty model's hashed n-grams and its
dense shape features read the scorer text's: on most requests the same string (a user turn
without a system prompt or pasted material), which was lower-cased and split three times.
The last text's result is kept (one tuple, replaced whole, so concurrent callers never see
a torn entry; another text costs a split, as before).
"""

from __future__ import annotations

import re

__all__ = ["lower_words"]

_WORD = re.compile(r"\w+", re.UNICODE)
_last: tuple[str, str, tuple[str, ...]] = ("", "", ())


def lower_words(text: str) -> tuple[str, tuple[str, ...]]:
    """``text.lower()`` and its ``\\w+`` runs (``re.findall``), the last text's kept."""
    global _last  # noqa: PLW0603 - the one-entry memo, replaced whole
    last = _last
    if last[0] == text:
        return last[1], last[2]
    lowered = text.lower()
    words = tuple(_WORD.findall(lowered))
    _last = (text, lowered, words)
    return lowered, words

"""Query parameters more than one gateway endpoint reads, checked one way for all of them."""

from __future__ import annotations

from collections.abc import Mapping

from tierwise.errors import InvalidRequestError

__all__ = ["MAX_PAGE", "page_limit"]

# Anthropic's list endpoints take at most 1000 per page; tierwise's own lists use the same bound.
MAX_PAGE = 1000


def page_limit(query: Mapping[str, str], default: int) -> int:
    """The ``limit`` query parameter, a whole number from 1 to :data:`MAX_PAGE`, or
    ``default`` when it is absent; anything else is a 400 naming ``limit``."""
    raw = query.get("limit")
    if raw is None:
        return default
    # ASCII digits only: str.isdigit() takes '²', which int() refuses (a 500).
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_PAGE):
        raise InvalidRequestError(
            f"limit: {raw!r} is not a whole number from 1 to {MAX_PAGE}", param="limit"
        )
    return int(raw)

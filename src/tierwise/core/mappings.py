"""``isinstance(value, Mapping)`` for the request walks on every call's path.

The ABC check runs a Python-level ``ABCMeta.__instancecheck__`` and a weak-set lookup: about
2.4 k instructions each, even for ``None`` (an absent optional field, the usual case), and a
gateway call made ~40 of them. A JSON body's objects are dicts: those and ``None`` are
answered by their type; anything else is asked of the ABC, so any other mapping still counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import TypeIs

__all__ = ["is_mapping"]


def is_mapping(value: object) -> TypeIs[Mapping[Any, Any]]:
    """``isinstance(value, Mapping)``."""
    if type(value) is dict:
        return True
    return value is not None and isinstance(value, Mapping)

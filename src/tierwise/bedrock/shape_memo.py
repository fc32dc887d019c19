"""What the fast botocore steps build once per shape, kept per (class, shape).

The fast parser, serializer and validator (tierwise.bedrock.parsing, .serializing,
.validating) each turn a botocore shape into a function once and reuse it on every call. What
the parser and serializer build depends on the class whose handlers it stands in for (a
subclass may override one), so an entry is kept per (class, shape).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["ShapeMemo"]

_T = TypeVar("_T")


class ShapeMemo(Generic[_T]):
    """``build(cls, shape)`` called once per (class, shape) and its result kept.

    Shapes are keyed by ``id``: botocore's shapes are plain objects made per loaded model, and
    the entry holds the shape itself so that its id cannot be handed to another shape while
    the entry lives. Clients (and so models) can be made without end in a long-lived process,
    so past ``limit`` entries the memo starts again rather than growing; a cleared entry is
    only built again.
    """

    __slots__ = ("_build", "_entries", "_limit", "_lock")

    def __init__(self, build: Callable[[type, Any], _T], *, limit: int = 4096) -> None:
        self._build = build
        self._limit = limit
        self._entries: dict[tuple[type, int], tuple[Any, _T]] = {}
        # Lookups read without it (one dict read); writers take it so that a clear and an
        # insert from two threads cannot interleave.
        self._lock = threading.Lock()

    def get(self, cls: type, shape: Any) -> _T:
        key = (cls, id(shape))
        entry = self._entries.get(key)
        if entry is not None and entry[0] is shape:
            return entry[1]
        # Built outside the lock: a build may ask the memo for the shapes it contains.
        built = self._build(cls, shape)
        with self._lock:
            if len(self._entries) >= self._limit:
                self._entries.clear()
            self._entries[key] = (shape, built)
        return built

    def __len__(self) -> int:
        return len(self._entries)

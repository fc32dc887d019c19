"""Per-key requests-per-minute limits behind one small interface.

Two implementations: :class:`StoreRateLimits` counts in the key store's database (one
fixed window per key and clock minute), so every worker and every gateway sharing the ledger
shares the limit; :class:`InMemoryRateLimits` is a sliding window in this process only, for
a single gateway process without a shared store (and for tests). A Redis-backed limiter
would be a third implementation of :class:`RateLimits`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from tierwise.errors import RateLimitedError
from tierwise.store.keys import KeyStore

__all__ = ["InMemoryRateLimits", "RateLimits", "StoreRateLimits"]

WINDOW_S = 60.0


class RateLimits(Protocol):
    """Count one request for ``key_id``; raise RateLimitedError when over ``rpm``.

    Called from worker threads (it may do I/O), so implementations are thread-safe.
    """

    def hit(self, key_id: str, rpm: int | None) -> None: ...


class StoreRateLimits:
    """Limits counted atomically in the key store (shared by all gateway processes)."""

    def __init__(self, keys: KeyStore) -> None:
        self._keys = keys

    def hit(self, key_id: str, rpm: int | None) -> None:
        self._keys.hit(key_id, rpm)


class InMemoryRateLimits:
    """A sliding one-minute window per key, in this process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key_id: str, rpm: int | None) -> None:
        if rpm is None:
            return
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key_id, deque())
            while hits and now - hits[0] >= WINDOW_S:
                hits.popleft()
            if len(hits) >= rpm:
                raise RateLimitedError(
                    f"the key's limit of {rpm} requests per minute is reached",
                    retry_after=WINDOW_S - (now - hits[0]),
                )
            hits.append(now)

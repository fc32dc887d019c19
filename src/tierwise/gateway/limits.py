"""Per-key requests-per-minute limits (in process; a shared store comes with many gateways)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from tierwise.errors import RateLimitedError

__all__ = ["RateLimiter"]

WINDOW_S = 60.0


class RateLimiter:
    """A sliding one-minute window per key; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}

    def check(self, key_id: str, rpm: int | None) -> None:
        if rpm is None:
            return
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key_id, deque())
            while hits and now - hits[0] >= WINDOW_S:
                hits.popleft()
            if len(hits) >= rpm:
                wait = WINDOW_S - (now - hits[0])
                raise RateLimitedError(
                    f"the key's limit of {rpm} requests per minute is reached",
                    retry_after=wait,
                )
            hits.append(now)

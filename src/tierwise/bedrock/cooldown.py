"""Per-profile cooldown: a profile that just failed is tried last for a while.

The failover loop asks ``is_cooling`` when ordering a tier's profiles and reports each
profile's outcome. Cooling profiles are demoted, never skipped, so a tier whose every profile
is cooling still gets called.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["Cooldown", "CooldownTracker"]


class Cooldown(Protocol):
    """What the failover loop needs from a cooldown policy."""

    def is_cooling(self, model_id: str) -> bool: ...

    def failed(self, model_id: str) -> None: ...

    def succeeded(self, model_id: str) -> None: ...


class CooldownTracker:
    """In-memory cooldown, shared by every thread using one BedrockClient.

    ``cooldown_s=0`` (the default) turns it off: nothing ever cools.
    """

    def __init__(
        self, cooldown_s: float = 0.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if cooldown_s < 0:
            raise ValueError("cooldown_s must be >= 0")
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def is_cooling(self, model_id: str) -> bool:
        with self._lock:
            until = self._until.get(model_id)
            if until is None:
                return False
            if self._clock() >= until:
                del self._until[model_id]
                return False
            return True

    def failed(self, model_id: str) -> None:
        if self.cooldown_s <= 0:
            return
        with self._lock:
            self._until[model_id] = self._clock() + self.cooldown_s

    def succeeded(self, model_id: str) -> None:
        with self._lock:
            self._until.pop(model_id, None)

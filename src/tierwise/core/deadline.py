"""A wall-clock bound on one whole call: retries, failovers, escalations and the attempt in
flight all draw on the same :class:`Deadline` (``[retry] total_timeout_s``, or a request's
``x-tierwise-timeout-s``). Pure: the clock is injected."""

from __future__ import annotations

import time
from collections.abc import Callable

from tierwise.errors import AttemptCutError, DeadlineExceededError

__all__ = ["Deadline"]


class Deadline:
    def __init__(self, total_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.total_s = total_s
        self._clock = clock
        self._end = clock() + total_s

    def remaining(self) -> float:
        return max(0.0, self._end - self._clock())

    def expired(self) -> bool:
        return self._end - self._clock() <= 0.0

    def error(self, what: str) -> DeadlineExceededError:
        return DeadlineExceededError(
            f"the call's {self.total_s:g} s deadline passed {what}",
            hint="raise [retry] total_timeout_s or send a larger x-tierwise-timeout-s",
        )

    def cut(self, what: str) -> AttemptCutError:
        """The error of a call in flight that this deadline closed."""
        error = self.error(what)
        return AttemptCutError(error.message, hint=error.hint)

    def check(self, what: str) -> None:
        if self.expired():
            raise self.error(what)

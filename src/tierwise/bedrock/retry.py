"""Retry timing: full-jitter exponential backoff inside one wall-clock budget.

Pure logic: the sleep function, the monotonic clock and the random generator are injected, so
tests drive it with a fake clock and a seeded ``random.Random``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tierwise.config import RetrySettings
from tierwise.core.deadline import Deadline

__all__ = ["Backoff", "RetryBudget"]


@dataclass(frozen=True)
class Backoff:
    """The retry policy of one logical call.

    ``max_attempts`` bounds the calls made to ONE profile (the first call included);
    ``total_timeout_s`` bounds the whole logical call, across retries and failover.
    """

    max_attempts: int = 4
    base_delay_s: float = 0.2
    max_delay_s: float = 5.0
    total_timeout_s: float = 60.0
    rng: random.Random = field(default_factory=random.Random, compare=False)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    @classmethod
    def from_settings(
        cls,
        settings: RetrySettings,
        *,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> Backoff:
        return cls(
            max_attempts=settings.max_attempts,
            base_delay_s=settings.base_delay_s,
            max_delay_s=settings.max_delay_s,
            total_timeout_s=settings.total_timeout_s,
            rng=rng if rng is not None else random.Random(),
            sleep=sleep,
            clock=clock,
        )

    def ceiling(self, retry: int) -> float:
        """The largest delay before retry number ``retry`` (0 = the first retry)."""
        # min() before the power would be tidier, but 2**retry cannot overflow a float for
        # any retry count the settings allow (at most 20 attempts).
        return min(self.max_delay_s, self.base_delay_s * 2.0**retry)

    def delay(self, retry: int) -> float:
        """Full jitter: uniform in [0, ceiling], so synchronised clients spread out."""
        return self.rng.uniform(0.0, self.ceiling(retry))

    def start(self, deadline: Deadline | None = None) -> RetryBudget:
        """Begin one logical call; its clock starts now. A caller's ``deadline`` (the
        whole request's) bounds it too."""
        return RetryBudget(self, self.clock(), deadline)


class RetryBudget:
    """The state of one logical call: when it started and what it may still spend."""

    def __init__(self, policy: Backoff, started: float, deadline: Deadline | None = None) -> None:
        self.policy = policy
        self.started = started
        self.deadline = deadline

    def elapsed_s(self) -> float:
        return self.policy.clock() - self.started

    def remaining_s(self) -> float:
        own = self.policy.total_timeout_s - self.elapsed_s()
        return own if self.deadline is None else min(own, self.deadline.remaining())

    def expired(self) -> bool:
        return self.remaining_s() <= 0.0

    def next_delay(self, attempts_made: int, retry_after: float | None = None) -> float | None:
        """How long to wait before calling the same profile again, or None to stop.

        ``attempts_made`` counts the calls already made to this profile. A server
        ``Retry-After`` is honoured as a floor; if the wait would overrun the budget the
        answer is None (give up on this profile) rather than a wait that is cut short.
        """
        if attempts_made >= self.policy.max_attempts:
            return None
        wait = self.policy.delay(max(0, attempts_made - 1))
        if retry_after is not None:
            wait = max(wait, retry_after)
        if wait >= self.remaining_s():
            return None
        return wait

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.policy.sleep(seconds)

"""Backoff: full-jitter delays, bounded attempts per profile, one bounded budget."""

from __future__ import annotations

import random

import pytest
from bedrock_testdata import FakeTime

from tierwise.bedrock import Backoff
from tierwise.config import RetrySettings


def _policy(fake: FakeTime, **kw: float) -> Backoff:
    args: dict[str, float] = {
        "max_attempts": 4,
        "base_delay_s": 0.5,
        "max_delay_s": 3.0,
        "total_timeout_s": 60.0,
    }
    args.update(kw)
    return Backoff(
        max_attempts=int(args["max_attempts"]),
        base_delay_s=args["base_delay_s"],
        max_delay_s=args["max_delay_s"],
        total_timeout_s=args["total_timeout_s"],
        rng=random.Random(1),
        sleep=fake.sleep,
        clock=fake.clock,
    )


def test_ceiling_doubles_then_caps(fake_time: FakeTime) -> None:
    policy = _policy(fake_time)
    assert [policy.ceiling(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jitter_stays_within_zero_and_the_ceiling(fake_time: FakeTime) -> None:
    policy = _policy(fake_time)
    for retry in range(6):
        delays = [policy.delay(retry) for _ in range(300)]
        assert all(0.0 <= d <= policy.ceiling(retry) for d in delays)
        # Full jitter spreads over the whole range, not a narrow band around the ceiling.
        assert min(delays) < 0.2 * policy.ceiling(retry)
        assert max(delays) > 0.8 * policy.ceiling(retry)


def test_a_seeded_rng_gives_repeatable_delays(fake_time: FakeTime) -> None:
    first = [_policy(fake_time).delay(n) for n in range(4)]
    second = [_policy(fake_time).delay(n) for n in range(4)]
    assert first == second


def test_attempts_per_profile_are_bounded(fake_time: FakeTime) -> None:
    budget = _policy(fake_time, max_attempts=3).start()
    assert budget.next_delay(1) is not None
    assert budget.next_delay(2) is not None
    assert budget.next_delay(3) is None


def test_one_attempt_means_no_retry(fake_time: FakeTime) -> None:
    assert _policy(fake_time, max_attempts=1).start().next_delay(1) is None


def test_total_time_bounds_everything(fake_time: FakeTime) -> None:
    budget = _policy(fake_time, max_attempts=20, total_timeout_s=5.0).start()
    made = 1
    while (delay := budget.next_delay(made)) is not None:
        budget.sleep(delay)
        made += 1
    assert sum(fake_time.sleeps) < 5.0
    assert made < 20  # stopped by time, not by the attempt count
    fake_time.now += 5.0
    assert budget.expired()


def test_a_wait_that_would_overrun_the_budget_is_refused(fake_time: FakeTime) -> None:
    budget = _policy(fake_time, total_timeout_s=10.0).start()
    fake_time.now += 9.9
    assert budget.next_delay(1, retry_after=1.0) is None
    assert not budget.expired()
    assert budget.remaining_s() == pytest.approx(0.1)


def test_retry_after_is_a_floor(fake_time: FakeTime) -> None:
    budget = _policy(fake_time).start()
    assert budget.next_delay(1, retry_after=7.0) == 7.0


def test_zero_base_delay_never_sleeps(fake_time: FakeTime) -> None:
    budget = _policy(fake_time, base_delay_s=0.0).start()
    delay = budget.next_delay(1)
    assert delay == 0.0
    budget.sleep(delay)
    assert fake_time.sleeps == []


def test_from_settings_copies_the_policy(fake_time: FakeTime) -> None:
    settings = RetrySettings(max_attempts=2, base_delay_s=0.1, max_delay_s=1.0, total_timeout_s=9)
    policy = Backoff.from_settings(settings, sleep=fake_time.sleep, clock=fake_time.clock)
    assert (policy.max_attempts, policy.base_delay_s, policy.max_delay_s) == (2, 0.1, 1.0)
    assert policy.total_timeout_s == 9
    budget = policy.start()
    fake_time.now += 4
    assert budget.elapsed_s() == 4

"""CooldownTracker: a failed profile cools for a while, a success clears it."""

from __future__ import annotations

import pytest
from bedrock_testdata import FakeTime

from tierwise.bedrock import CooldownTracker


def test_failed_profile_cools_until_the_time_passes(fake_time: FakeTime) -> None:
    tracker = CooldownTracker(30.0, clock=fake_time.clock)
    tracker.failed("a")
    assert tracker.is_cooling("a")
    assert not tracker.is_cooling("b")
    fake_time.now += 29.9
    assert tracker.is_cooling("a")
    fake_time.now += 0.1
    assert not tracker.is_cooling("a")


def test_success_clears_the_cooldown(fake_time: FakeTime) -> None:
    tracker = CooldownTracker(30.0, clock=fake_time.clock)
    tracker.failed("a")
    tracker.succeeded("a")
    assert not tracker.is_cooling("a")


def test_zero_cooldown_is_off(fake_time: FakeTime) -> None:
    tracker = CooldownTracker(clock=fake_time.clock)
    tracker.failed("a")
    assert not tracker.is_cooling("a")


def test_negative_cooldown_is_refused() -> None:
    with pytest.raises(ValueError, match="cooldown_s"):
        CooldownTracker(-1)

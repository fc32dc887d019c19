"""The call deadline (pure, with an injected clock), and calls bounded by it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.deadline import Deadline
from tierwise.errors import DeadlineExceededError


def test_deadline_counts_down_on_its_clock() -> None:
    now = [100.0]
    deadline = Deadline(2.0, clock=lambda: now[0])
    assert deadline.remaining() == 2.0 and not deadline.expired()
    now[0] = 101.5
    assert deadline.remaining() == pytest.approx(0.5)
    now[0] = 102.0
    assert deadline.expired() and deadline.remaining() == 0.0
    with pytest.raises(DeadlineExceededError, match="2 s deadline passed before attempt 2"):
        deadline.check("before attempt 2")


@pytest.mark.parametrize("total_s", [float("inf"), 1e12])
def test_a_call_under_a_huge_or_infinite_deadline_just_runs(
    default_settings: Settings, tmp_path: Path, total_s: float
) -> None:
    with Tierwise.from_settings(
        default_settings, ledger_url=f"sqlite:///{tmp_path / 'd.db'}"
    ) as tw:
        late: list[object] = []
        assert tw.call_within(Deadline(total_s), lambda d: d.total_s, late=late.append) == total_s
        with pytest.raises(DeadlineExceededError):
            tw.call_within(Deadline(0.05), lambda d: time.sleep(0.5), late=late.append)
        deadline = time.monotonic() + 5
        while not late and time.monotonic() < deadline:
            time.sleep(0.02)
        assert late == [None], "the cut-off call's outcome reaches its late callback"


class _Stream:
    def __init__(self) -> None:
        self.closed = threading.Event()

    def close(self) -> None:
        self.closed.set()


def test_the_stream_watcher_closes_idle_and_late_streams_only() -> None:
    from tierwise.client import _StreamWatcher

    watcher = _StreamWatcher()
    idle, late, busy = _Stream(), _Stream(), _Stream()
    idle_watch = watcher.watch(idle, Deadline(60), idle_s=0.3)
    late_watch = watcher.watch(late, Deadline(0.3), idle_s=60)
    busy_watch = watcher.watch(busy, Deadline(60), idle_s=0.3)
    end = time.monotonic() + 1.0
    while time.monotonic() < end:  # events keep arriving on the busy stream
        busy_watch.touch()
        time.sleep(0.05)
    assert idle.closed.is_set() and late.closed.is_set() and not busy.closed.is_set()
    assert idle_watch.fired is not None and "no event for 0.3 s" in idle_watch.fired.message
    assert late_watch.fired is not None and "deadline passed" in late_watch.fired.message
    assert busy_watch.fired is None
    watcher.unwatch(busy_watch)

"""The in-process cache state stays bounded without copying itself on every call.

Past ``max_entries`` live keys it used to rebuild a map on every seen()/mark()/
set_conversation_tier() (dropping only expired entries, so ``_seen`` also grew without
bound): at the default 200,000 keys about 50 ms of CPU per request. Rebuilds are counted
here by the map object being replaced, not by time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tierwise.cache_state import MemoryCacheState
from tierwise.core.cache_aware import Prefix

CAP = 100


def _drive(state: MemoryCacheState, attr: str, call: Callable[[int], Any], n: int) -> int:
    """Make ``n`` calls with new keys; how many times the map was rebuilt. The map never
    holds more than the cap after a call."""
    rebuilds = 0
    current = getattr(state, attr)
    for i in range(n):
        call(i)
        now = getattr(state, attr)
        assert len(now) <= CAP, (attr, i, len(now))
        if now is not current:
            rebuilds += 1
            current = now
    return rebuilds


def test_seen_with_only_live_keys_is_bounded_and_rebuilt_rarely() -> None:
    state = MemoryCacheState(clock=lambda: 1000.0, max_entries=CAP)
    rebuilds = _drive(state, "_seen", lambda i: state.seen(f"k{i}", 300), 2000)
    # One pass per tenth of the cap in new keys, not one per call past the cap.
    assert rebuilds <= 2000 // (CAP // 10) + 1, rebuilds


def test_mark_and_conversations_are_rebuilt_rarely() -> None:
    state = MemoryCacheState(clock=lambda: 1000.0, max_entries=CAP)
    warm = _drive(state, "_warm", lambda i: state.mark("m", [Prefix(2000, "5m", f"p{i}")]), 2000)
    conv = _drive(
        state, "_conversations", lambda i: state.set_conversation_tier(f"c{i}", "opus"), 2000
    )
    assert warm <= 201 and conv <= 201, (warm, conv)


def test_a_trim_keeps_the_newest_and_expiry_still_holds() -> None:
    now = [1000.0]
    state = MemoryCacheState(clock=lambda: now[0], max_entries=CAP)
    for i in range(CAP):
        state.seen(f"old{i}", 300)
    state.seen("old0", 300)  # a repeat in the same window: counted, not moved
    now[0] += 10
    for i in range(CAP // 2):
        state.seen(f"new{i}", 300)
    # The oldest went first; the newest key still counts its window.
    assert state.seen("new49", 300) == (1, 0.0)
    assert state.seen("old99", 300)[0] == 1
    # Expired entries are dropped before live ones and never read as live.
    now[0] += 295  # the old window (opened at 1000) is over, the new one (1010) is not
    assert state.seen("old99", 300) == (0, 0.0)
    assert state.seen("new49", 300) == (2, 295.0)
    state.mark("m", [Prefix(2000, "5m", "p")])
    now[0] += 301
    assert state.warm("m", ["p"]) == set()
    state.set_conversation_tier("c", "opus")
    assert state.conversation_tier("c") == "opus"
    now[0] += 3601
    assert state.conversation_tier("c") is None

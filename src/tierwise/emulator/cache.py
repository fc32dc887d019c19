"""Prompt caching with Bedrock's semantics.

A ``cachePoint`` caches the prefix in front of it (tools, then system, then messages) once
that cumulative prefix reaches the model's minimum: it writes one entry, for the prefix
ending there. A later call reads the longest entry it finds: each of its cache points checks
its own prefix, then walks back one content block at a time, over at most 20 positions (its
own first; :data:`tierwise.core.caching.LOOKBACK_BLOCKS`, with the sources), so a conversation
whose one point moves to the end of each new turn reads what the previous turn wrote, and an
entry 20 or more blocks behind every point is not found. ``cacheReadInputTokens`` is the
longest prefix found, ``cacheWriteInputTokens`` the tokens from there to the last eligible
cache point, and ``inputTokens`` the rest. A point in
the messages is keyed by the thinking settings as well: changing them invalidates message
cache points, not the system prompt's or the tools' (Anthropic's extended-thinking docs).
Entries live for their TTL (5 minutes or 1 hour) and a hit starts the TTL over. Time comes
from an injectable clock so tests can move it forward.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tierwise.core.caching import PointPrefix, point_prefixes

__all__ = ["TTL_SECONDS", "CacheUsage", "PromptCache"]

TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


@dataclass(frozen=True, slots=True)
class CacheUsage:
    """Cache tokens of one call; ``details`` are writes per TTL, 1h before 5m."""

    read: int = 0
    write: int = 0
    details: tuple[tuple[str, int], ...] = ()


@dataclass(slots=True)
class _Entry:
    expires_at: float
    ttl_s: float


class PromptCache:
    """Cached prefixes keyed by model and canonical content; thread-safe."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def apply(self, model_key: str, request: Mapping[str, Any], min_tokens: int) -> CacheUsage:
        """Read and write the cache for one successful call and report its cache tokens.

        Each eligible cache point (its prefix at least ``min_tokens``) checks its own prefix,
        then the block positions before it, at most ``LOOKBACK_BLOCKS`` in all, for an entry
        an earlier call wrote; the longest found is read. Entries are written at the cache
        points past it (only there: a call writes no entry at a position without a point)."""
        eligible: list[PointPrefix] = []
        for point in point_prefixes(request, seed=model_key):
            if point.tokens <= 0 or point.tokens < min_tokens:
                continue
            if eligible and eligible[-1].tokens == point.tokens:
                continue  # two cache points with nothing between them cache one prefix
            eligible.append(point)
        if not eligible:
            return CacheUsage()
        with self._lock:
            now = self._clock()
            self._entries = {k: e for k, e in self._entries.items() if e.expires_at > now}
            read = 0
            for point in eligible:
                # the nearest entry in the point's window is the longest one it can read
                found = next(((t, k) for t, k in point.window if k in self._entries), None)
                if found is None:
                    continue
                entry = self._entries[found[1]]
                entry.ttl_s = max(entry.ttl_s, TTL_SECONDS.get(point.ttl, 300.0))
                entry.expires_at = now + entry.ttl_s
                read = max(read, found[0])
            written: dict[str, int] = {}
            previous = read
            for point in eligible:
                if point.tokens <= read:
                    continue
                ttl_s = TTL_SECONDS.get(point.ttl, 300.0)
                self._entries[point.key] = _Entry(now + ttl_s, ttl_s)
                written[point.ttl] = written.get(point.ttl, 0) + point.tokens - previous
                previous = point.tokens
        details = tuple((ttl, written[ttl]) for ttl in ("1h", "5m") if written.get(ttl))
        return CacheUsage(read=read, write=sum(written.values()), details=details)

"""Prompt caching with Bedrock's semantics.

A ``cachePoint`` caches the prefix in front of it (tools, then system, then messages) once
it is the model's minimum past the previous point that caches (Bedrock states the minimum per
cache checkpoint: :func:`tierwise.core.caching.cacheable_points`, with the sources): it writes
one entry, for the prefix ending there. A later call reads the longest entry it finds: each
of its cache points checks its own prefix, then walks back one content block at a time, over
at most 20 positions (its own first; :data:`tierwise.core.caching.LOOKBACK_BLOCKS`, with the
sources), so a conversation whose one point moves to the end of each new turn reads what the
previous turn wrote, and an entry 20 or more blocks behind every point is not found.
``cacheReadInputTokens`` is the longest prefix found, ``cacheWriteInputTokens`` the tokens
from there to the last point that caches, and ``inputTokens`` the rest. The rule is
:mod:`tierwise.core.caching`'s, which the router's estimate and the planner use too. A point
in the messages is keyed by the thinking settings as well: changing them invalidates message
cache points, not the system prompt's or the tools' (Anthropic's extended-thinking docs).
Entries live for their TTL (5 minutes or 1 hour) and a hit starts the TTL over. Time comes
from an injectable clock so tests can move it forward.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tierwise.core.caching import cache_writes, cacheable_points, point_prefixes, read_hits

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
        """Read and write the cache for one successful call and report its cache tokens, by
        the shared model of :mod:`tierwise.core.caching` (the router's estimate and the
        planner use the same): the cache points that cache (each ``min_tokens`` past the
        previous one that does, :func:`~tierwise.core.caching.cacheable_points`) each check
        their own prefix, then the block positions before it, at most ``LOOKBACK_BLOCKS`` in
        all, for an entry an earlier call wrote; the longest found is read. Entries are
        written at the cache points past it (only there: a call writes no entry at a
        position without a point)."""
        eligible = cacheable_points(point_prefixes(request, seed=model_key), min_tokens)
        if not eligible:
            return CacheUsage()
        with self._lock:
            now = self._clock()
            self._entries = {k: e for k, e in self._entries.items() if e.expires_at > now}
            read = 0
            for point, tokens, key in read_hits(eligible, self._entries.__contains__):
                entry = self._entries[key]
                entry.ttl_s = max(entry.ttl_s, TTL_SECONDS.get(point.ttl, 300.0))
                entry.expires_at = now + entry.ttl_s
                read = max(read, tokens)
            written: dict[str, int] = {}
            for point, tokens in cache_writes(eligible, read):
                ttl_s = TTL_SECONDS.get(point.ttl, 300.0)
                self._entries[point.key] = _Entry(now + ttl_s, ttl_s)
                written[point.ttl] = written.get(point.ttl, 0) + tokens
        details = tuple((ttl, written[ttl]) for ttl in ("1h", "5m") if written.get(ttl))
        return CacheUsage(read=read, write=sum(written.values()), details=details)

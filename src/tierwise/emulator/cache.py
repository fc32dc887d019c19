"""Prompt caching with Bedrock's semantics.

A ``cachePoint`` caches the prefix in front of it (tools, then system, then messages) once
that cumulative prefix reaches the model's minimum. A later call with the same prefix reads
it: ``cacheReadInputTokens`` is the longest prefix found, ``cacheWriteInputTokens`` the
tokens from there to the last eligible cache point, and ``inputTokens`` the rest. A point in
the messages is keyed by the thinking settings as well: changing them invalidates message
cache points, not the system prompt's or the tools' (Anthropic's extended-thinking docs).
Entries live for their TTL (5 minutes or 1 hour) and a hit starts the TTL over. Time comes
from an injectable clock so tests can move it forward.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tierwise.core.caching import THINKING_SCOPE, message_cache_scope
from tierwise.core.tokens import canonical_json, prefix_tokens_at_cache_points

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


def _prefix_keys(model_key: str, request: Mapping[str, Any]) -> Iterator[str]:
    """A digest of the canonical prefix in front of each cache point, in prompt order."""
    digest = hashlib.sha256(model_key.encode("utf-8"))

    def feed(section: str, item: Any) -> None:
        digest.update(f"\x00{section}\x00".encode())
        digest.update(canonical_json(item).encode("utf-8"))

    for tool in (request.get("toolConfig") or {}).get("tools") or ():
        if "cachePoint" in tool:
            yield digest.copy().hexdigest()
        else:
            feed("tool", tool)
    for block in request.get("system") or ():
        if "cachePoint" in block:
            yield digest.copy().hexdigest()
        else:
            feed("system", block)
    scope = message_cache_scope(request)
    if scope:
        feed(THINKING_SCOPE, scope)  # message entries are per thinking setting; system, tools not
    for message in request.get("messages") or ():
        feed("role", message.get("role"))
        for block in message.get("content") or ():
            if "cachePoint" in block:
                yield digest.copy().hexdigest()
            else:
                feed("block", block)


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
        """Read and write the cache for one successful call and report its cache tokens."""
        points = prefix_tokens_at_cache_points(request)
        keys = list(_prefix_keys(model_key, request))
        eligible: list[tuple[int, str, str]] = []
        for (tokens, segment), key in zip(points, keys, strict=True):
            if tokens <= 0 or tokens < min_tokens:
                continue
            if eligible and eligible[-1][0] == tokens:
                continue  # two cache points with nothing between them cache one prefix
            eligible.append((tokens, segment.ttl, key))
        if not eligible:
            return CacheUsage()
        with self._lock:
            now = self._clock()
            self._entries = {k: e for k, e in self._entries.items() if e.expires_at > now}
            hit = -1
            for i, (_, _, key) in enumerate(eligible):
                if key in self._entries:
                    hit = i
            for _, ttl, key in eligible[: hit + 1]:
                entry = self._entries.get(key)
                if entry is not None:
                    entry.ttl_s = max(entry.ttl_s, TTL_SECONDS.get(ttl, 300.0))
                    entry.expires_at = now + entry.ttl_s
            read = eligible[hit][0] if hit >= 0 else 0
            written: dict[str, int] = {}
            previous = read
            for tokens, ttl, key in eligible[hit + 1 :]:
                ttl_s = TTL_SECONDS.get(ttl, 300.0)
                self._entries[key] = _Entry(now + ttl_s, ttl_s)
                written[ttl] = written.get(ttl, 0) + tokens - previous
                previous = tokens
        details = tuple((ttl, written[ttl]) for ttl in ("1h", "5m") if written.get(ttl))
        return CacheUsage(read=read, write=sum(written.values()), details=details)

"""Which prompt-cache prefixes each model has warm, learned from Bedrock's reported usage,
and what answers were seen to cost in output per (task class, tier) (the tallies of
:mod:`tierwise.core.output_learning`).

In-process by default. With ``[cache_state] url = "redis://..."`` the state is shared by every
gateway replica through Redis, expiry done by Redis TTLs; when Redis is unreachable the state
falls back to this process's own memory and Redis is tried again after a short pause, so an
outage costs cache awareness, never a request. An outage is logged once as it starts (a
WARNING) and once as it ends (an INFO), and :attr:`RedisCacheState.unreachable` says it is
on (the gateway's ``tierwise_cache_state_unreachable`` gauge).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from tierwise.core.cache_aware import TTL_SECONDS, Prefix
from tierwise.core.output_learning import Observation, Tally

__all__ = ["KEY_PREFIX", "CacheState", "MemoryCacheState", "RedisCacheState", "open_cache_state"]

log = logging.getLogger("tierwise.cache_state")
# Conversations remember their tier this long after their last turn.
CONVERSATION_TTL_S = 3600
# Output tallies in Redis are dropped after this long without an answer (a class or tier
# no longer served); in process they last as long as the process.
OUTPUT_TTL_S = 30 * 86400

_K = TypeVar("_K")
_V = TypeVar("_V")

# One answer added to each of KEYS (an output tally: n/out answers and their tokens, tn/ts
# thinking answers and their budget shares), each count held at the window by scaling its
# sum with it, as Tally.add does in process. Atomic, so replicas never lose an update.
# ARGV: answer tokens ("" = unknown), thinking share ("" = no budget), window, TTL seconds.
_OBSERVE_LUA = """
local window = tonumber(ARGV[3])
local function add(key, count_field, sum_field, value)
  local n = tonumber(redis.call('HINCRBYFLOAT', key, count_field, 1))
  local total = tonumber(redis.call('HINCRBYFLOAT', key, sum_field, value))
  if window > 0 and n > window then
    redis.call('HSET', key, count_field, tostring(window), sum_field,
               tostring(total * window / n))
  end
end
for _, key in ipairs(KEYS) do
  if ARGV[1] ~= '' then add(key, 'n', 'out', ARGV[1]) end
  if ARGV[2] ~= '' then add(key, 'tn', 'ts', ARGV[2]) end
  redis.call('EXPIRE', key, ARGV[4])
end
return 1
"""


def _expiry(until: float) -> float:
    return until


def _second(entry: tuple[Any, float]) -> float:
    return entry[1]


def _pruned(
    entries: dict[_K, _V], now: float, expiry: Callable[[_V], float], keep: int
) -> dict[_K, _V]:
    """``entries`` without the expired ones, then without the oldest inserted beyond
    ``keep`` (all still live: the map is full of current keys)."""
    live = {k: v for k, v in entries.items() if expiry(v) > now}
    excess = len(live) - keep
    if excess > 0:
        live = dict(itertools.islice(live.items(), excess, None))
    return live


class CacheState(Protocol):
    def warm(self, model_id: str, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` are warm on ``model_id`` now."""
        ...

    def mark(self, model_id: str, prefixes: Sequence[Prefix]) -> None:
        """``prefixes`` are warm on ``model_id`` for their TTL from now."""
        ...

    def conversation_tier(self, key: str) -> str | None: ...

    def seen(self, key: str, ttl_s: int) -> tuple[int, float]:
        """Count one more request carrying prefix ``key``: how many came before it in the
        current window of ``ttl_s`` seconds (a fixed window opened by the first of them),
        and how long ago that window opened (seconds; 0 for the first)."""
        ...

    def set_conversation_tier(self, key: str, tier: str) -> None: ...

    def tallies(self, keys: Sequence[str]) -> dict[str, Tally]:
        """The output tallies stored under ``keys`` (missing ones left out)."""
        ...

    def observe_output(self, keys: Sequence[str], seen: Observation, window: int) -> None:
        """Add one answer's observation to each tally in ``keys`` (counts held at
        ``window``)."""
        ...

    @property
    def unreachable(self) -> bool:
        """Whether shared state is unreachable and this process routes on its own memory."""
        ...

    def close(self) -> None: ...


class MemoryCacheState:
    """Warm prefixes in this process, expiring by their TTL; bounded in size."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_entries: int = 200_000
    ) -> None:
        self._clock = clock
        self._max = max_entries
        self._keep = max_entries * 9 // 10
        self._lock = threading.Lock()
        self._warm: dict[tuple[str, str], float] = {}
        self._conversations: dict[str, tuple[str, float]] = {}
        self._seen: dict[str, tuple[int, float]] = {}
        # One per (class, tier), class and tier: a few hundred at most, never trimmed.
        self._tallies: dict[str, Tally] = {}

    def _trim(self, now: float) -> None:
        # Over the cap, one pass brings a map down to 90% of it: the pass then comes once
        # per tenth of the cap in new keys. Trimming only to the cap made every call past it
        # copy the whole map.
        if len(self._warm) > self._max:
            self._warm = _pruned(self._warm, now, _expiry, self._keep)
        if len(self._conversations) > self._max:
            self._conversations = _pruned(self._conversations, now, _second, self._keep)
        if len(self._seen) > self._max:
            self._seen = _pruned(self._seen, now, _second, self._keep)

    def warm(self, model_id: str, keys: Sequence[str]) -> set[str]:
        now = self._clock()
        with self._lock:
            return {k for k in keys if self._warm.get((model_id, k), 0.0) > now}

    def mark(self, model_id: str, prefixes: Sequence[Prefix]) -> None:
        now = self._clock()
        with self._lock:
            for p in prefixes:
                # Re-inserted, not updated in place: insertion order stays close to expiry
                # order, which is what a trim drops by when every entry is still live.
                self._warm.pop((model_id, p.key), None)
                self._warm[(model_id, p.key)] = now + TTL_SECONDS.get(p.ttl, 300)
            self._trim(now)

    def conversation_tier(self, key: str) -> str | None:
        with self._lock:
            entry = self._conversations.get(key)
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]

    def set_conversation_tier(self, key: str, tier: str) -> None:
        now = self._clock()
        with self._lock:
            self._conversations.pop(key, None)  # to the end: see mark
            self._conversations[key] = (tier, now + CONVERSATION_TTL_S)
            self._trim(now)

    def seen(self, key: str, ttl_s: int) -> tuple[int, float]:
        now = self._clock()
        with self._lock:
            count, until = self._seen.get(key, (0, 0.0))
            if until <= now:
                count, until = 0, now + ttl_s
                self._seen.pop(key, None)  # a new window: to the end, see mark
            self._seen[key] = (count + 1, until)
            self._trim(now)
            return count, max(now - (until - ttl_s), 0.0)

    def tallies(self, keys: Sequence[str]) -> dict[str, Tally]:
        with self._lock:
            return {k: self._tallies[k] for k in keys if k in self._tallies}

    def observe_output(self, keys: Sequence[str], seen: Observation, window: int) -> None:
        with self._lock:
            for key in keys:
                self._tallies[key] = self._tallies.get(key, Tally()).add(seen, window)

    @property
    def unreachable(self) -> bool:
        """Never: the state is this process's own."""
        return False

    def close(self) -> None:
        """Nothing to release."""


KEY_PREFIX = "tierwise:cache"
"""Every Redis key's default start (``[cache_state] key_prefix``)."""


class RedisCacheState:
    """Warm prefixes in Redis (shared by replicas), with a local fallback during outages."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = KEY_PREFIX,
        retry_after_s: float = 5.0,
        client: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        import redis

        self._redis = client or redis.Redis.from_url(
            url, socket_timeout=0.25, socket_connect_timeout=0.25
        )
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._prefix = prefix
        self._fallback = MemoryCacheState(clock)
        self._retry_after = retry_after_s
        self._clock = clock
        self._down_until = 0.0
        # When the outage under way began (None: Redis answers). Calls inside the pause
        # (_down_until) do not try Redis; the outage ends at the first call that succeeds.
        self._down_since: float | None = None
        self._lock = threading.Lock()
        self._observe = self._redis.register_script(_OBSERVE_LUA)

    @property
    def degraded(self) -> bool:
        """Whether Redis is not to be tried now (the pause after a failure)."""
        return self._clock() < self._down_until

    @property
    def unreachable(self) -> bool:
        return self._down_since is not None

    def _key(self, model_id: str, key: str) -> str:
        return f"{self._prefix}:{model_id}:{key}"

    def _failed(self, exc: BaseException) -> None:
        now = self._clock()
        with self._lock:
            first = self._down_since is None
            if first:
                self._down_since = now
            self._down_until = now + self._retry_after
        if first:
            # The class only: a Redis error's text can hold the URL (its password) or a key,
            # which is a prompt's digest. Once per outage, not per failed retry.
            log.warning(
                "cache state: Redis unreachable (%s); using this process's memory until it "
                "answers again (tried every %.0f s)",
                type(exc).__name__,
                self._retry_after,
            )

    def _answered(self) -> None:
        """A Redis call succeeded: the end of an outage, if one was on."""
        # Unlocked first: on the hot path this is one attribute read. A call that was in
        # flight when another failed answers inside the pause; it ends nothing.
        if self._down_since is None or self.degraded:
            return
        with self._lock:
            # Checked again: a call that failed between the check above and this lock has
            # begun a new pause, and the outage goes on.
            if self._down_since is None or self._clock() < self._down_until:
                return
            since, self._down_since = self._down_since, None
        log.info(
            "cache state: Redis answers again after %.0f s; shared state resumed",
            self._clock() - since,
        )

    def warm(self, model_id: str, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        if not self.degraded:
            try:
                values = self._redis.mget([self._key(model_id, k) for k in keys])
                self._answered()
                return {k for k, v in zip(keys, values, strict=True) if v is not None}
            except self._errors as exc:
                self._failed(exc)
        return self._fallback.warm(model_id, keys)

    def mark(self, model_id: str, prefixes: Sequence[Prefix]) -> None:
        self._fallback.mark(model_id, prefixes)
        if not prefixes or self.degraded:
            return
        try:
            pipe = self._redis.pipeline(transaction=False)
            for p in prefixes:
                pipe.set(self._key(model_id, p.key), p.tokens, ex=TTL_SECONDS.get(p.ttl, 300))
            pipe.execute()
        except self._errors as exc:
            self._failed(exc)
        else:
            self._answered()

    def conversation_tier(self, key: str) -> str | None:
        if not self.degraded:
            try:
                value = self._redis.get(f"{self._prefix}:conv:{key}")
                self._answered()
                return value.decode() if isinstance(value, bytes) else value
            except self._errors as exc:
                self._failed(exc)
        return self._fallback.conversation_tier(key)

    def seen(self, key: str, ttl_s: int) -> tuple[int, float]:
        # Counted in this process's memory too, as ``mark`` is: while Redis is down the
        # forecast then rests on the requests this replica saw. Without it, a short outage
        # (one reply slower than the socket timeout under load) forecast no reuse for every
        # prefix: an easy question read a dearer tier's warm copy instead of writing the
        # cheaper tier's once for the many due after it.
        local = self._fallback.seen(key, ttl_s)
        if not self.degraded:
            try:
                name = f"{self._prefix}:seen:{key}"
                pipe = self._redis.pipeline(transaction=True)
                pipe.incr(name)
                pipe.expire(name, ttl_s, nx=True)
                pipe.pttl(name)
                count, _, left_ms = pipe.execute()
                self._answered()
                age = ttl_s - int(left_ms) / 1000 if int(left_ms) >= 0 else 0.0
                return int(count) - 1, max(age, 0.0)
            except self._errors as exc:
                self._failed(exc)
        return local

    def set_conversation_tier(self, key: str, tier: str) -> None:
        self._fallback.set_conversation_tier(key, tier)
        if self.degraded:
            return
        try:
            self._redis.set(f"{self._prefix}:conv:{key}", tier, ex=CONVERSATION_TTL_S)
        except self._errors as exc:
            self._failed(exc)
        else:
            self._answered()

    def _out_key(self, key: str) -> str:
        return f"{self._prefix}:out:{key}"

    def tallies(self, keys: Sequence[str]) -> dict[str, Tally]:
        if not keys or self.degraded:
            return self._fallback.tallies(keys)
        try:
            pipe = self._redis.pipeline(transaction=False)
            for key in keys:
                pipe.hgetall(self._out_key(key))
            found = pipe.execute()
        except self._errors as exc:
            self._failed(exc)
            return self._fallback.tallies(keys)
        self._answered()
        return {k: Tally.from_fields(v) for k, v in zip(keys, found, strict=True) if v}

    def observe_output(self, keys: Sequence[str], seen: Observation, window: int) -> None:
        # This process's own tallies too: what it learns while Redis is down.
        self._fallback.observe_output(keys, seen, window)
        if not keys or self.degraded:
            return
        answer = "" if seen.answer_tokens is None else str(seen.answer_tokens)
        share = "" if seen.thinking_share is None else repr(float(seen.thinking_share))
        try:
            self._observe(
                keys=[self._out_key(k) for k in keys],
                args=[answer, share, window, OUTPUT_TTL_S],
            )
        except self._errors as exc:
            self._failed(exc)
        else:
            self._answered()

    def close(self) -> None:
        with contextlib.suppress(*self._errors):
            self._redis.close()


def open_cache_state(url: str, key_prefix: str = KEY_PREFIX) -> CacheState:
    """The cache state for ``[cache_state] url``: "" is in-process, ``redis://`` is shared
    (every key under ``key_prefix``)."""
    if not url:
        return MemoryCacheState()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisCacheState(url, prefix=key_prefix)
    from tierwise.errors import ConfigError

    raise ConfigError(
        f"cache_state.url {url!r} is not a Redis URL",
        hint='use "" for in-process state or redis://host:6379/0',
    )

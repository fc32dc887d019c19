"""Cache-aware routing wired to settings and state: the pure rule is in
:mod:`tierwise.core.cache_aware`; this module feeds it the request as each tier would receive
it, the warm prefixes from :mod:`tierwise.cache_state`, and learns from every answer's usage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tierwise.core.cache_aware import (
    TTL_SECONDS,
    CacheChoice,
    Prefix,
    choose_tier,
    conversation_key,
    learned_prefixes,
    prefixes,
)
from tierwise.core.caching import place_cache_points
from tierwise.core.hints import Hints
from tierwise.core.pricing import Usage
from tierwise.core.tiers import Tier
from tierwise.core.tokens import count_request

if TYPE_CHECKING:
    from tierwise.cache_state import CacheState
    from tierwise.config import Settings
    from tierwise.core.routing import Decision

__all__ = ["CacheRouter"]


class CacheRouter:
    """Chooses among allowed tiers by expected cost and remembers what each model has warm."""

    def __init__(self, settings: Settings, state: CacheState) -> None:
        self.settings = settings
        self.state = state
        self.config = settings.cache_state

    def _prepared(self, request: Mapping[str, Any], tier: Tier) -> dict[str, Any]:
        return place_cache_points(dict(request), self.settings.cache_policy(tier)).request

    def _min_tokens(self, tier: Tier) -> int:
        return self.settings.tier(tier).cache_min_tokens

    def _cacheable(self, request: Mapping[str, Any]) -> bool:
        caching = [t for t in Tier.ordered() if self.settings.tier(t).supports_caching]
        if self.settings.caching.mode == "off" or not caching:
            return False
        return count_request(request) >= min(self._min_tokens(t) for t in caching)

    def _output_tokens(self, request: Mapping[str, Any], decision: Decision) -> int:
        guess = (
            self.config.short_output_tokens
            if decision.class_tier is Tier.HAIKU
            else self.config.output_tokens
        )
        cap = (request.get("inferenceConfig") or {}).get("maxTokens")
        return min(guess, int(cap)) if isinstance(cap, int) and cap > 0 else guess

    def choose(
        self, decision: Decision, request: Mapping[str, Any], hints: Hints | None
    ) -> CacheChoice | None:
        """The cache-aware choice for a routed request, or None when it cannot matter (off,
        nothing cacheable, or no tier above the routed one is allowed)."""
        if not self.config.enabled or not self._cacheable(request):
            return None
        h = hints or Hints()
        ceiling = h.max_tier or Tier.OPUS
        if h.force_tier is not None:
            return None
        allowed = [t for t in Tier.ordered() if decision.tier.rank <= t.rank <= ceiling.rank]
        conversation = conversation_key(request)
        current_name = self.state.conversation_tier(conversation) if conversation else None
        current = Tier(current_name) if current_name in {t.value for t in Tier} else None
        if current is not None and current not in allowed and current.rank > ceiling.rank:
            current = None
        if len(allowed) < 2 and current is None:
            return None
        if current is not None and current.rank > decision.tier.rank:
            allowed = sorted({*allowed, current}, key=lambda t: t.rank)

        # How popular the request's longest cacheable prefix is: a prefix many requests share
        # is worth writing on the cheaper tier once (see core.cache_aware.expected_cost).
        mine = prefixes(self._prepared(request, decision.tier), self._min_tokens(decision.tier))
        reuse = 0
        if mine:
            longest = mine[-1]
            reuse = min(self.state.seen(longest.key, TTL_SECONDS.get(longest.ttl, 300)),
                        self.config.max_reuse)  # fmt: skip

        def warm(tier: Tier, points: Sequence[Prefix]) -> set[str]:
            return self.state.warm(self.settings.tier(tier).model_id, [p.key for p in points])

        return choose_tier(
            decision.tier,
            allowed,
            request,
            prepared=lambda tier: self._prepared(request, tier),
            min_tokens=self._min_tokens,
            warm=warm,
            rates=self.settings.rates,
            output_tokens=self._output_tokens(request, decision),
            current=current,
            confident=decision.task_class.confidence >= self.config.confidence,
            margin=self.config.margin,
            reuse=reuse,
        )

    def learn(
        self,
        request: Mapping[str, Any],
        tier: Tier | None,
        model_id: str,
        usage: Usage,
    ) -> None:
        """Record what one answer left warm (from its reported cache reads and writes) and
        the tier its conversation is on now."""
        if tier is None:
            return
        read, written = usage.cache_read, usage.cache_write
        if read or written:
            points = prefixes(self._prepared(request, tier), self._min_tokens(tier))
            self.state.mark(model_id, learned_prefixes(points, read, written))
        conversation = conversation_key(request)
        if conversation is not None:
            self.state.set_conversation_tier(conversation, tier.value)

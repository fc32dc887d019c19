"""Cache-aware routing wired to settings and state: the pure rule is in
:mod:`tierwise.core.cache_aware`; this module feeds it the request as each tier would receive
it, the warm prefixes from :mod:`tierwise.cache_state`, and learns from every answer's usage.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tierwise.core.cache_aware import (
    TTL_SECONDS,
    CacheChoice,
    Prefix,
    choose_tier,
    conversation_key,
    expected_reuse,
    learned_prefixes,
    prefixes,
)
from tierwise.core.caching import place_cache_points
from tierwise.core.hints import Hints
from tierwise.core.pricing import Usage
from tierwise.core.thinking import apply_thinking
from tierwise.core.tiers import Tier
from tierwise.core.tokens import count_request

if TYPE_CHECKING:
    from tierwise.cache_state import CacheState
    from tierwise.config import Settings
    from tierwise.core.routing import Decision

__all__ = ["CacheRouter"]

DEMAND_DECAY = 0.995


class OutputStats:
    """What answers were seen to cost in output, learned from Bedrock's reported usage
    (in-process, decayed means): per task class, the output of answers without extended
    thinking; across classes, the share of a thinking budget used, estimated as an answer's
    output beyond its class's plain mean (Bedrock reports thinking and answer tokens as one
    count). Nothing is assumed before an answer is seen: the callers fall back to config.
    A class served only with thinking (no plain answer to compare with) measures its thinking
    against ``plain_guess``, the plain answer the router prices it with until one is seen:
    without it, such a class kept the prior (the whole budget) however little it thought."""

    def __init__(self, weight: float = 0.1) -> None:
        self._w = weight
        self._lock = threading.Lock()
        self._plain: dict[str, float] = {}
        self._use: float | None = None

    def learn(
        self,
        task_class: str,
        output: int,
        thinking_budget: int | None,
        plain_guess: int | None = None,
    ) -> None:
        with self._lock:
            plain = self._plain.get(task_class)
            if not thinking_budget:
                self._plain[task_class] = (
                    float(output) if plain is None else plain + self._w * (output - plain)
                )
                return
            if plain is None:
                if plain_guess is None:
                    return  # no plain answer of the class yet: the thinking part is unknown
                plain = float(plain_guess)
            share = min(max(output - plain, 0.0) / thinking_budget, 1.0)
            self._use = share if self._use is None else self._use + self._w * (share - self._use)

    def answer(self, task_class: str) -> int | None:
        """The expected output of a plain answer of ``task_class`` (None: none seen yet)."""
        with self._lock:
            plain = self._plain.get(task_class)
        return None if plain is None else max(round(plain), 1)

    def thinking_use(self, default: float) -> float:
        """The expected share of a thinking budget used (``default`` until one is seen)."""
        with self._lock:
            return default if self._use is None else self._use


class CacheRouter:
    """Chooses among allowed tiers by expected cost and remembers what each model has warm."""

    def __init__(self, settings: Settings, state: CacheState) -> None:
        self.settings = settings
        self.state = state
        self.config = settings.cache_state
        # Recent routed decisions per tier, decayed (about the last 200): who reads a copy.
        self._demand: dict[Tier, float] = {}
        self._demand_lock = threading.Lock()
        self.outputs = OutputStats()

    def _note_demand(self, tier: Tier) -> dict[Tier, float]:
        """Count one routed decision for ``tier``; the share of recent ones per tier."""
        with self._demand_lock:
            for t in self._demand:
                self._demand[t] *= DEMAND_DECAY
            self._demand[tier] = self._demand.get(tier, 0.0) + 1.0
            total = sum(self._demand.values())
            return {t: n / total for t, n in self._demand.items()}

    def _prepared(
        self, request: Mapping[str, Any], tier: Tier, thinking_budget: int | None = None
    ) -> dict[str, Any]:
        """``request`` as it is sent to ``tier`` (cache points placed, the thinking budget
        applied as the planner applies it): the thinking settings key its message cache
        points, so an option priced without them would count a history cached under other
        settings as warm."""
        placed = place_cache_points(dict(request), self.settings.cache_policy(tier)).request
        return apply_thinking(placed, thinking_budget) if thinking_budget else placed

    def _min_tokens(self, tier: Tier) -> int:
        return self.settings.tier(tier).cache_min_tokens

    def _cacheable(self, request: Mapping[str, Any]) -> bool:
        caching = [t for t in Tier.ordered() if self.settings.tier(t).supports_caching]
        if self.settings.caching.mode == "off" or not caching:
            return False
        return count_request(request) >= min(self._min_tokens(t) for t in caching)

    def _output_tokens(self, request: Mapping[str, Any], decision: Decision) -> int:
        guess = self.outputs.answer(decision.task_class.name) or (
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
        nothing cacheable, or only one tier allowed). Allowed: from the quality policy's
        lowest tier for this request (``decision.lowest``, else the routed tier) up to the
        caller's ceiling."""
        if not self.config.enabled or not self._cacheable(request):
            return None
        h = hints or Hints()
        ceiling = h.max_tier or Tier.OPUS
        if h.force_tier is not None:
            return None
        floor = decision.lowest if decision.lowest is not None else decision.tier
        floor = min(floor, decision.tier, key=lambda t: t.rank)
        allowed = [t for t in Tier.ordered() if floor.rank <= t.rank <= ceiling.rank]
        allowed = allowed if decision.tier in allowed else [*allowed, decision.tier]
        conversation = conversation_key(request)
        current_name = self.state.conversation_tier(conversation) if conversation else None
        current = Tier(current_name) if current_name in {t.value for t in Tier} else None
        if current is not None and current not in allowed:
            current = None  # below what quality allows now, or above the caller's cap
        demand = self._note_demand(decision.tier)
        if len(allowed) < 2:
            return None

        # The thinking budget each option carries: the routed tier keeps the decision's; the
        # policy's lowest tier, when it is Sonnet held in for harder work, its own.
        thinking: dict[Tier, int] = {}
        if decision.thinking_budget:
            thinking[decision.tier] = decision.thinking_budget
        if decision.lowest is not None and decision.lowest_thinking_budget:
            thinking[decision.lowest] = decision.lowest_thinking_budget

        # How many more requests are expected on the request's longest cacheable prefix
        # within its TTL: a prefix many requests share is worth writing on the cheaper tier
        # once (see core.cache_aware.expected_reuse and expected_cost). Not in a
        # conversation: its prefix is read back by its own next turn, which extends it (the
        # rate of a chain of turns is no forecast of readers); stickiness weighs that turn.
        mine = prefixes(
            self._prepared(request, decision.tier, thinking.get(decision.tier)),
            self._min_tokens(decision.tier),
        )
        reuse = 0.0
        if mine and conversation is None:
            longest = mine[-1]
            ttl = TTL_SECONDS.get(longest.ttl, 300)
            count, age = self.state.seen(longest.key, ttl)
            reuse = expected_reuse(count, age, ttl, self.config.max_reuse)

        def warm(tier: Tier, points: Sequence[Prefix]) -> set[str]:
            return self.state.warm(self.settings.tier(tier).model_id, [p.key for p in points])

        return choose_tier(
            decision.tier,
            allowed,
            request,
            prepared=lambda tier: self._prepared(request, tier, thinking.get(tier)),
            min_tokens=self._min_tokens,
            warm=warm,
            rates=self.settings.rates,
            output_tokens=self._output_tokens(request, decision),
            current=current,
            confident=decision.task_class.confidence >= self.config.confidence,
            margin=self.config.margin,
            reuse=reuse,
            demand=demand,
            thinking=thinking,
            thinking_use=self.outputs.thinking_use(self.config.thinking_use),
            move_margin=self.config.move_margin,
            below_preferred=self.config.below_preferred,
        )

    def learn(
        self,
        request: Mapping[str, Any],
        tier: Tier | None,
        model_id: str,
        usage: Usage,
        *,
        task_class: str | None = None,
        thinking_budget: int | None = None,
    ) -> None:
        """Record what one answer left warm (from its reported cache reads and writes), the
        tier its conversation is on now, and (for a routed answer of ``task_class``) how
        long it was: the expected output of the class's next requests, and, for an answer
        that carried ``thinking_budget``, the share of that budget its thinking used."""
        if tier is None:
            return
        if task_class is not None and usage.output > 0:
            self.outputs.learn(
                task_class, usage.output, thinking_budget, plain_guess=self.config.output_tokens
            )
        read, written = usage.cache_read, usage.cache_write
        if read or written:
            prepared = self._prepared(request, tier, thinking_budget)
            points = prefixes(prepared, self._min_tokens(tier))
            self.state.mark(model_id, learned_prefixes(points, read, written))
        conversation = conversation_key(request)
        if conversation is not None:
            self.state.set_conversation_tier(conversation, tier.value)

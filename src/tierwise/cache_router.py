"""Cache-aware routing wired to settings and state: the pure rule is in
:mod:`tierwise.core.cache_aware`; this module feeds it the request as each tier would receive
it, the warm prefixes and the output learned per (task class, tier) from
:mod:`tierwise.cache_state`, and learns from every answer's usage (the engine's
:class:`~tierwise.engine.machine.Observe` effect, whatever door the request came in by).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tierwise.core.cache_aware import (
    TTL_SECONDS,
    CacheChoice,
    Prefix,
    choose_tier,
    conversation_key,
    expected_reuse,
    learned_prefixes,
    lookup_keys,
    prefixes,
)
from tierwise.core.caching import SharedPlacement, place_cache_points
from tierwise.core.hints import Hints
from tierwise.core.output_learning import (
    OutputEstimate,
    OutputPrior,
    estimate,
    observe,
    tally_keys,
)
from tierwise.core.pricing import Usage
from tierwise.core.rules import fit_thinking_budget
from tierwise.core.signals import thinking_conflict
from tierwise.core.thinking import apply_thinking
from tierwise.core.tiers import Tier
from tierwise.core.tokens import count_request

if TYPE_CHECKING:
    from tierwise.cache_state import CacheState
    from tierwise.config import Settings
    from tierwise.core.routing import Decision
    from tierwise.engine.machine import Observe

__all__ = ["CacheRouter"]

DEMAND_DECAY = 0.995


class CacheRouter:
    """Chooses among allowed tiers by expected cost and remembers what each model has warm."""

    def __init__(self, settings: Settings, state: CacheState) -> None:
        self.settings = settings
        self.state = state
        self.config = settings.cache_state
        # Recent routed decisions per tier, decayed (about the last 200): who reads a copy.
        self._demand: dict[Tier, float] = {}
        self._demand_lock = threading.Lock()

    @property
    def blocking(self) -> bool:
        """Whether learning may block (state in Redis): see ``engine.Observer``."""
        from tierwise.cache_state import MemoryCacheState

        return not isinstance(self.state, MemoryCacheState)

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
        return _with_thinking(placed, thinking_budget)

    def _min_tokens(self, tier: Tier) -> int:
        return self.settings.tier(tier).cache_min_tokens

    def _cacheable(self, request: Mapping[str, Any], tokens: int | None = None) -> bool:
        caching = [t for t in Tier.ordered() if self.settings.tier(t).supports_caching]
        if self.settings.caching.mode == "off" or not caching:
            return False
        if tokens is None:
            tokens = count_request(request)
        return tokens >= min(self._min_tokens(t) for t in caching)

    def _may_keep_thinking(
        self, decision: Decision, request: Mapping[str, Any], hints: Hints, budget: int | None
    ) -> bool:
        """Whether this turn may be sent with its conversation's thinking ``budget``: on by
        config, and only where the router itself could add a budget (see
        ``core.routing._thinking_block``): not for a latency-sensitive caller, a forced tool
        choice or a turn Claude would refuse with thinking (a prefill, a tool loop begun
        without it), nor over the caller's own thinking; and the same budget must fit the
        caller's ``maxTokens`` (a smaller one is other settings, so another cache)."""
        if not budget or not self.config.sticky_thinking or hints.latency_sensitive:
            return False
        seen = decision.signals
        if seen.get("forced_tool_choice") or seen.get("thinking_requested"):
            return False
        if thinking_conflict(request.get("messages") or ()):
            return False
        cap = (request.get("inferenceConfig") or {}).get("maxTokens")
        return fit_thinking_budget(budget, cap if isinstance(cap, int) else None) == budget

    def prior(self, decision: Decision | None) -> OutputPrior:
        """The configured expectation for a decision's class: ``short_output_tokens`` for a
        class whose default tier is Haiku, else ``output_tokens``; ``thinking_use``."""
        short = decision is not None and decision.class_tier is Tier.HAIKU
        return OutputPrior(
            self.config.short_output_tokens if short else self.config.output_tokens,
            self.config.thinking_use,
            self.config.output_prior_weight,
        )

    def expected(
        self, decision: Decision, tiers: Sequence[Tier], request: Mapping[str, Any]
    ) -> dict[Tier, OutputEstimate]:
        """Each tier's expected output for the decision's class: learned from answers (per
        class and tier, see :mod:`tierwise.core.output_learning`) on top of the prior, the
        answer capped at the request's ``maxTokens``."""
        name = decision.task_class.name
        keys = list(dict.fromkeys(k for t in tiers for k in tally_keys(name, t.value)))
        tallies = self.state.tallies(keys) if self.config.output_learning else {}
        prior = self.prior(decision)
        cap = (request.get("inferenceConfig") or {}).get("maxTokens")
        out: dict[Tier, OutputEstimate] = {}
        # Exploration needs learning: with it off, nothing would ever end it.
        explore = self.config.explore_answers if self.config.output_learning else 0
        for tier in tiers:
            guess = estimate(name, tier.value, tallies, prior, explore)
            if isinstance(cap, int) and 0 < cap < guess.answer_tokens:
                guess = replace(guess, answer_tokens=cap)
            out[tier] = guess
        return out

    def choose(
        self,
        decision: Decision,
        request: Mapping[str, Any],
        hints: Hints | None,
        *,
        tokens: int | None = None,
    ) -> CacheChoice | None:
        """:meth:`placed_choice`'s choice."""
        return self.placed_choice(decision, request, hints, tokens=tokens)[0]

    def placed_choice(
        self,
        decision: Decision,
        request: Mapping[str, Any],
        hints: Hints | None,
        *,
        tokens: int | None = None,
    ) -> tuple[CacheChoice | None, SharedPlacement | None]:
        """The cache-aware choice for a routed request, and the chosen tier's cache points
        as placed to price it (for the planner to send, not place again); (None, None)
        when the choice cannot matter (off, nothing cacheable, or only one tier allowed).

        Allowed: from the quality policy's lowest tier for this request
        (``decision.lowest``, else the routed tier) up to the caller's ceiling. ``tokens``:
        ``count_request(request)`` when the caller has it (the planner passes the
        decision's own count), else counted here."""
        if not self.config.enabled:
            return None, None
        if tokens is None:
            tokens = count_request(request)
        if not self._cacheable(request, tokens):
            return None, None
        h = hints or Hints()
        ceiling = h.max_tier or Tier.OPUS
        if h.force_tier is not None:
            return None, None
        floor = decision.lowest if decision.lowest is not None else decision.tier
        floor = min(floor, decision.tier, key=lambda t: t.rank)
        allowed = [t for t in Tier.ordered() if floor.rank <= t.rank <= ceiling.rank]
        allowed = allowed if decision.tier in allowed else [*allowed, decision.tier]
        # A tier whose model cannot take the request (its context window, its output limit)
        # is no option: moved there, the call would be refused (a 500k-token prompt moved
        # from a 1M-token Sonnet to a 200k Opus). The routed tier stays, to be refused
        # itself if it cannot take it either.
        left_out = {
            t: why
            for t in allowed
            if t is not decision.tier and (why := self.settings.tier_unfit(t, request, tokens))
        }
        allowed = [t for t in allowed if t not in left_out]
        conversation = conversation_key(request)
        stored = self.state.conversation_tier(conversation) if conversation else None
        current, current_thinking = _conversation_state(stored)
        if current is not None and current not in allowed:
            current = None  # below what quality allows now, or above the caller's cap
        if (
            current is None
            or not self.settings.tier(current).supports_thinking
            or not self._may_keep_thinking(decision, request, h, current_thinking)
        ):
            current_thinking = None
        demand = self._note_demand(decision.tier)
        if len(allowed) < 2:
            return None, None

        # The thinking budget each option carries: the routed tier keeps the decision's; the
        # policy's lowest tier, when it is Sonnet held in for harder work, its own.
        thinking: dict[Tier, int] = {}
        if decision.thinking_budget:
            thinking[decision.tier] = decision.thinking_budget
        if decision.lowest is not None and decision.lowest_thinking_budget:
            thinking[decision.lowest] = decision.lowest_thinking_budget

        # The request as sent to each option (tier, thinking budget), placed once: the
        # routed tier's is read here and again by choose_tier.
        placed: dict[tuple[Tier, int | None], dict[str, Any]] = {}

        def prepared(tier: Tier, budget: int | None) -> dict[str, Any]:
            key = (tier, budget or None)
            if key not in placed:
                placed[key] = self._prepared(request, tier, budget)
            return placed[key]

        # How many more requests are expected on the request's longest cacheable prefix
        # within its TTL: a prefix many requests share is worth writing on the cheaper tier
        # once (see core.cache_aware.expected_reuse and expected_cost). Not in a
        # conversation: its prefix is read back by its own next turn, which extends it (the
        # rate of a chain of turns is no forecast of readers); stickiness weighs that turn.
        # Each request as sent has its prefixes digested once: the reuse forecast reads the
        # routed tier's and choose_tier prices every option from them (a digest of every
        # point's prefix costs several placements). Keyed by the request object, kept with
        # it so that its id cannot be another's.
        digested: dict[tuple[int, int], tuple[Mapping[str, Any], list[Prefix]]] = {}

        def points_of(sent: Mapping[str, Any], min_tokens: int) -> list[Prefix]:
            key = (id(sent), min_tokens)
            kept = digested.get(key)
            if kept is None or kept[0] is not sent:
                kept = digested[key] = (sent, prefixes(sent, min_tokens))
            return kept[1]

        reuse = 0.0
        if conversation is None:
            mine = points_of(
                prepared(decision.tier, thinking.get(decision.tier)),
                self._min_tokens(decision.tier),
            )
            if mine:
                longest = mine[-1]
                ttl = TTL_SECONDS.get(longest.ttl, 300)
                count, age = self.state.seen(longest.key, ttl)
                reuse = expected_reuse(count, age, ttl, self.config.max_reuse)

        def warm(tier: Tier, points: Sequence[Prefix]) -> set[str]:
            # every position a read may find (each point's lookback window), not only the
            # points: a turn's one point reads the previous turn's entry through its window
            return self.state.warm(self.settings.tier(tier).model_id, lookup_keys(points))

        expected = self.expected(decision, allowed, request)

        choice = choose_tier(
            decision.tier,
            allowed,
            request,
            prepared=lambda tier: prepared(tier, thinking.get(tier)),
            min_tokens=self._min_tokens,
            warm=warm,
            rates=self.settings.rates,
            output_tokens=expected[decision.tier].answer_tokens,
            current=current,
            confident=decision.task_class.confidence >= self.config.confidence,
            margin=self.config.margin,
            reuse=reuse,
            demand=demand,
            thinking=thinking,
            thinking_use=self.config.thinking_use,
            move_margin=self.config.move_margin,
            below_preferred=self.config.below_preferred,
            expected=expected,
            current_thinking=current_thinking,
            prepared_thinking=prepared,
            total=tokens,
            points_of=points_of,
        )
        if left_out:
            unfit = "; ".join(f"{t.value} left out: {why}" for t, why in left_out.items())
            choice = replace(choice, reason=f"{choice.reason}; {unfit}")
        # Any budget's request carries the tier's placement: thinking changes other fields.
        sent = next((r for (t, _), r in placed.items() if t is choice.tier), None)
        policy = self.settings.cache_policy(choice.tier)
        return choice, None if sent is None else SharedPlacement.of(request, sent, policy)

    def observe(self, effect: Observe) -> None:
        """Learn from one settled answer (the engine's ``Observe`` effect)."""
        plan = effect.plan
        decision = plan.decision
        self.learn(
            effect.request,
            plan.tier,
            effect.model_id,
            effect.usage,
            task_class=decision.task_class.name if decision is not None else None,
            thinking_budget=plan.thinking_budget,
            thinking_tokens=effect.thinking_tokens,
            complete=effect.complete,
            decision=decision,
            placement=plan.placement,
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
        thinking_tokens: int | None = 0,
        complete: bool = True,
        decision: Decision | None = None,
        placement: SharedPlacement | None = None,
    ) -> None:
        """Record what one answer left warm (from its reported cache reads and writes), the
        tier its conversation is on now, and (for a ``complete`` routed answer of
        ``task_class``) its output on ``tier``: its answer tokens and, when it carried
        ``thinking_budget``, the share of that budget its thinking used
        (``thinking_tokens``, the part of the output that was thinking; None when not
        shown, then measured as the output beyond the class's expected answer).
        ``placement``: the plan's, when the choice placed ``request``'s points already."""
        if tier is None:
            return
        learning = self.config.output_learning
        if task_class is not None and learning and complete and usage.output > 0:
            expected = 0
            if thinking_budget and thinking_tokens is None:
                keys = list(tally_keys(task_class, tier.value))
                prior = self.prior(decision)
                expected = estimate(
                    task_class, tier.value, self.state.tallies(keys), prior
                ).answer_tokens
            seen = observe(usage.output, thinking_budget, thinking_tokens, expected)
            self.state.observe_output(
                tally_keys(task_class, tier.value), seen, self.config.output_window
            )
        read, written = usage.cache_read, usage.cache_write
        if read or written:
            policy = self.settings.cache_policy(tier)
            shared = None if placement is None else placement.apply(request, policy)
            prepared = (
                self._prepared(request, tier, thinking_budget)
                if shared is None
                else _with_thinking(shared, thinking_budget)
            )
            points = prefixes(prepared, self._min_tokens(tier))
            # Bedrock's tokenizer is not our estimate: its reported boundaries are matched
            # to the points through the call's own ratio, reported prompt over estimated.
            estimated = count_request(prepared)
            scale = usage.prompt_total / estimated if estimated > 0 else 1.0
            # A read with a write is matched among the entries that existed: asked before
            # this call's are marked (only then, a lookup per call that read and wrote).
            warm = self.state.warm(model_id, lookup_keys(points)) if read and written else set()
            learned = learned_prefixes(points, read, written, scale, warm)
            self.state.mark(model_id, learned)
        conversation = conversation_key(request)
        if conversation is not None:
            # With the thinking budget it was sent with: its history is cached under it.
            where = f"{tier.value}:{thinking_budget}" if thinking_budget else tier.value
            self.state.set_conversation_tier(conversation, where)


def _with_thinking(placed: dict[str, Any], budget: int | None) -> dict[str, Any]:
    return apply_thinking(placed, budget) if budget else placed


def _conversation_state(stored: str | None) -> tuple[Tier | None, int | None]:
    """The tier a conversation is on and the thinking budget its last turn was sent with,
    from its stored state ("sonnet", or "sonnet:8192" with thinking); unknown: (None, None)."""
    name, _, budget = (stored or "").partition(":")
    if name not in {t.value for t in Tier}:
        return None, None
    return Tier(name), int(budget) if budget.isdigit() and int(budget) > 0 else None

"""Planning: where a request goes (tier, profiles, why) and the request as sent there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tierwise.core.cache_aware import CacheChoice
from tierwise.core.caching import SharedPlacement, place_cache_points
from tierwise.core.catalog import foundation_model_id
from tierwise.core.hints import Hints
from tierwise.core.preflight import REFUSAL_MARGIN
from tierwise.core.regions import is_model_identifier, region_problem
from tierwise.core.routing import ClassScorer, Decision, DifficultyScorer, decide
from tierwise.core.sampling import (
    settle_adaptive_thinking,
    settle_long_context,
    settle_sampling,
)
from tierwise.core.thinking import DEFAULT_ANSWER_TOKENS, apply_thinking
from tierwise.core.tiers import Tier
from tierwise.core.tokens import count_request
from tierwise.errors import InvalidRequestError, ModelNotAvailableError, UnknownModelError

if TYPE_CHECKING:
    from tierwise.cache_router import CacheRouter
    from tierwise.config import Settings

__all__ = ["AUTO", "DEFAULT_ANSWER_TOKENS", "Plan", "Planner", "apply_thinking"]

AUTO = "auto"


@dataclass(frozen=True, slots=True)
class Plan:
    """Where a request goes: a tier (None for an unknown raw ID), its profiles, and why."""

    tier: Tier | None
    profiles: tuple[str, ...]
    reason: str
    decision: Decision | None = None
    # Shadow mode: what the router would have done; recorded, not acted on.
    shadow: Decision | None = None
    # Cache-aware routing: every allowed tier's expected cost and the one picked.
    cache: CacheChoice | None = None
    guardrail: str | None = None
    """``ID:VERSION`` of the request's Bedrock guardrail, for the ledger."""
    # The cache router's placement for this plan's tier, taken by ``Planner.prepare``
    # instead of placing the same points again (see ``SharedPlacement``).
    placement: SharedPlacement | None = field(default=None, repr=False, compare=False)
    _record: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def thinking_budget(self) -> int | None:
        """The extended-thinking budget of the plan's tier: the cache-aware option's when
        one was chosen (Sonnet held in for Opus-class work thinks), else the router's when
        the request goes to the routed tier."""
        if self.cache is not None and self.cache.tier is self.tier:
            return self.cache.thinking_budget
        d = self.decision
        return d.thinking_budget if d is not None and self.tier == d.tier else None

    def route_record(self) -> dict[str, Any]:
        """The explainable route record, built on first use and then the same dict for
        every reader of this plan: its ledger rows, the response's ``tierwise`` section and
        a capture. Readers serialise it and never change it. A record handed to the caller
        before the plan's last ledger row is written (a stream's opening section) must be a
        :meth:`build_route_record` of its own, or a caller's change would reach the ledger."""
        record = self._record
        if record is None:
            record = self.build_route_record()
            # The plan is frozen for its callers; the memo is not part of its value.
            object.__setattr__(self, "_record", record)
        return record

    def build_route_record(self) -> dict[str, Any]:
        """A new route record (what :meth:`route_record` keeps)."""
        if self.decision is not None:
            record = self.decision.to_dict()
            if self.reason != "routed":
                record["via"] = self.reason
            if self.cache is not None:
                record["cache"] = self.cache.to_dict()
                record["tier"] = self.cache.tier.value
                record["thinking_budget"] = self.cache.thinking_budget
                if self.cache.tier is not self.decision.tier or self.cache.sticky:
                    record["reasons"] = [*record.get("reasons", []), self.cache.reason]
        else:
            record = {"tier": self.tier.value if self.tier else None, "reasons": [self.reason]}
        if self.shadow is not None:
            record["shadow"] = self.shadow.to_dict()
        return record


def _decision_tokens(decision: Decision, request: Mapping[str, Any]) -> int | None:
    """``count_request(request)`` as the decision already counted it, so a request is
    counted once: the router counts the request with string content read as text blocks
    (``normalize_request``), so its count is this request's only when no ``system`` or
    message ``content`` is a string; otherwise None (the cache router counts it itself)."""
    if isinstance(request.get("system"), str):
        return None
    for message in request.get("messages") or ():
        if isinstance(message.get("content"), str):
            return None
    tokens = decision.signals.get("input_tokens")
    return tokens if isinstance(tokens, int) else None


class Planner:
    """Routing decisions and plans from the settings (and the learned scorer, if any)."""

    def __init__(
        self,
        settings: Settings,
        scorer: DifficultyScorer | None = None,
        class_scorer: ClassScorer | None = None,
        cache_router: CacheRouter | None = None,
    ) -> None:
        self.settings = settings
        self.scorer = scorer
        self.class_scorer = class_scorer
        self.cache_router = cache_router
        self.policy = settings.routing_policy()

    def _fitting(
        self, decision: Decision, request: Mapping[str, Any], hints: Hints | None
    ) -> Decision:
        """``decision`` moved up to the first tier whose model can take ``request`` when the
        routed tier's cannot (a prompt over its context window, a maxTokens above its
        output limit): routing is free to choose, and the call would be refused. Within
        the hints' ceiling; unchanged when no tier fits (the call is then refused before
        Bedrock, naming the routed model's window)."""
        tokens = decision.signals.get("input_tokens")
        if not isinstance(tokens, int):
            return decision
        why = self.settings.tier_unfit(decision.tier, request, tokens)
        if why is None:
            return decision
        ceiling = (hints or Hints()).max_tier or Tier.OPUS
        for tier in Tier.ordered():
            if not decision.tier.rank < tier.rank <= ceiling.rank:
                continue
            if self.settings.tier_unfit(tier, request, tokens) is None:
                thinks = self.settings.tier(tier).supports_thinking
                moved = f"moved up to {tier.value}: on {decision.tier.value}, {why}"
                return replace(
                    decision, tier=tier, reasons=(*decision.reasons, moved),
                    thinking_budget=decision.thinking_budget if thinks else None,
                )  # fmt: skip
        return decision

    def route(self, request: Mapping[str, Any], hints: Hints | None = None) -> Decision:
        """The routing decision for ``request`` (no model is called).

        Message content and ``system`` may be Converse block lists or plain strings; other
        types are an :class:`~tierwise.errors.InvalidRequestError`.
        """
        return decide(
            request,
            hints=hints,
            policy=self.policy,
            scorer=self.scorer,
            class_scorer=self.class_scorer,
        )

    def plan(
        self,
        model_id: str | None,
        request: Mapping[str, Any],
        hints: Hints | None = None,
        *,
        routing_mode: str | None = None,
    ) -> Plan:
        """Resolve ``modelId`` (``auto``/None, a tier name in any case, an alias such as
        ``claude-sonnet-4-5`` (``Settings.names``), or a raw ID) to a plan. A pinned tier, or
        a raw ID in a configured tier, outside the hints' bounds is a contradiction and
        refused, not silently obeyed one way or the other.

        In shadow mode (``routing_mode`` or ``[routing] mode``), the request keeps what it
        asked for (``auto`` gets ``default_tier`` within the hints) and the router's decision
        rides along in :attr:`Plan.shadow`, to be ledgered beside the real call."""
        asked = (model_id or AUTO).strip()
        target = self.settings.names.resolve(asked)
        via = f" (alias {asked})" if target is not None else ""
        name = (target or asked).lower()
        mode = routing_mode or self.settings.routing.mode
        if mode not in ("route", "shadow"):
            raise InvalidRequestError(
                f"routing mode {mode!r} is not known", hint="use 'route' or 'shadow'"
            )
        if mode == "shadow":
            decision = self.route(request, hints)
            if name == AUTO:
                h = hints or Hints()
                tier = self.settings.default_tier.clamp(h.min_tier, h.max_tier)
                reason = f"shadow mode: {tier.value} (the default tier), router not applied"
                return Plan(tier, self.profiles(tier), reason, shadow=decision)
            return replace(
                self.plan(model_id, request, hints, routing_mode="route"), shadow=decision
            )
        if name == AUTO:
            decision = self._fitting(self.route(request, hints), request, hints)
            choice, placement = (
                (None, None)
                if self.cache_router is None
                else self.cache_router.placed_choice(
                    decision, request, hints, tokens=_decision_tokens(decision, request)
                )
            )
            tier = decision.tier if choice is None else choice.tier
            return Plan(
                tier, self.profiles(tier), "routed" + via, decision, cache=choice,
                placement=placement,
            )  # fmt: skip
        try:
            tier = Tier(name)
        except ValueError:
            raw = (target or asked).strip()
            off = None if target is not None else self.settings.names.switched_off(raw)
            if off is not None:
                # Not a Bedrock model ID: say how to serve it instead of asking Bedrock.
                raise ModelNotAvailableError(
                    f"model {raw!r} is an {off.api} model name, and {off.api} names are off",
                    hint=f"set [model_names] {off.switch} = true in tierwise.toml to serve it "
                    f'as {off.target}, or add an alias: [aliases] "{raw}" = "{off.target}"',
                ) from None
            if not is_model_identifier(raw):
                # Bedrock would answer "The provided model identifier is invalid." after a
                # round trip and an error row: a mistyped tier or alias, said as one. (An
                # alias's target always has a valid shape: settings refuse others.)
                *first, last = [t.value for t in Tier.ordered() if t in self.settings.tiers]
                tiers = f"{', '.join(first)} or {last}" if first else last
                raise UnknownModelError(
                    f"model {raw!r} is not a tier, an alias or a Bedrock model ID",
                    base_hint=f"use auto (the router decides), {tiers}, an alias from "
                    "[aliases], or a Bedrock model or inference profile ID (provider.model, "
                    "e.g. global.anthropic.claude-sonnet-4-5-20250929-v1:0) or ARN",
                    model_id=raw,
                ) from None
            region = self.settings.region
            problem = region_problem(raw, region)
            if problem is not None:
                # Bedrock would answer "The provided model identifier is invalid.": said
                # here, with why, without a call or an error row.
                raise ModelNotAvailableError(
                    f"Bedrock in {region} (this client's Region) refuses model {raw!r}{via}: "
                    f"{problem}",
                    hint=f"use a global. profile, a profile of {region}'s geography or an ARN "
                    f"in {region}, or set `region` to the profile's Region",
                    model_id=raw,
                ) from None
            plan = Plan(
                self.settings.tier_of_model(raw), (raw,), "raw model ID passed through" + via
            )
        else:
            plan = Plan(tier, self.profiles(tier), f"pinned to {tier.value} by the caller{via}")
        _within_hints(model_id or "", plan.tier, hints)
        return plan

    def profiles(self, tier: Tier) -> tuple[str, ...]:
        ts = self.settings.tier(tier)
        return (ts.model_id, *ts.alternates)

    def settle_sampling(
        self, request: Mapping[str, Any], plan: Plan
    ) -> tuple[dict[str, Any], tuple[str, ...]]:
        """``request`` without what every model it may reach would refuse together
        (:func:`~tierwise.core.sampling.settle_sampling`): the plan's profiles and, as
        escalation and fallback may move it, every configured tier's."""
        models = list(plan.profiles)
        if plan.tier is not None:
            models += [m for t in Tier.ordered() for m in self.profiles(t)]
        settled, dropped = settle_sampling(request, models)
        # Adaptive thinking is settled per attempt (prepare); this reports the first one's.
        _, replaced = settle_adaptive_thinking(settled, plan.profiles, self._takes_adaptive)
        return settled, dropped + replaced

    def _takes_adaptive(self, model_id: str) -> bool:
        known = self.settings.models.get(foundation_model_id(model_id))
        return known is not None and "adaptive" in known.thinking

    def fitting(self, prepared: Mapping[str, Any], plan: Plan) -> Plan:
        """``plan`` sent only to the profiles whose model can take ``prepared`` (its context
        window, with :data:`REFUSAL_MARGIN`, and its output limit: a tier's alternates may be
        other models, and a failover to one that cannot ends in Bedrock's 400); the first
        profile's refusal (a :class:`~tierwise.errors.BedrockWouldRefuseError`) when none
        can. A model the settings do not describe is left to Bedrock. On-demand calls and
        batch jobs both check here, before anything is sent."""
        # The router counted this request already (the prepared one adds cache points,
        # which count nothing, and at most a schema tool): counted again only without it.
        routed = plan.decision.signals.get("input_tokens") if plan.decision is not None else None
        profiles = self.settings.fitting_profiles(
            plan.profiles,
            prepared,
            routed if isinstance(routed, int) else count_request(prepared),
            REFUSAL_MARGIN,
        )
        return plan if profiles == plan.profiles else replace(plan, profiles=profiles)

    def _takes_long_context(self, model_id: str) -> bool:
        # A model the settings do not describe is left to Bedrock, beta and all.
        known = self.settings.models.get(foundation_model_id(model_id))
        return known is None or known.long_context_beta

    def prepare(self, request: Mapping[str, Any], plan: Plan) -> dict[str, Any]:
        """The request as sent for ``plan``: cache points placed for its model, the
        decision's thinking budget, if any, and adaptive thinking replaced by a budget when
        this attempt's model has no adaptive mode (an escalation may reach one)."""
        prepared, _ = settle_adaptive_thinking(request, plan.profiles, self._takes_adaptive)
        prepared = settle_long_context(prepared, plan.profiles, self._takes_long_context)
        if plan.tier is not None:
            policy = self.settings.cache_policy(plan.tier)
            shared = None if plan.placement is None else plan.placement.apply(prepared, policy)
            prepared = place_cache_points(prepared, policy).request if shared is None else shared
        budget = plan.thinking_budget
        if budget:
            prepared = apply_thinking(prepared, budget)
        return prepared


def _within_hints(model_id: str, tier: Tier | None, hints: Hints | None) -> None:
    if tier is None or hints is None:
        return
    low, high = hints.min_tier, hints.max_tier
    if (high is not None and tier.rank > high.rank) or (low is not None and tier.rank < low.rank):
        bounds = f"{low.value if low else 'haiku'}..{high.value if high else 'opus'}"
        raise InvalidRequestError(
            f"model {model_id!r} is {tier.value}, outside the requested tiers {bounds}",
            hint="use model 'auto' to route within the bounds, or drop the tier hints",
        )

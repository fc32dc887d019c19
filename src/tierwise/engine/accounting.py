"""Pricing a call and writing up its ledger row (the row is stored by a driver, not here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tierwise.core.budgets import worst_case_usage
from tierwise.core.catalog import foundation_model_id
from tierwise.core.guardrails import INTERVENED, guardrail_charge, image_units_per_image
from tierwise.core.pricing import ServiceTier, Usage, price, service_tier_of
from tierwise.core.tiers import Tier
from tierwise.errors import DeadlineExceededError, TierwiseError
from tierwise.store.base import LedgerRow

if TYPE_CHECKING:
    from tierwise.config import Settings
    from tierwise.engine.plan import Plan

__all__ = ["Accountant"]


class Accountant:
    """Prices usage at a tier's rates and builds the ledger row of one model call."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # The most image units per image a guardrail trace has reported in this process (at
        # least 1). How many units an image makes is not sourced, and a hold counting fewer
        # than Bedrock bills lets a call pass it: once a trace shows more, the worst case
        # of every later hold counts that many (:meth:`Budgets._worst_guardrail`).
        self.image_units_per_image = 1

    def cost_of(
        self,
        tier: Tier | None,
        usage: Usage,
        *,
        batch: bool = False,
        model_id: str | None = None,
        service_tier: Any = None,
    ) -> Decimal:
        """Cost of ``usage`` at ``tier``'s prices, for the profile kind of ``model_id`` and
        the ``service_tier`` Bedrock served; an unknown raw model costs 0 (flagged)."""
        if tier is None:
            return Decimal(0)
        rates = self.settings.rates(tier)
        return price(usage, rates, batch=batch, model_id=model_id, service_tier=service_tier).total

    def worst_usage(self, profile: str, request: Mapping[str, Any]) -> Usage:
        """The most ``request`` (its ``maxTokens`` set) can use on one model: no more output
        than the model can produce (a ``maxTokens`` above its limit is refused by Bedrock
        unbilled, and must not be turned into a budget refusal that hides the real error)."""
        usage = worst_case_usage(request)
        limit = self.output_limit(profile)
        if limit is not None and usage.output > limit:
            return replace(usage, output=limit)
        return usage

    def output_limit(self, profile: str) -> int | None:
        """The most output the model behind ``profile`` can produce (None: not known)."""
        known = self.settings.models.get(foundation_model_id(profile))
        return None if known is None else known.max_output_tokens

    def dearest(
        self, tier: Tier | None, profiles: Sequence[str], request: Mapping[str, Any]
    ) -> tuple[Decimal, str, ServiceTier, Usage]:
        """The dearest way ``request`` could be served at its worst case: on any of
        ``profiles`` (their kinds are priced apart), at the service tier it asks for or
        Bedrock's default. Its cost, profile, service tier and usage: what a key's hold
        reserves, and what a call cut off before its usage arrived is charged (on the
        profile it was sent to, when that is known)."""
        asked = request.get("serviceTier")
        options = (
            (self.cost_of(tier, usage, model_id=profile, service_tier=served), profile,
             service_tier_of(served), usage)
            for profile in profiles
            for usage in (self.worst_usage(profile, request),)
            for served in (asked, None)
        )  # fmt: skip
        return max(options, key=lambda option: option[0])

    def failed_at_most(
        self,
        error: TierwiseError,
        tier: Tier | None,
        profiles: Sequence[str],
        request: Mapping[str, Any],
    ) -> Decimal:
        """The most a call that raised ``error`` is billed: its attempts' cost so far
        (``error.spent``) and, when the deadline ended it, what an attempt it may have cut
        off in flight is charged at most. That row is written only when the attempt ends,
        charged at its worst case (Bedrock may have billed it whole: the engine prices it
        on the profile it was sent to when known, else the dearest, as here). The error
        does not say whether one was in flight (the deadline may have passed between
        retries), so a cap counts it."""
        spent = Decimal(str((error.spent or {}).get("costUsd", 0)))
        if isinstance(error, DeadlineExceededError):
            sent = dict(request)
            inference = dict(sent.get("inferenceConfig") or {})
            if not inference.get("maxTokens"):  # as the cut attempt's row counts it
                inference["maxTokens"] = self.settings.budgets.default_max_tokens
                sent["inferenceConfig"] = inference
            spent += self.dearest(tier, profiles, sent)[0]
        return spent

    def row(
        self,
        request_id: str,
        plan: Plan,
        model_id: str,
        latency_ms: float,
        *,
        attempt: int = 1,
        usage: Usage | None = None,
        stop_reason: str | None = None,
        error: TierwiseError | None = None,
        api_key_id: str | None = None,
        rejection_reason: str | None = None,
        kind: str = "answer",
        service_tier: Any = None,
        estimated: str | None = None,
        request: Mapping[str, Any] | None = None,
        trace: Any = None,
    ) -> LedgerRow:
        """The priced, not yet stored, row of one model call.

        ``service_tier`` is the response's ``serviceTier``; a tier other than the default
        is kept in the row's metadata so reports re-price the row the same way.
        ``estimated`` says why the usage is an estimate. A guardrail's assessments are
        billed besides the model (per 1,000 text units per policy): priced from ``trace``
        (the response's), else estimated from ``request``'s text, they are part of
        ``cost_usd`` and itemised in the metadata (``guardrail_usd``, ``guardrail_units``,
        ``guardrail_estimate``). Bedrock bills only the policies the guardrail has (AWS,
        "How charges are calculated" in "How Amazon Bedrock Guardrails works"); without a
        trace they are known only as ``estimate_policies``, so every untraced row counts
        those, a call the deadline closed before Bedrock answered included (its usage, the
        worst case, brings the longest answer's units). Only a key's reservation, a cap that
        must hold whatever that list says, counts every priced policy."""
        tier = plan.tier or self.settings.tier_of_model(model_id)
        usage = usage or Usage()
        served = service_tier_of(service_tier)
        metadata: dict[str, Any] = {}
        if kind != "answer":
            metadata["kind"] = kind
        if served is not ServiceTier.DEFAULT:
            metadata["service_tier"] = served.value
        if tier is None:
            metadata["unpriced"] = "model is in no tier; add it to a tier to price it"
        if estimated is not None:
            metadata["estimated"] = True
            metadata["estimate"] = estimated
        if plan.guardrail is not None:
            metadata["guardrail"] = plan.guardrail
        if stop_reason == INTERVENED:
            metadata["guardrail_intervened"] = True
        guard_cost = Decimal(0)
        assessed = usage.total > 0 or stop_reason == INTERVENED or trace is not None
        # A self-verify check is sent without the answer's guardrail: only calls whose
        # request carried a guardrailConfig were assessed.
        guarded = plan.guardrail is not None and (request is None or "guardrailConfig" in request)
        if guarded and assessed:
            prices = self.settings.guardrails.prices
            charge = guardrail_charge(
                prices.per_thousand(),
                trace=trace,
                request=request,
                output_tokens=usage.output,
                input_blocked=stop_reason == INTERVENED and usage.output == 0,
                estimate_policies=prices.estimate_policies,
                image_price=prices.image,
            )
            guard_cost = charge.cost
            # Python ints: max() of a read and a write may lose a race to another thread's
            # larger figure only for one call; the next trace raises it again.
            self.image_units_per_image = max(
                self.image_units_per_image, image_units_per_image(trace, request)
            )
            metadata["guardrail_usd"] = format(charge.cost.normalize(), "f")
            metadata["guardrail_units"] = dict(charge.units)
            if charge.estimate is not None:
                metadata["guardrail_estimate"] = charge.estimate
            if charge.unpriced is not None:
                metadata["guardrail_unpriced"] = charge.unpriced
        if error is not None:
            status = "error"
        elif rejection_reason is not None:
            status = "rejected"
        else:
            status = "ok"
        return LedgerRow(
            id=None,
            ts=datetime.now(UTC),
            request_id=request_id,
            attempt=attempt,
            tier=tier.value if tier else None,
            model_id=model_id,
            input_tokens=usage.input,
            output_tokens=usage.output,
            cache_read_tokens=usage.cache_read,
            cache_write_5m_tokens=usage.cache_write_5m,
            cache_write_1h_tokens=usage.cache_write_1h,
            cost_usd=self.cost_of(tier, usage, model_id=model_id, service_tier=served) + guard_cost,
            latency_ms=latency_ms,
            status=status,
            error_class=None if error is None else type(error).__name__,
            stop_reason=stop_reason,
            batch=False,
            api_key_id=api_key_id,
            route=plan.route_record(),
            rejection_reason=rejection_reason,
            metadata=metadata or None,
        )

"""Key budgets inside the engine: each attempt reserves its worst case before it runs, and
its ledger row settles the reservation (charge the actual cost, release the rest) in one
transaction. The engine asks for this with the ``Reserve``/``Release`` effects and
``Record(row, hold)``; :class:`Budgets` is what a driver performs them with."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tierwise.core.guardrails import GuardrailCharge, guardrail_charge, guardrail_worst_case
from tierwise.core.pricing import ServiceTier
from tierwise.errors import InvalidRequestError, LedgerUnavailableError

if TYPE_CHECKING:
    from tierwise.core.pricing import Usage
    from tierwise.engine.accounting import Accountant
    from tierwise.engine.plan import Plan
    from tierwise.store.base import LedgerRow
    from tierwise.store.keys import Hold, KeyStore
    from tierwise.store.spool import Spool

__all__ = ["Budgets"]


class Budgets:
    """Reservations against the keys of ``store`` (blocking: database transactions)."""

    def __init__(self, store: KeyStore, accountant: Accountant, spool: Spool | None = None) -> None:
        self.store = store
        self.accountant = accountant
        self.settings = accountant.settings
        self.spool = spool

    def reserve(
        self,
        request_id: str,
        attempt: int,
        plan: Plan,
        request: Mapping[str, Any],
        api_key_id: str,
        *,
        kind: str = "answer",
    ) -> tuple[Hold | None, dict[str, Any]]:
        """Reserve the attempt's worst case against the key's budget before it runs (raises
        BudgetExceededError when it does not fit), and return the request as it must be
        sent: with ``maxTokens`` set, since without it the output, and so the worst case,
        would be unbounded. While the ledger database is unreachable (rows are spooling),
        ``[ledger] on_outage`` decides: "refuse" raises LedgerUnavailableError; "auto" (the
        default) does too for a key with a budget, which cannot be enforced without the
        database, and goes on unreserved for a key without one; "spool" goes on, reserving
        best-effort in this process (:meth:`KeyStore.reserve_locally`). Either way the key
        is charged when its spooled row is replayed."""
        sent = dict(request)
        inference = dict(sent.get("inferenceConfig") or {})
        if not inference.get("maxTokens"):
            inference["maxTokens"] = self.settings.budgets.default_max_tokens
            sent["inferenceConfig"] = inference
        if self.spool is not None and not self.spool.recover(self.store.db, self.store):
            return self._during_outage(request_id, attempt, plan, sent, api_key_id), sent
        try:
            return self._hold(request_id, attempt, plan, sent, api_key_id, kind), sent
        except LedgerUnavailableError:
            if self.spool is None:
                raise
            return self._during_outage(request_id, attempt, plan, sent, api_key_id), sent

    def _during_outage(
        self, request_id: str, attempt: int, plan: Plan, sent: dict[str, Any], api_key_id: str
    ) -> Hold | None:
        mode = self.settings.ledger.on_outage
        seen, budgeted = self.store.known_budget(api_key_id)
        if mode == "refuse" or (mode == "auto" and (budgeted or not seen)):
            raise LedgerUnavailableError(
                "the ledger database is unreachable, and a key's budget cannot be enforced "
                "without it",
                hint='retry shortly; [ledger] on_outage = "spool" serves keyed requests '
                "during an outage with budgets enforced best-effort in each gateway",
            )
        if mode == "auto":
            return None  # no budget to enforce: charged on replay
        guard = self._worst_guardrail(plan, sent)
        return self.store.reserve_locally(
            api_key_id, self._worst(plan, sent, guard), request_id=request_id,
            attempt=attempt, unpriced=self._unpriced(plan, guard),
        )  # fmt: skip

    def _hold(  # noqa: PLR0917
        self,
        request_id: str,
        attempt: int,
        plan: Plan,
        sent: dict[str, Any],
        api_key_id: str,
        kind: str,
    ) -> Hold:
        tier = plan.tier or self.settings.tier_of_model(plan.profiles[0])
        # An expired hold's row names the way its charge was priced (the dearest), so a
        # report re-pricing the row gets the same figure.
        model, profile, served, usage = self.accountant.dearest(tier, plan.profiles, sent)
        # The hold, a cap, counts every priced guardrail policy; a hold that expires
        # unsettled is charged only the guardrail's own (estimate_policies without a
        # trace), as Bedrock bills only the policies a guardrail has and an untraced or
        # deadline-cut row is charged. Both figures are fixed here, with the request at hand.
        guardrail = self._row_guardrail(plan, sent)
        itemised: dict[str, Any] = {}
        if guardrail is not None:
            itemised = {
                "guardrail_usd": format(guardrail.cost.normalize(), "f"),
                "guardrail_units": dict(guardrail.units),
                **({"guardrail_estimate": guardrail.estimate} if guardrail.estimate else {}),
                **({"guardrail_unpriced": guardrail.unpriced} if guardrail.unpriced else {}),
            }
        charge = model + (guardrail.cost if guardrail is not None else Decimal(0))
        worst = self._worst_guardrail(plan, sent)
        hold = self.store.reserve(
            api_key_id,
            model + (worst.cost if worst is not None else Decimal(0)),
            request_id=request_id,
            attempt=attempt,
            detail={
                "tier": tier.value if tier else None,
                "model_id": profile,
                **({} if served is ServiceTier.DEFAULT else {"service_tier": served.value}),
                "kind": kind,
                "usage": {
                    "input": usage.input,
                    "output": usage.output,
                    "cache_write_5m": usage.cache_write_5m,
                    "cache_write_1h": usage.cache_write_1h,
                },
                "charge_usd": format(charge.normalize(), "f"),
                **itemised,
            },
            ttl_s=self.settings.budgets.reservation_ttl_s,
            unpriced=self._unpriced(plan, worst),
        )
        return hold

    def _unpriced(self, plan: Plan, guard: GuardrailCharge | None) -> InvalidRequestError | None:
        """Why a key with a budget cannot be held against this attempt, if it cannot: a
        model no tier prices (its cost would read as 0), or images a guardrail's image
        content filter may bill while no image price is configured (none is sourced). A
        budget is a cap, so what it cannot count it refuses; other keys are served and the
        row flags what it left out."""
        if plan.tier is None and self.settings.tier_of_model(plan.profiles[0]) is None:
            return InvalidRequestError(
                f"model {plan.profiles[0]!r} is in no tier, so tierwise has no price for it "
                "and the key's budget cannot be held against it",
                hint="add the model to a tier (tiers.<tier>.alternates) to price it, or use a tier",
            )
        if guard is not None and guard.unpriced is not None:
            return InvalidRequestError(
                f"the request's guardrail may bill {guard.unpriced}, so the key's budget "
                "cannot be held against it",
                hint="set [guardrails.prices] image (US dollars per image unit, from the "
                "Amazon Bedrock pricing page for your Region; 0 if the guardrail has no "
                "image filter), or send the images without a guardrail",
            )
        return None

    def _worst(self, plan: Plan, sent: Mapping[str, Any], guard: GuardrailCharge | None) -> Decimal:
        """The attempt's worst-case cost: the dearest way it could be served
        (:meth:`Accountant.dearest`), and its guardrail's worst case ``guard``."""
        tier = plan.tier or self.settings.tier_of_model(plan.profiles[0])
        model = self.accountant.dearest(tier, plan.profiles, sent)[0]
        return model + (guard.cost if guard is not None else Decimal(0))

    def _worst_guardrail(self, plan: Plan, sent: Mapping[str, Any]) -> GuardrailCharge | None:
        """The part of :meth:`_worst` a guardrail's assessments bill: at worst every priced
        policy checks the prompt and the longest answer, and every image is assessed, at
        the most units per image a trace has reported (None without a guardrail)."""
        if "guardrailConfig" not in sent:
            return None
        prices = self.settings.guardrails.prices
        return guardrail_worst_case(
            prices.per_thousand(),
            request=sent,
            output_tokens=max(self._usage_on(p, sent).output for p in plan.profiles),
            image_price=prices.image,
            units_per_image=self.accountant.image_units_per_image,
        )

    def _row_guardrail(self, plan: Plan, sent: Mapping[str, Any]) -> GuardrailCharge | None:
        """What an expired hold's row is charged for the guardrail: its own policies
        (``estimate_policies``) on the prompt and the longest answer (None without one)."""
        if "guardrailConfig" not in sent:
            return None
        prices = self.settings.guardrails.prices
        return guardrail_charge(
            prices.per_thousand(),
            request=sent,
            output_tokens=max(self._usage_on(p, sent).output for p in plan.profiles),
            estimate_policies=prices.estimate_policies,
            image_price=prices.image,
        )

    def _usage_on(self, profile: str, sent: Mapping[str, Any]) -> Usage:
        return self.accountant.worst_usage(profile, sent)

    def spooled(self, hold: Hold, row: LedgerRow) -> None:
        """``row`` settling ``hold`` went to the spool: count it in the best-effort figures."""
        self.store.spooled(hold, row)

    def settle(self, hold: Hold, row: LedgerRow) -> int:
        """Write ``row``, charge its cost and release the rest of ``hold``; the row's id."""
        return self.store.settle(hold, row)

    def release(self, hold: Hold) -> None:
        """Give back a reservation whose call was never made."""
        self.store.release(hold)

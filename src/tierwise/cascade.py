"""The cascade: call a tier, judge the answer, and on rejection try the same request one up.

Quality escalation (a validator rejected the answer) and error fallback (a tier stayed
throttled or unavailable after retries and its alternate profiles) are separate decisions
with separate policies; both are bounded by the ceiling tier and ``max_attempts``. Every call,
including a self-verification call, is its own ledger row under one request id, so the chain
and its total cost can always be reconstructed, and the decision NOT to escalate is recorded
as plainly as the decision to.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn

from tierwise.core.deadline import Deadline
from tierwise.core.hints import Hints
from tierwise.core.pricing import Usage
from tierwise.core.structured import native_compatible, schema_from_spec, unwrap, with_schema
from tierwise.core.tiers import Tier
from tierwise.core.validators import (
    Validator,
    Verdict,
    judge,
    parse_verification,
    validators_from_spec,
    verification_request,
)
from tierwise.errors import (
    AnswerRejectedError,
    BudgetExceededError,
    DeadlineExceededError,
    ExhaustedError,
    InvalidRequestError,
    ThrottledError,
    TierwiseError,
    UnavailableError,
)

if TYPE_CHECKING:
    from tierwise.client import Plan, Tierwise
    from tierwise.store.keys import Hold

__all__ = ["Cascade", "Step", "ValidationSpec"]

ValidationSpec = Mapping[str, Any] | Sequence[Validator] | None
# Upstream codes that mean "this tier has no capacity now", as opposed to "this request fails".
_CAPACITY_CODES = frozenset(
    {"ThrottlingException", "ServiceUnavailableException", "InternalServerException",
     "ModelNotReadyException", "ServiceQuotaExceededException", "ModelTimeoutException"}
)  # fmt: skip


@dataclass(frozen=True)
class Step:
    """One call in the chain, as reported in ``response["tierwise"]["attempts"]``."""

    attempt: int
    kind: str  # "answer" or "self_verify"
    tier: str | None
    model_id: str
    outcome: str  # "accepted", "rejected", "error", "checked"
    reason: str
    cost_usd: Decimal
    ledger_id: int | None
    usage: Usage = field(default_factory=Usage)

    def to_dict(self) -> dict[str, Any]:
        return {
            "attempt": self.attempt,
            "kind": self.kind,
            "tier": self.tier,
            "modelId": self.model_id,
            "outcome": self.outcome,
            "reason": self.reason,
            "costUsd": str(self.cost_usd),
            "ledgerId": self.ledger_id,
            "usage": self.usage.to_converse(),
        }


def _is_capacity_error(exc: TierwiseError) -> bool:
    if isinstance(exc, ThrottledError | UnavailableError):
        return True
    return isinstance(exc, ExhaustedError) and exc.code in _CAPACITY_CODES


@dataclass
class Cascade:
    """How one request will run: validators, start tier, bounds and policies."""

    client: Tierwise
    plan: Plan
    validators: tuple[Validator, ...] = ()
    # The caller's JSON schema (structured output): shown to the model on every attempt.
    schema: Mapping[str, Any] | None = None
    self_verify: float | None = None
    escalate: bool = False
    start: Tier | None = None
    floor: Tier = Tier.HAIKU
    ceiling: Tier = Tier.OPUS
    max_attempts: int = 1
    on_error: str = "never"
    steps: list[Step] = field(default_factory=list)
    request_id: str = ""
    upstream_ms: float = 0.0
    #: The whole call's wall-clock bound (set by ``run``).
    deadline: Deadline = field(default_factory=lambda: Deadline(float("inf")))
    # Set when the caller has gone (a gateway client hung up): the attempt in flight still
    # completes and is ledgered, but no further attempt is started for nobody.
    cancel: threading.Event | None = None

    @classmethod
    def build(  # noqa: PLR0917 - mirrors converse's keyword set
        cls,
        client: Tierwise,
        plan: Plan,
        hints: Hints | None,
        validate: ValidationSpec,
        escalate: bool | None,
        cheap_first: bool | None,
    ) -> Cascade:
        policy = client.settings.escalation
        validators, threshold = _validators(validate)
        hints = hints or Hints()
        ceiling = policy.max_tier
        if hints.max_tier is not None and hints.max_tier.rank < ceiling.rank:
            ceiling = hints.max_tier
        floor = hints.min_tier or Tier.HAIKU
        wants = policy.enabled if escalate is None else escalate
        start = plan.tier
        cheap = policy.cheap_first if cheap_first is None else cheap_first
        if wants and start is not None and cheap:
            start = floor
        return cls(
            client=client,
            plan=plan,
            validators=validators,
            schema=schema_from_spec(validate),
            self_verify=threshold,
            escalate=wants and plan.tier is not None,
            start=start,
            floor=floor,
            ceiling=ceiling if plan.tier is None else max(ceiling, plan.tier, key=_rank),
            max_attempts=policy.max_attempts,
            on_error=policy.on_error,
        )

    # -- the loop --------------------------------------------------------------------

    def run(
        self, request: Mapping[str, Any], request_id: str, api_key_id: str | None
    ) -> dict[str, Any]:
        """Run the chain; returns the final Converse response with its ``tierwise`` section.
        An error that escapes carries ``request_id``, the id of the rows already ledgered."""
        self.request_id = request_id
        try:
            return self._attempts(request, request_id, api_key_id)
        except TierwiseError as exc:
            exc.request_id = request_id
            raise

    def _attempts(
        self, request: Mapping[str, Any], request_id: str, api_key_id: str | None
    ) -> dict[str, Any]:
        tier = self.start
        attempt = 0
        # The last answer, kept in case the key's budget cannot cover the next attempt.
        last: tuple[dict[str, Any], Plan, int | None, Verdict | None] | None = None
        while True:
            attempt += 1
            plan = self._plan_for(tier)
            if self.deadline.expired():
                if last is None:
                    raise self.deadline.error(f"before attempt {attempt}")
                self._not_escalated(f"the call's {self.deadline.total_s:g} s deadline passed")
                raise self._rejected(self._finish(*last))
            try:
                # Each attempt reserves its own worst case against the key's budget.
                hold, prepared = self.client.reserve(
                    request_id, attempt, plan, self.client.prepare(request, plan), api_key_id
                )
            except BudgetExceededError as refused:
                if last is None:
                    raise
                self._not_escalated(f"the key's budget cannot cover it ({refused.message})")
                raise self._rejected(self._finish(*last)) from None
            prepared, output_tool = self._ask_for_schema(prepared, plan)
            started = time.perf_counter()
            try:
                result = self.client.call_within(
                    self.deadline, self.client.bedrock.converse, plan.profiles, prepared,
                    late=partial(self._late, plan, attempt, hold, api_key_id, started),
                )  # fmt: skip
            except DeadlineExceededError:
                raise  # the attempt cut off is ledgered when it ends (_late)
            except TierwiseError as exc:
                self.upstream_ms += (time.perf_counter() - started) * 1000
                row = self.client.record_call(
                    request_id, plan, getattr(exc, "model_id", None) or plan.profiles[0],
                    (time.perf_counter() - started) * 1000, attempt=attempt, error=exc,
                    api_key_id=api_key_id, hold=hold,
                )  # fmt: skip
                self._add(attempt, "answer", row, "error", type(exc).__name__)
                fallback = self._fallback(tier, exc)
                if fallback is None or attempt >= self.max_attempts or self._cancelled():
                    raise
                tier = fallback
                continue
            except BaseException:
                self.client.release(hold)  # not a Bedrock answer or error: nothing billed
                raise
            self.upstream_ms += (time.perf_counter() - started) * 1000
            response = {k: v for k, v in result.response.items() if k != "ResponseMetadata"}
            if self.schema is not None:
                response = unwrap(response, output_tool, self.schema)
            try:
                verdict = self._judge(request, response, plan, request_id, attempt, api_key_id)
            except Exception as exc:
                self._judge_failed(exc, response, plan, result, attempt, api_key_id, hold)
            rejected = verdict is not None and not verdict.ok
            row = self.client.record_call(
                request_id, plan, result.model_id, result.latency_ms, attempt=attempt,
                usage=Usage.from_converse(response.get("usage") or {}),
                stop_reason=response.get("stopReason"), api_key_id=api_key_id,
                rejection_reason=verdict.reason if rejected and verdict else None,
                service_tier=response.get("serviceTier"), hold=hold,
            )  # fmt: skip
            outcome = "rejected" if rejected else "accepted"
            reason = verdict.reason if verdict is not None else "no validators"
            nxt = self._next_up(tier) if rejected and not self._cancelled() else None
            if rejected and (nxt is None or attempt >= self.max_attempts):
                reason += f"; not escalated: {self._why_not(tier, attempt)}"
            self._add(attempt, "answer", row, outcome, reason)
            if not rejected or nxt is None or attempt >= self.max_attempts:
                final = self._finish(response, plan, row.id, verdict)
                if rejected:
                    raise self._rejected(final)
                return final
            last = (response, plan, row.id, verdict)
            tier = nxt

    def _ask_for_schema(
        self, prepared: dict[str, Any], plan: Plan
    ) -> tuple[dict[str, Any], str | None]:
        """``prepared`` showing the caller's schema to ``plan``'s model, natively where the
        ``[structured_output]`` mode and the tier allow, else as a forced tool."""
        if self.schema is None:
            return prepared, None
        mode = self.client.settings.structured_output.mode
        supported = plan.tier is not None and (
            self.client.settings.tier(plan.tier).supports_structured_output
        )
        native = supported and (
            mode == "native" or (mode == "auto" and native_compatible(self.schema))
        )
        return with_schema(prepared, self.schema, native=native)

    def _rejected(self, final: dict[str, Any]) -> AnswerRejectedError:
        """The error for an answer still rejected when the cascade may go no further: a
        rejected answer is never handed over as a success. It carries the last answer
        (``exc.response``, with its ``tierwise`` section: every attempt and the total cost)."""
        info = final["tierwise"]
        last = next(s for s in reversed(self.steps) if s.kind == "answer")
        tiers = " -> ".join(s.tier or s.model_id for s in self.steps if s.kind == "answer")
        error = AnswerRejectedError(
            f"the answer was rejected ({last.reason}); tried {tiers}, cost ${info['costUsd']}",
            hint="escalate (--escalate / escalate=True), raise escalation.max_tier or "
            "escalation.max_attempts, or loosen the schema or validators",
        )
        error.response = final
        return error

    def _late(  # noqa: PLR0917
        self,
        plan: Plan,
        attempt: int,
        hold: Hold | None,
        api_key_id: str | None,
        started: float,
        outcome: Any,
    ) -> None:
        """Ledger an attempt the deadline cut off, once it ends: Bedrock bills it."""
        latency = (time.perf_counter() - started) * 1000
        cut = self.deadline.error("during this attempt")
        if isinstance(outcome, BaseException):
            error = outcome if isinstance(outcome, TierwiseError) else cut
            self.client.record_call(
                self.request_id, plan, plan.profiles[0], latency, attempt=attempt,
                error=error, api_key_id=api_key_id, hold=hold,
            )  # fmt: skip
            return
        response = outcome.response
        self.client.record_call(
            self.request_id, plan, outcome.model_id, latency, attempt=attempt,
            usage=Usage.from_converse(response.get("usage") or {}),
            stop_reason=response.get("stopReason"), error=cut, api_key_id=api_key_id,
            service_tier=response.get("serviceTier"), hold=hold,
        )  # fmt: skip

    def _not_escalated(self, why: str) -> None:
        """Add ``why`` to the last answer's reason: it stands, not escalated."""
        for i in range(len(self.steps) - 1, -1, -1):
            if self.steps[i].kind == "answer":
                step = self.steps[i]
                self.steps[i] = replace(step, reason=f"{step.reason}; not escalated: {why}")
                return

    def _judge_failed(  # noqa: PLR0917
        self,
        exc: Exception,
        response: Mapping[str, Any],
        plan: Plan,
        result: Any,
        attempt: int,
        api_key_id: str | None,
        hold: Hold | None = None,
    ) -> NoReturn:
        """A validator crashed on an answer: the answer was billed, so its row is written
        before the error leaves (as a 400 unless it is already a TierwiseError)."""
        row = self.client.record_call(
            self.request_id, plan, result.model_id, result.latency_ms, attempt=attempt,
            usage=Usage.from_converse(response.get("usage") or {}),
            stop_reason=response.get("stopReason"), api_key_id=api_key_id,
            service_tier=response.get("serviceTier"), hold=hold,
        )  # fmt: skip
        self._add(attempt, "answer", row, "error", f"validator failed: {type(exc).__name__}")
        if isinstance(exc, TierwiseError):
            raise exc
        raise InvalidRequestError(
            f"a validator failed on the answer ({type(exc).__name__}: {exc})",
            hint="check the response_format schema or the key's validators",
        ) from None

    def _plan_for(self, tier: Tier | None) -> Plan:
        from tierwise.client import Plan

        if tier is None or tier == self.plan.tier:
            return self.plan
        if not self.steps:
            reason = f"cheap first: starting at {tier.value}, the cheapest allowed tier"
        else:
            last = self.steps[-1]
            reason = f"escalated to {tier.value} after {last.outcome} on {last.tier}"
        plan = self.plan
        profiles = self.client.profiles(tier)
        return Plan(tier, profiles, reason, plan.decision, guardrail=plan.guardrail)

    def _judge(  # noqa: PLR0917
        self,
        request: Mapping[str, Any],
        response: dict[str, Any],
        plan: Plan,
        request_id: str,
        attempt: int,
        api_key_id: str | None,
    ) -> Verdict | None:
        if not self.validators and self.self_verify is None:
            return None
        verdict = judge(request, response, list(self.validators))
        if not verdict.ok or self.self_verify is None:
            return verdict
        try:
            hold, check = self.client.reserve(
                request_id, attempt, plan, verification_request(request, response), api_key_id,
                kind="self_verify",
            )  # fmt: skip
        except BudgetExceededError:
            return verdict  # a check the budget cannot cover is skipped, as a failed one
        started = time.perf_counter()
        try:
            result = self.client.bedrock.converse(plan.profiles, check, self.deadline)
        except TierwiseError as exc:
            self.upstream_ms += (time.perf_counter() - started) * 1000
            row = self.client.record_call(
                request_id, plan, plan.profiles[0], (time.perf_counter() - started) * 1000,
                attempt=attempt, error=exc, api_key_id=api_key_id, kind="self_verify", hold=hold,
            )  # fmt: skip
            self._add(attempt, "self_verify", row, "error", type(exc).__name__)
            return verdict  # a failed check is not a rejection of the answer
        self.upstream_ms += (time.perf_counter() - started) * 1000
        row = self.client.record_call(
            request_id, plan, result.model_id, result.latency_ms, attempt=attempt,
            usage=Usage.from_converse(result.response.get("usage") or {}),
            stop_reason=result.response.get("stopReason"), api_key_id=api_key_id,
            kind="self_verify", service_tier=result.response.get("serviceTier"), hold=hold,
        )  # fmt: skip
        checked = parse_verification(result.response, self.self_verify)
        self._add(attempt, "self_verify", row, "checked", checked.reason)
        return checked

    def _next_up(self, tier: Tier | None) -> Tier | None:
        if not self.escalate or tier is None:
            return None
        up = tier.up()
        return up if up is not None and up.rank <= self.ceiling.rank else None

    def _cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def _why_not(self, tier: Tier | None, attempt: int) -> str:
        if self._cancelled():
            return "the caller has gone"
        if not self.escalate:
            return "escalation is off for this request"
        if attempt >= self.max_attempts:
            return f"max_attempts {self.max_attempts} reached"
        return f"{tier.value if tier else 'raw model'} is the ceiling ({self.ceiling.value})"

    def _fallback(self, tier: Tier | None, exc: TierwiseError) -> Tier | None:
        if tier is None or self.on_error == "never" or not _is_capacity_error(exc):
            return None
        up = tier.up()
        if up is not None and up.rank <= self.ceiling.rank:
            return up
        down = tier.down()
        if self.on_error == "allow-any" and down is not None and down.rank >= self.floor.rank:
            return down
        return None

    def _add(self, attempt: int, kind: str, row: Any, outcome: str, reason: str) -> None:
        self.steps.append(
            Step(
                attempt,
                kind,
                row.tier,
                row.model_id,
                outcome,
                reason,
                row.cost_usd,
                row.id,
                row.usage,
            )
        )

    def _finish(
        self, response: dict[str, Any], plan: Plan, ledger_id: int | None, verdict: Verdict | None
    ) -> dict[str, Any]:
        final = self.steps[-1] if self.steps[-1].kind == "answer" else self.steps[-2]
        total = sum((s.cost_usd for s in self.steps), Decimal(0))
        response["tierwise"] = {
            "tier": final.tier,
            "modelId": final.model_id,
            "costUsd": str(total),
            "latencyMs": round(float(response.get("metrics", {}).get("latencyMs", 0)), 1),
            "ledgerId": ledger_id,
            "requestId": self.request_id,
            "route": plan.route_record(),
            "accepted": verdict is None or verdict.ok,
            "escalated": len({s.tier for s in self.steps if s.kind == "answer"}) > 1,
            "attempts": [s.to_dict() for s in self.steps],
            "upstreamMs": round(self.upstream_ms, 3),
        }
        return response


def _rank(tier: Tier) -> int:
    return tier.rank


def _validators(spec: ValidationSpec) -> tuple[tuple[Validator, ...], float | None]:
    """Validators and the self-verification threshold (None: no self-check) from a spec."""
    if spec is None:
        return (), None
    if isinstance(spec, Mapping):
        rest = {k: v for k, v in spec.items() if k != "self_verify"}
        verify = spec.get("self_verify")
        threshold: float | None = None
        if verify:
            threshold = float(verify.get("threshold", 0.7)) if isinstance(verify, Mapping) else 0.7
        return tuple(validators_from_spec(rest)), threshold
    if isinstance(spec, str | bytes):
        raise InvalidRequestError("validate must be a spec mapping or a list of validators")
    return tuple(spec), None

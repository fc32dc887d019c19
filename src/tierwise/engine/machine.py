"""The call engine's steps as a sans-IO machine: it decides, the drivers do the I/O.

:meth:`Engine.run` is a generator. It yields *effects* (:class:`Invoke` a model,
:class:`Record` a ledger row, tell the hooks :class:`BeforeAttempt` / :class:`AfterAttempt`)
and receives their results; it returns a :class:`Result` (an answer, judged, priced and
recorded) or, for a stream, an :class:`Opened` stream whose accounting
:meth:`Engine.finish_stream` (another small machine) does when the stream ends. Because the
machine never waits on anything itself, one implementation serves the sync and the async
drivers (:mod:`tierwise.engine.drivers`), streams and non-streams alike.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, NoReturn, Protocol, cast

from tierwise.core.deadline import Deadline
from tierwise.core.hints import Hints
from tierwise.core.metering import StreamMeter
from tierwise.core.output_learning import thinking_tokens
from tierwise.core.pricing import Usage
from tierwise.core.structured import native_compatible, schema_from_spec, unwrap, with_schema
from tierwise.core.tiers import Tier
from tierwise.core.validators import (
    Validator,
    Verdict,
    judge,
    parse_verification,
    self_verify_threshold,
    validators_from_spec,
    verification_request,
)
from tierwise.errors import (
    AnswerRejectedError,
    AttemptCutError,
    BudgetExceededError,
    InvalidRequestError,
    ParameterValidationError,
    TierwiseError,
    UpstreamError,
)

if TYPE_CHECKING:
    from tierwise.config import Settings
    from tierwise.engine.accounting import Accountant
    from tierwise.engine.plan import Plan, Planner
    from tierwise.store.base import LedgerRow

__all__ = [
    "AfterAttempt",
    "Attempt",
    "AttemptHooks",
    "BeforeAttempt",
    "Cancel",
    "Effect",
    "Engine",
    "Heed",
    "Invoke",
    "Lookout",
    "Observe",
    "Opened",
    "Record",
    "Release",
    "Reservation",
    "Reserve",
    "Result",
    "Settled",
    "Settlement",
    "Step",
    "ValidationSpec",
]

ValidationSpec = Mapping[str, Any] | Sequence[Validator] | None
Kind = Literal["answer", "self_verify"]


class Cancel(Protocol):
    """Set when the caller has gone (``threading.Event`` fits)."""

    def is_set(self) -> bool: ...


class Lookout:
    """A :class:`Cancel` the async engine brings up to date just before it reads it (a
    :class:`Heed`), instead of one something keeps current all along: the gateway's
    hang-up flag looks at whether its client has gone only when a fallback or an
    escalation would follow, where a task watching for the hang-up cost every call ~41 k
    instructions (bench/results/request_cpu.txt, section 23)."""

    __slots__ = ()

    async def look(self) -> None:
        """Update what :meth:`is_set` says; it must not raise."""
        raise NotImplementedError

    def is_set(self) -> bool:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Attempt:
    """One model call the engine is about to make: the per-attempt seam's subject."""

    number: int  # the answer attempt it belongs to, 1-based
    kind: Kind
    plan: Plan
    request: Mapping[str, Any]  # as sent: cache points placed, thinking applied
    request_id: str
    api_key_id: str | None = None
    stream: bool = False

    @property
    def tier(self) -> Tier | None:
        return self.plan.tier

    @property
    def profiles(self) -> tuple[str, ...]:
        return self.plan.profiles


@dataclass(frozen=True, slots=True)
class Settled:
    """What a driver reports for an :class:`Invoke`: an answer, an open stream or an error.

    ``elapsed_ms`` is the whole call's wall time (retries and failover included);
    ``latency_ms`` that of the call that answered, as the ledger records it.
    """

    model_id: str
    elapsed_ms: float
    latency_ms: float
    response: dict[str, Any] | None = None
    stream: Any = None
    error: TierwiseError | None = None
    failed_profiles: tuple[str, ...] = ()
    cut: bool = False  # the deadline cut the call off; its row comes when it ends


@dataclass(frozen=True, slots=True)
class Settlement:
    """How an attempt ended: its priced ledger row (with its id) and its error, if any."""

    attempt: Attempt
    row: LedgerRow
    error: TierwiseError | None = None

    @property
    def usage(self) -> Usage:
        return self.row.usage

    @property
    def cost_usd(self) -> Decimal:
        return self.row.cost_usd


@dataclass(frozen=True, slots=True)
class Invoke:
    """Call Bedrock for ``attempt`` (open a stream if ``attempt.stream``) within
    ``deadline``; send back a :class:`Settled`. Errors are reported in it, not raised. If
    the deadline cuts the call off, report ``Settled(error=DeadlineExceededError,
    cut=True)`` at once and, when the call ends, store ``late(outcome, latency_ms)`` (the
    row Bedrock's bill needs) with ``hold``."""

    attempt: Attempt
    deadline: Deadline
    late: Callable[[Any, float], LedgerRow] | None = None
    hold: Any = None


@dataclass(frozen=True, slots=True)
class Record:
    """Store ``row`` in the ledger; send back the row with its id. With the attempt's
    reservation ``hold``, the same transaction charges the key and releases the rest."""

    row: LedgerRow
    hold: Any = None


@dataclass(frozen=True, slots=True)
class Reserve:
    """Reserve ``attempt``'s worst case against its key's budget; send back a
    :class:`Reservation` (raise ``BudgetExceededError`` when it does not fit)."""

    attempt: Attempt


@dataclass(frozen=True, slots=True)
class Reservation:
    """A reservation (``hold``; None where there is no budget to hold) and the request as
    it must be sent under it (its output bounded)."""

    hold: Any
    request: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Release:
    """Give back ``hold``: its call was never made."""

    hold: Any


@dataclass(frozen=True, slots=True)
class BeforeAttempt:
    """Tell the hooks an attempt is about to start; a hook may refuse it by raising."""

    attempt: Attempt
    deadline: Deadline


@dataclass(frozen=True, slots=True)
class AfterAttempt:
    """Tell the hooks an attempt has settled (for a stream: when it ended)."""

    settlement: Settlement


@dataclass(frozen=True, slots=True)
class Heed:
    """The machine is about to read ``cancel`` (to decide on a fallback or an escalation):
    a :class:`Lookout` is brought up to date first. Answered with None."""

    cancel: Cancel


@dataclass(frozen=True)
class Observe:
    """An answer has settled: what cache-aware routing learns from it (the prefixes it left
    warm on its model, the tier its conversation is on, and, for a ``complete`` answer, its
    output and the share of its thinking budget used). Every door (sync or async, stream or
    not) ends here, so each learns the same. Answered with None; never fails a request."""

    request: Mapping[str, Any]  # as the caller sent it, before the tier's preparation
    plan: Plan
    model_id: str
    usage: Usage
    # The part of the output that was thinking, from the reasoning that came back (None:
    # not shown, e.g. redacted).
    thinking_tokens: int | None
    complete: bool = True


Effect = Invoke | Record | Reserve | Release | BeforeAttempt | AfterAttempt | Observe | Heed


class AttemptHooks(Protocol):
    """The per-attempt seam. ``before_attempt`` runs before every model call (answers and
    self-checks), and may raise a :class:`~tierwise.errors.TierwiseError` to refuse it (the
    request then fails with that error, after the rows of earlier attempts); ``after_attempt``
    runs once the call has settled and its row is stored, whatever the outcome. Both may
    block (the async driver runs them in a worker thread)."""

    def before_attempt(self, attempt: Attempt, deadline: Deadline) -> None: ...

    def after_attempt(self, settlement: Settlement) -> None: ...


@dataclass(frozen=True)
class Step:
    """One call in the chain, as reported in the ``attempts`` of the summary."""

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


@dataclass(frozen=True)
class Result:
    """A finished request: the final answer and every call made for it.

    ``response`` is the Converse response (empty for a stream, whose events went to the
    caller). The ``tierwise`` dict callers see is made from it by :meth:`summary`, at the
    edge only.
    """

    response: dict[str, Any]
    request_id: str
    plan: Plan
    steps: tuple[Step, ...]
    accepted: bool
    ledger_id: int | None
    upstream_ms: float
    latency_ms: float
    failed_profiles: tuple[str, ...] = ()
    usage: Usage | None = None  # a stream's usage (a Converse answer has it in response)
    dropped: tuple[str, ...] = ()  # request fields no reachable model would accept
    api_key_id: str | None = None

    @property
    def final(self) -> Step:
        return next(s for s in reversed(self.steps) if s.kind == "answer")

    @property
    def tier(self) -> str | None:
        return self.final.tier

    @property
    def model_id(self) -> str:
        return self.final.model_id

    @property
    def cost_usd(self) -> Decimal:
        return sum((s.cost_usd for s in self.steps), Decimal(0))

    @property
    def escalated(self) -> bool:
        return len({s.tier for s in self.steps if s.kind == "answer"}) > 1

    def summary(self) -> dict[str, Any]:
        """The ``tierwise`` section of a response (the public, dict-shaped view)."""
        info: dict[str, Any] = {
            "tier": self.tier,
            "modelId": self.model_id,
            "costUsd": str(self.cost_usd),
            "latencyMs": round(self.latency_ms, 1),
            "ledgerId": self.ledger_id,
            "requestId": self.request_id,
            "route": self.plan.route_record(),
            "accepted": self.accepted,
            "escalated": self.escalated,
            "attempts": [s.to_dict() for s in self.steps],
            "upstreamMs": round(self.upstream_ms, 3),
        }
        if self.usage is not None:
            info["failedProfiles"] = list(self.failed_profiles)
            info["usage"] = self.usage.to_converse()
        if self.dropped:
            info["dropped"] = list(self.dropped)
        return info

    def to_response(self) -> dict[str, Any]:
        """The Converse response with its ``tierwise`` section."""
        return {**self.response, "tierwise": self.summary()}


@dataclass(frozen=True)
class Opened:
    """A stream whose first event has arrived (``settled.stream``): not yet accounted."""

    attempt: Attempt
    settled: Settled
    upstream_ms: float
    dropped: tuple[str, ...] = ()
    hold: Any = None
    # The request as the caller sent it (what the answer is learned against).
    source: Mapping[str, Any] = field(default_factory=dict)

    @property
    def stream(self) -> Any:
        return self.settled.stream

    def summary(self) -> dict[str, Any]:
        """What is known before the first byte leaves: tier, model, route, request id."""
        plan = self.attempt.plan
        info: dict[str, Any] = {
            "tier": plan.tier.value if plan.tier else None,
            "modelId": self.settled.model_id,
            "requestId": self.attempt.request_id,
            # The caller holds this section while the stream runs, and the stream's ledger
            # row is written from the plan's shared record after it: a copy of their own
            # (building one costs what copying the shared one would).
            "route": plan.build_route_record(),
            "upstreamMs": round(self.upstream_ms, 3),
        }
        if self.dropped:
            info["dropped"] = list(self.dropped)
        return info


@dataclass
class Engine:
    """One request's run: its plan, validators, bounds and policies, and its progress.

    Build it with :meth:`build`; drive :meth:`run` with a driver. Quality escalation (a
    validator rejected the answer) and error fallback (a tier stayed out of capacity after
    retries and its alternate profiles) are separate decisions with separate policies, both
    bounded by the ceiling tier and ``max_attempts``. Every call, self-checks included, is
    its own ledger row under one request id, and the decision NOT to escalate is recorded as
    plainly as the decision to.
    """

    planner: Planner
    accountant: Accountant
    plan: Plan
    request_id: str
    api_key_id: str | None = None
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
    stream: bool = False
    dropped: tuple[str, ...] = ()
    deadline: Deadline = field(default_factory=lambda: Deadline(float("inf")))
    # Set when the caller has gone (a gateway client hung up): the attempt in flight still
    # completes and is ledgered, but no further attempt is started for nobody.
    cancel: Cancel | None = None
    steps: list[Step] = field(default_factory=list)
    upstream_ms: float = 0.0

    @classmethod
    def build(
        cls,
        planner: Planner,
        accountant: Accountant,
        plan: Plan,
        *,
        request_id: str,
        hints: Hints | None = None,
        validate: ValidationSpec = None,
        escalate: bool | None = None,
        cheap_first: bool | None = None,
        api_key_id: str | None = None,
        stream: bool = False,
        deadline: Deadline | None = None,
        cancel: Cancel | None = None,
        dropped: Sequence[str] = (),
    ) -> Engine:
        settings: Settings = planner.settings
        policy = settings.escalation
        validators, threshold = _validators(validate, policy.self_verify_threshold)
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
            planner=planner,
            accountant=accountant,
            plan=plan,
            request_id=request_id,
            api_key_id=api_key_id,
            validators=validators,
            schema=schema_from_spec(validate),
            self_verify=threshold,
            escalate=wants and plan.tier is not None,
            start=start,
            floor=floor,
            ceiling=ceiling if plan.tier is None else max(ceiling, plan.tier, key=_rank),
            max_attempts=policy.max_attempts,
            on_error=policy.on_error,
            stream=stream,
            dropped=tuple(dropped),
            deadline=deadline or Deadline(float("inf")),
            cancel=cancel,
        )

    @property
    def judged(self) -> bool:
        """Whether answers are judged before anyone sees them (so a stream is buffered)."""
        return bool(self.validators) or self.self_verify is not None

    # -- the machines ------------------------------------------------------------------

    def run(self, request: Mapping[str, Any]) -> Generator[Effect, Any, Result | Opened]:
        """Plan, place cache points, attempt, judge, escalate or fall back, price, record.

        Returns a :class:`Result`, or an :class:`Opened` stream when the request streams
        unjudged. An error that escapes carries ``request_id``, the id of the rows already
        ledgered, and ``billed`` when one of them was billed (a rejected answer before a
        failed escalation, say): the gateway then tells SDKs not to send it again."""
        try:
            return (yield from self._attempts(request))
        except TierwiseError as exc:
            exc.request_id = self.request_id
            exc.billed = exc.billed or any(s.usage.total > 0 or s.cost_usd > 0 for s in self.steps)
            if self.steps and exc.spent is None:
                last = self._last_answer()
                exc.spent = {
                    "tier": last.tier,
                    "modelId": last.model_id,
                    "requestId": self.request_id,
                    "attempts": [s.to_dict() for s in self.steps],
                    "costUsd": str(sum((s.cost_usd for s in self.steps), Decimal(0))),
                }
            raise

    def finish_stream(
        self,
        opened: Opened,
        *,
        usage: Usage,
        stop_reason: str | None,
        error: TierwiseError | None,
        latency_ms: float,
        service_tier: Any = None,
        estimated: str | None = None,
        abandoned: bool = False,
        thinking_tokens: int | None = 0,
        trace: Any = None,
    ) -> Generator[Effect, Any, Result]:
        """Price and record a stream that has ended (read to its end, failed or abandoned;
        ``estimated`` says why its usage is an estimate; ``thinking_tokens``, the part of
        its output that was thinking, None when not shown)."""
        attempt = opened.attempt
        row = yield from self._settle(
            attempt,
            opened.settled.model_id,
            latency_ms,
            hold=opened.hold,
            usage=usage,
            stop_reason="client_closed"
            if abandoned
            else stop_reason or ("error" if error else "client_closed"),
            error=error,
            service_tier=service_tier,
            estimated=estimated,
            trace=trace,
        )
        outcome = "error" if error is not None else "accepted"
        reason = type(error).__name__ if error is not None else "no validators"
        self._add(attempt.number, "answer", row, outcome, reason)
        # A stream cut short says nothing about how long the class's answers are; what it
        # wrote to the cache is still warm.
        whole = error is None and not abandoned and estimated is None
        yield Observe(
            opened.source, attempt.plan, opened.settled.model_id, row.usage, thinking_tokens,
            complete=whole,
        )  # fmt: skip
        return Result(
            response={},
            request_id=self.request_id,
            plan=attempt.plan,
            steps=tuple(self.steps),
            accepted=error is None,
            ledger_id=row.id,
            upstream_ms=self.upstream_ms,
            latency_ms=row.latency_ms,
            failed_profiles=opened.settled.failed_profiles,
            usage=row.usage,
            dropped=self.dropped,
            api_key_id=self.api_key_id,
        )

    # -- the steps ---------------------------------------------------------------------

    def _attempts(self, request: Mapping[str, Any]) -> Generator[Effect, Any, Result | Opened]:
        tier = self.start
        number = 0
        streaming = self.stream and not self.judged
        # The last answer, kept in case the key's budget cannot cover the next attempt.
        last: tuple[dict[str, Any], Plan, int | None, Verdict | None] | None = None
        failed_over: list[str] = []  # tiers left for the next one up by [escalation] on_error
        failure: TierwiseError | None = None  # the error the last attempt's tier was left for
        while True:
            number += 1
            plan = self._plan_for(tier)
            if self.deadline.expired():
                if last is None:
                    raise self.deadline.error(f"before attempt {number}")
                self._not_escalated(f"the call's {self.deadline.total_s:g} s deadline passed")
                raise self._rejected(self._result(*last))
            # The caller's schema is part of the prompt (a tool definition, and Claude's
            # tool-use system prompt with it): shown before the reservation, which bounds
            # the prompt as sent.
            prepared, output_tool = self._ask_for_schema(self.planner.prepare(request, plan), plan)
            try:
                fitted = self.planner.fitting(prepared, plan)
            except InvalidRequestError as refused:
                if failure is not None:
                    # [escalation] on_error moved the request to a tier that cannot take it:
                    # the failure it was moved for stands (a refusal naming the new tier's
                    # window would hide it).
                    failure.message = f"{failure.message}; not moved to {tier}: {refused.message}"
                    raise failure from None
                if last is None:
                    raise
                self._not_escalated(refused.message)
                raise self._rejected(self._result(*last)) from None
            if fitted is not plan:
                # Prepared again for the profiles left (adaptive thinking is settled on them).
                plan = fitted
                prepared, output_tool = self._ask_for_schema(
                    self.planner.prepare(request, plan), plan
                )
            attempt = Attempt(
                number, "answer", plan, prepared, self.request_id, self.api_key_id,
                stream=streaming,
            )  # fmt: skip
            try:
                # Each attempt reserves its own worst case against the key's budget.
                hold, attempt = yield from self._reserve(attempt)
            except BudgetExceededError as refused:
                if last is None:
                    raise
                self._not_escalated(f"the key's budget cannot cover it ({refused.message})")
                raise self._rejected(self._result(*last)) from None
            settled = yield from self._invoke(attempt, hold)
            if settled.cut:
                cut = cast(TierwiseError, settled.error)  # ledgered when it ends (Invoke.late)
                # The attempt was sent and is charged when it ends: a retry pays again.
                cut.billed = True
                raise cut
            if isinstance(settled.error, ParameterValidationError):
                # Refused by botocore before sending: a $0 error row would read as a call
                # Bedrock answered with an error (spend counts it a request without an
                # answer); pre-flight refusals leave no row either.
                if hold is not None:
                    yield Release(hold)
                raise settled.error
            if settled.error is not None:
                exc = settled.error
                row = yield from self._settle_failed(attempt, settled, exc, hold)
                self._add(number, "answer", row, "error", type(exc).__name__)
                fallback = self._fallback(tier, exc)
                if fallback is not None and number < self.max_attempts:
                    yield from self._heed()
                if fallback is None or number >= self.max_attempts or self._cancelled():
                    if failed_over:
                        # The error is the last tier's: without this, a request pinned to
                        # haiku reads as if only opus had been tried.
                        exc.message = (
                            f"{' and '.join(failed_over)} failed first ([escalation] on_error "
                            f"= {self.on_error!r} moved the request up); {exc.message}"
                        )
                    raise exc
                if tier is not None:
                    failed_over.append(tier.value)
                tier, failure = fallback, exc
                continue
            if streaming:
                return Opened(attempt, settled, self.upstream_ms, self.dropped, hold, request)
            response = settled.response or {}
            if self.schema is not None:
                response = unwrap(response, output_tool, self.schema)
            try:
                verdict = yield from self._judge(request, response, plan, number)
            except Exception as exc:
                yield from self._judge_failed(exc, response, attempt, settled, hold)
            rejected = verdict is not None and not verdict.ok
            row = yield from self._settle_answer(
                attempt, settled, response, hold,
                rejection_reason=verdict.reason if rejected and verdict else None,
            )  # fmt: skip
            content = ((response.get("output") or {}).get("message") or {}).get("content") or ()
            yield Observe(
                request, plan, settled.model_id, row.usage,
                thinking_tokens(row.usage.output, content),
            )  # fmt: skip
            outcome = "rejected" if rejected else "accepted"
            reason = verdict.reason if verdict is not None else "no validators"
            if rejected:
                yield from self._heed()
            nxt = self._next_up(tier) if rejected and not self._cancelled() else None
            if rejected and (nxt is None or number >= self.max_attempts):
                reason += f"; not escalated: {self._why_not(tier, number)}"
            self._add(number, "answer", row, outcome, reason)
            if not rejected or nxt is None or number >= self.max_attempts:
                result = self._result(response, plan, row.id, verdict)
                if rejected:
                    raise self._rejected(result)
                return result
            last = (response, plan, row.id, verdict)
            tier, failure = nxt, None

    def _result(
        self, response: dict[str, Any], plan: Plan, ledger_id: int | None, verdict: Verdict | None
    ) -> Result:
        return Result(
            response=response,
            request_id=self.request_id,
            plan=plan,
            steps=tuple(self.steps),
            accepted=verdict is None or verdict.ok,
            ledger_id=ledger_id,
            upstream_ms=self.upstream_ms,
            latency_ms=float(response.get("metrics", {}).get("latencyMs", 0)),
            dropped=self.dropped,
            api_key_id=self.api_key_id,
        )

    def _reserve(self, attempt: Attempt) -> Generator[Effect, Any, tuple[Any, Attempt]]:
        """Reserve ``attempt`` against its key's budget (none without a key)."""
        if attempt.api_key_id is None:
            return None, attempt
        reservation: Reservation = yield Reserve(attempt)
        return reservation.hold, replace(attempt, request=reservation.request)

    def _not_escalated(self, why: str) -> None:
        """Add ``why`` to the last answer's reason: it stands, not escalated."""
        for i in range(len(self.steps) - 1, -1, -1):
            if self.steps[i].kind == "answer":
                step = self.steps[i]
                self.steps[i] = replace(step, reason=f"{step.reason}; not escalated: {why}")
                return

    def _ask_for_schema(
        self, prepared: dict[str, Any], plan: Plan
    ) -> tuple[dict[str, Any], str | None]:
        """``prepared`` showing the caller's schema to ``plan``'s model, natively where the
        ``[structured_output]`` mode and the tier allow, else as a forced tool."""
        if self.schema is None:
            return prepared, None
        settings = self.planner.settings
        mode = settings.structured_output.mode
        supported = plan.tier is not None and settings.tier(plan.tier).supports_structured_output
        native = supported and (
            mode == "native" or (mode == "auto" and native_compatible(self.schema))
        )
        return with_schema(prepared, self.schema, native=native)

    def _rejected(self, result: Result) -> AnswerRejectedError:
        """The error for an answer still rejected when the cascade may go no further: a
        rejected answer is never handed over as a success. It carries the last answer
        (``exc.response``, with its ``tierwise`` section: every attempt and the total cost)."""
        last = result.final
        tiers = " -> ".join(s.tier or s.model_id for s in self.steps if s.kind == "answer")
        error = AnswerRejectedError(
            f"the answer was rejected ({last.reason}); tried {tiers}, cost ${result.cost_usd}",
            hint="escalate (--escalate / escalate=True), raise escalation.max_tier or "
            "escalation.max_attempts, or loosen the schema or validators",
        )
        error.response = result.to_response()
        return error

    def _invoke(self, attempt: Attempt, hold: Any = None) -> Generator[Effect, Any, Settled]:
        late = partial(self._late_row, attempt)
        try:
            yield BeforeAttempt(attempt, self.deadline)
            settled: Settled = yield Invoke(attempt, self.deadline, late, hold)
        except BaseException:
            # Not a Bedrock answer or error (a refusing hook, a cancelled task): nothing
            # was billed, so the reservation is given back.
            if hold is not None:
                yield Release(hold)
            raise
        self.upstream_ms += settled.elapsed_ms
        return settled

    def _settle(
        self,
        attempt: Attempt,
        model_id: str,
        latency_ms: float,
        *,
        usage: Usage | None = None,
        stop_reason: str | None = None,
        error: TierwiseError | None = None,
        rejection_reason: str | None = None,
        service_tier: Any = None,
        hold: Any = None,
        estimated: str | None = None,
        trace: Any = None,
    ) -> Generator[Effect, Any, LedgerRow]:
        """Price and record one call, then tell the hooks it has settled."""
        row = self.accountant.row(
            self.request_id, attempt.plan, model_id, latency_ms, attempt=attempt.number,
            usage=usage, stop_reason=stop_reason, error=error, api_key_id=self.api_key_id,
            rejection_reason=rejection_reason, kind=attempt.kind, service_tier=service_tier,
            estimated=estimated, request=attempt.request, trace=trace,
        )  # fmt: skip
        try:
            stored: LedgerRow = yield Record(row, hold)
        except TierwiseError as exc:
            # The row could not be stored (no spool to take it): the call was made, and if
            # it was billed, sending the request again pays it again (no retry, say so).
            exc.billed = exc.billed or row.usage.total > 0 or row.cost_usd > 0
            raise
        yield AfterAttempt(Settlement(attempt, stored, error))
        return stored

    def _settle_answer(
        self,
        attempt: Attempt,
        settled: Settled,
        response: Mapping[str, Any],
        hold: Any,
        *,
        rejection_reason: str | None = None,
    ) -> Generator[Effect, Any, LedgerRow]:
        """Price and record a call Bedrock answered, from its Converse ``response``."""
        row: LedgerRow = yield from self._settle(
            attempt, settled.model_id, settled.latency_ms,
            usage=Usage.from_converse(response.get("usage") or {}),
            stop_reason=response.get("stopReason"), rejection_reason=rejection_reason,
            service_tier=response.get("serviceTier"), hold=hold, trace=response.get("trace"),
        )  # fmt: skip
        return row

    def _settle_failed(
        self, attempt: Attempt, settled: Settled, error: TierwiseError, hold: Any
    ) -> Generator[Effect, Any, LedgerRow]:
        """Price and record a call that failed: nothing, unless the deadline closed it in
        flight (:meth:`_billed_error`)."""
        billed = self._billed_error(attempt, error, settled.model_id)
        row: LedgerRow = yield from self._settle(
            attempt, billed.model_id, settled.latency_ms, error=error, hold=hold,
            usage=billed.usage, estimated=billed.why, service_tier=billed.served,
        )  # fmt: skip
        return row

    def _judge_failed(
        self,
        exc: Exception,
        response: Mapping[str, Any],
        attempt: Attempt,
        settled: Settled,
        hold: Any = None,
    ) -> Generator[Effect, Any, NoReturn]:
        """A validator crashed on an answer: the answer was billed, so its row is written
        before the error leaves (as a 400 unless it is already a TierwiseError)."""
        row = yield from self._settle_answer(attempt, settled, response, hold)
        self._add(attempt.number, "answer", row, "error", f"validator failed: {type(exc).__name__}")
        if isinstance(exc, TierwiseError):
            raise exc
        raise InvalidRequestError(
            f"a validator failed on the answer ({type(exc).__name__}: {exc})",
            hint="check the response_format schema or the key's validators",
        ) from None

    def _judge(
        self, request: Mapping[str, Any], response: dict[str, Any], plan: Plan, number: int
    ) -> Generator[Effect, Any, Verdict | None]:
        if not self.judged:
            return None
        verdict = judge(request, response, list(self.validators))
        if not verdict.ok or self.self_verify is None:
            return verdict
        check = Attempt(
            number, "self_verify", plan, verification_request(request, response),
            self.request_id, self.api_key_id,
        )  # fmt: skip
        try:
            hold, check = yield from self._reserve(check)
        except BudgetExceededError:
            return verdict  # a check the budget cannot cover is skipped, as a failed one
        settled = yield from self._invoke(check, hold)
        if settled.cut:
            return verdict  # cut off by the deadline (ledgered when it ends): not a rejection
        if settled.error is not None:
            row = yield from self._settle_failed(check, settled, settled.error, hold)
            self._add(number, "self_verify", row, "error", type(settled.error).__name__)
            return verdict  # a failed check is not a rejection of the answer
        answer = settled.response or {}
        row = yield from self._settle_answer(check, settled, answer, hold)
        checked = parse_verification(answer, self.self_verify)
        self._add(number, "self_verify", row, "checked", checked.reason)
        return checked

    # -- decisions ---------------------------------------------------------------------

    def _plan_for(self, tier: Tier | None) -> Plan:
        from tierwise.engine.plan import Plan

        if tier is None or tier == self.plan.tier:
            return self.plan
        if not self.steps:
            reason = f"cheap first: starting at {tier.value}, the cheapest allowed tier"
        else:
            last = self._last_answer()
            reason = f"escalated to {tier.value} after {last.outcome} on {last.tier}"
        plan = self.plan
        profiles = self.planner.profiles(tier)
        return Plan(tier, profiles, reason, plan.decision, guardrail=plan.guardrail)

    def _next_up(self, tier: Tier | None) -> Tier | None:
        if not self.escalate or tier is None:
            return None
        up = tier.up()
        return up if up is not None and up.rank <= self.ceiling.rank else None

    def _cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def _heed(self) -> Generator[Effect, Any, None]:
        """Before :meth:`_cancelled` is read: only where it is, so that a call without a
        fallback or a rejection asks nothing."""
        if self.cancel is not None:
            yield Heed(self.cancel)

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

    def _late_row(self, attempt: Attempt, outcome: Any, latency_ms: float) -> LedgerRow:
        """The row of an attempt the deadline cut off, once it has ended: Bedrock bills it.
        ``outcome`` is its answer, its opened stream (closed here; the prompt it read is
        estimated) or its error."""
        cut = self.deadline.error("during this attempt")
        plan = attempt.plan
        if isinstance(outcome, AttemptCutError):
            # The deadline (plus the usage grace) closed the connection before Bedrock
            # answered: what it billed is unknown, so it is estimated.
            billed = self._unanswered(attempt, outcome)
            return self.accountant.row(
                self.request_id, plan, billed.model_id, latency_ms, attempt=attempt.number,
                usage=billed.usage, error=outcome, api_key_id=self.api_key_id,
                kind=attempt.kind, estimated=billed.why, request=attempt.request,
                service_tier=billed.served,
            )  # fmt: skip
        if isinstance(outcome, BaseException):
            error = outcome if isinstance(outcome, TierwiseError) else cut
            return self.accountant.row(
                self.request_id, plan, plan.profiles[0], latency_ms, attempt=attempt.number,
                error=error, api_key_id=self.api_key_id, kind=attempt.kind,
                request=attempt.request,
            )  # fmt: skip
        response = getattr(outcome, "response", None)
        if response is None:  # a stream that opened too late
            close = getattr(outcome, "close", None)
            if close is not None:  # (an async driver's stream is closed on its loop)
                close()
            usage, estimated = StreamMeter().billed(attempt.request)
            return self.accountant.row(
                self.request_id, plan, outcome.model_id, latency_ms, attempt=attempt.number,
                usage=usage, error=cut, api_key_id=self.api_key_id, estimated=estimated,
                kind=attempt.kind, request=attempt.request,
            )  # fmt: skip
        return self.accountant.row(
            self.request_id, plan, outcome.model_id, latency_ms, attempt=attempt.number,
            usage=Usage.from_converse(response.get("usage") or {}),
            stop_reason=response.get("stopReason"), error=cut, api_key_id=self.api_key_id,
            service_tier=response.get("serviceTier"), kind=attempt.kind,
            request=attempt.request, trace=response.get("trace"),
        )  # fmt: skip

    def _billed_error(self, attempt: Attempt, error: TierwiseError, model_id: str) -> _Billed:
        """What a failed attempt is billed (usage None: nothing), on which model, and why
        it is an estimate: only a call the deadline closed in flight may have been billed."""
        if isinstance(error, AttemptCutError):
            return self._unanswered(attempt, error)
        return _Billed(model_id)

    def _unanswered(self, attempt: Attempt, error: AttemptCutError) -> _Billed:
        """The usage of an attempt closed at its deadline before any answer arrived, the
        model and service tier it is priced at, and why it is an estimate. A stream is
        counted as an abandoned one is, from what it showed (nothing: its prompt alone). A
        call is taken to be billed whole, as one whose client hung up is, and since its
        usage never arrives it is charged at its worst case, as its key's hold reserved it
        (:meth:`Accountant.dearest`): on the profile it was sent to when the error names
        it, else on the dearest of the plan's (the hold's), at the dearer of the service
        tier asked for and the default (the answer that says which never came)."""
        request = dict(attempt.request)
        inference = dict(request.get("inferenceConfig") or {})
        if not inference.get("maxTokens"):
            inference["maxTokens"] = self.planner.settings.budgets.default_max_tokens
            request["inferenceConfig"] = inference
        plan = attempt.plan
        sent = _sent_to(error, plan.profiles)
        tier = plan.tier or self.planner.settings.tier_of_model(plan.profiles[0])
        _, model_id, served, usage = self.accountant.dearest(
            tier, (sent,) if sent else plan.profiles, request
        )
        if attempt.stream:
            usage = StreamMeter().billed(attempt.request)[0]
            return _Billed(model_id, usage, (
                "the deadline closed the stream before its first event: input counted "
                "from the request"
            ), served)  # fmt: skip
        return _Billed(model_id, usage, (
            "the deadline closed the connection before Bedrock answered: charged at its "
            "worst case (input and max output tokens)"
        ), served)  # fmt: skip

    def _last_answer(self) -> Step:
        """The latest answer step (its self-verify checks are listed after it), else the
        latest step."""
        return next((s for s in reversed(self.steps) if s.kind == "answer"), self.steps[-1])

    def _add(self, attempt: int, kind: str, row: LedgerRow, outcome: str, reason: str) -> None:
        step = Step(
            attempt, kind, row.tier, row.model_id, outcome, reason, row.cost_usd, row.id,
            row.usage,
        )  # fmt: skip
        # An answer is settled after its self-verify check (the check's verdict is part of
        # its row), but it came first: it goes before that attempt's checks.
        at = len(self.steps)
        if kind == "answer":
            while (
                at
                and self.steps[at - 1].attempt == attempt
                and self.steps[at - 1].kind == "self_verify"
            ):
                at -= 1
        self.steps.insert(at, step)


@dataclass(frozen=True, slots=True)
class _Billed:
    """What a failed attempt is charged: on ``model_id`` at ``served``, ``usage`` (None:
    nothing billed), an estimate for the reason ``why``."""

    model_id: str
    usage: Usage | None = None
    why: str | None = None
    served: Any = None


def _sent_to(error: BaseException, profiles: Sequence[str]) -> str | None:
    """The profile a call cut off in flight was sent to, when its error (or the transport
    error under it) names one of ``profiles``; None when unknown."""
    for named in (getattr(error, "model_id", None), getattr(error.__cause__, "model_id", None)):
        if named in profiles:
            return cast(str, named)
    return None


def _is_capacity_error(exc: TierwiseError) -> bool:
    """Whether the tier is out of capacity (as the Bedrock adapter classified it)."""
    return isinstance(exc, UpstreamError) and exc.capacity


def _rank(tier: Tier) -> int:
    return tier.rank


def _validators(
    spec: ValidationSpec, default_threshold: float
) -> tuple[tuple[Validator, ...], float | None]:
    """Validators and the self-verification threshold (None: no self-check) from a spec;
    ``self_verify: true`` (or no threshold given) takes ``default_threshold``."""
    if spec is None:
        return (), None
    if isinstance(spec, Mapping):
        rest = {k: v for k, v in spec.items() if k != "self_verify"}
        threshold = self_verify_threshold(spec.get("self_verify"), default_threshold)
        return tuple(validators_from_spec(rest)), threshold
    if isinstance(spec, str | bytes):
        raise InvalidRequestError("validate must be a spec mapping or a list of validators")
    return tuple(spec), None

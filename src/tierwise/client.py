"""The tierwise client: the one place that runs the flow for a request.

``Tierwise.converse`` takes the same keyword arguments as boto3's ``bedrock-runtime``
``converse``; ``modelId`` may be a tier name (``haiku``, ``sonnet``, ``opus``), ``auto`` or
omitted (the router decides), or a raw Bedrock model/profile ID (passed through). The result
is the Converse response plus a ``tierwise`` section: tier, model id, cost, latency, ledger id,
the routing decision and every attempt.

Flow: decide tier -> prepare (thinking) -> call Bedrock (retries, failover) -> price -> record.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

from tierwise.cache_router import CacheRouter
from tierwise.capture import Capturer
from tierwise.cascade import Cascade, ValidationSpec
from tierwise.core.budgets import worst_case_usage
from tierwise.core.cache_aware import CacheChoice
from tierwise.core.caching import place_cache_points
from tierwise.core.catalog import foundation_model_id
from tierwise.core.deadline import Deadline
from tierwise.core.guardrails import INTERVENED, guardrail_summary
from tierwise.core.hints import Hints
from tierwise.core.metering import StreamMeter
from tierwise.core.pricing import ServiceTier, Usage, price, service_tier_of
from tierwise.core.replay import MessageCollector, replay_events
from tierwise.core.routing import ClassScorer, Decision, DifficultyScorer, decide
from tierwise.core.rules import fit_thinking_budget
from tierwise.core.sampling import settle_adaptive_thinking, settle_sampling
from tierwise.core.signals import thinking_conflict
from tierwise.core.tiers import Tier
from tierwise.errors import (
    DeadlineExceededError,
    InvalidRequestError,
    LedgerUnavailableError,
    TierwiseError,
)

if TYPE_CHECKING:
    from tierwise.bedrock import BedrockClient
    from tierwise.config import Settings
    from tierwise.store import Ledger, LedgerRow
    from tierwise.store.keys import Hold, KeyStore
    from tierwise.store.spool import Spool

__all__ = [
    "AUTO",
    "CONVERSE_FIELDS",
    "Plan",
    "Tierwise",
    "apply_thinking",
    "load_class_scorer",
]

# Converse request fields tierwise forwards to Bedrock unchanged.
CONVERSE_FIELDS = (
    "messages",
    "system",
    "inferenceConfig",
    "toolConfig",
    "guardrailConfig",
    "additionalModelRequestFields",
    "additionalModelResponseFieldPaths",
    "promptVariables",
    "requestMetadata",
    "performanceConfig",
    "serviceTier",
    "outputConfig",
)
AUTO = "auto"
_FOREVER_S = 1e7  # a deadline this far off is no deadline (about 4 months)
_log = logging.getLogger(__name__)
T = TypeVar("T")
# Output room left beside a thinking budget when the caller set no maxTokens.
DEFAULT_ANSWER_TOKENS = 4096


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

    def route_record(self) -> dict[str, Any]:
        if self.decision is not None:
            record = self.decision.to_dict()
            if self.reason != "routed":
                record["via"] = self.reason
            if self.cache is not None:
                record["cache"] = self.cache.to_dict()
                record["tier"] = self.cache.tier.value
                if self.cache.tier is not self.decision.tier or self.cache.sticky:
                    record["reasons"] = [*record.get("reasons", []), self.cache.reason]
        else:
            record = {"tier": self.tier.value if self.tier else None, "reasons": [self.reason]}
        if self.shadow is not None:
            record["shadow"] = self.shadow.to_dict()
        return record


def apply_thinking(request: Mapping[str, Any], budget: int) -> dict[str, Any]:
    """``request`` with extended thinking of ``budget`` tokens, unless it already has some
    or Claude would refuse it (:func:`~tierwise.core.signals.thinking_conflict`).

    A caller's ``maxTokens`` caps thinking and answer together, as both APIs count thinking
    in it (the router's budget already fits inside it); without one the answer keeps its
    default room on top of the budget. Claude's thinking mode does not accept a changed
    temperature or top_p, so those are dropped.
    """
    fields = dict(request.get("additionalModelRequestFields") or {})
    if "thinking" in fields or thinking_conflict(request.get("messages") or ()):
        return dict(request)
    inference = dict(request.get("inferenceConfig") or {})
    cap = inference.get("maxTokens")
    budget = fit_thinking_budget(budget, None if cap is None else int(cap))
    if not budget:
        return dict(request)
    if cap is None:
        inference["maxTokens"] = budget + DEFAULT_ANSWER_TOKENS
    fields["thinking"] = {"type": "enabled", "budget_tokens": budget}
    inference.pop("temperature", None)
    inference.pop("topP", None)
    return {**request, "additionalModelRequestFields": fields, "inferenceConfig": inference}


class Tierwise:
    """Claude on Bedrock with a tier per request, priced and ledgered.

    Build it with :meth:`from_settings` (or :meth:`from_config`); the constructor takes
    ready collaborators so tests and the gateway can share them. Thread-safe.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        bedrock: BedrockClient,
        ledger: Ledger,
        scorer: DifficultyScorer | None = None,
        class_scorer: ClassScorer | None = None,
        budgets: KeyStore | None = None,
        spool: Spool | None = None,
    ) -> None:
        self.settings = settings
        self.bedrock = bedrock
        self.ledger = ledger
        self.scorer = scorer
        self.class_scorer = class_scorer
        self.policy = settings.routing_policy()
        if budgets is None:
            from tierwise.store.sql import SQLLedger

            if isinstance(ledger, SQLLedger):
                from tierwise.store.keys import KeyStore

                budgets = KeyStore(ledger)
        #: Key budgets, reserved per attempt (None: a ledger without keys).
        self.budgets = budgets
        #: Where rows go while the ledger database is unreachable (None: the error stands).
        self.spool = spool
        # Bedrock calls run here so the caller can stop waiting at its deadline.
        self._calls: ThreadPoolExecutor | None = None
        self._calls_lock = threading.Lock()
        self._watcher = _StreamWatcher()
        self.capturer = Capturer.build(settings.capture, ledger)
        from tierwise.cache_state import open_cache_state

        self.cache_router = CacheRouter(settings, open_cache_state(settings.cache_state.url))

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        ledger_url: str | None = None,
        scorer: DifficultyScorer | None = None,
    ) -> Tierwise:
        from tierwise.bedrock import BedrockClient, CooldownTracker
        from tierwise.store import open_ledger
        from tierwise.store.spool import Spool

        url = ledger_url or settings.ledger.resolved_url()
        cooldown = CooldownTracker(settings.escalation.cooldown_s)
        return cls(
            settings,
            bedrock=BedrockClient(settings, cooldown=cooldown),
            # Lazy: a database that is down now must not stop calls whose rows can spool.
            ledger=open_ledger(url, lazy=True),
            scorer=scorer if scorer is not None else load_scorer(settings),
            spool=Spool(settings.ledger.resolved_spool_path(url)),
            class_scorer=load_class_scorer(settings),
        )

    @classmethod
    def from_config(cls, config_path: str | None = None, **overrides: Any) -> Tierwise:
        """Load settings (file, ``TIERWISE_*`` environment, dotted-key overrides) and build."""
        from tierwise.config import load_settings

        return cls.from_settings(load_settings(config_path, overrides=overrides).settings)

    def close(self) -> None:
        if self._calls is not None:
            # Calls cut off by their deadline still run: wait for them to be ledgered.
            self._calls.shutdown(wait=True)
        self.ledger.close()
        self.cache_router.state.close()

    def __enter__(self) -> Tierwise:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- planning --------------------------------------------------------------------

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
            decision = self.route(request, hints)
            choice = self.cache_router.choose(decision, request, hints)
            tier = decision.tier if choice is None else choice.tier
            return Plan(tier, self.profiles(tier), "routed" + via, decision, cache=choice)
        try:
            tier = Tier(name)
        except ValueError:
            raw = (target or asked).strip()
            plan = Plan(
                self.settings.tier_of_model(raw), (raw,), "raw model ID passed through" + via
            )
        else:
            plan = Plan(tier, self.profiles(tier), f"pinned to {tier.value} by the caller{via}")
        _within_hints(model_id or "", plan.tier, hints)
        return plan

    def with_guardrail(
        self, request: dict[str, Any], api_key_id: str | None = None
    ) -> dict[str, Any]:
        """``request`` with the configured default guardrail (the key's, else the global
        one) when it names none of its own."""
        if "guardrailConfig" in request:
            return request
        config = self.settings.guardrails.config_for(api_key_id)
        return request if config is None else {**request, "guardrailConfig": config}

    def profiles(self, tier: Tier) -> tuple[str, ...]:
        ts = self.settings.tier(tier)
        return (ts.model_id, *ts.alternates)

    def prepare(self, request: Mapping[str, Any], plan: Plan) -> dict[str, Any]:
        """The request as sent for ``plan``: cache points placed for its model, the
        decision's thinking budget, if any, and adaptive thinking replaced by a budget when
        this attempt's model has no adaptive mode (an escalation may reach one)."""
        prepared, _ = settle_adaptive_thinking(request, plan.profiles, self._takes_adaptive)
        if plan.tier is not None:
            prepared = place_cache_points(prepared, self.settings.cache_policy(plan.tier)).request
        decision = plan.decision
        if decision is not None and decision.thinking_budget and plan.tier == decision.tier:
            prepared = apply_thinking(prepared, decision.thinking_budget)
        return prepared

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

    # -- calls -----------------------------------------------------------------------

    def converse(
        self,
        *,
        modelId: str | None = None,  # noqa: N803 - boto3's spelling
        hints: Hints | None = None,
        validate: ValidationSpec = None,
        escalate: bool | None = None,
        cheap_first: bool | None = None,
        api_key_id: str | None = None,
        cancel: threading.Event | None = None,
        timeout_s: float | None = None,
        routing_mode: str | None = None,
        capture_rate: float | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Like boto3 ``converse``; see the module docstring for ``modelId``.

        ``validate`` (a spec such as ``{"json_schema": {...}, "self_verify": {"threshold":
        0.7}}`` or a list of validators) judges each answer; with ``escalate`` (default from
        ``[escalation] enabled``) a rejected answer is retried one tier up, and with
        ``cheap_first`` the cascade starts at the cheapest allowed tier. Setting ``cancel``
        (from another thread) stops the cascade from starting another attempt; the one in
        flight completes and is ledgered. ``routing_mode`` ("route" or "shadow") overrides
        ``[routing] mode`` and ``capture_rate`` overrides ``[capture] sample_rate`` for this
        call (the gateway passes an API key's policy).
        """
        request = self.with_guardrail(request_fields(kwargs), api_key_id)
        plan = self.plan(modelId, request, hints, routing_mode=routing_mode)
        plan = replace(plan, guardrail=guardrail_name(request))
        request, dropped = self.settle_sampling(request, plan)
        cascade = Cascade.build(self, plan, hints, validate, escalate, cheap_first)
        cascade.cancel = cancel
        cascade.deadline = self.deadline(timeout_s)
        request_id = uuid.uuid4().hex
        response = _with_guardrail_summary(cascade.run(request, request_id, api_key_id), plan)
        if dropped:
            response["tierwise"]["dropped"] = list(dropped)
        self._learn(request, response)
        if self.capturer.wants(request_id, capture_rate):
            self._capture(request_id, request, response, api_key_id)
        return response

    def converse_stream(
        self,
        *,
        modelId: str | None = None,  # noqa: N803 - boto3's spelling
        hints: Hints | None = None,
        validate: ValidationSpec = None,
        escalate: bool | None = None,
        cheap_first: bool | None = None,
        api_key_id: str | None = None,
        cancel: threading.Event | None = None,
        timeout_s: float | None = None,
        routing_mode: str | None = None,
        capture_rate: float | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Like boto3 ``converse_stream``: ``response["stream"]`` yields the events.

        Without validators the first attempt streams straight through; ``response["tierwise"]``
        holds the plan at once and is completed (cost, ledger id) when the stream ends. A
        stream abandoned early is still ledgered, with the usage seen so far, when the
        iterator is closed or garbage-collected. With validators (``validate``), an answer
        must be judged before the caller sees it: the cascade runs to completion, buffered,
        and the accepted answer is then replayed as the same stream events (``cancel`` as
        for :meth:`converse`).
        """
        request = self.with_guardrail(request_fields(kwargs), api_key_id)
        plan = self.plan(modelId, request, hints, routing_mode=routing_mode)
        plan = replace(plan, guardrail=guardrail_name(request))
        request, dropped = self.settle_sampling(request, plan)
        request_id = uuid.uuid4().hex
        cascade = Cascade.build(self, plan, hints, validate, escalate, cheap_first)
        cascade.cancel = cancel
        deadline = cascade.deadline = self.deadline(timeout_s)
        capture = self.capturer.wants(request_id, capture_rate)
        if cascade.validators or cascade.self_verify is not None:
            response = _with_guardrail_summary(cascade.run(request, request_id, api_key_id), plan)
            if dropped:
                response["tierwise"]["dropped"] = list(dropped)
            self._learn(request, response)
            if capture:
                self._capture(request_id, request, response, api_key_id)
            return {"stream": replay_events(response), "tierwise": response["tierwise"]}
        hold, prepared = self.reserve(request_id, 1, plan, self.prepare(request, plan), api_key_id)
        started = time.perf_counter()

        def opened_late(outcome: Any) -> None:
            """The deadline passed while the stream was opening: close it once it opens,
            and ledger what Bedrock bills for it (the prompt it read)."""
            elapsed = (time.perf_counter() - started) * 1000
            if isinstance(outcome, BaseException):
                error = outcome if isinstance(outcome, TierwiseError) else None
                self.record_call(
                    request_id, plan, plan.profiles[0], elapsed,
                    error=error or deadline.error("while the stream opened"),
                    api_key_id=api_key_id, hold=hold,
                )  # fmt: skip
                return
            outcome.close()
            usage, estimated = StreamMeter().billed(prepared)
            self.record_call(
                request_id, plan, outcome.model_id, elapsed, usage=usage,
                error=deadline.error("while the stream opened"), api_key_id=api_key_id,
                hold=hold, estimated=estimated,
            )  # fmt: skip

        try:
            stream = self.call_within(
                deadline, self.bedrock.converse_stream, plan.profiles, prepared, late=opened_late
            )
        except DeadlineExceededError as exc:
            exc.request_id = request_id
            raise  # ledgered when the opening ends (opened_late)
        except TierwiseError as exc:
            failed_on = getattr(exc, "model_id", None) or plan.profiles[0]
            elapsed = (time.perf_counter() - started) * 1000
            self.record_call(
                request_id, plan, failed_on, elapsed, error=exc, api_key_id=api_key_id, hold=hold
            )
            exc.request_id = request_id
            raise
        except BaseException:
            self.release(hold)
            raise
        summary: dict[str, Any] = {
            "tier": plan.tier.value if plan.tier else None,
            "modelId": stream.model_id,
            "requestId": request_id,
            "route": plan.route_record(),
            "upstreamMs": round(stream.first_event_ms, 3),
        }
        if dropped:
            summary["dropped"] = list(dropped)

        def events() -> Iterator[dict[str, Any]]:
            meter = StreamMeter()
            error: TierwiseError | None = None
            abandoned = False
            collector = MessageCollector() if capture else None
            trace: Any = None
            watchdog = self._watcher.watch(
                stream, deadline, self.settings.retry.stream_idle_timeout_s
            )
            try:
                try:
                    for event in stream.events:
                        watchdog.touch()
                        meter.note(event)
                        if "metadata" in event:
                            trace = event["metadata"].get("trace")
                        if collector is not None:
                            collector.add(event)
                        yield event
                except Exception as exc:
                    if watchdog.fired is not None:  # it closed the stream: say why
                        raise watchdog.fired from None
                    raise exc from exc.__cause__
            except TierwiseError as exc:
                error = exc
                raise
            except GeneratorExit:
                abandoned = True
                raise
            finally:
                self._watcher.unwatch(watchdog)
                if abandoned and meter.usage is None:
                    # Bedrock reports usage in the last event: give it a moment to arrive.
                    _drain(stream, meter, self.settings.budgets.usage_grace_s)
                stream.close()
                usage, estimated = meter.billed(prepared)
                latency = (time.perf_counter() - started) * 1000
                row = self.record_call(
                    request_id,
                    plan,
                    stream.model_id,
                    latency,
                    usage=usage,
                    stop_reason="client_closed"
                    if abandoned
                    else meter.stop_reason or ("error" if error else "client_closed"),
                    error=error,
                    api_key_id=api_key_id,
                    service_tier=meter.served,
                    hold=hold,
                    estimated=estimated,
                )
                summary.update(self._summary(row, plan, [a.model_id for a in stream.attempts]))
                self.cache_router.learn(
                    request, Tier(row.tier) if row.tier else None, row.model_id, usage
                )
                seen = {"stopReason": meter.stop_reason, "trace": trace}
                guard = guardrail_summary(seen, plan.guardrail)
                if guard is not None:
                    summary["guardrail"] = guard
                if collector is not None and error is None and meter.stop_reason and not abandoned:
                    self.capturer.capture(
                        request_id,
                        request,
                        {"content": collector.content(), "stopReason": meter.stop_reason},
                        plan.route_record(),
                        tier=row.tier,
                        model_id=row.model_id,
                        cost=row.cost_usd,
                        api_key_id=api_key_id,
                    )

        return {"stream": events(), "tierwise": summary}

    def count_tokens(self, *, modelId: str | None = None, **kwargs: Any) -> int:  # noqa: N803
        request = request_fields(kwargs)
        plan = self.plan(modelId, request)
        return self.bedrock.count_tokens(plan.profiles[0], request)

    def _learn(self, request: Mapping[str, Any], response: Mapping[str, Any]) -> None:
        """What the answer left warm in its model's prompt cache (cache-aware routing)."""
        info = response["tierwise"]
        tier = info.get("tier")
        self.cache_router.learn(
            request,
            Tier(tier) if tier else None,
            str(info.get("modelId")),
            Usage.from_converse(response.get("usage") or {}),
        )

    def _capture(
        self,
        request_id: str,
        request: Mapping[str, Any],
        response: Mapping[str, Any],
        api_key_id: str | None,
    ) -> None:
        info = response["tierwise"]
        self.capturer.capture(
            request_id,
            request,
            {
                "content": response["output"]["message"]["content"],
                "stopReason": response.get("stopReason"),
            },
            info.get("route"),
            tier=info.get("tier"),
            model_id=str(info.get("modelId")),
            cost=Decimal(str(info.get("costUsd", "0"))),
            api_key_id=api_key_id,
        )

    # -- accounting ------------------------------------------------------------------

    def deadline(self, timeout_s: float | None = None) -> Deadline:
        """The wall-clock bound of one call: ``timeout_s`` (a request's override) or
        ``[retry] total_timeout_s``."""
        return Deadline(timeout_s if timeout_s is not None else self.settings.retry.total_timeout_s)

    def call_within(
        self,
        deadline: Deadline,
        fn: Callable[..., T],
        *args: Any,
        late: Callable[[Any], None],
    ) -> T:
        """``fn(*args, deadline)`` (a blocking Bedrock call), abandoned when ``deadline``
        passes: the call goes on in its thread, and ``late`` gets its result or error when
        it ends, to ledger what Bedrock billed. Raises DeadlineExceededError."""
        with self._calls_lock:
            if self._calls is None:
                self._calls = ThreadPoolExecutor(
                    self.settings.gateway.threads, thread_name_prefix="tierwise-call"
                )
        future = self._calls.submit(fn, *args, deadline)
        remaining = deadline.remaining()
        try:
            # A wait past the platform's time_t (an infinite or huge deadline) overflows.
            return future.result(timeout=remaining if remaining < _FOREVER_S else None)
        except FutureTimeout:
            future.add_done_callback(partial(_finish_late, late))
            raise deadline.error("while Bedrock was answering") from None

    def reserve(
        self,
        request_id: str,
        attempt: int,
        plan: Plan,
        request: dict[str, Any],
        api_key_id: str | None,
        *,
        kind: str = "answer",
    ) -> tuple[Hold | None, dict[str, Any]]:
        """Reserve the attempt's worst case against the key's budget before it runs (raises
        BudgetExceededError when it does not fit), and return the request as it must be
        sent: with ``maxTokens`` set, since without it the output, and so the worst case,
        would be unbounded. Nothing to reserve without a key (or a key store)."""
        if api_key_id is None or self.budgets is None:
            return None, request
        inference = dict(request.get("inferenceConfig") or {})
        if not inference.get("maxTokens"):
            inference["maxTokens"] = self.settings.budgets.default_max_tokens
            request = {**request, "inferenceConfig": inference}
        if self.spool is not None and self.spool.outage.is_set():
            if self.settings.ledger.on_outage == "spool":
                return None, request  # charged to the key when its row is replayed
            raise LedgerUnavailableError(
                "the ledger database is unreachable, and a key's budget cannot be enforced "
                "without it"
            )
        if self.spool is not None and self.settings.ledger.on_outage == "spool":
            try:
                return self._reserve(request_id, attempt, plan, request, api_key_id, kind), request
            except LedgerUnavailableError:
                return None, request  # charged to the key when its row is replayed
        return self._reserve(request_id, attempt, plan, request, api_key_id, kind), request

    def _reserve(  # noqa: PLR0917
        self,
        request_id: str,
        attempt: int,
        plan: Plan,
        request: dict[str, Any],
        api_key_id: str,
        kind: str,
    ) -> Hold:
        assert self.budgets is not None
        tier = plan.tier or self.settings.tier_of_model(plan.profiles[0])
        usage = worst_case_usage(request)
        # The dearest way the call could be served: any of its profiles (their kinds are
        # priced apart), at the service tier it asks for or Bedrock's default.
        asked = request.get("serviceTier")
        worst = max(
            self.cost_of(tier, usage, model_id=profile, service_tier=served)
            for profile in plan.profiles
            for served in (asked, None)
        )
        return self.budgets.reserve(
            api_key_id,
            worst,
            request_id=request_id,
            attempt=attempt,
            detail={
                "tier": tier.value if tier else None,
                "model_id": plan.profiles[0],
                "kind": kind,
                "usage": {
                    "input": usage.input,
                    "output": usage.output,
                    "cache_write_5m": usage.cache_write_5m,
                    "cache_write_1h": usage.cache_write_1h,
                },
            },
            ttl_s=self.settings.budgets.reservation_ttl_s,
        )

    def release(self, hold: Hold | None) -> None:
        """Give back a reservation whose call was never made."""
        if hold is not None and self.budgets is not None:
            self.budgets.release(hold)

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

    def record_call(
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
        hold: Hold | None = None,
        estimated: str | None = None,
    ) -> LedgerRow:
        """Price one model call and write its ledger row; returns the row with its id.

        ``service_tier`` is the response's ``serviceTier``; a tier other than the default
        is kept in the row's metadata so reports re-price the row the same way. With the
        call's reservation ``hold``, the same transaction charges the key the actual cost
        and releases the rest. ``estimated`` says why the usage is an estimate."""
        from tierwise.store import LedgerRow

        tier = plan.tier or self.settings.tier_of_model(model_id)
        usage = usage or Usage()
        served = service_tier_of(service_tier)
        metadata: dict[str, Any] = {}
        if kind != "answer":
            metadata["kind"] = kind
        if served is not ServiceTier.DEFAULT:
            metadata["service_tier"] = served.value
        if plan.guardrail is not None:
            metadata["guardrail"] = plan.guardrail
        if stop_reason == INTERVENED:
            metadata["guardrail_intervened"] = True
        if tier is None:
            metadata["unpriced"] = "model is in no tier; add it to a tier to price it"
        if estimated is not None:
            metadata["estimated"] = True
            metadata["estimate"] = estimated
        if error is not None:
            status = "error"
        elif rejection_reason is not None:
            status = "rejected"
        else:
            status = "ok"
        row = LedgerRow(
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
            cost_usd=self.cost_of(tier, usage, model_id=model_id, service_tier=served),
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
        try:
            if self.spool is not None and self.spool.outage.is_set():
                # Down when last tried: queue behind the spooled rows until the replayer
                # (every second) finds the database back, instead of waiting on it again.
                raise LedgerUnavailableError("the ledger database is unreachable")
            if hold is not None and self.budgets is not None:
                return replace(row, id=self.budgets.settle(hold, row))
            return replace(row, id=self.ledger.record(row))
        except LedgerUnavailableError:
            if self.spool is None:
                raise
            # The call was made and billed: its row waits in the spool for the database.
            self.spool.append(row, hold)
            return row

    @staticmethod
    def _summary(row: LedgerRow, plan: Plan, failed_profiles: list[str]) -> dict[str, Any]:
        return {
            "tier": row.tier,
            "modelId": row.model_id,
            "costUsd": str(row.cost_usd),
            "latencyMs": round(row.latency_ms, 1),
            "ledgerId": row.id,
            "requestId": row.request_id,
            "route": plan.route_record(),
            "failedProfiles": failed_profiles,
            "usage": row.usage.to_converse(),
        }


def _finish_late(late: Callable[[Any], None], future: Future[Any]) -> None:
    try:
        late(future.exception() or future.result())
    except Exception:  # a callback has nobody to raise to
        _log.exception("ledgering a call cut off by its deadline failed")


class _Watch:
    """One open stream under watch: its deadline, idle limit and last event."""

    def __init__(self, stream: Any, deadline: Deadline, idle_s: float) -> None:
        self.stream = stream
        self.deadline = deadline
        self.idle_s = idle_s
        self.fired: DeadlineExceededError | None = None
        self.last = time.monotonic()

    def touch(self) -> None:
        self.last = time.monotonic()

    def due(self, now: float) -> DeadlineExceededError | None:
        if self.deadline.expired():
            return self.deadline.error("while the stream was open")
        if now - self.last > self.idle_s:
            return DeadlineExceededError(
                f"the stream sent no event for {self.idle_s:g} s",
                hint="raise [retry] stream_idle_timeout_s",
            )
        return None


class _StreamWatcher:
    """Closes open streams that pass their deadline or go idle too long: one thread for
    all of a client's streams (started with the first), checking them every 50 ms; a
    closed stream's reader then raises the watch's ``fired`` error."""

    INTERVAL_S = 0.05

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watched: set[_Watch] = set()
        self._thread: threading.Thread | None = None

    def watch(self, stream: Any, deadline: Deadline, idle_s: float) -> _Watch:
        entry = _Watch(stream, deadline, idle_s)
        with self._lock:
            self._watched.add(entry)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="tierwise-stream-watch", daemon=True
                )
                self._thread.start()
        return entry

    def unwatch(self, entry: _Watch) -> None:
        with self._lock:
            self._watched.discard(entry)

    def _run(self) -> None:
        while True:
            time.sleep(self.INTERVAL_S)
            now = time.monotonic()
            with self._lock:
                entries = list(self._watched)
            for entry in entries:
                error = entry.due(now)
                if error is None:
                    continue
                entry.fired = error
                self.unwatch(entry)
                try:
                    entry.stream.close()
                except Exception:  # closing a stream that broke anyway
                    _log.debug("closing a timed-out stream failed", exc_info=True)


def _drain(stream: Any, meter: StreamMeter, grace_s: float) -> None:
    """Read the rest of an abandoned stream for up to ``grace_s`` seconds, noting its
    events (for the usage event), on a thread of its own so a stalled upstream cannot hold
    the caller past the grace period; closing the stream afterwards ends the read."""
    done = threading.Event()

    def read() -> None:
        try:
            for event in stream.events:
                meter.note(event)
        except Exception:  # the stream is being abandoned: its error is moot
            pass
        finally:
            done.set()

    threading.Thread(target=read, name="tierwise-stream-drain", daemon=True).start()
    done.wait(grace_s)


def _with_guardrail_summary(response: dict[str, Any], plan: Plan) -> dict[str, Any]:
    guard = guardrail_summary(response, plan.guardrail)
    if guard is not None:
        response["tierwise"]["guardrail"] = guard
    return response


def guardrail_name(request: Mapping[str, Any]) -> str | None:
    """``ID:VERSION`` of the request's ``guardrailConfig``, or None."""
    config = request.get("guardrailConfig")
    if not isinstance(config, Mapping):
        return None
    ident = str(config.get("guardrailIdentifier") or "").rsplit("/", 1)[-1]
    return f"{ident}:{config.get('guardrailVersion') or ''}" if ident else None


def request_fields(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The Converse fields of ``kwargs``; anything else is a caller mistake."""
    unknown = sorted(set(kwargs) - set(CONVERSE_FIELDS))
    if unknown:
        raise InvalidRequestError(
            f"unknown converse argument(s): {', '.join(unknown)}",
            hint=f"converse accepts modelId, hints and: {', '.join(CONVERSE_FIELDS)}",
        )
    return {k: v for k, v in kwargs.items() if v is not None}


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


def load_class_scorer(settings: Settings) -> ClassScorer | None:
    """The task-class model (``routing.class_model_path`` or the packaged one) blended with
    the cue classifier; None (the cue classifier alone) when no model file is installed."""
    from tierwise.core.class_model import BlendedClassifier
    from tierwise.router.class_weights import load_class_model

    model = load_class_model(settings.routing.class_model_path or None)
    return BlendedClassifier(model) if model is not None else None


def load_scorer(settings: Settings) -> DifficultyScorer | None:
    """The learned difficulty model: ``routing.model_path`` or the packaged one."""
    import importlib

    try:
        weights = importlib.import_module("tierwise.router.weights")
    except ModuleNotFoundError:
        return None
    return cast("DifficultyScorer", weights.load_model(settings.routing.model_path or None))

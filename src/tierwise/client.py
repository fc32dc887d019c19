"""The tierwise clients: :class:`Tierwise` (sync) and :class:`AsyncTierwise` (asyncio).

``converse`` takes the same keyword arguments as boto3's ``bedrock-runtime`` ``converse``;
``modelId`` may be a tier name (``haiku``, ``sonnet``, ``opus``), ``auto`` or omitted (the
router decides), or a raw Bedrock model/profile ID (passed through). The result is the
Converse response plus a ``tierwise`` section: tier, model id, cost, latency, ledger id, the
routing decision and every attempt.

Both clients are thin: they plan the request and run the one call engine
(:mod:`tierwise.engine`) with a sync or an async driver, so a call, a stream, sync or async,
goes through the same steps (plan, cache points, attempt, judge, escalate or fall back,
price, record). The ``tierwise`` dict is built here, at the edge, from the engine's typed
:class:`~tierwise.engine.Result`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import math
import threading
import time
import uuid
import weakref
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Generator,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, cast

from tierwise.cache_router import CacheRouter
from tierwise.capture import Capturer
from tierwise.core.guardrails import guardrail_summary
from tierwise.core.hints import Hints
from tierwise.core.mappings import is_mapping
from tierwise.core.metering import StreamMeter
from tierwise.core.preflight import check_request
from tierwise.core.pricing import Usage
from tierwise.core.replay import MessageCollector, replay_events
from tierwise.core.routing import ClassScorer, Decision, DifficultyScorer
from tierwise.core.tiers import Tier
from tierwise.engine import (
    AUTO,
    Accountant,
    AsyncDriver,
    AttemptHooks,
    Books,
    Budgets,
    Cancel,
    Deadline,
    Engine,
    Opened,
    Plan,
    Planner,
    Result,
    SyncDriver,
    ValidationSpec,
    apply_thinking,
    drive,
)
from tierwise.errors import (
    BedrockWouldRefuseError,
    ClientClosedError,
    DeadlineExceededError,
    InvalidRequestError,
    ModelNotAvailableError,
    TierwiseError,
)
from tierwise.waits import StreamLimitError, Waits

if TYPE_CHECKING:
    from tierwise.bedrock import AsyncBedrockClient, BedrockClient
    from tierwise.config import Settings
    from tierwise.engine.drivers import Blocking
    from tierwise.store import Ledger
    from tierwise.store.keys import Hold, KeyStore
    from tierwise.store.spool import Spool

__all__ = [
    "AUTO",
    "CONVERSE_FIELDS",
    "AsyncEvents",
    "AsyncTierwise",
    "Plan",
    "Tierwise",
    "apply_thinking",
    "load_class_scorer",
    "load_scorer",
    "request_fields",
]

_log = logging.getLogger(__name__)
T = TypeVar("T")

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


def _stores(
    settings: Settings,
    ledger_url: str | None,
    scorer: DifficultyScorer | None,
    hooks: Sequence[AttemptHooks],
) -> dict[str, Any]:
    """What both clients build from settings besides their Bedrock client: the ledger and its
    spool, and the routing models."""
    from tierwise.core.signals import prepare_cues
    from tierwise.store import open_ledger
    from tierwise.store.spool import Spool

    prepare_cues()
    url = ledger_url or settings.ledger.resolved_url()
    return {
        # Lazy: a database that is down now must not stop calls whose rows can spool.
        "ledger": open_ledger(url, lazy=True),
        "scorer": scorer if scorer is not None else load_scorer(settings),
        "class_scorer": load_class_scorer(settings),
        "hooks": hooks,
        "spool": Spool(settings.ledger.resolved_spool_path(url)),
    }


class _Client:
    """What both clients share: settings, planning, pricing and the ledger."""

    def __init__(
        self,
        settings: Settings,
        *,
        ledger: Ledger,
        scorer: DifficultyScorer | None = None,
        class_scorer: ClassScorer | None = None,
        hooks: Sequence[AttemptHooks] = (),
        budgets: KeyStore | None = None,
        spool: Spool | None = None,
        cache_router: CacheRouter | None = None,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self._closed = False  # close()/aclose() was called: no new call is started
        self.scorer = scorer
        self.class_scorer = class_scorer
        self.hooks = tuple(hooks)
        if cache_router is None:
            from tierwise.cache_state import open_cache_state

            state = open_cache_state(settings.cache_state.url, settings.cache_state.key_prefix)
            cache_router = CacheRouter(settings, state)
        #: What each model's prompt cache holds (cache-aware routing).
        self.cache_router = cache_router
        self.planner = Planner(settings, scorer, class_scorer, cache_router)
        self.accountant = Accountant(settings)
        self.policy = self.planner.policy
        if budgets is None:
            from tierwise.store.sql import SQLLedger

            if isinstance(ledger, SQLLedger):
                from tierwise.store.keys import KeyStore

                budgets = KeyStore(ledger)
        #: Key budgets, reserved per attempt (None: a ledger without keys).
        self.budgets = budgets
        #: Where rows go while the ledger database is unreachable (None: the error stands).
        self.spool = spool
        self.reservations = None if budgets is None else Budgets(budgets, self.accountant, spool)
        # The engine learns from every answer through the books' observer, whatever the door.
        self.books = Books(ledger, self.reservations, spool, observer=cache_router)
        self.capturer = Capturer.build(settings.capture, ledger)

    # -- planning --------------------------------------------------------------------

    def route(self, request: Mapping[str, Any], hints: Hints | None = None) -> Decision:
        """The routing decision for ``request`` (see :meth:`Planner.route`)."""
        with _malformed_as_botocore(request):
            return self.planner.route(request, hints)

    def plan(
        self,
        model_id: str | None,
        request: Mapping[str, Any],
        hints: Hints | None = None,
        *,
        routing_mode: str | None = None,
    ) -> Plan:
        """Resolve ``modelId`` to a plan (see :meth:`Planner.plan`)."""
        return self.planner.plan(model_id, request, hints, routing_mode=routing_mode)

    def profiles(self, tier: Tier) -> tuple[str, ...]:
        return self.planner.profiles(tier)

    def prepare(self, request: Mapping[str, Any], plan: Plan) -> dict[str, Any]:
        return self.planner.prepare(request, plan)

    def settle_sampling(
        self, request: Mapping[str, Any], plan: Plan
    ) -> tuple[dict[str, Any], tuple[str, ...]]:
        return self.planner.settle_sampling(request, plan)

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
        """Reserve an attempt's worst case against the key's budget (see
        :meth:`Budgets.reserve`); nothing to reserve without a key or a key store."""
        if api_key_id is None or self.reservations is None:
            return None, request
        return self.reservations.reserve(request_id, attempt, plan, request, api_key_id, kind=kind)

    def release(self, hold: Hold | None) -> None:
        """Give back a reservation whose call was never made."""
        if hold is not None and self.reservations is not None:
            self.reservations.release(hold)

    def cost_of(
        self,
        tier: Tier | None,
        usage: Usage,
        *,
        batch: bool = False,
        model_id: str | None = None,
        service_tier: Any = None,
    ) -> Decimal:
        """Cost of ``usage`` at ``tier``'s prices (see :meth:`Accountant.cost_of`)."""
        return self.accountant.cost_of(
            tier, usage, batch=batch, model_id=model_id, service_tier=service_tier
        )

    def with_guardrail(
        self, request: dict[str, Any], api_key_id: str | None = None
    ) -> dict[str, Any]:
        """``request`` with the configured default guardrail (the key's, else the global
        one) when it names none of its own."""
        if "guardrailConfig" in request:
            return request
        config = self.settings.guardrails.config_for(api_key_id)
        return request if config is None else {**request, "guardrailConfig": config}

    def deadline(self, timeout_s: float | None = None) -> Deadline:
        """The wall-clock bound of one call: ``timeout_s`` (a request's override) or
        ``[retry] total_timeout_s``."""
        return Deadline(timeout_s if timeout_s is not None else self.settings.retry.total_timeout_s)

    def _capture(self, result: Result, request: Mapping[str, Any], api_key_id: str | None) -> None:
        """Keep the request and its answer (opt-in capture; blocking: a database write)."""
        response = result.response
        try:
            self.capturer.capture(
                result.request_id,
                request,
                {
                    "content": response["output"]["message"]["content"],
                    "stopReason": response.get("stopReason"),
                },
                result.plan.route_record(),
                tier=result.tier,
                model_id=result.model_id,
                cost=result.cost_usd,
                api_key_id=api_key_id,
            )
        except TierwiseError as exc:
            # The answer is billed and ledgered already: sending the request again (an SDK
            # retrying the gateway's 503) pays for it again.
            exc.billed = True
            exc.request_id = exc.request_id or result.request_id
            raise

    def _capture_stream(
        self,
        result: Result,
        request: Mapping[str, Any],
        collector: MessageCollector,
        stop_reason: str,
    ) -> None:
        self.capturer.capture(
            result.request_id,
            request,
            {"content": collector.content(), "stopReason": stop_reason},
            result.plan.route_record(),
            tier=result.tier,
            model_id=result.model_id,
            cost=result.final.cost_usd,
            api_key_id=result.api_key_id,
        )

    def engine(
        self,
        kwargs: Mapping[str, Any],
        *,
        modelId: str | None = None,  # noqa: N803 - boto3's spelling
        hints: Hints | None = None,
        validate: ValidationSpec = None,
        escalate: bool | None = None,
        cheap_first: bool | None = None,
        api_key_id: str | None = None,
        cancel: Cancel | None = None,
        deadline: Deadline | None = None,
        timeout_s: float | None = None,
        stream: bool = False,
        routing_mode: str | None = None,
    ) -> tuple[Engine, dict[str, Any]]:
        """The engine for one request, and the request's Converse fields."""
        if self._closed:
            raise ClientClosedError(f"this {type(self).__name__} is closed: no call was made")
        _check_options(modelId, hints, validate, timeout_s)
        _check_switches(escalate=escalate, cheap_first=cheap_first)
        request = request_fields(kwargs)
        with _malformed_as_botocore(request):
            request = self.with_guardrail(request, api_key_id)
            # What Bedrock would refuse, refused before a call and an error row.
            check_request(request, prompt=":prompt/" in str(modelId or ""))
            plan = self.plan(modelId, request, hints, routing_mode=routing_mode)
            plan = replace(plan, guardrail=guardrail_name(request))
            request, dropped = self.planner.settle_sampling(request, plan)
        engine = Engine.build(
            self.planner, self.accountant, plan, request_id=uuid.uuid4().hex, hints=hints,
            validate=validate, escalate=escalate, cheap_first=cheap_first,
            api_key_id=api_key_id, stream=stream, cancel=cancel,
            deadline=deadline if deadline is not None else self.deadline(timeout_s),
            dropped=dropped,
        )  # fmt: skip
        return engine, request


def _converse_options(
    *,
    modelId: str | None = None,  # noqa: N803 - boto3's spelling
    hints: Hints | None = None,
    validate: ValidationSpec = None,
    escalate: bool | None = None,
    cheap_first: bool | None = None,
    api_key_id: str | None = None,
    cancel: Cancel | None = None,
    deadline: Deadline | None = None,
    timeout_s: float | None = None,
    routing_mode: str | None = None,
    capture_rate: float | None = None,
    **kwargs: Any,
) -> None:
    """The keyword arguments of ``converse`` and ``converse_stream``, sync and async:
    tierwise's options, then the Converse fields (:data:`CONVERSE_FIELDS`). Never called:
    its signature is the four methods' (:func:`_signature_of`)."""


_P = ParamSpec("_P")
_C = TypeVar("_C")
_R = TypeVar("_R")


def _signature_of(
    spec: Callable[_P, object],
) -> Callable[[Callable[Concatenate[_C, ...], _R]], Callable[Concatenate[_C, _P], _R]]:
    """Give a method that takes ``**kwargs`` the keyword arguments of ``spec``, so that they
    are written once for several methods: mypy checks calls against them (the decorated
    type), help() and editors show them (``__signature__``). The method is returned as it is."""
    spec_params = list(inspect.signature(spec).parameters.values())

    def give(method: Callable[Concatenate[_C, ...], _R]) -> Callable[Concatenate[_C, _P], _R]:
        own = inspect.signature(method)
        this = next(iter(own.parameters.values()))
        signature = own.replace(parameters=[this, *spec_params])
        method.__signature__ = signature  # type: ignore[attr-defined]
        return cast(Callable[Concatenate[_C, _P], _R], method)

    return give


_converse_signature = _signature_of(_converse_options)


class Tierwise(_Client):
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
        hooks: Sequence[AttemptHooks] = (),
        budgets: KeyStore | None = None,
        spool: Spool | None = None,
        cache_router: CacheRouter | None = None,
    ) -> None:
        super().__init__(
            settings, ledger=ledger, scorer=scorer, class_scorer=class_scorer, hooks=hooks,
            budgets=budgets, spool=spool, cache_router=cache_router,
        )  # fmt: skip
        self.bedrock = bedrock
        # Closes streams past their deadline or idle too long: one thread for all of them.
        self._watcher = _StreamWatcher()
        # Streams handed out and not yet finished, closed (and so ledgered) by close().
        self._open_streams: weakref.WeakSet[Generator[dict[str, Any], None, None]] = (
            weakref.WeakSet()
        )
        self.driver = SyncDriver(bedrock, self.books, self.hooks, workers=settings.gateway.threads)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        ledger_url: str | None = None,
        scorer: DifficultyScorer | None = None,
        hooks: Sequence[AttemptHooks] = (),
    ) -> Tierwise:
        from tierwise.bedrock import BedrockClient, CooldownTracker

        cooldown = CooldownTracker(settings.escalation.cooldown_s)
        return cls(
            settings,
            bedrock=BedrockClient(settings, cooldown=cooldown),
            **_stores(settings, ledger_url, scorer, hooks),
        )

    @classmethod
    def from_config(cls, config_path: str | None = None, **overrides: Any) -> Tierwise:
        """Load settings (file, ``TIERWISE_*`` environment, dotted-key overrides) and build."""
        from tierwise.config import load_settings

        return cls.from_settings(load_settings(config_path, overrides=overrides).settings)

    def close(self) -> None:
        self._closed = True
        # A stream the caller stopped reading is ledgered when its generator is closed: do it
        # now, while the ledger is open (garbage collection would come after it closed).
        for stream in list(self._open_streams):
            stream.close()
        # Calls cut off by their deadline still run: wait for them to be ledgered.
        self.driver.close()
        self.ledger.close()
        self.cache_router.state.close()

    def __enter__(self) -> Tierwise:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls -----------------------------------------------------------------------

    def call(self, **kwargs: Any) -> Result:
        """:meth:`converse`, returning the engine's typed :class:`~tierwise.engine.Result`."""
        with _refusals_as_bedrock("Converse"):
            engine, request = self.engine(_fields(kwargs), **_options(kwargs))
            return cast(Result, self.driver.run(engine.run(request)))

    @_converse_signature
    def converse(self, **kwargs: Any) -> dict[str, Any]:
        """Like boto3 ``converse``; see the module docstring for ``modelId``.

        ``validate`` (a spec such as ``{"json_schema": {...}, "self_verify": {"threshold":
        0.7}}`` or a list of validators) judges each answer; with ``escalate`` (default from
        ``[escalation] enabled``) a rejected answer is retried one tier up, and with
        ``cheap_first`` the cascade starts at the cheapest allowed tier. Setting ``cancel``
        (from another thread) stops the cascade from starting another attempt; the one in
        flight completes and is ledgered. ``deadline`` bounds the whole request.
        """
        capture_rate = kwargs.pop("capture_rate", None)
        with _refusals_as_bedrock("Converse"):
            engine, request = self.engine(_fields(kwargs), **_options(kwargs))
            result = cast(Result, self.driver.run(engine.run(request)))
        if self.capturer.wants(engine.request_id, capture_rate):
            self._capture(result, request, kwargs.get("api_key_id"))
        return _response(result)

    @_converse_signature
    def converse_stream(self, **kwargs: Any) -> dict[str, Any]:
        """Like boto3 ``converse_stream``: ``response["stream"]`` yields the events.

        The stream runs the same cascade as :meth:`converse`: until its first event, a tier
        out of capacity falls back as a call would. Without validators the answer then
        streams straight through; ``response["tierwise"]`` holds the plan at once and is
        completed (cost, ledger id) when the stream ends. A stream abandoned early is still
        ledgered, with the usage seen so far, when the iterator is closed or
        garbage-collected. With validators (``validate``), an answer must be judged before
        the caller sees it: the cascade runs to completion, buffered, and the accepted
        answer is then replayed as the same stream events.
        """
        capture_rate = kwargs.pop("capture_rate", None)
        with _refusals_as_bedrock("ConverseStream"):
            engine, request = self.engine(_fields(kwargs), **_options(kwargs), stream=True)
            outcome = self.driver.run(engine.run(request))
        capture = self.capturer.wants(engine.request_id, capture_rate)
        if isinstance(outcome, Result):
            if capture:
                self._capture(outcome, request, kwargs.get("api_key_id"))
            return {"stream": replay_events(outcome.response), "tierwise": _summary(outcome)}
        summary = outcome.summary()
        collector = MessageCollector() if capture else None
        events = self._events(engine, outcome, summary, request, collector)
        next(events)  # begun, so that closing or dropping it unread still ledgers it
        self._open_streams.add(events)
        return {"stream": events, "tierwise": summary}

    def _events(
        self,
        engine: Engine,
        opened: Opened,
        summary: dict[str, Any],
        request: Mapping[str, Any],
        collector: MessageCollector | None,
    ) -> Generator[dict[str, Any], None, None]:
        stream = opened.stream
        started = time.perf_counter() - opened.settled.elapsed_ms / 1000
        meter = StreamMeter()
        trace: Any = None  # a guardrail's, on the metadata event
        error: TierwiseError | None = None
        abandoned = False
        watchdog: _Watch | None = None
        try:
            try:
                # converse_stream takes this first item itself: a generator closed or
                # collected before it has begun skips its cleanup, which ledgers a stream
                # Bedrock has already billed. The watch starts with the caller's reading.
                yield {}
                watchdog = self._watcher.watch(
                    stream, engine.deadline, self.settings.retry.stream_idle_timeout_s
                )
                for event in stream.events:
                    watchdog.touch()
                    meter.note(event)
                    if "metadata" in event:
                        trace = event["metadata"].get("trace")
                    if collector is not None:
                        collector.add(event)
                    yield event
            except Exception as exc:
                if watchdog is not None and watchdog.fired is not None:  # it closed the stream
                    raise watchdog.fired from None
                raise exc from exc.__cause__
        except TierwiseError as exc:
            error = exc
            exc.request_id = engine.request_id
            raise
        except GeneratorExit:
            abandoned = True
            raise
        finally:
            if watchdog is not None:
                self._watcher.unwatch(watchdog)
            if abandoned and meter.usage is None:
                # Bedrock reports usage in the last event: give it a moment to arrive.
                _drain(stream, meter, self.settings.budgets.usage_grace_s)
            stream.close()
            result = self.driver.run(
                _finish(engine, opened, meter, started, trace, error, abandoned=abandoned)
            )
            _completed(summary, result, meter.stop_reason, trace)
            if collector is not None and error is None and meter.stop_reason and not abandoned:
                self._capture_stream(result, request, collector, meter.stop_reason)

    def count_tokens(self, *, modelId: str | None = None, **kwargs: Any) -> int:  # noqa: N803
        request = request_fields(kwargs)
        plan = self.plan(modelId, request)
        return self.bedrock.count_tokens(plan.profiles[0], request)

    def call_within(
        self, deadline: Deadline, fn: Callable[..., T], *args: Any, late: Callable[[Any], None]
    ) -> T:
        """``fn(*args, deadline)``, abandoned at ``deadline`` (see ``SyncDriver.within``)."""
        return self.driver.within(deadline, fn, *args, late=late)


class AsyncTierwise(_Client):
    """:class:`Tierwise` for asyncio: the same arguments, awaited, on the event loop.

    Bedrock calls and streams run on the loop without a thread per call
    (:class:`~tierwise.bedrock.AsyncBedrockClient`); ledger writes and hooks, which block,
    go through ``blocking`` (a worker thread by default). ``converse_stream``'s
    ``response["stream"]`` is an async iterator; close it (``aclose``) if you stop early.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        bedrock: AsyncBedrockClient,
        ledger: Ledger,
        scorer: DifficultyScorer | None = None,
        class_scorer: ClassScorer | None = None,
        hooks: Sequence[AttemptHooks] = (),
        budgets: KeyStore | None = None,
        spool: Spool | None = None,
        cache_router: CacheRouter | None = None,
        blocking: Blocking | None = None,
    ) -> None:
        super().__init__(
            settings, ledger=ledger, scorer=scorer, class_scorer=class_scorer, hooks=hooks,
            budgets=budgets, spool=spool, cache_router=cache_router,
        )  # fmt: skip
        self.bedrock = bedrock
        self.driver = AsyncDriver(bedrock, self.books, self.hooks, blocking=blocking)
        self.blocking = self.driver.blocking
        # Streams handed out and not yet finished, closed (and so ledgered) by aclose().
        self._open_streams: weakref.WeakSet[AsyncGenerator[list[dict[str, Any]], None]] = (
            weakref.WeakSet()
        )
        # The rows those streams owe, held strongly: a stream dropped unclosed is finalized
        # by its loop in a task of its own, which may run after aclose() or never (the loop
        # ended first); aclose() writes what such a stream left unwritten.
        self._unledgered: set[_StreamRow] = set()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        ledger_url: str | None = None,
        scorer: DifficultyScorer | None = None,
        hooks: Sequence[AttemptHooks] = (),
    ) -> AsyncTierwise:
        from tierwise.bedrock import AsyncBedrockClient, CooldownTracker

        cooldown = CooldownTracker(settings.escalation.cooldown_s)
        return cls(
            settings,
            bedrock=AsyncBedrockClient(settings, cooldown=cooldown),
            **_stores(settings, ledger_url, scorer, hooks),
        )

    @classmethod
    def from_config(cls, config_path: str | None = None, **overrides: Any) -> AsyncTierwise:
        from tierwise.config import load_settings

        return cls.from_settings(load_settings(config_path, overrides=overrides).settings)

    @classmethod
    def sharing(cls, client: Tierwise, *, blocking: Blocking | None = None) -> AsyncTierwise:
        """An async client over ``client``'s settings, ledger, scorer, hooks, credentials
        and profile cooldowns (the gateway serves with one of these)."""
        from tierwise.bedrock import AsyncBedrockClient

        return cls(
            client.settings,
            bedrock=AsyncBedrockClient.sharing(client.bedrock),
            ledger=client.ledger,
            scorer=client.scorer,
            class_scorer=client.class_scorer,
            hooks=client.hooks,
            budgets=client.budgets,
            spool=client.spool,
            cache_router=client.cache_router,
            blocking=blocking,
        )

    async def aclose(self) -> None:
        self._closed = True
        await self.close_streams()
        # Calls cut off by their deadline still run: wait for them to be ledgered.
        await self.driver.close()
        await self.bedrock.aclose()
        self.ledger.close()
        self.cache_router.state.close()

    async def close_streams(self) -> None:
        """Ledger every stream handed out and not yet ledgered (the gateway calls this
        before it closes the ledger; :meth:`aclose` does).

        A stream the caller stopped reading is ledgered when its generator is closed: it is
        closed now, while the ledger is open. One whose closing is under way in another task
        (the loop finalizing a dropped generator) is waited for, up to the usage grace
        period and a margin. What is left (a dropped generator whose finalizer has not run,
        or was cancelled as its loop ended) is written here, from what the stream showed."""
        for stream in list(self._open_streams):
            if getattr(stream, "ag_running", False):
                continue  # another task is reading or closing it: waited for below
            await stream.aclose()
        limit = time.monotonic() + self.settings.budgets.usage_grace_s + _CLOSING_MARGIN_S
        while any(r.closing for r in self._unledgered) and time.monotonic() < limit:
            await asyncio.sleep(0.01)
        for row in list(self._unledgered):
            if row.read_elsewhere() or not row.claim():
                continue  # another task reads it: it ledgers itself when it ends
            with contextlib.suppress(Exception):  # its connection may be a closed loop's
                await row.opened.stream.aclose()
            try:
                await self.driver.run(row.finish(None, abandoned=True))
            finally:
                self._unledgered.discard(row)

    def _ledger_now(self, row: _StreamRow, error: TierwiseError | None, abandoned: bool) -> Any:
        """Write ``row`` in this thread, without the loop (whose task was cancelled while
        closing the stream: the loop may be ending); blocks the loop for one ledger write."""
        return drive(
            row.finish(error, abandoned=abandoned),
            lambda effect: self.books.perform(self.hooks, effect),
        )

    async def __aenter__(self) -> AsyncTierwise:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def call(self, **kwargs: Any) -> Result:
        """:meth:`converse`, returning the engine's typed :class:`~tierwise.engine.Result`."""
        with _refusals_as_bedrock("Converse"):
            engine, request = self.engine(_fields(kwargs), **_options(kwargs))
            return cast(Result, await self.driver.run(engine.run(request)))

    @_converse_signature
    async def converse(self, **kwargs: Any) -> dict[str, Any]:
        """:meth:`Tierwise.converse`, awaited."""
        capture_rate = kwargs.pop("capture_rate", None)
        with _refusals_as_bedrock("Converse"):
            engine, request = self.engine(_fields(kwargs), **_options(kwargs))
            result = cast(Result, await self.driver.run(engine.run(request)))
        if self.capturer.wants(engine.request_id, capture_rate):
            await self.blocking(self._capture, result, request, kwargs.get("api_key_id"))
        return _response(result)

    @_converse_signature
    async def converse_stream(self, **kwargs: Any) -> dict[str, Any]:
        """:meth:`Tierwise.converse_stream`, awaited; ``response["stream"]`` is an async
        iterator of the same events."""
        capture_rate = kwargs.pop("capture_rate", None)
        with _refusals_as_bedrock("ConverseStream"):
            engine, request = self.engine(_fields(kwargs), **_options(kwargs), stream=True)
            outcome = await self.driver.run(engine.run(request))
        capture = self.capturer.wants(engine.request_id, capture_rate)
        if isinstance(outcome, Result):
            if capture:
                await self.blocking(self._capture, outcome, request, kwargs.get("api_key_id"))
            return {"stream": _replayed(outcome.response), "tierwise": _summary(outcome)}
        summary = outcome.summary()
        collector = MessageCollector() if capture else None
        row = _StreamRow(engine, outcome)
        self._unledgered.add(row)
        batches = self._batches(row, summary, request, collector)
        row.generator = weakref.ref(batches)
        await anext(batches)  # begun, so that closing or dropping it unread still ledgers it
        self._open_streams.add(batches)
        events = AsyncEvents(batches, row, pushable=collector is None)
        return {"stream": events, "tierwise": summary}

    async def _batches(
        self,
        row: _StreamRow,
        summary: dict[str, Any],
        request: Mapping[str, Any],
        collector: MessageCollector | None,
    ) -> AsyncGenerator[list[dict[str, Any]], None]:
        engine, opened = row.engine, row.opened
        stream = opened.stream
        meter = row.meter
        note = meter.note
        error: TierwiseError | None = None
        abandoned = False
        idle_s = self.settings.retry.stream_idle_timeout_s
        batches = aiter(stream.batches())
        from tierwise.bedrock.aio import AsyncStreamResult  # loaded: the stream is one

        # The next events within the idle timeout and the deadline, waited for on the loop
        # (where the sync client needs a watchdog thread): by the body's own read wait, one
        # wait per event, when the stream can take its limits; else around each read.
        limited = isinstance(stream, AsyncStreamResult) and stream.limit(idle_s, engine.deadline)
        waits = Waits()  # one timer for the stream's waits, not one per event
        try:
            # converse_stream takes this first batch itself: a generator closed or collected
            # before it has begun skips its cleanup, which ledgers a stream Bedrock has
            # already billed (Python 3.11 cannot tell such a generator from a suspended one).
            yield []
            while True:
                try:
                    if limited:
                        batch = await anext(batches)
                    else:
                        remaining = engine.deadline.remaining()
                        by_deadline = remaining <= idle_s
                        wait = remaining if by_deadline else idle_s
                        try:
                            batch = await waits.within(wait, anext(batches))
                        except TimeoutError:
                            raise StreamLimitError(by_deadline) from None
                except StopAsyncIteration:
                    break
                except StreamLimitError as exc:
                    await stream.aclose()
                    # The loop's timer may fire a hair before the deadline's clock says it
                    # passed, so the limit that set the wait decides which error this is.
                    if exc.deadline or engine.deadline.expired():
                        raise engine.deadline.error("while the stream was open") from None
                    raise DeadlineExceededError(
                        f"the stream sent no event for {idle_s:g} s",
                        hint="raise [retry] stream_idle_timeout_s",
                    ) from None
                for event in batch:
                    note(event)
                    if "metadata" in event:
                        row.trace = event["metadata"].get("trace")
                    if collector is not None:
                        collector.add(event)
                yield batch
        except TierwiseError as exc:
            error = exc
            exc.request_id = engine.request_id
            raise
        except (GeneratorExit, asyncio.CancelledError):
            abandoned = True
            raise
        finally:
            waits.close()
            result = await self._finish_stream(row, error, abandoned)
            if result is not None:
                _completed(summary, result, meter.stop_reason, row.trace)
            if (
                result is not None
                and collector is not None
                and error is None
                and meter.stop_reason
                and not abandoned
            ):
                await self.blocking(
                    self._capture_stream, result, request, collector, meter.stop_reason
                )

    async def _finish_stream(
        self, row: _StreamRow, error: TierwiseError | None, abandoned: bool
    ) -> Result | None:
        """Close ``row``'s upstream stream, then price and ledger it; None when
        :meth:`close_streams` has ledgered it already (the generator outlived its client).

        A stream the caller dropped unclosed is written without the loop (its loop may be
        ending, its finalizing task cancelled); so is one whose closing failed or was
        cancelled."""
        stream = row.opened.stream
        row.closing = True
        try:
            try:
                if abandoned and row.meter.usage is None:
                    # Bedrock reports usage in the last event: give it a moment to arrive.
                    await _drain_async(stream, row.meter, self.settings.budgets.usage_grace_s)
                await stream.aclose()
            except BaseException as exc:
                # Closing failed, or was cancelled or closed (the loop may be ending): the
                # row is written all the same, now.
                if row.claim():
                    self._unledgered.discard(row)
                    gone = abandoned or not isinstance(exc, Exception)
                    self._ledger_now(row, error, abandoned=gone)
                raise
            if not row.claim():
                return None
            self._unledgered.discard(row)
            if row.dropped:
                return cast(Result, self._ledger_now(row, error, abandoned=abandoned))
            return cast(Result, await self.driver.run(row.finish(error, abandoned=abandoned)))
        finally:
            row.closing = False

    async def count_tokens(self, *, modelId: str | None = None, **kwargs: Any) -> int:  # noqa: N803
        request = request_fields(kwargs)
        plan = self.plan(modelId, request)
        return await self.bedrock.count_tokens(plan.profiles[0], request)


class AsyncEvents:
    """An open stream's events, for ``async for``: ``response["stream"]`` of
    :meth:`AsyncTierwise.converse_stream`. :meth:`batches` reads the same events in lists
    (those that arrived together), as the gateway does; :meth:`aclose` ends the stream (it
    is priced and ledgered before this returns)."""

    __slots__ = ("__weakref__", "_batch", "_batches", "_next", "_pushable", "_row")

    def __init__(
        self,
        batches: AsyncGenerator[list[dict[str, Any]], None],
        row: _StreamRow | None = None,
        *,
        pushable: bool = False,
    ) -> None:
        self._batches = batches
        self._batch: list[dict[str, Any]] = []
        self._next = 0  # the index in _batch of the next event
        self._row = row
        # Whether push() may hand events over (not when they are captured: the collector
        # is the batches generator's own).
        self._pushable = pushable and row is not None

    def __del__(self) -> None:
        # Dropped: the generator is finalized next, by its loop in a task of its own, maybe
        # as the loop ends; its row is then written without the loop.
        row = self._row
        if row is not None:
            row.dropped = True

    def __aiter__(self) -> AsyncEvents:
        return self

    async def __anext__(self) -> dict[str, Any]:
        index = self._next
        batch = self._batch
        if index >= len(batch):
            batch = self._batch = await anext(self._batches)
            index = 0
        self._next = index + 1
        return batch[index]

    def batches(self) -> AsyncIterator[list[dict[str, Any]]]:
        """The events not yet read, in batches."""
        if self._next >= len(self._batch):
            return self._batches
        rest, self._batch = self._batch[self._next :], []
        return _after(rest, self._batches)

    def push(self, handler: Callable[[list[dict[str, Any]]], bool] | None) -> bool:
        """While :meth:`batches` waits for the next events, hand the events that arrive to
        ``handler`` in the connection's callback instead (metered first, as the batches
        are): no task is woken for them. ``handler`` returns True to go on, False to have
        the wait end with an empty batch; an error it raises is raised by the batches. Only
        events that arrive whole and plain, while the stream is read with its limits in
        the body's own wait, are handed over; the rest come in batches as before. None
        stops it. False when this stream cannot hand events over (nothing is handed)."""
        row = self._row
        if row is None or not self._pushable or self._next < len(self._batch):
            return False
        stream = row.opened.stream
        push = getattr(stream, "push", None)
        if push is None:
            return False
        if handler is None:
            return bool(push(None))
        note = row.meter.note

        def metered(batch: list[dict[str, Any]]) -> bool:
            # What the batches generator does with each batch before it yields it.
            for event in batch:
                note(event)
                if "metadata" in event:
                    row.trace = event["metadata"].get("trace")
            return handler(batch)

        return bool(push(metered))

    async def aclose(self) -> None:
        await self._batches.aclose()


_CLOSING_MARGIN_S = 5.0  # close_streams' wait for a closing stream, beyond the usage grace


class _StreamRow:
    """The row an open async stream owes, and what it is priced from: the engine and the
    opened stream, the events metered so far and the guardrail's trace. Written once: by
    the stream's own cleanup, or by :meth:`AsyncTierwise.close_streams` for a stream whose
    cleanup has not run (``claim`` decides which)."""

    __slots__ = (
        "claimed", "closing", "dropped", "engine", "generator", "meter", "opened", "started",
        "trace",
    )  # fmt: skip

    def __init__(self, engine: Engine, opened: Opened) -> None:
        self.engine = engine
        self.opened = opened
        self.started = time.perf_counter() - opened.settled.elapsed_ms / 1000
        self.meter = StreamMeter()
        self.trace: Any = None  # a guardrail's, on the metadata event
        self.claimed = False
        self.closing = False  # its cleanup is under way (in the task finalizing it, maybe)
        self.dropped = False  # the caller let go of it unclosed
        self.generator: Callable[[], Any] = lambda: None  # its events' generator, weakly

    def read_elsewhere(self) -> bool:
        """Whether a task is reading the stream (not closing it): it ledgers it at its end."""
        generator = self.generator()
        return not self.closing and bool(getattr(generator, "ag_running", False))

    def claim(self) -> bool:
        """True the first time only: the caller writes the row (on the loop's thread)."""
        if self.claimed:
            return False
        self.claimed = True
        return True

    def finish(
        self, error: TierwiseError | None, *, abandoned: bool
    ) -> Generator[Any, Any, Result]:
        """The engine's machine that prices and records the stream as metered so far."""
        return _finish(
            self.engine, self.opened, self.meter, self.started, self.trace, error,
            abandoned=abandoned,
        )  # fmt: skip


def _finish(  # noqa: PLR0917
    engine: Engine,
    opened: Opened,
    meter: StreamMeter,
    started: float,
    trace: Any,
    error: TierwiseError | None,
    *,
    abandoned: bool,
) -> Generator[Any, Any, Result]:
    """The engine's machine that prices and records a stream (sync or async) as
    ``meter`` saw it, from ``started`` (``perf_counter``) until now."""
    usage, estimated = meter.billed(
        opened.attempt.request, engine.accountant.output_limit(opened.settled.model_id)
    )
    return engine.finish_stream(
        opened, usage=usage, stop_reason=meter.stop_reason, error=error,
        latency_ms=(time.perf_counter() - started) * 1000,
        service_tier=meter.served, estimated=estimated, abandoned=abandoned,
        thinking_tokens=meter.thinking_tokens(usage.output), trace=trace,
    )  # fmt: skip


def _completed(
    summary: dict[str, Any], result: Result, stop_reason: str | None, trace: Any
) -> None:
    """Complete a stream's ``tierwise`` section once it is priced and ledgered: cost,
    ledger id and attempts, and what the guardrail did (if the request had one)."""
    summary.update(result.summary())
    guard = guardrail_summary({"stopReason": stop_reason, "trace": trace}, result.plan.guardrail)
    if guard is not None:
        summary["guardrail"] = guard


async def _after(
    first: list[dict[str, Any]], rest: AsyncIterator[list[dict[str, Any]]]
) -> AsyncIterator[list[dict[str, Any]]]:
    yield first
    async for batch in rest:
        yield batch


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
        except Exception:
            pass
        finally:
            done.set()

    threading.Thread(target=read, name="tierwise-stream-drain", daemon=True).start()
    done.wait(grace_s)


async def _drain_async(stream: Any, meter: StreamMeter, grace_s: float) -> None:
    """:func:`_drain` on the event loop: read on for up to ``grace_s`` seconds."""

    async def read() -> None:
        async for batch in stream.batches():
            for event in batch:
                meter.note(event)

    # Timed out or broke: either way the stream is being abandoned.
    with contextlib.suppress(Exception):
        await asyncio.wait_for(read(), grace_s)


async def _replayed(response: Mapping[str, Any]) -> AsyncIterator[dict[str, Any]]:
    for event in replay_events(response):
        yield event


_OPTIONS = frozenset(
    {"modelId", "hints", "validate", "escalate", "cheap_first", "api_key_id", "cancel",
     "deadline", "timeout_s", "routing_mode"}
)  # fmt: skip


# What Bedrock answers with a ValidationException, refused before the call: the request
# (BedrockWouldRefuseError) or the model ID (ModelNotAvailableError: another Region's profile,
# an OpenAI name while those are off; Bedrock says "The provided model identifier is
# invalid."). A ModelNotAvailableError Bedrock answered is its ClientError already.
_REFUSED_BEFORE_THE_CALL = (BedrockWouldRefuseError, ModelNotAvailableError)


@contextlib.contextmanager
def _malformed_as_botocore(request: object) -> Iterator[None]:
    """Routing reads a request before botocore checks it, so a block of the wrong type (a
    string for a content block, a number for a tool, a NaN maxTokens) breaks that reading
    with a TypeError, AttributeError or ValueError: raise botocore's parameter report of
    ``request`` instead (:func:`tierwise.bedrock.errors.parameter_problem`). A well-formed
    request's error is a tierwise bug and is raised as it is."""
    try:
        yield
    except (TypeError, AttributeError, ValueError):
        from tierwise.bedrock.errors import parameter_problem

        malformed = parameter_problem(request) if is_mapping(request) else None
        if malformed is None:
            raise
        raise malformed from None


@contextlib.contextmanager
def _refusals_as_bedrock(operation: str) -> Iterator[None]:
    """Raise what is refused before the call as the ``ClientError`` boto3 raises when Bedrock
    refuses it (:func:`tierwise.bedrock.errors.as_bedrock_answered`), keeping its traceback:
    a boto3 caller's ``except ClientError`` catches both. Imported on a refusal only:
    ``import tierwise`` loads no botocore."""
    try:
        yield
    except _REFUSED_BEFORE_THE_CALL as refused:
        from tierwise.bedrock.errors import as_bedrock_answered

        answered = as_bedrock_answered(refused, operation)
        raise answered.with_traceback(refused.__traceback__) from None


def _options(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if k in _OPTIONS}


def _fields(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if k not in _OPTIONS}


def _summary(result: Result) -> dict[str, Any]:
    """The ``tierwise`` section, with what the guardrail did (if the request had one)."""
    info = result.summary()
    guard = guardrail_summary(result.response, result.plan.guardrail)
    if guard is not None:
        info["guardrail"] = guard
    return info


def _response(result: Result) -> dict[str, Any]:
    return {**result.response, "tierwise": _summary(result)}


def guardrail_name(request: Mapping[str, Any]) -> str | None:
    """``ID:VERSION`` of the request's ``guardrailConfig``, or None."""
    config = request.get("guardrailConfig")
    if not is_mapping(config):
        return None
    ident = str(config.get("guardrailIdentifier") or "").rsplit("/", 1)[-1]
    return f"{ident}:{config.get('guardrailVersion') or ''}" if ident else None


def _check_options(model_id: object, hints: object, validate: object, timeout_s: object) -> None:
    """tierwise's own arguments of a call, checked before anything runs: a wrong type was an
    AttributeError or TypeError from deep inside, and a NaN timeout_s made the call and cut
    it (an estimated, charged row)."""
    if model_id is not None and not isinstance(model_id, str):
        raise InvalidRequestError(
            f"modelId must be a string, not {type(model_id).__name__}",
            hint="auto, haiku, sonnet, opus, an alias or a Bedrock model ID",
        )
    if hints is not None and not isinstance(hints, Hints):
        raise InvalidRequestError(
            f"hints must be a tierwise.core.hints.Hints, not {type(hints).__name__}",
            hint="e.g. hints=Hints(max_tier=Tier.SONNET), or modelId='sonnet' to pin a tier",
        )
    if validate is not None and not isinstance(validate, Mapping | list | tuple):
        raise InvalidRequestError(
            f"validate must be a spec mapping or a list of validators, not "
            f"{type(validate).__name__}",
            hint='e.g. validate={"json_schema": {...}, "stop_reasons": True}',
        )
    if timeout_s is not None and (
        isinstance(timeout_s, bool)
        or not isinstance(timeout_s, int | float)
        or not math.isfinite(timeout_s)
        or timeout_s <= 0
    ):
        raise InvalidRequestError(
            f"timeout_s must be a positive number of seconds, not {timeout_s!r}",
            hint="e.g. timeout_s=30, or leave it out for [retry] total_timeout_s",
        )


def _check_switches(**switches: object) -> None:
    """``escalate`` and ``cheap_first`` are True, False or None (the config's default): a
    string was read by its truth, so ``escalate="false"`` turned escalation on."""
    for name, value in switches.items():
        if value is not None and not isinstance(value, bool):
            raise InvalidRequestError(
                f"{name} must be True, False or None, not {type(value).__name__} {value!r:.40}",
                hint=f"e.g. {name}=True; leave it out for the configured default",
            )


def request_fields(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The Converse fields of ``kwargs``; anything else is a caller mistake."""
    unknown = sorted(set(kwargs) - set(CONVERSE_FIELDS))
    if unknown:
        raise InvalidRequestError(
            f"unknown converse argument(s): {', '.join(unknown)}",
            hint=f"converse accepts modelId, hints and: {', '.join(CONVERSE_FIELDS)}",
        )
    messages = kwargs.get("messages")
    if messages is not None:
        # Checked here, not left to botocore: a pinned tier reaches cache placement before
        # botocore sees the request, and that read messages="hi" as an AttributeError.
        shape = '[{"role": "user", "content": [{"text": "..."}]}]'
        if not isinstance(messages, list | tuple):
            raise InvalidRequestError(
                f"messages must be a list, not {type(messages).__name__}", hint=f"use {shape}"
            )
        for i, message in enumerate(messages):
            if not is_mapping(message):
                raise InvalidRequestError(
                    f"messages[{i}] must be a dict with role and content, not "
                    f"{type(message).__name__}",
                    hint=f"use {shape}",
                )
    return {k: v for k, v in kwargs.items() if v is not None}


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

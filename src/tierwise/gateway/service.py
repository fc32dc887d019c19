"""What every route shares: admission (key, rate limit, budget), body parsing, hints, the
call on the async engine, headers and metrics.

Bedrock calls and streams run on the event loop (:class:`~tierwise.client.AsyncTierwise`):
an in-flight call holds no thread, so one process holds thousands of them. What blocks
(key checks, budget reservations, ledger writes and charges: database transactions) runs in
the gateway's own bounded thread pool (``[gateway] threads``); each is short, so the pool
bounds how many overlap, not how many calls are in flight.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
from starlette.requests import Request
from starlette.types import Receive

from tierwise.client import AUTO, AsyncTierwise, Tierwise
from tierwise.config import Settings
from tierwise.core.convert.request import Converted
from tierwise.core.guardrails import guardrail_config, guardrail_from_header
from tierwise.core.hints import Hints
from tierwise.core.tiers import Tier
from tierwise.engine.machine import Lookout
from tierwise.errors import InvalidRequestError, LedgerUnavailableError
from tierwise.gateway import access
from tierwise.gateway.auth import Authenticator
from tierwise.gateway.errors import BodyTooLargeError, answered
from tierwise.gateway.headers import tierwise_headers
from tierwise.gateway.limits import InMemoryRateLimits, RateLimits, StoreRateLimits
from tierwise.gateway.metrics import Metrics
from tierwise.gateway.remote_images import ImageFetcher, inline_remote_images
from tierwise.gateway.streaming import EventStreamResponse, OpenStream, Relay
from tierwise.store.keys import ApiKey, KeyStore

__all__ = ["BodyTooLargeError", "Call", "Gateway", "HungUp", "tierwise_headers"]

T = TypeVar("T")

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
MAX_TIMEOUT_S = 3600.0
_HINT_HEADERS = (("min_tier", "x-tierwise-min-tier"), ("max_tier", "x-tierwise-max-tier"))
# A JSON escape of a UTF-16 surrogate half; only bodies with one need the full check.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass
class Call:
    """One request through the gateway: its key, when it started (for overhead), and how to
    hear that its client has hung up."""

    key: ApiKey | None
    started: float
    receive: Receive | None = None

    @property
    def key_id(self) -> str | None:
        return self.key.id if self.key else None


class HungUp(Lookout):
    """Whether the request's client has hung up: the engine's ``cancel``, which it reads
    only before an escalation or a fallback, after :meth:`look` (on the loop). A task
    watching ``receive`` for the whole call cost every call ~41 k instructions, to be read
    by the few that fail over or escalate. (A threading.Event cost ~22 k to make: its
    Condition probes the lock for three methods a plain lock lacks.)"""

    __slots__ = ("_receive", "_set")

    def __init__(self, receive: Receive | None = None) -> None:
        self._receive = receive
        self._set = False

    def is_set(self) -> bool:
        return self._set

    async def look(self) -> None:
        """Take the messages the server already has for this request, as Starlette's
        ``Request.is_disconnected`` does (a cancelled scope: a ``receive`` that would wait
        stops at once): the body has been read, so the disconnect, once the server has
        seen it, is among them (a server answers every later ``receive`` with it)."""
        receive = self._receive
        if self._set or receive is None:
            return
        try:
            with anyio.CancelScope() as scope:
                scope.cancel()
                while (await receive())["type"] != "http.disconnect":
                    pass  # anything else after the body says nothing about the client
                self._set = True
        except Exception:
            # A receive that fails says nothing either: the call goes on, as it did when
            # the failure ended a watcher task.
            return


class Gateway:
    """The gateway's collaborators; built once by ``create_app`` and kept on ``app.state``."""

    def __init__(
        self,
        settings: Settings,
        tierwise: Tierwise,
        keys: KeyStore | None,
        *,
        auth: bool,
        limits: RateLimits | None = None,
    ) -> None:
        self.settings = settings
        self.tierwise = tierwise
        self.keys = keys
        self.auth = auth
        self.authenticator = Authenticator(keys, enabled=auth)
        if limits is None:
            limits = StoreRateLimits(keys) if keys is not None else InMemoryRateLimits()
        self.limits = limits
        self.metrics = Metrics(lambda: tierwise.cache_router.state)
        # Threads start lazily, on the first call: building the app does no I/O.
        self.executor = ThreadPoolExecutor(
            settings.gateway.threads, thread_name_prefix="tierwise-gateway"
        )
        # The same client on the event loop: its blocking effects go to the pool above.
        self.engine = AsyncTierwise.sharing(tierwise, blocking=self.run)
        # Images named by URL are fetched only when the operator allows it.
        self.images = ImageFetcher() if settings.gateway.allow_remote_images else None

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn`` in the gateway's thread pool (lighter than anyio's, and bounded).

        What ``loop.run_in_executor`` does, less the partial its one-positional-argument
        form needs and its check that the partial wraps no coroutine function (inspect
        unwrapping it: a dozen Python-level calls on every ledger write and key check)."""
        return await asyncio.wrap_future(
            self.executor.submit(fn, *args, **kwargs), loop=asyncio.get_running_loop()
        )

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.engine.bedrock.close()

    # -- admission -------------------------------------------------------------------

    def authenticate(self, request: Request, *, admin: bool = False) -> ApiKey | None:
        """The caller's key (None when auth is off); blocking, for the rare admin routes."""
        presented = self.authenticator.require_presented(request.headers)
        if presented is None:
            return None
        return self.authenticator.verify(presented, admin=admin)

    async def begin(self, request: Request) -> Call:
        """Authenticate, then apply the key's rate limit and budget (one thread hop)."""
        started = time.perf_counter()
        presented = self.authenticator.require_presented(request.headers)
        if presented is None:
            self._keyless_outage()
            return Call(None, started, request.receive)
        key = await self.run(self._admit, presented)
        record = access.current()
        if record is not None:
            record.key = key.name
        return Call(key, started, request.receive)

    def _keyless_outage(self) -> None:
        """With ``[ledger] on_outage = "refuse"``, keyless requests are refused too while
        the ledger database is unreachable (keyed ones are: their key cannot be checked)."""
        spool = self.tierwise.spool
        if (
            spool is not None
            and spool.outage.is_set()
            and self.settings.ledger.on_outage == "refuse"
        ):
            raise LedgerUnavailableError(
                "the ledger database is unreachable and [ledger] on_outage is refuse"
            )

    def _admit(self, presented: str) -> ApiKey:
        spool = self.tierwise.spool
        if spool is not None and spool.outage.is_set():
            # Down when last tried (rows wait in the spool): no wait on it per request.
            return self._admit_during_outage(presented)
        try:
            key = self.authenticator.verify(presented)
        except LedgerUnavailableError:
            return self._admit_during_outage(presented)
        self.limits.hit(key.id, key.rpm)
        # verify() has just read the committed spend: no second read is needed.
        key.admit()
        return key

    def _admit_during_outage(self, presented: str) -> ApiKey:
        """The ledger database is unreachable: a key this process verified before is
        served as ``[ledger] on_outage`` allows ("auto": keys without a budget; "spool":
        all, budgets best-effort), without its rate limit (counted in the database); any
        other request is refused with 503."""
        mode = self.settings.ledger.on_outage
        key = self.authenticator.remembered(presented) if mode != "refuse" else None
        if key is None or (mode == "auto" and key.budget_usd is not None):
            raise LedgerUnavailableError(
                "the ledger database is unreachable: the key and its budget cannot be "
                "checked without it",
                hint='retry shortly; [ledger] on_outage = "spool" serves keys this gateway '
                "has seen during an outage, budgets enforced best-effort",
            )
        key.admit()
        return key

    # -- request ---------------------------------------------------------------------

    async def body(self, request: Request) -> Any:
        """The JSON body, refused past ``[gateway] max_body_bytes`` without reading it all."""
        limit = self.settings.gateway.max_body_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise BodyTooLargeError(limit)
        if declared and declared.isdigit():
            raw = await request.body()  # uvicorn stops at the declared length
        else:  # chunked: count as it arrives
            chunks: list[bytes] = []
            size = 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyTooLargeError(limit)
                chunks.append(chunk)
            raw = b"".join(chunks)
        try:
            # Strictly UTF-8 (RFC 8259): json.loads(bytes) would also take UTF-16 and let
            # encoded surrogate halves through, which fail only upstream.
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidRequestError(f"the request body is not valid UTF-8: {exc}") from None
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidRequestError(f"the request body is not valid JSON: {exc}") from None
        except RecursionError:  # "[[[[...]]]]" deeper than the parser's stack
            raise InvalidRequestError("the request body is nested too deeply") from None
        except ValueError as exc:  # an integer past Python's int/str digit limit (4,300)
            raise InvalidRequestError(
                f"the request body has a number too long to read: {exc}",
                hint="send numbers of at most 4,300 digits",
            ) from None
        if _SURROGATE_ESCAPE.search(text):
            # JSON lets "\ud800" stand alone; such a string cannot be encoded to be sent on,
            # and would fail upstream (and be retried) instead of here. Pairs are fine.
            try:
                json.dumps(body, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidRequestError(
                    "the request body contains an unpaired UTF-16 surrogate escape "
                    "(\\ud800-\\udfff)",
                    hint="send valid Unicode text",
                ) from None
        return body

    def hints(self, request: Request, key: ApiKey | None) -> Hints | None:
        """Routing hints from the ``x-tierwise-*-tier`` headers, capped by the key's tier."""
        headers = request.headers
        values = {name: headers[h] for name, h in _HINT_HEADERS if headers.get(h)}
        tiers: dict[str, Tier] = {}
        for name, header in _HINT_HEADERS:
            raw = values.get(name, "").strip()
            if raw and raw.lower() != "auto":
                try:
                    tiers[name] = Tier.parse(raw)
                except InvalidRequestError:
                    raise InvalidRequestError(
                        f"{header}: {raw!r} is not a tier", hint="send haiku, sonnet or opus"
                    ) from None
        low, high = tiers.get("min_tier"), tiers.get("max_tier")
        if low is not None and high is not None and low.rank > high.rank:
            # Hints' own message speaks of min_tier/max_tier/force_tier: name the headers.
            raise InvalidRequestError(
                f"x-tierwise-min-tier {low.value} is above x-tierwise-max-tier {high.value}",
                hint="send x-tierwise-min-tier at or below x-tierwise-max-tier "
                "(haiku < sonnet < opus), or pin one tier with the model field",
            )
        hints = Hints.parse(values) if values else Hints()
        if key is not None and key.max_tier is not None:
            cap = key.max_tier
            if hints.min_tier is not None and hints.min_tier.rank > cap.rank:
                raise InvalidRequestError(
                    f"x-tierwise-min-tier {hints.min_tier.value} is above this key's cap "
                    f"({cap.value})",
                    hint=f"ask for at most {cap.value}",
                )
            if hints.max_tier is None or hints.max_tier.rank > cap.rank:
                hints = Hints(min_tier=hints.min_tier, max_tier=cap)
        return None if hints.empty else hints

    @staticmethod
    def guardrail(request: Request, body_value: Any, *, stream: bool) -> dict[str, Any] | None:
        """The request's guardrail: the body's ``guardrailConfig`` (sent with the SDKs'
        ``extra_body``), else the ``x-tierwise-guardrail`` header; None means the key's or
        the configured default applies."""
        if body_value is not None:
            return guardrail_config(body_value, stream=stream)
        headers = request.headers
        return guardrail_from_header(
            headers.get("x-tierwise-guardrail"),
            headers.get("x-tierwise-guardrail-trace"),
            stream=stream,
        )

    @staticmethod
    def validation(
        key: ApiKey | None,
        json_schema: Mapping[str, Any] | None = None,
        strict_tools: Sequence[str] = (),
    ) -> dict[str, Any] | None:
        """The validators for a request: the key's policy, plus the request's own JSON schema
        (``response_format``), which wins over the key's for the same validator, and its
        ``strict`` tools (whose calls must match their schema) unless the key already checks
        every call."""
        spec: dict[str, Any] = dict(((key.policy or {}).get("validate") or {}) if key else {})
        if json_schema is not None:
            spec["json_schema"] = dict(json_schema)
        if strict_tools and spec.get("tool_calls") is not True:
            spec["tool_calls"] = sorted({*strict_tools, *(spec.get("tool_calls") or ())})
        return spec or None

    @staticmethod
    def escalate(request: Request, key: ApiKey | None = None) -> bool | None:
        """``x-tierwise-escalate`` true/false; else the key's policy; else None, which means
        ``[escalation] enabled``."""
        value = request.headers.get("x-tierwise-escalate")
        if value is None:
            policy = (key.policy or {}) if key is not None else {}
            flag_value = policy.get("escalate")
            return flag_value if isinstance(flag_value, bool) else None
        flag = value.strip().lower()
        if flag in _TRUE:
            return True
        if flag in _FALSE:
            return False
        raise InvalidRequestError(
            f"x-tierwise-escalate: {value!r} is not a boolean", hint="use true or false"
        )

    @staticmethod
    def take_guardrail(body: Any) -> Any:
        """Remove and return the body's ``guardrailConfig``: tierwise's extension to every
        API, which call_kwargs resolves, not the converters' business."""
        return body.pop("guardrailConfig", None) if isinstance(body, dict) else None

    def call_kwargs(
        self, request: Request, call: Call, converted: Converted, guardrail: Any = None
    ) -> dict[str, Any]:
        """What every door passes to the engine: the model, the caller's hints, validators
        (the key's, plus the request's own schema and strict tools), escalation, deadline,
        key, and the guardrail (the body's ``guardrail``, else the header, else the key's or
        the configured default)."""
        kwargs = {
            "modelId": converted.model,
            "hints": self.hints(request, call.key),
            "validate": self.validation(call.key, converted.json_schema, converted.strict_tools),
            "escalate": self.escalate(request, call.key),
            "timeout_s": self.timeout(request),
            "api_key_id": call.key_id,
            **converted.request,
        }
        guard = self.guardrail(request, guardrail, stream=converted.stream)
        if guard is not None:
            kwargs["guardrailConfig"] = guard
        return kwargs

    async def open_call(
        self, request: Request, convert: Callable[[Any], Converted]
    ) -> tuple[Call, Converted, dict[str, Any]]:
        """What every door does before its call, in this order: admit the key
        (:meth:`begin`), read the body, take tierwise's guardrail extension out of it,
        convert the rest with the door's ``convert``, check the model against the key, and
        build the engine's arguments (:meth:`call_kwargs`)."""
        call = await self.begin(request)
        body = await self.body(request)
        guard_value = self.take_guardrail(body)
        if self.images is not None:
            await inline_remote_images(body, self.images, self.settings.gateway.max_images)
        converted = convert(body)
        self.model_allowed(converted.model, call.key)
        return call, converted, self.call_kwargs(request, call, converted, guard_value)

    @staticmethod
    def timeout(request: Request) -> float | None:
        """``x-tierwise-timeout-s``: this request's wall-clock bound in seconds (instead of
        ``[retry] total_timeout_s``); None when not sent."""
        value = request.headers.get("x-tierwise-timeout-s")
        if value is None:
            return None
        try:
            seconds = float(value)
        except ValueError:
            seconds = float("nan")
        if not 0 < seconds <= MAX_TIMEOUT_S:  # also refuses nan and inf
            raise InvalidRequestError(
                f"x-tierwise-timeout-s: {value!r} is not a number of seconds in (0, "
                f"{MAX_TIMEOUT_S:g}]",
                hint="send e.g. x-tierwise-timeout-s: 30",
            )
        return seconds

    def model_allowed(self, model: str, key: ApiKey | None) -> None:
        """A key capped at a tier may not use a tier or model above it, and a key with a cap
        or a budget may not use a model in no configured tier: such a model can be neither
        capped nor priced, so its calls would cost the key nothing."""
        # Every door checks the model it was asked for here: the access log notes it here.
        record = access.current()
        if record is not None:
            record.model = model
        if key is None or (key.max_tier is None and key.budget_usd is None):
            return
        if self.settings.resolve_model(model).strip().lower() == AUTO:
            return
        tier = self.settings.tier_named(model)
        if tier is None:
            # Only the tiers this key may use: a capped key was told to try opus too.
            cap = key.max_tier
            allowed = [t.value for t in Tier if cap is None or t.rank <= cap.rank]
            raise InvalidRequestError(
                f"this key has a tier cap or a budget, and {model!r} is in no configured tier, "
                "so its calls could be neither capped nor priced",
                hint=f"use auto or {' or '.join(allowed)}, or add the model ID to a tier in the "
                "config",
            )
        if key.max_tier is not None and tier.rank > key.max_tier.rank:
            # An alias or a model ID is named with its tier: "claude-opus-4-1" alone did
            # not say why "not opus" applied to it.
            sent = (
                "" if model.strip().lower() == tier.value else f" (model {model!r} is {tier.value})"
            )
            raise InvalidRequestError(
                f"this key may use tiers up to {key.max_tier.value}, not {tier.value}{sent}",
                hint="use model 'auto' or a lower tier",
            )

    # -- the call --------------------------------------------------------------------

    async def converse(self, call: Call, **kwargs: Any) -> dict[str, Any]:
        """The routed call on the event loop. The engine reserves each attempt against the
        key's budget and charges it with the attempt's ledger row (one transaction), a
        rejected answer's too. If the client hangs up meanwhile, the attempt in flight
        completes and is ledgered and charged, but no escalation or fallback follows it."""
        cancel = HungUp(call.receive)
        return await self.engine.converse(**self.key_options(call.key), **kwargs, cancel=cancel)

    @staticmethod
    def key_options(key: ApiKey | None) -> dict[str, Any]:
        """What a key's policy sets for each call: shadow routing and its capture rate."""
        policy = (key.policy or {}) if key is not None else {}
        options: dict[str, Any] = {}
        if "routing_mode" in policy:
            options["routing_mode"] = policy["routing_mode"]
        if "capture_rate" in policy:
            options["capture_rate"] = float(policy["capture_rate"])
        return options

    async def stream_reply(
        self, call: Call, kwargs: Mapping[str, Any], reply: Callable[[OpenStream], T]
    ) -> T:
        """The routed stream (:meth:`converse_stream`) as the door's ``reply``. If the reply
        cannot be built, the stream is abandoned and closed, so that it is ledgered and
        charged before the error (which says not to retry: that would pay again) is sent.
        Abandoning alone left it open, unledgered, until the garbage collector came by."""
        stream = await self.converse_stream(call, **kwargs)
        try:
            return reply(stream)
        except BaseException as exc:
            stream.abandon()
            await stream.close()
            if isinstance(exc, Exception):
                raise answered(exc, stream.info.get("requestId")) from exc
            raise

    async def converse_stream(self, call: Call, **kwargs: Any) -> OpenStream:
        """The routed stream, open once its first event has arrived (a tier out of capacity
        falls back before that, as for :meth:`converse`). It is charged to the key when it
        ends or is closed (a client disconnect closes it: the row is ledgered and the key
        charged). A validated stream runs its cascade before the first event, and a hang-up
        during it stops further attempts."""
        record = access.current()
        if record is not None:
            record.stream = True
        cancel = HungUp(call.receive)
        result = await self.engine.converse_stream(
            **self.key_options(call.key), **kwargs, cancel=cancel
        )
        return OpenStream(result["tierwise"], result["stream"])

    def relay(
        self,
        api: str,
        call: Call,
        stream: OpenStream,
        *,
        encode: Callable[[list[Any]], bytes],
        closing: Callable[[], bytes],
        error_frame: Callable[[Exception], bytes],
    ) -> EventStreamResponse:
        """The SSE response for an open stream: each batch of events as ``encode`` writes
        it, then ``closing()`` once the stream has ended (and been priced), or the error as
        ``error_frame`` writes it, since the headers have left by then; metrics last."""
        info = stream.info
        headers = tierwise_headers(info, call.started, final="costUsd" in info)
        record = access.current()

        def failed(exc: Exception) -> bytes:
            self.metrics.observe_error(exc)
            if record is not None:
                record.failed(exc)
            return error_frame(exc)

        relay = Relay(encode, closing, failed, lambda: self.finish(api, call, info))
        return EventStreamResponse(relay, stream, headers)

    async def count_tokens(self, **kwargs: Any) -> int:
        return await self.engine.count_tokens(**kwargs)

    def finish(self, api: str, call: Call, info: Mapping[str, Any]) -> dict[str, str]:
        """Record metrics and return the x-tierwise headers (the engine has charged the
        key with each attempt's ledger row)."""
        headers = tierwise_headers(info, call.started)
        latency = time.perf_counter() - call.started
        overhead_ms = float(headers["x-tierwise-overhead-ms"])
        self.metrics.observe(api, info, latency, overhead_ms / 1000)
        record = access.current()
        if record is not None:
            record.call(info, overhead_ms)
        return headers

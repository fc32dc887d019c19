"""BedrockClient: Converse, ConverseStream, CountTokens and model listing with retry/failover.

A call names a tier's profiles in order (primary first, then alternates). Each profile is
called until it succeeds or its retries are spent, then the next one is tried; one wall-clock
budget covers the whole call. Errors that mean "this request is wrong" stop at once, since
another profile would refuse it the same way.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    ReadTimeoutError,
)
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeout
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from tierwise.bedrock.catalog import (
    InferenceProfile,
    ModelCatalog,
    catalog_from_pages,
    profile_from_summary,
)
from tierwise.bedrock.cooldown import Cooldown, CooldownTracker
from tierwise.bedrock.errors import boto_compatible, is_retryable, translate
from tierwise.bedrock.eventstream import EventBatches, stream_events
from tierwise.bedrock.green import await_
from tierwise.bedrock.retry import Backoff, RetryBudget
from tierwise.bedrock.session import AwsAuth, control_client, runtime_client
from tierwise.bedrock.transport import bounded
from tierwise.config import Settings
from tierwise.core.catalog import foundation_model_id
from tierwise.core.deadline import Deadline
from tierwise.errors import (
    AttemptCutError,
    ConfigError,
    ExhaustedError,
    InvalidRequestError,
    TierwiseError,
    UpstreamError,
)

if TYPE_CHECKING:
    from botocore.eventstream import EventStream
    from mypy_boto3_bedrock.client import BedrockClient as ControlPlaneClient
    from mypy_boto3_bedrock_runtime.client import BedrockRuntimeClient

__all__ = [
    "BedrockClient",
    "CallResult",
    "FailedAttempt",
    "StreamResult",
    "foundation_model_id",
]

_log = logging.getLogger(__name__)

# What a boto3 call can raise that is the service's or the network's fault, not ours. urllib3
# errors escape botocore while an event stream is being read.
BOTO_ERRORS = (BotoCoreError, ClientError, Urllib3Error)
# The fields CountTokens' ``ConverseTokensRequest`` accepts; the rest of a Converse request
# (inferenceConfig, guardrails, ...) does not change the input token count.
_COUNT_FIELDS = ("messages", "system", "toolConfig", "additionalModelRequestFields")

T = TypeVar("T")


@dataclass(frozen=True)
class FailedAttempt:
    """One call that failed before the call that answered (or before giving up)."""

    model_id: str
    error_class: str
    message: str

    def __str__(self) -> str:
        return f"{self.model_id}: {self.error_class}: {self.message}"


@dataclass(frozen=True)
class CallResult:
    """A Converse answer and how it was obtained."""

    response: dict[str, Any]
    model_id: str
    attempts: tuple[FailedAttempt, ...]
    latency_ms: float


@dataclass
class StreamResult:
    """An established ConverseStream.

    ``events`` yields the boto3 event dicts; an error after the first event is raised from
    it as a TierwiseError. Close it (or use ``with``) if you stop reading early.
    """

    model_id: str
    attempts: tuple[FailedAttempt, ...]
    events: Iterator[dict[str, Any]]
    first_event_ms: float
    _stream: EventStream[Any] | None = field(default=None, repr=False)
    # The events as batches read on the event loop (the async client's streams), when the
    # body is read there; ``events`` then reads the same batches from a bridge.
    batches: EventBatches | None = field(default=None, repr=False)

    def close(self) -> None:
        """Close the stream, waking a read blocked on it in another thread (the stream
        watcher closes streams that went idle or passed their deadline)."""
        _close_stream(self._stream)

    def closer(self) -> Callable[[], None]:
        """:meth:`close`, holding the stream but not this result (for ``batches`` to keep:
        no reference cycle, so a dropped stream is closed at once, not by the collector)."""
        return functools.partial(_close_stream, self._stream)

    def __enter__(self) -> StreamResult:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@dataclass(frozen=True)
class _Opened:
    stream: EventStream[Any]
    events: Iterator[dict[str, Any]]
    first: dict[str, Any] | None
    batches: EventBatches | None = None


class BedrockClient:
    """The tierwise view of Bedrock. Thread-safe: one instance serves many threads."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        auth: AwsAuth | None = None,
        cooldown: Cooldown | None = None,
        green: bool = False,
    ) -> None:
        self.settings = settings
        self.auth = auth or AwsAuth()
        self.backoff = Backoff.from_settings(settings.retry, rng=rng, sleep=sleep, clock=clock)
        self.cooldown: Cooldown = cooldown if cooldown is not None else CooldownTracker()
        self._clock = clock
        self._green = green
        self._runtime = runtime_client(settings, self.auth, green=green)
        self._control: ControlPlaneClient | None = None
        self._control_lock = threading.Lock()

    @property
    def runtime_client(self) -> BedrockRuntimeClient:
        """The underlying boto3 ``bedrock-runtime`` client (for botocore's Stubber in tests)."""
        return self._runtime

    @property
    def control_client(self) -> ControlPlaneClient:
        """The boto3 ``bedrock`` control-plane client, created on first use."""
        with self._control_lock:
            if self._control is None:
                self._control = control_client(self.settings, self.auth)
            return self._control

    # -- runtime ---------------------------------------------------------------------

    def converse(
        self,
        profiles: Sequence[str],
        request: Mapping[str, Any],
        deadline: Deadline | None = None,
    ) -> CallResult:
        """Call Converse on the first profile that answers (retries within ``deadline``)."""
        kwargs = _request_kwargs(request)

        def call(profile: str) -> tuple[dict[str, Any], float]:
            started = self._clock()
            response = self._runtime.converse(modelId=profile, **kwargs)
            return dict(response), (self._clock() - started) * 1000.0

        (response, latency_ms), model_id, failed = self._with_failover(profiles, call, deadline)
        response.pop("ResponseMetadata", None)
        return CallResult(response, model_id, failed, latency_ms)

    def converse_stream(
        self,
        profiles: Sequence[str],
        request: Mapping[str, Any],
        deadline: Deadline | None = None,
    ) -> StreamResult:
        """Open ConverseStream on the first profile that answers.

        Retries and failover apply until the first event has arrived; once the caller has
        seen output, switching profiles would duplicate it, so later errors are raised.
        """
        kwargs = _request_kwargs(request)

        def call(profile: str) -> tuple[_Opened, float]:
            started = self._clock()
            response = self._runtime.converse_stream(modelId=profile, **kwargs)
            stream = response["stream"]
            batches = _loop_batches(stream) if self._green else None
            events = stream_events(stream) if batches is None else _bridged(batches)
            try:
                if batches is None:
                    first = next(events, None)
                else:
                    # The first events, read in this bridge: errors until then fail over.
                    batch = await_(batches.next())
                    first = batch[0] if batch else None
                    if batch:
                        batches.put_back(batch)
            except BaseException:
                stream.close()
                raise
            return _Opened(stream, events, first, batches), (self._clock() - started) * 1000.0

        (opened, first_ms), model_id, failed = self._with_failover(profiles, call, deadline)
        return StreamResult(
            model_id=model_id,
            attempts=failed,
            events=_guarded_events(opened, model_id),
            first_event_ms=first_ms,
            _stream=opened.stream,
            batches=opened.batches,
        )

    def count_tokens(self, model_id: str, request: Mapping[str, Any]) -> int:
        """Bedrock's own input-token count for a Converse request to ``model_id``."""
        kwargs = _request_kwargs(request)
        converse = {k: kwargs[k] for k in _COUNT_FIELDS if k in kwargs}

        def call(profile: str) -> int:
            response = self._runtime.count_tokens(
                modelId=profile,
                input={"converse": converse},  # type: ignore[typeddict-item]
            )
            return int(response["inputTokens"])

        count, _, _ = self._with_failover([foundation_model_id(model_id)], call, billed=False)
        return count

    # -- control plane ---------------------------------------------------------------

    def list_models(self) -> ModelCatalog:
        """Anthropic foundation models and the inference profiles that serve them."""
        control = self.control_client
        try:
            models = control.list_foundation_models(byProvider="Anthropic")
            pages = list(control.get_paginator("list_inference_profiles").paginate())
        except BOTO_ERRORS as exc:
            raise translate(exc, model_id=None) from exc
        return catalog_from_pages(
            models.get("modelSummaries", []),
            [p.get("inferenceProfileSummaries", []) for p in pages],
        )

    def logging_configuration(self) -> dict[str, Any]:
        """Where this Region's model invocation logs go (GetModelInvocationLoggingConfiguration):
        ``{"s3Config": ..., "cloudWatchConfig": ...}``, empty when logging is off."""
        try:
            response = self.control_client.get_model_invocation_logging_configuration()
        except BOTO_ERRORS as exc:
            raise translate(exc, model_id=None) from exc
        return dict(response.get("loggingConfig") or {})

    def inference_profile(self, identifier: str) -> InferenceProfile:
        """One inference profile (system-defined or application) with its model Regions."""
        try:
            summary = self.control_client.get_inference_profile(
                inferenceProfileIdentifier=identifier
            )
        except BOTO_ERRORS as exc:
            raise translate(exc, model_id=identifier) from exc
        return profile_from_summary(summary)

    # -- the loop --------------------------------------------------------------------

    def _with_failover(
        self,
        profiles: Sequence[str],
        call: Callable[[str], T],
        deadline: Deadline | None = None,
        *,
        billed: bool = True,
    ) -> tuple[T, str, tuple[FailedAttempt, ...]]:
        order = self._order(profiles)
        budget = self.backoff.start(deadline)
        failed: list[FailedAttempt] = []
        last: TierwiseError | None = None
        for profile in order:
            made = 0
            while True:
                if (made or failed) and budget.expired():
                    if deadline is not None and deadline.expired():
                        raise deadline.error("during retries and failover") from last
                    raise _exhausted(failed, last, budget, out_of_time=True)
                made += 1
                try:
                    # The sockets wait within the deadline (reads for usage_grace_s more).
                    with bounded(deadline, self.settings.budgets.usage_grace_s):
                        value = call(profile)
                except BOTO_ERRORS as exc:
                    err = translate(exc, model_id=profile)
                    err.__cause__ = exc
                    if deadline is not None and _cut_by(exc, deadline):
                        # Our deadline ended the wait, not a fault of the profile: no
                        # cooldown, no retry.
                        raise deadline.cut("while Bedrock was answering") from err
                    if billed and isinstance(exc, _READ_TIMEOUTS):
                        # The request was sent and Bedrock may still be answering it: it is
                        # billed whole, and a retry (here or on another profile) would be
                        # billed again, beyond what the attempt reserved. It ends here and
                        # is charged as a call cut off in flight.
                        timeout = self.settings.retry.read_timeout_s
                        raise AttemptCutError(
                            f"Bedrock sent no answer within read_timeout_s ({timeout:g} s)",
                            hint="raise [retry] read_timeout_s above the longest answer's "
                            "generation time",
                            model_id=profile,
                        ) from err
                else:
                    self.cooldown.succeeded(profile)
                    return value, profile, tuple(failed)
                failed.append(FailedAttempt(profile, type(err).__name__, err.message))
                last = err
                if not _fails_over(err):
                    raise err
                delay = budget.next_delay(made, _retry_after(err)) if is_retryable(err) else None
                if delay is None:
                    _log.info(
                        "bedrock profile %s given up after %d call(s): %s",
                        profile,
                        made,
                        type(err).__name__,
                    )
                    self.cooldown.failed(profile)
                    break
                _log.info(
                    "bedrock retry %d on %s in %.2fs after %s",
                    made,
                    profile,
                    delay,
                    type(err).__name__,
                )
                budget.sleep(delay)
        if len(failed) == 1 and last is not None:
            # A single call failed: its own error is clearer than a one-line summary.
            raise last
        raise _exhausted(failed, last, budget, out_of_time=False)

    def _order(self, profiles: Sequence[str]) -> list[str]:
        if isinstance(profiles, str):
            raise ConfigError(
                "profiles must be a sequence of model IDs, not one string",
                hint="pass [model_id] for a single profile",
            )
        unique = list(dict.fromkeys(profiles))
        if not unique:
            raise ConfigError(
                "no Bedrock model ID to call", hint="set tiers.<tier>.model_id in tierwise.toml"
            )
        # Cooling profiles go last rather than away: a tier is never left with nothing to try.
        return sorted(unique, key=self.cooldown.is_cooling)


# A read that timed out: the request had been sent (a connect timeout is not one).
_READ_TIMEOUTS = (ReadTimeoutError, Urllib3ReadTimeout)


def _cut_by(exc: BaseException, deadline: Deadline) -> bool:
    """Whether ``exc`` is a socket wait the call's deadline ended (see ``bounded``)."""
    # urllib3's own timeout escapes botocore while a stream's first event is read.
    timeout = (ReadTimeoutError, ConnectTimeoutError, Urllib3Timeout)
    return isinstance(exc, timeout) and deadline.expired()


def _fails_over(err: TierwiseError) -> bool:
    """Whether another profile might succeed where this one failed."""
    # Not-available and access-denied are about this profile (its region, its grant), and
    # throttling/outages are local to it too; only request errors are the same everywhere.
    return isinstance(err, UpstreamError) and not isinstance(err, ExhaustedError)


def _retry_after(err: TierwiseError) -> float | None:
    return err.retry_after if isinstance(err, UpstreamError) else None


def _exhausted(
    failed: list[FailedAttempt],
    last: TierwiseError | None,
    budget: RetryBudget,
    *,
    out_of_time: bool,
) -> ExhaustedError:
    profiles = list(dict.fromkeys(a.model_id for a in failed))
    why = (
        f"the {budget.policy.total_timeout_s:g} s budget ran out"
        if out_of_time
        else "every profile failed"
    )
    summary = (
        f"Bedrock call failed: {why} after {len(failed)} attempt(s) on "
        f"{len(profiles)} profile(s) ({', '.join(profiles)})"
    )
    fields: dict[str, Any] = {}
    if isinstance(last, UpstreamError):
        summary += f"; last error: {last.message}"
        fields = {
            "last": last,
            "code": last.code,
            "status": last.status,
            "model_id": last.model_id,
            "retry_after": last.retry_after,
            "capacity": last.capacity,
        }
    hint = last.hint if last is not None and last.hint else None
    err = ExhaustedError(summary, attempts=[str(a) for a in failed], hint=hint, **fields)
    if isinstance(last, ClientError):
        # boto3 would have raised the last error: its code and response stay readable.
        err = boto_compatible(err, last.response, last.operation_name)
    err.__cause__ = last
    return err


def _request_kwargs(request: Mapping[str, Any]) -> dict[str, Any]:
    if "modelId" in request:
        raise InvalidRequestError(
            "the request carries its own modelId",
            hint="pass the model IDs as `profiles`; tierwise sets modelId per attempt",
        )
    return dict(request)


def _wake_reader(stream: EventStream[Any]) -> None:
    """Shut the stream's socket down for reading: a read blocked on it in another thread
    returns at once, where closing the socket alone would leave it waiting for data. Both
    HTTP bodies botocore may read from have ``shutdown()`` (urllib3's response and the lean
    transport's); botocore keeps the body as the event stream's ``_raw_stream``."""
    shutdown = getattr(getattr(stream, "_raw_stream", None), "shutdown", None)
    if shutdown is not None:
        with contextlib.suppress(Exception):  # already released, closed or not a socket
            shutdown()


def _close_stream(stream: EventStream[Any] | None) -> None:
    if stream is not None:
        _wake_reader(stream)
        stream.close()


def _loop_batches(stream: Any) -> EventBatches | None:
    """``stream``'s events as batches read on the event loop, when its body is an asyncio
    connection's (the green transport's, in a bridge)."""
    from tierwise.bedrock.aio_transport import loop_body

    body = loop_body(getattr(stream, "_raw_stream", None))
    return EventBatches.of(stream, body) if body is not None else None


def _bridged(batches: EventBatches) -> Iterator[dict[str, Any]]:
    """The events of ``batches`` one at a time, read from a bridge."""
    while (batch := await_(batches.next())) is not None:
        yield from batch


def _guarded_events(opened: _Opened, model_id: str) -> Iterator[dict[str, Any]]:
    try:
        if opened.first is None:
            return
        if opened.batches is None:  # else the first event is still in its batch
            yield opened.first
        try:
            yield from opened.events
        except BOTO_ERRORS as exc:
            raise translate(exc, model_id=model_id) from exc
    finally:
        opened.stream.close()

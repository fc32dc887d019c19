"""Fault injection: random rates, queued one-shot faults, and per-request test controls.

All randomness comes from the ``random.Random`` generators the owning :class:`FaultPlan`
holds, seeded from :attr:`Faults.seed`, so a run with the same seed and request order fails
(and, with pacing jitter, is paced) the same way.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass, field

from tierwise.emulator.apierror import ApiError
from tierwise.emulator.pacing import MAX_DELAY_MS, Pace, Pacing

__all__ = ["FAULT_KINDS", "STREAM_ERRORS", "FaultPlan", "Faults", "fault_error", "stream_error"]


@dataclass
class Faults:
    """Standing faults applied to every model invocation."""

    throttle_rate: float = 0.0
    error_rate: float = 0.0
    latency_ms: int = 0
    cut_stream_after: int | None = None
    # The exception a cut stream ends with (one of STREAM_ERRORS).
    stream_error: str = "modelStreamErrorException"
    seed: int = 0
    # Time to first token and tokens per second, per tier (tierwise.emulator.pacing).
    pacing: Pacing = field(default_factory=Pacing)

    def __post_init__(self) -> None:
        for name in ("throttle_rate", "error_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"Faults.{name} must be between 0 and 1, got {value}")
        if self.throttle_rate + self.error_rate > 1.0:
            raise ValueError("Faults.throttle_rate + Faults.error_rate must not exceed 1")
        if not 0 <= self.latency_ms <= MAX_DELAY_MS:
            raise ValueError(
                f"Faults.latency_ms must be between 0 and {MAX_DELAY_MS}, got {self.latency_ms}"
            )
        if self.cut_stream_after is not None and self.cut_stream_after < 0:
            raise ValueError("Faults.cut_stream_after must be >= 0 or None")
        stream_error(self.stream_error, 0)  # validates the kind


_FAULTS: dict[str, tuple[str, str]] = {
    "throttle": ("ThrottlingException", "Too many requests, please wait before trying again."),
    "unavailable": (
        "ServiceUnavailableException",
        "Bedrock is unable to process your request.",
    ),
    "internal": (
        "InternalServerException",
        "The system encountered an unexpected error during processing. Try your request again.",
    ),
    "model_not_ready": (
        "ModelNotReadyException",
        "Model is not ready to serve inference requests. The AWS SDK will automatically retry "
        "the operation up to 5 times.",
    ),
    "access_denied": (
        "AccessDeniedException",
        "You don't have access to the model with the specified model ID.",
    ),
    # 424; the message is the Converse API reference's description of the exception.
    "model_error": (
        "ModelErrorException",
        "The request failed due to an error while processing the model.",
    ),
}
FAULT_KINDS: tuple[str, ...] = tuple(_FAULTS)

# The exceptions a ConverseStream / InvokeModelWithResponseStream can end with mid-stream
# (the ``ConverseStreamOutput`` / ``ResponseStream`` union's error members in botocore's
# service-2.json; bedrock-facts.md section 2), with Bedrock-style messages.
STREAM_ERRORS: dict[str, str] = {
    "throttlingException": "Too many requests, please wait before trying again.",
    "internalServerException": (
        "The system encountered an unexpected error during processing. Try your request again."
    ),
    "serviceUnavailableException": "Bedrock is unable to process your request.",
    "validationException": "The model returned the following errors: the output could not be "
    "validated (tierwise emulator stream fault).",
    "modelStreamErrorException": "The model stream was interrupted",
}


def stream_error(kind: str, after: int) -> tuple[str, dict[str, object]]:
    """The exception frame (type, payload) that ends a stream cut after ``after`` events."""
    if kind not in STREAM_ERRORS:
        raise ValueError(f"unknown stream error {kind!r}; use one of: {', '.join(STREAM_ERRORS)}")
    message = STREAM_ERRORS[kind]
    if kind == "modelStreamErrorException":
        return kind, {
            "message": f"{message} after {after} events (tierwise emulator cut-stream-after "
            "fault).",
            "originalStatusCode": 500,
            "originalMessage": "stream interrupted",
        }
    return kind, {"message": message}


def fault_error(kind: str) -> ApiError:
    """The Bedrock error a fault ``kind`` produces."""
    try:
        code, message = _FAULTS[kind]
    except KeyError:
        raise ValueError(
            f"unknown fault kind {kind!r}; use one of: {', '.join(FAULT_KINDS)}"
        ) from None
    return ApiError(code, message)


@dataclass
class _Queued:
    kind: str
    remaining: int
    model_id: str | None


class FaultPlan:
    """Decides, per invocation, whether it fails; thread-safe."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)
        # Its own generator: turning jitter on must not change which calls fail.
        self._pace_rng = random.Random(f"pacing:{faults.seed}")
        self._queue: deque[_Queued] = deque()
        self._cuts: deque[tuple[_Queued, int]] = deque()
        self._stalls: deque[tuple[_Queued, int, float]] = deque()
        self._lock = threading.Lock()

    def inject(self, kind: str, count: int = 1, model_id: str | None = None) -> None:
        fault_error(kind)  # validates the kind
        if count < 1:
            raise ValueError("count must be >= 1")
        with self._lock:
            self._queue.append(_Queued(kind, count, model_id))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._cuts.clear()
            self._stalls.clear()

    def inject_stream_error(
        self, kind: str, after: int, count: int = 1, model_id: str | None = None
    ) -> None:
        """End the next ``count`` streams (of ``model_id`` only, if given) after ``after``
        events with the ``kind`` exception."""
        stream_error(kind, after)  # validates the kind
        if count < 1 or after < 0:
            raise ValueError("count must be >= 1 and after >= 0")
        with self._lock:
            self._cuts.append((_Queued(kind, count, model_id), after))

    def inject_stream_stall(
        self, after: int, seconds: float, count: int = 1, model_id: str | None = None
    ) -> None:
        """Stall the next ``count`` streams (of ``model_id`` only, if given) for ``seconds``
        after their first ``after`` events (an upstream that stops mid-answer)."""
        if count < 1 or after < 0 or seconds <= 0:
            raise ValueError("count must be >= 1, after >= 0 and seconds > 0")
        with self._lock:
            self._stalls.append((_Queued("stall", count, model_id), after, seconds))

    def next_stream_stall(self, model_id: str) -> tuple[int, float] | None:
        """(events before the stall, its seconds) for this stream of ``model_id``, if any."""
        with self._lock:
            for entry in self._stalls:
                queued, after, seconds = entry
                if queued.model_id is None or queued.model_id == model_id:
                    queued.remaining -= 1
                    if queued.remaining == 0:
                        self._stalls.remove(entry)
                    return after, seconds
        return None

    def next_stream_cut(self, model_id: str) -> tuple[int, str] | None:
        """(events before the cut, exception kind) for this stream of ``model_id``, if any:
        a queued cut first, else the standing ``Faults.cut_stream_after``."""
        with self._lock:
            for queued, after in self._cuts:
                if queued.model_id is None or queued.model_id == model_id:
                    queued.remaining -= 1
                    if queued.remaining == 0:
                        self._cuts.remove((queued, after))
                    return after, queued.kind
        if self.faults.cut_stream_after is None:
            return None
        return self.faults.cut_stream_after, self.faults.stream_error

    def pace_factor(self, pace: Pace) -> float:
        """This answer's share of ``pace``'s configured time (:meth:`Pace.factor`), drawn in
        request order from the seeded pacing generator."""
        if pace.jitter == 0:  # the common case: no lock taken per request
            return 1.0
        with self._lock:
            return pace.factor(self._pace_rng)

    def next_fault(self, model_id: str) -> str | None:
        """The fault kind this invocation of ``model_id`` must fail with, if any."""
        with self._lock:
            for queued in self._queue:
                if queued.model_id is None or queued.model_id == model_id:
                    queued.remaining -= 1
                    if queued.remaining == 0:
                        self._queue.remove(queued)
                    return queued.kind
            f = self.faults
            if f.throttle_rate <= 0 and f.error_rate <= 0:
                return None
            draw = self._rng.random()
            if draw < f.throttle_rate:
                return "throttle"
            if draw < f.throttle_rate + f.error_rate:
                return self._rng.choice(("unavailable", "internal"))
            return None

"""Realistic timing: time to first token and tokens per second, per tier.

A real model answers in two phases: a wait before the first token (TTFT), then output at a
steady rate. :class:`Pacing` holds one :class:`Pace` per tier (and a default); a stream's
first event waits for TTFT and its later events are spread over the generation time, and a
non-streamed answer arrives after both. Set it with ``tierwise emulator --pacing``, the
``[emulator] pacing`` setting, or per request with the ``x-tierwise-emulator-pacing``
header, all in one syntax::

    ttft_ms=400,tps=80                          # every tier
    haiku:ttft_ms=250,tps=150;opus:ttft_ms=900,tps=40;ttft_ms=400,tps=80
    ttft_ms=2000,tps=0,jitter=0.2               # answer times vary by 20% around 2 s

Real answer times vary from call to call (output length, queueing); with ``jitter`` each
answer's TTFT and generation time are scaled by one factor drawn per request (see
:meth:`Pace.factor`), so clients started together drift apart as they would against Bedrock.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

__all__ = ["MAX_DELAY_MS", "MAX_JITTER", "Pace", "Pacing"]

_TIERS = ("haiku", "sonnet", "opus")
_FIELDS = ("ttft_ms", "tps", "jitter")
# A coefficient of variation above this is no latency profile; "jitter=20" most likely means
# 20%, so it is refused rather than drawn.
MAX_JITTER = 2.0
# An hour: far past any client's read timeout, so a larger delay is a typo; a huge one
# (1e20 ms) overflowed time.sleep in the threaded server or stalled the call for good.
MAX_DELAY_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class Pace:
    """``ttft_ms`` before the first token, then ``tps`` output tokens per second (0: the
    whole answer at once); ``jitter``: the coefficient of variation of each answer's time
    (0: every answer takes exactly the configured time)."""

    ttft_ms: float = 0.0
    tps: float = 0.0
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.ttft_ms) and math.isfinite(self.tps)):
            raise ValueError("pacing ttft_ms and tps must be finite numbers")
        if self.ttft_ms < 0 or self.tps < 0:
            raise ValueError("pacing ttft_ms and tps must be >= 0")
        if self.ttft_ms > MAX_DELAY_MS:
            raise ValueError(
                f"pacing ttft_ms must be between 0 and {MAX_DELAY_MS}, got {self.ttft_ms:g}"
            )
        if not 0 <= self.jitter <= MAX_JITTER:  # also refuses nan
            raise ValueError(
                f"pacing jitter must be between 0 and {MAX_JITTER:g} (a coefficient of "
                f"variation: 0.2 is 20%), got {self.jitter:g}"
            )

    def factor(self, rng: random.Random) -> float:
        """This answer's time over the configured one: 1.0 without jitter (drawing nothing,
        so a seeded run without jitter consumes no randomness), else a lognormal draw with
        mean 1 and coefficient of variation ``jitter``, the usual shape of service latencies
        (positive, right-skewed). The mean stays the configured time: for
        ln X ~ N(mu, s^2), E[X] = exp(mu + s^2/2) = 1 and CV^2 = exp(s^2) - 1."""
        if self.jitter == 0:
            return 1.0
        variance = math.log1p(self.jitter * self.jitter)
        return rng.lognormvariate(-variance / 2, math.sqrt(variance))

    @property
    def first_s(self) -> float:
        return self.ttft_ms / 1000

    def generation_s(self, output_tokens: int) -> float:
        return output_tokens / self.tps if self.tps > 0 else 0.0

    @classmethod
    def parse(cls, text: str) -> Pace:
        values: dict[str, float] = {}
        for part in text.split(","):
            name, sep, value = part.strip().partition("=")
            if not sep or name.strip() not in _FIELDS:
                raise ValueError(
                    f"pacing {text!r}: use ttft_ms=<ms>,tps=<tokens per second>"
                    "[,jitter=<coefficient of variation>]"
                )
            try:
                values[name.strip()] = float(value)
            except ValueError:
                raise ValueError(f"pacing {text!r}: {value.strip()!r} is not a number") from None
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Pacing:
    """A pace per tier; models in no tier (and tiers not named) get ``default``."""

    default: Pace = field(default_factory=Pace)
    tiers: tuple[tuple[str, Pace], ...] = ()

    @property
    def instant(self) -> bool:
        # Jitter scales the configured time, so with none configured it changes nothing.
        return all(
            p.ttft_ms == 0 and p.tps == 0 for p in (self.default, *dict(self.tiers).values())
        )

    def for_model(self, model_id: str) -> Pace:
        lowered = model_id.lower()
        for tier, pace in self.tiers:
            if tier in lowered:
                return pace
        return self.default

    @classmethod
    def parse(cls, text: str) -> Pacing:
        """``[tier:]ttft_ms=..,tps=..[,jitter=..]`` items separated by ``;`` (module doc)."""
        default = Pace()
        tiers: dict[str, Pace] = {}
        for item in (i.strip() for i in text.split(";")):
            if not item:
                continue
            tier, sep, rest = item.partition(":")
            if sep:
                if tier.strip().lower() not in _TIERS:
                    raise ValueError(f"pacing: unknown tier {tier.strip()!r}; use {_TIERS}")
                tiers[tier.strip().lower()] = Pace.parse(rest)
            else:
                default = Pace.parse(item)
        return cls(default, tuple(tiers.items()))

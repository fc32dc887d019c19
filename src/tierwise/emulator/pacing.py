"""Realistic timing: time to first token and tokens per second, per tier.

A real model answers in two phases: a wait before the first token (TTFT), then output at a
steady rate. :class:`Pacing` holds one :class:`Pace` per tier (and a default); a stream's
first event waits for TTFT and its later events are spread over the generation time, and a
non-streamed answer arrives after both. Set it with ``tierwise emulator --pacing``, the
``[emulator] pacing`` setting, or per request with the ``x-tierwise-emulator-pacing``
header, all in one syntax::

    ttft_ms=400,tps=80                          # every tier
    haiku:ttft_ms=250,tps=150;opus:ttft_ms=900,tps=40;ttft_ms=400,tps=80
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Pace", "Pacing"]

_TIERS = ("haiku", "sonnet", "opus")


@dataclass(frozen=True, slots=True)
class Pace:
    """``ttft_ms`` before the first token, then ``tps`` output tokens per second (0: the
    whole answer at once)."""

    ttft_ms: float = 0.0
    tps: float = 0.0

    def __post_init__(self) -> None:
        if self.ttft_ms < 0 or self.tps < 0:
            raise ValueError("pacing ttft_ms and tps must be >= 0")

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
            if not sep or name.strip() not in ("ttft_ms", "tps"):
                raise ValueError(f"pacing {text!r}: use ttft_ms=<ms>,tps=<tokens per second>")
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
        return self.default == Pace() and all(p == Pace() for _, p in self.tiers)

    def for_model(self, model_id: str) -> Pace:
        lowered = model_id.lower()
        for tier, pace in self.tiers:
            if tier in lowered:
                return pace
        return self.default

    @classmethod
    def parse(cls, text: str) -> Pacing:
        """``[tier:]ttft_ms=..,tps=..`` items separated by ``;`` (see the module doc)."""
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

"""Caller hints that steer a routing decision: force, floor or cap a tier; latency; stakes.

Hints come from the Python API and, later, HTTP headers; :meth:`Hints.parse` accepts the
string forms those carry. Routing applies hints after scoring, so a decision always records
what the request alone would have got and why the caller's hint changed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tierwise.core.tiers import Tier
from tierwise.errors import InvalidRequestError

__all__ = ["Hints"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True, slots=True)
class Hints:
    """What the caller knows that the request text does not say.

    ``force_tier`` wins over everything; ``min_tier``/``max_tier`` clamp the routed tier;
    ``latency_sensitive`` leans cheaper and turns extended thinking off; ``high_stakes`` leans
    up and sets a floor (Opus, or Sonnet with thinking, per the policy).
    """

    force_tier: Tier | None = None
    min_tier: Tier | None = None
    max_tier: Tier | None = None
    latency_sensitive: bool = False
    high_stakes: bool = False

    def __post_init__(self) -> None:
        if (
            self.min_tier is not None
            and self.max_tier is not None
            and self.min_tier.rank > self.max_tier.rank
        ):
            raise InvalidRequestError(
                f"min tier {self.min_tier.value} is above max tier {self.max_tier.value}",
                hint="set min_tier at or below max_tier, or use force_tier for one tier",
            )

    @property
    def empty(self) -> bool:
        return self == Hints()

    @classmethod
    def parse(cls, values: Mapping[str, str]) -> Hints:
        """Hints from string values (header or CLI form), keys as the field names.

        Unknown keys are rejected so a misspelt hint does not silently do nothing.
        """
        known = {"force_tier", "min_tier", "max_tier", "latency_sensitive", "high_stakes"}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidRequestError(
                f"unknown routing hint(s): {', '.join(unknown)}",
                hint=f"known hints: {', '.join(sorted(known))}",
            )

        def tier(key: str) -> Tier | None:
            raw = values.get(key, "").strip()
            return Tier.parse(raw) if raw and raw.lower() != "auto" else None

        def flag(key: str) -> bool:
            raw = values.get(key, "").strip().lower()
            if raw in _TRUE:
                return True
            if raw in _FALSE:
                return False
            raise InvalidRequestError(
                f"routing hint {key}={values[key]!r} is not a boolean",
                hint="use true or false",
            )

        return cls(
            force_tier=tier("force_tier"),
            min_tier=tier("min_tier"),
            max_tier=tier("max_tier"),
            latency_sensitive=flag("latency_sensitive"),
            high_stakes=flag("high_stakes"),
        )

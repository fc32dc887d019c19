"""The three Claude tiers, ordered by capability and price."""

from __future__ import annotations

from enum import StrEnum

from tierwise.errors import InvalidRequestError

__all__ = ["Tier"]


class Tier(StrEnum):
    HAIKU = "haiku"
    SONNET = "sonnet"
    OPUS = "opus"

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    def up(self) -> Tier | None:
        """The next tier up, or None at the top."""
        i = self.rank + 1
        return _ORDER[i] if i < len(_ORDER) else None

    def down(self) -> Tier | None:
        """The next tier down, or None at the bottom."""
        i = self.rank - 1
        return _ORDER[i] if i >= 0 else None

    def clamp(self, lowest: Tier | None = None, highest: Tier | None = None) -> Tier:
        tier = self
        if lowest is not None and tier.rank < lowest.rank:
            tier = lowest
        if highest is not None and tier.rank > highest.rank:
            tier = highest
        return tier

    @classmethod
    def parse(cls, value: str | Tier) -> Tier:
        if isinstance(value, Tier):
            return value
        try:
            return cls(value.strip().lower())
        except ValueError:
            allowed = ", ".join(t.value for t in _ORDER)
            raise InvalidRequestError(
                f"unknown tier {value!r}", hint=f"use one of: {allowed}"
            ) from None

    @classmethod
    def ordered(cls) -> tuple[Tier, ...]:
        return _ORDER


_ORDER: tuple[Tier, ...] = (Tier.HAIKU, Tier.SONNET, Tier.OPUS)

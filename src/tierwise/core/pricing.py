"""Pricing: the exact cost of one model call from its Converse ``usage``.

All arithmetic is :class:`decimal.Decimal`; prices are US dollars per 1,000,000 tokens.
Bedrock's ``inputTokens`` counts only the uncached part of the prompt; cache writes and
reads are reported separately and priced at their own rates. Batch inference applies the
tier's ``batch_discount`` (0.50 means half price) to every component.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["Cost", "Rates", "Usage", "price"]

_MILLION = Decimal(1_000_000)
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Rates:
    """Per-1M-token prices for one model."""

    input: Decimal
    output: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal
    cache_read: Decimal
    batch_discount: Decimal = Decimal("0.5")


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one call, split by how each kind is billed."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0

    @property
    def cache_write(self) -> int:
        return self.cache_write_5m + self.cache_write_1h

    @property
    def prompt_total(self) -> int:
        """Every prompt token, cached or not."""
        return self.input + self.cache_read + self.cache_write

    @property
    def total(self) -> int:
        return self.prompt_total + self.output

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input=self.input + other.input,
            output=self.output + other.output,
            cache_read=self.cache_read + other.cache_read,
            cache_write_5m=self.cache_write_5m + other.cache_write_5m,
            cache_write_1h=self.cache_write_1h + other.cache_write_1h,
        )

    @classmethod
    def from_converse(cls, usage: Mapping[str, Any]) -> Usage:
        """Read a Converse ``usage`` (``TokenUsage``) dict.

        ``cacheDetails`` splits cache writes by TTL; writes it does not account for are
        taken as 5-minute writes, Bedrock's default TTL.
        """
        write_total = int(usage.get("cacheWriteInputTokens") or 0)
        w1h = 0
        w5m_detail = 0
        for detail in usage.get("cacheDetails") or ():
            n = int(detail.get("inputTokens") or 0)
            if detail.get("ttl") == "1h":
                w1h += n
            else:
                w5m_detail += n
        w1h = min(w1h, write_total)
        return cls(
            input=int(usage.get("inputTokens") or 0),
            output=int(usage.get("outputTokens") or 0),
            cache_read=int(usage.get("cacheReadInputTokens") or 0),
            cache_write_5m=write_total - w1h,
            cache_write_1h=w1h,
        )

    def to_converse(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "inputTokens": self.input,
            "outputTokens": self.output,
            "totalTokens": self.total,
        }
        if self.cache_read:
            out["cacheReadInputTokens"] = self.cache_read
        if self.cache_write:
            out["cacheWriteInputTokens"] = self.cache_write
            details = []
            if self.cache_write_1h:
                details.append({"ttl": "1h", "inputTokens": self.cache_write_1h})
            if self.cache_write_5m:
                details.append({"ttl": "5m", "inputTokens": self.cache_write_5m})
            out["cacheDetails"] = details
        return out


@dataclass(frozen=True, slots=True)
class Cost:
    """Dollar cost of one call, by component."""

    input: Decimal = _ZERO
    output: Decimal = _ZERO
    cache_read: Decimal = _ZERO
    cache_write: Decimal = _ZERO

    @property
    def total(self) -> Decimal:
        return self.input + self.output + self.cache_read + self.cache_write

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            input=self.input + other.input,
            output=self.output + other.output,
            cache_read=self.cache_read + other.cache_read,
            cache_write=self.cache_write + other.cache_write,
        )


def price(usage: Usage, rates: Rates, *, batch: bool = False) -> Cost:
    """The exact cost of ``usage`` at ``rates``; ``batch`` applies the batch discount."""
    factor = rates.batch_discount if batch else Decimal(1)

    def dollars(tokens: int, per_million: Decimal) -> Decimal:
        return Decimal(tokens) * per_million * factor / _MILLION

    return Cost(
        input=dollars(usage.input, rates.input),
        output=dollars(usage.output, rates.output),
        cache_read=dollars(usage.cache_read, rates.cache_read),
        cache_write=dollars(usage.cache_write_5m, rates.cache_write_5m)
        + dollars(usage.cache_write_1h, rates.cache_write_1h),
    )

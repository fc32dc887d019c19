"""Pricing: the exact cost of one model call from its Converse ``usage``.

All arithmetic is :class:`decimal.Decimal`; prices are US dollars per 1,000,000 tokens.
Bedrock's ``inputTokens`` counts only the uncached part of the prompt; cache writes and
reads are reported separately and priced at their own rates. Four things move the rate,
all read from configuration (:class:`Rates`), never written here:

* the **context band**: a request whose whole prompt (uncached input, cache reads and cache
  writes) is above a band's threshold is priced at that band's rates, every token of it
  (Anthropic's long-context pricing for Sonnet 4/4.5 above 200k input tokens);
* the **profile kind** the call went through (:func:`profile_kind`): global cross-Region,
  geographic (``us.``, ``eu.`` ...), an application inference profile, or the base model
  in one Region; each has a multiplier (geographic profiles cost 10% more than global
  for Claude 4.5 and later);
* the **service tier** Bedrock served the call on (``serviceTier`` in the response):
  ``default``, ``priority``, ``flex`` or ``reserved``, each with a multiplier;
* **batch** inference, which applies ``batch_discount`` (0.50 = half price) instead of a
  service tier.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tierwise.core.mappings import is_mapping

__all__ = [
    "Band",
    "Cost",
    "ProfileKind",
    "Rates",
    "ServiceTier",
    "Usage",
    "price",
    "profile_kind",
    "service_tier_of",
]

_MILLION = Decimal(1_000_000)
_ZERO = Decimal(0)
_ONE = Decimal(1)


class ProfileKind(StrEnum):
    """How a call reached the model; Bedrock prices them differently."""

    GLOBAL = "global"  # global cross-Region inference profile (global.anthropic...)
    GEOGRAPHIC = "geographic"  # us., eu., apac., jp., au., ca., us-gov. profiles
    APPLICATION = "application"  # an application inference profile ARN (cost tracking)
    BASE = "base"  # the foundation model in one Region (anthropic... or its ARN)


class ServiceTier(StrEnum):
    """Bedrock's ``serviceTier.type`` values (service-2.json ``ServiceTierType``)."""

    DEFAULT = "default"
    PRIORITY = "priority"
    FLEX = "flex"
    RESERVED = "reserved"


_GEO_PREFIX = re.compile(r"^(?:us|us-gov|eu|apac|jp|au|ca)\.[a-z]")


def profile_kind(model_id: str) -> ProfileKind:
    """The :class:`ProfileKind` of a model ID, inference-profile ID or ARN."""
    if model_id.startswith("arn:"):
        resource = model_id.split(":", 5)[-1]
        if resource.startswith("application-inference-profile/"):
            return ProfileKind.APPLICATION
        tail = resource.rsplit("/", 1)[-1]
        if not resource.startswith("inference-profile/"):
            return ProfileKind.BASE
    else:
        tail = model_id
    if tail.startswith("global."):
        return ProfileKind.GLOBAL
    if _GEO_PREFIX.match(tail):
        return ProfileKind.GEOGRAPHIC
    return ProfileKind.BASE


def service_tier_of(value: Any) -> ServiceTier:
    """The tier in a response's ``serviceTier`` (``{"type": "flex"}``), a bare name, or
    None (Bedrock's default tier; ``standard`` is the name AWS's pages use for it)."""
    if is_mapping(value):
        value = value.get("type")
    if value is None or value in {"", "standard"}:
        return ServiceTier.DEFAULT
    if isinstance(value, ServiceTier):
        return value
    try:
        return ServiceTier(str(value).lower())
    except ValueError:
        raise ValueError(
            f"unknown service tier {value!r}; one of {', '.join(t.value for t in ServiceTier)}"
        ) from None


@dataclass(frozen=True, slots=True)
class Band:
    """Rates for requests whose whole prompt is above ``above_prompt_tokens``."""

    above_prompt_tokens: int
    input: Decimal
    output: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal
    cache_read: Decimal


@dataclass(frozen=True, slots=True)
class Rates:
    """Per-1M-token prices for one model: base rates, long-context bands, and multipliers
    by profile kind and service tier (a kind or tier not listed costs 1x)."""

    input: Decimal
    output: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal
    cache_read: Decimal
    batch_discount: Decimal = Decimal("0.5")
    bands: tuple[Band, ...] = ()
    profiles: Mapping[ProfileKind, Decimal] = field(default_factory=dict)
    service_tiers: Mapping[ServiceTier, Decimal] = field(default_factory=dict)

    def band(self, prompt_tokens: int) -> Band | None:
        """The highest band whose threshold ``prompt_tokens`` is above, or None."""
        chosen: Band | None = None
        for band in self.bands:
            if prompt_tokens > band.above_prompt_tokens and (
                chosen is None or band.above_prompt_tokens > chosen.above_prompt_tokens
            ):
                chosen = band
        return chosen

    def factor(
        self, kind: ProfileKind = ProfileKind.GLOBAL, tier: ServiceTier = ServiceTier.DEFAULT
    ) -> Decimal:
        """The profile-kind multiplier times the service-tier one; a product equal to 1 is
        exactly ``Decimal(1)``, so list prices keep their written precision ("5.00")."""
        product = self.profiles.get(kind, _ONE) * self.service_tiers.get(tier, _ONE)
        return _ONE if product == _ONE else product


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


def price(
    usage: Usage,
    rates: Rates,
    *,
    batch: bool = False,
    model_id: str | None = None,
    service_tier: Any = None,
) -> Cost:
    """The exact cost of ``usage`` at ``rates``.

    ``model_id`` (the profile or model that answered) selects the profile-kind multiplier;
    without it the call is priced as global, the tier's list price. ``service_tier`` (a
    response's ``serviceTier``, a :class:`ServiceTier` or its name) selects the service-tier
    multiplier; ``batch`` applies the batch discount instead, as batch jobs have no tier.
    The context band is chosen from the usage's whole prompt.
    """
    kind = ProfileKind.GLOBAL if model_id is None else profile_kind(model_id)
    tier = ServiceTier.DEFAULT if batch else service_tier_of(service_tier)
    factor = rates.factor(kind, tier) * (rates.batch_discount if batch else _ONE)
    band: Rates | Band = rates.band(usage.prompt_total) or rates

    def dollars(tokens: int, per_million: Decimal) -> Decimal:
        return Decimal(tokens) * per_million * factor / _MILLION

    return Cost(
        input=dollars(usage.input, band.input),
        output=dollars(usage.output, band.output),
        cache_read=dollars(usage.cache_read, band.cache_read),
        cache_write=dollars(usage.cache_write_5m, band.cache_write_5m)
        + dollars(usage.cache_write_1h, band.cache_write_1h),
    )

"""Budget arithmetic with no I/O: an attempt's worst case, and budget periods.

A budget is a cap, enforced by reservation: before an attempt the store reserves the most
it can cost (:func:`worst_case_usage` priced at its tier), and refuses the attempt when that
does not fit what the key has left; afterwards the reservation is settled to the actual cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from tierwise.core.pricing import Usage
from tierwise.core.tokens import input_upper_bound

__all__ = ["Period", "next_period_start", "period_start", "worst_case_usage"]


class Period(StrEnum):
    """How often a key's spend starts again from zero (calendar periods, UTC)."""

    DAY = "day"
    WEEK = "week"  # from Monday
    MONTH = "month"

    @classmethod
    def parse(cls, value: str) -> Period:
        from tierwise.errors import InvalidRequestError

        try:
            return cls(value.strip().lower().removesuffix("ly").replace("dai", "day"))
        except ValueError:
            raise InvalidRequestError(
                f"unknown budget period {value!r}", hint="use day, week or month"
            ) from None


def period_start(period: Period, now: datetime) -> datetime:
    """The start of the period that contains ``now``."""
    now = now.astimezone(UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period is Period.DAY:
        return day
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period_start(period: Period, now: datetime) -> datetime:
    start = period_start(period, now)
    if period is Period.DAY:
        return start + timedelta(days=1)
    if period is Period.WEEK:
        return start + timedelta(weeks=1)
    return (start + timedelta(days=32)).replace(day=1)


def worst_case_usage(request: Mapping[str, Any]) -> Usage:
    """The most tokens ``request`` (as sent, with ``inferenceConfig.maxTokens`` set) can be
    billed for: every prompt token at the dearest input rate it could meet (a cache write
    when the request has cache points, at 1 h when any point asks for it) and ``maxTokens``
    of output, which with Claude includes any thinking budget."""
    prompt = input_upper_bound(request)
    asked = (request.get("inferenceConfig") or {}).get("maxTokens")
    # Bedrock refuses, unbilled, a maxTokens that is not a positive integer; counting one
    # (say -1000000) would make the reservation negative and lower what the key has held
    # while the refused call is in flight, letting calls made meanwhile pass the budget.
    output = asked if isinstance(asked, int) and not isinstance(asked, bool) and asked > 0 else 0
    ttls = _cache_ttls(request)
    if "1h" in ttls:
        return Usage(cache_write_1h=prompt, output=output)
    if ttls:
        return Usage(cache_write_5m=prompt, output=output)
    return Usage(input=prompt, output=output)


def _cache_ttls(request: Mapping[str, Any]) -> set[str]:
    blocks: list[Any] = [*((request.get("toolConfig") or {}).get("tools") or ())]
    blocks += list(request.get("system") or ())
    for message in request.get("messages") or ():
        blocks += list(message.get("content") or ())
    return {
        str(b["cachePoint"].get("ttl", "5m"))
        for b in blocks
        if isinstance(b, Mapping) and isinstance(b.get("cachePoint"), Mapping)
    }

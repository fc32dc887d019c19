"""Spend and credit reports from a ledger: shared by the CLI and the gateway's JSON API."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tierwise.core.credits import Runway
from tierwise.core.guardrails import guardrail_usd
from tierwise.core.spend import SpendRow
from tierwise.errors import InvalidRequestError
from tierwise.store import LedgerRow

__all__ = ["RATE_PLACES", "daily_spend", "parse_since", "rate_usd", "runway_dict", "spend_rows"]

RATE_PLACES = Decimal("0.000001")
"""Burn rates (an average: spend / days) are reported to the micro-dollar, as spend CSVs
are; the ledger's amounts stay exact."""


def rate_usd(value: Decimal) -> str:
    """A USD-per-day average for JSON: rounded to :data:`RATE_PLACES`, half to even."""
    return str(value.quantize(RATE_PLACES))


_SINCE = re.compile(r"^(\d+)([dhw])$")


def parse_since(
    value: str, now: datetime, *, option: str = "--since", window: bool = True
) -> datetime:
    """``30d``, ``12h``, ``2w`` or an ISO date; errors name ``option`` (the flag or query
    parameter the value came from). ``window``: the start of a window up to ``now``, so a
    date to come or ``0d`` (an empty window) is refused; else a cut-off (``--older-than``),
    where either is every row up to now."""
    match = _SINCE.match(value.strip())
    if match:
        digits, unit = match.group(1), match.group(2)
        hours = {"h": 1, "d": 24, "w": 24 * 7}[unit]
        if window and not digits.strip("0"):
            # "Since now" holds nothing: an empty report, read as "no spend". Older than
            # now is everything, as older than a date to come is.
            raise InvalidRequestError(
                f"{option} {value!r} is an empty window", hint=f"e.g. 1{unit} or 30d"
            )
        try:
            return now - timedelta(hours=int(digits) * hours)
        # OverflowError: past timedelta's or datetime's range; ValueError: past int's digits
        except (OverflowError, ValueError):
            raise InvalidRequestError(
                f"{option} {value!r} reaches back before the year 1",
                hint="use a shorter duration such as 30d, or a date",
            ) from None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRequestError(
            f"{option} {value!r} is not a duration or a date",
            hint="use 30d, 12h, 2w or 2026-11-01",
        ) from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if window and parsed > now:
        # As "0d": an empty report, read as "no spend".
        raise InvalidRequestError(
            f"{option} {value!r} is in the future: an empty window",
            hint="use a date before today, or a duration such as 30d",
        )
    return parsed


def spend_rows(rows: list[LedgerRow]) -> list[SpendRow]:
    return [
        SpendRow(
            day=r.ts.astimezone(UTC).date(),
            request_id=r.request_id,
            tier=r.tier,
            model_id=r.model_id,
            api_key_id=r.api_key_id,
            usage=r.usage,
            cost=r.cost_usd,
            batch=r.batch,
            status=r.status,
            kind=str((r.metadata or {}).get("kind", "answer")),
            service_tier=str((r.metadata or {}).get("service_tier", "default")),
            cache_saving=_cache_saving(r),
            cache_moved=bool(
                (r.route or {}).get("cache")
                and r.route["cache"].get("tier") != r.route["cache"].get("preferred")  # type: ignore[index]
            ),
            guardrail_intervened=r.stop_reason == "guardrail_intervened",
            guardrail_cost=guardrail_usd(r.metadata),
        )
        for r in rows
    ]


def _cache_saving(row: LedgerRow) -> Decimal | None:
    """The saving cache-aware routing expected for ``row``'s request, when this row is a call
    it made: on the tier it chose, and answered. A call Bedrock refused (a prompt over every
    context window) or one that failed over to another tier saved nothing; counting its
    forecast put a $0.62 saving beside a $0.00 error row."""
    cache = (row.route or {}).get("cache")
    if not isinstance(cache, dict) or "saving_usd" not in cache:
        return None
    if row.status == "error" or row.tier != cache.get("tier"):
        return None
    try:
        return Decimal(str(cache["saving_usd"]))
    except ArithmeticError:
        return None


def daily_spend(rows: list[LedgerRow]) -> dict[date, Decimal]:
    out: dict[date, Decimal] = defaultdict(Decimal)
    for r in rows:
        out[r.ts.astimezone(UTC).date()] += r.cost_usd
    return dict(out)


def runway_dict(result: Runway) -> dict[str, object]:
    return {
        "as_of": result.as_of.isoformat(),
        "burn_7d_usd": rate_usd(result.burn_7d),
        "burn_30d_usd": rate_usd(result.burn_30d),
        "card_spend_so_far_usd": str(result.card_spend_so_far),
        "card_from": result.card_from.isoformat() if result.card_from else None,
        "pools": [
            {
                "name": s.pool.name,
                "covers": s.pool.covers,
                "amount_usd": str(s.pool.amount),
                "used_usd": str(s.used),
                "balance_usd": str(s.balance),
                "start": s.pool.start.isoformat(),
                "expires": s.pool.expires.isoformat(),
                "runs_out": s.runs_out.isoformat() if s.runs_out else None,
                "unused_at_expiry_usd": str(s.expires_unused),
            }
            for s in result.pools
        ],
        "warnings": result.warnings,
    }

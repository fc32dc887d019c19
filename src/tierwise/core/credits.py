"""AWS credit pools: drawdown in expiry order, burn rate, and the runway forecast (pure).

Each day's spend is taken from the pools active that day (started, not expired, not empty),
the one expiring first first; what no pool covers goes to the card. The forecast extends the
recent burn rate day by day from ``as_of`` to find when each pool runs out and when spend
starts reaching the card, and warns about pools close to running out or to expiring unused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

__all__ = ["CreditPool", "PoolState", "Runway", "burn_rate", "drawdown", "runway"]

_ZERO = Decimal(0)
HORIZON_DAYS = 3 * 365


@dataclass(frozen=True, slots=True)
class CreditPool:
    name: str
    amount: Decimal
    start: date
    expires: date
    covers: str = ""


@dataclass
class PoolState:
    pool: CreditPool
    used: Decimal = _ZERO
    runs_out: date | None = None
    expires_unused: Decimal = _ZERO

    @property
    def balance(self) -> Decimal:
        return self.pool.amount - self.used


@dataclass
class Runway:
    as_of: date
    pools: list[PoolState]
    burn_7d: Decimal
    burn_30d: Decimal
    card_spend_so_far: Decimal
    card_from: date | None
    warnings: list[str] = field(default_factory=list)


def _apply(states: Sequence[PoolState], day: date, amount: Decimal) -> Decimal:
    """Take ``amount`` from the pools active on ``day``; returns what reaches the card."""
    remaining = amount
    for state in sorted(states, key=lambda s: (s.pool.expires, s.pool.name)):
        if remaining <= 0:
            break
        pool = state.pool
        if not (pool.start <= day <= pool.expires) or state.balance <= 0:
            continue
        take = min(state.balance, remaining)
        state.used += take
        remaining -= take
        if state.balance <= 0 and state.runs_out is None:
            state.runs_out = day
    return remaining


def drawdown(
    pools: Sequence[CreditPool], daily: Mapping[date, Decimal]
) -> tuple[list[PoolState], Decimal]:
    """Pool states after the recorded spend, and what reached the card."""
    states = [PoolState(p) for p in pools]
    card = _ZERO
    for day in sorted(daily):
        card += _apply(states, day, daily[day])
    return states, card


def burn_rate(daily: Mapping[date, Decimal], as_of: date, days: int) -> Decimal:
    """Average spend per day over the ``days`` days ending on ``as_of`` (inclusive)."""
    start = as_of - timedelta(days=days - 1)
    total = sum((v for d, v in daily.items() if start <= d <= as_of), _ZERO)
    return total / days


def runway(
    pools: Sequence[CreditPool],
    daily: Mapping[date, Decimal],
    as_of: date,
    *,
    warn_days: int = 30,
) -> Runway:
    """Balances now, the burn rate, and the forecast at the 7-day burn rate."""
    states, card = drawdown(pools, {d: v for d, v in daily.items() if d < as_of})
    # Today's spend apart: when it reaches the card already, the card is reached from today
    # (the forecast starts tomorrow and said "from tomorrow", with no pool left or none set).
    today = _apply(states, as_of, daily.get(as_of, _ZERO))
    card += today
    burn7 = burn_rate(daily, as_of, 7)
    burn30 = burn_rate(daily, as_of, 30)
    forecast = [PoolState(s.pool, s.used, s.runs_out) for s in states]
    card_from: date | None = as_of if today > 0 else None
    if burn7 > 0 and card_from is None:
        day = as_of
        for _ in range(HORIZON_DAYS):
            day += timedelta(days=1)
            if _apply(forecast, day, burn7) > 0 and card_from is None:
                card_from = day
                break
    for now, future in zip(states, forecast, strict=True):
        now.runs_out = now.runs_out or future.runs_out
        if now.runs_out is None and now.balance > 0:
            now.expires_unused = future.balance
    result = Runway(as_of, states, burn7, burn30, card, card_from)
    for state in states:
        pool = state.pool
        if state.runs_out is not None and as_of <= state.runs_out <= as_of + timedelta(
            days=warn_days
        ):
            result.warnings.append(
                f"{pool.name} runs out on {state.runs_out.isoformat()} "
                f"(within {warn_days} days at ${burn7:,.2f}/day)"
            )
        if state.expires_unused > 0 and pool.expires <= as_of + timedelta(days=warn_days):
            result.warnings.append(
                f"{pool.name} expires on {pool.expires.isoformat()} with about "
                f"${state.expires_unused:,.2f} unused"
            )
    if card_from is not None and card_from <= as_of + timedelta(days=warn_days):
        result.warnings.append(f"spend reaches the card from {card_from.isoformat()}")
    return result

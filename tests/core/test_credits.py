"""Credit pools: drawdown in expiry order, burn rate and runway, by hand."""

from datetime import date, timedelta
from decimal import Decimal

from tierwise.core.credits import CreditPool, burn_rate, drawdown, runway

POC = CreditPool("Bedrock POC", Decimal("100"), date(2026, 1, 1), date(2026, 12, 31))
ACTIVATE = CreditPool("AWS Activate", Decimal("1000"), date(2026, 1, 1), date(2027, 6, 30))


def test_drawdown_takes_the_pool_expiring_first() -> None:
    daily = {date(2026, 11, 1): Decimal("60"), date(2026, 11, 2): Decimal("60")}
    states, card = drawdown([ACTIVATE, POC], daily)
    by_name = {s.pool.name: s for s in states}
    # Day 1: POC 60. Day 2: POC's last 40, then 20 from Activate.
    assert by_name["Bedrock POC"].used == Decimal("100")
    assert by_name["Bedrock POC"].runs_out == date(2026, 11, 2)
    assert by_name["AWS Activate"].used == Decimal("20")
    assert card == 0


def test_spend_outside_every_pool_reaches_the_card() -> None:
    late = {date(2027, 8, 1): Decimal("5")}
    _, card = drawdown([POC, ACTIVATE], late)
    assert card == Decimal("5")


def test_burn_rate_windows() -> None:
    today = date(2026, 11, 24)
    daily = {today - timedelta(days=i): Decimal("7") for i in range(10)}
    assert burn_rate(daily, today, 7) == Decimal("7")
    assert burn_rate(daily, today, 30) == Decimal("70") / 30


def test_runway_forecast_and_warnings() -> None:
    today = date(2026, 11, 24)
    daily = {today - timedelta(days=i): Decimal("10") for i in range(7)}  # $70 spent, $10/day
    result = runway([POC, ACTIVATE], daily, today, warn_days=30)
    poc, activate = result.pools
    assert poc.used == Decimal("70") and poc.balance == Decimal("30")
    # $30 left at $10/day: the POC pool is empty on Nov 27, then Activate pays.
    assert poc.runs_out == date(2026, 11, 27)
    # Activate: $1000 at $10/day from Nov 28 lasts 100 days: Nov 28 + 99 days = 2027-03-07
    # (34 days to Dec 31, 31 in January, 28 in February, 7 in March).
    assert activate.runs_out == date(2027, 3, 7) and activate.expires_unused == 0
    assert result.burn_7d == Decimal("10")
    assert result.card_from == date(2027, 3, 8)
    assert any("Bedrock POC runs out on 2026-11-27" in w for w in result.warnings)


def test_pool_expiring_unused_is_warned() -> None:
    today = date(2026, 12, 10)
    daily = {today: Decimal("1")}
    short = CreditPool("Summit promo", Decimal("500"), date(2026, 12, 1), date(2026, 12, 20))
    result = runway([short], daily, today, warn_days=30)
    (state,) = result.pools
    # $1/7 per day for 10 more days: about $498.57 left when it expires on Dec 20.
    assert state.expires_unused == Decimal("499") - Decimal("1") / 7 * 10
    assert any("expires on 2026-12-20" in w for w in result.warnings)


def test_spend_reaching_the_card_today_says_today() -> None:
    # With no pool left (or none configured), today's spend is on the card already; the
    # forecast starts tomorrow, so it said "spend reaches the card from <tomorrow>".
    today = date(2027, 8, 2)
    daily = {today - timedelta(days=1): Decimal("5"), today: Decimal("5")}
    for pools in ([], [POC]):
        result = runway(pools, daily, today, warn_days=30)
        assert result.card_from == today
        assert result.card_spend_so_far == Decimal("10")
        assert f"spend reaches the card from {today.isoformat()}" in result.warnings
    # While a pool covers today, the forecast says when the card is reached.
    covered = runway([ACTIVATE], {date(2026, 11, 24): Decimal("10")}, date(2026, 11, 24))
    assert covered.card_spend_so_far == 0 and covered.card_from != date(2026, 11, 24)


def test_warnings_write_amounts_as_the_table_does() -> None:
    # The table said $24,999.98 and the warning beside it "$24999.91 unused".
    today = date(2026, 12, 8)
    poc = CreditPool("Bedrock POC", Decimal("25000"), date(2026, 9, 1), date(2026, 12, 31))
    result = runway([poc], {today: Decimal("7")}, today, warn_days=30)
    assert "Bedrock POC expires on 2026-12-31 with about $24,970.00 unused" in result.warnings

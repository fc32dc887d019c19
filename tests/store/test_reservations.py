"""Budget reservations on every store: reserve, settle, release, expire, periods."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tierwise.core.budgets import Period, next_period_start, period_start
from tierwise.errors import BudgetExceededError
from tierwise.store import LedgerRow
from tierwise.store.keys import Hold, KeyStore
from tierwise.store.sql import SQLLedger


def row(key_id: str, cost: str, request_id: str = "r1", attempt: int = 1) -> LedgerRow:
    return LedgerRow(
        id=None, ts=datetime.now(UTC), request_id=request_id, attempt=attempt, tier="haiku",
        model_id="m", input_tokens=10, output_tokens=5, cache_read_tokens=0,
        cache_write_5m_tokens=0, cache_write_1h_tokens=0, cost_usd=Decimal(cost),
        latency_ms=1.0, status="ok", api_key_id=key_id,
    )  # fmt: skip


def guarded_hold(
    ledger: SQLLedger, request_id: str, **detail: object
) -> tuple[KeyStore, str, Hold, datetime]:
    """A key with a $1 budget and a $0.50 hold on it (60 s TTL) whose expiry is charged
    $0.30 (``charge_usd``: the gap is the priced guardrail policies beyond its own)."""
    keys = KeyStore(ledger)
    key, _ = keys.create("k", budget_usd=Decimal("1"))
    now = datetime.now(UTC)
    hold = keys.reserve(
        key.id, Decimal("0.5"), request_id=request_id, attempt=1, ttl_s=60, now=now,
        detail={"tier": "haiku", "model_id": "m", "usage": {"input": 100, "output": 400},
                "charge_usd": "0.3", **detail},
    )  # fmt: skip
    return keys, key.id, hold, now


def test_reserve_settle_charges_the_actual_cost_and_releases_the_rest(ledger: SQLLedger) -> None:
    keys = KeyStore(ledger)
    key, _ = keys.create("k", budget_usd=Decimal("1"))
    hold = keys.reserve(key.id, Decimal("0.4"), request_id="r1", attempt=1)
    held = keys.get(key.id)
    assert held is not None and held.reserved_usd == Decimal("0.4")
    assert held.remaining_usd == Decimal("0.6")
    row_id = keys.settle(hold, row(key.id, "0.1"))
    after = keys.get(key.id)
    assert after is not None
    assert (after.spent_usd, after.reserved_usd, after.remaining_usd) == (
        Decimal("0.1"), Decimal(0), Decimal("0.9"),
    )  # fmt: skip
    assert [r.id for r in ledger.rows(request_id="r1")] == [row_id]


def test_a_reservation_that_does_not_fit_is_refused_naming_the_figures(ledger: SQLLedger) -> None:
    keys = KeyStore(ledger)
    key, _ = keys.create("k", budget_usd=Decimal("1"))
    keys.reserve(key.id, Decimal("0.7"), request_id="r1", attempt=1)
    with pytest.raises(BudgetExceededError) as refused:
        keys.reserve(key.id, Decimal("0.5"), request_id="r2", attempt=1)
    message = refused.value.message
    assert "budget of $1.00" in message
    assert "$0.00 is spent and $0.70 reserved" in message
    assert "reserves up to $0.50" in message
    assert refused.value.retry_after == 1.0  # it would fit once the other one settles
    keys.reserve(key.id, Decimal("0.3"), request_id="r3", attempt=1)  # exactly fits


def test_concurrent_reservations_never_pass_the_budget(ledger: SQLLedger) -> None:
    keys = KeyStore(ledger)
    key, _ = keys.create("k", budget_usd=Decimal("1"))
    granted: list[object] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(10):
            try:
                hold = keys.reserve(key.id, Decimal("0.03"), request_id="r", attempt=1)
            except BudgetExceededError:
                continue
            with lock:
                granted.append(hold)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 33  # floor(1 / 0.03): every one that fit, none more
    after = keys.get(key.id)
    assert after is not None and after.reserved_usd == Decimal("0.99")


def test_release_gives_back_without_charging(ledger: SQLLedger) -> None:
    keys = KeyStore(ledger)
    key, _ = keys.create("k", budget_usd=Decimal("1"))
    keys.release(keys.reserve(key.id, Decimal("0.5"), request_id="r", attempt=1))
    after = keys.get(key.id)
    assert after is not None and (after.spent_usd, after.reserved_usd) == (0, 0)


def test_an_expired_reservation_is_charged_its_worst_case_then_corrected(
    ledger: SQLLedger,
) -> None:
    keys = KeyStore(ledger)
    key, _ = keys.create("k", budget_usd=Decimal("1"))
    now = datetime.now(UTC)
    hold = keys.reserve(
        key.id, Decimal("0.5"), request_id="lost", attempt=2, ttl_s=60, now=now,
        detail={"tier": "haiku", "model_id": "m", "usage": {"input": 100, "output": 400}},
    )  # fmt: skip
    assert keys.reconcile(now + timedelta(seconds=30)) == 0  # not expired yet
    assert keys.reconcile(now + timedelta(seconds=61)) == 1
    after = keys.get(key.id)
    assert after is not None and (after.spent_usd, after.reserved_usd) == (Decimal("0.5"), 0)
    (orphan,) = ledger.rows(request_id="lost")
    assert orphan.status == "error" and orphan.error_class == "ReservationExpired"
    assert orphan.cost_usd == Decimal("0.5") and orphan.output_tokens == 400
    assert orphan.metadata and orphan.metadata["estimated"] is True
    assert keys.reconcile(now + timedelta(seconds=120)) == 0  # idempotent
    # The call settles after all: its real row replaces the estimate, and the key is
    # charged the actual cost instead of the worst case.
    keys.settle(hold, row(key.id, "0.2", request_id="lost", attempt=2))
    (real,) = ledger.rows(request_id="lost")
    assert real.status == "ok" and real.cost_usd == Decimal("0.2")
    final = keys.get(key.id)
    assert final is not None and final.spent_usd == Decimal("0.2")


def test_an_expired_reservation_is_charged_what_its_hold_recorded_then_corrected(
    ledger: SQLLedger,
) -> None:
    # A hold records what its expiry is charged (charge_usd: the model's worst case and the
    # guardrail's own policies) apart from what it holds (a cap counting every priced
    # guardrail policy): the expiry charges that and keeps the rest held until the call
    # settles, on every store, and a late settle is charged the difference from it.
    keys, key_id, hold, now = guarded_hold(
        ledger, "lost", guardrail_usd="0.01", guardrail_units={"content": 2}
    )
    assert keys.reconcile(now + timedelta(seconds=61)) == 1
    after = keys.get(key_id)
    assert after is not None
    assert (after.spent_usd, after.reserved_usd) == (Decimal("0.3"), Decimal("0.2"))
    (orphan,) = ledger.rows(request_id="lost")
    assert orphan.cost_usd == Decimal("0.3")
    assert orphan.metadata and orphan.metadata["guardrail_units"] == {"content": 2}
    keys.settle(hold, row(key_id, "0.2", request_id="lost"))
    final = keys.get(key_id)
    assert final is not None and (final.spent_usd, final.reserved_usd) == (Decimal("0.2"), 0)
    (real,) = ledger.rows(request_id="lost")
    assert real.status == "ok" and real.cost_usd == Decimal("0.2")


def test_a_late_settle_after_an_expiry_never_passes_the_budget(ledger: SQLLedger) -> None:
    # A hold of 0.5 (a cap counting every priced guardrail policy) expires charged 0.3
    # (its guardrail's own policies). Its call may still settle (a slow gateway, a spool
    # replayed later), charged up to the whole hold. Had the 0.2 gap been released, other
    # calls could spend it first: the late settle then took the key to 1.2 on a budget
    # of 1.
    keys, key_id, hold, now = guarded_hold(ledger, "lost")
    assert keys.reconcile(now + timedelta(seconds=61)) == 1
    left = keys.get(key_id)
    assert left is not None
    other = keys.reserve(key_id, left.remaining_usd, request_id="other", attempt=1)
    keys.settle(other, row(key_id, str(left.remaining_usd), request_id="other"))
    keys.settle(hold, row(key_id, "0.5", request_id="lost"))  # all its guardrail's policies
    final = keys.get(key_id)
    assert final is not None and final.reserved_usd == 0
    assert final.spent_usd <= Decimal("1")
    assert final.spent_usd == sum(r.cost_usd for r in ledger.rows() if r.api_key_id == key_id)


def test_what_an_expiry_keeps_is_charged_a_ttl_later_if_the_call_never_settles(
    ledger: SQLLedger,
) -> None:
    # The gap an expiry keeps for a late settle must not stay reserved forever when the
    # call's gateway died: one more TTL after the expiry it is charged (not released, which
    # let a settle after that pass the budget), its row says so, and a settle arriving
    # after that still corrects the row down to its actual cost.
    keys, key_id, hold, now = guarded_hold(ledger, "dead")
    assert keys.reconcile(now + timedelta(seconds=61)) == 1
    keys.reconcile(now + timedelta(seconds=100))  # within the late window: still kept
    kept = keys.get(key_id)
    assert kept is not None and (kept.spent_usd, kept.reserved_usd) == (
        Decimal("0.3"),
        Decimal("0.2"),
    )
    assert keys.reconcile(now + timedelta(seconds=121)) == 0  # none expired, the gap lapses
    lapsed = keys.get(key_id)
    assert lapsed is not None and (lapsed.spent_usd, lapsed.reserved_usd) == (Decimal("0.5"), 0)
    (estimated,) = ledger.rows(request_id="dead")
    assert estimated.cost_usd == Decimal("0.5")  # the ledger and the spend agree
    assert "whole hold" in (estimated.metadata or {})["estimate"]
    keys.reconcile(now + timedelta(seconds=500))  # nothing left to charge
    assert keys.get(key_id) == lapsed
    keys.settle(hold, row(key_id, "0.25", request_id="dead"))  # very late after all
    final = keys.get(key_id)
    assert final is not None and (final.spent_usd, final.reserved_usd) == (Decimal("0.25"), 0)
    assert [r.cost_usd for r in ledger.rows(request_id="dead")] == [Decimal("0.25")]


def test_a_settle_after_the_kept_gap_lapsed_never_passes_the_budget(ledger: SQLLedger) -> None:
    # QA: the lapse released the 0.2 gap, other calls spent it, and the call's row came
    # after all (a spool replayed after a long outage) at the whole hold: 1.2 spent on a
    # budget of 1. Charged instead, the gap cannot be spent twice.
    keys, key_id, hold, now = guarded_hold(ledger, "late")
    assert keys.reconcile(now + timedelta(seconds=61)) == 1
    keys.reconcile(now + timedelta(seconds=121))  # the gap lapses
    left = keys.get(key_id)
    assert left is not None and left.remaining_usd is not None and left.remaining_usd > 0
    other = keys.reserve(
        key_id, left.remaining_usd, request_id="other", attempt=1, now=now + timedelta(seconds=122)
    )
    keys.settle(other, row(key_id, str(left.remaining_usd), request_id="other"))
    keys.settle(hold, row(key_id, "0.5", request_id="late"))  # billed its whole hold
    final = keys.get(key_id)
    assert final is not None and final.reserved_usd == 0
    assert final.spent_usd == Decimal("1")
    assert final.spent_usd == sum(r.cost_usd for r in ledger.rows() if r.api_key_id == key_id)


def test_a_refusal_reconciles_expired_reservations_first(ledger: SQLLedger) -> None:
    keys = KeyStore(ledger)
    key, _ = keys.create("k", budget_usd=Decimal("1"))
    now = datetime.now(UTC)
    keys.reserve(key.id, Decimal("0.9"), request_id="dead", attempt=1, ttl_s=1, now=now)
    with pytest.raises(BudgetExceededError):
        keys.reserve(key.id, Decimal("0.2"), request_id="r", attempt=1, now=now)
    # Once expired, a refusal first reconciles it: the dead gateway's hold is charged at
    # its worst case (0.9) and no longer reserved.
    later = now + timedelta(seconds=2)
    with pytest.raises(BudgetExceededError) as refused:
        keys.reserve(key.id, Decimal("0.2"), request_id="r", attempt=1, now=later)
    assert "$0.90 is spent and $0.00 reserved" in refused.value.message
    after = keys.get(key.id)
    assert after is not None and (after.spent_usd, after.reserved_usd) == (Decimal("0.9"), 0)


def test_a_monthly_budget_starts_again_each_month(ledger: SQLLedger) -> None:
    keys = KeyStore(ledger)
    key, _ = keys.create("k", budget_usd=Decimal("1"), budget_period=Period.MONTH)
    now = datetime.now(UTC)
    keys.settle(keys.reserve(key.id, Decimal("1"), request_id="a", attempt=1), row(key.id, "1"))
    with pytest.raises(BudgetExceededError) as refused:
        keys.reserve(key.id, Decimal("0.1"), request_id="b", attempt=1, now=now)
    assert "this month" in refused.value.message
    assert refused.value.retry_after == pytest.approx(
        (next_period_start(Period.MONTH, now) - now).total_seconds()
    )
    next_month = next_period_start(Period.MONTH, now) + timedelta(hours=1)
    keys.reserve(key.id, Decimal("0.1"), request_id="c", attempt=1, now=next_month)
    after = keys.get(key.id)
    assert after is not None
    assert after.spent_usd == 0 and after.reserved_usd == Decimal("0.1")
    assert after.period_start == period_start(Period.MONTH, next_month)


def test_periods() -> None:
    t = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert period_start(Period.MONTH, t) == datetime(2026, 12, 1, tzinfo=UTC)
    assert next_period_start(Period.MONTH, t) == datetime(2027, 1, 1, tzinfo=UTC)
    assert period_start(Period.WEEK, t) == datetime(2026, 12, 28, tzinfo=UTC)  # a Monday
    assert next_period_start(Period.DAY, t) == datetime(2027, 1, 1, tzinfo=UTC)
    assert Period.parse("Monthly") is Period.MONTH and Period.parse("daily") is Period.DAY

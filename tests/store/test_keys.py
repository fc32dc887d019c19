"""API keys on every store: atomic charges from many threads, shared rate windows."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from tierwise.errors import BudgetExceededError, RateLimitedError
from tierwise.store.keys import KeyStore
from tierwise.store.sql import SQLLedger


def test_concurrent_charges_are_never_lost(ledger: SQLLedger) -> None:
    keys = KeyStore(ledger)
    key, _ = keys.create("load", budget_usd=Decimal("1000"))
    cost = Decimal("0.000123456")

    def charge() -> None:
        for _ in range(50):
            keys.charge(key.id, cost)

    threads = [threading.Thread(target=charge) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    again = keys.get(key.id)
    assert again is not None and again.spent_usd == cost * 400


def test_budget_admission_reads_committed_spend(ledger: SQLLedger) -> None:
    keys = KeyStore(ledger)
    key, _ = keys.create("small", budget_usd=Decimal("0.01"))
    keys.admit(key.id)
    keys.charge(key.id, Decimal("0.01"))
    with pytest.raises(BudgetExceededError):
        keys.admit(key.id)


def test_rate_window_is_shared_by_every_store_client(store_url: str) -> None:
    from tierwise.store import open_ledger

    first, second = open_ledger(store_url), open_ledger(store_url)
    assert isinstance(first, SQLLedger) and isinstance(second, SQLLedger)
    a, b = KeyStore(first), KeyStore(second)
    key, _ = a.create("rpm", rpm=3)
    now = 1_800_000_000.0
    a.hit(key.id, 3, now)
    b.hit(key.id, 3, now + 1)  # another gateway, same database
    a.hit(key.id, 3, now + 2)
    with pytest.raises(RateLimitedError) as info:
        b.hit(key.id, 3, now + 3)
    assert 0 < info.value.retry_after <= 60
    # The hint says what to do; it repeated the message ("... limit was reached").
    assert str(info.value) == (
        "the key's limit of 3 requests per minute is reached (wait the retry-after seconds "
        "before sending more, or use a key with a higher --rpm (`tierwise keys create --rpm N`))"
    )
    a.hit(key.id, 3, now + 61)  # the next minute starts a new window
    first.close()
    second.close()

"""A budget refusal says which field caps the reservation, on every door's terms."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tierwise.errors import BudgetExceededError
from tierwise.store.keys import KeyStore
from tierwise.store.sql import SQLLedger


def test_the_refusal_names_every_doors_output_cap_and_the_default(ledger: SQLLedger) -> None:
    keys = KeyStore(ledger)
    key, _ = keys.create("k", budget_usd=Decimal("0.01"))
    with pytest.raises(BudgetExceededError) as refused:
        keys.reserve(key.id, Decimal("0.02"), request_id="r1", attempt=1)
    hint = refused.value.hint
    # The Responses API has no max_tokens, and a request that set no cap was held at 4096.
    for field in ("max_tokens", "max_output_tokens", "maxTokens", "default_max_tokens"):
        assert field in hint

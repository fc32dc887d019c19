"""The ledger suite runs against every store: SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pg import pg_schema_url
from tierwise.store import open_ledger
from tierwise.store.sql import SQLLedger


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
    else:
        with pg_schema_url() as url:
            yield url


@pytest.fixture
def ledger(store_url: str) -> Iterator[SQLLedger]:
    store = open_ledger(store_url)
    assert isinstance(store, SQLLedger)
    yield store
    store.close()

"""A live gateway (uvicorn in a thread) in front of the emulator, with real API keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from live_server import emulated_gateway
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.emulator import Emulator
from tierwise.store.keys import KeyStore


@dataclass
class LiveGateway:
    url: str
    key: str
    keys: KeyStore
    tierwise: Tierwise
    emulator: Emulator

    def new_key(self, **options: Any) -> str:
        return self.keys.create("test", **options)[1]


@pytest.fixture(scope="module")
def gateway(
    default_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    db: Path = tmp_path_factory.mktemp("gw") / "ledger.db"
    overrides = {"retry.base_delay_s": 0.0, "retry.max_attempts": 2}
    with emulated_gateway(default_settings, db, overrides) as gw:
        _, secret = gw.keys.create("main", budget_usd=Decimal("100"))
        yield LiveGateway(gw.url, secret, gw.keys, gw.tierwise, gw.emulator)


@pytest.fixture(autouse=True)
def _fresh_emulator(request: pytest.FixtureRequest) -> None:
    if "gateway" in request.fixturenames:
        request.getfixturevalue("gateway").emulator.reset()

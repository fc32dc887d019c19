"""A live gateway (uvicorn in a thread) in front of the emulator, with real API keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from live_server import run_server
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.emulator import Emulator
from tierwise.gateway import create_app
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
    with Emulator(default_settings, port=0).start() as emu:
        settings = default_settings.with_overrides(
            {"endpoint_url": emu.url, "retry.base_delay_s": 0.0, "retry.max_attempts": 2}
        )
        tw = Tierwise.from_settings(settings, ledger_url=f"sqlite:///{db}")
        keys = KeyStore(tw.ledger)  # type: ignore[arg-type]
        app = create_app(settings, tierwise=tw, keys=keys, auth=True)
        server, thread, url = run_server(app)
        _, secret = keys.create("main", budget_usd=Decimal("100"))
        try:
            yield LiveGateway(url, secret, keys, tw, emu)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            tw.close()


@pytest.fixture(autouse=True)
def _fresh_emulator(request: pytest.FixtureRequest) -> None:
    if "gateway" in request.fixturenames:
        request.getfixturevalue("gateway").emulator.reset()

"""Fixtures shared across the suite: clean settings, a live emulator, a Tierwise on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tierwise.config import NON_SETTING_ENV, Settings, load_settings

# The client's imports (~0.1 s CPU) are paid by the tests that use ``tw``, not by every run.
if TYPE_CHECKING:
    from tierwise.client import Tierwise
    from tierwise.emulator import Emulator


@pytest.fixture(autouse=True)
def _no_user_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's TIERWISE_* variables or AWS bearer token must not steer the tests."""
    for name in list(os.environ):
        if name.startswith("TIERWISE_") and name not in NON_SETTING_ENV:
            monkeypatch.delenv(name)
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)


@pytest.fixture(scope="session")
def default_settings() -> Settings:
    return load_settings(environ={}).settings


@pytest.fixture(scope="module")
def live_emulator(default_settings: Settings) -> Iterator[object]:
    from tierwise.emulator import Emulator

    with Emulator(default_settings, port=0).start() as emu:
        yield emu


@pytest.fixture
def emu_settings(default_settings: Settings, live_emulator: object) -> Settings:
    """Default settings pointed at the live emulator, with instant retries."""
    live_emulator.reset()  # type: ignore[attr-defined]
    return default_settings.with_overrides(
        {"endpoint_url": live_emulator.url, "retry.base_delay_s": 0.0}  # type: ignore[attr-defined]
    )


@pytest.fixture
def ledger_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture
def tw(emu_settings: Settings, ledger_url: str) -> Iterator[Tierwise]:
    """A Tierwise on the live emulator with this test's own SQLite ledger, closed after it."""
    from tierwise.client import Tierwise

    with Tierwise.from_settings(emu_settings, ledger_url=ledger_url) as client:
        yield client


@pytest.fixture
def deadline_cut(default_settings: Settings) -> Iterator[tuple[Emulator, Settings]]:
    """An emulator that answers after 20 s, and settings on it whose 1 s deadline (plus a
    0.5 s usage grace) cuts every call off in flight: the attempt goes on, and is ledgered
    when its connection is closed."""
    from tierwise.emulator import Emulator, Faults

    with Emulator(default_settings, port=0, faults=Faults(latency_ms=20_000)).start() as emu:
        yield emu, default_settings.with_overrides(
            {"endpoint_url": emu.url, "retry.total_timeout_s": 1.0, "retry.base_delay_s": 0.0,
             "budgets.usage_grace_s": 0.5}
        )  # fmt: skip

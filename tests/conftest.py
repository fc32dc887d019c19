"""Fixtures shared across the suite: clean settings, a live emulator, a Tierwise on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tierwise.config import NON_SETTING_ENV, Settings, load_settings


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

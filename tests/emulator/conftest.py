"""One emulator per test module, on a manual clock, with real boto3 and anthropic clients."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from emulator_testdata import ManualClock

from emulator_clients import ONE_ATTEMPT, emulator_client, make_runtime
from tierwise.config import Settings, load_settings
from tierwise.emulator import Emulator


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(environ={}).settings


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module", params=["threads", "async"])
def emu(
    settings: Settings, clock: ManualClock, request: pytest.FixtureRequest
) -> Iterator[Emulator]:
    """Every emulator test runs against both HTTP servers: the wire must be the same."""
    with Emulator(settings, port=0, clock=clock, server=request.param).start() as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(request: pytest.FixtureRequest) -> None:
    """Each test starts with an empty cache, no queued faults and zeroed statistics."""
    if "emu" in request.fixturenames:
        request.getfixturevalue("emu").reset()


@pytest.fixture(scope="module")
def runtime(emu: Emulator) -> Any:
    return make_runtime(emu.url)


@pytest.fixture(scope="module")
def control(emu: Emulator) -> Any:
    return emulator_client("bedrock", emu.url, ONE_ATTEMPT)


@pytest.fixture(scope="module")
def claude(emu: Emulator) -> Any:
    import anthropic

    return anthropic.AnthropicBedrock(
        base_url=emu.url,
        aws_access_key="x",
        aws_secret_key="y",
        aws_region="us-east-1",
        max_retries=0,
    )

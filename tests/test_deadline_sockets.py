"""Socket waits come from the deadline: against an upstream that takes 20 s, a call with a
1 s deadline is not only given up by its caller at 1 s, its connection is closed soon after
(within ``[budgets] usage_grace_s``), so closing the client does not wait for the upstream,
and the attempt's row is estimated (a call at its worst case, a stream that never opened
at its prompt). Sync (botocore's HTTP session and the lean one) and async, calls and
streams."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tierwise.client import AsyncTierwise, Tierwise
from tierwise.config import Settings
from tierwise.emulator import Emulator, Faults
from tierwise.errors import AttemptCutError, DeadlineExceededError
from tierwise.store import open_ledger

UPSTREAM_S = 20.0
MAX_TOKENS = 20
REQUEST: dict[str, Any] = {
    "messages": [{"role": "user", "content": [{"text": "hi"}]}],
    "inferenceConfig": {"maxTokens": MAX_TOKENS},
}


@pytest.fixture(scope="module")
def hung(default_settings: Settings) -> Iterator[Emulator]:
    faults = Faults(latency_ms=int(UPSTREAM_S * 1000))
    with Emulator(default_settings, port=0, faults=faults).start() as emu:
        yield emu


def settings_for(default_settings: Settings, emu: Emulator, http_client: str) -> Settings:
    return default_settings.with_overrides(
        {
            "endpoint_url": emu.url, "retry.total_timeout_s": 1.0, "retry.base_delay_s": 0.0,
            "retry.http_client": http_client, "budgets.usage_grace_s": 0.5,
        }
    )  # fmt: skip


def check_row(url: str, *, stream: bool) -> None:
    with open_ledger(url) as ledger:
        rows = ledger.rows()
    assert len(rows) == 1, rows
    (row,) = rows
    # The attempt was closed at its deadline, not finished by the upstream.
    assert row.error_class == AttemptCutError.__name__
    assert (row.metadata or {}).get("estimated") is True
    assert row.input_tokens > 0
    # A call is charged at its worst case; a stream that never opened showed no output.
    assert row.output_tokens == (0 if stream else MAX_TOKENS)
    assert row.cost_usd > 0


@pytest.mark.parametrize("stream", [False, True], ids=["call", "stream"])
@pytest.mark.parametrize("http_client", ["botocore", "lean"])
def test_a_sync_call_cut_by_its_deadline_is_closed_and_estimated(
    default_settings: Settings, hung: Emulator, tmp_path: Path, http_client: str, stream: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    tw = Tierwise.from_settings(settings_for(default_settings, hung, http_client), ledger_url=url)
    try:
        with pytest.raises(DeadlineExceededError):
            if stream:
                tw.converse_stream(modelId="haiku", **REQUEST)
            else:
                tw.converse(modelId="haiku", **REQUEST)
    finally:
        started = time.monotonic()
        tw.close()  # waits for the cut-off call to be ledgered
        closed_in = time.monotonic() - started
    assert closed_in < UPSTREAM_S / 2, f"close() waited {closed_in:.1f} s for the upstream"
    check_row(url, stream=stream)


@pytest.mark.parametrize("stream", [False, True], ids=["call", "stream"])
def test_an_async_call_cut_by_its_deadline_is_closed_and_estimated(
    default_settings: Settings, hung: Emulator, tmp_path: Path, stream: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"

    async def call() -> float:
        tw = AsyncTierwise.from_settings(
            settings_for(default_settings, hung, "botocore"), ledger_url=url
        )
        try:
            with pytest.raises(DeadlineExceededError):
                if stream:
                    await tw.converse_stream(modelId="haiku", **REQUEST)
                else:
                    await tw.converse(modelId="haiku", **REQUEST)
        finally:
            started = time.monotonic()
            await tw.aclose()  # waits for the cut-off call to be ledgered
        return time.monotonic() - started

    closed_in = asyncio.run(call())
    assert closed_in < UPSTREAM_S / 2, f"aclose() waited {closed_in:.1f} s for the upstream"
    check_row(url, stream=stream)

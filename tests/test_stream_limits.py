"""An async stream's idle and deadline limits, waited for in the body's own read wait (one
wait per event): every way a stream can end mid-answer still ends in its error (or its
cancellation) and its one ledger row. The upstream is the live emulator, stalled or failed
after a few events."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from tierwise.bedrock import AsyncStreamResult
from tierwise.client import AsyncTierwise
from tierwise.config import Settings
from tierwise.errors import DeadlineExceededError, TierwiseError
from tierwise.store import open_ledger
from tierwise.store.base import LedgerRow
from tierwise.waits import Waits

ASK = [{"role": "user", "content": [{"text": "Write a paragraph about rivers."}]}]
STALL_S = 30.0


def ledgered(url: str, request_id: str) -> LedgerRow:
    with open_ledger(url) as ledger:
        rows = ledger.rows(request_id=request_id)
    assert len(rows) == 1, rows
    return rows[0]


@pytest.fixture
def stalled(live_emulator: Any) -> Any:
    live_emulator.inject_stream_stall(after=3, seconds=STALL_S)
    return live_emulator


@pytest.fixture
def within_calls(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The timeouts of Waits.within calls: the wait around each read that the limits in the
    read's own wait replace (the stream's opening reads, in the bridge, wait within the
    read timeout and the deadline plus its grace: longer than any limit here)."""
    calls: list[float] = []
    within = Waits.within

    def counted(self: Waits, timeout: float, awaitable: Any) -> Any:
        calls.append(timeout)
        return within(self, timeout, awaitable)

    monkeypatch.setattr(Waits, "within", counted)
    return calls


def _read(
    settings: Settings, url: str, *, timeout_s: float | None = None, cancel_after: int = 0
) -> tuple[int, BaseException | None, str, float]:
    """Read one stream: the events seen, the error that ended it, its request id and how
    long it was read. ``cancel_after``: the reading task is cancelled once that many events
    have come and it waits for the next (a client that disconnects)."""

    async def main() -> tuple[int, BaseException | None, str, float]:
        async with AsyncTierwise.from_settings(settings, ledger_url=url) as tw:
            response = await tw.converse_stream(modelId="sonnet", messages=ASK, timeout_s=timeout_s)
            request_id = str(response["tierwise"]["requestId"])
            seen = 0

            async def consume() -> None:
                nonlocal seen
                async for _ in response["stream"]:
                    seen += 1

            started = time.monotonic()
            task = asyncio.create_task(consume())
            if cancel_after:
                while seen < cancel_after:
                    await asyncio.sleep(0.01)
                await asyncio.sleep(0.2)  # waiting in the stall
                task.cancel()
            try:
                await task
            except BaseException as exc:
                return seen, exc, request_id, time.monotonic() - started
            return seen, None, request_id, time.monotonic() - started

    return asyncio.run(main())


def test_idle_mid_stream_ends_with_the_idle_error_and_its_row(
    emu_settings: Settings, tmp_path: Path, stalled: Any, within_calls: list[float]
) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    settings = emu_settings.with_overrides({"retry.stream_idle_timeout_s": 0.5})
    seen, error, request_id, took = _read(settings, url)
    assert isinstance(error, DeadlineExceededError), error
    assert "no event for 0.5 s" in str(error) and error.request_id == request_id
    assert seen == 3 and took < STALL_S / 2
    assert min(within_calls) > 60, "the limits are the read's own wait: no wait around it"
    row = ledgered(url, request_id)
    assert row.status == "error" and row.error_class == "DeadlineExceededError"
    assert row.output_tokens > 0


def test_a_stream_that_cannot_take_its_limits_waits_around_each_read(
    emu_settings: Settings,
    tmp_path: Path,
    stalled: Any,
    within_calls: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Streams not read by a loop body (their events come through the bridge) keep the
    wait around each read, with the same error."""
    monkeypatch.setattr(AsyncStreamResult, "limit", lambda self, idle_s, deadline: False)
    url = f"sqlite:///{tmp_path / 'l.db'}"
    settings = emu_settings.with_overrides({"retry.stream_idle_timeout_s": 0.5})
    seen, error, request_id, _ = _read(settings, url)
    assert isinstance(error, DeadlineExceededError) and "no event for 0.5 s" in str(error)
    assert seen == 3 and min(within_calls) == 0.5
    assert ledgered(url, request_id).error_class == "DeadlineExceededError"


def test_the_deadline_mid_stream_ends_with_the_deadline_error_and_its_row(
    emu_settings: Settings, tmp_path: Path, stalled: Any, within_calls: list[float]
) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    seen, error, request_id, took = _read(emu_settings, url, timeout_s=2.0)
    assert isinstance(error, DeadlineExceededError), error
    assert "2 s deadline passed while the stream was open" in str(error)
    assert seen == 3 and took < STALL_S / 2 and min(within_calls) > 2.0
    row = ledgered(url, request_id)
    assert row.status == "error" and row.error_class == "DeadlineExceededError"


def test_a_client_that_disconnects_mid_wait_is_cancelled_not_timed_out_and_ledgered(
    emu_settings: Settings, tmp_path: Path, stalled: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    settings = emu_settings.with_overrides({"retry.stream_idle_timeout_s": 10.0})
    seen, error, request_id, _ = _read(settings, url, cancel_after=3)
    assert isinstance(error, asyncio.CancelledError), error  # not the idle limit's error
    assert seen == 3
    row = ledgered(url, request_id)
    assert row.stop_reason == "client_closed" and row.output_tokens > 0


def test_an_upstream_error_mid_stream_ends_with_its_error_and_its_row(
    emu_settings: Settings, tmp_path: Path, live_emulator: Any, within_calls: list[float]
) -> None:
    live_emulator.inject_stream_error("modelStreamErrorException", after=3)
    url = f"sqlite:///{tmp_path / 'l.db'}"
    seen, error, request_id, _ = _read(emu_settings, url)
    assert isinstance(error, TierwiseError) and not isinstance(error, DeadlineExceededError)
    assert error.request_id == request_id and seen == 3 and min(within_calls) > 60
    row = ledgered(url, request_id)
    assert row.status == "error" and row.error_class == type(error).__name__

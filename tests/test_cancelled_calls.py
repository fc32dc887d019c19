"""Calls Bedrock bills though nobody got their answer. An async call whose caller is
cancelled (``asyncio.timeout``, ``wait_for``, a cancelled task) after its request reached
Bedrock goes on, and its row and its key's charge arrive when it ends; its reservation
stays held until then. A call whose read times out is charged once, not retried."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tierwise.client import AsyncTierwise, Tierwise
from tierwise.config import Settings
from tierwise.emulator import Emulator, Faults
from tierwise.engine import Record
from tierwise.errors import AttemptCutError

MESSAGES = [{"role": "user", "content": [{"text": "Explain in detail the history of Rome"}]}]


@pytest.fixture(scope="module")
def slow(default_settings: Settings) -> Iterator[Emulator]:
    with Emulator(default_settings, port=0, faults=Faults(latency_ms=1500)).start() as emu:
        yield emu


@pytest.mark.parametrize("stream", [False, True])
def test_a_cancelled_callers_call_is_ledgered_and_charged(
    default_settings: Settings, slow: Emulator, tmp_path: Path, stream: bool
) -> None:
    slow.reset()
    settings = default_settings.with_overrides(
        {"endpoint_url": slow.url, "retry.base_delay_s": 0.0}
    )
    url = f"sqlite:///{tmp_path / 'l.db'}"

    async def run() -> tuple[Decimal, Decimal]:
        async with AsyncTierwise.from_settings(settings, ledger_url=url) as tw:
            assert tw.budgets is not None
            key, _ = tw.budgets.create("k", budget_usd=Decimal("1"))
            door = tw.converse_stream if stream else tw.converse
            task = asyncio.ensure_future(
                door(
                    modelId="sonnet",
                    messages=MESSAGES,
                    inferenceConfig={"maxTokens": 300},
                    api_key_id=key.id,
                )
            )
            while slow.stats["total"] < 1:  # the request has reached Bedrock
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            held = tw.budgets.get(key.id)
            assert held is not None
            # Closing the client waits for the call, which ends and is ledgered.
        async with AsyncTierwise.from_settings(settings, ledger_url=url) as tw:
            assert tw.budgets is not None
            after = tw.budgets.get(key.id)
            assert after is not None and after.reserved_usd == 0
            (row,) = tw.ledger.rows()
            assert row.api_key_id == key.id and row.cost_usd > 0
            assert after.spent_usd == row.cost_usd
        return held.reserved_usd, held.spent_usd

    reserved, spent = asyncio.run(run())
    assert reserved + spent > 0, "held (or already charged) while the call went on"


def test_a_call_whose_read_times_out_is_charged_once_not_retried(
    default_settings: Settings, tmp_path: Path
) -> None:
    # read_timeout_s below the generation time, within the deadline: the request was sent
    # and Bedrock bills it whole. Each retry (4 per profile, then the other profile and the
    # tier above) was billed again while the ledger said $0.
    with Emulator(default_settings, port=0, faults=Faults(latency_ms=3000)).start() as emu:
        settings = default_settings.with_overrides(
            {
                "endpoint_url": emu.url, "retry.base_delay_s": 0.0,
                "retry.read_timeout_s": 0.5, "retry.total_timeout_s": 30.0,
            }
        )  # fmt: skip
        with Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp_path / 'l.db'}") as tw:
            assert tw.budgets is not None
            key, _ = tw.budgets.create("k", budget_usd=Decimal("1"))
            with pytest.raises(AttemptCutError, match="read_timeout_s"):
                tw.converse(
                    modelId="sonnet", messages=MESSAGES, inferenceConfig={"maxTokens": 300},
                    api_key_id=key.id,
                )  # fmt: skip
            assert emu.stats["total"] == 1
            (row,) = tw.ledger.rows()
            assert row.cost_usd > 0 and (row.metadata or {}).get("estimated")
            after = tw.budgets.get(key.id)
            assert after is not None and after.spent_usd == row.cost_usd


def _gated_reserve(store: Any, entered: threading.Event, gate: threading.Event) -> None:
    """Make ``store.reserve`` wait for ``gate`` once entered (``entered`` says so)."""
    reserve = store.reserve

    def slow(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        gate.wait(10)
        return reserve(*args, **kwargs)

    store.reserve = slow


@pytest.mark.parametrize("stream", [False, True])
def test_a_caller_cancelled_while_its_hold_is_written_gets_the_hold_back(
    emu_settings: Settings, tmp_path: Path, stream: bool
) -> None:
    # The reservation's database write runs in a worker thread, which a cancelled task
    # cannot stop: the hold was written, the engine never got it, and it stayed held until
    # it expired, when the key was charged its worst case for a call never made.
    url = f"sqlite:///{tmp_path / 'l.db'}"
    entered, gate = threading.Event(), threading.Event()

    async def run() -> Any:
        async with AsyncTierwise.from_settings(emu_settings, ledger_url=url) as tw:
            assert tw.budgets is not None
            key, _ = tw.budgets.create("k", budget_usd=Decimal("1"))
            _gated_reserve(tw.budgets, entered, gate)
            door = tw.converse_stream if stream else tw.converse
            task = asyncio.ensure_future(door(modelId="sonnet", messages=MESSAGES,
                                              api_key_id=key.id))  # fmt: skip
            while not entered.is_set():
                await asyncio.sleep(0.01)
            task.cancel()
            gate.set()
            with pytest.raises(asyncio.CancelledError):
                await task
            # Closing the client waits for the write in flight, and gives the hold back.
        async with AsyncTierwise.from_settings(emu_settings, ledger_url=url) as tw:
            assert tw.budgets is not None
            assert tw.ledger.rows() == []
            return tw.budgets.get(key.id)

    after = asyncio.run(run())
    assert after is not None and after.reserved_usd == 0 and after.spent_usd == 0


@dataclass
class QueuedWrites:
    """A client with a budget key whose ledger writes, once handed to the async client's
    ``blocking``, wait unstarted until ``free`` is set: a gateway whose worker pool is busy."""

    client: Tierwise
    key_id: str
    queued: asyncio.Event = field(default_factory=asyncio.Event)
    free: asyncio.Event = field(default_factory=asyncio.Event)

    async def _blocking(self, fn: Any, *args: Any) -> Any:
        if any(isinstance(a, Record) for a in args):
            self.queued.set()
            await self.free.wait()  # queued behind busy workers: not started yet
        return await asyncio.to_thread(fn, *args)

    def async_client(self) -> AsyncTierwise:
        return AsyncTierwise.sharing(self.client, blocking=self._blocking)

    def assert_one_row_charged(self) -> None:
        rows = self.client.ledger.rows()
        held = self.client.budgets.get(self.key_id) if self.client.budgets else None
        assert len(rows) == 1 and rows[0].output_tokens > 0
        assert held is not None and held.reserved_usd == 0 and held.spent_usd == rows[0].cost_usd


@pytest.fixture
def queued_writes(emu_settings: Settings, tmp_path: Path) -> Iterator[QueuedWrites]:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    with Tierwise.from_settings(emu_settings, ledger_url=url) as client:
        assert client.budgets is not None
        key, _ = client.budgets.create("k", budget_usd=Decimal("1"))
        yield QueuedWrites(client, key.id)


def test_a_stream_whose_closing_ledger_write_is_cancelled_queued_is_ledgered(
    queued_writes: QueuedWrites,
) -> None:
    # The stream was read to its end; its row's write waited for a worker (the gateway's
    # pool was busy) when the reading task was cancelled: the write never ran, the row was
    # already claimed, and the delivered stream had no row and its key's hold stayed held.
    q = queued_writes

    async def run() -> None:
        tw = q.async_client()

        async def read() -> None:
            response = await tw.converse_stream(modelId="sonnet", messages=MESSAGES,
                                                api_key_id=q.key_id)  # fmt: skip
            async for _ in response["stream"]:
                pass

        task = asyncio.ensure_future(read())
        await q.queued.wait()
        task.cancel()
        q.free.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        await tw.driver.close()

    asyncio.run(run())
    q.assert_one_row_charged()


def test_a_ledger_write_goes_on_when_closing_the_driver_is_cancelled(
    queued_writes: QueuedWrites,
) -> None:
    # Closing waits for the money writes of cancelled callers. Closing was itself cancelled
    # (a timeout around the client's exit, a shutdown cut short): the wait cancelled every
    # write it waited for, and a write queued behind busy workers never ran, so the answered
    # call had no row and its key's hold stayed held.
    q = queued_writes

    async def run() -> None:
        tw = q.async_client()
        task = asyncio.ensure_future(
            tw.converse(modelId="sonnet", messages=MESSAGES, api_key_id=q.key_id)
        )
        await q.queued.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        closing = asyncio.ensure_future(tw.driver.close())
        await asyncio.sleep(0)  # closing waits for the queued write
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closing
        q.free.set()
        await tw.driver.close()

    asyncio.run(run())
    q.assert_one_row_charged()

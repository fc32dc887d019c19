"""A stream the caller stops reading is ledgered when the client closes (``close()`` or
``aclose()``), not lost with it."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tierwise.client import AsyncTierwise, Tierwise
from tierwise.config import Settings
from tierwise.store import open_ledger
from tierwise.store.base import LedgerRow

ASK = [{"role": "user", "content": [{"text": "Explain TCP slow start in detail"}]}]


def ledgered_rows(url: str, request_id: str | None = None) -> list[LedgerRow]:
    """The rows (of ``request_id``) in the ledger at ``url``, read on a connection of its
    own: what was written, whoever wrote it and whether its client is still open."""
    with open_ledger(url) as ledger:
        return ledger.rows(request_id=request_id)


def assert_one_row_billed_as_closed(rows: Sequence[LedgerRow]) -> None:
    """The stream Bedrock billed when it opened has its one row: closed by the client, with
    the prompt's tokens counted."""
    assert len(rows) == 1
    assert rows[0].stop_reason == "client_closed"
    assert rows[0].input_tokens > 0


@pytest.mark.parametrize("read_first", [True, False])
def test_closing_the_client_ledgers_streams_left_open(
    emu_settings: Settings, tmp_path: Path, read_first: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    with Tierwise.from_settings(emu_settings, ledger_url=url) as tw:
        response = tw.converse_stream(
            modelId="sonnet",
            messages=ASK,
        )
        stream = response["stream"]
        if read_first:
            next(stream)
            next(stream)
        request_id = response["tierwise"]["requestId"]
        # the caller walks away without finishing or closing the stream
    assert_one_row_billed_as_closed(ledgered_rows(url, request_id))


@pytest.mark.parametrize("read_first", [True, False])
def test_closing_the_async_client_ledgers_streams_left_open(
    emu_settings: Settings, tmp_path: Path, read_first: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"

    async def walk_away() -> str:
        async with AsyncTierwise.from_settings(emu_settings, ledger_url=url) as tw:
            response = await tw.converse_stream(
                modelId="sonnet",
                messages=ASK,
            )
            stream = response["stream"]
            if read_first:
                await anext(stream)
                await anext(stream)
            # the caller walks away without finishing or closing the stream
            return str(response["tierwise"]["requestId"])

    request_id = asyncio.run(walk_away())
    assert_one_row_billed_as_closed(ledgered_rows(url, request_id))


@pytest.mark.parametrize("how", ["closed", "dropped"])
def test_a_stream_closed_or_dropped_unread_is_ledgered_at_once(
    emu_settings: Settings, tmp_path: Path, how: str
) -> None:
    # Bedrock billed the stream when it opened; a generator closed or collected before its
    # first item skipped the cleanup that ledgers it (0 rows, even after the client closed).
    url = f"sqlite:///{tmp_path / 'l.db'}"
    with Tierwise.from_settings(emu_settings, ledger_url=url) as tw:
        response = tw.converse_stream(
            modelId="sonnet",
            messages=ASK,
        )
        request_id = response["tierwise"]["requestId"]
        if how == "closed":
            response["stream"].close()
        else:
            del response
            gc.collect()
        rows = ledgered_rows(url, request_id)  # before the client closes
    assert_one_row_billed_as_closed(rows)


@pytest.mark.parametrize("how", ["closed", "dropped"])
def test_an_async_stream_closed_or_dropped_unread_is_ledgered(
    emu_settings: Settings, tmp_path: Path, how: str
) -> None:
    # As above: a dropped async generator that had not begun was finalized without its
    # cleanup, and the client no longer held it to close (0 rows, however long one waits).
    url = f"sqlite:///{tmp_path / 'l.db'}"

    async def walk_away() -> str:
        async with AsyncTierwise.from_settings(emu_settings, ledger_url=url) as tw:
            response = await tw.converse_stream(
                modelId="sonnet",
                messages=ASK,
            )
            request_id = str(response["tierwise"]["requestId"])
            if how == "closed":
                await response["stream"].aclose()
            else:
                del response
                gc.collect()
                # the loop finalizes a collected async generator in a task of its own
                for _ in range(400):
                    if ledgered_rows(url, request_id):
                        break
                    await asyncio.sleep(0.05)
            return request_id

    request_id = asyncio.run(walk_away())
    assert_one_row_billed_as_closed(ledgered_rows(url, request_id))


def test_an_async_stream_dropped_just_before_the_client_closes_is_ledgered(
    emu_settings: Settings, tmp_path: Path
) -> None:
    # The loop finalizes a collected async generator in a task of its own, which may run
    # after aclose() has closed the ledger: the row was lost (0 rows) when the client
    # closed right after the caller dropped the stream.
    url = f"sqlite:///{tmp_path / 'l.db'}"

    async def walk_away() -> str:
        async with AsyncTierwise.from_settings(emu_settings, ledger_url=url) as tw:
            response = await tw.converse_stream(modelId="sonnet", messages=ASK)
            request_id = str(response["tierwise"]["requestId"])
            await anext(response["stream"])
            del response
            gc.collect()  # dropped without aclose(); the client closes at once
        return request_id

    request_id = asyncio.run(walk_away())
    assert_one_row_billed_as_closed(ledgered_rows(url, request_id))


def test_an_async_stream_dropped_as_its_loop_ends_is_ledgered(
    emu_settings: Settings, tmp_path: Path
) -> None:
    # The loop ended (asyncio.run returned) right after the caller dropped the stream, the
    # client never closed: the loop cancels the task finalizing the generator as it ends.
    url = f"sqlite:///{tmp_path / 'l.db'}"
    tw = AsyncTierwise.from_settings(emu_settings, ledger_url=url)

    async def walk_away() -> str:
        response = await tw.converse_stream(modelId="sonnet", messages=ASK)
        await anext(response["stream"])
        request_id = str(response["tierwise"]["requestId"])
        del response
        gc.collect()
        return request_id  # the loop ends here

    request_id = asyncio.run(walk_away())
    tw.ledger.close()
    assert_one_row_billed_as_closed(ledgered_rows(url, request_id))


def test_a_gateway_stream_dropped_as_the_gateway_stops_is_ledgered(
    emu_settings: Settings, tmp_path: Path
) -> None:
    # The doors stream through the gateway's AsyncTierwise, whose ledger writes go to the
    # gateway's thread pool: a stream dropped as the gateway stopped was finalized after
    # that pool had shut down, and its row was lost (0 rows).
    from tierwise.gateway.app import create_app

    url = f"sqlite:///{tmp_path / 'l.db'}"
    tw = Tierwise.from_settings(emu_settings, ledger_url=url)
    app = create_app(emu_settings, tierwise=tw, auth=False)

    async def serve_then_stop() -> str:
        async with app.router.lifespan_context(app):
            engine = app.state.gateway.engine
            response = await engine.converse_stream(modelId="sonnet", messages=ASK)
            await anext(response["stream"])
            request_id = str(response["tierwise"]["requestId"])
            del response
            gc.collect()
        return request_id

    request_id = asyncio.run(serve_then_stop())
    tw.close()
    assert_one_row_billed_as_closed(ledgered_rows(url, request_id))


def test_a_call_cut_off_as_the_gateway_stops_is_ledgered(
    deadline_cut: tuple[Any, Settings], tmp_path: Path
) -> None:
    # A call the deadline cut off goes on, and is ledgered when it ends through the
    # gateway's thread pool: the gateway stopped without waiting for it, shut that pool,
    # and the row Bedrock billed was lost (0 rows).
    from tierwise.errors import DeadlineExceededError
    from tierwise.gateway.app import create_app

    url = f"sqlite:///{tmp_path / 'l.db'}"
    _, settings = deadline_cut
    tw = Tierwise.from_settings(settings, ledger_url=url)
    app = create_app(settings, tierwise=tw, auth=False)

    async def serve_then_stop() -> None:
        async with app.router.lifespan_context(app):
            engine = app.state.gateway.engine
            with pytest.raises(DeadlineExceededError):
                await engine.converse(
                    modelId="haiku", messages=ASK, inferenceConfig={"maxTokens": 20}
                )

    asyncio.run(serve_then_stop())
    tw.close()
    rows = ledgered_rows(url)
    assert len(rows) == 1 and rows[0].error_class == "AttemptCutError"

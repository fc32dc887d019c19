"""A stream idle timeout, end to end: an upstream stream that stops mid-answer (the
emulator stalls it for 30 s after a few events) is given up after ``[retry]
stream_idle_timeout_s`` (1 s here) through both gateway doors and both library clients. The
client gets a proper error (an error event on the gateway), the upstream stream is closed
(the emulator sees the hang-up), and what was generated is ledgered, estimated, and charged
to the key."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from live_server import emulated_gateway
from tierwise.bedrock import BedrockClient
from tierwise.client import AsyncTierwise, Tierwise
from tierwise.config import Settings
from tierwise.emulator import Emulator
from tierwise.errors import DeadlineExceededError
from tierwise.store import LedgerRow
from tierwise.store.keys import KeyStore

IDLE_S = 1.0
STALL_S = 30.0
PROMPT = "Write a paragraph about rivers."


@dataclass
class Stalling:
    url: str
    keys: KeyStore
    tierwise: Tierwise
    emulator: Emulator
    settings: Settings


@pytest.fixture(scope="module")
def stalling(
    default_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stalling]:
    db: Path = tmp_path_factory.mktemp("idle") / "ledger.db"
    overrides = {"retry.base_delay_s": 0.0, "retry.stream_idle_timeout_s": IDLE_S}
    with emulated_gateway(default_settings, db, overrides) as gw:
        yield Stalling(gw.url, gw.keys, gw.tierwise, gw.emulator, gw.settings)


@pytest.fixture(autouse=True)
def _stall_next_stream(stalling: Stalling) -> None:
    stalling.emulator.reset()
    stalling.emulator.inject_stream_stall(after=4, seconds=STALL_S)


def hung_up(emu: Emulator) -> None:
    """The upstream stream was closed: the emulator saw its client hang up mid-stall."""
    deadline = time.monotonic() + 10
    while emu.stats["hangups"] < 1:
        assert time.monotonic() < deadline, "the upstream stream was left open"
        time.sleep(0.05)


def check_row(rows: list[LedgerRow]) -> LedgerRow:
    assert len(rows) == 1, rows
    (row,) = rows
    assert row.status == "error" and row.error_class == DeadlineExceededError.__name__
    assert row.output_tokens > 0 and row.cost_usd > 0, "the partial answer is billed"
    assert (row.metadata or {}).get("estimated") is True  # no usage event came
    return row


def check_charged(stalling: Stalling, key_id: str, row: LedgerRow) -> None:
    key = stalling.keys.get(key_id)
    assert key is not None
    assert key.spent_usd == row.cost_usd and key.reserved_usd == 0


def test_openai_door_sends_an_error_event_after_the_idle_timeout(stalling: Stalling) -> None:
    import openai

    key, secret = stalling.keys.create("idle-openai", budget_usd=Decimal("1"))
    client = openai.OpenAI(base_url=stalling.url + "/v1", api_key=secret, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="sonnet", messages=[{"role": "user", "content": PROMPT}], stream=True
    )
    text = ""
    started = time.monotonic()
    with pytest.raises(openai.APIError, match="no event for 1 s"):
        for chunk in raw.parse():
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
    assert time.monotonic() - started < STALL_S / 2, "the stall was waited out"
    assert text, "the answer began before the stall"
    hung_up(stalling.emulator)
    request_id = raw.headers["x-tierwise-request-id"]
    row = check_row(stalling.tierwise.ledger.rows(request_id=request_id))
    check_charged(stalling, key.id, row)


def test_anthropic_door_sends_an_error_event_after_the_idle_timeout(stalling: Stalling) -> None:
    import anthropic

    key, secret = stalling.keys.create("idle-anthropic", budget_usd=Decimal("1"))
    client = anthropic.Anthropic(base_url=stalling.url, api_key=secret, max_retries=0)
    raw = client.messages.with_raw_response.create(
        model="sonnet", max_tokens=400, messages=[{"role": "user", "content": PROMPT}],
        stream=True,
    )  # fmt: skip
    text = ""
    started = time.monotonic()
    with pytest.raises(anthropic.APIError, match="no event for 1 s"):
        for event in raw.parse():
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                text += event.delta.text
    assert time.monotonic() - started < STALL_S / 2, "the stall was waited out"
    assert text, "the answer began before the stall"
    hung_up(stalling.emulator)
    request_id = raw.headers["x-tierwise-request-id"]
    row = check_row(stalling.tierwise.ledger.rows(request_id=request_id))
    check_charged(stalling, key.id, row)


MESSAGES = [{"role": "user", "content": [{"text": PROMPT}]}]


@pytest.mark.parametrize("http_client", ["botocore", "lean"])
def test_the_python_client_raises_after_the_idle_timeout(
    stalling: Stalling, http_client: str
) -> None:
    key, _ = stalling.keys.create("idle-sync", budget_usd=Decimal("1"))
    settings = stalling.settings.with_overrides({"retry.http_client": http_client})
    tw = Tierwise(
        settings, bedrock=BedrockClient(settings), ledger=stalling.tierwise.ledger,
        budgets=stalling.tierwise.budgets,
    )  # fmt: skip
    response = tw.converse_stream(modelId="sonnet", messages=MESSAGES, api_key_id=key.id)
    seen = 0
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError, match="no event for 1 s"):
        for _ in response["stream"]:
            seen += 1
    # The read blocked in the stall is woken when the stream is closed, not left waiting.
    assert time.monotonic() - started < STALL_S / 2, "the stall was waited out"
    assert seen == 4  # the events before the stall
    hung_up(stalling.emulator)
    row = check_row(tw.ledger.rows(request_id=response["tierwise"]["requestId"]))
    check_charged(stalling, key.id, row)


def test_the_async_python_client_raises_after_the_idle_timeout(stalling: Stalling) -> None:
    key, _ = stalling.keys.create("idle-async", budget_usd=Decimal("1"))

    async def read() -> tuple[int, str]:
        tw = AsyncTierwise.sharing(stalling.tierwise)
        try:
            response = await tw.converse_stream(
                modelId="sonnet", messages=MESSAGES, api_key_id=key.id
            )
            seen = 0
            with pytest.raises(DeadlineExceededError, match="no event for 1 s"):
                async for _ in response["stream"]:
                    seen += 1
            return seen, str(response["tierwise"]["requestId"])
        finally:
            await tw.bedrock.aclose()  # the ledger is the sync client's: it stays open

    seen, request_id = asyncio.run(read())
    assert seen == 4
    hung_up(stalling.emulator)
    row = check_row(stalling.tierwise.ledger.rows(request_id=request_id))
    check_charged(stalling, key.id, row)

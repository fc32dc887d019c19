"""AsyncBedrockClient: the same calls and errors, run on the event loop's own thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
from bedrock_testdata import ANSWER, HAIKU, HAIKU_US, MESSAGES, FakeTime
from botocore.stub import Stubber

from tierwise.bedrock import AsyncBedrockClient, BedrockClient
from tierwise.errors import InvalidRequestError


def test_converse_runs_on_the_event_loop_thread(
    make_client: Callable[..., BedrockClient],
) -> None:
    sync = make_client()
    threads: list[str] = []

    def record(**_: object) -> None:
        threads.append(threading.current_thread().name)

    sync.runtime_client.meta.events.register("before-parameter-build.*.*", record)

    async def main() -> tuple[str, str]:
        async with AsyncBedrockClient(sync.settings, client=sync) as client:
            result = await client.converse([HAIKU, HAIKU_US], {"messages": MESSAGES})
            return result.model_id, threading.current_thread().name

    with Stubber(sync.runtime_client) as stub:
        stub.add_client_error(
            "converse", service_error_code="ThrottlingException", http_status_code=429
        )
        stub.add_response("converse", ANSWER)
        model_id, loop_thread = asyncio.run(main())
    assert model_id == HAIKU
    assert threads == [loop_thread, loop_thread], "a retry and an answer, no worker thread"


def test_count_tokens_and_errors_are_the_sync_ones(
    make_client: Callable[..., BedrockClient], fake_time: FakeTime
) -> None:
    sync = make_client()

    async def main() -> int:
        client = AsyncBedrockClient(sync.settings, client=sync)
        try:
            count = await client.count_tokens(HAIKU, {"messages": MESSAGES})
            with pytest.raises(InvalidRequestError):
                await client.converse([HAIKU], {"messages": MESSAGES})
            return count
        finally:
            await client.aclose()

    with Stubber(sync.runtime_client) as stub:
        stub.add_response("count_tokens", {"inputTokens": 42})
        stub.add_client_error(
            "converse",
            service_error_code="ValidationException",
            service_message="bad",
            http_status_code=400,
        )
        assert asyncio.run(main()) == 42
    assert fake_time.sleeps == []


def test_concurrent_calls_share_one_client(make_client: Callable[..., BedrockClient]) -> None:
    sync = make_client()

    async def main() -> list[int]:
        async with AsyncBedrockClient(sync.settings, client=sync) as client:
            return list(
                await asyncio.gather(
                    *(client.count_tokens(HAIKU, {"messages": MESSAGES}) for _ in range(8))
                )
            )

    with Stubber(sync.runtime_client) as stub:
        for n in range(8):
            stub.add_response("count_tokens", {"inputTokens": n})
        counts = asyncio.run(main())
    assert sorted(counts) == list(range(8))

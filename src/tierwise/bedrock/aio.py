"""AsyncBedrockClient: the synchronous BedrockClient run in a bounded thread pool.

Why a thread pool rather than aiobotocore: aiobotocore pins exact botocore versions and lags
behind new Bedrock APIs (CountTokens, bearer auth, new Converse fields), botocore clients
are thread-safe, and one code path (retry, failover, error translation) is then tested once
and shared by the sync and async clients.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

from tierwise.bedrock.catalog import ModelCatalog
from tierwise.bedrock.client import BedrockClient, CallResult, FailedAttempt, StreamResult
from tierwise.bedrock.session import MAX_POOL_CONNECTIONS
from tierwise.config import Settings

__all__ = ["AsyncBedrockClient", "AsyncStreamResult"]

T = TypeVar("T")

# A stream holds a worker while it waits for each event, so the pool is sized like the HTTP
# connection pool: more threads than sockets would only queue inside botocore.
DEFAULT_WORKERS = MAX_POOL_CONNECTIONS


class AsyncStreamResult:
    """An established stream; ``events`` pulls each event in the client's thread pool."""

    def __init__(self, result: StreamResult, executor: ThreadPoolExecutor) -> None:
        self._result = result
        self._executor = executor
        self.model_id = result.model_id
        self.attempts: tuple[FailedAttempt, ...] = result.attempts
        self.first_event_ms = result.first_event_ms
        self.events: AsyncIterator[dict[str, Any]] = self._pull_all()

    async def _pull_all(self) -> AsyncIterator[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        while True:
            event = await loop.run_in_executor(self._executor, _next_or_none, self._result.events)
            if event is None:
                return
            yield event

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self.events

    async def aclose(self) -> None:
        self._result.close()

    async def __aenter__(self) -> AsyncStreamResult:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class AsyncBedrockClient:
    """Async face of :class:`BedrockClient`; same arguments, same errors."""

    def __init__(
        self,
        settings: Settings,
        *,
        max_workers: int = DEFAULT_WORKERS,
        client: BedrockClient | None = None,
    ) -> None:
        self.sync = client if client is not None else BedrockClient(settings)
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="bedrock")

    async def converse(self, profiles: Sequence[str], request: Mapping[str, Any]) -> CallResult:
        return await self._run(self.sync.converse, profiles, request)

    async def converse_stream(
        self, profiles: Sequence[str], request: Mapping[str, Any]
    ) -> AsyncStreamResult:
        result = await self._run(self.sync.converse_stream, profiles, request)
        return AsyncStreamResult(result, self._executor)

    async def count_tokens(self, model_id: str, request: Mapping[str, Any]) -> int:
        return await self._run(self.sync.count_tokens, model_id, request)

    async def list_models(self) -> ModelCatalog:
        return await self._run(self.sync.list_models)

    async def aclose(self) -> None:
        """Stop the thread pool; calls already running finish first."""
        await asyncio.get_running_loop().run_in_executor(
            None, functools.partial(self._executor.shutdown, wait=True)
        )

    async def __aenter__(self) -> AsyncBedrockClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))


def _next_or_none(events: Iterator[dict[str, Any]]) -> dict[str, Any] | None:
    # StopIteration cannot cross a Future, so the end of the stream travels as None.
    return next(events, None)

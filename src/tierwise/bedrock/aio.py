"""AsyncBedrockClient: Bedrock calls and streams on the event loop, no thread per call.

It is :class:`~tierwise.bedrock.client.BedrockClient` itself (the same retry, backoff,
failover, cooldown and error translation, tested once) run under a greenlet bridge
(:mod:`tierwise.bedrock.green`): botocore serialises, signs (credential chain, SSO, roles,
or a Bedrock API key as a bearer token), parses and raises as usual, while the socket I/O of
Converse, ConverseStream and CountTokens (:mod:`tierwise.bedrock.aio_transport`) and the
backoff sleeps are awaited on the loop. Why not aiobotocore: it pins exact botocore
versions and lags new Bedrock APIs; why not a thread per call: a stream would hold a thread
for its whole life.

What still blocks the loop, briefly: refreshing credentials that need a network call (SSO,
instance metadata; botocore caches them until near expiry), and calls that are not on the
hot path (model listing runs in a worker thread; a proxy sends everything through
botocore's own blocking session).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

from tierwise.bedrock.catalog import ModelCatalog
from tierwise.bedrock.client import (
    BOTO_ERRORS,
    BedrockClient,
    CallResult,
    FailedAttempt,
    StreamResult,
)
from tierwise.bedrock.cooldown import Cooldown
from tierwise.bedrock.errors import translate
from tierwise.bedrock.green import await_, in_bridge, iterate_bridged, run_bridged
from tierwise.bedrock.session import AwsAuth
from tierwise.config import Settings
from tierwise.core.deadline import Deadline

__all__ = ["AsyncBedrockClient", "AsyncStreamResult"]


def _sleep(seconds: float) -> None:
    """Backoff waits: awaited on the loop in a bridge, a plain sleep elsewhere."""
    if in_bridge():
        await_(asyncio.sleep(seconds))
    else:
        time.sleep(seconds)


class AsyncStreamResult:
    """An established stream: ``events`` is an async iterator of the boto3 event dicts,
    :meth:`batches` the same events in lists (those that arrived together)."""

    def __init__(self, result: StreamResult) -> None:
        self._result = result
        self.model_id = result.model_id
        self.attempts: tuple[FailedAttempt, ...] = result.attempts
        self.first_event_ms = result.first_event_ms
        self._batches: AsyncIterator[list[dict[str, Any]]] | None = None
        self._events: AsyncIterator[dict[str, Any]] | None = None
        batches = result.batches
        if batches is not None:
            # The body is read on the loop by coroutines: no greenlet switch per event. The
            # batches are their own async iterator (no generator around them), closing the
            # stream and translating errors as the sync client's events do.
            batches.own(result.closer(), functools.partial(_translated, model_id=result.model_id))
            self._batches = batches
        else:
            # The bridge's own async iterator: a pass-through generator around it cost one
            # more generator step per event.
            self._events = iterate_bridged(self._result.events)

    @property
    def events(self) -> AsyncIterator[dict[str, Any]]:
        if self._events is None:
            assert self._batches is not None
            self._events = _flatten(self._batches)
        return self._events

    def batches(self) -> AsyncIterator[list[dict[str, Any]]]:
        """The events in batches (one iterator for the stream: a second call continues
        it); read either these or :attr:`events`, not both."""
        if self._batches is None:
            self._batches = _singles(self.events)
        return self._batches

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self.events

    def limit(self, idle_s: float, deadline: Deadline) -> bool:
        """Bound every wait for the next events by ``idle_s`` without one and by
        ``deadline``, in the body's own read wait (one timer, one wait per event): reading
        then raises :class:`~tierwise.waits.StreamLimitError` when one of them expires. False
        when this stream is not read that way (the caller bounds its waits itself)."""
        batches = self._result.batches
        if batches is None:
            return False
        batches.limit(idle_s, deadline)
        return True

    def push(self, handler: Callable[[list[dict[str, Any]]], bool] | None) -> bool:
        """:meth:`EventBatches.push <tierwise.bedrock.eventstream.EventBatches.push>` of
        this stream's batches; False when it is not read that way."""
        batches = self._result.batches
        if batches is None:
            return False
        return batches.push(handler)

    async def aclose(self) -> None:
        """Close the upstream stream (its connection is dropped, never reused)."""
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


def _translated(exc: Exception, model_id: str) -> Exception:
    """``exc`` as :class:`BedrockClient`'s stream events raise it."""
    if isinstance(exc, BOTO_ERRORS):
        return translate(exc, model_id=model_id)
    return exc


async def _flatten(batches: AsyncIterator[list[dict[str, Any]]]) -> AsyncIterator[dict[str, Any]]:
    async for batch in batches:
        for event in batch:
            yield event


async def _singles(events: AsyncIterator[dict[str, Any]]) -> AsyncIterator[list[dict[str, Any]]]:
    async for event in events:
        yield [event]


class AsyncBedrockClient:
    """Async face of :class:`BedrockClient`; same arguments, same errors."""

    def __init__(
        self,
        settings: Settings,
        *,
        auth: AwsAuth | None = None,
        cooldown: Cooldown | None = None,
        client: BedrockClient | None = None,
    ) -> None:
        """``client``: a ready :class:`BedrockClient` to run on the loop (its I/O is
        asyncio's only if it was built with ``green=True``)."""
        self.sync = (
            client
            if client is not None
            else BedrockClient(settings, auth=auth, cooldown=cooldown, sleep=_sleep, green=True)
        )
        self.settings = settings

    @classmethod
    def sharing(cls, client: BedrockClient) -> AsyncBedrockClient:
        """An async client with ``client``'s settings, identity and profile cooldowns."""
        return cls(client.settings, auth=client.auth, cooldown=client.cooldown)

    async def converse(
        self,
        profiles: Sequence[str],
        request: Mapping[str, Any],
        deadline: Deadline | None = None,
    ) -> CallResult:
        return await run_bridged(self.sync.converse, profiles, request, deadline)

    async def converse_stream(
        self,
        profiles: Sequence[str],
        request: Mapping[str, Any],
        deadline: Deadline | None = None,
    ) -> AsyncStreamResult:
        result = await run_bridged(self.sync.converse_stream, profiles, request, deadline)
        return AsyncStreamResult(result)

    async def count_tokens(self, model_id: str, request: Mapping[str, Any]) -> int:
        return await run_bridged(self.sync.count_tokens, model_id, request)

    async def list_models(self) -> ModelCatalog:
        # The control plane goes through botocore's own (blocking) HTTP session.
        return await asyncio.to_thread(self.sync.list_models)

    async def aclose(self) -> None:
        """Close the pooled connections."""
        self.close()

    def close(self) -> None:
        """Close the pooled connections (without waiting: a shutdown path may call it)."""
        self.sync.runtime_client.close()

    async def __aenter__(self) -> AsyncBedrockClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

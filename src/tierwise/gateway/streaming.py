"""Server-sent events over the call engine's async streams.

A stream is the async iterator :class:`~tierwise.client.AsyncTierwise` returns: events are
read on the event loop, with no thread per stream. When the client disconnects, the stream
stops at the next event and is closed, which closes the upstream stream, writes the ledger
row and charges the key.
"""

from __future__ import annotations

import asyncio
import json
import types
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator, Mapping
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any

from starlette.responses import StreamingResponse
from starlette.types import Receive, Send

if TYPE_CHECKING:
    from tierwise.core.convert.anthropic import AnthropicStreamTranslator
    from tierwise.core.convert.openai import OpenAIStreamTranslator
    from tierwise.core.convert.responses import ResponsesStreamTranslator

__all__ = [
    "RAW_SEND",
    "AnthropicEventWriter",
    "EventStreamResponse",
    "FinalChunk",
    "OpenAIChunkWriter",
    "OpenStream",
    "Relay",
    "ResponsesEventWriter",
    "disconnected",
    "sse_comment",
    "sse_data",
    "sse_event",
    "trailer",
]


# The scope key of the server's own ``send``, set by the gateway app when none of its
# middleware acts on response body messages (they only read ``http.response.start``): a
# streamed response sends its body there, past the layers that would pass each event on.
RAW_SEND = "tierwise.raw_send"


# What json.dumps(payload, separators=(",", ":"), ensure_ascii=False) builds on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _json(payload: Any) -> str:
    return _ENCODER.encode(payload)


def sse_data(payload: Any) -> bytes:
    text = payload if isinstance(payload, str) else _json(payload)
    return f"data: {text}\n\n".encode()


class OpenAIChunkWriter:
    """The SSE bytes of a batch of Converse events as ``chat.completion.chunk`` events:
    what ``sse_data`` writes of each chunk ``translator.feed`` returns, byte for byte.

    Most events of an answer are text deltas; their chunk differs only in its text, so it is
    written from the translator's own chunk cut around the text, with only the text
    JSON-encoded (as ``json.dumps(..., ensure_ascii=False)`` encodes a string), instead of
    encoding the whole chunk per event. Every other event goes through the translator."""

    __slots__ = ("_head", "_tail", "_translator")

    def __init__(self, translator: OpenAIStreamTranslator) -> None:
        self._translator = translator
        whole = sse_data(translator.text_chunk("")).decode()
        # The empty text's key and value: a string in the chunk (the id or the model
        # name) cannot contain it, since its quotes would be escaped there.
        cut = whole.index('"content":""') + len('"content":')
        self._head, self._tail = whole[:cut], whole[cut + 2 :]

    def __call__(self, events: list[Any]) -> bytes:
        out: list[bytes] = []
        for event in events:
            block = event.get("contentBlockDelta")
            if (
                block is not None
                and "messageStart" not in event
                and "contentBlockStart" not in event
            ):
                delta = block.get("delta", {})
                text = delta.get("text") if type(delta) is dict else None
                if type(text) is str:
                    out.append(f"{self._head}{encode_basestring(text)}{self._tail}".encode())
                    continue
            out.extend(sse_data(chunk) for chunk in self._translator.feed(event))
        return b"".join(out)


class AnthropicEventWriter:
    """The SSE bytes of a batch of Converse events as the Messages API's events: what
    ``sse_event`` writes of each pair ``translator.feed`` returns, byte for byte.

    A text delta in an open block (most events of an answer) is written from a template
    with only its text JSON-encoded (as ``json.dumps(..., ensure_ascii=False)`` encodes a
    string) and its block's index; every other event goes through the translator."""

    __slots__ = ("_index_of", "_translator")

    def __init__(self, translator: AnthropicStreamTranslator) -> None:
        self._translator = translator
        self._index_of = translator.text_delta_index

    def __call__(self, events: list[Any]) -> bytes:
        out: list[bytes] = []
        index_of = self._index_of
        for event in events:
            index = index_of(event)
            if index is not None:
                text = encode_basestring(event["contentBlockDelta"]["delta"]["text"])
                out.append(
                    (
                        'event: content_block_delta\ndata: {"type":"content_block_delta",'
                        f'"index":{index},"delta":{{"type":"text_delta","text":{text}}}}}\n\n'
                    ).encode()
                )
                continue
            out.extend(sse_event(name, data) for name, data in self._translator.feed(event))
        return b"".join(out)


class ResponsesEventWriter:
    """The SSE bytes of a batch of Converse events as the Responses API's events: what
    ``sse_event`` writes of each pair ``translator.feed`` returns, byte for byte.

    A text delta to an open message item (most events of an answer) is written from a
    template with only its item id and text JSON-encoded (as ``json.dumps(...,
    ensure_ascii=False)`` encodes a string), its sequence number and output index; the
    translator's state (the item's text, the sequence number) is kept as ``feed`` keeps it.
    Every other event goes through the translator."""

    __slots__ = ("_delta_of", "_translator")

    def __init__(self, translator: ResponsesStreamTranslator) -> None:
        self._translator = translator
        self._delta_of = translator.text_delta

    def __call__(self, events: list[Any]) -> bytes:
        out: list[bytes] = []
        delta_of = self._delta_of
        for event in events:
            found = delta_of(event)
            if found is not None:
                sequence, item_id, output_index, text = found
                out.append(
                    (
                        "event: response.output_text.delta\n"
                        'data: {"type":"response.output_text.delta",'
                        f'"sequence_number":{sequence},"item_id":{encode_basestring(item_id)},'
                        f'"output_index":{output_index},"content_index":0,'
                        f'"delta":{encode_basestring(text)},"logprobs":[]}}\n\n'
                    ).encode()
                )
                continue
            out.extend(sse_event(name, data) for name, data in self._translator.feed(event))
        return b"".join(out)


def sse_event(name: str, payload: Any) -> bytes:
    return f"event: {name}\ndata: {_json(payload)}\n\n".encode()


def sse_comment(fields: dict[str, Any]) -> bytes:
    """A comment line (ignored by SSE parsers and SDKs) carrying what headers could not."""
    text = " ".join(f"{k}={v}" for k, v in fields.items())
    return f": tierwise {' '.join(text.splitlines())}\n\n".encode()


def trailer(info: Mapping[str, Any]) -> bytes:
    """The SSE comment closing a stream: what the headers could not know yet."""
    answers = [a for a in info.get("attempts") or () if a.get("kind") == "answer"]
    closing: dict[str, Any] = {
        "cost_usd": info.get("costUsd", "0"),
        "tier": info.get("tier") or "passthrough",
        "model_id": info.get("modelId", ""),
        "attempts": len(answers) or 1,
        "ledger_id": info.get("ledgerId"),
    }
    if info.get("guardrail"):
        closing["guardrail"] = info["guardrail"]
    return sse_comment(closing)


class OpenStream:
    """A stream whose first event has arrived: its summary, then its events in batches.

    The events come from the call engine's async iterator, on the event loop: no thread is
    held while the stream waits for the model. Each batch is the events that arrived
    together from upstream (usually one), sent as soon as they exist (time to first token
    is untouched). :meth:`close` must follow, whatever happens:
    it closes the iterator, which prices and ledgers the stream (an abandoned one too).
    """

    def __init__(self, info: Mapping[str, Any], events: AsyncIterator[Any]) -> None:
        self.info = info
        self._events = events
        # Whether the client has gone (set by abandon()): an attribute, not a property,
        # since the relay reads it after every batch.
        self.abandoned = False

    async def batches(self) -> AsyncIterator[list[Any]]:
        batched = getattr(self._events, "batches", None)
        if batched is None:
            async for event in self._events:
                yield [event]
                if self.abandoned:  # the client has gone: stop at this event boundary
                    return
            return
        async for batch in batched():
            yield batch
            if self.abandoned:  # the client has gone: stop at this batch boundary
                return

    def source(self) -> AsyncIterator[list[Any]]:
        """Where :meth:`batches` reads from, for a reader that checks :attr:`abandoned`
        after each batch itself (one async-generator layer less per event)."""
        batched = getattr(self._events, "batches", None)
        return self.batches() if batched is None else batched()

    def push(self, handler: Callable[[list[Any]], bool] | None) -> bool:
        """Have the events that arrive while :meth:`source` waits handed to ``handler`` in
        the upstream connection's callback (see ``AsyncEvents.push``); False when these
        events cannot be (the batches bring them all). None stops it."""
        push = getattr(self._events, "push", None)
        return bool(push(handler)) if push is not None else False

    def abandon(self) -> None:
        """Stop at the next event: :meth:`batches` ends, and :meth:`close` still ledgers
        and charges the stream (with the usage Bedrock reports, within the grace period)."""
        self.abandoned = True

    async def close(self) -> None:
        """Close the events (the stream is priced and ledgered before this returns). If
        this wait is cancelled, the closing still completes in its own task."""
        aclose = getattr(self._events, "aclose", None)
        if aclose is not None:
            await asyncio.shield(asyncio.ensure_future(aclose()))


async def disconnected(receive: Receive) -> None:
    """Return when the client hangs up. Only once the request body has been read: any
    message before the disconnect is discarded."""
    while (await receive())["type"] != "http.disconnect":
        pass


class Relay:
    """An open stream's SSE body: each batch of events as ``encode`` writes it, then
    ``closing()`` once the stream has ended (and been priced), or, since the headers have
    left by then, the error as ``failed`` writes it; ``done`` runs last, whatever happens.

    It sends each chunk itself (:meth:`run`), where a body generator would be one more
    async-generator layer between the upstream read and the socket write per event. What
    it sends is what that generator's body would be: the chunks in order, the last one
    ending the response. An error in reading or encoding the stream becomes the error
    chunk; an error in sending leaves as it is (the client is gone)."""

    __slots__ = (
        "_closing", "_done", "_encode", "_error", "_failed", "_next", "_pending", "_send",
        "_stream",
    )  # fmt: skip

    # Whether a run with ``push`` relays the events that arrive while it waits from the
    # upstream connection's callback (tests turn it off to compare the bytes both ways).
    pushes = True

    def __init__(
        self,
        encode: Callable[[list[Any]], bytes],
        closing: Callable[[], bytes],
        failed: Callable[[Exception], bytes],
        done: Callable[[], object],
    ) -> None:
        self._encode = encode
        self._closing = closing
        self._failed = failed
        self._done = done
        self._next: Callable[[], Awaitable[list[Any]]] | None = None
        # Set by _pushed for the relay's task: an encoding error; a send to finish (or the
        # error a send raised), before anything else is sent.
        self._error: Exception | None = None
        self._pending: Awaitable[object] | None = None
        self._send: Send | None = None
        self._stream: OpenStream | None = None

    async def run(
        self, stream: OpenStream, send: Send, *, first: bool = False, push: bool = False
    ) -> bool:
        """Relay ``stream`` to ``send``; True once the response has ended. With ``first``,
        return False after the first body message when more is to come: a later
        :meth:`run` goes on from there (``done`` runs once, after the last message).

        With ``push`` (``send`` must be the server's own, which needs no task of its
        own), the events that arrive while the relay waits are encoded and sent in the
        upstream connection's callback (:meth:`OpenStream.push`), so that this task is not
        woken for each: the same chunks, in the same order, as the batches would bring."""
        encode = self._encode
        last: bytes | None = None
        handed = False
        pushing = False
        try:
            if self._next is None:
                self._next = stream.source().__anext__
            next_batch = self._next
            if push and self.pushes:
                self._stream, self._send = stream, send
                pushing = stream.push(self._pushed)
            while True:
                try:
                    batch = await next_batch()
                except StopAsyncIteration:
                    break
                except Exception as exc:
                    last = self._failed(exc)
                    break
                if pushing:
                    # What the callback left for this task, in the order it happened.
                    pending, self._pending = self._pending, None
                    if pending is not None:
                        await pending  # its error leaves as a failed send's does
                    error, self._error = self._error, None
                    if error is not None:
                        last = self._failed(error)
                        break
                try:
                    out = encode(batch)
                except Exception as exc:
                    last = self._failed(exc)
                    break
                if out:
                    await send({"type": "http.response.body", "body": out, "more_body": True})
                if stream.abandoned:  # the client has gone: stop at this batch boundary
                    break
                if first and out:
                    handed = True
                    return False
            if pushing:
                pushing = not stream.push(None)
            if last is None:
                try:
                    last = self._closing()
                except Exception as exc:
                    last = self._failed(exc)
            await send({"type": "http.response.body", "body": last, "more_body": False})
            return True
        finally:
            if pushing:
                stream.push(None)
            if not handed:
                self._done()

    def _pushed(self, batch: list[Any]) -> bool:
        """A batch handed over in the upstream connection's callback: encoded and sent as
        :meth:`run` would (True: go on). False when the relay's task must act first: the
        encoding failed, the send has to wait for the client (it is finished by the task,
        before anything else is sent) or failed, or the client has gone."""
        try:
            out = self._encode(batch)
        except Exception as exc:
            self._error = exc
            return False
        if out:
            assert self._send is not None
            sending = self._send({"type": "http.response.body", "body": out, "more_body": True})
            if type(sending) is not types.CoroutineType:  # not an async def's: awaited later
                self._pending = sending
                return False
            coro: Coroutine[Any, Any, None] = sending  # narrowed by the check above
            try:
                waiting = coro.send(None)
            except StopIteration:
                pass
            except Exception as exc:
                self._pending = _raise(exc)
                return False
            else:
                self._pending = _rest(coro, waiting)
                return False
        assert self._stream is not None
        return not self._stream.abandoned


async def _raise(exc: Exception) -> None:
    raise exc


@types.coroutine
def _rest(coro: Coroutine[Any, Any, Any], waiting: Any) -> Generator[Any, Any, Any]:
    """The rest of ``coro``, which was driven outside a task and yielded ``waiting`` (what
    it awaits, for the task that awaits this to wait on): ``yield from`` for a coroutine
    already started."""
    while True:
        try:
            sent = yield waiting
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:
            try:
                waiting = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
            continue
        try:
            waiting = coro.send(sent)
        except StopIteration as stop:
            return stop.value


class FinalChunk(bytes):
    """The last chunk of a response body: it goes out with the end of the response."""


class EventStreamResponse(StreamingResponse):
    """``text/event-stream`` over an :class:`OpenStream`, which it always closes.

    A client that disconnects abandons the stream, which ends the body. This is watched by
    one plain asyncio task rather than Starlette's anyio task group, which cost more per
    stream than the rest of the response. A body may end with a :class:`FinalChunk`, sent
    in the same write as the end of the chunked body instead of one more write for the
    terminator alone.
    """

    def __init__(
        self,
        content: AsyncIterator[bytes] | Relay,
        stream: OpenStream,
        headers: Mapping[str, str],
    ) -> None:
        self._relay = content if isinstance(content, Relay) else None
        super().__init__(
            _no_body() if isinstance(content, Relay) else content,
            media_type="text/event-stream",
            headers=headers,
        )
        self.stream = stream
        self._body_send: Send | None = None

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        watcher = asyncio.ensure_future(self._watch(receive))
        self._body_send = scope.get(RAW_SEND)
        try:
            await self.stream_response(send)
        finally:
            watcher.cancel()
            await self.stream.close()
        if self.background is not None:
            await self.background()

    async def _watch(self, receive: Receive) -> None:
        await disconnected(receive)
        self.stream.abandon()

    async def stream_response(self, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        # The body's messages go straight to the server when the app says no middleware
        # looks at them (see RAW_SEND): a streamed event is one call, not one per layer.
        relay = self._relay
        if relay is not None and self._body_send is not None:
            # The first event goes out from this task (no loop turn before the first
            # byte); the rest from a task of its own, so that each later event resumes
            # only that task's few frames, not the ~15 coroutine frames of the server,
            # the middleware and the router above this one, which every resume of this
            # task passes down and back up. Cancelling this task (as the server does when
            # it shuts down) cancels the one it awaits.
            send = self._body_send
            if not await relay.run(self.stream, send, first=True):
                await asyncio.ensure_future(relay.run(self.stream, send, push=True))
            return
        send = self._body_send or send
        if relay is not None:
            await relay.run(self.stream, send)
            return
        more = True
        async for chunk in self.body_iterator:
            if more:
                more = not isinstance(chunk, FinalChunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": more})
        if more:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _no_body() -> AsyncIterator[bytes]:
    """The body iterator of a response a :class:`Relay` writes (never read)."""
    return
    yield b""  # pragma: no cover - makes this an async generator

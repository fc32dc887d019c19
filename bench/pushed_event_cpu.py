"""What one paced text delta costs on the gateway's push path, piece by piece.

Run under callgrind twice with different counts and take the difference, so that startup
(botocore's model, imports) cancels out:

    valgrind --tool=callgrind python bench/pushed_event_cpu.py take 2000
    valgrind --tool=callgrind python bench/pushed_event_cpu.py take 12000
    per event = (Ir(12000) - Ir(2000)) / 10000

Pieces (each fed the same recorded ``contentBlockDelta`` frame, as Bedrock pads it):

- ``frames``: ``FrameDecoder.frames`` of the frame;
- ``event``: ``_Events.event`` of its headers and payload (the text delta's decode);
- ``writer``: the OpenAI door's SSE chunk of the event (``OpenAIChunkWriter``);
- ``anthropic``: the Messages door's SSE event of it, in an open text block (its
  ``AnthropicEventWriter``, or in a checkout without one the door's encoder before it:
  ``sse_event`` of each pair ``AnthropicStreamTranslator.feed`` returns);
- ``responses``: the Responses door's SSE event of it, to an open message item (its
  ``ResponsesEventWriter``, or in a checkout without one the door's encoder before it:
  ``sse_event`` of each pair ``ResponsesStreamTranslator.feed`` returns);
- ``relay``: ``Relay._pushed`` of the event (the chunk, then the send driven in place);
- ``take``: ``EventBatches._take`` of the frame with the gateway's handler chain (decode,
  the meter as ``AsyncEvents.push`` meters, ``Relay._pushed``): a pushed event but for the
  chunk line, ``data_received`` and the wait's timer.

Figures only; no thresholds.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import botocore.session
from botocore.parsers import RestJSONParser

from tierwise.bedrock.eventstream import EventBatches, FrameDecoder, _Events
from tierwise.core.convert.anthropic import AnthropicStreamTranslator
from tierwise.core.convert.openai import OpenAIStreamTranslator
from tierwise.core.convert.responses import ResponsesStreamTranslator
from tierwise.core.metering import StreamMeter
from tierwise.emulator.eventstream import event_frame
from tierwise.gateway import streaming
from tierwise.gateway.streaming import OpenAIChunkWriter, OpenStream, Relay

FRAME = event_frame(
    "contentBlockDelta",
    {
        "contentBlockIndex": 0,
        "delta": {"text": "Synthetic answer from the "},
        "p": "abcdefghijklmnopqrstuvwxyzABCDEFGH",
    },
)


class _Stream:
    """What ``_Events`` reads of botocore's EventStream."""

    def __init__(self) -> None:
        model = botocore.session.get_session().get_service_model("bedrock-runtime")
        self._parser = RestJSONParser()
        output = model.operation_model("ConverseStream").output_shape
        assert output is not None
        self._output_shape = output.members["stream"]
        self._operation_name = "ConverseStream"
        self._raw_stream = None


class _Body:
    """A body that takes a push handler (``EventBatches`` only asks it to)."""

    def push(self, take: Any) -> bool:
        return take is not None

    async def read(self, fresh: bool = True) -> bytes | None:
        return b""

    def limit(self, idle_s: float, deadline: Any) -> None:
        """Not waited on here."""


async def _send(message: Any) -> None:
    if message.get("body"):  # as a server's send reads the message
        return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "piece",
        choices=["frames", "event", "writer", "anthropic", "responses", "relay", "take"],
    )
    parser.add_argument("count", type=int)
    args = parser.parse_args()

    stream = _Stream()
    events = _Events(stream)
    decoder = FrameDecoder()
    ((headers, payload),), _ = decoder.frames(FRAME)
    event = events.event(headers, payload)
    assert event is not None
    meter = StreamMeter()
    translator = OpenAIStreamTranslator(
        model="m", request_id="r" * 32, created=1, include_usage=True, single_tool_call=False
    )
    writer = OpenAIChunkWriter(translator)
    relay = Relay(writer, lambda: b"", lambda exc: b"", lambda: None)
    open_stream = OpenStream({}, _Body())  # type: ignore[arg-type]
    relay._stream, relay._send = open_stream, _send
    batches = EventBatches(stream, _Body())

    def metered(batch: list[dict[str, Any]]) -> bool:
        for each in batch:
            meter.note(each)
            if "metadata" in each:
                pass
        return relay._pushed(batch)

    batches.push(metered)
    count = args.count
    messages = AnthropicStreamTranslator(model="m", request_id="r" * 32)
    anthropic_writer = getattr(streaming, "AnthropicEventWriter", None)
    if anthropic_writer is not None:
        anthropic = anthropic_writer(messages)
    else:

        def anthropic(events: list[dict[str, Any]]) -> bytes:
            return b"".join(
                streaming.sse_event(name, data) for e in events for name, data in messages.feed(e)
            )

    anthropic([event])  # the text block opens with its first delta
    items = ResponsesStreamTranslator(echo={}, model="m", request_id="r" * 32, created=1)
    responses_writer = getattr(streaming, "ResponsesEventWriter", None)
    if responses_writer is not None:
        responses = responses_writer(items)
    else:

        def responses(events: list[dict[str, Any]]) -> bytes:
            return b"".join(
                streaming.sse_event(name, data) for e in events for name, data in items.feed(e)
            )

    responses([event])  # the message item opens with its first delta
    # The item's text, emptied before each event: it grows by a copy per delta, which
    # over thousands of deltas would be most of what is counted (an answer's few hundred
    # deltas copy little).
    part = items.response["output"][0]["content"][0]

    async def run() -> None:
        if args.piece == "frames":
            for _ in range(count):
                decoder.frames(FRAME)
        elif args.piece == "event":
            for _ in range(count):
                events.event(headers, payload)
        elif args.piece == "writer":
            for _ in range(count):
                writer([event])
        elif args.piece == "anthropic":
            for _ in range(count):
                anthropic([event])
        elif args.piece == "responses":
            for _ in range(count):
                part["text"] = ""
                responses([event])
        elif args.piece == "relay":
            for _ in range(count):
                relay._pushed([event])
        else:
            for _ in range(count):
                meter.generated.clear()
                batches._take(FRAME)

    asyncio.run(run())


if __name__ == "__main__":
    main()

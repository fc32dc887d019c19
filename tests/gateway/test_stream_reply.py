"""Gateway.stream_reply: a door's streamed reply, and the stream abandoned and closed (so
ledgered and charged) when the reply cannot be built."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import pytest

from tierwise.gateway.errors import AnsweredError
from tierwise.gateway.service import Gateway


class _Stream:
    abandoned = False
    closed = False
    info: ClassVar[dict[str, str]] = {"requestId": "r1"}

    def abandon(self) -> None:
        self.abandoned = True

    async def close(self) -> None:
        self.closed = True


class _Doors:
    """What stream_reply uses of a Gateway: its routed stream."""

    def __init__(self) -> None:
        self.stream = _Stream()
        self.kwargs: dict[str, Any] = {}

    async def converse_stream(self, call: object, **kwargs: Any) -> _Stream:
        self.kwargs = kwargs
        return self.stream


def test_the_reply_is_built_from_the_open_stream() -> None:
    doors = _Doors()
    reply = asyncio.run(
        Gateway.stream_reply(doors, "call", {"modelId": "haiku"}, lambda s: ("reply", s))
    )
    assert reply == ("reply", doors.stream)
    assert doors.kwargs == {"modelId": "haiku"} and not doors.stream.abandoned


def test_a_reply_that_fails_abandons_the_stream() -> None:
    doors = _Doors()

    def broken(stream: object) -> object:
        raise RuntimeError("cannot build the reply")

    with pytest.raises(AnsweredError) as caught:
        asyncio.run(Gateway.stream_reply(doors, "call", {}, broken))
    assert isinstance(caught.value.__cause__, RuntimeError)
    # The stream is billed: the error says so (no retry) and names its rows.
    assert caught.value.billed and caught.value.request_id == "r1"
    assert doors.stream.abandoned and doors.stream.closed

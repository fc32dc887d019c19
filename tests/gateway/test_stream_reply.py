"""Gateway.stream_reply: a door's streamed reply, and the stream abandoned (so still ledgered
and charged) when the reply cannot be built."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tierwise.gateway.service import Gateway


class _Stream:
    abandoned = False

    def abandon(self) -> None:
        self.abandoned = True


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

    with pytest.raises(RuntimeError, match="cannot build"):
        asyncio.run(Gateway.stream_reply(doors, "call", {}, broken))
    assert doors.stream.abandoned

"""The engine's ``cancel`` for a gateway call: a plain flag the disconnect watcher sets."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from tierwise.gateway.service import Call, Gateway, HungUp


def _gateway(engine: Any) -> Any:
    gw = Gateway.__new__(Gateway)  # only the engine: converse() needs nothing else
    gw.engine = engine
    return gw


def test_a_hang_up_during_the_call_sets_the_engines_cancel() -> None:
    """The flag starts clear, the watcher sets it when the client goes, and it is no
    threading.Event (~22 k instructions to make, on every call)."""
    seen: list[Any] = []

    class Engine:
        async def converse(self, **kwargs: Any) -> dict[str, Any]:
            cancel = kwargs["cancel"]
            seen.append(cancel.is_set())
            gone.set()
            for _ in range(10):  # the watcher's turn: it reads the disconnect
                await asyncio.sleep(0)
            seen.append(cancel.is_set())
            seen.append(cancel)
            return {"model": kwargs["modelId"]}

    async def main() -> dict[str, Any]:
        async def receive() -> dict[str, Any]:
            await gone.wait()
            return {"type": "http.disconnect"}

        gw = _gateway(Engine())
        return await gw.converse(Call(None, 0.0, receive), modelId="haiku")  # type: ignore[no-any-return]

    gone = asyncio.Event()
    assert asyncio.run(main()) == {"model": "haiku"}
    assert seen[:2] == [False, True]
    assert isinstance(seen[2], HungUp) and not isinstance(seen[2], threading.Event)


def test_a_client_still_there_leaves_it_clear() -> None:
    flags: list[Any] = []

    class Engine:
        async def converse(self, **kwargs: Any) -> dict[str, Any]:
            await asyncio.sleep(0)
            flags.append(kwargs["cancel"])
            return {}

    async def main() -> None:
        stay = asyncio.Event()

        async def receive() -> dict[str, Any]:
            await stay.wait()
            return {"type": "http.disconnect"}

        await _gateway(Engine()).converse(Call(None, 0.0, receive))
        await asyncio.sleep(0)  # the cancelled watcher ends

    asyncio.run(main())
    assert not flags[0].is_set()

"""A streamed response's body messages skip the app's own middleware (which reads only the
response start) unless other middleware has been added: then every message goes through it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from live_server import run_server
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.emulator import Emulator
from tierwise.gateway import create_app


class _Stamp:
    """Middleware that rewrites every body message (as GZip or a body logger would)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                message = {**message, "body": message["body"].replace(b"data: ", b"data:  ")}
            await send(message)

        await self.app(scope, receive, sending)


def _stream(settings: Settings, tmp_path: Path, *, stamp: bool) -> bytes:
    with Emulator(settings, port=0).start() as emu:
        settings = settings.with_overrides({"endpoint_url": emu.url})
        tw = Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp_path / 'l.db'}")
        app: Any = create_app(settings, tierwise=tw, auth=False)
        if stamp:
            app.add_middleware(_Stamp)
        server, thread, url = run_server(app)
        try:
            prompt = [{"role": "user", "content": "Say hello in five words."}]
            body = {"model": "auto", "stream": True, "max_tokens": 64, "messages": prompt}
            response = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=30)
            assert response.status_code == 200
            return response.content
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            tw.close()


def test_added_middleware_sees_every_streamed_message(
    default_settings: Settings, tmp_path: Path
) -> None:
    plain = _stream(default_settings, tmp_path, stamp=False)
    stamped = _stream(default_settings, tmp_path, stamp=True)
    events = plain.count(b"data: ")
    assert events > 3
    assert b"data:  " not in plain
    # Every event, the [DONE] line included, went through the added middleware.
    assert stamped.count(b"data:  ") == events

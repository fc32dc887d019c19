"""A bare relay on the gateway's server stack: the floor of what any gateway on it adds.

Run: python bench/bare_proxy.py --port PORT --upstream EMULATOR_PORT

bench/concurrency.py ``--bare`` starts it beside ``tierwise serve`` (on the same CPU) and
loads it exactly as it loads the gateway. It serves ``POST /v1/chat/completions`` on uvicorn
with the options ``tierwise serve`` uses (uvloop, httptools, no access log, no proxy
headers) and does the least a proxy can: it reads the OpenAI body, turns its messages into a
Converse body, sends that to the emulator on a kept-alive connection (no signing, no
routing, no ledger, no retries), and answers with an OpenAI-shaped body; a stream's upstream
chunks are relayed as they arrive, one SSE event per chunk, without parsing the event
stream. Whatever this relay adds to the time to first byte under a load shape is owed to
the server stack, the event loop and the machine, not to tierwise's work: it bounds from
below what any Python gateway on this stack can reach with that shape.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

MODEL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"

Scope = dict[str, Any]
Message = dict[str, Any]


class Upstream:
    """Kept-alive HTTP/1.1 connections to the emulator, reused one request at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.idle:
            return self.idle.pop()
        return await asyncio.open_connection("127.0.0.1", self.port, limit=1 << 20)

    async def send(
        self, path: str, body: bytes
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, dict[str, str]]:
        reader, writer = await self.open()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Content-Type: application/json\r\nAuthorization: Bearer bench\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        writer.write(head + body)
        status = await reader.readline()
        if not status.startswith(b"HTTP/1.1 200"):
            raise ConnectionError(f"upstream answered {status!r}")
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        return reader, writer, headers


def converse_body(request: dict[str, Any]) -> bytes:
    messages = [
        {"role": m["role"], "content": [{"text": m["content"]}]} for m in request["messages"]
    ]
    config = {"maxTokens": int(request.get("max_tokens") or 60)}
    return json.dumps({"messages": messages, "inferenceConfig": config}).encode()


def make_app(upstream: Upstream) -> Any:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = json.loads(body)
        stream = bool(request.get("stream"))
        op = "converse-stream" if stream else "converse"
        path = f"/model/{MODEL}/{op}"
        reader, writer, headers = await upstream.send(path, converse_body(request))
        if not stream:
            answer = json.loads(await reader.readexactly(int(headers["content-length"])))
            upstream.idle.append((reader, writer))
            text = answer["output"]["message"]["content"][0]["text"]
            usage = answer["usage"]
            out = json.dumps(
                {
                    "id": "chatcmpl-bare",
                    "object": "chat.completion",
                    "model": MODEL,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": usage["inputTokens"],
                        "completion_tokens": usage["outputTokens"],
                        "total_tokens": usage["totalTokens"],
                    },
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": out})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        while True:  # the upstream answers with chunked transfer encoding
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                break
            chunk = await reader.readexactly(size + 2)
            event = b'data: {"bytes": %d}\n\n' % (len(chunk) - 2)
            await send({"type": "http.response.body", "body": event, "more_body": True})
        upstream.idle.append((reader, writer))
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", type=int, required=True, help="the emulator's port")
    args = parser.parse_args()
    import uvicorn

    uvicorn.run(
        make_app(Upstream(args.upstream)),
        host="127.0.0.1",
        port=args.port,
        log_config=None,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()

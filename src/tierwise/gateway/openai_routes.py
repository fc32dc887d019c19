"""``POST /v1/chat/completions`` and ``GET /v1/models`` (OpenAI's wire format)."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from tierwise.core.convert.openai import (
    OpenAIStreamTranslator,
    from_chat_completions,
    to_chat_completion,
)
from tierwise.core.tiers import Tier
from tierwise.errors import TierwiseError
from tierwise.gateway.errors import Dialect, error_reply
from tierwise.gateway.service import BodyTooLargeError, Call, Gateway, tierwise_headers
from tierwise.gateway.streaming import bridge, sse_data

__all__ = ["chat_completions", "list_models"]

_log = logging.getLogger(__name__)


def failure(exc: BaseException, dialect: Dialect, gw: Gateway | None = None) -> Response:
    if not isinstance(exc, TierwiseError):
        _log.error("gateway error: %s", type(exc).__name__)
    if gw is not None:
        gw.metrics.observe_error(exc)
    reply = error_reply(exc, dialect, status=413 if isinstance(exc, BodyTooLargeError) else None)
    return Response(reply.body, reply.status, reply.headers, media_type="application/json")


async def chat_completions(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    try:
        call = gw.begin(request)
        body = await gw.body(request)
        converted = from_chat_completions(
            body,
            allow_remote_images=gw.settings.gateway.allow_remote_images,
            max_images=gw.settings.gateway.max_images,
        )
        gw.model_allowed(converted.model, call.key)
        kwargs: dict[str, Any] = {
            "modelId": converted.model,
            "hints": gw.hints(request, call.key),
            "validate": {"json_schema": converted.json_schema} if converted.json_schema else None,
            "escalate": gw.escalate(request),
            "api_key_id": call.key_id,
            **converted.request,
        }
        if converted.stream:
            result = await gw.converse_stream(**kwargs)
            return _stream(gw, call, result, include_usage=converted.include_usage)
        response = await gw.converse(**kwargs)
    except Exception as exc:  # every failure becomes a native error reply
        return failure(exc, Dialect.OPENAI, gw)
    info = response["tierwise"]
    headers = gw.finish("openai", call, info)
    payload = to_chat_completion(
        response, model=info["modelId"], request_id=info["requestId"], created=int(time.time())
    )
    return JSONResponse(payload, headers=headers)


def _stream(gw: Gateway, call: Call, result: dict[str, Any], *, include_usage: bool) -> Response:
    info = result["tierwise"]
    translator = OpenAIStreamTranslator(
        model=info["modelId"],
        request_id=info["requestId"],
        created=int(time.time()),
        include_usage=include_usage,
    )
    headers = tierwise_headers(info, call.started)

    async def body() -> AsyncIterator[bytes]:
        try:
            async for event in bridge(result["stream"]):
                for chunk in translator.feed(event):
                    yield sse_data(chunk)
            for chunk in translator.finish():
                yield sse_data(chunk)
            yield f": tierwise cost_usd={info.get('costUsd')} tier={info.get('tier')}\n\n".encode()
            yield sse_data("[DONE]")
        except TierwiseError as exc:
            yield sse_data({"error": {"message": str(exc), "type": "server_error", "code": None}})
        finally:
            gw.finish("openai", call, info)

    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)


async def list_models(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    try:
        gw.authenticate(request)
    except Exception as exc:
        return failure(exc, Dialect.OPENAI, gw)
    ids = ["auto", *(t.value for t in Tier.ordered())]
    for tier in Tier.ordered():
        ts = gw.settings.tier(tier)
        ids.extend([ts.model_id, *ts.alternates])
    data = [{"id": i, "object": "model", "created": 0, "owned_by": "tierwise"} for i in ids]
    return JSONResponse({"object": "list", "data": data})

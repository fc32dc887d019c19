"""``POST /v1/chat/completions`` and ``GET /v1/models`` (OpenAI's wire format)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tierwise.config import GatewaySettings
from tierwise.core.convert.openai import (
    OpenAIStreamTranslator,
    from_chat_completions,
    to_chat_completion,
)
from tierwise.core.convert.request import Converted
from tierwise.gateway import access
from tierwise.gateway.errors import Dialect, answered, error_reply, error_response
from tierwise.gateway.service import Call, Gateway
from tierwise.gateway.streaming import OpenAIChunkWriter, OpenStream, sse_data, trailer

__all__ = ["answer_reply", "chat_completions", "failure", "serve_call"]


def failure(exc: BaseException, dialect: Dialect, gw: Gateway | None = None) -> Response:
    """``exc`` as a native error response, counted in the metrics."""
    if gw is not None:
        gw.metrics.observe_error(exc)
        spent = getattr(exc, "spent", None)  # calls billed before it failed
        if spent:
            gw.metrics.observe_spent(spent)
    record = access.current()
    if record is not None:
        record.failed(exc)
    return error_response(exc, dialect)


def answer_reply(
    gw: Gateway,
    call: Call,
    info: Mapping[str, Any],
    dialect: Dialect,
    payload: Callable[[], dict[str, Any]],
) -> Response:
    """A door's JSON reply to an answer Bedrock gave (``payload`` builds its body): the
    answer is charged, so a failure from here on says not to retry (that pays again)."""
    try:
        headers = gw.finish(dialect.value, call, info)
        body = payload()
        if "guardrail" in info:
            body["guardrail"] = info["guardrail"]
        return JSONResponse(body, headers=headers)
    except Exception as exc:
        return failure(answered(exc, info.get("requestId")), dialect, gw)


async def serve_call(
    request: Request,
    dialect: Dialect,
    convert: Callable[[GatewaySettings], Callable[[Any], Converted]],
    stream: Callable[[Gateway, Call, OpenStream, Converted], Response],
    payload: Callable[[dict[str, Any], Mapping[str, Any], Converted], dict[str, Any]],
) -> Response:
    """A model call through a door: the body converted by ``convert(door settings)``, a
    stream relayed as ``stream`` builds it, an answer replied with ``payload``'s body
    (:func:`answer_reply`). One flow for every dialect, so that what a failure before and
    after Bedrock answered becomes cannot drift between the doors."""
    gw: Gateway = request.app.state.gateway
    try:
        call, converted, kwargs = await gw.open_call(request, convert(gw.settings.gateway))
        if converted.stream:
            return await gw.stream_reply(
                call, kwargs, lambda opened: stream(gw, call, opened, converted)
            )
        response = await gw.converse(call, **kwargs)
    except Exception as exc:  # every failure becomes a native error reply
        return failure(exc, dialect, gw)
    info = response["tierwise"]
    return answer_reply(gw, call, info, dialect, lambda: payload(response, info, converted))


async def chat_completions(request: Request) -> Response:
    return await serve_call(
        request,
        Dialect.OPENAI,
        lambda door: partial(
            from_chat_completions,
            allow_remote_images=door.allow_remote_images,
            max_images=door.max_images,
        ),
        _stream,
        lambda response, info, converted: to_chat_completion(
            response,
            model=info["modelId"],
            request_id=info["requestId"],
            created=int(time.time()),
            single_tool_call=bool(converted.extras.get("single_tool_call")),
        ),
    )


def _stream(gw: Gateway, call: Call, stream: OpenStream, converted: Converted) -> Response:
    info = stream.info
    translator = OpenAIStreamTranslator(
        model=info["modelId"],
        request_id=info["requestId"],
        created=int(time.time()),
        include_usage=converted.include_usage,
        single_tool_call=bool(converted.extras.get("single_tool_call")),
    )
    return gw.relay(
        "openai",
        call,
        stream,
        encode=OpenAIChunkWriter(translator),
        closing=lambda: (
            b"".join(sse_data(c) for c in translator.finish()) + trailer(info) + sse_data("[DONE]")
        ),
        error_frame=lambda exc: b"data: " + error_reply(exc, Dialect.OPENAI).body + b"\n\n",
    )

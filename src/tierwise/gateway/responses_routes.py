"""``POST /v1/responses`` (OpenAI's Responses API) over the same flow as chat completions."""

from __future__ import annotations

import json
import time
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tierwise.core.convert.responses import (
    ResponsesStreamTranslator,
    from_responses,
    to_response,
)
from tierwise.gateway.errors import Dialect, error_reply
from tierwise.gateway.openai_routes import answer_reply, failure
from tierwise.gateway.service import Call, Gateway
from tierwise.gateway.streaming import OpenStream, sse_event, trailer

__all__ = ["responses"]


async def responses(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    door = gw.settings.gateway
    try:
        call, converted, kwargs = await gw.open_call(
            request,
            partial(
                from_responses,
                allow_remote_images=door.allow_remote_images,
                max_images=door.max_images,
            ),
        )
        echo = converted.extras["echo"]
        if converted.stream:
            return await gw.stream_reply(
                call, kwargs, lambda stream: _stream(gw, call, stream, echo)
            )
        response = await gw.converse(call, **kwargs)
    except Exception as exc:  # every failure becomes a native error reply
        return failure(exc, Dialect.OPENAI, gw)
    info = response["tierwise"]
    return answer_reply(
        gw,
        call,
        info,
        Dialect.OPENAI,
        lambda: to_response(
            response,
            echo=echo,
            model=info["modelId"],
            request_id=info["requestId"],
            created=int(time.time()),
        ),
    )


def _stream(gw: Gateway, call: Call, stream: OpenStream, echo: Any) -> Response:
    info = stream.info
    translator = ResponsesStreamTranslator(
        echo=echo, model=info["modelId"], request_id=info["requestId"], created=int(time.time())
    )
    return gw.relay(
        "openai",
        call,
        stream,
        encode=lambda events: b"".join(
            sse_event(name, data) for e in events for name, data in translator.feed(e)
        ),
        closing=lambda: trailer(info),
        error_frame=_error_event,
    )


def _error_event(exc: Exception) -> bytes:
    """A failure after the headers left, as the Responses stream's ``error`` event."""
    error = json.loads(error_reply(exc, Dialect.OPENAI).body)["error"]
    return sse_event(
        "error",
        {
            "type": "error",
            "code": error.get("code"),
            "message": error.get("message"),
            "param": error.get("param"),
        },
    )

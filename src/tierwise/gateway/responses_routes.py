"""``POST /v1/responses`` (OpenAI's Responses API) over the same flow as chat completions."""

from __future__ import annotations

import json
import time
from functools import partial

from starlette.requests import Request
from starlette.responses import Response

from tierwise.core.convert.request import Converted
from tierwise.core.convert.responses import (
    ResponsesStreamTranslator,
    from_responses,
    to_response,
)
from tierwise.gateway.errors import Dialect, error_reply
from tierwise.gateway.openai_routes import serve_call
from tierwise.gateway.service import Call, Gateway
from tierwise.gateway.streaming import OpenStream, ResponsesEventWriter, sse_event, trailer

__all__ = ["responses"]


async def responses(request: Request) -> Response:
    return await serve_call(
        request,
        Dialect.OPENAI,
        lambda door: partial(
            from_responses,
            allow_remote_images=door.allow_remote_images,
            max_images=door.max_images,
        ),
        _stream,
        lambda response, info, converted: to_response(
            response,
            echo=converted.extras["echo"],
            model=info["modelId"],
            request_id=info["requestId"],
            created=int(time.time()),
        ),
    )


def _stream(gw: Gateway, call: Call, stream: OpenStream, converted: Converted) -> Response:
    info = stream.info
    translator = ResponsesStreamTranslator(
        echo=converted.extras["echo"],
        model=info["modelId"],
        request_id=info["requestId"],
        created=int(time.time()),
    )
    return gw.relay(
        "openai",
        call,
        stream,
        encode=ResponsesEventWriter(translator),
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

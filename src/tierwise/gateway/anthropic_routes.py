"""``POST /v1/messages`` and ``POST /v1/messages/count_tokens`` (Anthropic's wire format)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tierwise.core.convert.anthropic import (
    AnthropicStreamTranslator,
    count_tokens_request,
    from_messages,
    refuse_tool_history_without_tools,
    to_message,
)
from tierwise.core.convert.request import Converted
from tierwise.core.structured import with_schema
from tierwise.gateway.errors import Dialect, error_reply
from tierwise.gateway.openai_routes import failure, serve_call
from tierwise.gateway.service import Call, Gateway
from tierwise.gateway.streaming import AnthropicEventWriter, OpenStream, trailer

__all__ = ["count_tokens", "messages"]


def _betas(request: Request) -> tuple[str, ...]:
    """The ``anthropic-beta`` header's values (comma-separated, the header maybe repeated),
    as Anthropic's SDKs send ``betas=[...]``."""
    values = request.headers.getlist("anthropic-beta")
    return tuple(b.strip() for value in values for b in value.split(",") if b.strip())


def _from_messages(body: Any, *, max_images: int, betas: Sequence[str] = ()) -> Converted:
    """:func:`from_messages`, refusing tool history sent without ``tools`` in the Messages
    API's own terms (:func:`refuse_tool_history_without_tools`)."""
    converted = from_messages(body, max_images=max_images, betas=betas)
    refuse_tool_history_without_tools(body, converted)
    return converted


async def messages(request: Request) -> Response:
    return await serve_call(
        request,
        Dialect.ANTHROPIC,
        lambda door: partial(_from_messages, max_images=door.max_images, betas=_betas(request)),
        _stream,
        lambda response, info, converted: to_message(
            response,
            model=info["modelId"],
            request_id=info["requestId"],
            single_tool_call=bool(converted.extras.get("single_tool_call")),
        ),
    )


def _stream(gw: Gateway, call: Call, stream: OpenStream, converted: Converted) -> Response:
    info = stream.info
    translator = AnthropicStreamTranslator(
        model=info["modelId"],
        request_id=info["requestId"],
        single_tool_call=bool(converted.extras.get("single_tool_call")),
    )
    return gw.relay(
        "anthropic",
        call,
        stream,
        encode=AnthropicEventWriter(translator),
        closing=lambda: trailer(info),
        error_frame=lambda exc: (
            b"event: error\ndata: " + error_reply(exc, Dialect.ANTHROPIC).body + b"\n\n"
        ),
    )


async def count_tokens(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    try:
        await gw.begin(request)
        converted = count_tokens_request(await gw.body(request))
        fields = converted.request
        if converted.json_schema is not None:  # the output tool's tokens count too
            fields, _ = with_schema(fields, converted.json_schema, native=False)
        fields = {k: v for k, v in fields.items() if k != "inferenceConfig"}
        tokens = await gw.count_tokens(modelId=converted.model, **fields)
    except Exception as exc:
        return failure(exc, Dialect.ANTHROPIC, gw)
    return JSONResponse({"input_tokens": tokens})

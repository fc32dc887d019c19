"""``GET /openapi.json``: the OpenAPI 3.1 document, generated from the app itself.

Nothing here is a hand-kept copy of the API. Paths and methods come from the app's routes;
each route's summary is its endpoint's docstring; request bodies come from the same field
tables the converters enforce (:mod:`tierwise.core.convert.fields`), so a field added to or
refused by a converter shows up here at once. The table below only says which body and answer
a route has, keyed by the endpoint function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tierwise.core.convert.anthropic_fields import COUNT_TOKENS_FIELDS, MESSAGES_FIELDS
from tierwise.core.convert.fields import Field
from tierwise.core.convert.openai_fields import CHAT_FIELDS
from tierwise.core.convert.responses_fields import RESPONSES_FIELDS
from tierwise.gateway import (
    admin_routes,
    anthropic_routes,
    health,
    model_routes,
    openai_routes,
    responses_routes,
)

__all__ = ["document", "openapi_json"]

_OBJ: dict[str, Any] = {"type": "object"}
_OPENAI_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
        }
    },
}
_ANTHROPIC_ERROR = {
    "type": "object",
    "properties": {
        "type": {"const": "error"},
        "error": {
            "type": "object",
            "properties": {"type": {"type": "string"}, "message": {"type": "string"}},
        },
    },
}


@dataclass(frozen=True)
class _Api:
    tag: str
    body: Mapping[str, Field] | None
    answer: Mapping[str, Any]
    error: Mapping[str, Any]
    stream: bool = False
    query: Mapping[str, str] | None = None  # query parameter -> what it says


def _obj(kind: str, *keys: str) -> dict[str, Any]:
    props: dict[str, Any] = {k: {} for k in keys}
    props["object" if kind != "message" else "type"] = {"const": kind}
    return {"type": "object", "properties": props}


_APIS: dict[Callable[..., Any], _Api] = {
    openai_routes.chat_completions: _Api(
        "OpenAI",
        CHAT_FIELDS,
        _obj("chat.completion", "id", "model", "choices", "usage"),
        _OPENAI_ERROR,
        stream=True,
    ),
    responses_routes.responses: _Api(
        "OpenAI",
        RESPONSES_FIELDS,
        _obj("response", "id", "status", "model", "output", "usage"),
        _OPENAI_ERROR,
        stream=True,
    ),
    anthropic_routes.messages: _Api(
        "Anthropic",
        MESSAGES_FIELDS,
        _obj("message", "id", "model", "content", "stop_reason", "usage"),
        _ANTHROPIC_ERROR,
        stream=True,
    ),
    anthropic_routes.count_tokens: _Api(
        "Anthropic",
        COUNT_TOKENS_FIELDS,
        {"type": "object", "properties": {"input_tokens": {"type": "integer"}}},
        _ANTHROPIC_ERROR,
    ),
    model_routes.list_models: _Api(
        "Models",
        None,
        {"type": "object", "properties": {"data": {"type": "array"}}},
        _OPENAI_ERROR,
        query=model_routes.LIST_QUERY,
    ),
    admin_routes.spend: _Api("tierwise", None, _OBJ, _OPENAI_ERROR, query=admin_routes.SPEND_QUERY),
    admin_routes.captures: _Api(
        "tierwise", None, _OBJ, _OPENAI_ERROR, query=admin_routes.CAPTURES_QUERY
    ),
    model_routes.get_model: _Api("Models", None, _OBJ, _OPENAI_ERROR),
    health.healthz: _Api("Operations", None, _OBJ, _OBJ),
    health.readyz: _Api("Operations", None, _OBJ, _OBJ),
}


def _body(fields: Mapping[str, Field]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: f.openapi() for name, f in fields.items()},
        "required": [name for name, f in fields.items() if f.required],
        "additionalProperties": False,
    }


def _summary(endpoint: Callable[..., Any]) -> str:
    doc = (endpoint.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else endpoint.__name__.replace("_", " ")


def _operation(route: Route, method: str) -> dict[str, Any]:
    api = _APIS.get(route.endpoint)
    op: dict[str, Any] = {
        "operationId": f"{method.lower()}_{route.endpoint.__name__}",
        "summary": _summary(route.endpoint),
        "tags": [api.tag if api else "tierwise"],
    }
    answer: dict[str, Any] = {"application/json": {"schema": dict(api.answer) if api else _OBJ}}
    if api is not None and api.stream:
        answer["text/event-stream"] = {"schema": {"type": "string"}}
    op["responses"] = {
        "200": {"description": "OK", "content": answer},
        "default": {
            "description": "An error in the API's own format",
            "content": {"application/json": {"schema": dict(api.error) if api else _OPENAI_ERROR}},
        },
    }
    if api is not None and api.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _body(api.body)}},
        }
    params = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
        for p in route.param_convertors
    ]
    params += [
        {"name": p, "in": "query", "required": False, "description": says,
         "schema": {"type": "string"}}
        for p, says in ((api.query or {}) if api else {}).items()
    ]  # fmt: skip
    if params:
        op["parameters"] = params
    return op


def _path(route: Route) -> str:
    # Starlette's "{model_id:path}" is OpenAPI's "{model_id}".
    return route.path.replace(":path}", "}")


def document(routes: Sequence[BaseRoute], *, version: str) -> dict[str, Any]:
    """The OpenAPI document for ``routes`` (every plain route of the app)."""
    paths: dict[str, Any] = {}
    for route in routes:
        if not isinstance(route, Route) or not route.include_in_schema:
            continue
        methods = sorted((route.methods or set()) - {"HEAD"})
        entry = paths.setdefault(_path(route), {})
        for method in methods:
            entry[method.lower()] = _operation(route, method)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "tierwise gateway",
            "version": version,
            "description": "OpenAI- and Anthropic-compatible API in front of Claude on Amazon "
            "Bedrock. Unknown request fields, and values tierwise cannot honour, are refused "
            "with a 400 naming the field.",
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            }
        },
        "security": [{"bearer": []}, {"apiKey": []}],
        "paths": paths,
    }


async def openapi_json(request: Request) -> Response:
    """The OpenAPI document of this gateway."""
    from tierwise import __version__

    return JSONResponse(document(request.app.routes, version=__version__))

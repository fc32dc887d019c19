"""``GET /openapi.json``: a valid OpenAPI 3.1 document generated from the app's own routes and
the converters' field tables (so it cannot drift from what the gateway accepts)."""

from __future__ import annotations

from typing import Any

import httpx
from openapi_spec_validator import validate
from starlette.routing import Route

from tierwise.core.convert.anthropic_fields import MESSAGES_FIELDS
from tierwise.core.convert.openai_fields import CHAT_FIELDS
from tierwise.core.convert.responses_fields import RESPONSES_FIELDS
from tierwise.gateway import create_app
from tierwise.gateway.openapi import document


def _routes(app: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for route in app.routes:
        if isinstance(route, Route):
            path = route.path.replace(":path}", "}")
            out[path] = {m.lower() for m in (route.methods or set()) - {"HEAD"}}
    return out


def test_the_document_is_valid_and_matches_the_routes(gateway, default_settings) -> None:  # type: ignore[no-untyped-def]
    reply = httpx.get(gateway.url + "/openapi.json")  # no key needed
    assert reply.status_code == 200
    doc = reply.json()
    validate(doc)
    assert doc["openapi"].startswith("3.")
    app = create_app(default_settings, auth=False)
    assert {p: set(ops) for p, ops in doc["paths"].items()} == _routes(app)
    for path in (
        "/v1/chat/completions",
        "/v1/responses",
        "/v1/messages",
        "/v1/messages/count_tokens",
        "/v1/models",
        "/v1/models/{model_id}",
        "/healthz",
        "/openapi.json",
    ):
        assert path in doc["paths"], path


def test_request_bodies_are_the_converters_field_tables(gateway) -> None:  # type: ignore[no-untyped-def]
    doc = httpx.get(gateway.url + "/openapi.json").json()

    def body(path: str) -> dict[str, Any]:
        op = doc["paths"][path]["post"]
        schema: dict[str, Any] = op["requestBody"]["content"]["application/json"]["schema"]
        return schema

    for path, fields in (
        ("/v1/chat/completions", CHAT_FIELDS),
        ("/v1/responses", RESPONSES_FIELDS),
        ("/v1/messages", MESSAGES_FIELDS),
    ):
        schema = body(path)
        assert set(schema["properties"]) == set(fields)
        assert set(schema["required"]) == {n for n, f in fields.items() if f.required}
        assert schema["additionalProperties"] is False
    assert (
        "log probabilities" in body("/v1/chat/completions")["properties"]["logprobs"]["description"]
    )
    assert (
        "server-side" in body("/v1/responses")["properties"]["previous_response_id"]["description"]
    )


def test_a_new_route_appears_without_editing_the_document(default_settings) -> None:  # type: ignore[no-untyped-def]
    async def shiny(request: Any) -> Any:
        """A route nobody documented by hand."""

    app = create_app(default_settings, auth=False)
    routes = [*app.routes, Route("/v1/shiny", shiny, methods=["POST"])]
    doc = document(routes, version="test")
    validate(doc)
    assert doc["paths"]["/v1/shiny"]["post"]["summary"] == "A route nobody documented by hand."

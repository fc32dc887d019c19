"""``GET /v1/models`` and ``GET /v1/models/{model_id}``, in the caller's API format.

Both SDKs call the same paths; the Anthropic SDK always sends ``anthropic-version``, the
OpenAI SDK never does, so that header picks the shape of the answer.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tierwise.client import AUTO
from tierwise.core.regions import region_problem
from tierwise.core.tiers import Tier
from tierwise.errors import ModelNotAvailableError
from tierwise.gateway.errors import Dialect
from tierwise.gateway.openai_routes import failure
from tierwise.gateway.service import Gateway

__all__ = ["get_model", "list_models"]

_EPOCH = "1970-01-01T00:00:00Z"


def _dialect(request: Request) -> Dialect:
    return Dialect.ANTHROPIC if "anthropic-version" in request.headers else Dialect.OPENAI


def _ids(gw: Gateway, cap: Tier | None) -> list[str]:
    """``auto``, the tier names, every configured model ID (primary and alternates), then
    every alias, up to the key's tier cap."""
    tiers = [t for t in Tier.ordered() if cap is None or t.rank <= cap.rank]
    ids = [AUTO, *(t.value for t in tiers)]
    for tier in tiers:
        ts = gw.settings.tier(tier)
        ids.extend(i for i in (ts.model_id, *ts.alternates) if i not in ids)
    # Aliases (the team's, Anthropic's names, OpenAI's when on) within the same cap.
    ids.extend(n for n in gw.settings.names.listed() if n not in ids and _served(gw, n, cap))
    return ids


def _served(gw: Gateway, model_id: str, cap: Tier | None) -> bool:
    """Whether a request could name ``model_id`` (any case for names, another geography or
    an ARN for configured models), within the key's cap. A profile Bedrock in the
    configured Region refuses (``eu.`` from us-east-1) is not: requests naming it are not."""
    resolved = gw.settings.resolve_model(model_id).strip()
    if resolved.lower() == AUTO:
        return True
    if region_problem(resolved, gw.settings.region) is not None:
        return False
    tier = gw.settings.tier_named(model_id)
    return tier is not None and (cap is None or tier.rank <= cap.rank)


def _entry(model_id: str, dialect: Dialect) -> dict[str, Any]:
    if dialect is Dialect.ANTHROPIC:
        name = "tierwise router" if model_id == AUTO else model_id
        return {"type": "model", "id": model_id, "display_name": name, "created_at": _EPOCH}
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "tierwise"}


async def _cap(gw: Gateway, request: Request) -> Tier | None:
    """Authenticate the caller; the tier cap of its key, if any."""
    presented = gw.authenticator.require_presented(request.headers)
    if presented is None:
        return None
    return (await gw.run(gw.authenticator.verify, presented)).max_tier


async def list_models(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    dialect = _dialect(request)
    try:
        cap = await _cap(gw, request)
    except Exception as exc:
        return failure(exc, dialect, gw)
    data = [_entry(i, dialect) for i in _ids(gw, cap)]
    if dialect is Dialect.ANTHROPIC:
        return JSONResponse(
            {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]}
        )
    return JSONResponse({"object": "list", "data": data})


async def get_model(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    dialect = _dialect(request)
    model_id = request.path_params["model_id"]
    try:
        if not _served(gw, model_id, await _cap(gw, request)):
            raise ModelNotAvailableError(
                f"model {model_id!r} is not served here", hint="GET /v1/models lists them"
            )
    except Exception as exc:
        return failure(exc, dialect, gw)
    return JSONResponse(_entry(model_id, dialect))

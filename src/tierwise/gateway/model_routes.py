"""``GET /v1/models`` and ``GET /v1/models/{model_id}``, in the caller's API format.

Both SDKs call the same paths; the Anthropic SDK always sends ``anthropic-version``, the
OpenAI SDK never does, so that header picks the shape of the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tierwise.client import AUTO
from tierwise.core.regions import region_problem
from tierwise.core.tiers import Tier
from tierwise.errors import InvalidRequestError, ModelNotAvailableError
from tierwise.gateway.errors import Dialect
from tierwise.gateway.openai_routes import failure
from tierwise.gateway.query import page_limit
from tierwise.gateway.service import Gateway

__all__ = ["LIST_QUERY", "get_model", "list_models"]

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


# Anthropic's list parameters (its SDK's pagination sends them); OpenAI's list has none.
LIST_QUERY = {
    "limit": "Anthropic API callers: models per page, 1 to 1000 (default: all)",
    "after_id": "Anthropic API callers: the page after this model (a page's last_id)",
    "before_id": "Anthropic API callers: the page before this model (a page's first_id)",
}


def _page(ids: list[str], query: Mapping[str, str]) -> tuple[list[str], bool]:
    """The page of ``ids`` Anthropic's list parameters ask for (``limit`` 1-1000,
    ``after_id`` or ``before_id``, as its SDK's pagination sends them) and whether more
    lie beyond it. Without ``limit`` the page is every model (Anthropic's default is 20; one
    page is what a client that does not paginate expects, and has_more says it is all)."""
    limit = page_limit(query, default=len(ids))
    after, before = query.get("after_id"), query.get("before_id")
    if after is not None and before is not None:
        raise InvalidRequestError("send after_id or before_id, not both", param="before_id")
    for name, cursor in (("after_id", after), ("before_id", before)):
        if cursor is not None and cursor not in ids:
            raise InvalidRequestError(
                f"{name}: {cursor!r} is not a model listed here",
                hint="send the first_id or last_id of a page this endpoint returned",
                param=name,
            )
    if before is not None:
        end = ids.index(before)
        return ids[max(0, end - limit) : end], end - limit > 0
    start = ids.index(after) + 1 if after is not None else 0
    return ids[start : start + limit], start + limit < len(ids)


async def list_models(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    dialect = _dialect(request)
    try:
        ids = _ids(gw, await _cap(gw, request))
        # OpenAI's list takes no parameters (and ignores any); Anthropic's pages.
        more = False
        if dialect is Dialect.ANTHROPIC:
            ids, more = _page(ids, request.query_params)
    except Exception as exc:
        return failure(exc, dialect, gw)
    data = [_entry(i, dialect) for i in ids]
    if dialect is Dialect.ANTHROPIC:
        first, last = (ids[0], ids[-1]) if ids else (None, None)
        return JSONResponse({"data": data, "has_more": more, "first_id": first, "last_id": last})
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

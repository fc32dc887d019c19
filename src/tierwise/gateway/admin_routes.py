"""Spend you can see: ``/v1/spend``, ``/v1/credits``, ``/metrics`` and the ``/dashboard`` page.

The dashboard page is static (it ships in the package: no CDN) and holds no data; its
charts read the JSON endpoints, which need an admin key. ``/metrics`` shows the same
organisation-wide spend, so it needs an admin key too, or ``[gateway] metrics_token``.
"""

from __future__ import annotations

import hmac
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tierwise.core.credits import runway
from tierwise.core.spend import report
from tierwise.errors import AuthenticationError, InvalidRequestError
from tierwise.gateway.auth import presented_key
from tierwise.gateway.errors import Dialect
from tierwise.gateway.openai_routes import failure
from tierwise.gateway.query import page_limit
from tierwise.gateway.service import Gateway
from tierwise.reports import daily_spend, parse_since, runway_dict, spend_rows
from tierwise.store import LedgerRow

__all__ = ["CAPTURES_QUERY", "SPEND_QUERY", "captures", "credits", "metrics", "spend"]

LATEST = 25
_SINCE = "how far back: 30d, 12h, 2w or an ISO date (default 30d)"
# Each endpoint's query parameters: what it accepts (_only) and what /openapi.json lists.
SPEND_QUERY = {"by": "tier, day, key or model (default tier)", "since": _SINCE}
CAPTURES_QUERY = {
    "limit": "the newest this many, 1 to 1000 (default 100)",
    "since": _SINCE,
    "class": "only this task class",
}


def _only(request: Request, known: Mapping[str, str] | None = None) -> None:
    """Refuse a query parameter this endpoint does not read: these are tierwise's own
    endpoints, and a misspelt one (``group_by=key``) would silently give the default."""
    known = known or {}
    unknown = sorted(set(request.query_params) - set(known))
    if unknown:
        takes = ", ".join(known) if known else "no query parameters"
        raise InvalidRequestError(
            f"{request.url.path} does not take the query parameter {unknown[0]!r}",
            hint=f"it takes {takes}",
            param=unknown[0],
        )


def _latest(rows: list[LedgerRow]) -> list[dict[str, Any]]:
    out = []
    for r in sorted(rows, key=lambda row: row.ts)[-LATEST:][::-1]:
        reasons = (r.route or {}).get("reasons") or []
        out.append(
            {
                "ts": r.ts.isoformat(),
                "request_id": r.request_id,
                "tier": r.tier,
                "model_id": r.model_id,
                "cost_usd": str(r.cost_usd),
                "status": r.status,
                "reason": reasons[-1] if reasons else (r.route or {}).get("via", ""),
            }
        )
    return out


async def spend(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    try:
        gw.authenticate(request, admin=True)
        _only(request, SPEND_QUERY)
        by = request.query_params.get("by", "tier")
        if by not in ("tier", "day", "key", "model"):
            raise InvalidRequestError(
                f"by={by!r} is not a grouping", hint="use tier, day, key or model", param="by"
            )
        since = parse_since(
            request.query_params.get("since", "30d"), datetime.now(UTC), option="since"
        )
        rows = await run_in_threadpool(gw.tierwise.ledger.rows, since=since)
    except Exception as exc:
        return failure(exc, Dialect.OPENAI, gw)
    result = report(spend_rows(rows), gw.settings.all_rates(), by=by)  # type: ignore[arg-type]
    daily: dict[str, dict[str, str]] = defaultdict(dict)
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in rows:
        sums[(r.ts.astimezone(UTC).date().isoformat(), r.tier or "passthrough")] += r.cost_usd
    for (day, tier), cost in sorted(sums.items()):
        daily[day][tier] = str(cost)
    payload = result.to_dict()
    payload["daily_by_tier"] = daily
    payload["latest"] = _latest(rows)
    payload["since"] = since.isoformat()
    return JSONResponse(payload)


async def captures(request: Request) -> Response:
    """Captured requests and answers (admin keys only: they hold prompt text)."""
    gw: Gateway = request.app.state.gateway
    try:
        gw.authenticate(request, admin=True)
        _only(request, CAPTURES_QUERY)
        from tierwise.store.captures import CaptureStore
        from tierwise.store.sql import SQLLedger

        ledger = gw.tierwise.ledger
        if not isinstance(ledger, SQLLedger):
            raise InvalidRequestError("captures live in a SQL ledger; this one is not")
        limit = page_limit(request.query_params, default=100)
        since = parse_since(
            request.query_params.get("since", "30d"), datetime.now(UTC), option="since"
        )
        rows = await run_in_threadpool(
            CaptureStore(ledger).list,
            task_class=request.query_params.get("class"),
            since=since,
        )
    except Exception as exc:
        return failure(exc, Dialect.OPENAI, gw)
    data = [r.to_dict() for r in rows[-limit:]]
    return JSONResponse({"object": "list", "data": data})


async def credits(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    try:
        gw.authenticate(request, admin=True)
        _only(request)
        # No pools is no error: the runway is an empty list (the dashboard says so).
        rows = await run_in_threadpool(gw.tierwise.ledger.rows)
    except Exception as exc:
        return failure(exc, Dialect.OPENAI, gw)
    result = runway(
        [c.pool() for c in gw.settings.credits],
        daily_spend(rows),
        datetime.now(UTC).date(),
        warn_days=gw.settings.credit_warning_days,
    )
    return JSONResponse(runway_dict(result))


def _metrics_allowed(gw: Gateway, request: Request) -> None:
    """``[gateway] metrics_token`` when it is sent, else an admin key (401 without a valid
    key, 403 for a valid key that is not an admin). With auth off, the token, when one is
    set, is still required: the gateway then serves loopback only, but a scraper has one."""
    token = gw.settings.gateway.metrics_token.get_secret_value()
    presented = presented_key(request.headers)
    if token and presented and hmac.compare_digest(presented.encode(), token.encode()):
        return
    if not gw.auth and token:
        raise AuthenticationError(
            "/metrics needs the metrics token", hint="send `Authorization: Bearer <token>`"
        )
    gw.authenticate(request, admin=True)


async def metrics(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    try:
        await run_in_threadpool(_metrics_allowed, gw, request)
    except Exception as exc:
        return failure(exc, Dialect.OPENAI, gw)
    return Response(gw.metrics.render(), media_type="text/plain; version=0.0.4")

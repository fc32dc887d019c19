"""What every route shares: auth, limits, body parsing, hints, the call, headers, billing."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.hints import Hints
from tierwise.core.tiers import Tier
from tierwise.errors import AuthenticationError, InvalidRequestError
from tierwise.gateway.metrics import Metrics
from tierwise.store.keys import ApiKey, KeyStore

__all__ = ["Call", "Gateway", "tierwise_headers"]

_TRUE = frozenset({"1", "true", "yes", "on"})


@dataclass
class Call:
    """One request through the gateway: its key and when it started (for overhead)."""

    key: ApiKey | None
    started: float

    @property
    def key_id(self) -> str | None:
        return self.key.id if self.key else None


def tierwise_headers(info: Mapping[str, Any], started: float) -> dict[str, str]:
    """The x-tierwise-* headers from a response's ``tierwise`` section."""
    elapsed = (time.perf_counter() - started) * 1000
    overhead = max(0.0, elapsed - float(info.get("upstreamMs") or 0.0))
    route = info.get("route") or {}
    reasons = route.get("reasons") or []
    reason = "; ".join(str(r) for r in reasons[-2:]) if reasons else str(route.get("via", ""))
    attempts = [a for a in info.get("attempts") or () if a.get("kind") == "answer"]
    return {
        "x-tierwise-tier": str(info.get("tier") or "passthrough"),
        "x-tierwise-model-id": str(info.get("modelId") or ""),
        "x-tierwise-cost-usd": str(info.get("costUsd") or "0"),
        "x-tierwise-route-reason": reason.encode("ascii", "replace").decode()[:300],
        "x-tierwise-attempts": str(len(attempts) or 1),
        "x-tierwise-overhead-ms": f"{overhead:.3f}",
        "x-tierwise-request-id": str(info.get("requestId") or ""),
    }


class Gateway:
    """The gateway's collaborators; built once by ``create_app`` and kept on ``app.state``."""

    def __init__(
        self,
        settings: Settings,
        tierwise: Tierwise,
        keys: KeyStore | None,
        *,
        auth: bool,
    ) -> None:
        self.settings = settings
        self.tierwise = tierwise
        self.keys = keys
        self.auth = auth
        self.metrics = Metrics()

    def authenticate(self, request: Request, *, admin: bool = False) -> ApiKey | None:
        """The caller's key (None when auth is off); ``admin`` requires an admin key."""
        if not self.auth:
            return None
        presented = request.headers.get("x-api-key") or ""
        authorization = request.headers.get("authorization") or ""
        if authorization.lower().startswith("bearer "):
            presented = authorization[7:].strip()
        if not presented:
            raise AuthenticationError("no API key was sent")
        key = self.keys.verify(presented) if self.keys else None
        if key is None:
            raise AuthenticationError("the API key is not valid (unknown, malformed or revoked)")
        if admin and not key.admin:
            raise AuthenticationError(
                "this endpoint needs an admin key", hint="tierwise keys create --admin ..."
            )
        return key

    def begin(self, request: Request) -> Call:
        """Authenticate, then apply the key's rate limit and budget."""
        started = time.perf_counter()
        key = self.authenticate(request)
        if key is None:
            return Call(None, started)
        if self.keys is not None:
            self.keys.hit(key.id, key.rpm)
            self.keys.admit(key.id)
        return Call(key, started)

    async def body(self, request: Request) -> Any:
        limit = self.settings.gateway.max_body_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise BodyTooLargeError(limit)
        raw = await request.body()
        if len(raw) > limit:
            raise BodyTooLargeError(limit)
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidRequestError(f"the request body is not valid JSON: {exc}") from None

    def hints(self, request: Request, key: ApiKey | None) -> Hints | None:
        values = {
            name: request.headers[header]
            for name, header in (
                ("min_tier", "x-tierwise-min-tier"),
                ("max_tier", "x-tierwise-max-tier"),
            )
            if request.headers.get(header)
        }
        hints = Hints.parse(values)
        if key is not None and key.max_tier is not None:
            cap = key.max_tier
            if hints.max_tier is None or hints.max_tier.rank > cap.rank:
                low = hints.min_tier if hints.min_tier and hints.min_tier.rank <= cap.rank else None
                hints = Hints(min_tier=low, max_tier=cap)
        return None if hints.empty else hints

    @staticmethod
    def escalate(request: Request) -> bool | None:
        value = request.headers.get("x-tierwise-escalate")
        if value is None:
            return None
        return value.strip().lower() in _TRUE

    def model_allowed(self, model: str, key: ApiKey | None) -> None:
        """A key capped at a tier may not pin a raw model ID above it."""
        if key is None or key.max_tier is None:
            return
        tier = self.settings.tier_of_model(model)
        if tier is None:
            try:
                tier = Tier(model)
            except ValueError:
                return
        if tier.rank > key.max_tier.rank:
            raise InvalidRequestError(
                f"this key may use tiers up to {key.max_tier.value}, not {tier.value}",
                hint="use model 'auto' or a lower tier",
            )

    async def converse(self, **kwargs: Any) -> dict[str, Any]:
        return await run_in_threadpool(partial(self.tierwise.converse, **kwargs))

    async def converse_stream(self, **kwargs: Any) -> dict[str, Any]:
        return await run_in_threadpool(partial(self.tierwise.converse_stream, **kwargs))

    async def count_tokens(self, **kwargs: Any) -> int:
        return await run_in_threadpool(partial(self.tierwise.count_tokens, **kwargs))

    def finish(self, api: str, call: Call, info: Mapping[str, Any]) -> dict[str, str]:
        """Charge the key, record metrics, and return the x-tierwise headers."""
        if self.keys is not None and call.key is not None:
            self.keys.charge(call.key.id, Decimal(str(info.get("costUsd") or "0")))
        headers = tierwise_headers(info, call.started)
        latency = time.perf_counter() - call.started
        self.metrics.observe(api, info, latency, float(headers["x-tierwise-overhead-ms"]) / 1000)
        return headers


class BodyTooLargeError(InvalidRequestError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the request body is larger than {limit} bytes",
            hint="send smaller images or raise [gateway] max_body_bytes",
        )

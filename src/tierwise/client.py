"""The tierwise client: the one place that runs the flow for a request.

``Tierwise.converse`` takes the same keyword arguments as boto3's ``bedrock-runtime``
``converse``; ``modelId`` may be a tier name (``haiku``, ``sonnet``, ``opus``), ``auto`` or
omitted (the router decides), or a raw Bedrock model/profile ID (passed through). The result
is the Converse response plus a ``tierwise`` section: tier, model id, cost, latency, ledger id.

Flow: decide tier -> call Bedrock (retries, failover) -> price -> record in the ledger.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tierwise.core.pricing import Usage, price
from tierwise.core.tiers import Tier
from tierwise.errors import TierwiseError

if TYPE_CHECKING:
    from tierwise.bedrock import BedrockClient
    from tierwise.config import Settings
    from tierwise.store import Ledger, LedgerRow

__all__ = ["Target", "Tierwise"]

# Converse request fields tierwise forwards to Bedrock unchanged.
CONVERSE_FIELDS = (
    "messages",
    "system",
    "inferenceConfig",
    "toolConfig",
    "guardrailConfig",
    "additionalModelRequestFields",
    "additionalModelResponseFieldPaths",
    "promptVariables",
    "requestMetadata",
    "performanceConfig",
    "serviceTier",
    "outputConfig",
)
AUTO = "auto"


@dataclass(frozen=True, slots=True)
class Target:
    """Where a request goes: a tier (or None for a raw passthrough) and its profiles."""

    tier: Tier | None
    profiles: tuple[str, ...]
    reason: str


class Tierwise:
    """Claude on Bedrock with a tier per request, priced and ledgered.

    Build it with :meth:`from_settings` (or :meth:`from_config`); the constructor takes
    ready collaborators so tests and the gateway can share them.
    """

    def __init__(self, settings: Settings, *, bedrock: BedrockClient, ledger: Ledger) -> None:
        self.settings = settings
        self.bedrock = bedrock
        self.ledger = ledger

    @classmethod
    def from_settings(cls, settings: Settings, *, ledger_url: str | None = None) -> Tierwise:
        from tierwise.bedrock import BedrockClient
        from tierwise.store import open_ledger

        url = ledger_url or settings.ledger.resolved_url()
        return cls(settings, bedrock=BedrockClient(settings), ledger=open_ledger(url))

    @classmethod
    def from_config(
        cls, config_path: str | None = None, **overrides: Any
    ) -> Tierwise:
        """Load settings (file, ``TIERWISE_*`` environment, dotted-key overrides) and build."""
        from tierwise.config import load_settings

        return cls.from_settings(load_settings(config_path, overrides=overrides).settings)

    def close(self) -> None:
        self.ledger.close()

    def __enter__(self) -> Tierwise:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- targeting -------------------------------------------------------------------

    def target(self, model_id: str | None) -> Target:
        """Resolve ``modelId`` (tier name, ``auto``/None, or raw ID) to a target."""
        if model_id is None or model_id == AUTO:
            tier = self.settings.default_tier
            return Target(tier, self._profiles(tier), f"default tier {tier.value}")
        try:
            tier = Tier(model_id.lower())
        except ValueError:
            known = self.settings.tier_of_model(model_id)
            return Target(known, (model_id,), "raw model ID passed through")
        return Target(tier, self._profiles(tier), f"pinned to {tier.value} by the caller")

    def _profiles(self, tier: Tier) -> tuple[str, ...]:
        ts = self.settings.tier(tier)
        return (ts.model_id, *ts.alternates)

    # -- calls -----------------------------------------------------------------------

    def converse(self, *, modelId: str | None = None, **kwargs: Any) -> dict[str, Any]:  # noqa: N803 - boto3's name
        """Like boto3 ``converse``; see the module docstring for ``modelId``."""
        request = _request_fields(kwargs)
        target = self.target(modelId)
        request_id = uuid.uuid4().hex
        started = time.perf_counter()
        try:
            result = self.bedrock.converse(target.profiles, request)
        except TierwiseError as exc:
            self._record_failure(request_id, target, exc, started)
            raise
        usage = Usage.from_converse(result.response.get("usage") or {})
        row = self._record_success(
            request_id, target, result.model_id, usage, result.latency_ms,
            result.response.get("stopReason"),
        )
        response = dict(result.response)
        response["tierwise"] = self._summary(row, target, [a.model_id for a in result.attempts])
        return response

    def converse_stream(
        self, *, modelId: str | None = None, **kwargs: Any  # noqa: N803 - boto3's name
    ) -> dict[str, Any]:
        """Like boto3 ``converse_stream``: ``response["stream"]`` yields the events.

        ``response["tierwise"]`` is filled in (cost, ledger id) once the stream has ended.
        """
        request = _request_fields(kwargs)
        target = self.target(modelId)
        request_id = uuid.uuid4().hex
        started = time.perf_counter()
        try:
            stream = self.bedrock.converse_stream(target.profiles, request)
        except TierwiseError as exc:
            self._record_failure(request_id, target, exc, started)
            raise
        summary: dict[str, Any] = {
            "tier": target.tier.value if target.tier else None,
            "modelId": stream.model_id,
            "requestId": request_id,
        }

        def events() -> Iterator[dict[str, Any]]:
            usage = Usage()
            stop_reason: str | None = None
            try:
                for event in stream.events:
                    if "metadata" in event:
                        usage = Usage.from_converse(event["metadata"].get("usage") or {})
                    elif "messageStop" in event:
                        stop_reason = event["messageStop"].get("stopReason")
                    yield event
            except TierwiseError as exc:
                self._record_failure(request_id, target, exc, started, model_id=stream.model_id)
                raise
            finally:
                stream.close()
            latency = (time.perf_counter() - started) * 1000
            row = self._record_success(
                request_id, target, stream.model_id, usage, latency, stop_reason
            )
            summary.update(self._summary(row, target, [a.model_id for a in stream.attempts]))

        return {"stream": events(), "tierwise": summary}

    def count_tokens(self, *, modelId: str | None = None, **kwargs: Any) -> int:  # noqa: N803
        request = _request_fields(kwargs)
        target = self.target(modelId)
        return self.bedrock.count_tokens(target.profiles[0], request)

    # -- accounting ------------------------------------------------------------------

    def cost_of(self, tier: Tier | None, model_id: str, usage: Usage) -> Decimal:
        rate_tier = tier or self.settings.tier_of_model(model_id)
        if rate_tier is None:
            return Decimal(0)
        return price(usage, self.settings.rates(rate_tier)).total

    def _row(
        self,
        request_id: str,
        target: Target,
        model_id: str,
        latency_ms: float,
        *,
        usage: Usage | None = None,
        stop_reason: str | None = None,
        error: TierwiseError | None = None,
    ) -> LedgerRow:
        from tierwise.store import LedgerRow

        tier = target.tier or self.settings.tier_of_model(model_id)
        usage = usage or Usage()
        return LedgerRow(
            id=None,
            ts=datetime.now(UTC),
            request_id=request_id,
            attempt=1,
            tier=tier.value if tier else None,
            model_id=model_id,
            input_tokens=usage.input,
            output_tokens=usage.output,
            cache_read_tokens=usage.cache_read,
            cache_write_5m_tokens=usage.cache_write_5m,
            cache_write_1h_tokens=usage.cache_write_1h,
            cost_usd=self.cost_of(tier, model_id, usage),
            latency_ms=latency_ms,
            status="ok" if error is None else "error",
            error_class=None if error is None else type(error).__name__,
            stop_reason=stop_reason,
            batch=False,
            api_key_id=None,
            route={"reason": target.reason},
            rejection_reason=None,
            metadata=None,
        )

    def _record_success(
        self,
        request_id: str,
        target: Target,
        model_id: str,
        usage: Usage,
        latency_ms: float,
        stop_reason: str | None,
    ) -> LedgerRow:
        row = self._row(
            request_id, target, model_id, latency_ms, usage=usage, stop_reason=stop_reason
        )
        return replace(row, id=self.ledger.record(row))

    def _record_failure(
        self,
        request_id: str,
        target: Target,
        exc: TierwiseError,
        started: float,
        *,
        model_id: str | None = None,
    ) -> None:
        failed_on = model_id or getattr(exc, "model_id", None) or target.profiles[0]
        latency = (time.perf_counter() - started) * 1000
        self.ledger.record(self._row(request_id, target, failed_on, latency, error=exc))

    @staticmethod
    def _summary(row: LedgerRow, target: Target, failed_profiles: list[str]) -> dict[str, Any]:
        return {
            "tier": row.tier,
            "modelId": row.model_id,
            "costUsd": str(row.cost_usd),
            "latencyMs": round(row.latency_ms, 1),
            "ledgerId": row.id,
            "requestId": row.request_id,
            "routeReason": target.reason,
            "failedProfiles": failed_profiles,
        }


def _request_fields(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(kwargs) - set(CONVERSE_FIELDS))
    if unknown:
        from tierwise.errors import InvalidRequestError

        raise InvalidRequestError(
            f"unknown converse argument(s): {', '.join(unknown)}",
            hint=f"converse accepts modelId and: {', '.join(CONVERSE_FIELDS)}",
        )
    return {k: v for k, v in kwargs.items() if v is not None}

"""Opt-in capture of sampled requests and answers, so a team can evaluate tiers on its traffic.

Off by default (``[capture] sample_rate = 0``): with capture off nothing with prompt text is
stored, only the ledger's counts and costs. When a team turns it on, globally or per API key
(the key policy's ``capture_rate``), a deterministic share of requests (by request id, so a
re-run samples the same ones) is stored with the routing decision and task class, after
redaction (on by default; see :mod:`tierwise.core.redact`) and cut to ``max_bytes``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tierwise.core.redact import Redactor
from tierwise.errors import ConfigError

if TYPE_CHECKING:
    from tierwise.config import CaptureSettings
    from tierwise.store import Ledger
    from tierwise.store.captures import Capture, CaptureStore

__all__ = ["Capturer", "sampled", "task_class_of"]


def sampled(request_id: str, rate: float) -> bool:
    """Whether ``request_id`` falls in a ``rate`` share (stable for the same id)."""
    if rate <= 0:
        return False
    if rate >= 1:
        return True
    digest = hashlib.sha256(request_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def task_class_of(route: Mapping[str, Any] | None) -> str | None:
    """The task class a routing record names, if the router assigned one (for a request
    that kept its asked-for model in shadow mode, the class of the shadow decision)."""
    if not route:
        return None
    value = route.get("task_class")
    shadow = route.get("shadow")
    if not value and isinstance(shadow, Mapping):
        value = shadow.get("task_class")
    if isinstance(value, Mapping):
        value = value.get("name")
    return str(value) if value else None


class Capturer:
    """Decides whether a call is captured, redacts it and stores it."""

    def __init__(self, settings: CaptureSettings, store: CaptureStore | None) -> None:
        self.settings = settings
        self.store = store
        self.redactor = (
            Redactor.from_patterns(settings.redact_patterns)
            if settings.redact
            else Redactor.from_patterns(settings.redact_patterns, defaults=False)
        )

    @classmethod
    def build(cls, settings: CaptureSettings, ledger: Ledger) -> Capturer:
        from tierwise.store.captures import CaptureStore
        from tierwise.store.sql import SQLLedger

        store = CaptureStore(ledger) if isinstance(ledger, SQLLedger) else None
        if store is None and settings.sample_rate > 0:
            raise ConfigError(
                "capture needs a SQL ledger (SQLite or PostgreSQL) to store captures",
                hint="set [ledger] url to a sqlite:/// or postgresql:// URL, or "
                "[capture] sample_rate = 0",
            )
        return cls(settings, store)

    def rate(self, override: float | None) -> float:
        return self.settings.sample_rate if override is None else override

    def wants(self, request_id: str, override: float | None = None) -> bool:
        return self.store is not None and sampled(request_id, self.rate(override))

    def capture(
        self,
        request_id: str,
        request: Mapping[str, Any],
        output: Mapping[str, Any],
        route: Mapping[str, Any] | None,
        *,
        tier: str | None,
        model_id: str,
        cost: Decimal,
        api_key_id: str | None = None,
    ) -> Capture | None:
        """Store one sampled call (the caller checked :meth:`wants`); returns the row."""
        from tierwise.store.captures import Capture

        if self.store is None:
            return None
        clean_request, hits_in = self.redactor.value(dict(request))
        clean_answer, hits_out = self.redactor.value(dict(output))
        truncated = False
        limit = self.settings.max_bytes
        if len(json.dumps(clean_request, default=str)) > limit:
            clean_request = _truncated(clean_request, limit)
            truncated = True
        if len(json.dumps(clean_answer, default=str)) > limit:
            clean_answer = _truncated(clean_answer, limit)
            truncated = True
        row = Capture(
            id=None,
            ts=datetime.now(UTC),
            request_id=request_id,
            api_key_id=api_key_id,
            task_class=task_class_of(route),
            tier=tier,
            model_id=model_id,
            route=dict(route) if route else None,
            request=clean_request,
            answer=clean_answer,
            redactions=hits_in + hits_out,
            truncated=truncated,
            cost_usd=cost,
        )
        self.store.add(row, retention_days=self.settings.retention_days)
        return row


def _truncated(value: dict[str, Any], limit: int) -> dict[str, Any]:
    """A capture over the byte limit keeps only its last user turn's text, cut to fit: the
    part an evaluation most needs, and an honest ``truncated`` flag on the row."""
    messages = value.get("messages") or []
    text = ""
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") == "user":
            text = " ".join(
                str(b.get("text", "")) for b in message.get("content") or [] if isinstance(b, dict)
            )
            break
    if not text and "content" in value:
        text = " ".join(str(b.get("text", "")) for b in value["content"] if isinstance(b, dict))
    keep = max(limit // 2, 256)
    cut = text.encode()[:keep].decode(errors="ignore")
    if "messages" in value:
        return {"messages": [{"role": "user", "content": [{"text": cut}]}], "truncated": True}
    return {"content": [{"text": cut}], "truncated": True}

"""The ledger interface: one row per model call, whatever stores it.

Callers depend on :class:`Ledger` only, so the SQLite store and a PostgreSQL store are
interchangeable. Money is :class:`decimal.Decimal` end to end and stored as exact text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol, runtime_checkable

from tierwise.core.pricing import Usage

__all__ = ["Ledger", "LedgerRow", "LedgerTotals", "Status"]

Status = Literal["ok", "error", "rejected"]


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One model call: who answered, what it used, what it cost, how it ended."""

    id: int | None
    ts: datetime
    request_id: str
    attempt: int
    tier: str | None
    model_id: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_5m_tokens: int
    cache_write_1h_tokens: int
    cost_usd: Decimal
    latency_ms: float
    status: str
    error_class: str | None = None
    stop_reason: str | None = None
    batch: bool = False
    api_key_id: str | None = None
    route: dict[str, Any] | None = None
    rejection_reason: str | None = None
    metadata: dict[str, Any] | None = None

    @property
    def usage(self) -> Usage:
        return Usage(
            input=self.input_tokens,
            output=self.output_tokens,
            cache_read=self.cache_read_tokens,
            cache_write_5m=self.cache_write_5m_tokens,
            cache_write_1h=self.cache_write_1h_tokens,
        )


@dataclass(frozen=True, slots=True)
class LedgerTotals:
    requests: int = 0
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cost_usd: Decimal = field(default_factory=Decimal)


@runtime_checkable
class Ledger(Protocol):
    """Append-mostly storage of :class:`LedgerRow`; implementations are thread-safe."""

    def record(self, row: LedgerRow) -> int:
        """Store ``row`` durably; return its id."""
        ...

    def record_many(self, rows: list[LedgerRow]) -> list[int]:
        """Store all ``rows`` in one transaction (all or none)."""
        ...

    def rows(
        self,
        *,
        request_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        order: Literal["asc", "desc"] = "asc",
    ) -> list[LedgerRow]: ...

    def totals(self, *, since: datetime | None = None) -> LedgerTotals: ...

    def close(self) -> None: ...

    def __enter__(self) -> Ledger: ...

    def __exit__(self, *exc: object) -> None: ...

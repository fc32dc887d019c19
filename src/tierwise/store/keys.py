"""API keys for the gateway: hashed secrets, budgets, rate limits, tier caps.

A key reads ``tw_<id>_<secret>``. Only a salted SHA-256 of the secret is stored, and the
check is a constant-time comparison. Spend is kept in integer pico-dollars (1e-12 USD), exact
for every price quoted per million tokens, so the budget update is one atomic
``UPDATE ... SET spent = spent + ?`` in the database: concurrent requests never lose an
increment, and admission reads the committed spend every time (no cached, stale spend).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

from tierwise.core.tiers import Tier
from tierwise.errors import BudgetExceededError, InvalidRequestError, LedgerError, RateLimitedError
from tierwise.store.sql import SQLLedger

__all__ = ["ApiKey", "KeyStore", "to_pico"]

PICO = Decimal("1e12")
PREFIX = "tw"


def to_pico(usd: Decimal) -> int:
    return int((usd * PICO).to_integral_value(rounding=ROUND_CEILING))


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    created_at: datetime
    revoked: bool
    budget_usd: Decimal | None
    spent_usd: Decimal
    rpm: int | None
    max_tier: Tier | None
    admin: bool
    policy: dict[str, Any] | None = None
    """Escalation policy for the key's requests: ``{"validate": spec, "escalate": bool}``."""

    @property
    def remaining_usd(self) -> Decimal | None:
        return None if self.budget_usd is None else self.budget_usd - self.spent_usd

    def admit(self) -> None:
        """Refuse when the spend read with this key has reached its budget. Only as fresh
        as the read: use a key just returned by :meth:`KeyStore.verify` or ``get``."""
        if self.budget_usd is not None and self.spent_usd >= self.budget_usd:
            raise BudgetExceededError(
                f"the key's budget of ${self.budget_usd} is spent (${self.spent_usd} used)"
            )


def _check_policy(policy: dict[str, Any]) -> None:
    """A key policy is ``{"validate": <validator spec>, "escalate": bool}``; check it now."""
    from tierwise.core.validators import validators_from_spec

    unknown = sorted(set(policy) - {"validate", "escalate"})
    if unknown:
        raise InvalidRequestError(
            f"unknown key policy field(s): {', '.join(unknown)}", hint="use validate and escalate"
        )
    spec = policy.get("validate") or {}
    if not isinstance(spec, dict):
        raise InvalidRequestError("policy.validate must be a validator spec object")
    validators_from_spec({k: v for k, v in spec.items() if k != "self_verify"})
    if "escalate" in policy and not isinstance(policy["escalate"], bool):
        raise InvalidRequestError("policy.escalate must be true or false")


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()


def _key(row: Any) -> ApiKey:
    budget = row["budget_pico"]
    return ApiKey(
        id=row["id"],
        name=row["name"],
        created_at=datetime.fromisoformat(row["created_at"]),
        revoked=row["revoked_at"] is not None,
        budget_usd=None if budget is None else Decimal(budget) / PICO,
        spent_usd=Decimal(row["spent_pico"]) / PICO,
        rpm=row["rpm"],
        max_tier=Tier(row["max_tier"]) if row["max_tier"] else None,
        admin=bool(row["admin"]),
        policy=json.loads(row["policy"]) if row["policy"] else None,
    )


class KeyStore:
    """Keys in the ledger's database, so every gateway sharing the ledger shares the keys,
    their budgets and their rate windows."""

    def __init__(self, db: SQLLedger) -> None:
        self.db = db

    def create(
        self,
        name: str,
        *,
        budget_usd: Decimal | None = None,
        rpm: int | None = None,
        max_tier: Tier | None = None,
        admin: bool = False,
        policy: dict[str, Any] | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key; the full secret is returned once and never stored."""
        if not name.strip():
            raise InvalidRequestError("a key needs a name", hint="--name team-search")
        if budget_usd is not None and budget_usd < 0:
            raise InvalidRequestError("a budget cannot be negative")
        if rpm is not None and rpm < 1:
            raise InvalidRequestError("rpm must be at least 1")
        if policy is not None:
            _check_policy(policy)
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(24)
        salt = secrets.token_hex(16)
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO api_keys (id, name, salt, secret_hash, created_at, budget_pico, rpm,"
                " max_tier, admin, policy) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key_id, name, salt, _hash(salt, secret), datetime.now(UTC).isoformat(),
                    None if budget_usd is None else to_pico(budget_usd), rpm,
                    max_tier.value if max_tier else None, int(admin),
                    json.dumps(policy, sort_keys=True) if policy is not None else None,
                ),
            )  # fmt: skip
        key = self.get(key_id)
        if key is None:
            raise LedgerError(f"the new key {key_id} was not stored")
        return key, f"{PREFIX}_{key_id}_{secret}"

    def get(self, key_id: str) -> ApiKey | None:
        rows = self.db.query("SELECT * FROM api_keys WHERE id = ?", (key_id,))
        return _key(rows[0]) if rows else None

    def verify(self, presented: str) -> ApiKey | None:
        """The active key for ``presented``, or None (unknown, malformed, revoked)."""
        parts = presented.strip().split("_", 2)
        if len(parts) != 3 or parts[0] != PREFIX:
            return None
        rows = self.db.query(
            "SELECT * FROM api_keys WHERE id = ? AND revoked_at IS NULL", (parts[1],)
        )
        if not rows:
            # Spend comparable time on unknown ids, so timing does not reveal which exist.
            hmac.compare_digest(_hash("00" * 16, parts[2]), "0" * 64)
            return None
        row = rows[0]
        if not hmac.compare_digest(_hash(row["salt"], parts[2]), row["secret_hash"]):
            return None
        return _key(row)

    def list(self) -> list[ApiKey]:
        return [_key(r) for r in self.db.query("SELECT * FROM api_keys ORDER BY created_at")]

    def revoke(self, key_id: str) -> bool:
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (datetime.now(UTC).isoformat(), key_id),
            )
            return cur.rowcount == 1

    def admit(self, key_id: str) -> None:
        """Refuse when the key's committed spend has reached its budget."""
        key = self.get(key_id)
        if key is not None:
            key.admit()

    def hit(self, key_id: str, rpm: int | None, now: float | None = None) -> None:
        """Count one request against the key's per-minute limit, atomically in the database
        (one counter per key and clock minute: a fixed window, shared by all gateways)."""
        if rpm is None:
            return
        now = time.time() if now is None else now
        minute = int(now // 60)
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM rate_windows WHERE key_id = ? AND minute < ?", (key_id, minute))
            (row,) = tx.execute(
                "INSERT INTO rate_windows (key_id, minute, hits) VALUES (?, ?, 1)"
                " ON CONFLICT (key_id, minute) DO UPDATE SET hits = rate_windows.hits + 1"
                " RETURNING hits",
                (key_id, minute),
            ).fetchall()
        if int(row["hits"]) > rpm:
            raise RateLimitedError(
                f"the key's limit of {rpm} requests per minute is reached",
                retry_after=60 - now % 60,
            )

    def charge(self, key_id: str, cost_usd: Decimal) -> None:
        """Add ``cost_usd`` to the key's spend atomically."""
        if cost_usd <= 0:
            return
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE api_keys SET spent_pico = spent_pico + ? WHERE id = ?",
                (to_pico(cost_usd), key_id),
            )

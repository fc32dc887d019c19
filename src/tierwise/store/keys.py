"""API keys for the gateway: hashed secrets, budgets, rate limits, tier caps.

A key reads ``tw_<id>_<secret>``. Only a salted SHA-256 of the secret is stored, and the
check is a constant-time comparison. Spend is kept in integer pico-dollars (1e-12 USD), exact
for every price quoted per million tokens.

A budget is a cap, held by reservation. Before each model call the engine reserves the
call's worst case with one conditional ``UPDATE api_keys SET reserved = reserved + ? WHERE
spent + reserved + ? <= budget``: the database serialises concurrent reservations (row lock
on PostgreSQL, the write lock on SQLite), so however many gateways share the key, the sum of
what they may still spend never passes the budget. After the call one transaction writes its
ledger row, adds its actual cost to ``spent`` and releases the reservation. A reservation
never settled (a gateway killed mid-call) expires: it is charged at its worst case with an
``estimated`` ledger row, and corrected to the actual cost should its call settle after all.

While the database is unreachable and ``[ledger] on_outage = "spool"``, budgets are
enforced best-effort in this process (:meth:`KeyStore.reserve_locally`): from the last state
of the key this process read, plus what it has reserved and spent on it since. Other
gateways' spend during the outage is not seen, so a budget shared by several gateways can
be passed by up to what the others spend meanwhile; that is the risk "spool" accepts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from typing import Any

from tierwise.core.budgets import Period, next_period_start, period_start
from tierwise.core.pricing import Usage
from tierwise.core.tiers import Tier
from tierwise.errors import (
    BudgetExceededError,
    InvalidRequestError,
    LedgerError,
    LedgerUnavailableError,
    RateLimitedError,
)
from tierwise.store.base import LedgerRow
from tierwise.store.sql import SQLLedger, Tx, iso

__all__ = ["ApiKey", "Hold", "KeyStore", "to_pico"]

RESERVATION_TTL_S = 3600.0
_log = logging.getLogger(__name__)

PICO = Decimal("1e12")
PREFIX = "tw"


def to_pico(usd: Decimal) -> int:
    return int((usd * PICO).to_integral_value(rounding=ROUND_CEILING))


# Budgets are stored in picodollars in a signed 64-bit column (SQLite INTEGER, PG BIGINT).
MAX_BUDGET_USD = Decimal(2**63 - 1) / PICO
MAX_RPM = 2**31 - 1  # an INTEGER column on PostgreSQL


def _check_budget(budget_usd: Decimal) -> None:
    """A budget the ledger can store and compare: finite, not negative, within BIGINT."""
    if not budget_usd.is_finite():
        raise InvalidRequestError(
            f"a budget must be an amount of USD, not {budget_usd}", hint="e.g. --budget-usd 500"
        )
    if budget_usd < 0:
        raise InvalidRequestError("a budget cannot be negative", hint="e.g. --budget-usd 500")
    if budget_usd > MAX_BUDGET_USD:
        raise InvalidRequestError(
            f"a budget of ${budget_usd:f} is above the largest one the ledger stores "
            f"(${MAX_BUDGET_USD.quantize(Decimal('0.01'), rounding=ROUND_DOWN)})",
            hint="leave --budget-usd out for no cap",
        )


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
    reserved_usd: Decimal = Decimal(0)
    """Held by attempts in flight (their worst case), not yet settled."""
    budget_period: Period | None = None
    """When spend starts again from zero; None: the budget is for the key's lifetime."""
    period_start: datetime | None = None

    @property
    def remaining_usd(self) -> Decimal | None:
        """What new attempts may still reserve."""
        if self.budget_usd is None:
            return None
        return self.budget_usd - self.spent_usd - self.reserved_usd

    def admit(self) -> None:
        """Refuse at once when the spend read with this key has reached its budget (each
        model call still reserves its worst case, which is what caps the spend)."""
        if self.budget_usd is None or (
            self.budget_period is not None
            and self.period_start is not None
            and self.period_start < period_start(self.budget_period, datetime.now(UTC))
        ):
            return
        if self.spent_usd >= self.budget_usd:
            raise BudgetExceededError(
                f"the key's budget of ${self.budget_usd} is spent (${self.spent_usd} used)"
            )


def _check_policy(policy: dict[str, Any]) -> None:
    """A key policy is ``{"validate": <validator spec>, "escalate": bool, "routing_mode":
    "route" | "shadow", "capture_rate": 0..1}`` (every field optional); check it now."""
    from tierwise.core.validators import validators_from_spec

    known = {"validate", "escalate", "routing_mode", "capture_rate"}
    unknown = sorted(set(policy) - known)
    if unknown:
        raise InvalidRequestError(
            f"unknown key policy field(s): {', '.join(unknown)}",
            hint=f"use {', '.join(sorted(known))}",
        )
    spec = policy.get("validate") or {}
    if not isinstance(spec, dict):
        raise InvalidRequestError("policy.validate must be a validator spec object")
    validators_from_spec(spec)
    if "escalate" in policy and not isinstance(policy["escalate"], bool):
        raise InvalidRequestError("policy.escalate must be true or false")
    if policy.get("routing_mode", "route") not in ("route", "shadow"):
        raise InvalidRequestError("policy.routing_mode must be 'route' or 'shadow'")
    rate = policy.get("capture_rate", 0.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise InvalidRequestError("policy.capture_rate must be a number from 0 to 1")


def _name_taken(name: str, other: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"an active key is already named {name!r} ({other})",
        hint=f"choose another --name, or `tierwise keys revoke {other}` first",
    )


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
        reserved_usd=Decimal(row["reserved_pico"]) / PICO,
        budget_period=Period(row["budget_period"]) if row["budget_period"] else None,
        period_start=datetime.fromisoformat(row["period_start"]) if row["period_start"] else None,
    )


@dataclass(frozen=True)
class Hold:
    """One attempt's reservation, settled by :meth:`KeyStore.settle`."""

    id: str
    key_id: str
    amount_pico: int
    # Made in this process while the database was unreachable (no reservation row).
    local: bool = False

    @property
    def amount_usd(self) -> Decimal:
        return Decimal(self.amount_pico) / PICO


# What an expired reservation's row itemises, as the hold recorded it: its service tier
# (re-pricing reads it) and its guardrail part.
_EXPIRY_ITEMS = (
    "service_tier",
    "guardrail_usd",
    "guardrail_units",
    "guardrail_estimate",
    "guardrail_unpriced",
)


def _kept(reservation: Mapping[str, Any]) -> int:
    """What an expired reservation still holds, in pico-dollars: the part of its hold its
    expiry did not charge (0 for one expired before holds kept it)."""
    detail = json.loads(reservation["detail"]) if reservation["detail"] else {}
    return int(detail.get("kept_pico", 0))


def _expiry_charge(reservation: Mapping[str, Any]) -> int:
    """What an expired reservation is charged, in pico-dollars: the ``charge_usd`` its hold
    recorded (the model's worst case and the guardrail's own policies; the amount held
    also counts every priced policy, a cap), never more than was held. A reservation
    made before holds recorded it is charged what it held."""
    held = int(reservation["amount_pico"])
    detail = json.loads(reservation["detail"]) if reservation["detail"] else {}
    charge = detail.get("charge_usd")
    return held if charge is None else min(held, to_pico(Decimal(charge)))


def _charged(reservation: Mapping[str, Any]) -> int:
    """All an expired reservation has been charged so far, in pico-dollars: its expiry
    charge, and what it kept once that lapsed (:meth:`KeyStore._lapse`)."""
    detail = json.loads(reservation["detail"]) if reservation["detail"] else {}
    return _expiry_charge(reservation) + int(detail.get("lapse_charged_pico", 0))


def _over_hold(hold: Hold, row: LedgerRow, actual: int) -> LedgerRow:
    """``row`` billed more than its hold: a worst case can only count what is known before
    the call, and a guardrail trace may report more image units per image than it counted
    (how many an image makes is not sourced; later holds count as many:
    :class:`tierwise.engine.accounting.Accountant`). Every billed token is charged, so the
    key is charged it all and may pass its budget by the difference: the row says by how
    much, and a warning is logged."""
    over = Decimal(actual - hold.amount_pico) / PICO
    _log.warning(
        "request %s attempt %s billed %s more than its hold of %s on key %s: charged in full "
        "(Bedrock billed it), the budget may be passed by that much",
        row.request_id, row.attempt, _money(actual - hold.amount_pico),
        _money(hold.amount_pico), hold.key_id,
    )  # fmt: skip
    why = (
        "billed more than its hold (e.g. a guardrail trace reporting more image units per "
        "image than the hold counted): charged in full, so the key's budget may be passed "
        "by over_hold_usd"
    )
    metadata = {**(row.metadata or {}), "over_hold_usd": format(over.normalize(), "f")}
    metadata["over_hold"] = why
    return replace(row, metadata=metadata)


def _money(pico: int) -> str:
    """Dollars with as many decimals as the amount needs (at least 2): "$0.0000001"."""
    whole, _, frac = f"{Decimal(pico) / PICO:.12f}".partition(".")
    return f"${whole}.{frac.rstrip('0').ljust(2, '0')}"


# Each door names the output cap differently, and a request without one is held at the
# default cap: a caller who set none must learn where the reservation came from.
_BUDGET_HINT = (
    "lower the request's output cap (max_tokens, max_completion_tokens, max_output_tokens or "
    "maxTokens; a request without one is held at [budgets] default_max_tokens), use a cheaper "
    "tier, or raise the key's budget"
)


class KeyStore:
    """Keys in the ledger's database, so every gateway sharing the ledger shares the keys,
    their budgets and their rate windows."""

    def __init__(self, db: SQLLedger) -> None:
        self.db = db
        # For best-effort budgets during an outage: each key's (budget, spent, reserved) as
        # this process last read it, and what it has reserved (held) and spent on it since.
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[int | None, int, int]] = {}
        self._held: dict[str, dict[str, int]] = {}
        self._spent: dict[str, int] = {}

    def _saw(self, key: ApiKey) -> ApiKey:
        with self._lock:
            self._seen[key.id] = (
                None if key.budget_usd is None else to_pico(key.budget_usd),
                to_pico(key.spent_usd),
                to_pico(key.reserved_usd),
            )
        return key

    def create(
        self,
        name: str,
        *,
        budget_usd: Decimal | None = None,
        rpm: int | None = None,
        max_tier: Tier | None = None,
        admin: bool = False,
        policy: dict[str, Any] | None = None,
        budget_period: Period | None = None,
        unique_name: bool = False,
    ) -> tuple[ApiKey, str]:
        """A new key; the full secret is returned once and never stored. ``unique_name``
        refuses a name an active key already has (``tierwise keys create``: people tell keys
        apart by name in access logs, the dashboard and ``spend --by key``)."""
        if not name.strip():
            raise InvalidRequestError("a key needs a name", hint="--name team-search")
        if budget_usd is not None:
            _check_budget(budget_usd)
        if rpm is not None and not 1 <= rpm <= MAX_RPM:
            raise InvalidRequestError(
                f"rpm must be from 1 to {MAX_RPM:,}, not {rpm}", hint="leave --rpm out for no limit"
            )
        if policy is not None:
            _check_policy(policy)
        if budget_period is not None and budget_usd is None:
            raise InvalidRequestError(
                "a budget period needs a budget", hint="add --budget-usd with --budget-period"
            )
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(24)
        salt = secrets.token_hex(16)
        try:
            with self.db.transaction() as conn:
                # Names identify keys in access logs (key=<name>), the dashboard and
                # `tierwise spend --by key`: two active keys with one name would be told
                # apart by id alone. A revoked key's name is free again (rotate: revoke,
                # then create). Checked here for the error's sake; the unique active_name
                # (migration m009) refuses the loser of two creates racing on PostgreSQL,
                # where this check does not serialise them as SQLite's BEGIN IMMEDIATE does.
                taken = self._active_named(conn, name) if unique_name else None
                if taken is not None:
                    raise _name_taken(name, taken)
                conn.execute(
                    "INSERT INTO api_keys (id, name, salt, secret_hash, created_at, budget_pico,"
                    " rpm, max_tier, admin, policy, budget_period, period_start, active_name)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        key_id, name, salt, _hash(salt, secret), datetime.now(UTC).isoformat(),
                        None if budget_usd is None else to_pico(budget_usd), rpm,
                        max_tier.value if max_tier else None, int(admin),
                        json.dumps(policy, sort_keys=True) if policy is not None else None,
                        budget_period.value if budget_period else None,
                        iso(period_start(budget_period, datetime.now(UTC)))
                        if budget_period else None,
                        name if unique_name else None,
                    ),
                )  # fmt: skip
        except LedgerError:
            # The unique index's refusal comes as a failed write (each store words it its
            # own way): when the name is now an active key's, that is what happened.
            taken = self._active_named(None, name) if unique_name else None
            if taken is not None:
                raise _name_taken(name, taken) from None
            raise
        key = self.get(key_id)
        if key is None:
            raise LedgerError(f"the new key {key_id} was not stored")
        return key, f"{PREFIX}_{key_id}_{secret}"

    def _active_named(self, conn: Any, name: str) -> str | None:
        """The id of an active key named ``name`` (read in ``conn``'s transaction, or on
        its own when None), or None."""
        sql, params = "SELECT id FROM api_keys WHERE name = ? AND revoked_at IS NULL", (name,)
        rows = (
            conn.execute(sql, params).fetchall() if conn is not None else self.db.query(sql, params)
        )
        return str(rows[0]["id"]) if rows else None

    def get(self, key_id: str) -> ApiKey | None:
        rows = self.db.query("SELECT * FROM api_keys WHERE id = ?", (key_id,))
        return self._saw(_key(rows[0])) if rows else None

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
        return self._saw(_key(row))

    def list(self) -> list[ApiKey]:
        return [_key(r) for r in self.db.query("SELECT * FROM api_keys ORDER BY created_at")]

    def revoke(self, key_id: str) -> bool:
        with self.db.transaction() as conn:
            cur = conn.execute(
                "UPDATE api_keys SET revoked_at = ?, active_name = NULL"
                " WHERE id = ? AND revoked_at IS NULL",
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
        """Add ``cost_usd`` to the key's spend atomically (outside any reservation: for
        spend that was never reserved, such as batch results)."""
        if cost_usd <= 0:
            return
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE api_keys SET spent_pico = spent_pico + ? WHERE id = ?",
                (to_pico(cost_usd), key_id),
            )

    # -- reservations ------------------------------------------------------------------

    def reserve(
        self,
        key_id: str,
        cost_usd: Decimal,
        *,
        request_id: str,
        attempt: int,
        detail: dict[str, Any] | None = None,
        ttl_s: float = RESERVATION_TTL_S,
        now: datetime | None = None,
        unpriced: InvalidRequestError | None = None,
    ) -> Hold:
        """Reserve ``cost_usd`` (an attempt's worst case) against the key's budget, or raise
        :class:`BudgetExceededError` naming the budget, the spend and the reservation.

        A key without a budget reserves too (``tierwise keys list`` shows what is in
        flight); its reservation always fits. Expired reservations of the key are
        reconciled before a refusal, so a gateway that died holding some does not block it.
        ``unpriced`` says what the attempt may be billed that no configured price covers (a
        model in no tier, images a guardrail may assess without an image price): a key
        with a budget is refused with it, since its cost would read as 0.
        """
        now = now or datetime.now(UTC)
        hold = Hold(uuid.uuid4().hex, key_id, to_pico(cost_usd))
        for reconciled in (False, True):
            with self.db.transaction() as tx:
                state = self._locked(tx, key_id, now)
                budget, spent, reserved = state
                if budget is not None and unpriced is not None:
                    raise unpriced
                if budget is None or spent + reserved + hold.amount_pico <= budget:
                    with self._lock:
                        # The database answers again: its figures are the truth.
                        self._seen[key_id] = (budget, spent, reserved + hold.amount_pico)
                        self._spent.pop(key_id, None)
                    tx.execute(
                        "UPDATE api_keys SET reserved_pico = reserved_pico + ? WHERE id = ?",
                        (hold.amount_pico, key_id),
                    )
                    tx.execute(
                        "INSERT INTO reservations (id, key_id, request_id, attempt, amount_pico,"
                        " created_at, expires_at, state, detail) VALUES (?, ?, ?, ?, ?, ?, ?,"
                        " 'held', ?)",
                        (
                            hold.id, key_id, request_id, attempt, hold.amount_pico, iso(now),
                            iso(now + timedelta(seconds=ttl_s)),
                            json.dumps(detail, sort_keys=True) if detail else None,
                        ),
                    )  # fmt: skip
                    return hold
            if reconciled or not self.reconcile(now, key_id=key_id):
                break
        raise self._refusal(key_id, hold, state, now)

    def known_budget(self, key_id: str) -> tuple[bool, bool]:
        """(whether this process has read the key, whether it has a budget) as last read."""
        with self._lock:
            seen = self._seen.get(key_id)
        return seen is not None, seen is not None and seen[0] is not None

    def reserve_locally(
        self,
        key_id: str,
        cost_usd: Decimal,
        *,
        request_id: str,
        attempt: int,
        unpriced: InvalidRequestError | None = None,
    ) -> Hold:
        """:meth:`reserve` without the database (it is unreachable), best-effort: against
        the key's budget as this process last read it, less what this process has
        reserved and spent on it since. Raises BudgetExceededError when it does not fit,
        LedgerUnavailableError when this process has never read the key."""
        hold = Hold(f"local-{uuid.uuid4().hex}", key_id, to_pico(cost_usd), local=True)
        with self._lock:
            seen = self._seen.get(key_id)
            if seen is None:
                raise LedgerUnavailableError(
                    "the ledger database is unreachable and this process has not read the "
                    "key's budget yet, so it cannot be enforced even best-effort"
                )
            budget, spent, reserved = seen
            if budget is not None and unpriced is not None:
                raise unpriced
            held = self._held.setdefault(key_id, {})
            spent += self._spent.get(key_id, 0)
            reserved += sum(held.values())
            if budget is None or spent + reserved + hold.amount_pico <= budget:
                held[hold.id] = hold.amount_pico
                return hold
        error = BudgetExceededError(
            f"the key's budget of {_money(budget)} cannot cover this request: {_money(spent)} "
            f"is spent and {_money(reserved)} reserved by requests in flight, and this "
            f"request reserves up to {_money(hold.amount_pico)} (its input and max output "
            "tokens at its tier's prices; counted in this process while the ledger database "
            "is unreachable)",
            hint=_BUDGET_HINT,
        )
        if spent + hold.amount_pico <= budget:
            error.retry_after = 1.0  # it fits once requests in flight have settled
        raise error

    def spooled(self, hold: Hold, row: LedgerRow) -> None:
        """``row`` went to the spool (the database is unreachable): it settles ``hold`` in
        this process's best-effort figures until the spool is replayed."""
        with self._lock:
            self._drop(hold)
            self._spent[hold.key_id] = self._spent.get(hold.key_id, 0) + to_pico(row.cost_usd)

    def _drop(self, hold: Hold) -> None:
        """Forget a local hold (the caller holds the lock)."""
        if hold.local:
            self._held.get(hold.key_id, {}).pop(hold.id, None)

    def _locked(self, tx: Tx, key_id: str, now: datetime) -> tuple[int | None, int, int]:
        """The key's (budget, spent, reserved) in pico-dollars, its row locked until the
        transaction ends (PostgreSQL ``FOR UPDATE``; SQLite's write lock is already held),
        after starting its spend again from zero if its budget period has turned."""
        rows = tx.execute(
            "SELECT budget_pico, spent_pico, reserved_pico, budget_period, period_start"
            f" FROM api_keys WHERE id = ?{self.db.row_lock}",
            (key_id,),
        ).fetchall()
        if not rows:
            raise InvalidRequestError(f"no key {key_id}", hint="see `tierwise keys list`")
        row = rows[0]
        spent = int(row["spent_pico"])
        if row["budget_period"]:
            start = iso(period_start(Period(row["budget_period"]), now))
            if not row["period_start"] or row["period_start"] < start:
                tx.execute(
                    "UPDATE api_keys SET spent_pico = 0, period_start = ? WHERE id = ?",
                    (start, key_id),
                )
                spent = 0
        budget = row["budget_pico"]
        return (None if budget is None else int(budget)), spent, int(row["reserved_pico"])

    def _refusal(
        self, key_id: str, hold: Hold, state: tuple[int | None, int, int], now: datetime
    ) -> BudgetExceededError:
        """The refusal, stating the budget, spend and reservations as the refused
        reservation saw them (in its own transaction, so the figures add up)."""
        budget, spent, reserved = state
        assert budget is not None  # a key without a budget is never refused
        key = self.get(key_id)
        period = key.budget_period if key is not None else None
        error = BudgetExceededError(
            f"the key's budget of {_money(budget)}{f' this {period.value}' if period else ''} "
            f"cannot cover this request: {_money(spent)} is spent and {_money(reserved)} "
            f"reserved by requests in flight, and this request reserves up to "
            f"{_money(hold.amount_pico)} (its input and max output tokens at its tier's prices)",
            hint=_BUDGET_HINT,
        )
        if period is not None:
            error.retry_after = (next_period_start(period, now) - now).total_seconds()
        elif spent + hold.amount_pico <= budget:
            error.retry_after = 1.0  # it fits once requests in flight have settled
        return error

    def settle(self, hold: Hold, row: LedgerRow) -> int:
        """Write the attempt's ledger row, charge its actual cost and release its
        reservation, in one transaction; returns the row's id. A reservation that had
        expired (charged at its worst case, with an estimated row) is corrected: its
        estimated row gives way to this one and the key is charged the difference. A local
        hold (made during an outage) has no reservation row: the cost is simply charged."""
        with self.db.transaction() as tx:
            ledger_id = self.settle_in(tx, hold, row)
        self.settled(hold)
        return ledger_id

    def settled(self, hold: Hold) -> None:
        """``hold``'s row is committed (:meth:`settle_in` in a transaction now ended): a
        local hold stops counting in this process's best-effort figures."""
        if hold.local:
            with self._lock:
                self._drop(hold)

    def settle_in(self, tx: Tx, hold: Hold, row: LedgerRow) -> int:
        """:meth:`settle` inside the caller's transaction ``tx``."""
        actual = to_pico(row.cost_usd)
        if actual > hold.amount_pico:
            row = _over_hold(hold, row, actual)
        held = tx.execute(
            "DELETE FROM reservations WHERE id = ? AND state = 'held'", (hold.id,)
        ).rowcount
        if held == 1:
            tx.execute(
                "UPDATE api_keys SET reserved_pico = reserved_pico - ?,"
                " spent_pico = spent_pico + ? WHERE id = ?",
                (hold.amount_pico, actual, hold.key_id),
            )
        else:
            expired = tx.execute(
                "SELECT amount_pico, ledger_id, detail FROM reservations WHERE id = ?",
                (hold.id,),
            ).fetchall()
            charged = _charged(expired[0]) if expired else 0
            kept = _kept(expired[0]) if expired else 0
            if expired:
                tx.execute("DELETE FROM reservations WHERE id = ?", (hold.id,))
                tx.execute("DELETE FROM ledger WHERE id = ?", (expired[0]["ledger_id"],))
            tx.execute(
                "UPDATE api_keys SET spent_pico = CASE WHEN spent_pico + ? - ? < 0 THEN 0"
                " ELSE spent_pico + ? - ? END, reserved_pico = reserved_pico - ? WHERE id = ?",
                (actual, charged, actual, charged, kept, hold.key_id),
            )
        return self.db.insert(tx, row)

    def charge_in(self, tx: Tx, key_id: str, cost_usd: Decimal) -> None:
        """Add ``cost_usd`` to the key's spend inside the caller's transaction."""
        if cost_usd > 0:
            tx.execute(
                "UPDATE api_keys SET spent_pico = spent_pico + ? WHERE id = ?",
                (to_pico(cost_usd), key_id),
            )

    def release(self, hold: Hold) -> None:
        """Drop a reservation whose call was never made (nothing to charge)."""
        if hold.local:
            with self._lock:
                self._drop(hold)
            return
        with self.db.transaction() as tx:
            if tx.execute(
                "DELETE FROM reservations WHERE id = ? AND state = 'held'", (hold.id,)
            ).rowcount:
                tx.execute(
                    "UPDATE api_keys SET reserved_pico = reserved_pico - ? WHERE id = ?",
                    (hold.amount_pico, hold.key_id),
                )

    def reconcile(self, now: datetime | None = None, *, key_id: str | None = None) -> int:
        """Expire reservations past their time (their gateway stopped mid-call): each is
        charged at its worst case, since Bedrock may have billed up to that (the model's
        as reserved; the guardrail's own policies, not every priced one the hold counted:
        :func:`_expiry_charge`), and it gets an ``estimated`` ledger row so the ledger and
        the spend agree. The rest of the hold stays held until the call settles: its row
        may still come (a gateway that was only slow, a spool replayed later) and be
        charged up to the whole hold, and a gap released meanwhile could be spent by other
        calls, passing the budget. A call whose gateway died never settles, so once another
        TTL has passed since the expiry that rest is charged too (:meth:`_lapse`): the key
        has then paid the whole hold, and a row arriving later still (a spool replayed after
        a day-long outage) replaces its estimate at the row's cost less the whole hold, not
        above 0 while no call bills more than its hold, so the budget is not passed. Returns
        how many reservations expired."""
        now = now or datetime.now(UTC)
        sql = "SELECT * FROM reservations WHERE state = 'held' AND expires_at < ?"
        params: tuple[Any, ...] = (iso(now),)
        if key_id is not None:
            sql += " AND key_id = ?"
            params = (*params, key_id)
        done = 0
        for r in self.db.query(sql, params):
            detail = json.loads(r["detail"]) if r["detail"] else {}
            usage = Usage(**detail.get("usage", {}))
            charged = _expiry_charge(r)
            kept = int(r["amount_pico"]) - charged
            row = LedgerRow(
                id=None, ts=now, request_id=r["request_id"], attempt=int(r["attempt"]),
                tier=detail.get("tier"), model_id=str(detail.get("model_id", "unknown")),
                input_tokens=usage.input, output_tokens=usage.output,
                cache_read_tokens=usage.cache_read, cache_write_5m_tokens=usage.cache_write_5m,
                cache_write_1h_tokens=usage.cache_write_1h,
                cost_usd=Decimal(charged) / PICO, latency_ms=0.0, status="error",
                error_class="ReservationExpired", stop_reason="unknown", api_key_id=r["key_id"],
                metadata={
                    "estimated": True,
                    "estimate": "the call never settled (its gateway stopped mid-call): "
                    "charged at its worst case (the model's as reserved, the guardrail's own "
                    "policies)",
                    **{k: detail[k] for k in _EXPIRY_ITEMS if k in detail},
                },
            )  # fmt: skip
            # 'keeping': expired, with part of its hold still held for a late settle.
            state = "keeping" if kept > 0 else "expired"
            with self.db.transaction() as tx:
                if not tx.execute(
                    "UPDATE reservations SET state = ? WHERE id = ? AND state = 'held'",
                    (state, r["id"]),
                ).rowcount:
                    continue  # settled or expired meanwhile
                ledger_id = self.db.insert(tx, row)
                tx.execute(
                    "UPDATE reservations SET ledger_id = ?, detail = ? WHERE id = ?",
                    (ledger_id, json.dumps({**detail, "kept_pico": kept}), r["id"]),
                )
                tx.execute(
                    "UPDATE api_keys SET reserved_pico = reserved_pico - ?,"
                    " spent_pico = spent_pico + ? WHERE id = ?",
                    (charged, charged, r["key_id"]),
                )
            done += 1
        self._lapse(now, key_id)
        return done

    def _lapse(self, now: datetime, key_id: str | None) -> None:
        """Charge what expired reservations still hold once a second TTL has passed since
        their expiry (the TTL is above any call's duration, so by then their call is gone,
        not late): their estimated row is charged the whole hold, and says so. Released
        instead, that rest could be spent by other calls and a settle arriving after all
        (a spool replayed later) would pass the budget by up to it; charged, such a settle
        is corrected down to its actual cost, never more than the hold.
        Their state becomes 'expired' and a settle still corrects their row."""
        sql = "SELECT * FROM reservations WHERE state = 'keeping' AND expires_at < ?"
        params: tuple[Any, ...] = (iso(now),)
        if key_id is not None:
            sql += " AND key_id = ?"
            params = (*params, key_id)
        for r in self.db.query(sql, params):
            expires = datetime.fromisoformat(r["expires_at"])
            if now < expires + (expires - datetime.fromisoformat(r["created_at"])):
                continue
            kept = _kept(r)
            detail = json.loads(r["detail"]) if r["detail"] else {}
            # lapse_charged_pico, not lapsed_pico: holds that lapsed before lapses charged
            # recorded that for a release, and a late settle must not refund it.
            detail = {**detail, "kept_pico": 0, "lapse_charged_pico": kept}
            with self.db.transaction() as tx:
                if not tx.execute(
                    "UPDATE reservations SET state = 'expired', detail = ?"
                    " WHERE id = ? AND state = 'keeping'",
                    (json.dumps(detail), r["id"]),
                ).rowcount:
                    continue  # settled meanwhile
                tx.execute(
                    "UPDATE api_keys SET reserved_pico = reserved_pico - ?,"
                    " spent_pico = spent_pico + ? WHERE id = ?",
                    (kept, kept, r["key_id"]),
                )
                self._charge_row(tx, r["ledger_id"], kept)

    def _charge_row(self, tx: Tx, ledger_id: Any, pico: int) -> None:
        """Add ``pico`` to an expired hold's estimated row (a lapse charged the rest of its
        hold), so the ledger and the key's spend keep agreeing."""
        rows = tx.execute(
            "SELECT cost_usd, metadata FROM ledger WHERE id = ?", (ledger_id,)
        ).fetchall()
        if not rows:
            return
        meta = json.loads(rows[0]["metadata"]) if rows[0]["metadata"] else {}
        meta["estimate"] = (
            "the call never settled (its gateway stopped mid-call): charged its whole hold "
            "once a second reservation TTL had passed (the model's and every priced "
            "guardrail policy's worst case), so a settle arriving later cannot pass the "
            "budget; such a settle replaces this row"
        )
        tx.execute(
            "UPDATE ledger SET cost_usd = ?, metadata = ? WHERE id = ?",
            (
                str(Decimal(rows[0]["cost_usd"]) + Decimal(pico) / PICO),
                json.dumps(meta, sort_keys=True, default=str),
                ledger_id,
            ),
        )

    def current(self, key: ApiKey, now: datetime | None = None) -> ApiKey:
        """``key`` as of its current period: spend from an earlier period reads as 0."""
        if key.budget_period is None or key.period_start is None:
            return key
        if key.period_start < period_start(key.budget_period, now or datetime.now(UTC)):
            return replace(key, spent_usd=Decimal(0))
        return key

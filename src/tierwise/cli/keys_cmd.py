"""``tierwise keys create|list|revoke``: gateway API keys with budgets and limits."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from rich.table import Table

from tierwise.cli.output import cells, plain, write_json, write_raw
from tierwise.cli.state import CliState, state_of
from tierwise.core.budgets import Period
from tierwise.core.tiers import Tier
from tierwise.errors import ConfigError, InvalidRequestError
from tierwise.store.keys import ApiKey, KeyStore

__all__ = ["app"]

app = typer.Typer(help="Manage gateway API keys.", no_args_is_help=True, rich_markup_mode=None)


def _store(state: CliState) -> KeyStore:
    from tierwise.store import open_ledger
    from tierwise.store.sql import SQLLedger

    ledger = open_ledger(state.loaded().settings.ledger.resolved_url())
    if not isinstance(ledger, SQLLedger):
        raise ConfigError("keys need a SQL ledger (SQLite or PostgreSQL)")
    return KeyStore(ledger)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    budget_usd: Annotated[str | None, typer.Option(help="Spend cap in USD.")] = None,
    rpm: Annotated[int | None, typer.Option(help="Requests per minute.")] = None,
    max_tier: Annotated[
        str | None, typer.Option(help="Highest tier: haiku, sonnet or opus.")
    ] = None,
    admin: Annotated[bool, typer.Option("--admin", help="May read spend reports.")] = False,
    validate: Annotated[
        str | None,
        typer.Option(help="Validators for every request, as JSON, e.g. '{\"refusal\": true}'."),
    ] = None,
    escalate: Annotated[
        bool | None,
        typer.Option("--escalate/--no-escalate", help="Escalate rejected answers by default."),
    ] = None,
    budget_period: Annotated[
        str | None,
        typer.Option(help="Reset the spend every day, week or month (UTC); default: never."),
    ] = None,
    routing_mode: Annotated[
        str | None,
        typer.Option(help="'shadow': keep the asked-for model, record the router's choice."),
    ] = None,
    capture_rate: Annotated[
        float | None, typer.Option(help="Share of this key's requests to capture (0-1).")
    ] = None,
) -> None:
    """Create a key and print it ONCE (only a hash is stored)."""
    state = state_of(ctx)
    policy: dict[str, object] = {}
    if validate is not None:
        try:
            policy["validate"] = json.loads(validate)
        except json.JSONDecodeError as exc:
            raise InvalidRequestError(
                f"--validate is not JSON: {exc.msg}",
                hint="""e.g. --validate '{"refusal": true, "stop_reasons": true}'""",
            ) from None
        if not isinstance(policy["validate"], dict):
            raise InvalidRequestError(
                "--validate must be a JSON object of validators",
                hint="""e.g. --validate '{"refusal": true}'""",
            )
    if escalate is not None:
        policy["escalate"] = escalate
    if routing_mode is not None:
        if routing_mode not in ("route", "shadow"):
            # The store's own check names the policy field (policy.routing_mode), which is
            # the admin API's spelling; here the user typed a flag.
            raise InvalidRequestError(
                f"--routing-mode {routing_mode!r} is not a routing mode",
                hint="use --routing-mode shadow (or route, the default)",
            )
        policy["routing_mode"] = routing_mode
    if capture_rate is not None:
        if not 0 <= capture_rate <= 1:  # nan too
            raise InvalidRequestError(
                f"--capture-rate {capture_rate} is not a share from 0 to 1",
                hint="e.g. --capture-rate 0.05 to capture one request in twenty",
            )
        policy["capture_rate"] = capture_rate
    try:
        budget = Decimal(budget_usd) if budget_usd is not None else None
    except InvalidOperation:
        raise InvalidRequestError(
            f"--budget-usd {budget_usd!r} is not a number", hint="e.g. --budget-usd 500"
        ) from None
    tier = Tier.parse(max_tier) if max_tier else None
    period = Period.parse(budget_period) if budget_period else None
    key, secret = _store(state).create(
        name, budget_usd=budget, rpm=rpm, max_tier=tier, admin=admin, policy=policy or None,
        budget_period=period, unique_name=True,
    )  # fmt: skip
    write_raw(secret)
    state.err.print(
        plain(f"created key {key.id} ({key.name}); store it now, it is not shown again")
    )


@app.command("list")
def list_keys(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Keys with their limits, spend, reservations in flight and what is left (never the
    secrets). Expired reservations (a gateway that died mid-call) are reconciled first."""
    state = state_of(ctx)
    store = _store(state)
    store.reconcile()
    keys = [store.current(key) for key in store.list()]
    if as_json:
        write_json([_key_dict(k) for k in keys])
        return
    table = Table(
        "id", "name", "budget", "period", "spent", "reserved", "remaining", "rpm", "max tier",
        "admin", "status",
    )  # fmt: skip
    for key in keys:
        remaining = key.remaining_usd
        table.add_row(
            *cells(
                key.id,
                key.name,
                # Exact: a cap of $0.002 is not "$0.00" (cents would round small budgets away).
                "-" if key.budget_usd is None else f"${_usd(key.budget_usd)}",
                key.budget_period.value if key.budget_period else "-",
                f"${key.spent_usd:.6f}",
                f"${key.reserved_usd:.6f}",
                "-" if remaining is None else f"${remaining:.6f}",
                "-" if key.rpm is None else str(key.rpm),
                key.max_tier.value if key.max_tier else "-",
                "yes" if key.admin else "",
                "revoked" if key.revoked else "active",
            )
        )
    state.out.print(table)


def _usd(amount: Decimal) -> str:
    """An exact amount in plain notation: '0', '500', '0.000539' (never '0E-12' or
    '500.000000000000', which the ledger's picodollar scale would give)."""
    return format(amount.normalize(), "f")


def _key_dict(key: ApiKey) -> dict[str, object]:
    remaining = key.remaining_usd
    return {
        "id": key.id,
        "name": key.name,
        "budget_usd": None if key.budget_usd is None else _usd(key.budget_usd),
        "budget_period": key.budget_period.value if key.budget_period else None,
        "spent_usd": _usd(key.spent_usd),
        "reserved_usd": _usd(key.reserved_usd),
        "remaining_usd": None if remaining is None else _usd(remaining),
        "rpm": key.rpm,
        "max_tier": key.max_tier.value if key.max_tier else None,
        "admin": key.admin,
        "revoked": key.revoked,
        "created_at": key.created_at.isoformat(),
        # What --validate/--escalate/--routing-mode/--capture-rate set: shown nowhere else.
        "policy": key.policy or {},
    }


@app.command("revoke")
def revoke(ctx: typer.Context, key_id: Annotated[str, typer.Argument(help="The key id.")]) -> None:
    """Revoke a key; requests with it are refused from now on."""
    state = state_of(ctx)
    if not _store(state).revoke(key_id):
        raise InvalidRequestError(f"no active key {key_id}", hint="see `tierwise keys list`")
    state.out.print(plain(f"revoked {key_id}"))

"""``tierwise keys create|list|revoke``: gateway API keys with budgets and limits."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer
from rich.table import Table

from tierwise.cli.output import cells, plain, write_raw
from tierwise.cli.state import CliState, state_of
from tierwise.core.tiers import Tier
from tierwise.errors import ConfigError, InvalidRequestError
from tierwise.store.keys import KeyStore

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
) -> None:
    """Create a key and print it ONCE (only a hash is stored)."""
    state = state_of(ctx)
    policy: dict[str, object] = {}
    if validate is not None:
        try:
            policy["validate"] = json.loads(validate)
        except json.JSONDecodeError as exc:
            raise InvalidRequestError(f"--validate is not JSON: {exc.msg}") from None
    if escalate is not None:
        policy["escalate"] = escalate
    try:
        budget = Decimal(budget_usd) if budget_usd is not None else None
    except InvalidOperation:
        raise InvalidRequestError(f"--budget-usd {budget_usd!r} is not a number") from None
    tier = Tier.parse(max_tier) if max_tier else None
    key, secret = _store(state).create(
        name, budget_usd=budget, rpm=rpm, max_tier=tier, admin=admin, policy=policy or None
    )
    write_raw(secret)
    state.err.print(
        plain(f"created key {key.id} ({key.name}); store it now, it is not shown again")
    )


@app.command("list")
def list_keys(ctx: typer.Context) -> None:
    """Keys with their limits and spend (never the secrets)."""
    state = state_of(ctx)
    table = Table("id", "name", "budget", "spent", "rpm", "max tier", "admin", "status")
    for key in _store(state).list():
        table.add_row(
            *cells(
                key.id,
                key.name,
                "-" if key.budget_usd is None else f"${key.budget_usd:.2f}",
                f"${key.spent_usd:.6f}",
                "-" if key.rpm is None else str(key.rpm),
                key.max_tier.value if key.max_tier else "-",
                "yes" if key.admin else "",
                "revoked" if key.revoked else "active",
            )
        )
    state.out.print(table)


@app.command("revoke")
def revoke(ctx: typer.Context, key_id: Annotated[str, typer.Argument(help="The key id.")]) -> None:
    """Revoke a key; requests with it are refused from now on."""
    state = state_of(ctx)
    if not _store(state).revoke(key_id):
        raise InvalidRequestError(f"no active key {key_id}", hint="see `tierwise keys list`")
    state.out.print(plain(f"revoked {key_id}"))

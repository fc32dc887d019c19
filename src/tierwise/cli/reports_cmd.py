"""``tierwise spend`` and ``tierwise credits``: where the money goes and how long credits last."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from tierwise.cli.output import cells, line, plain, write_csv, write_json
from tierwise.cli.state import CliState, state_of
from tierwise.core.credits import Runway, runway
from tierwise.core.spend import SpendReport, report
from tierwise.errors import ConfigError, InvalidRequestError
from tierwise.reports import daily_spend, parse_since, runway_dict, spend_rows
from tierwise.store import LedgerRow

__all__ = ["credits", "load_rows", "spend"]


def _report_url(state: CliState) -> str:
    """The ledger a report reads. A SQLite file named by --db or [ledger] url that does
    not exist is an error: opening it created an empty ledger, and a typo in the path
    reported no spend at all."""
    settings = state.loaded().settings.ledger
    url = settings.resolved_url()
    if settings.url and (url.startswith("sqlite:///") or "://" not in url):
        from tierwise.store.sqlite import sqlite_path

        path = sqlite_path(url)
        if path != ":memory:" and not Path(path).expanduser().exists():
            raise ConfigError(
                f"no ledger at {path}",
                hint="check --db or [ledger] url (`tierwise config show` says where it is "
                "set); a report reads a ledger, it does not create one",
            )
    return url


def load_rows(state: CliState, since: datetime | None) -> list[LedgerRow]:
    from tierwise.store import open_ledger

    with open_ledger(_report_url(state)) as ledger:
        return ledger.rows(since=since)


def _key_names(state: CliState) -> dict[str, str]:
    """Key id -> name, for a table grouped by key (ids alone meant a trip to `keys list`)."""
    from tierwise.store import open_ledger
    from tierwise.store.keys import KeyStore
    from tierwise.store.sql import SQLLedger

    with open_ledger(_report_url(state)) as ledger:
        if not isinstance(ledger, SQLLedger):
            return {}
        return {key.id: key.name for key in KeyStore(ledger).list()}


def _table(result: SpendReport, by: str, names: dict[str, str] | None = None) -> Table:
    guarded = result.total.guardrail_interventions > 0
    charged = result.total.guardrail_cost > 0
    columns = [by, "requests", "calls", "input", "output", "cache read", "cache write"]
    extra = [*(["guardrail stops"] if guarded else []), *(["guardrails (USD)"] if charged else [])]
    table = Table(*columns, *extra, "cost (USD)")
    for g in [*result.groups, result.total]:
        label = f"{g.name} ({names[g.name]})" if names and g.name in names else g.name
        values: list[object] = [
            label, len(g.requests), g.calls, f"{g.usage.input:,}", f"{g.usage.output:,}",
            f"{g.usage.cache_read:,}", f"{g.usage.cache_write:,}",
        ]  # fmt: skip
        if guarded:
            values.append(g.guardrail_interventions)
        if charged:  # already in the cost column: shown apart, not added again
            values.append(f"{g.guardrail_cost:.6f}")
        table.add_row(*cells(*values, f"{g.cost:.6f}"))
    return table


def spend(
    ctx: typer.Context,
    since: Annotated[str, typer.Option(help="Window: 30d, 12h, 2w or a date.")] = "30d",
    by: Annotated[str, typer.Option(help="Group by tier, day, key or model.")] = "tier",
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    shadow: Annotated[
        bool, typer.Option("--shadow", help="What the router's shadow decisions would cost.")
    ] = False,
) -> None:
    """Spend, requests, tokens, tier mix, escalation, cache hits, batch share and savings."""
    if by not in ("tier", "day", "key", "model"):
        raise InvalidRequestError(
            f"--by {by!r} is not a grouping", hint="use tier, day, key or model"
        )
    if fmt not in ("table", "csv", "json"):
        raise InvalidRequestError(
            f"--format {fmt!r} is not a format", hint="use table, csv or json"
        )
    state = state_of(ctx)
    start = parse_since(since, datetime.now(UTC))
    if shadow:
        _shadow(state, load_rows(state, start), fmt)
        return
    group_by: Literal["tier", "day", "key", "model"] = by  # type: ignore[assignment]
    result = report(
        spend_rows(load_rows(state, start)), state.loaded().settings.all_rates(), by=group_by
    )
    if fmt == "json":
        write_json(result.to_dict())
        return
    if fmt == "csv":
        write_csv([g.to_dict() for g in [*result.groups, result.total]])
        return
    state.out.print(_table(result, by, _key_names(state) if by == "key" else None))
    mix = ", ".join(f"{t} {share:.1%}" for t, share in result.tier_mix.items()) or "-"
    # The mix counts answered requests; the table's requests include failed ones too.
    failed = len(result.total.requests) - result.answered
    unanswered = f"; {failed:,} without an answer" if failed > 0 else ""
    state.out.print(
        plain(f"tier mix (of {result.answered:,} answered requests{unanswered}): {mix}")
    )
    state.out.print(
        f"escalation rate {result.escalation_rate:.1%}; cache hit ratio "
        f"{result.cache_hit_ratio:.1%}; batch share {result.batch_share:.1%}"
    )
    state.out.print(
        f"{_versus(result.vs_all_opus, 'all-Opus', result.all_opus_cost)}, "
        f"{_versus(result.vs_all_sonnet, 'all-Sonnet', result.all_sonnet_cost)}; "
        f"{_caching(result.caching_saved)}; batch saved ${result.batch_saved:.6f}"
    )
    if result.cache_aware_requests:
        state.out.print(plain(_cache_aware(result)))


def _versus(saved: Decimal, baseline: str, baseline_cost: Decimal) -> str:
    """'saved $X vs all-Opus ($Y)', or 'cost $X more than all-Sonnet ($Y)' when routing
    cost more (opus-heavy traffic): never 'saved $-X'."""
    if saved < 0:
        return f"cost ${-saved:.6f} more than {baseline} (${baseline_cost:.6f})"
    return f"saved ${saved:.6f} vs {baseline} (${baseline_cost:.6f})"


def _caching(saved: Decimal) -> str:
    """'caching saved $X', or what caching added when cache writes (1.25x, 2x for 1 h) were
    not yet read back enough to pay for themselves: never 'caching saved $-X'."""
    if saved < 0:
        return f"caching cost ${-saved:.6f} more (cache writes not yet repaid by reads)"
    return f"caching saved ${saved:.6f}"


def _cache_aware(result: SpendReport) -> str:
    """What cache-aware routing did, in the terms it decided in: the saving is summed over
    every answered request whose tier it chose (a thinking option on the router's own tier
    saves too, a conversation kept on a dearer tier for its cache costs), it is the
    forecast the choice was made on, and a move may be to a cold but cheaper tier. The old
    line put the whole sum on the moved requests, said their tier's cache was warm, and
    printed "saving $-X" when stickiness cost more."""
    n, moves, saved = (
        result.cache_aware_requests,
        result.cache_aware_moves,
        result.cache_aware_saved,
    )
    chose = f"cache-aware routing chose the tier of {n:,} answered request{'s' * (n != 1)}"
    moved = (
        f"{moves:,} moved off the router's tier" if moves else "none moved off the router's tier"
    )
    if saved < 0:
        outcome = (
            f"expected to cost ${-saved:.6f} more than the router's tiers (conversations kept "
            "on a tier for its cache)"
        )
    else:
        outcome = f"expected saving ${saved:.6f} against the router's tiers"
    return f"{chose} ({moved}): {outcome}; a forecast at the configured prices, not a measured cost"


def _shadow(state: CliState, rows: list[LedgerRow], fmt: str) -> None:
    from tierwise.core.shadow import ShadowRow, shadow_report

    result = shadow_report(
        (
            ShadowRow(
                r.request_id,
                r.tier,
                r.usage,
                r.cost_usd,
                r.batch,
                r.status,
                r.route,
                model_id=r.model_id,
                service_tier=str((r.metadata or {}).get("service_tier", "default")),
            )
            for r in rows
        ),
        state.loaded().settings.all_rates(),
    )
    groups = [*result.by_class, result.total]
    if fmt == "json":
        write_json(result.to_dict())
        return
    if fmt == "csv":
        write_csv(
            [{k: v for k, v in g.to_dict().items() if k != "moves"} for g in groups],
        )
        return
    if not result.total.requests:
        state.out.print(
            'no shadow decisions in this window: set [routing] mode = "shadow" (or a key\'s '
            "routing_mode) and let traffic run",
            markup=False,
        )
        return
    table = Table("class", "requests", "actual (USD)", "routed (USD)", "saving", "moves")
    for g in groups:
        share = f" ({g.saving / g.actual_cost:.0%})" if g.actual_cost else ""
        moves = ", ".join(f"{k} {v}" for k, v in sorted(g.moves.items()))
        table.add_row(*cells(
            g.name, g.requests, f"{g.actual_cost:.6f}", f"{g.shadow_cost:.6f}",
            f"{g.saving:.6f}{share}", moves,
        ))  # fmt: skip
    state.out.print(table)
    state.out.print(
        plain(
            "routed cost re-prices each answer's tokens at the router's tier; output length "
            "on another tier may differ"
        )
    )


def _runway_table(result: Runway) -> Table:
    table = Table(
        "pool", "covers", "amount", "used", "balance", "expires", "runs out", "unused at expiry"
    )
    for s in result.pools:
        table.add_row(*cells(
            s.pool.name, s.pool.covers, f"${s.pool.amount:,.2f}", f"${s.used:,.2f}",
            f"${s.balance:,.2f}", s.pool.expires.isoformat(),
            s.runs_out.isoformat() if s.runs_out else "-",
            f"${s.expires_unused:,.2f}" if s.expires_unused else "-",
        ))  # fmt: skip
    return table


def credits(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Credit pool balances, burn rate, run-out dates and when spend reaches the card."""
    state = state_of(ctx)
    settings = state.loaded().settings
    if not settings.credits:
        raise InvalidRequestError(
            "no credit pools are configured",
            hint="add [[credits]] entries (name, amount, start, expires, covers) to tierwise.toml",
        )
    today = datetime.now(UTC).date()
    result = runway(
        [c.pool() for c in settings.credits],
        daily_spend(load_rows(state, None)),
        today,
        warn_days=settings.credit_warning_days,
    )
    if as_json:
        write_json(runway_dict(result))
        return
    state.out.print(_runway_table(result))
    state.out.print(
        f"burn rate: ${result.burn_7d:,.2f}/day (7 days), ${result.burn_30d:,.2f}/day (30 days)"
    )
    card = result.card_from.isoformat() if result.card_from else "not within the forecast horizon"
    state.out.print(f"spend reaches the card: {card}")
    for warning in result.warnings:
        state.err.print(line(("warning:", "bold yellow"), " ", warning))

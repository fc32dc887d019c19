"""``tierwise plan SOURCE...``: what logged traffic would cost under tierwise's strategies."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from tierwise.cli.output import cells
from tierwise.cli.state import state_of
from tierwise.cli.stdin import stdin_file
from tierwise.config import Settings
from tierwise.core.caching import CachePolicy
from tierwise.core.credits import Runway
from tierwise.core.names import ModelNames
from tierwise.core.planning import AUTO, STRATEGIES, Planner, PlannerConfig, PlanResult, RouteChoice
from tierwise.core.tiers import Tier
from tierwise.errors import InvalidRequestError, TierwiseError

__all__ = ["caveats", "plan"]

NOTES = (
    "as is: the logged model and usage (cache reads and writes as logged), at the configured "
    "prices for that model's tier and profile kind; a model named the Anthropic or OpenAI API's "
    "way (claude-sonnet-4-5, gpt-4o) at the tier tierwise's name tables map it to; a tier name "
    '(haiku, sonnet, opus) at that tier\'s model; "auto" (tierwise routed it) at the tier the '
    "router picks.",
    "all Sonnet: the same usage on the Sonnet tier.",
    "routed: the tier tierwise's router picks for each request body, every prompt token "
    "uncached; output tokens are taken as logged on every tier.",
    "routed + caching: cache points placed as the gateway places them for the routed tier; "
    "reads and writes as the emulator bills them (a read looks back 20 blocks from each point "
    "for an entry written on the same tier within the TTL; a point caches only once it is the "
    "tier's cache minimum past the previous one: [tiers.*] cache_min_tokens, [caching] ttl).",
    "routed + caching + batch: requests tagged non-interactive in requestMetadata (or in "
    "--batch-classes) at the batch discount, uncached.",
    "Credit runway: the [[credits]] pools drawn down by each strategy's daily cost over the "
    "logged period, extended at its 7-day burn rate.",
    "Captures and ledger rows: token counts are the ledger's. A capture whose text was "
    "redacted or cut, and a ledger row (no text), is routed by the decision recorded with it.",
)


def _every_name_table(settings: Settings) -> ModelNames:
    """The aliases and both APIs' name tables, whichever doors the gateway opens: a log may
    come from either API."""
    tables = settings.model_names
    return ModelNames(
        settings.aliases, tables.anthropic_names, tables.openai_names, anthropic=True, openai=True
    )


def _tier_as_called(settings: Settings) -> Callable[[str], Tier | None]:
    """The tier of a model ID as logged: a configured tier's model (any profile or ARN), a
    tier name or alias, or another API's model name (both name tables: a log may come from
    either API whatever the gateway's doors allow)."""
    names = _every_name_table(settings)

    @lru_cache(maxsize=4096)
    def tier_of(model_id: str) -> Tier | None:
        tier = settings.tier_of_model(model_id)
        if tier is not None:
            return tier
        target = names.resolve(model_id)
        if target is None:
            return None
        try:
            return Tier(target.strip().lower())
        except ValueError:
            return settings.tier_of_model(target)

    return tier_of


def _tier_named(settings: Settings) -> Callable[[str], Tier | Literal["auto"] | None]:
    """What a logged model name stands for, as the gateway resolves a request's ``model``:
    a tier name in any case or an alias of one (that tier), ``auto`` or an alias of it
    (routed by tierwise), else None (a model ID, priced by ``_tier_as_called``). Another
    API's name (gpt-4o) stands for its tier even while the gateway's [model_names] switch
    is off: read as a model ID it was priced as a Regional one, 10% above its tier's model."""
    names = _every_name_table(settings)

    @lru_cache(maxsize=4096)
    def tier_name(model_id: str) -> Tier | Literal["auto"] | None:
        name = (names.resolve(model_id) or model_id).strip().lower()
        if name == AUTO:
            return AUTO
        try:
            return Tier(name)
        except ValueError:
            return None

    return tier_name


# Seconds between progress lines when stderr is no terminal.
LOG_EVERY_S = 30.0


def _routed_by_workers(request: Any) -> RouteChoice:
    raise RuntimeError("plan routes requests with tierwise.planner.workers.routed")


def _config(
    settings: Settings,
    *,
    batch_classes: frozenset[str],
    ttl: str,
    apps: dict[str, str],
) -> PlannerConfig:
    return PlannerConfig(
        rates=settings.all_rates(),
        tier_models={t: settings.tier(t).model_id for t in Tier.ordered()},
        cache_min_tokens={t: settings.tier(t).cache_min_tokens for t in Tier.ordered()},
        supports_caching={t: settings.tier(t).supports_caching for t in Tier.ordered()},
        route=_routed_by_workers,
        tier_of=_tier_as_called(settings),
        tier_name=_tier_named(settings),
        default_tier=settings.default_tier,
        ttl=ttl,
        placement=CachePolicy(
            min_document_tokens=settings.caching.min_document_tokens,
            first_turn=settings.caching.first_turn,
        ),
        applications=apps,
        batch_classes=batch_classes,
    )


def _summary(result: PlanResult, ways: Mapping[str, Runway]) -> Table:
    """Cost and saving per strategy; with [[credits]] pools, when spend reaches the card."""
    columns = ["strategy", "cost (USD)", "saved (USD)", "saved"]
    if ways:
        columns += ["burn/day (7d)", "spend reaches the card"]
    table = Table(*columns, title="tierwise plan")
    base = result.totals["as_is"]
    for name in STRATEGIES:
        saved = result.savings(name)
        share = f"{saved / base:.1%}" if base else "-"
        row = [name, f"{result.totals[name]:.4f}", f"{saved:.4f}", share]
        way = ways.get(name)
        if way is not None:
            card = way.card_from.isoformat() if way.card_from else "not within 3 years"
            row += [f"{way.burn_7d:.2f}", card]
        table.add_row(*cells(*row))
    return table


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def caveats(result: PlanResult, ttl: str = "5m") -> list[str]:
    """What the figures rest on besides the logged facts, one line each (only those that
    apply): caching that costs more than it saves, estimated tokens, redacted text, recorded
    routes, unpriced models."""
    lines = []
    extra = result.totals["routed_cached"] - result.totals["routed"]
    if extra > 0:
        lines.append(
            f"Caching costs ${extra:.4f} more than it saves here: {result.cache_writes:,} "
            f"cache writes and {result.cache_reads:,} reads within the {ttl} TTL (shared "
            "prefixes come back too rarely)"
            + ("; try --ttl 1h." if ttl == "5m" else '; [caching] mode = "off" avoids it.')
        )
    if result.redacted:
        lines.append(
            f"{result.redacted:,} requests had redacted or cut text (captures): token counts "
            "are the ledger's, and each is routed by the decision recorded with it (made on "
            "the full text) where there is one."
        )
    if result.rejected_attempts:
        lines.append(
            f"{result.rejected_attempts:,} billed attempts whose answer was rejected and "
            "escalated count in the as-is cost only; each request counts once, by its answer."
        )
    if result.recorded_routes:
        lines.append(
            f"{result.recorded_routes:,} requests routed by their recorded decision "
            "(ledger rows, redacted captures), not by the current router."
        )
    if result.estimated_usage:
        lines.append(f"{result.estimated_usage:,} requests had no token counts: estimated.")
    if result.no_body:
        lines.append(
            f"{result.no_body:,} requests had no body and no recorded route: kept their tier."
        )
    if result.auto_as_is:
        lines.append(
            f'{result.auto_as_is:,} requests name model "auto" (tierwise routed them): priced '
            "as is at the tier the router picks."
        )
    if result.no_model:
        lines.append(
            f"{result.no_model:,} requests name no model: excluded from every strategy "
            "(what they ran on is unknown, so no saving is claimed on them)."
        )
    if result.unpriced > result.no_model:
        lines.append(
            f"{result.unpriced - result.no_model:,} requests name a model in no tier: excluded "
            "from every strategy; for an application inference profile pass "
            "--app-profile ARN=MODEL_ID."
        )
    return lines


def plan(
    ctx: typer.Context,
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Invocation logs (file, directory, s3://bucket/prefix), CloudWatch exports, "
            "OpenAI/Anthropic JSONL, a ledger URL (sqlite:///... postgresql://...), or "
            "captures: (the configured ledger's captures) / captures:LEDGER_URL, or "
            "bedrock-logs: (the S3 logs Bedrock's logging configuration names); `-` reads "
            "JSONL from standard input."
        ),
    ],
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write the CSV here.")] = None,
    html_path: Annotated[
        Path | None, typer.Option("--html", help="Write the HTML report here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    batch_tag: Annotated[
        str, typer.Option(help="requestMetadata KEY=VALUE that marks a request as batchable.")
    ] = "tierwise-batch=true",
    batch_classes: Annotated[
        str, typer.Option(help="Task classes to run as batch, separated by commas.")
    ] = "",
    ttl: Annotated[
        str, typer.Option(help="Cache TTL to simulate: 5m or 1h (default: [caching] ttl).")
    ] = "",
    app_profile: Annotated[
        list[str] | None,
        typer.Option(
            metavar="<str>",
            help="APPLICATION_PROFILE_ARN=MODEL_ID (repeatable), for logs that name them.",
        ),
    ] = None,
    ask_bedrock: Annotated[
        bool,
        typer.Option(
            "--ask-bedrock/--offline",
            help="Ask Bedrock (GetInferenceProfile) which model an application inference "
            "profile in the logs runs, unless --app-profile names it.",
        ),
    ] = True,
    rules_only: Annotated[
        bool,
        typer.Option("--rules-only", help="Route without the learned difficulty model (faster)."),
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
    workers: Annotated[
        int,
        typer.Option(
            help="Processes that route requests in parallel (0: one per CPU). Routing is most "
            "of a plan's time; reading and pricing stay in this process, in log order."
        ),
    ] = 1,
) -> None:
    """Re-price logged traffic: as is, all Sonnet, routed, + caching, + batch."""
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from tierwise.planner.discover import BEDROCK_LOGS, logs_uri
    from tierwise.planner.profiles import ProfileResolver
    from tierwise.planner.readers import BatchTag, ReadStats, local_size, read_sources
    from tierwise.planner.report import csv_text, html_report, runways
    from tierwise.planner.workers import routed

    state = state_of(ctx)
    settings = state.loaded().settings
    key, sep, value = batch_tag.partition("=")
    if not sep or not key:
        raise InvalidRequestError(
            f"--batch-tag {batch_tag!r} is not KEY=VALUE",
            hint="e.g. --batch-tag tierwise-batch=true",
        )
    chosen_ttl = ttl or settings.caching.ttl
    if chosen_ttl not in ("5m", "1h"):
        raise InvalidRequestError(f"--ttl {ttl!r} is not a cache TTL", hint="use 5m or 1h")
    apps: dict[str, str] = {}
    for item in app_profile or []:
        arn, sep, model = item.partition("=")
        if not sep or not arn.startswith("arn:") or not model:
            raise InvalidRequestError(
                f"--app-profile {item!r} is not ARN=MODEL_ID",
                hint="e.g. --app-profile arn:aws:bedrock:us-east-1:123456789012:"
                "application-inference-profile/abc=anthropic.claude-sonnet-4-5-20250929-v1:0",
            )
        apps[arn] = model
    if BEDROCK_LOGS in sources:
        from tierwise.bedrock import BedrockClient

        found = logs_uri(BedrockClient(settings).logging_configuration(), settings.region)
        state.err.print(
            f"{BEDROCK_LOGS} Bedrock logs {settings.region}'s invocations to {found}",
            highlight=False,
            markup=False,
        )
        sources = [found if s == BEDROCK_LOGS else s for s in sources]
    if workers < 0:
        raise InvalidRequestError(f"--workers {workers}", hint="use 0 (one per CPU) or more")
    if sources.count("-") > 1:
        raise InvalidRequestError(
            f"`-` given {sources.count('-')} times",
            hint="standard input is read once: name it once",
        )
    if "-" in sources:
        piped = str(stdin_file(ctx, Path("-")))
        sources = [piped if s == "-" else s for s in sources]
    config = _config(
        settings,
        batch_classes=frozenset(c.strip() for c in batch_classes.split(",") if c.strip()),
        ttl=chosen_ttl,
        apps=apps,
    )
    stats = ReadStats()
    planner = Planner(config)

    def s3_client() -> Any:
        import boto3

        return boto3.client(
            "s3", region_name=settings.region, endpoint_url=settings.batch.s3_endpoint_url or None
        )

    def ask(arn: str) -> str | None:
        from tierwise.bedrock import BedrockClient

        models = BedrockClient(settings).inference_profile(arn).model_ids
        return models[0] if models else None

    def cannot_ask(arn: str, error: TierwiseError) -> None:
        state.err.print(
            f"could not ask Bedrock which model {arn} runs ({error.message}); it is priced 0 "
            f"as is: pass --app-profile {arn}=MODEL_ID",
            highlight=False,
            markup=False,
        )

    profiles = ProfileResolver(
        apps,
        ask if ask_bedrock else None,
        cannot_ask,
        configured=lambda arn: settings.tier_of_model(arn) is not None,
    )
    records = profiles.resolving(
        read_sources(
            sources,
            tag=BatchTag(key, value),
            stats=stats,
            s3_client=s3_client,
            ledger_url=settings.ledger.resolved_url(),
        )
    )
    # On a terminal, a live bar; on a pipe or a log file (where a live bar shows nothing
    # until it ends), a plain line every LOG_EVERY_S seconds and at the end.
    live = progress and state.err.is_terminal
    # Local files have a known size: the bar then shows the share read and the time left.
    total = local_size(sources) if progress else None
    with Progress(
        TextColumn("[bold]planning"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn(
            "{task.fields[records]} records · {task.fields[files]} files · {task.fields[rate]}/s"
        ),
        TimeElapsedColumn(),
        TextColumn("{task.fields[left]}"),
        console=state.err,
        disable=not live,
        transient=False,
    ) as bar:
        task = bar.add_task("plan", total=total or None, records=0, files=0, rate="-", left="")
        started = last = time.monotonic()
        every = 0.25 if live else LOG_EVERY_S

        def show(done: int) -> None:
            seconds = max(time.monotonic() - started, 1e-9)
            rate = f"{done / seconds:,.0f}"
            read = stats.bytes_read + stats.position
            share = min(read / total, 1.0) if total else None
            left = ""
            if share is not None and 0 < share < 1:
                left = f"~{_clock(seconds * (1 - share) / share)} left"
            if live:
                bar.update(
                    task,
                    completed=read if total else done,
                    records=f"{done:,}",
                    files=f"{stats.files:,}",
                    rate=rate,
                    left=left,
                )
            elif progress:
                state.err.print(
                    f"planning: {done:,} records · {stats.files:,} files · {rate}/s · "
                    f"{_clock(seconds)}"
                    + (f" · {share:.0%} read" if share is not None else "")
                    + (f" · {left}" if left else ""),
                    highlight=False,
                    markup=False,
                )

        pairs = routed(
            records, settings, use_model=not rules_only, workers=workers or os.cpu_count() or 1
        )
        for i, (inv, choice) in enumerate(pairs, start=1):
            planner.add(inv, choice)
            # Progress moves by the clock, however fast records arrive (with --workers they
            # arrive a chunk at a time); the clock is read every 64 records.
            if progress and i % 64 == 0 and time.monotonic() - last >= every:
                last = time.monotonic()
                show(i)
        show(planner.result.requests)
    result = planner.result
    if result.requests == 0:
        raise InvalidRequestError(
            f"no invocation records found in {', '.join(sources)}",
            hint="point at Bedrock invocation logs (*.json.gz), a JSONL of requests, a ledger "
            "URL or captures:",
        )
    pools = [c.pool() for c in settings.credits]
    ways = runways(result, pools, settings.credit_warning_days)
    if csv_path is not None:
        csv_path.write_text(csv_text(result), "utf-8")
        state.err.print(f"wrote {csv_path}", highlight=False)
    if html_path is not None:
        notes = [
            *NOTES,
            f"Read {stats.records:,} records from {stats.files:,} files; "
            f"skipped {stats.skipped_errors:,} failed calls and "
            f"{stats.skipped_unreadable:,} unreadable lines.",
            *caveats(result, chosen_ttl),
        ]
        page = html_report(
            result, ways, sources=sources, generated=datetime.now(UTC).date(), notes=notes
        )
        html_path.write_text(page, "utf-8")
        state.err.print(f"wrote {html_path}", highlight=False)
    if as_json:
        payload = result.to_dict()
        payload["read"] = {
            "files": stats.files,
            "records": stats.records,
            "skipped_errors": stats.skipped_errors,
            "skipped_unreadable": stats.skipped_unreadable,
            "kinds": stats.kinds,
            "bodies_offloaded": stats.bodies_offloaded,
            "bodies_missing": stats.bodies_missing,
        }
        from tierwise.reports import rate_usd

        payload["credit_runway"] = {
            name: {
                "card_from": w.card_from.isoformat() if w.card_from else None,
                "burn_7d_usd": rate_usd(w.burn_7d),
            }
            for name, w in ways.items()
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    state.out.print(_summary(result, ways))
    mix = ", ".join(f"{t} {n:,}" for t, n in sorted(result.tier_mix_routed.items()))
    period = (
        f" from {result.first:%Y-%m-%d} to {result.last:%Y-%m-%d}"
        if result.first and result.last
        else ""
    )
    state.out.print(
        f"{result.requests:,} requests{period}; routed tier mix: {mix}", highlight=False
    )
    for text in caveats(result, chosen_ttl):
        state.out.print(text, highlight=False)
    if stats.skipped_unreadable:
        # In no figure above: the JSON ("read") and the HTML notes said so, the summary did not.
        state.out.print(
            f"{stats.skipped_unreadable:,} lines skipped: not JSON, or holding no request; "
            "they are in no figure above.",
            highlight=False,
        )

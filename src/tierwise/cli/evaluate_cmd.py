"""``tierwise evaluate`` and ``tierwise capture``: evidence per class from your own traffic."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tierwise.capture import task_class_of
from tierwise.cli.output import cells, plain, write_json, write_raw
from tierwise.cli.state import CliState, state_of
from tierwise.cli.stdin import STDIN_HELP, stdin_file
from tierwise.config import DEFAULT_CONFIG_NAME, Settings, update_config_file
from tierwise.core.evaluation import ClassReport, class_reports, stratified_sample
from tierwise.core.pricing import price
from tierwise.core.tiers import Tier
from tierwise.errors import InvalidRequestError, TierwiseError
from tierwise.reports import parse_since

if TYPE_CHECKING:
    from tierwise.client import Tierwise
    from tierwise.evaluator import EvalItem
    from tierwise.store import LedgerRow

__all__ = ["capture_app", "class_tiers", "evaluate", "policy_changes"]

capture_app = typer.Typer(help="Captured requests (opt-in): list and purge.", no_args_is_help=True)


def class_tiers(settings: Settings) -> dict[str, Tier]:
    """Each task class's tier under the configured policy (``[routing.classes.<name>]``)."""
    classes = settings.model_dump(mode="json").get("routing", {}).get("classes") or {}
    out: dict[str, Tier] = {}
    for name, entry in classes.items():
        tier = entry.get("tier") if isinstance(entry, Mapping) else entry
        if isinstance(tier, str) and tier in {t.value for t in Tier}:
            out[str(name)] = Tier(tier)
    return out


def policy_changes(reports: Sequence[ClassReport], settings: Settings) -> dict[str, str]:
    """The policy changes the reports recommend, as dotted config keys: a class's tier, and
    the ``min_tier``/``max_tier`` its evidence sets for the difficulty stage. A configured
    bound the new tier would fall outside is moved to that tier, so the result is valid."""
    configured = settings.routing.classes
    changes: dict[str, str] = {}
    for r in reports:
        key = f"routing.classes.{r.task_class}"
        if r.changes:
            changes[f"{key}.tier"] = r.recommended.value
        line = configured.get(r.task_class)
        low = line.min_tier if line else None
        high = line.max_tier if line else None
        want_low, want_high = r.floor, r.ceiling
        if want_low is None and low is not None and low.rank > r.recommended.rank:
            want_low = r.recommended
        if want_high is None and high is not None and high.rank < r.recommended.rank:
            want_high = r.recommended
        if want_low is not None and want_low is not low:
            changes[f"{key}.min_tier"] = want_low.value
        if want_high is not None and want_high is not high:
            changes[f"{key}.max_tier"] = want_high.value
    return changes


def _check_class(name: str | None) -> None:
    """--class names one of the task classes (a typo listed nothing, or evaluated nothing)."""
    from tierwise.core.taxonomy import TASK_CLASSES

    if name is not None and name not in TASK_CLASSES:
        raise InvalidRequestError(
            f"--class {name!r} is not a task class", hint=f"use one of: {', '.join(TASK_CLASSES)}"
        )


def _tiers(value: str) -> list[Tier]:
    try:
        return [Tier(part.strip().lower()) for part in value.split(",") if part.strip()]
    except ValueError:
        raise InvalidRequestError(
            f"--tiers {value!r} is not a list of tiers",
            hint="a comma-separated list of haiku, sonnet, opus",
        ) from None


def _budget(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise InvalidRequestError(
            f"--budget-usd {value!r} is not a number", hint="e.g. --budget-usd 5"
        ) from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidRequestError("--budget-usd must be a positive amount", hint="e.g. 5")
    return amount


def _production(rows: list[LedgerRow]) -> list[LedgerRow]:
    return [r for r in rows if (r.metadata or {}).get("purpose") is None and r.status == "ok"]


def _volume_and_cost(
    rows: list[LedgerRow], settings: Settings, days: int
) -> tuple[dict[str, float], Callable[[str, Tier], Decimal]]:
    """Requests per month per class, and a class's mean cost per request on a tier (its
    real token counts re-priced at that tier's rates)."""
    by_class: dict[str, list[LedgerRow]] = defaultdict(list)
    for row in rows:
        name = task_class_of(row.route)
        if name is not None:
            by_class[name].append(row)
    scale = 30 / max(days, 1)
    volume = {name: len({r.request_id for r in group}) * scale for name, group in by_class.items()}
    rates = settings.all_rates()

    def cost(name: str, tier: Tier) -> Decimal:
        group = by_class.get(name) or []
        requests = len({r.request_id for r in group}) or 1
        # Re-priced through the profile and service tier each request really ran on.
        total = sum(
            (
                price(
                    r.usage,
                    rates[tier],
                    batch=r.batch,
                    model_id=r.model_id or None,
                    service_tier=(r.metadata or {}).get("service_tier"),
                ).total
                for r in group
            ),
            Decimal(0),
        )
        return total / requests

    return volume, cost


def _table(reports: Sequence[ClassReport]) -> Table:
    table = Table("class", "n", "haiku pass", "sonnet pass", "current", "recommended",
                  "held within", "risk", "saving/month")  # fmt: skip
    for r in reports:
        by_tier: dict[str, str] = {}
        for ev in r.evidence:
            low, high = ev.interval
            by_tier[ev.tier.value] = f"{ev.rate:.0%} [{low:.0%}-{high:.0%}] n={ev.n}"
        table.add_row(*cells(
            r.task_class, r.samples, by_tier.get("haiku", "-"),
            by_tier.get("sonnet", "-") if r.reference is not Tier.SONNET else "reference",
            r.current.value if r.current else "-", r.recommended.value, _held(r),
            f"{r.risk:.1%}",
            f"${r.monthly_saving:,.2f}",
        ))  # fmt: skip
    return table


def _held(report: ClassReport) -> str:
    """The difficulty stage's bounds the evidence sets, as ``min..max`` ("-" for none)."""
    if report.floor is None and report.ceiling is None:
        return "-"
    low = report.floor.value if report.floor else ""
    high = report.ceiling.value if report.ceiling else ""
    return f"{low}..{high}"


def _items(
    state: CliState, tw: Tierwise, source: Path | None, since: datetime, only: str | None
) -> list[EvalItem]:
    from tierwise.evaluator import EvalItem, classify_with, items_from_jsonl
    from tierwise.store.captures import CaptureStore
    from tierwise.store.sql import SQLLedger

    if source is not None:
        items = items_from_jsonl(source, classify_with(tw))
    else:
        if not isinstance(tw.ledger, SQLLedger):
            raise InvalidRequestError("captures live in a SQL ledger; this ledger is not one")
        captures = CaptureStore(tw.ledger).list(since=since)
        if not captures:
            raise InvalidRequestError(
                "no captured requests to evaluate",
                hint="turn capture on ([capture] sample_rate = 0.05) and let traffic run, or "
                "pass --from requests.jsonl",
            )
        classify = classify_with(tw)
        items = [
            EvalItem(
                f"capture-{c.id}",
                c.request,
                c.task_class or classify(c.request),
            )
            for c in captures
        ]
    if only is not None:
        items = [i for i in items if i.task_class == only]
        if not items:
            raise InvalidRequestError(
                f"no requests of class {only!r} to evaluate",
                hint="leave --class out, or pick a class the requests have",
            )
    return items


def evaluate(
    ctx: typer.Context,
    sample: Annotated[int, typer.Option(help="How many requests to replay (stratified).")] = 200,
    task_class: Annotated[str | None, typer.Option("--class", help="Only this class.")] = None,
    tiers: Annotated[
        str, typer.Option(help="Tiers to compare; the strongest is the reference.")
    ] = "haiku,sonnet,opus",
    budget_usd: Annotated[str, typer.Option(help="Spend cap for the whole run (USD).")] = "5",
    quality: Annotated[float, typer.Option(help="Pass rate a tier must reach.")] = 0.9,
    judge: Annotated[str, typer.Option(help="Tier of the pairwise judge.")] = "opus",
    source: Annotated[
        Path | None,
        typer.Option("--from", help="JSONL of requests instead of captures;" + STDIN_HELP),
    ] = None,
    since: Annotated[str, typer.Option(help="Captures and volume from this window.")] = "30d",
    out: Annotated[Path, typer.Option(help="Labelled outcomes (JSONL).")] = Path(
        "tierwise-outcomes.jsonl"
    ),
    html: Annotated[Path, typer.Option(help="The report page.")] = Path("tierwise-evaluation.html"),
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the changes to the config.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = 0,
    min_samples: Annotated[
        int, typer.Option(help="Samples per tier a class needs before it may move.")
    ] = 20,
    batch_min_records: Annotated[
        int | None,
        typer.Option(
            help="Replay through Bedrock batch (batch price) from this many requests on; 0 "
            "never. Default: [evaluation] batch_min_records."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Replay a sample of requests on neighbouring tiers, judge each cheaper answer against
    the strongest tier's, and recommend a tier per class (with --apply, write it)."""
    from tierwise.client import Tierwise
    from tierwise.evaluation_report import render_html
    from tierwise.evaluator import Evaluator, write_outcomes

    if not 0 < quality <= 1:
        raise InvalidRequestError("--quality must be in (0, 1]", hint="e.g. 0.9")
    if sample < 1:
        raise InvalidRequestError("--sample must be at least 1", hint="e.g. --sample 400")
    _check_class(task_class)
    state = state_of(ctx)
    loaded = state.loaded()
    settings = loaded.settings
    chosen_tiers = _tiers(tiers)
    try:
        judge_tier = Tier.parse(judge)
    except InvalidRequestError:
        # It was read as a --tiers list: "--tiers 'ultra'", and an IndexError for "".
        raise InvalidRequestError(
            f"--judge {judge!r} is not a tier", hint="use haiku, sonnet or opus (default opus)"
        ) from None
    cap = _budget(budget_usd)
    start = parse_since(since, datetime.now(UTC))
    with Tierwise.from_settings(settings) as tw:
        items = _items(state, tw, stdin_file(ctx, source), start, task_class)
        picked = stratified_sample(items, key=lambda i: i.task_class, n=sample, seed=seed)
        if batch_min_records is not None and batch_min_records < 0:
            raise InvalidRequestError(
                "--batch-min-records must be 0 or more",
                hint="e.g. --batch-min-records 100 (Bedrock's usual minimum per job)",
            )
        evaluator = Evaluator(
            tw,
            tiers=chosen_tiers,
            budget_usd=cap,
            judge_tier=judge_tier,
            batch_min_records=batch_min_records,
        )
        with Progress(
            TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=state.err, transient=True,
        ) as bar:  # fmt: skip
            task = bar.add_task("evaluate", total=len(picked))
            run = evaluator.run(picked, progress=lambda: bar.advance(task))
        days = max((datetime.now(UTC) - start).days, 1)
        volume, cost = _volume_and_cost(_production(tw.ledger.rows(since=start)), settings, days)
    write_outcomes(out, run.records)
    reports = class_reports(
        run.outcomes,
        reference=evaluator.reference,
        quality_target=quality,
        current=class_tiers(settings),
        monthly_requests=volume,
        monthly_cost_per_request=cost,
        min_samples=min_samples,
    )
    notes = [
        f"{len(run.outcomes)} of {len(picked)} sampled requests evaluated with {run.calls} "
        f"calls costing ${run.spent:.4f} (budget ${cap}), ledgered with purpose evaluation",
        f"reference tier {evaluator.reference.value}; judge {judge_tier.value}",
        f"{run.batched} of the calls ran in Bedrock batch jobs at the batch price"
        if run.batched
        else "every call ran on demand",
    ]
    failed = sum(run.failed.values())
    if failed:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(run.failed.items()))
        notes.append(
            f"{failed} of the {run.calls} calls failed ({kinds}): their ledger rows (purpose "
            "evaluation, status error) say why"
        )
    if run.stopped:
        notes.append(f"stopped early: {run.stopped}")
    html.write_text(render_html(reports, title="tierwise evaluation", notes=notes), "utf-8")
    changes = policy_changes(reports, settings)
    if as_json:
        payload = {
            "classes": [r.to_dict() for r in reports],
            "changes": changes,
            "spent_usd": str(run.spent),
            "calls": run.calls,
            "batched_calls": run.batched,
            "stopped": run.stopped,
            "failed_calls": dict(run.failed),
            "outcomes": str(out),
            "html": str(html),
        }
        write_json(payload)
    else:
        state.out.print(_table(reports))
        for note in notes:
            state.out.print(plain(note))
        state.out.print(plain(f"outcomes: {out}; report: {html}"))
    if failed and not run.outcomes:
        # Nothing was measured: "no policy changes recommended" and exit 0 read as a verdict.
        raise TierwiseError(
            f"no sampled request could be evaluated: {failed} of the {run.calls} calls failed",
            hint="the failed calls' ledger rows (purpose evaluation) name each error; fix its "
            "cause (endpoint, credentials, model access, the requests) and run again",
        )
    _apply(state, changes, apply, quiet=as_json)


def _apply(state: CliState, changes: dict[str, str], apply: bool, *, quiet: bool) -> None:
    loaded = state.loaded()
    now = loaded.settings.routing.classes
    if not changes:
        if not quiet:
            state.out.print("no policy changes recommended")
        return
    if not apply:
        if not quiet:
            state.out.print(
                "recommended changes (not written; --apply writes them, on a run of its "
                "own within --budget-usd):"
            )
            for key, tier in changes.items():
                _, _, name, field = key.split(".")
                line = now.get(name)
                was = getattr(line, field, None) if line is not None else None
                said = f'"{was.value}"' if isinstance(was, Tier) else "unset"
                state.out.print(plain(f'  {key} = "{tier}"   # was {said}'))
        return
    path = loaded.config_path or Path.cwd() / DEFAULT_CONFIG_NAME
    update_config_file(Path(path), changes)
    if not quiet:
        state.out.print(plain(f"wrote {len(changes)} change(s) to {path}"))


@capture_app.command("list")
def capture_list(
    ctx: typer.Context,
    task_class: Annotated[str | None, typer.Option("--class", help="Only this class.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Full records as JSON lines.")] = False,
) -> None:
    """Captured requests (newest last)."""
    _check_class(task_class)
    with _CaptureSession(ctx) as store:
        rows = store.list(task_class=task_class)[-limit:] if limit > 0 else []
    if as_json:
        for row in rows:
            write_raw(json.dumps(row.to_dict(), sort_keys=True, default=str))
        return
    table = Table("id", "time", "class", "tier", "redactions", "cost (USD)")
    for row in rows:
        table.add_row(*cells(
            row.id, row.ts.strftime("%Y-%m-%d %H:%M"), row.task_class or "-",
            row.tier or "-", row.redactions, f"{row.cost_usd:.6f}",
        ))  # fmt: skip
    state_of(ctx).out.print(table)


@capture_app.command("purge")
def capture_purge(
    ctx: typer.Context,
    older_than: Annotated[
        str | None, typer.Option(help="Only captures older than this (30d, 12h, a date).")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False,
) -> None:
    """Delete captured requests (all, or those older than --older-than)."""
    before = (
        parse_since(older_than, datetime.now(UTC), option="--older-than", window=False)
        if older_than
        else None
    )
    if not yes:
        what = "all captures" if before is None else f"captures before {before:%Y-%m-%d}"
        # Asked on stderr (stdout carries the result alone; click's prompt writes a space
        # to stdout even with err=True); a closed stdin is no answer.
        sys.stderr.write(f"delete {what}? [y/N]: ")
        sys.stderr.flush()
        answer = sys.stdin.readline()
        if not sys.stdin.isatty():  # no echoed Enter ends the question's line
            sys.stderr.write("\n")
        if answer.strip().lower() not in ("y", "yes"):
            raise InvalidRequestError(
                "nothing deleted: the deletion was not confirmed",
                hint="answer y, or pass --yes to delete without asking",
            )
    with _CaptureSession(ctx) as store:
        removed = store.purge(before=before)
    state_of(ctx).out.print(f"deleted {removed} capture(s)")


class _CaptureSession:
    """The capture store of the configured ledger, opened and closed around a command."""

    def __init__(self, ctx: typer.Context) -> None:
        self.state = state_of(ctx)

    def __enter__(self) -> Any:
        from tierwise.store import open_ledger
        from tierwise.store.captures import CaptureStore
        from tierwise.store.sql import SQLLedger

        self.ledger = open_ledger(self.state.loaded().settings.ledger.resolved_url())
        if not isinstance(self.ledger, SQLLedger):
            self.ledger.close()
            raise InvalidRequestError("captures live in a SQL ledger; this ledger is not one")
        return CaptureStore(self.ledger)

    def __exit__(self, *exc: object) -> None:
        self.ledger.close()

"""``tierwise batch submit|status|collect|cancel``: Bedrock batch inference at batch prices."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from tierwise.cli.output import cells, line, plain, write_raw
from tierwise.cli.state import CliState, state_of
from tierwise.cli.stdin import STDIN_HELP, stdin_file

__all__ = ["app"]

app = typer.Typer(
    help="Run non-interactive work through Bedrock batch inference.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
_FINAL = {"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"}


def _runner(state: CliState):  # type: ignore[no-untyped-def]
    from tierwise.batch import BatchRunner
    from tierwise.client import Tierwise

    return BatchRunner(Tierwise.from_settings(state.loaded().settings))


@app.command("submit")
def submit(
    ctx: typer.Context,
    requests: Annotated[
        Path,
        typer.Argument(help="JSONL: custom_id + converse|openai|anthropic;" + STDIN_HELP),
    ],
    name: Annotated[str | None, typer.Option(help="A name for the batch.")] = None,
    on_demand_fallback: Annotated[
        bool, typer.Option("--on-demand-fallback", help="Run records batch refuses on demand.")
    ] = False,
    small_groups: Annotated[
        str | None, typer.Option(help="Groups below the minimum: on-demand or wait.")
    ] = None,
) -> None:
    """Route each record, group per model, upload to S3 and create one job per model."""
    state = state_of(ctx)
    runner = _runner(state)
    given = str(requests)
    batch_id = runner.submit(
        stdin_file(ctx, requests) or requests,
        name=name,
        on_demand_fallback=on_demand_fallback,
        small_groups=small_groups,
        input_name="(stdin)" if given == "-" else given,
    )
    records = runner.store.records(batch_id)
    table = Table("mode", "records", title=f"batch {batch_id}")
    for mode in ("batch", "on-demand", "refused", "waiting"):
        n = sum(1 for r in records if r.mode == mode)
        if n:
            table.add_row(*cells(mode, n))
    # The summary goes to stderr, as converse's tier and cost do: stdout is the id alone,
    # so `id=$(tierwise batch submit ...)` is the id (it also held the table).
    state.err.print(table)
    for r in records:
        if r.mode in ("refused", "waiting"):
            state.err.print(line((r.mode, "yellow"), f" {r.custom_id}: {r.reason}"))
    write_raw(batch_id)


@app.command("status")
def status(
    ctx: typer.Context,
    batch: Annotated[str | None, typer.Argument(help="Batch id (default: list batches).")] = None,
    watch: Annotated[bool, typer.Option("--watch", help="Poll until every job finishes.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls with --watch.")] = 30.0,
) -> None:
    """Job progress (processed, succeeded, failed) from GetModelInvocationJob."""
    state = state_of(ctx)
    runner = _runner(state)
    if batch is None:
        table = Table("batch", "name", "created", "records")
        for b in runner.store.batches():
            table.add_row(*cells(b["id"], b["name"], b["created_at"][:19], b["record_count"]))
        state.out.print(table)
        return
    columns = (TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[detail]}", markup=False))  # fmt: skip
    jobs = runner.status(batch)
    if not jobs:
        # Every record ran on demand, was refused or waits: no job, no bar (it printed nothing).
        modes = Counter(record.mode for record in runner.store.records(batch))
        summary = ", ".join(f"{n} {mode}" for mode, n in sorted(modes.items())) or "no records"
        state.out.print(
            plain(
                f"batch {batch}: no Bedrock batch job ({summary}); "
                f"`tierwise batch collect {batch}` writes the results"
            )
        )
        return
    with Progress(*columns, console=state.out) as progress:
        tasks: dict[str, TaskID] = {}
        while True:
            for job in jobs:
                total = int(job.detail.get("totalRecordCount") or 0) or None
                done = int(job.detail.get("processedRecordCount") or 0)
                detail = (f"{job.status}: {job.detail.get('successRecordCount') or 0} ok, "
                          f"{job.detail.get('errorRecordCount') or 0} failed")  # fmt: skip
                if job.job_arn not in tasks:
                    tasks[job.job_arn] = progress.add_task(job.model_id, total=total, detail="")
                progress.update(tasks[job.job_arn], completed=done, total=total, detail=detail)
            if not watch or all(j.status in _FINAL for j in jobs):
                break
            time.sleep(interval)
            jobs = runner.status(batch)


@app.command("collect")
def collect(
    ctx: typer.Context,
    batch: Annotated[str, typer.Argument(help="Batch id.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Results JSONL.")] = Path(
        "results.jsonl"
    ),
) -> None:
    """Download results, join by recordId, price at the batch rate and ledger them (once)."""
    state = state_of(ctx)
    results = _runner(state).collect(batch, output)
    counts: dict[str, int] = {}
    for r in results:
        counts[r["state"]] = counts.get(r["state"], 0) + 1
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    state.out.print(plain(f"wrote {len(results)} lines to {output} ({summary})"))


@app.command("cancel")
def cancel(ctx: typer.Context, batch: Annotated[str, typer.Argument(help="Batch id.")]) -> None:
    """Stop the batch's unfinished jobs."""
    state = state_of(ctx)
    stopped = _runner(state).cancel(batch)
    if not stopped:
        # A no-op, not a failure: a batch whose jobs all ended, or that ran none (every record
        # on demand), is already where cancel would take it.
        state.out.print(plain(f"nothing to stop: batch {batch} has no unfinished job"))
        return
    state.out.print(f"stopping {len(stopped)} job(s)")

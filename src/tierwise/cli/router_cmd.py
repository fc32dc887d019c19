"""``tierwise router train|eval|calibrate``: fit, measure and tune the learned router."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from tierwise.cli.output import cells, plain
from tierwise.cli.state import CliState, state_of
from tierwise.errors import ConfigError

if TYPE_CHECKING:
    from tierwise.router.dataset import Example

__all__ = ["app"]

app = typer.Typer(
    help="Train, evaluate and calibrate the learned router.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _require_train_extra() -> None:
    try:
        import numpy  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError:
        raise ConfigError(
            "training and evaluation need numpy and scikit-learn",
            hint="pip install 'tierwise[train]'",
        ) from None


def _examples(data: Path | None, user_file: Path | None) -> tuple[list[Example], list[Example]]:
    from tierwise.router.dataset import load_routellm, load_user_jsonl, split

    if user_file is not None:
        return split(load_user_jsonl(user_file))
    return split(load_routellm(data))


def _progress(state: CliState) -> Progress:
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=state.err
    )


@app.command("train")
def train_cmd(
    ctx: typer.Context,
    data: Annotated[
        Path | None,
        typer.Option(help="Your own outcomes (JSONL: prompt + weak/strong or per-tier scores)."),
    ] = None,
    routellm: Annotated[
        Path | None, typer.Option(help="RouteLLM evals directory (default: shared data).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Where to write the model file.")] = None,
    alpha: Annotated[float, typer.Option(help="Ridge regularisation strength.")] = 10.0,
) -> None:
    """Fit the difficulty model on the TRAIN half (deterministic: same data, same weights)."""
    _require_train_extra()
    from tierwise.router.train import train
    from tierwise.router.weights import DEFAULT_MODEL_FILE

    state = state_of(ctx)
    with _progress(state) as progress:
        task = progress.add_task("loading data", total=None)
        train_half, held_out = _examples(routellm, data)
        progress.update(task, description=f"fitting on {len(train_half)} prompts")
        model = train(train_half, alpha=alpha)
    target = out or (
        Path(__file__).resolve().parents[1] / "router" / "data" / DEFAULT_MODEL_FILE
        if data is None
        else Path("difficulty-custom.twdm")
    )
    target.write_bytes(model.to_bytes())
    state.out.print(
        plain(
            f"wrote {target} ({target.stat().st_size:,} bytes, {len(model.indexes):,} weights); "
            f"{len(held_out)} prompts held out for `tierwise router eval`"
        )
    )
    if data is not None:
        state.out.print(plain(f'use it with: [routing] model_path = "{target}"'))


@app.command("eval")
def eval_cmd(
    ctx: typer.Context,
    data: Annotated[Path | None, typer.Option(help="Your own outcomes (JSONL).")] = None,
    routellm: Annotated[Path | None, typer.Option(help="RouteLLM evals directory.")] = None,
    out: Annotated[Path, typer.Option(help="Report directory.")] = Path("docs/router"),
) -> None:
    """Replay the held-out half: APGR, CPT, cost at 95% quality, tier mix; PNG + JSON + MD."""
    _require_train_extra()
    from tierwise.client import load_scorer
    from tierwise.router.evaluate import evaluate as run_eval
    from tierwise.router.evaluate import write_report

    state = state_of(ctx)
    settings = state.loaded().settings
    model = load_scorer(settings)
    if model is None:
        raise ConfigError("no difficulty model available", hint="run `tierwise router train`")
    with _progress(state) as progress:
        task = progress.add_task("loading data", total=None)
        train_half, held_out = _examples(routellm, data)
        report = run_eval(
            train_half,
            held_out,
            model,  # type: ignore[arg-type]
            settings,
            progress=lambda msg: progress.update(task, description=msg),
        )
    command = "tierwise " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    paths = write_report(report, out, command)
    table = Table("source", "method", "APGR", "CPT(50%)", "CPT(80%)", title="router evaluation")
    for source, results in report.sources.items():
        for r in results:
            table.add_row(
                *cells(source, r.name, f"{r.apgr:.3f}", f"{r.cpt50:.1f}%", f"{r.cpt80:.1f}%")
            )
    state.out.print(table)
    state.out.print(plain("wrote " + ", ".join(str(p) for p in paths)))


@app.command("calibrate")
def calibrate_cmd(
    ctx: typer.Context,
    quality: Annotated[
        float, typer.Option(help="Keep at least this share of top-tier quality (0-1).")
    ] = 0.95,
    max_opus: Annotated[
        float, typer.Option(help="Send at most this share of requests to Opus (0-1).")
    ] = 0.10,
    data: Annotated[Path | None, typer.Option(help="Your own outcomes (JSONL).")] = None,
    routellm: Annotated[Path | None, typer.Option(help="RouteLLM evals directory.")] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Write the thresholds to the config.")
    ] = False,
) -> None:
    """Set the Haiku/Sonnet and Sonnet/Opus thresholds for a quality or Opus-share target."""
    from tierwise.client import load_scorer
    from tierwise.config import DEFAULT_CONFIG_NAME, update_config_file
    from tierwise.router.calibrate import calibrate

    state = state_of(ctx)
    loaded = state.loaded()
    model = load_scorer(loaded.settings)
    train_half, _ = _examples(routellm, data)
    try:
        result = calibrate(
            train_half,
            model,  # type: ignore[arg-type]
            loaded.settings,
            quality=quality,
            max_opus_share=max_opus,
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    total = sum(result.tier_mix.values()) or 1
    state.out.print(
        f"thresholds: haiku < {result.haiku_threshold:.4f} <= sonnet "
        f"(thinking from {result.sonnet_thinking_threshold:.4f}) < {result.opus_threshold:.4f} "
        "<= opus"
    )
    mix = ", ".join(f"{t} {n / total:.1%}" for t, n in result.tier_mix.items())
    state.out.print(f"tier mix on {total} calibration prompts: {mix}")
    state.out.print(
        f"quality {result.expected_quality:.3f} vs all-strong {result.strong_quality:.3f} "
        "(weak model = Haiku proxy, strong = Sonnet/Opus proxy)"
    )
    state.out.print(
        f"expected cost per 1,000 requests: ${result.cost_per_1k:.4f} "
        f"(all-Opus ${result.all_opus_cost_per_1k:.4f}; 300 output tokens assumed)"
    )
    if write:
        path = loaded.config_path or Path.cwd() / DEFAULT_CONFIG_NAME
        update_config_file(path, result.overrides())
        state.out.print(plain(f"wrote the thresholds to {path}"))

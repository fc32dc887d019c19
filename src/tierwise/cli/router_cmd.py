"""``tierwise router train|eval|calibrate``: fit, measure and tune the difficulty stage."""

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
from tierwise.cli.stdin import STDIN_HELP, stdin_file
from tierwise.errors import ConfigError, InvalidRequestError

if TYPE_CHECKING:
    from tierwise.core.tiers import Tier
    from tierwise.router.dataset import Example

__all__ = ["app"]

app = typer.Typer(help="Train, evaluate and calibrate the difficulty stage.", no_args_is_help=True)

DataOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--data-dir",
        metavar="<path>",
        help="Directory holding routellm-evals/, mmlu-pro-outcomes/ (alpaca-eval/, "
        "arena-hard/ optional); repeatable. Default: $TIERWISE_EVAL_DATA, then shared/data "
        "beside the checkout.",
    ),
]


def _data_file(ctx: typer.Context, data: Path | None) -> Path | None:
    """--data as a readable file (standard input's, for ``-``), said before any loading
    starts."""
    data = stdin_file(ctx, data)
    if data is None:
        return None
    if not data.exists():
        problem = "no such file"
    elif not data.is_file():
        problem = "not a file"
    else:
        return data
    raise InvalidRequestError(
        f"cannot read --data {data}: {problem}",
        hint='check the --data path: a JSONL file of {"prompt": ..., "outcomes": {...}} lines',
    )


def _require_train_extra() -> None:
    try:
        import numpy  # noqa: F401
        import scipy  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError:
        raise ConfigError(
            "training and evaluation need numpy, scipy and scikit-learn",
            hint="pip install 'tierwise[train]'",
        ) from None


def _progress(state: CliState) -> Progress:
    # Only on a terminal, and transient there: on a pipe or a file a spinner's last frame
    # ("⠋ loading data 0:00:00") was left on stderr above an error's two lines.
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=state.err,
        transient=True,
        disable=not state.err.is_terminal,
    )


def _tier(name: str | None) -> Tier | None:
    from tierwise.core.tiers import Tier

    if name is None:
        return None
    try:
        return Tier(name.lower())
    except ValueError:
        raise ConfigError(
            f"unknown tier {name!r}", hint=f"one of {', '.join(t.value for t in Tier)}"
        ) from None


def _user_examples(path: Path, weak: str | None, strong: str | None) -> list[Example]:
    from tierwise.router.dataset import load_user_jsonl

    return load_user_jsonl(path, weak_tier=_tier(weak), strong_tier=_tier(strong))


@app.command("train")
def train_cmd(
    ctx: typer.Context,
    data: Annotated[
        Path | None,
        typer.Option(
            help="Your own outcomes (JSONL, one request per line: "
            '{"prompt": ..., "outcomes": {"haiku": 0, "sonnet": 1}}). The packaged model '
            "is the prior: weights move from it only as far as your data supports." + STDIN_HELP
        ),
    ] = None,
    data_dir: DataOption = None,
    out: Annotated[Path | None, typer.Option(help="Where to write the model file.")] = None,
    weak_tier: Annotated[
        str | None, typer.Option(help="The cheaper tier in --data (default: cheapest seen).")
    ] = None,
    strong_tier: Annotated[
        str | None, typer.Option(help="The stronger tier in --data (default: strongest seen).")
    ] = None,
    from_scratch: Annotated[
        bool, typer.Option("--from-scratch", help="With --data: ignore the packaged prior.")
    ] = False,
    class_out: Annotated[
        Path | None,
        typer.Option(help="Where to write the class model refitted from --data's class labels."),
    ] = None,
    holdout: Annotated[
        str | None,
        typer.Option(
            help="With --data from `tierwise evaluate`: also refit on part of it and report "
            "before/after on the rest, held out by 'class' or by 'time'."
        ),
    ] = None,
    holdout_classes: Annotated[
        str | None, typer.Option(help="With --holdout class: the classes to hold out (a,b).")
    ] = None,
) -> None:
    """Fit the difficulty stage: on the public sources, or refit on your own outcomes.

    Lines of --data with a "class" label (one of the task classes) also refit the class
    stage, with the packaged class model as the prior."""
    data = _data_file(ctx, data)
    _require_train_extra()
    from tierwise.router import train as training
    from tierwise.router.dataset import TRAIN_SOURCES, find_roots, load_sources
    from tierwise.router.weights import DEFAULT_MODEL_FILE, load_model

    state = state_of(ctx)
    from tierwise.refit_report import HOLDOUTS

    if holdout is not None and holdout not in HOLDOUTS:
        raise ConfigError(f"--holdout {holdout!r} is not a holdout", hint="use class or time")
    if data is None and from_scratch:
        raise ConfigError("--from-scratch needs --data", hint="pass your outcomes JSONL")
    if data is not None and _refit_classes(state, data, class_out, from_scratch):
        return  # class labels only: nothing for the difficulty stage
    with _progress(state) as progress:
        task = progress.add_task("loading data", total=None)

        def say(message: str) -> None:
            progress.update(task, description=message)

        try:
            if data is not None:
                examples = _user_examples(data, weak_tier, strong_tier)
                if from_scratch:
                    model = training.train(examples, progress=say)
                else:
                    prior = load_model(state.loaded().settings.routing.model_path or None)
                    model = training.refit(examples, prior, progress=say)
            else:
                examples = load_sources(find_roots(data_dir or ()), TRAIN_SOURCES)
                model = training.train(examples, progress=say)
        except ValueError as exc:
            raise ConfigError(str(exc), hint="label more requests, then train again") from None
    target = out or (
        Path(__file__).resolve().parents[1] / "router" / "data" / DEFAULT_MODEL_FILE
        if data is None
        else Path("difficulty-custom.twdm")
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(model.to_bytes())
    sizes = ", ".join(f"{s} {n}" for s, n in sorted(_counts(examples).items()))
    state.out.print(
        plain(
            f"wrote {target} ({target.stat().st_size:,} bytes; version {model.version}; "
            f"trained on {sizes})"
        )
    )
    if data is not None:
        state.out.print(plain(f'use it with: [routing] model_path = "{target}"'))
    if holdout is not None:
        if data is None:
            raise ConfigError("--holdout needs --data", hint="pass tierwise-outcomes.jsonl")
        from tierwise.refit_report import read_outcome_records, refit_report

        names = [c.strip() for c in (holdout_classes or "").split(",") if c.strip()]
        report = refit_report(
            state.loaded().settings, read_outcome_records(data), holdout, classes=names
        )
        for line in report.lines():
            state.out.print(plain(line))


def _refit_classes(state: CliState, data: Path, out: Path | None, from_scratch: bool) -> bool:
    """Refit the class stage from --data's class-labelled lines; True when the file has
    no outcome lines (so the difficulty stage has nothing to do)."""
    from tierwise.router.class_train import has_outcome_rows, load_labelled_jsonl, refit
    from tierwise.router.class_weights import load_class_model

    try:
        rows = load_labelled_jsonl(data)
    except OSError as exc:
        raise InvalidRequestError(
            f"cannot read --data {data}: {exc.strerror or exc}", hint="check the --data path"
        ) from None
    outcomes = has_outcome_rows(data)
    if not rows:
        return False
    prior = (
        None
        if from_scratch
        else load_class_model(state.loaded().settings.routing.class_model_path or None)
    )
    with _progress(state) as progress:
        progress.add_task(f"refitting the class stage on {len(rows)} labelled requests")
        model = refit(rows, prior)
    target = out or Path("classes-custom.twcm")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(model.to_bytes())
    state.out.print(
        plain(f"wrote {target} ({len(rows)} class-labelled requests; version {model.version})")
    )
    state.out.print(plain(f'use it with: [routing] class_model_path = "{target}"'))
    return not outcomes


def _counts(examples: list[Example]) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in examples:
        out[e.source] = out.get(e.source, 0) + 1
    return out


@app.command("eval")
def eval_cmd(
    ctx: typer.Context,
    data_dir: DataOption = None,
    out: Annotated[Path, typer.Option(help="Report directory.")] = Path("docs/router"),
    resamples: Annotated[
        int,
        typer.Option(
            min=0,
            help="Bootstrap resamples per interval (500 for the published report; 50 is "
            "enough while iterating and several times faster).",
        ),
    ] = 500,
) -> None:
    """Leave-one-source-out AUROC, APGR and CPT against three baselines (prompt length,
    stem length, TF-IDF); MD + JSON + PNG."""
    _require_train_extra()
    from tierwise.router.dataset import (
        OUTCOME_SOURCES,
        TRAIN_SOURCES,
        find_roots,
        load_arena_hard,
        load_sources,
    )
    from tierwise.router.evaluate import LENGTH, OURS, STEM, TFIDF, evaluate, write_report

    state = state_of(ctx)
    roots = find_roots(data_dir or ())
    # The training sources must be there; evaluation-only ones are used when present.
    examples = load_sources(roots, TRAIN_SOURCES)
    examples += load_sources(roots, set(OUTCOME_SOURCES) - set(TRAIN_SOURCES), require=False)
    with _progress(state) as progress:
        task = progress.add_task("loading data", total=None)
        report = evaluate(
            examples,
            arena_hard=load_arena_hard(roots),
            resamples=resamples,
            progress=lambda msg: progress.update(task, description=msg),
        )
    command = "tierwise " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    paths = write_report(report, out, command)
    table = Table(
        "held-out source",
        "AUROC ours",
        "length",
        "stem length",
        "TF-IDF",
        "APGR ours",
        title="LOSO eval",
    )
    for s in report.sources:
        m = s.methods
        table.add_row(
            *cells(
                s.source,
                m[OURS].auroc.text(),
                m[LENGTH].auroc.text(),
                m[STEM].auroc.text(),
                m[TFIDF].auroc.text(),
                m[OURS].apgr.text(),
            )
        )
    state.out.print(table)
    state.out.print(plain("wrote " + ", ".join(str(p) for p in paths)))


@app.command("calibrate")
def calibrate_cmd(
    ctx: typer.Context,
    keep: Annotated[
        float,
        typer.Option(
            help="Step down only where the cheaper tier keeps at least this share of the "
            "stronger tier's quality on the moved requests (0-1)."
        ),
    ] = 0.97,
    gain: Annotated[
        float,
        typer.Option(
            help="Step up only where the stronger tier fixes at least this share of the "
            "moved requests, net (0-1)."
        ),
    ] = 0.25,
    data: Annotated[
        Path | None,
        typer.Option(help="Your own outcomes (JSONL), scored by your model." + STDIN_HELP),
    ] = None,
    data_dir: DataOption = None,
    write: Annotated[
        bool, typer.Option("--write", help="Write the thresholds to the config.")
    ] = False,
) -> None:
    """Difficulty step thresholds read off a cost/quality curve of labelled requests."""
    for flag, value in (("--keep", keep), ("--gain", gain)):
        if not 0 < value <= 1:  # said only after the data was loaded and scored
            raise InvalidRequestError(
                f"{flag} must be a share in (0, 1], not {value}", hint=f"e.g. {flag} 0.25"
            )
    data = _data_file(ctx, data)
    _require_train_extra()
    from tierwise.client import load_scorer
    from tierwise.config import DEFAULT_CONFIG_NAME, update_config_file
    from tierwise.router.calibrate import calibrate, configured, fixed_scores, router_scores
    from tierwise.router.dataset import TRAIN_SOURCES, find_roots, load_sources
    from tierwise.router.evaluate import out_of_source

    state = state_of(ctx)
    loaded = state.loaded()
    policy = loaded.settings.routing_policy()
    model = load_scorer(loaded.settings)
    if model is None:
        raise ConfigError("no difficulty model to calibrate", hint="set routing.model_path")
    with _progress(state) as progress:
        task = progress.add_task("loading data", total=None)

        def say(message: str) -> None:
            progress.update(task, description=message)

        if data is not None:
            examples = _user_examples(data, None, None)
            scorer: object = model
        else:
            # Public data: score each source with a fit that never saw it, calibrated as the
            # packaged model is, so thresholds fit traffic the model has not seen.
            examples = load_sources(find_roots(data_dir or ()), TRAIN_SOURCES)
            meta = getattr(model, "meta", {})
            slope, offset = meta.get("calibration", {}).get("fails", (1.0, 0.0))
            probs = out_of_source(examples, calibration=(slope, offset), progress=say)
            scorer = fixed_scores(examples, probs, policy)
        say("routing scores")
        scores = router_scores(examples, policy, scorer)
    try:
        result = calibrate(examples, scores, policy, keep=keep, gain=gain)
    except ValueError as exc:
        raise InvalidRequestError(
            str(exc),
            hint='give --data more lines with outcomes on both tiers ({"prompt": ..., '
            '"outcomes": {"haiku": 0, "sonnet": 1}})',
        ) from None
    table = Table(
        "moved",
        "step-down threshold",
        "kept at margin",
        "step-up threshold",
        "gain at margin",
        title=f"cost/quality curve ({result.examples:,} requests; margins = nearest 10% moved)",
    )
    for share in (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5):
        down = min(result.curve_down, key=lambda p: abs(p.share - share), default=None)
        up = min(result.curve_up, key=lambda p: abs(p.share - share), default=None)
        table.add_row(
            *cells(
                f"{share:.0%}",
                "-" if down is None else f"{down.threshold:.3f}",
                "-" if down is None else f"{down.kept:.1%} (low {down.kept_low:.1%})",
                "-" if up is None else f"{up.threshold:.3f}",
                "-" if up is None else f"{up.gain:+.3f} (low {up.gain_low:+.3f})",
            )
        )
    state.out.print(table)
    now_down, now_up = configured(examples, scores, policy)
    for what, point in (("configured step down", now_down), ("configured step up", now_up)):
        if point is None:
            state.out.print(plain(f"{what}: moves no request"))
        else:
            state.out.print(
                plain(
                    f"{what} at {point.threshold:.3f}: moves {point.share:.1%}; cheaper "
                    f"{point.weak_quality:.3f} vs stronger {point.strong_quality:.3f} on them"
                )
            )
    for name, point, never in (
        ("step down (haiku_threshold)", result.down, "never: no threshold keeps enough quality"),
        ("step up (opus_threshold)", result.up, "never: no threshold buys enough quality"),
    ):
        if point is None:
            state.out.print(plain(f"{name}: {never}"))
        else:
            state.out.print(
                plain(
                    f"{name}: {point.threshold:.4f} moves {point.share:.1%} of requests; "
                    f"cheaper tier {point.weak_quality:.3f} vs stronger "
                    f"{point.strong_quality:.3f} on them (kept {point.kept:.1%}, "
                    f"net gain {point.gain:+.3f})"
                )
            )
    state.out.print(
        plain(
            f"thresholds: haiku {result.haiku_threshold:.4f}, sonnet_thinking "
            f"{result.sonnet_thinking_threshold:.4f}, opus {result.opus_threshold:.4f} "
            f"({result.examples:,} requests graded on both tiers)"
        )
    )
    if write:
        path = loaded.config_path or Path.cwd() / DEFAULT_CONFIG_NAME
        update_config_file(path, result.overrides())
        state.out.print(plain(f"wrote the thresholds to {path}"))

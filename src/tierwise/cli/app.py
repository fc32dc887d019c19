"""The ``tierwise`` command: global options, command registration and error display."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from tierwise.cli import (
    batch_cmd,
    config_cmd,
    converse_cmd,
    demo_cmd,
    emulator_cmd,
    iam_cmd,
    keys_cmd,
    models_cmd,
    reports_cmd,
    route_cmd,
    router_cmd,
    serve_cmd,
)
from tierwise.cli.state import CliState
from tierwise.errors import TierwiseError

__all__ = ["app", "main"]

app = typer.Typer(
    name="tierwise",
    help="Claude on Amazon Bedrock, with the right tier for every request.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        str | None,
        typer.Option(
            "--config", "-c", help="Config file (default: $TIERWISE_CONFIG or ./tierwise.toml)."
        ),
    ] = None,
    region: Annotated[str | None, typer.Option(help="AWS region (overrides config).")] = None,
    endpoint_url: Annotated[
        str | None, typer.Option("--endpoint-url", help="Bedrock endpoint, e.g. an emulator.")
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="Ledger URL, e.g. sqlite:///path/ledger.db.")
    ] = None,
) -> None:
    overrides = {"region": region, "endpoint_url": endpoint_url, "ledger.url": db}
    ctx.obj = CliState(
        config_path=config, overrides={k: v for k, v in overrides.items() if v is not None}
    )


app.command("converse")(converse_cmd.converse)
app.command("demo")(demo_cmd.demo)
app.command("emulator")(emulator_cmd.emulator)
app.command("models")(models_cmd.models)
app.command("iam-policy")(iam_cmd.iam_policy)
app.command("route")(route_cmd.route)
app.command("serve")(serve_cmd.serve)
app.command("spend")(reports_cmd.spend)
app.command("credits")(reports_cmd.credits)
app.add_typer(config_cmd.app, name="config")
app.add_typer(router_cmd.app, name="router")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(batch_cmd.app, name="batch")


def main() -> None:
    """Entry point: run the app; a TierwiseError becomes one clear message, never a traceback."""
    try:
        app()
    except TierwiseError as exc:
        err = Console(stderr=True)
        err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
        if exc.hint:
            err.print(f"[dim]hint:[/] {exc.hint}", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)

"""The ``tierwise`` command: global options, command registration and error display."""

from __future__ import annotations

import errno
import importlib
import os
import sys
from types import ModuleType
from typing import Annotated

import typer

from tierwise.cli import (
    batch_cmd,
    config_cmd,
    converse_cmd,
    demo_cmd,
    emulator_cmd,
    evaluate_cmd,
    iam_cmd,
    keys_cmd,
    models_cmd,
    plan_cmd,
    reports_cmd,
    route_cmd,
    router_cmd,
    serve_cmd,
)
from tierwise.cli.output import console, line
from tierwise.cli.state import CliState
from tierwise.cli.stdin import as_typed
from tierwise.errors import TierwiseError

__all__ = ["app", "main"]

app = typer.Typer(
    name="tierwise",
    help="Claude on Amazon Bedrock, with the right tier for every request.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Help text names config sections ("[gateway] host"): text, not rich markup.
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("tierwise")
        except PackageNotFoundError:  # running from a source tree that is not installed
            from tierwise import __version__ as number
        sys.stdout.write(f"tierwise {number}\n")
        raise typer.Exit()


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
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    overrides = {"region": region, "endpoint_url": endpoint_url, "ledger.url": db}
    ctx.obj = CliState(
        config_path=config,
        overrides={k: v for k, v in overrides.items() if v is not None},
        flags={"region": "--region", "endpoint_url": "--endpoint-url", "ledger.url": "--db"},
    )


app.command("converse")(converse_cmd.converse)
app.command("demo")(demo_cmd.demo)
app.command("emulator")(emulator_cmd.emulator)
app.command("models")(models_cmd.models)
app.command("iam-policy")(iam_cmd.iam_policy)
app.command("plan")(plan_cmd.plan)
app.command("route")(route_cmd.route)
app.command("serve")(serve_cmd.serve)
app.command("spend")(reports_cmd.spend)
app.command("credits")(reports_cmd.credits)
app.command("evaluate")(evaluate_cmd.evaluate)
app.add_typer(evaluate_cmd.capture_app, name="capture")
app.add_typer(config_cmd.app, name="config")
app.add_typer(router_cmd.app, name="router")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(batch_cmd.app, name="batch")
# Every group's help is text, not rich markup: help names config sections ("[gateway] host").
for _group in app.registered_groups:
    if _group.typer_instance is not None:
        _group.typer_instance.rich_markup_mode = None


def _one_line(text: str) -> str:
    # Messages from AWS, pydantic or the OS may span lines; a failure is one line in a log.
    return " ".join(text.split())


def fail(message: str, hint: str | None = None) -> None:
    """Print a failure as one ``error:`` line and an optional ``hint:`` line on stderr."""
    err = console(stderr=True)
    err.print(line(("error:", "bold red"), " ", _one_line(message)))
    if hint:
        err.print(line(("hint:", "dim"), " ", _one_line(hint)))


def _click_exceptions() -> ModuleType:
    # Recent typer releases carry their own copy of click; older ones use click itself.
    try:
        return importlib.import_module("typer._click.exceptions")
    except ImportError:
        return importlib.import_module("click.exceptions")


_PATH_ERRNOS = frozenset({
    errno.ENOENT, errno.EACCES, errno.EPERM, errno.EISDIR, errno.ENOTDIR, errno.EEXIST,
    errno.EROFS, errno.ENOSPC, errno.ENAMETOOLONG,
})  # fmt: skip


def _run(args: list[str] | None = None) -> int:
    """Run the CLI and return its exit code: every failure is one error line, a hint and 1."""
    click = _click_exceptions()
    try:
        code = app(args=args, prog_name="tierwise", standalone_mode=False)
    except TierwiseError as exc:
        fail(as_typed(exc.message), as_typed(exc.hint) if exc.hint else None)
        return 1
    except click.NoArgsIsHelpError as exc:  # a group with no command: its help, not an error
        help_text = exc.format_message()
        if help_text:
            sys.stdout.write(help_text.rstrip("\n") + "\n")
        return 0
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "tierwise"
        fail(exc.format_message(), _usage_hint(exc, where, click))
        return 1
    except click.ClickException as exc:
        fail(exc.format_message())
        return 1
    except SystemExit as exc:
        # typer turns a closed pipe inside a command (`converse --stream | head`) into
        # sys.exit(1) before it reaches the handler below: the same case, not a failure.
        if isinstance(exc.__context__, OSError) and exc.__context__.errno == errno.EPIPE:
            _silence_stdout()
            return 0
        raise
    except typer.Abort:
        return 130
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        if exc.errno == errno.EPIPE:  # `tierwise spend --format csv | head`: not a failure
            _silence_stdout()
            return 0
        if exc.filename is not None and exc.errno in _PATH_ERRNOS:
            # A path the user gave (-o, --out-dir, --html ...) that cannot be used: their
            # mistake to fix, not a bug in tierwise.
            fail(
                f"{exc.filename}: {exc.strerror}",
                "check the path: its folder must exist, and be writable for an output",
            )
            return 1
        return _unexpected(exc)
    except Exception as exc:
        return _unexpected(exc)
    return code if isinstance(code, int) else 0


def _usage_hint(exc: Exception, where: str, click: ModuleType) -> str:
    # `tierwise converse "hi" --endpoint-url URL`: an option of tierwise itself given after
    # the command. Say where it goes rather than only that the command lacks it.
    ctx = getattr(exc, "ctx", None)
    name = getattr(exc, "option_name", None)
    if isinstance(exc, click.NoSuchOption) and ctx is not None and ctx.parent is not None:
        root = ctx.find_root()
        if any(name in param.opts for param in root.command.params):
            command = where.removeprefix(root.command_path).strip()
            return (
                f"{name} is an option of tierwise itself: put it before the command "
                f"(`{root.command_path} {name} ... {command} ...`)"
            )
    return f"see `{where} --help`"


def _silence_stdout() -> None:
    # Python flushes stdout at exit; on a closed pipe that flush would print a traceback.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _unexpected(exc: BaseException) -> int:
    if os.environ.get("TIERWISE_DEBUG"):
        raise exc
    fail(
        f"unexpected {type(exc).__name__}: {exc}",
        "this is a bug in tierwise: rerun with TIERWISE_DEBUG=1 for the traceback and report it",
    )
    return 1


def main() -> None:
    """Entry point: the ``tierwise`` command."""
    sys.exit(_run())

"""``tierwise emulator``: run the built-in Bedrock emulator in the foreground."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from tierwise.cli.output import line
from tierwise.cli.state import state_of
from tierwise.errors import InvalidRequestError

__all__ = ["emulator"]


def emulator(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0 picks a free one).")] = 4566,
    throttle_rate: Annotated[float, typer.Option(help="Share of calls throttled (0-1).")] = 0.0,
    error_rate: Annotated[float, typer.Option(help="Share of calls failing with 5xx.")] = 0.0,
    latency_ms: Annotated[int, typer.Option(help="Latency added to every call.")] = 0,
    cut_stream_after: Annotated[
        int | None, typer.Option(help="Break every stream after N events.")
    ] = None,
    stream_error: Annotated[
        str,
        typer.Option(
            help="Exception a broken stream ends with: throttlingException, "
            "internalServerException, serviceUnavailableException, validationException, "
            "modelStreamErrorException."
        ),
    ] = "modelStreamErrorException",
    seed: Annotated[int, typer.Option(help="Seed for injected faults.")] = 0,
    guardrail: Annotated[
        list[str] | None,
        typer.Option(
            metavar="<str>",
            help="ID:VERSION=word,word: a guardrail blocking those words (repeatable).",
        ),
    ] = None,
    pacing: Annotated[
        str | None,
        typer.Option(
            help="Time to first token and tokens/s, per tier: "
            "'haiku:ttft_ms=250,tps=150;ttft_ms=600,tps=70' (default: [emulator] pacing). "
            "Add jitter=CV (e.g. ttft_ms=2000,tps=0,jitter=0.2) to vary each answer's time: a "
            "lognormal factor per request with that coefficient of variation and mean 1, "
            "drawn from --seed."
        ),
    ] = None,
    server: Annotated[
        str,
        typer.Option(help="'async' (thousands of connections) or 'threads' (one per connection)."),
    ] = "async",
) -> None:
    """Serve Bedrock's wire protocol locally, with synthetic, deterministic answers."""
    from tierwise.emulator import Emulator, Faults
    from tierwise.emulator.guardrails import parse_guardrail_flag
    from tierwise.emulator.pacing import Pacing
    from tierwise.errors import ConfigError

    state = state_of(ctx)
    settings = state.loaded().settings
    try:
        paced = Pacing.parse(settings.emulator.pacing if pacing is None else pacing)
    except ValueError as exc:
        source = "[emulator] pacing" if pacing is None else "--pacing"
        raise ConfigError(
            f"{source}: {exc}", hint="see `tierwise emulator --help` for the syntax"
        ) from None
    if server not in ("async", "threads"):
        raise ConfigError(
            f"--server {server!r} is not a server", hint="use async (the default) or threads"
        )
    try:
        faults = Faults(
            throttle_rate=throttle_rate,
            error_rate=error_rate,
            latency_ms=latency_ms,
            cut_stream_after=cut_stream_after,
            stream_error=stream_error,
            seed=seed,
            pacing=paced,
        )
    except ValueError as exc:
        # Faults names its fields ("Faults.throttle_rate"); the user typed the flags.
        message = re.sub(r"Faults\.(\w+)", lambda m: "--" + m[1].replace("_", "-"), str(exc))
        raise InvalidRequestError(
            message, hint="see `tierwise emulator --help` for each fault option"
        ) from None
    emu = Emulator(settings, host=host, port=port, faults=faults, server=server)
    for flag in guardrail or []:
        try:
            spec = parse_guardrail_flag(flag)
            emu.add_guardrail(spec.guardrail_id, spec.version, blocked_words=spec.blocked_words)
        except ValueError as exc:
            emu.stop()
            hint = "e.g. --guardrail gr1:1=secret,password"
            raise InvalidRequestError(str(exc), hint=hint) from None
    state.err.print(
        line(
            ("tierwise emulator", "bold yellow"),
            f" on {emu.url} — answers are synthetic. "
            f"Point boto3 at it with endpoint_url={emu.url!r}. Ctrl-C stops it.",
        )
    )
    try:
        emu.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()

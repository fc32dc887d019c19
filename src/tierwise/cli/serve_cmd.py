"""``tierwise serve``: the OpenAI- and Anthropic-compatible gateway."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer
from rich.text import Text

from tierwise.cli.output import line, plain
from tierwise.cli.state import state_of
from tierwise.config import as_environment
from tierwise.errors import ConfigError

__all__ = ["serve"]


def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default [gateway] host).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default [gateway] port).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    emulate: Annotated[
        bool, typer.Option("--emulate", help="Serve against the built-in Bedrock emulator.")
    ] = False,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="No API keys (only on a loopback address).")
    ] = False,
    log_level: Annotated[
        str | None,
        typer.Option(help="debug, info, warning or error (default [gateway] log_level)."),
    ] = None,
    log_format: Annotated[
        str | None,
        typer.Option(help="text or json: one object per line (default [gateway] log_format)."),
    ] = None,
) -> None:
    """Serve /v1/chat/completions, /v1/messages and friends, routed to the right Claude tier."""
    import uvicorn
    from starlette.applications import Starlette

    from tierwise.gateway.app import create_app, is_loopback
    from tierwise.gateway.logs import configure_logging

    state = state_of(ctx)
    given = {
        "--host": ("gateway.host", host),
        "--port": ("gateway.port", port),
        "--no-auth": ("gateway.auth", False if no_auth else None),
        "--log-level": ("gateway.log_level", log_level and log_level.lower()),
        "--log-format": ("gateway.log_format", log_format and log_format.lower()),
    }
    if host is not None and not host.strip():
        # An empty --host was taken as not given: the default bind, silently.
        raise typer.BadParameter("give an address to bind, e.g. 127.0.0.1", param_hint="--host")
    overrides = dict(state.overrides)
    for flag, (key, value) in given.items():
        if value is not None:
            overrides[key] = value
            state.flags[key] = flag
    state.overrides = overrides
    settings = state.loaded().settings
    bind = settings.gateway.host
    as_json = settings.gateway.log_format == "json"

    def announce(text: Text, level: int = logging.INFO) -> None:
        # With JSON logs every stderr line is JSON, start-up lines included.
        if as_json:
            logging.getLogger("tierwise.gateway").log(level, text.plain)
        else:
            state.err.print(text)

    if not settings.gateway.auth and not is_loopback(bind):
        raise ConfigError(
            f"refusing to serve without API keys on {bind}",
            hint="bind to 127.0.0.1 for --no-auth, or create keys with `tierwise keys create`",
        )
    port_n = _claim_port(bind, settings.gateway.port)
    # Process-wide logging changes only once the server will run: a refused start (bad
    # bind, port taken) leaves the caller's logging as it was.
    configure_logging(settings.gateway.log_level, settings.gateway.log_format)
    emulator = None
    if emulate:
        from tierwise.emulator import Emulator

        emulator = Emulator(settings, port=0).start()
        settings = settings.with_overrides({"endpoint_url": emulator.url})
        announce(
            line(
                ("--emulate", "bold yellow"),
                f": Bedrock emulator on {emulator.url}; "
                "every answer is SYNTHETIC, no model is called.",
            ),
            logging.WARNING,
        )
    auth_note = "API keys required" if settings.gateway.auth else "NO AUTH (loopback only)"
    announce(
        plain(
            f"tierwise gateway on http://{bind}:{port_n} ({auth_note}); "
            f"OpenAI base URL http://{bind}:{port_n}/v1"
        )
    )
    try:
        app: str | Starlette
        if workers > 1:
            # Workers are fresh processes that load settings from the environment, so every
            # command-line override (--db, --region, ...) travels there, not just a few.
            os.environ.update(
                as_environment(
                    {
                        **state.overrides,
                        "endpoint_url": settings.endpoint_url,
                        "gateway.host": bind,
                        "gateway.auth": settings.gateway.auth,
                    }
                )
            )
            if state.config_path:
                os.environ["TIERWISE_CONFIG"] = state.config_path
            # Each worker builds its own app (uvicorn imports the factory by name).
            app = "tierwise.gateway.app:app_from_environment"
        else:
            app = create_app(settings)
        uvicorn.run(
            app,
            factory=workers > 1,
            host=bind,
            port=port_n,
            # Always an explicit count: given None, uvicorn reads WEB_CONCURRENCY (set by
            # many hosting platforms), and above 1 it refuses the one-process app object.
            workers=workers,
            # Logging is set up above (and in each worker): uvicorn installs none.
            log_config=None,
            log_level=settings.gateway.log_level,
            # tierwise.access writes one line per request; uvicorn's own would repeat it
            # (and, even when dropped, formats each one's arguments).
            access_log=False,
            # Nothing reads the client address (keys, not IPs, are limited), so
            # uvicorn's X-Forwarded-For rewriting is a per-request cost for nothing.
            proxy_headers=False,
        )
    finally:
        if emulator is not None:
            emulator.stop()


def _claim_port(host: str, port: int) -> int:
    """The port the gateway will listen on, checked before the banner: a port in use is a
    one-line error (uvicorn would log it after announcing the gateway, and exit 3), and
    port 0 becomes a free port the banner can name (it announced ``:0``)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: a port left in TIME_WAIT is free, one with a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                hint="pick another --port (0 picks a free one) or stop what is using it",
            ) from None
        return int(probe.getsockname()[1])

"""What every command shares: the global options and the settings they resolve to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import typer
from rich.console import Console

from tierwise.cli.output import console
from tierwise.config import LoadedSettings, load_settings

__all__ = ["CliState", "state_of"]


@dataclass
class CliState:
    config_path: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    # The option that set each override, so that errors name what the user typed.
    flags: dict[str, str] = field(default_factory=dict)
    out: Console = field(default_factory=console)
    err: Console = field(default_factory=lambda: console(stderr=True))
    _loaded: LoadedSettings | None = None

    def loaded(self) -> LoadedSettings:
        if self._loaded is None:
            self._loaded = load_settings(
                self.config_path, overrides=self.overrides, flags=self.flags
            )
        return self._loaded


def state_of(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):  # a command invoked outside the app (tests)
        obj = CliState()
        ctx.find_root().obj = obj
    return obj

"""``tierwise config show``: the resolved configuration and where each value came from."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from tierwise.cli.output import cells, plain, write_json
from tierwise.cli.state import state_of

__all__ = ["app"]

app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True, rich_markup_mode=None)


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        out: list[tuple[str, Any]] = []
        for k, v in value.items():
            out.extend(_flatten(v, f"{prefix}{k}."))
        return out
    return [(prefix.rstrip("."), value)]


@app.command("show")
def show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print every setting, its value and its source (default, file, env or cli)."""
    state = state_of(ctx)
    loaded = state.loaded()
    data = loaded.settings.model_dump(mode="json")
    data["ledger"]["resolved_url"] = loaded.settings.ledger.resolved_url()
    rows = _flatten(data)
    if as_json:
        payload = {key: {"value": value, "source": loaded.source_of(key)} for key, value in rows}
        write_json(payload)
        return
    where = str(loaded.config_path) if loaded.config_path else "none (built-in defaults)"
    state.out.print(plain(f"config file: {where}"))
    table = Table("key", "value", "source")
    for key, value in rows:
        shown = json.dumps(value) if not isinstance(value, str) else value
        source = "derived" if key == "ledger.resolved_url" else loaded.source_of(key)
        table.add_row(*cells(key, shown, source))
    state.out.print(table)

"""``tierwise config show``: the resolved configuration and where each value came from."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import typer
from rich.table import Table

from tierwise.cli.output import cells, plain, write_json
from tierwise.cli.state import state_of

__all__ = ["app"]

app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True, rich_markup_mode=None)


# user:password@ in a URL (a PostgreSQL ledger, Redis for cache state): the password is
# masked like metrics_token, since `config show` output ends up in tickets and CI logs.
_URL_PASSWORD = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/@:]*:)[^/@]+(?=@)")


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return _URL_PASSWORD.sub(r"\g<head>**********", value)
    return value


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        out: list[tuple[str, Any]] = []
        for k, v in value.items():
            out.extend(_flatten(v, f"{prefix}{k}."))
        return out
    return [(prefix.rstrip("."), _redact(value))]


@app.command("show")
def show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print every setting, its value and its source (default, file, env or cli)."""
    state = state_of(ctx)
    loaded = state.loaded()
    settings = loaded.settings
    data = settings.model_dump(mode="json")
    data["ledger"]["resolved_url"] = settings.ledger.resolved_url()
    sheet = settings.price_sheets.get(settings.price_sheet, {}) if settings.price_sheet else {}
    # The prices every call is billed at: with a price sheet selected, the tiers' own prices
    # are not used, so the table says so instead of calling them the default.
    data["prices_in_use"] = {
        t.value: {
            "source": f"price_sheet {settings.price_sheet}" if t in sheet else f"tiers.{t.value}",
            **(sheet[t] if t in sheet else settings.tiers[t].prices).model_dump(mode="json"),
        }
        for t in settings.tiers
    }
    rows = _flatten(data)

    def source(key: str) -> str:
        if key == "ledger.resolved_url" or key.startswith("prices_in_use."):
            return "derived"
        parts = key.split(".")
        shadowed = parts[0] == "tiers" and parts[2:3] == ["prices"]
        if shadowed and any(t.value == parts[1] for t in sheet):
            return f"unused (price_sheet {settings.price_sheet} applies)"
        return loaded.source_of(key)

    if as_json:
        write_json({key: {"value": value, "source": source(key)} for key, value in rows})
        return
    where = str(loaded.config_path) if loaded.config_path else "none (built-in defaults)"
    if loaded.config_path and not any(
        origin.startswith("file:") for origin in loaded.sources.values()
    ):
        # An empty file (or /dev/null) sets nothing: say so rather than let it look used.
        where += " (empty: sets nothing)"
    state.out.print(plain(f"config file: {where}"))
    table = Table("key", "value", "source")
    for key, value in rows:
        shown = json.dumps(value) if not isinstance(value, str) else value
        table.add_row(*cells(key, shown, source(key)))
    state.out.print(table)

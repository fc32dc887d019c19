"""``tierwise models``: the Claude models and inference profiles the account can use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tierwise.cli.output import cells, plain
from tierwise.cli.state import state_of
from tierwise.config import DEFAULT_CONFIG_NAME, LoadedSettings, update_config_file
from tierwise.core.catalog import foundation_model_id, newest_per_tier, parse_claude_id
from tierwise.core.tiers import Tier
from tierwise.errors import ConfigError

__all__ = ["models"]


def models(
    ctx: typer.Context,
    write: Annotated[
        bool,
        typer.Option(
            "--write", help="Put the newest Haiku, Sonnet and Opus profiles in the config."
        ),
    ] = False,
    geo: Annotated[
        str, typer.Option(help="Inference-profile prefix to prefer: global, us, eu, apac, jp.")
    ] = "global",
) -> None:
    """List Claude foundation models and inference profiles (ListFoundationModels/Profiles)."""
    from tierwise.bedrock import BedrockClient

    state = state_of(ctx)
    loaded = state.loaded()
    catalog = BedrockClient(loaded.settings).list_models()

    profile_ids = [p.profile_id for p in catalog.profiles if parse_claude_id(p.profile_id)]
    newest = newest_per_tier(profile_ids, geo=geo)
    # With --write the file is written before anything is printed: a reader that goes away
    # (`tierwise models --write | head`) must not stop the write half-way or before it.
    notes = _write(loaded, newest, profile_ids, geo) if write else []

    table = Table("inference profile", "tier", "status", title="Claude inference profiles")
    for profile in catalog.profiles:
        parsed = parse_claude_id(profile.profile_id)
        if parsed is not None:
            table.add_row(*cells(profile.profile_id, parsed.tier.value, profile.status))
    state.out.print(table)
    model_table = Table("foundation model", "name", "on-demand", title="Claude foundation models")
    for model in catalog.models:
        on_demand = "yes" if "ON_DEMAND" in model.inference_types else "profile only"
        model_table.add_row(*cells(model.model_id, model.name, on_demand))
    state.out.print(model_table)

    for tier in Tier.ordered():
        current = loaded.settings.tier(tier).model_id
        pick = newest.get(tier)
        mark = "" if pick in (None, current) else "  (newer than configured)"
        state.out.print(plain(f"{tier.value:>6}: configured {current}; newest {pick or '-'}{mark}"))
    for note in notes:
        state.out.print(plain(note))


def _write(
    loaded: LoadedSettings, newest: dict[Tier, str], profile_ids: list[str], geo: str
) -> list[str]:
    """Put the newest profile of each tier in the config file; the lines to print."""
    missing = [t.value for t in Tier.ordered() if t not in newest]
    if missing:
        raise ConfigError(
            f"no {geo}. inference profile found for: {', '.join(missing)}",
            hint="choose another --geo or set the model IDs by hand",
        )
    path = loaded.config_path or Path.cwd() / DEFAULT_CONFIG_NAME
    values: dict[str, object] = {}
    notes: list[str] = []
    for tier in Tier.ordered():
        values[f"tiers.{tier.value}.model_id"] = newest[tier]
        values[f"tiers.{tier.value}.alternates"] = _same_model_elsewhere(newest[tier], profile_ids)
        known = loaded.settings.models.get(foundation_model_id(newest[tier]))
        if known is not None:
            # The tier takes the model's own prices (its long-context band or none) and
            # cache minimum, so switching models never keeps the old model's rates.
            values[f"tiers.{tier.value}.prices"] = known.prices.model_dump(mode="json")
            values[f"tiers.{tier.value}.cache_min_tokens"] = known.cache_min_tokens
            values[f"tiers.{tier.value}.supports_thinking"] = bool(known.thinking)
        else:
            notes.append(
                f"note: {newest[tier]} has no [models] entry; {tier.value} keeps its prices"
            )
    update_config_file(path, values)
    notes.append(f"wrote the newest profiles to {path}")
    return notes


def _same_model_elsewhere(chosen: str, profile_ids: list[str]) -> list[str]:
    """Profiles of the same model in other geographies: the failover alternates."""
    target = parse_claude_id(chosen)
    out = []
    for pid in profile_ids:
        parsed = parse_claude_id(pid)
        if (
            target is not None
            and parsed is not None
            and pid != chosen
            and (parsed.tier, parsed.version, parsed.date)
            == (target.tier, target.version, target.date)
        ):
            out.append(pid)
    return sorted(out)

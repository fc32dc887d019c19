"""``tierwise demo``: a fully offline tour through the built-in emulator."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tierwise.cli.demo_workload import demo_workload
from tierwise.cli.output import cells, line, plain
from tierwise.cli.state import state_of
from tierwise.core.pricing import Usage, price
from tierwise.core.tiers import Tier

__all__ = ["demo"]


def _default_demo_ledger() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("tierwise")) / "demo-ledger.db"


def demo(
    ctx: typer.Context,
    ledger: Annotated[
        Path | None,
        typer.Option(help="SQLite file for the demo's ledger (kept apart from your real one)."),
    ] = None,
) -> None:
    """Start the emulator in-process, send a mixed workload, and show tier and cost per call."""
    from tierwise.client import Tierwise
    from tierwise.emulator import Emulator

    state = state_of(ctx)
    settings = state.loaded().settings
    ledger_path = ledger or _default_demo_ledger()
    with Emulator(settings, port=0).start() as emu:
        state.err.print(
            line(
                ("offline demo", "bold yellow"),
                f": Bedrock emulator on {emu.url}; answers are synthetic.",
            )
        )
        local = settings.with_overrides({"endpoint_url": emu.url})
        table = Table(title="tierwise demo", show_footer=True)
        for col in ("request", "tier", "model", "input", "cache write", "cache read", "output"):
            table.add_column(col)
        table.add_column("cost (USD)", justify="right")
        table.add_column("all-Sonnet cost", justify="right")
        table.add_column("all-Opus cost", justify="right")
        total = opus_total = sonnet_total = Decimal(0)
        # What routing did against the usual single tier, Sonnet: saved below it, added above.
        below = above = Decimal(0)
        n_below = n_above = 0
        with Tierwise.from_settings(local, ledger_url=f"sqlite:///{ledger_path}") as tw:
            for item in demo_workload():
                response = tw.converse(modelId=item.tier, **item.request)
                info = response["tierwise"]
                usage = Usage.from_converse(response["usage"])
                cost = Decimal(info["costUsd"])
                # Each tier through the same kind of profile and service tier this call used.
                opus_cost, sonnet_cost = (
                    price(
                        usage,
                        local.rates(tier),
                        model_id=str(info["modelId"]),
                        service_tier=response.get("serviceTier"),
                    ).total
                    for tier in (Tier.OPUS, Tier.SONNET)
                )
                total += cost
                opus_total += opus_cost
                sonnet_total += sonnet_cost
                if cost < sonnet_cost:
                    below, n_below = below + sonnet_cost - cost, n_below + 1
                elif cost > sonnet_cost:
                    above, n_above = above + cost - sonnet_cost, n_above + 1
                table.add_row(
                    *cells(
                        item.name,
                        str(info["tier"]),
                        str(info["modelId"]),
                        str(usage.input),
                        str(usage.cache_write),
                        str(usage.cache_read),
                        str(usage.output),
                        f"{cost:.6f}",
                        f"{sonnet_cost:.6f}",
                        f"{opus_cost:.6f}",
                    )
                )
        table.columns[0].footer = "total"
        table.columns[7].footer = f"{total:.6f}"
        table.columns[8].footer = f"{sonnet_total:.6f}"
        table.columns[9].footer = f"{opus_total:.6f}"
        state.out.print(table)
        saved = (1 - total / opus_total) * 100 if opus_total else Decimal(0)
        state.out.print(
            f"Spent ${total:.6f}; sending everything to Opus would have cost "
            f"${opus_total:.6f} ({saved:.0f}% saved)."
        )
        # The honest comparison with the usual default too, whichever way it goes.
        state.out.print(
            plain(
                f"Everything on Sonnet would have cost ${sonnet_total:.6f}: the cheaper tier "
                f"saved ${below:.6f} on {n_below} easy request(s) and the stronger one cost "
                f"${above:.6f} "
                f"more on {n_above} hard one(s), as the quality policy asks "
                "(`[routing.classes.<class>]` in tierwise.toml changes it)."
            )
        )
        state.out.print(plain(f"Every call is in the ledger: {ledger_path}"))
        state.out.print(plain(f"Read it with: tierwise --db {ledger_path} spend"))

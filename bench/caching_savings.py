"""What automatic prompt caching saves on a multi-turn RAG workload (through the emulator).

Run: python bench/caching_savings.py [--conversations 8] [--turns 5]
Each conversation shares a long fixed system prompt and reference document and asks several
follow-up questions. The same workload runs with ``[caching] mode = "auto"`` and ``"off"``.

Costs are priced call by call, as Bedrock bills them: the summed usage of a whole run is far
above Sonnet 4.5's 200k-token long-context band, so pricing the sum as one request would put
every token at the band's $6/M (this bench's "input cost" did so from 59f855f on). The run
checks that its per-call prices add up to the responses' ``costUsd`` and to the ledger's.
"""

from __future__ import annotations

import argparse
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import track
from rich.table import Table

from tierwise.client import Tierwise
from tierwise.config import Settings, load_settings
from tierwise.core.pricing import Cost, Usage, price
from tierwise.core.tiers import Tier
from tierwise.emulator import Emulator

SYSTEM = "You are the compliance assistant of Fabrikam. Cite clause numbers. " + " ".join(
    f"Clause {i}: suppliers must keep records of category {i % 7} for {i % 5 + 2} years "
    "and report incidents within 72 hours to the compliance office."
    for i in range(1, 260)
)
DOCUMENT = "Reference: supplier audit 2026. " + "Finding: records incomplete for lot. " * 900
QUESTIONS = [
    "Which clauses cover record keeping?",
    "How fast must incidents be reported?",
    "Does the audit finding breach clause 12?",
    "What should the supplier do next?",
    "Summarize the obligations in three bullets.",
    "Which category has the longest retention?",
]


def run(
    settings: Settings, conversations: int, turns: int, label: str
) -> tuple[Usage, Cost, Decimal]:
    """The run's summed usage, the sum of each call's price by component, and the summed
    ``costUsd``; exits if those or the ledger's total disagree."""
    rates = settings.rates(Tier.SONNET)
    total_usage = Usage()
    priced = Cost()
    total_cost = Decimal(0)
    with (
        tempfile.TemporaryDirectory() as tmp,
        Tierwise.from_settings(settings, ledger_url=f"sqlite:///{Path(tmp) / 'bench.db'}") as tw,
    ):
        for c in track(range(conversations), description=f"caching {label}"):
            messages: list[dict[str, Any]] = []
            for t in range(turns):
                question = f"[conversation {c}] {QUESTIONS[t % len(QUESTIONS)]}"
                content: list[dict[str, Any]] = [{"text": question}]
                if t == 0:
                    doc = {
                        "document": {
                            "format": "txt",
                            "name": "audit",
                            "source": {"bytes": DOCUMENT.encode()},
                        }
                    }
                    content.insert(0, doc)
                messages.append({"role": "user", "content": content})
                response = tw.converse(
                    modelId="sonnet",
                    system=[{"text": SYSTEM}],
                    messages=messages,
                    inferenceConfig={"maxTokens": 300},
                )
                messages.append(response["output"]["message"])
                usage = Usage.from_converse(response["usage"])
                total_usage = total_usage + usage
                info = response["tierwise"]
                priced = priced + price(
                    usage,
                    rates,
                    model_id=str(info["modelId"]),
                    service_tier=response.get("serviceTier"),
                )
                total_cost += Decimal(info["costUsd"])
        ledger_cost = tw.ledger.totals().cost_usd
    if not priced.total == total_cost == ledger_cost:
        raise SystemExit(
            f"caching {label}: per-call prices {priced.total} != costUsd {total_cost}"
            f" or ledger {ledger_cost}"
        )
    return total_usage, priced, total_cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=8)
    parser.add_argument("--turns", type=int, default=5)
    args = parser.parse_args()
    base = load_settings(environ={}).settings
    console = Console()
    with Emulator(base, port=0).start() as emu:
        results = {}
        for mode in ("off", "auto"):
            emu.reset()
            settings = base.with_overrides({"endpoint_url": emu.url, "caching.mode": mode})
            results[mode] = run(settings, args.conversations, args.turns, mode)
    table = Table(title=f"Sonnet, {args.conversations} conversations x {args.turns} turns")
    for col in (
        "caching",
        "uncached in",
        "cache write",
        "cache read",
        "output",
        "input cost",
        "total cost",
    ):
        table.add_column(col, justify="right")
    for mode, (usage, p, cost) in results.items():
        input_cost = p.input + p.cache_read + p.cache_write
        table.add_row(
            mode, f"{usage.input:,}", f"{usage.cache_write:,}", f"{usage.cache_read:,}",
            f"{usage.output:,}", f"${input_cost:.4f}", f"${cost:.4f}",
        )  # fmt: skip
    console.print(table)
    off_in = results["off"][1]
    auto_in = results["auto"][1]
    off_input = off_in.input + off_in.cache_read + off_in.cache_write
    auto_input = auto_in.input + auto_in.cache_read + auto_in.cache_write
    console.print(
        f"input cost with auto caching is {auto_input / off_input:.1%} of uncached "
        f"({1 - auto_input / off_input:.1%} saved); total cost "
        f"{1 - results['auto'][2] / results['off'][2]:.1%} lower"
    )
    console.print(
        "costs priced call by call; per-call prices = costUsd = ledger cost_usd in both runs"
    )


if __name__ == "__main__":
    main()

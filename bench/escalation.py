"""Cheap-first escalation versus always-top-tier versus routing alone (through the emulator).

Run: python bench/escalation.py [--requests 200] [--bad-share 0.3]
The emulator's Haiku returns invalid JSON for ``--bad-share`` of requests (a test control).
Every strategy asks for JSON; an answer is *valid* if it parses as a JSON object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import track
from rich.table import Table

from tierwise.client import Tierwise
from tierwise.config import load_settings
from tierwise.core.validators import answer_text
from tierwise.emulator import Emulator

SCHEMA = {"type": "object"}
TASKS = [
    "Extract the sender and the amount from: 'Invoice from Contoso for $1,240' as JSON.",
    "Classify the sentiment of 'the update broke my workflow' as JSON with a label.",
    "Return JSON with the city and country in: 'Our office moved to Lyon, France'.",
    "Give JSON with the fields name and email from: 'Reach Ana at ana@example.com'.",
]


def valid(response: dict[str, Any]) -> bool:
    try:
        return isinstance(json.loads(answer_text(response)), dict)
    except ValueError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--bad-share", type=float, default=0.3)
    args = parser.parse_args()
    base = load_settings(environ={}).settings
    strategies: dict[str, dict[str, Any]] = {
        "cheap first + escalate": {
            "modelId": "auto", "validate": {"json_schema": SCHEMA}, "escalate": True,
            "cheap_first": True,
        },
        "routed, escalate on failure": {
            "modelId": "auto", "validate": {"json_schema": SCHEMA}, "escalate": True,
        },
        "routed only": {"modelId": "auto"},
        "always opus": {"modelId": "opus"},
    }  # fmt: skip
    rows = []
    with Emulator(base, port=0).start() as emu, tempfile.TemporaryDirectory() as tmp:
        settings = base.with_overrides({"endpoint_url": emu.url})
        for name, options in strategies.items():
            emu.reset()
            emu.misbehave("invalid_json", tier="haiku", share=args.bad_share)
            cost = Decimal(0)
            ok = 0
            calls = 0
            with Tierwise.from_settings(
                settings, ledger_url=f"sqlite:///{Path(tmp) / (name[:5] + '.db')}"
            ) as tw:
                for i in track(range(args.requests), description=name):
                    prompt = f"{TASKS[i % len(TASKS)]} (record {i})"
                    response = tw.converse(
                        messages=[{"role": "user", "content": [{"text": prompt}]}],
                        inferenceConfig={"maxTokens": 200},
                        **options,
                    )
                    cost += Decimal(response["tierwise"]["costUsd"])
                    calls += len(response["tierwise"].get("attempts") or [1])
                    ok += valid(response)
            rows.append((name, ok / args.requests, cost, calls / args.requests))
    title = (
        f"{args.requests} JSON requests; Haiku gives invalid JSON {args.bad_share:.0%} of the time"
    )
    table = Table(title=title)
    for col in ("strategy", "valid answers", "total cost", "cost / 1k", "calls / request"):
        table.add_column(col, justify="right")
    for name, rate, cost, calls in rows:
        table.add_row(
            name,
            f"{rate:.1%}",
            f"${cost:.4f}",
            f"${cost * 1000 / args.requests:.4f}",
            f"{calls:.2f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()

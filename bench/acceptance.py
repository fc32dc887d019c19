"""Routing agreement on the acceptance sets (issue 12): the figure, its interval, per tier.

Run: python bench/acceptance.py
Routes every request of tests/router/data/heldout_requests.jsonl (the first set, looked at
during tuning) and acceptance_v2.jsonl (the blind set) with the router as shipped (packaged
class and difficulty models, default policy) and prints, per set: agreement with the
intended tier and a 95% bootstrap interval, agreement per intended tier, the confusion
matrix, the Haiku<->Opus crossings, and the misroutes counted by intended class.

It prints no request text and no row ids for the blind set: whoever tunes the router is told
only these aggregates, so the set stays blind.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tierwise.client import load_class_scorer, load_scorer
from tierwise.config import load_settings
from tierwise.core.routing import decide
from tierwise.router.class_train import bootstrap_interval

DATA = Path(__file__).resolve().parent.parent / "tests" / "router" / "data"
SETS = {"heldout (v1, seen in tuning)": "heldout_requests.jsonl", "blind v2": "acceptance_v2.jsonl"}
TIERS = ("haiku", "sonnet", "opus")


@dataclass(frozen=True, slots=True)
class Routed:
    intended: str
    routed: str
    intended_class: str
    routed_class: str
    slices: tuple[str, ...]


def slices(row: dict[str, Any]) -> tuple[str, ...]:
    """The kinds of request a row belongs to (only the v2 rows carry lang and tricky)."""
    request = row["request"]
    out = []
    if row.get("tricky"):
        out.append("tricky wording")
    if row.get("lang", "en") != "en":
        out.append("non-English")
    if "toolConfig" in request:
        out.append("with tools")
    if len(request["messages"]) > 1:
        out.append("multi-turn")
    return tuple(out)


def route_set(path: Path) -> list[Routed]:
    settings = load_settings(environ={}).settings
    policy = settings.routing_policy()
    classes, difficulty = load_class_scorer(settings), load_scorer(settings)
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        d = decide(row["request"], policy=policy, scorer=difficulty, class_scorer=classes)
        out.append(Routed(row["tier"], d.tier.value, row["class"], d.task_class.name, slices(row)))
    return out


def report(name: str, routed: list[Routed]) -> list[str]:
    hits = [r.intended == r.routed for r in routed]
    lo, hi = bootstrap_interval(hits)
    lines = [
        f"## {name}: {len(routed)} requests",
        f"agreement {sum(hits) / len(hits):.3f} (95% bootstrap {lo:.3f}-{hi:.3f})",
    ]
    same_class = sum(r.intended_class == r.routed_class for r in routed)
    lines.append(f"class agreement {same_class}/{len(routed)} = {same_class / len(routed):.3f}")
    lines.append("agreement per intended tier and per slice:")
    for tier in TIERS:
        mine = [r for r in routed if r.intended == tier]
        if mine:
            ok = sum(r.routed == tier for r in mine)
            lines.append(f"  {tier:<14} {ok}/{len(mine)} = {ok / len(mine):.3f}")
    for name in ("tricky wording", "non-English", "with tools", "multi-turn"):
        mine = [r for r in routed if name in r.slices]
        if mine:
            ok = sum(r.routed == r.intended for r in mine)
            lines.append(f"  {name:<14} {ok}/{len(mine)} = {ok / len(mine):.3f}")
    lines.append("confusion (rows intended, columns routed):")
    lines.append("  " + " " * 8 + "".join(f"{t:>8}" for t in TIERS))
    for tier in TIERS:
        cells = Counter(r.routed for r in routed if r.intended == tier)
        lines.append(f"  {tier:<8}" + "".join(f"{cells[t]:>8}" for t in TIERS))
    crossings = [r for r in routed if {r.intended, r.routed} == {"haiku", "opus"}]
    lines.append(f"haiku<->opus crossings: {len(crossings)}")
    for r in crossings:
        lines.append(f"  {r.intended_class} ({r.intended}) -> {r.routed_class} ({r.routed})")
    misses = Counter(
        (r.intended_class, r.intended, r.routed) for r in routed if r.intended != r.routed
    )
    lines.append("misroutes by intended class (class, intended -> routed: count):")
    for (cls, want, got), n in sorted(misses.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {cls:<20} {want:>6} -> {got:<6} {n}")
    wrong_class = Counter(
        (r.intended_class, r.routed_class)
        for r in routed
        if r.intended != r.routed and r.intended_class != r.routed_class
    )
    lines.append("misrouted requests whose class was also wrong (intended -> predicted: count):")
    for (want_cls, got_cls), n in sorted(wrong_class.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {want_cls:<20} -> {got_cls:<20} {n}")
    return lines


def main() -> int:
    for name, file in SETS.items():
        print("\n".join(report(name, route_set(DATA / file))))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

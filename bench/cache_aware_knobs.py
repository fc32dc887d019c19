"""The agent conversations of bench/cache_aware.py under cache-aware routing, one run per
setting of the two knobs issue 19's exploration and thinking stickiness added: how much each
does, and how the packaged ``explore_answers = 10`` compares with other thresholds. The
workload, quality table and pricing are bench/cache_aware.py's (cost vs its all-Sonnet row).

    python bench/cache_aware_knobs.py [--conversations 20]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from cache_aware import agent_bench, finished, pct, run, write_results

SETTINGS: list[tuple[str, dict[str, Any]]] = [
    ("all-sonnet (modelId sonnet)", {}),
    ("explore_answers = 0 (prior only)", {"cache_state.explore_answers": 0}),
    ("sticky_thinking = false", {"cache_state.sticky_thinking": False}),
    ("explore_answers = 3", {"cache_state.explore_answers": 3}),
    ("packaged (10, sticky)", {}),
    ("explore_answers = 30", {"cache_state.explore_answers": 30}),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    out: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        out.append(line)

    say(f"{'setting':34} {'cost (USD)':>10} {'vs sonnet':>9} {'quality':>8}  tiers")
    with agent_bench(args.conversations) as bench:
        turns = bench.requests
        sonnet = None
        for i, (label, overrides) in enumerate(SETTINGS):
            model = "sonnet" if i == 0 else None
            r = run(f"k{i}", bench.settings(overrides), bench.emu, turns, model, 1, bench.tmp)
            sonnet = sonnet or r.cost
            mix = ", ".join(f"{t} {n}" for t, n in sorted(r.tiers.items()))
            say(f"{label:34} {r.cost:10.4f} {float(r.cost / sonnet):8.3f}x "
                f"{pct(*r.quality()):>8}  {mix}")  # fmt: skip
    say(finished(started))
    write_results("cache_aware_knobs.txt", "cache_aware_knobs.py", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

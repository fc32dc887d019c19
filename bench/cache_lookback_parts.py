"""What the 20-block lookback and turn-first placement each do on the agent conversations.

The agent workload of ``bench/cache_aware.py`` (20 eight-turn conversations, the same three
strategies) run three ways: as shipped (both); the lookback only (placement as before: the
previous turn's end takes a point before the current turn's, by setting
``caching.LOOKBACK_BLOCKS = 0`` for placement); turn-first placement only (reads only at a
request's own cache points, in the emulator and the router, by a window of 1). The switches
are for this measurement only, not settings.

    python bench/cache_lookback_parts.py [--conversations 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from cache_aware import agent_bench, run

import tierwise.core.caching as caching


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    defaults = caching.point_prefixes.__defaults__
    lookback = caching.LOOKBACK_BLOCKS
    variants = {
        "both (as shipped)": (lookback, defaults),
        "lookback only": (0, defaults),
        "turn-first only": (lookback, ("", 1)),
    }
    out: list[str] = []
    with agent_bench(args.conversations) as bench:
        requests = bench.requests
        strategies = bench.strategies()
        for name, (placement, window) in variants.items():
            caching.LOOKBACK_BLOCKS = placement  # placement's reordering test reads it
            caching.point_prefixes.__defaults__ = window  # the emulator's and router's reads
            try:
                costs = [
                    run(f"{name}-{label}", s, bench.emu, requests, model, 1, bench.tmp).cost
                    for label, s, model in strategies
                ]
            finally:
                caching.LOOKBACK_BLOCKS = lookback
                caching.point_prefixes.__defaults__ = defaults
            line = f"{name:20} " + "  ".join(
                f"{label} {cost:.4f}" for (label, _, _), cost in zip(strategies, costs, strict=True)
            )
            print(line, flush=True)
            out.append(line)
    out.append(f"({time.perf_counter() - started:.0f} s; {len(requests)} requests per run)")
    path = Path(__file__).parent / "results" / "cache_lookback_parts.txt"
    path.write_text(f"$ python bench/cache_lookback_parts.py {' '.join(sys.argv[1:])}".strip()
                    + "\n" + "\n".join(out) + "\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Is 1.31x of all-Sonnet a floor for the agent conversations (issue 19)? The arithmetic.

bench/cache_aware.py's agent conversations: the quality policy serves each planning turn
(``complex_analysis``) on Opus or on Sonnet with a thinking budget, never on plain Sonnet.
A thinking setting is part of a message cache point's key, so the first planning turn of a
conversation whose earlier turns ran without thinking reads none of the history all-Sonnet
reads there: it writes it again, on Sonnet at the write rate instead of the read rate (on
Opus dearer still). This prints, per conversation, what all-Sonnet read at its first planning
turn, and the least that rewrite costs.

That bound holds only for strategies that send no thinking before the first planning turn.
Thinking is more reasoning on the same tier, so the policy allows it on every turn; a
conversation sent with the planning turns' budget from its first turn keeps one message
cache throughout. This serves the same turns that way (every turn pinned to Sonnet with an
8,192-token thinking budget, the planning option's) to measure what that costs: the price of
thinking on every turn and of the bet that planning turns will come.

    python bench/cache_aware_floor.py [--conversations 20]
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal
from typing import Any

from cache_aware import (
    SKILLS,
    Outcome,
    _split,
    agent_bench,
    answer_text,
    finished,
    pct,
    write_results,
)

from tierwise.client import Tierwise
from tierwise.core.tiers import Tier
from tierwise.emulator.skills import CLASS_KEY

BUDGET = 8192  # the planning option's budget (routing's thinking_max_budget)
PLANNING = "complex_analysis"


def thinking(request: dict[str, Any]) -> dict[str, Any]:
    """The request with the planning option's thinking budget, as the planner sends it with
    no maxTokens of the caller's (the budget plus 4,096 tokens of answer room)."""
    return {
        **request,
        "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": BUDGET}},
        "inferenceConfig": {"maxTokens": BUDGET + 4096},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    out: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        out.append(line)

    with (
        agent_bench(args.conversations) as bench,
        Tierwise.from_settings(
            bench.settings(), ledger_url=f"sqlite:///{bench.tmp}/floor.db"
        ) as tw,
    ):
        rates = bench.base.rates(Tier.SONNET)
        opus = bench.base.rates(Tier.OPUS)
        emu = bench.emu
        conversations = bench.conversations
        results: dict[str, Outcome] = {}
        first_reads: list[int] = []
        for label, shape in (("all-sonnet", None), ("sonnet, thinking every turn", thinking)):
            emu.reset()
            emu.set_skills(SKILLS)
            r = Outcome()
            for turns in conversations:
                seen_planning = False
                for request in turns:
                    sent = shape(request) if shape else request
                    response = tw.converse(modelId="sonnet", **sent)
                    r.record(request, response, tw.settings, shape is not None)
                    true_class = request["requestMetadata"][CLASS_KEY]
                    ok = emu.acceptable(request, answer_text(response))
                    if ok is not None:
                        r.judged[true_class] += 1
                        r.good[true_class] += int(ok)
                    if shape is None and true_class == PLANNING and not seen_planning:
                        seen_planning = True
                        first_reads.append(response["usage"].get("cacheReadInputTokens", 0))
            results[label] = r
    sonnet = results["all-sonnet"].cost
    per_m = Decimal(1_000_000)
    step = (rates.cache_write_5m - rates.cache_read) / per_m
    read = sum(first_reads)
    extra = read * step
    say(f"agent conversations: {args.conversations}, 8 turns each; all-sonnet ${sonnet:.4f}")
    say(f"all-sonnet's reads at each conversation's first planning turn (tokens): "
        f"{', '.join(f'{n:,}' for n in first_reads)}")  # fmt: skip
    say(f"  total {read:,} tokens, mean {read / max(len(first_reads), 1):,.0f}")
    say(f"the least any option the policy allows adds there, with no thinking sent before: "
        f"{read:,} x (Sonnet write ${rates.cache_write_5m}/M - read ${rates.cache_read}/M) "
        f"= ${extra:.4f} (on Opus: x (${opus.cache_write_5m} - ${rates.cache_read})/M = "
        f"${read * (opus.cache_write_5m - rates.cache_read) / per_m:.4f})")  # fmt: skip
    say(f"  bound: ${sonnet:.4f} + ${extra:.4f} = ${sonnet + extra:.4f} = "
        f"{float((sonnet + extra) / sonnet):.3f}x of all-sonnet, assuming the other turns "
        "cost at least all-sonnet's (they run on Sonnet reading the same history, or pay a "
        "write elsewhere)")  # fmt: skip
    say(f"{'strategy':28} {'cost (USD)':>10} {'vs sonnet':>9} {'quality':>8}")
    for label, r in results.items():
        say(f"{label:28} {r.cost:10.4f} {float(r.cost / sonnet):8.3f}x {pct(*r.quality()):>8}")
        total, thought = r.total_split()
        say(f"  cost split: {_split(total, thought)}")
    say(finished(started))
    write_results("cache_aware_floor.txt", "cache_aware_floor.py", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

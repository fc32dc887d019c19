"""Cache-aware routing with expected output and thinking use learned from answers (issue 19).

bench/cache_aware.py's agent conversations have no answer with thinking to learn from: priced
at the packaged ``thinking_use = 1.0`` (the whole 8,192-token budget), Sonnet with thinking
is never chosen for their planning turns, so its thinking is never measured. A team's
gateway serves other traffic too. Here it first serves ``--warmup`` maths questions, which
the router sends to Sonnet with a 4,096-token thinking budget (the emulator thinks 40-200
tokens of it), then the same 20 eight-turn agent conversations. Two replicas share cache
state through Redis: replica 1 serves the maths, replica 2 the conversations, so what
replica 2 knows of Sonnet's thinking it learned through Redis.

Strategies, each on a fresh emulator cache, ledger and Redis database, same requests:
- all-sonnet: every request pinned to Sonnet;
- class routing: the router's tier, no cache awareness;
- cache-aware, prior only: ``[cache_state] output_learning = false``, so the configured
  ``output_tokens``/``short_output_tokens`` and ``thinking_use = 1.0`` are used whatever the
  answers show (the static configuration this replaces);
- cache-aware, learned: the packaged settings (``output_learning = true``,
  ``output_prior_weight = 3``).

Costs and quality are those of the agent conversations; the maths questions' cost is printed
apart (each routed strategy serves them the same way: short prompts, nothing to cache).

    python bench/cache_aware_learned.py [--warmup 40] [--conversations 20] [--redis-db 13]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from cache_aware import (
    SKILLS,
    Outcome,
    _split,
    agent_conversations,
    answer_text,
    finished,
    pct,
    redis_url,
    tagged,
    write_results,
)

from tierwise.client import Tierwise
from tierwise.config import Settings, load_settings
from tierwise.emulator import Emulator
from tierwise.emulator.skills import CLASS_KEY

MATHS = [
    "Work out step by step: how many ways can {n} rooks be placed on a {n}x{n} board so that "
    "none attack each other, and why?",
    "Solve: a train leaves at 3pm at {n}0 km/h, another at 4pm at {m}0 km/h; when does the "
    "second catch up? Show your reasoning step by step.",
]


def maths(count: int) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        text = MATHS[i % 2].format(n=4 + i % 6, m=5 + i % 6 + i // 12)
        request = {"messages": [{"role": "user", "content": [{"text": f"{text} (#{i})"}]}]}
        out.append(tagged(request, "math"))
    return out


def run(
    label: str, settings: Settings, emu: Emulator, warmup: list[dict[str, Any]],
    turns: list[dict[str, Any]], model: str | None, tmp: Path,
) -> tuple[Outcome, Decimal, Counter[str], str]:  # fmt: skip
    """The warm-up on replica 1, then the conversations on replica 2: the conversations'
    outcome, the warm-up's cost and tiers, and the reason of the last planning turn's
    cache-aware choice."""
    emu.reset()
    emu.set_skills(SKILLS)
    if settings.cache_state.url:
        import redis

        redis.Redis.from_url(settings.cache_state.url).flushdb()
    first, second = (
        Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp / f'{label}-{i}.db'}")
        for i in (1, 2)
    )
    out = Outcome()
    warm_cost = Decimal(0)
    warm_tiers: Counter[str] = Counter()
    reason = ""
    try:
        for request in warmup:
            info = first.converse(modelId=model, **request)["tierwise"]
            warm_cost += Decimal(info["costUsd"])
            thinking = info["route"].get("thinking_budget") if model is None else None
            warm_tiers[info["tier"] + ("+thinking" if thinking else "")] += 1
        for request in turns:
            response = second.converse(modelId=model, **request)
            info = response["tierwise"]
            routed = model is None and bool(info["route"].get("thinking_budget"))
            out.record(request, response, settings, routed)
            true_class = request["requestMetadata"][CLASS_KEY]
            ok = emu.acceptable(request, answer_text(response))
            if ok is not None:
                out.judged[true_class] += 1
                out.good[true_class] += int(ok)
            if true_class == "complex_analysis" and "cache" in info["route"]:
                reason = info["route"]["cache"]["reason"]
    finally:
        first.close()
        second.close()
    return out, warm_cost, warm_tiers, reason


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--redis-db", type=int, default=13)
    args = parser.parse_args()
    started = time.perf_counter()
    base = load_settings(environ={}).settings
    out: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        out.append(line)

    shared = redis_url(args.redis_db) or ""
    warmup = maths(args.warmup)
    turns = [t for conv in agent_conversations(args.conversations, 2) for t in conv]
    with tempfile.TemporaryDirectory() as tmp_name, Emulator(base, port=0).start() as emu:
        tmp = Path(tmp_name)
        common = {"endpoint_url": emu.url, "retry.base_delay_s": 0.0, "cache_state.url": shared}
        say("two replicas share cache state through "
            + (f"Redis ({shared})" if shared else "nothing (Redis not running): "
               "each learns alone, so replica 2 learns nothing from the warm-up")
            + f"; replica 1 serves {args.warmup} maths questions, replica 2 then "
            f"{args.conversations} eight-turn agent conversations "
            f"({len(turns)} turns)")  # fmt: skip
        strategies: list[tuple[str, Settings, str | None]] = [
            ("all-sonnet", base.with_overrides(common), "sonnet"),
            ("class routing", base.with_overrides({**common, "cache_state.enabled": False}), None),
            ("aware, prior only",
             base.with_overrides({**common, "cache_state.output_learning": False}), None),
            ("aware, learned", base.with_overrides(common), None),
        ]  # fmt: skip
        say(f"{'strategy':18} {'cost (USD)':>10} {'vs sonnet':>9} {'vs class':>9} "
            f"{'quality':>8} {'hard':>7}  tiers  | warm-up: cost, tiers")  # fmt: skip
        hard = {"complex_analysis", "research_synthesis", "proof"}
        results: dict[str, Outcome] = {}
        reasons: dict[str, str] = {}
        for label, settings, model in strategies:
            r, warm_cost, warm_tiers, reasons[label] = run(
                label, settings, emu, warmup, turns, model, tmp
            )
            results[label] = r
            sonnet = results["all-sonnet"].cost
            routed = results.get("class routing", r).cost
            mix = ", ".join(f"{t} {n}" for t, n in sorted(r.tiers.items()))
            warm = ", ".join(f"{t} {n}" for t, n in sorted(warm_tiers.items()))
            say(f"{label:18} {r.cost:10.4f} {float(r.cost / sonnet):8.3f}x "
                f"{float(r.cost / routed):8.3f}x {pct(*r.quality()):>8} "
                f"{pct(*r.quality(hard)):>7}  {mix}  | {warm_cost:.4f}, {warm}")  # fmt: skip
        for label, r in results.items():
            total, thought = r.total_split()
            say(f"  {label} cost split: {_split(total, thought)}")
        say("  complex_analysis turns: " + "; ".join(
            f"{label} {_split(r.split['complex_analysis'], r.thinking['complex_analysis'])}"
            for label, r in results.items()))  # fmt: skip
        for label, reason in reasons.items():
            if reason:
                say(f"  {label}, the last planning turn's reason: {reason}")
        say(finished(started))
    write_results("cache_aware_learned.txt", "cache_aware_learned.py", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

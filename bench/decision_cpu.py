"""CPU time of one routing decision (thread_time, so other processes on a shared machine do
not count), for comparing two versions of the code on the same machine.

Run: python bench/decision_cpu.py
     PYTHONPATH=OTHER/src python bench/decision_cpu.py   (another checkout's code and models)
Prints p10 and p50 in ms of decide() on bench/router_latency.py's 20k-token request (the same
request each call, as in that bench's "20k tokens" rows), with and without the class stage, a
short request with the class stage, and extract_signals alone on the long request.

Then a whole routed decision with cache awareness (Planner.plan: decide() with classes, then
CacheRouter.choose(): cache points placed per allowed tier, the warm-prefix lookup, expected
costs), with warm state, in process and against Redis (127.0.0.1:6379 db 14, its own key
prefix, deleted after; skipped when Redis is not running). Requests: the 20k-token request
asked again (its prefix warm on Sonnet), and a tool-using agent's next turn (tools, a system
prompt, a pasted log, then ``--agent-steps`` exchanges of text + toolUse / toolResult blocks),
its previous turn's prefixes warm on Sonnet. For these, "keys" is the keys the decision looked
up in the cache state (CacheState.warm, summed over its calls) and "calls" how many calls
(MGETs in Redis); the Redis rows add the wall-clock p50 (the round trips a CPU time leaves
out). Last, CacheState.warm alone for 5 to 240 keys (4 per option before the lookback
window, up to 80 with it), in process and in Redis.

For instruction counts (not moved by other processes on the machine), ``--plans N`` runs only
N agent-turn decisions (``--state memory`` or ``redis``) after the setup; run it under
``valgrind --tool=callgrind`` with two values of N and divide the difference in instructions
by the difference in N.

``--plans N --request short`` plans N distinct prompts shaped as bench/request_cpu.py
``--distinct`` sends them (its call prompt numbered per request, 60 max tokens), after 20 of
warm-up; ``--request long`` puts request_cpu's 6,000-token report in front as the system
prompt (``--long 6000``), the cache state on a clock that steps per reading. The N plans run
between two ``time.sleep(0)`` calls, so
``valgrind --tool=callgrind --dump-before=time_sleep`` writes them as a part of their own
(its total / N = instructions per plan); run with ``PYTHONHASHSEED=0``.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tierwise.cache_router import CacheRouter
from tierwise.cache_state import CacheState, MemoryCacheState, RedisCacheState
from tierwise.client import load_class_scorer
from tierwise.config import Settings, load_settings
from tierwise.core.cache_aware import Prefix, prefixes
from tierwise.core.routing import decide
from tierwise.core.signals import extract_signals, prepare_cues
from tierwise.core.tiers import Tier
from tierwise.engine.plan import Planner
from tierwise.router.weights import load_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from router_latency import LONG  # the bench's own long request, imported after the path

SHORT = "Classify this ticket into billing, technical or account: I was charged twice."


def drop_keys(url: str, prefix: str) -> None:
    """Delete the keys this run wrote under ``prefix`` (the Redis is shared: nothing else)."""
    import redis

    client = redis.Redis.from_url(url)
    names = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if names:
        client.delete(*names)
    client.close()


def cpu_ms(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(runs):
        start = time.thread_time()
        fn()
        samples.append(time.thread_time() - start)
    samples.sort()
    return samples[runs // 10] * 1000, samples[runs // 2] * 1000


def wall_p50_ms(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    samples.sort()
    return samples[runs // 2] * 1000


def agent_turn(steps: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A tool-using agent's previous turn and its next one (the previous plus one exchange)."""
    tools = [
        {
            "toolSpec": {
                "name": name,
                "description": f"{name.replace('_', ' ')}: " + "runs against production. " * 20,
                "inputSchema": {"json": {"type": "object", "properties": {
                    "host": {"type": "string"}, "since": {"type": "string"}}}},
            }
        }
        for name in ("read_logs", "query_metrics", "list_hosts", "read_config")
    ]  # fmt: skip
    system = [{"text": "You are the on-call assistant. Investigate with the tools. " * 60}]
    log = "\n".join(
        f"2026-11-{i % 28 + 1:02d}T12:{i % 60:02d}:00Z host-{i % 40} ERROR ledger-db timed out "
        f"after {100 + i * 37 % 9000} ms (pool exhausted, {i % 64} waiters)"
        for i in range(300)
    )
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": [{"text": f"Incident: investigate this.\n\n{log}"}]}
    ]

    def exchange(i: int) -> None:
        messages.append({"role": "assistant", "content": [
            {"text": f"Step {i}: checking host-{i % 40}."},
            {"toolUse": {"toolUseId": f"t{i}", "name": "read_logs",
                         "input": {"host": f"host-{i % 40}", "since": "1h"}}},
        ]})  # fmt: skip
        messages.append({"role": "user", "content": [
            {"toolResult": {"toolUseId": f"t{i}", "content": [
                {"text": f"host-{i % 40}: " + "WARN pool at 64/64; " * 40}]}},
        ]})  # fmt: skip

    for i in range(steps):
        exchange(i)
    base = {"toolConfig": {"tools": tools}, "system": system}
    previous = {**base, "messages": list(messages)}
    exchange(steps)
    return previous, {**base, "messages": list(messages)}


class Counting:
    """A cache state that counts the keys its ``warm`` is asked for, and the calls."""

    def __init__(self, inner: CacheState) -> None:
        self.inner = inner
        self.keys = 0
        self.calls = 0

    def warm(self, model_id: str, keys: Sequence[str]) -> set[str]:
        self.keys += len(keys)
        self.calls += 1
        return self.inner.warm(model_id, keys)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def warm_on(settings: Settings, state: CacheState, request: dict[str, Any], tier: Tier) -> None:
    """Mark ``request``'s cacheable prefixes (as sent to ``tier``) warm on its model."""
    router = CacheRouter(settings, state)
    points: list[Prefix] = prefixes(
        router._prepared(request, tier), settings.tier(tier).cache_min_tokens
    )
    state.mark(settings.tier(tier).model_id, points)


def redis_url() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return "redis://127.0.0.1:6379/14"
    except OSError:
        return None


def cache_cases(
    settings: Settings, scorer: Any, classes: Any, long: dict[str, Any], steps: int
) -> None:
    previous, turn = agent_turn(steps)
    blocks = sum(len(m["content"]) for m in turn["messages"])
    url = redis_url()
    states: list[tuple[str, Callable[[], CacheState]]] = [("memory", MemoryCacheState)]
    prefix = f"tierwise:bench-decision-cpu:{os.getpid()}"
    if url is not None:
        states.append(("redis", lambda: RedisCacheState(url, prefix=prefix)))
    print(
        f"\nWhole decision with cache awareness (Planner.plan, classes; warm on Sonnet). "
        f"Agent turn: {steps} tool exchanges, {blocks} message blocks."
        + ("" if url else " Redis not running on 127.0.0.1:6379: its rows skipped.")
    )
    print(f"{'case':<36}{'p10 ms':>9}{'p50 ms':>9}{'wall p50':>10}{'keys':>6}{'calls':>6}")
    try:
        for state_name, make in states:
            for name, request, warm_request, runs in (
                ("20k tokens", long, long, 300),
                ("agent turn", turn, previous, 300),
            ):
                counting = Counting(make())
                warm_on(settings, counting, warm_request, Tier.SONNET)
                planner = Planner(settings, scorer, classes, CacheRouter(settings, counting))

                def plan(p: Planner = planner, r: dict[str, Any] = request) -> object:
                    return p.plan(None, r)

                counting.keys = counting.calls = 0
                chosen = planner.plan(None, request)
                keys, calls = counting.keys, counting.calls
                p10, p50 = cpu_ms(plan, runs)
                wall = wall_p50_ms(plan, runs) if state_name == "redis" else float("nan")
                label = f"{state_name}, {name} -> {chosen.tier.value if chosen.tier else '-'}"
                wall_text = f"{wall:10.3f}" if state_name == "redis" else f"{'':10}"
                print(f"{label:<36}{p10:9.3f}{p50:9.3f}{wall_text}{keys:6d}{calls:6d}")
                counting.close()
    finally:
        if url is not None:
            drop_keys(url, prefix)


def plans_only(n: int, state_name: str, steps: int) -> None:
    """``n`` agent-turn decisions with warm state, nothing else measured (see the module doc)."""
    prepare_cues()
    settings = load_settings(environ={}).settings
    previous, turn = agent_turn(steps)
    url = redis_url() if state_name == "redis" else None
    if state_name == "redis" and url is None:
        raise SystemExit("Redis is not running on 127.0.0.1:6379")
    prefix = f"tierwise:bench-decision-cpu:{os.getpid()}"
    state: CacheState = MemoryCacheState() if url is None else RedisCacheState(url, prefix=prefix)
    warm_on(settings, state, previous, Tier.SONNET)
    planner = Planner(
        settings, load_model(), load_class_scorer(settings), CacheRouter(settings, state)
    )
    planner.plan(None, turn)
    for _ in range(n):
        planner.plan(None, turn)
    state.close()
    if url is not None:
        drop_keys(url, prefix)


def bench_plans(n: int, long: bool) -> None:
    """``n`` plans of distinct bench-shaped prompts between two time.sleep(0) markers."""
    import itertools

    from concurrency import CALL_PROMPT
    from request_cpu import document

    prepare_cues()
    settings = load_settings(environ={}).settings
    state = MemoryCacheState(clock=itertools.count(0.0, 0.25).__next__)
    planner = Planner(
        settings, load_model(), load_class_scorer(settings), CacheRouter(settings, state)
    )
    system = [{"text": document(6000)}] if long else None

    def request(number: int) -> dict[str, Any]:
        text = f"{CALL_PROMPT} (request {number})"
        out: dict[str, Any] = {
            "messages": [{"role": "user", "content": [{"text": text}]}],
            "inferenceConfig": {"maxTokens": 60},
        }
        if system is not None:
            out["system"] = system
        return out

    for number in range(1, 21):
        planner.plan("auto", request(number))
    requests = [request(number) for number in range(21, 21 + n)]
    time.sleep(0)
    for r in requests:
        planner.plan("auto", r)
    time.sleep(0)


def lookup_cases() -> None:
    """CacheState.warm alone: one call for ``n`` keys, a tenth of them warm."""
    import hashlib

    from tierwise.core.cache_aware import Prefix as Point

    url = redis_url()
    prefix = f"tierwise:bench-decision-cpu-keys:{os.getpid()}"
    model = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
    keys = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(240)]
    states: list[tuple[str, CacheState]] = [("memory", MemoryCacheState())]
    if url is not None:
        states.append(("redis", RedisCacheState(url, prefix=prefix)))
    print("\nCacheState.warm alone, one call (ms)")
    print(f"{'keys':<8}" + "".join(f"{n + ' ' + c:>18}" for n, _ in states
                                  for c in ("p50", "wall p50")))  # fmt: skip
    try:
        for _, state in states:
            state.mark(model, [Point(1000 + i, "5m", k) for i, k in enumerate(keys[::10])])
        for n in (5, 20, 80, 160, 240):
            row = f"{n:<8}"
            for _, state in states:

                def lookup(s: CacheState = state, k: list[str] = keys[:n]) -> object:
                    return s.warm(model, k)

                _, p50 = cpu_ms(lookup, 2000)
                row += f"{p50:18.3f}{wall_p50_ms(lookup, 2000):18.3f}"
            print(row)
    finally:
        for _, state in states:
            state.close()
        if url is not None:
            drop_keys(url, prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agent-steps", type=int, default=12)
    parser.add_argument("--plans", type=int, default=None, help="only N agent-turn decisions")
    parser.add_argument("--state", choices=("memory", "redis"), default="memory")
    parser.add_argument(
        "--request", choices=("agent", "short", "long"), default="agent", help="with --plans"
    )
    args = parser.parse_args()
    if args.plans is not None and args.request != "agent":
        bench_plans(args.plans, args.request == "long")
        return
    if args.plans is not None:
        plans_only(args.plans, args.state, args.agent_steps)
        return
    prepare_cues()
    settings = load_settings(environ={}).settings
    policy = settings.routing_policy()
    scorer = load_model()
    classes = load_class_scorer(settings)
    long = {"messages": [{"role": "user", "content": [{"text": LONG}]}]}
    short = {"messages": [{"role": "user", "content": [{"text": SHORT}]}]}
    cases: list[tuple[str, Callable[[], object], int]] = [
        ("decide(), 20k tokens", lambda: decide(long, policy=policy, scorer=scorer), 300),
        (
            "decide()+classes, 20k tokens",
            lambda: decide(long, policy=policy, scorer=scorer, class_scorer=classes),
            300,
        ),
        (
            "decide()+classes, short",
            lambda: decide(short, policy=policy, scorer=scorer, class_scorer=classes),
            2000,
        ),
        ("extract_signals, 20k tokens", lambda: extract_signals(long), 300),
    ]
    print(f"{'case':<32}{'p10 ms':>9}{'p50 ms':>9}  (CPU time of this thread)")
    for name, fn, runs in cases:
        p10, p50 = cpu_ms(fn, runs)
        print(f"{name:<32}{p10:9.3f}{p50:9.3f}")
    cache_cases(settings, scorer, classes, long, args.agent_steps)
    lookup_cases()


if __name__ == "__main__":
    main()

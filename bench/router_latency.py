"""Routing decision latency: model load time, and p50/p99 of score() and decide().

Run: python bench/router_latency.py
Prints timings for short prompts and ~20k-token requests. No thresholds: compare runs.
Word features are memoised, so repeated prompts run warm; the "new words" case adds three
never-seen words to every prompt, a worst case for the memo, and the "20k new text" case
changes the long request on every call (so nothing of it is remembered). The first line
gives the load average: the machine is shared, so compare ratios within one run.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime

from tierwise.client import load_class_scorer
from tierwise.config import load_settings
from tierwise.core.routing import decide
from tierwise.router.weights import load_model

SHORT = [
    "Classify this ticket into billing, technical or account: I was charged twice.",
    "Is this email spam? Answer yes or no: 'You won a cruise!'",
    "Summarize the attached meeting notes in three bullets.",
    "Prove that the square root of 2 is irrational.",
    "Write a Python function that merges two sorted lists.",
]
LONG = "Passage: " + ("The quarterly report lists revenue, costs and churn by region. " * 1300)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fn: object, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")
    print(f"# {stamp}, {os.cpu_count()} cores, load average {load}")
    loads = []
    for _ in range(5):
        start = time.perf_counter()
        model = load_model()
        loads.append((time.perf_counter() - start) * 1000)
    settings = load_settings(environ={}).settings
    policy = settings.routing_policy()
    class_loads = []
    for _ in range(5):
        start = time.perf_counter()
        classes = load_class_scorer(settings)
        class_loads.append((time.perf_counter() - start) * 1000)
    print(f"class model load: median {statistics.median(class_loads):.1f} ms over 5 loads")
    print(f"model load: median {statistics.median(loads):.1f} ms over 5 loads")
    print(f"long request: {len(LONG):,} chars (~{len(LONG) // 4:,} tokens)")
    decide(  # compiles the cue scanner, as a client does when it starts
        {"messages": [{"role": "user", "content": [{"text": SHORT[0]}]}]}, policy=policy
    )
    print(f"{'case':<32}{'p50 ms':>10}{'p99 ms':>10}")
    cases = {
        "score(), short prompts": lambda i: model.score(SHORT[i % len(SHORT)]),
        "score(), short + new words": lambda i: model.score(
            f"{SHORT[i % len(SHORT)]} Ref q{i:x}k, case {i * 7919:x}z, note w{i}v."
        ),
        "decide(), short prompts": lambda i: decide(
            {"messages": [{"role": "user", "content": [{"text": SHORT[i % len(SHORT)]}]}]},
            policy=policy,
            scorer=model,
        ),
        "decide(), 20k-token request": lambda i: decide(
            {"messages": [{"role": "user", "content": [{"text": LONG}]}]},
            policy=policy,
            scorer=model,
        ),
        # The whole decision as shipped: class model blended with cues, then difficulty.
        "decide()+classes, short": lambda i: decide(
            {"messages": [{"role": "user", "content": [{"text": SHORT[i % len(SHORT)]}]}]},
            policy=policy,
            scorer=model,
            class_scorer=classes,
        ),
        "decide()+classes, short+new": lambda i: decide(
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"text": f"{SHORT[i % len(SHORT)]} Ref q{i:x}k z{i * 7:x}."}],
                    }
                ]
            },
            policy=policy,
            scorer=model,
            class_scorer=classes,
        ),
        "decide()+classes, 20k tokens": lambda i: decide(
            {"messages": [{"role": "user", "content": [{"text": LONG}]}]},
            policy=policy,
            scorer=model,
            class_scorer=classes,
        ),
        "decide()+classes, 20k new text": lambda i: decide(
            {"messages": [{"role": "user", "content": [{"text": f"Case q{i:x}z: {LONG}"}]}]},
            policy=policy,
            scorer=model,
            class_scorer=classes,
        ),
    }
    for name, fn in cases.items():
        runs = 200 if "20k" in name else 2000
        counter = iter(range(runs))
        samples = timed(lambda fn=fn, counter=counter: fn(next(counter)), runs)
        print(f"{name:<32}{percentile(samples, 0.5):>10.3f}{percentile(samples, 0.99):>10.3f}")


if __name__ == "__main__":
    main()

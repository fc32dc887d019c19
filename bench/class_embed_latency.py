"""Decision latency with the n-gram class model vs the sentence-embedding one (embed extra).

Run: python bench/class_embed_latency.py [runs]
Prints model load time and decide() p50/p99 (class stage + difficulty, as routing runs) for
short prompts and for a ~20k-token request whose text changes on every call. No thresholds:
the machine is shared, so compare the two rows of one run (the load average is printed).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

from tierwise.client import load_scorer
from tierwise.config import load_settings
from tierwise.core.class_model import BlendedClassifier
from tierwise.core.routing import decide
from tierwise.router.class_weights import load_class_model

SHORT = [
    "Classify this ticket into billing, technical or account: I was charged twice.",
    "Is this email spam? Answer yes or no: 'You won a cruise!'",
    "Summarize the attached meeting notes in three bullets.",
    "Prove that the square root of 2 is irrational.",
    "Write a Python function that merges two sorted lists.",
]


def request(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": [{"text": text}]}]}


def long_text(i: int) -> str:
    # ~20k tokens (~80k characters), different on every call.
    return (
        f"Report {i}. "
        + " ".join(
            f"Region {j % 17} revenue {i * 31 + j} costs {j * 7 % 101} churn {j % 13}."
            for j in range(2600)
        )
        + "\nWhat drove the change in churn?"
    )


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")
    print(f"# {stamp}, {os.cpu_count()} cores, load average {load}, {runs} runs per case")
    settings = load_settings(environ={}).settings
    policy = settings.routing_policy()
    scorer = load_scorer(settings)
    longs = [request(long_text(i)) for i in range(max(runs // 10, 20))]
    print(
        "| class model | load ms | short p50 ms | short p99 ms | 20k tokens p50 ms | 20k p99 ms |"
    )
    print("|---|---|---|---|---|---|")
    for embed in (False, True):
        start = time.perf_counter()
        model = load_class_model(embed=embed)
        assert model is not None
        classes = BlendedClassifier(model)
        decide(request("warm up"), policy=policy, scorer=scorer, class_scorer=classes)
        loaded = (time.perf_counter() - start) * 1000
        short, long = [], []
        for i in range(runs):
            r = request(SHORT[i % len(SHORT)])
            t = time.perf_counter()
            decide(r, policy=policy, scorer=scorer, class_scorer=classes)
            short.append((time.perf_counter() - t) * 1000)
        for r in longs:
            t = time.perf_counter()
            decide(r, policy=policy, scorer=scorer, class_scorer=classes)
            long.append((time.perf_counter() - t) * 1000)
        print(
            f"| {classes.version} | {loaded:.0f} | {pct(short, 0.5):.2f} | {pct(short, 0.99):.2f} "
            f"| {pct(long, 0.5):.2f} | {pct(long, 0.99):.2f} |"
        )


if __name__ == "__main__":
    main()

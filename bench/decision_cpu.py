"""CPU time of one routing decision (thread_time, so other processes on a shared machine do
not count), for comparing two versions of the code on the same machine.

Run: python bench/decision_cpu.py
     PYTHONPATH=OTHER/src python bench/decision_cpu.py   (another checkout's code and models)
Prints p10 and p50 in ms of decide() on bench/router_latency.py's 20k-token request (the same
request each call, as in that bench's "20k tokens" rows), with and without the class stage, a
short request with the class stage, and extract_signals alone on the long request.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from tierwise.client import load_class_scorer
from tierwise.config import load_settings
from tierwise.core.routing import decide
from tierwise.core.signals import extract_signals, prepare_cues
from tierwise.router.weights import load_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from router_latency import LONG  # the bench's own long request, imported after the path

SHORT = "Classify this ticket into billing, technical or account: I was charged twice."


def cpu_ms(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(runs):
        start = time.thread_time()
        fn()
        samples.append(time.thread_time() - start)
    samples.sort()
    return samples[runs // 10] * 1000, samples[runs // 2] * 1000


def main() -> None:
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


if __name__ == "__main__":
    main()

"""Why a loaded machine once tipped bench/cache_aware.py's back-to-back RAG row (issue 19).

The back-to-back RAG workload's three replicas share cache state through Redis, whose client
gives up on a reply after 0.25 s and then serves from the replica's own memory for 5 s. On a
loaded machine one reply can come that late. This replays that run (class routing and
cache-aware routing, the same requests, the same emulator) with one Redis reply timing out
on one replica before request K, for each K given, and prints each run's cost and Haiku
answers next to class routing's. The replicas' cache state runs on a simulated clock (one
request every 0.01 s) so that the outage lasts the same 500 requests on any machine; Redis's
own windows and the emulator's cache run on the real clock, as in bench/cache_aware.py. For
the run without a timeout it also prints how old a prefix's request window was at most, per
request counted in it: the reuse forecast reads that real-clock rate, and is at its cap
(``max_reuse``) while it stays under TTL / max_reuse.

    python bench/cache_aware_outage.py [--questions 1200] [--at 100 400 800] [--redis-db 11]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from cache_aware import SKILLS, Outcome, Paced, finished, rag_requests, served, write_results

from tierwise.cache_state import RedisCacheState
from tierwise.client import Tierwise
from tierwise.config import Settings, load_settings
from tierwise.emulator import Emulator

REPLICAS = 3


def replay(
    settings: Settings,
    emu: Emulator,
    requests: list[dict[str, Any]],
    tmp: Path,
    late_at: int,
    gaps: list[float] | None = None,
) -> Outcome:
    """The run with one Redis timeout on the replica serving request ``late_at`` (-1: none).
    ``gaps``: filled with each reuse forecast's window age per request counted before it."""
    emu.reset()
    emu.set_skills(SKILLS)
    url = settings.cache_state.url
    redis.Redis.from_url(url).flushdb()
    paced = Paced(0.01)
    clients = [
        Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp / f'{late_at}-{i}.db'}")
        for i in range(REPLICAS)
    ]
    for client in clients:
        client.cache_router.state.close()
        state = RedisCacheState(url, clock=paced.clock)
        if gaps is not None:
            state.seen = _measured(state.seen, gaps)  # type: ignore[method-assign]
        client.cache_router.state = state
    out = Outcome()
    try:
        for i, request in enumerate(requests):
            paced.now += paced.every_s
            client = clients[i % REPLICAS]
            state = client.cache_router.state
            if i == late_at and isinstance(state, RedisCacheState):
                # what a reply later than the socket timeout does (the client raises)
                state._failed(redis.TimeoutError("Timeout reading from socket"))
            out.record(request, client.converse(**request), settings, False)
    finally:
        for client in clients:
            client.close()
    return out


def _measured(
    seen: Callable[[str, int], tuple[int, float]], gaps: list[float]
) -> Callable[[str, int], tuple[int, float]]:
    def counted(key: str, ttl_s: int) -> tuple[int, float]:
        count, age = seen(key, ttl_s)
        if count:
            gaps.append(age / count)
        return count, age

    return counted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=1200)
    parser.add_argument("--at", type=int, nargs="+", default=[100, 400, 800])
    parser.add_argument("--redis-db", type=int, default=11)
    args = parser.parse_args()
    logging.getLogger("tierwise.cache_state").setLevel(logging.ERROR)  # the injected outages
    started = time.perf_counter()
    base = load_settings(environ={}).settings
    url = f"redis://127.0.0.1:6379/{args.redis_db}"
    requests = rag_requests(args.questions, 1)
    out: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, Emulator(base, port=0).start() as emu:
        routed = replay(
            served(base, emu, {"cache_state.enabled": False, "cache_state.url": url}),
            emu,
            requests,
            Path(tmp),
            -1,
        )
        line = f"class routing: {routed.cost:.4f}, haiku {routed.tiers['haiku']}"
        print(line, flush=True)
        out.append(line)
        aware = served(base, emu, {"cache_state.url": url})
        for at in [-1, *args.at]:
            gaps: list[float] = []
            r = replay(aware, emu, requests, Path(tmp), at, gaps if at < 0 else None)
            if gaps:
                # the reuse forecast reads the arrival rate on Redis's (real) clock; it is at
                # its cap while a prefix's window is younger than TTL / max_reuse per request
                cap = aware.cache_state.max_reuse
                line = (
                    f"cache-aware without a timeout: a prefix's window at most {max(gaps):.2f} s "
                    f"old per request before it (the reuse forecast is at max_reuse = {cap} up "
                    f"to 300 / {cap} = {300 / cap:g} s for a 5-minute TTL)"
                )
                print(line, flush=True)
                out.append(line)
            when = "no Redis timeout" if at < 0 else f"one Redis timeout before request {at}"
            line = (
                f"cache-aware, {when}: {r.cost:.4f} ({float(r.cost / routed.cost):.4f}x of "
                f"class routing), haiku {r.tiers['haiku']}"
            )
            print(line, flush=True)
            out.append(line)
    out.append(finished(started))
    write_results("cache_aware_outage.txt", "cache_aware_outage.py", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

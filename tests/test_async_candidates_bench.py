"""bench/async_candidates.py's pure parts: its arguments, the candidates' order between
repeats, and how a worker's figures become rows and the summary."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    name = "bench_async_candidates"
    spec = importlib.util.spec_from_file_location(name, BENCH / "async_candidates.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def payload(candidate: str, kind: str, n: int, done: int, cpu_s: float) -> dict[str, Any]:
    return {"candidate": candidate, "kind": kind, "n": n, "done": done, "errors": {},
            "wall_s": 2.5, "cpu_s": cpu_s, "idle_rss_mb": 50.0, "peak_rss_mb": 70.0}  # fmt: skip


def test_quick_is_one_short_repeat_without_the_hold_row(bench: ModuleType) -> None:
    full = bench.parse_args([])
    assert (full.repeats, full.calls, full.streams, full.hold) == (3, [50, 400], [400], 2000)
    assert full.hold_candidates == ["tierwise", "aiobotocore"]
    quick = bench.parse_args(["--quick"])
    assert (quick.repeats, quick.calls, quick.streams, quick.hold) == (1, [50], [400], 0)


@pytest.mark.parametrize(
    "argv",
    [["--repeats", "0"], ["--calls", "0"], ["--hold", "-1"], ["--httpx-pool", "-1"]],
)
def test_nonsense_counts_are_refused(bench: ModuleType, argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        bench.parse_args(argv)


def test_every_candidate_takes_every_place_across_repeats(bench: ModuleType) -> None:
    orders = [bench.order(bench.CANDIDATES, r) for r in range(3)]
    assert all(sorted(o) == sorted(bench.CANDIDATES) for o in orders)
    assert {o[0] for o in orders} == set(bench.CANDIDATES)
    assert {o[-1] for o in orders} == set(bench.CANDIDATES)


def test_row_figures(bench: ModuleType) -> None:
    # 400 streams in flight, 390 done in 2.5 s of a 5 s ideal, 1.95 CPU s, RSS 50 -> 70 MB
    row = bench.row_from(payload("httpx", "stream", 400, 390, 1.95), 5.0)
    assert row.per_s == pytest.approx(156.0)
    assert row.vs_ideal == pytest.approx(156.0 / 80.0)
    assert row.cpu_ms == pytest.approx(5.0)
    assert row.rss_per_1k == pytest.approx(50.0)
    assert row.error_count == 10
    text = bench.format_row(row)
    assert text.split() == ["httpx", "stream", "400", "156.0", "1.95", "10", "5.00", "70", "50.0"]
    # a call row has no RSS columns, but keeps its width
    call = bench.row_from(payload("tierwise", "call", 50, 50, 0.05), 2.0)
    assert bench.format_row(call).split()[-1] == "1.00"
    assert len(bench.format_row(call)) == len(text)


def test_summary_takes_medians_sums_errors_and_compares_cpu_within_a_repeat(
    bench: ModuleType,
) -> None:
    rows = [
        # repeat 1: a slow machine (both costlier); repeat 2, 3: quieter
        bench.row_from(payload("tierwise", "call", 50, 50, 0.10), 2.0),
        bench.row_from(payload("httpx", "call", 50, 49, 0.30), 2.0),
        bench.row_from(payload("tierwise", "call", 50, 50, 0.05), 2.0),
        bench.row_from(payload("httpx", "call", 50, 48, 0.10), 2.0),
        bench.row_from(payload("tierwise", "call", 50, 50, 0.05), 2.0),
        bench.row_from(payload("httpx", "call", 50, 50, 0.10), 2.0),
    ]
    lines = bench.summary(rows)
    assert lines[0].split()[-3:] == ["CPU", "vs", "tierwise"]
    tierwise, httpx = (line.split() for line in lines[1:])
    assert tierwise[0] == "tierwise" and tierwise[-1] == "1.00"
    # median done 49, errors 1 + 2 + 0, median CPU 0.10 s over 49 calls, ratios 3.06, 2.08,
    # 2.0 per repeat -> median 2.08 (not the 2.0 of the medians' ratio)
    assert httpx[0] == "httpx"
    assert httpx[5] == "3"
    assert httpx[6] == f"{0.10 * 1000 / 49:.2f}"
    assert httpx[-1] == f"{(0.10 / 48) / (0.05 / 50):.2f}"


@pytest.mark.parametrize(("n", "pool", "clients"), [(120, 0, 1), (120, 50, 3), (100, 50, 2)])
def test_httpx_candidate_spreads_over_pools(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch, n: int, pool: int, clients: int
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    client = bench.HttpxBedrock("http://127.0.0.1:9", n, pool)
    try:
        assert len(client.pools) == clients
        # requests are dealt to the clients in turn
        dealt = [next(client._next) for _ in range(2 * clients)]
        assert dealt == client.pools * 2
    finally:
        asyncio.run(client.aclose())

"""Benchmark `tierwise plan` at scale: peak RSS and time on generated invocation logs.

    python bench/plan_scale.py [--records 20000 100000] [--rules-only]
                               [--out bench/results/plan_scale.txt]

For each size, generates a log set (bench/gen_invocation_logs.py) in a temp directory, runs
`tierwise plan DIR --json --no-progress` in a child process, and reports wall time, records
per second and the child's peak RSS (getrusage, RUSAGE_CHILDREN, one child per size). Flat
peak RSS across sizes is the bounded-memory claim. It also times the read stage alone two
ways (Python gzip+json vs DuckDB's read_json, when duckdb is installed) on the largest set.
The machine is shared (2 cores, other developers' test suites running): compare ratios
within one run, not absolute figures across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_invocation_logs import generate  # noqa: E402


def _tierwise() -> list[str]:
    exe = Path(sys.executable).with_name("tierwise")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "tierwise.cli.app"]


def run_plan(logs: Path, rules_only: bool) -> tuple[float, int, dict[str, object]]:
    """(seconds, peak RSS of the child in KiB, the plan's JSON)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    cmd = [*_tierwise(), "plan", str(logs), "--json", "--no-progress"]
    if rules_only:
        cmd.append("--rules-only")
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the max over all children so far: sizes run smallest first.
    return seconds, max(peak, before), json.loads(proc.stdout)


def read_python(logs: Path) -> tuple[float, int]:
    import gzip

    started = time.perf_counter()
    n = 0
    for path in sorted(logs.rglob("*.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                n += bool(rec.get("modelId"))
    return time.perf_counter() - started, n


def read_duckdb(logs: Path) -> tuple[float, int] | None:
    try:
        import duckdb
    except ImportError:
        return None
    started = time.perf_counter()
    pattern = str(logs / "**" / "*.json.gz")
    n = duckdb.sql(
        f"SELECT count(modelId) FROM read_json('{pattern}', format='newline_delimited', "
        "columns={'modelId': 'VARCHAR'}, ignore_errors=true)"
    ).fetchall()[0]
    return time.perf_counter() - started, int(n[0]) if n else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--rules-only", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "plan_scale.txt")
    args = parser.parse_args()
    lines = [
        "tierwise plan at scale (bench/plan_scale.py)",
        f"command: python bench/plan_scale.py --records {' '.join(map(str, args.records))}"
        + (" --rules-only" if args.rules_only else ""),
        "machine: shared, 2 cores, other developers' test suites running at the same time",
        "",
        f"{'records':>10} {'seconds':>9} {'records/s':>10} {'peak RSS MiB':>13} "
        f"{'as is $':>12} {'with tierwise $':>16}",
    ]
    workdir = Path(tempfile.mkdtemp(prefix="plan-bench-"))
    try:
        last = None
        for n in sorted(args.records):
            logs = workdir / f"logs-{n}"
            generate(logs, n, seed=11, days=14)
            seconds, peak_kib, data = run_plan(logs, args.rules_only)
            totals = data["totals_usd"]
            assert isinstance(totals, dict)
            lines.append(
                f"{n:>10,} {seconds:>9.1f} {n / seconds:>10,.0f} {peak_kib / 1024:>13.0f} "
                f"{float(totals['as_is']):>12,.2f} {float(totals['routed_cached_batch']):>16,.2f}"
            )
            print(lines[-1], flush=True)
            if last is not None:
                shutil.rmtree(last)
            last = logs
        if last is not None:
            py = read_python(last)
            lines += [
                "",
                f"read stage only, {last.name}: Python gzip+json {py[0]:.1f} s ({py[1]:,} records)",
            ]
            duck = read_duckdb(last)
            lines.append(
                f"read stage only, {last.name}: DuckDB read_json {duck[0]:.1f} s "
                f"({duck[1]:,} records)"
                if duck
                else "DuckDB not installed: read stage not compared"
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-2:]))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()

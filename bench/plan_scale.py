"""Benchmark `tierwise plan` at scale: peak RSS and time on generated invocation logs.

    python bench/plan_scale.py [--records 20000 100000] [--rules-only] [--workers N]
                               [--keep DIR] [--out bench/results/plan_scale.txt]

For each size, generates a log set (bench/gen_invocation_logs.py) in a temp directory (or
reuses DIR/logs-N with --keep), runs `tierwise plan DIR --json --no-progress --workers N
--app-profile ...` in a child process, and reports wall time, records per second, CPU
seconds, and peak RSS: the largest single process (getrusage, RUSAGE_CHILDREN) and the whole
process tree (the plan and its workers, summed from /proc every second). Flat peak RSS
across sizes is the bounded-memory claim. It also times the read stage alone two
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

from gen_invocation_logs import APP_PROFILE, SONNET, generate  # noqa: E402


def _tierwise() -> list[str]:
    exe = Path(sys.executable).with_name("tierwise")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "tierwise.cli.app"]


def _tree_rss_kib(root: int) -> int:
    """Resident memory of ``root`` and its descendants (Linux /proc), in KiB."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    total = 0
    for pid in tree:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next((int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS:")), 0)
    return total


def run_plan(
    logs: Path, rules_only: bool, workers: int
) -> tuple[float, float, int, int, dict[str, object]]:
    """(seconds, CPU seconds, peak RSS of one process and of the process tree in KiB, the
    plan's JSON)."""
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [*_tierwise(), "plan", str(logs), "--json", "--no-progress", "--workers", str(workers)]
    # The generated logs' application inference profile runs Sonnet: say so (else plan asks
    # Bedrock's GetInferenceProfile, and prices it 0 as is when it cannot).
    cmd += ["--app-profile", f"{APP_PROFILE}={SONNET}"]
    if rules_only:
        cmd.append("--rules-only")
    started = time.perf_counter()
    tree_peak = 0
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        while proc.poll() is None:
            tree_peak = max(tree_peak, _tree_rss_kib(proc.pid))
            time.sleep(1.0)
        seconds = time.perf_counter() - started
        if proc.returncode:
            err.seek(0)
            raise SystemExit(f"plan failed: {err.read()}")
        out.seek(0)
        data = json.loads(out.read())
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (usage.ru_utime + usage.ru_stime) - (usage_before.ru_utime + usage_before.ru_stime)
    # ru_maxrss of children is the max over all children so far: sizes run smallest first.
    return seconds, cpu, usage.ru_maxrss, tree_peak, data


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
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep and reuse generated sets here")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "plan_scale.txt")
    args = parser.parse_args()
    lines = [
        "tierwise plan at scale (bench/plan_scale.py)",
        f"command: python bench/plan_scale.py --records {' '.join(map(str, args.records))}"
        + (" --rules-only" if args.rules_only else "")
        + f" --workers {args.workers}",
        f"machine: shared, {os.cpu_count()} cores, load average at start "
        + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "",
        f"{'records':>10} {'seconds':>9} {'records/s':>10} {'CPU s':>8} {'RSS MiB':>8} "
        f"{'tree MiB':>9} {'as is $':>12} {'with tierwise $':>16}",
    ]
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="plan-bench-"))
    try:
        last = None
        for n in sorted(args.records):
            logs = workdir / f"logs-{n}"
            if not logs.exists():
                generate(logs, n, seed=11, days=14)
            seconds, cpu, peak_kib, tree_kib, data = run_plan(logs, args.rules_only, args.workers)
            totals = data["totals_usd"]
            assert isinstance(totals, dict)
            lines.append(
                f"{n:>10,} {seconds:>9.1f} {n / seconds:>10,.0f} {cpu:>8.0f} "
                f"{peak_kib / 1024:>8.0f} {tree_kib / 1024:>9.0f} "
                f"{float(totals['as_is']):>12,.2f} {float(totals['routed_cached_batch']):>16,.2f}"
            )
            print(lines[-1], flush=True)
            if last is not None and args.keep is None:
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
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-2:]))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()

"""The empirical loop end to end, offline, against a known truth.

1. Production traffic: a synthetic workload of realistic requests over 11 task classes is
   routed with the packaged policy and captured (sampled, redacted).
2. ``tierwise evaluate``: a stratified sample of the captures is replayed on Haiku, Sonnet
   and Opus within a budget (through the emulator's Bedrock batch jobs at the batch price,
   as ``tierwise evaluate`` does from ``[evaluation] batch_min_records`` requests on),
   judged against Opus, and turned into per-class recommendations.
3. Apply: the recommended ``[routing.classes.<name>]`` lines (tier, and the min_tier /
   max_tier bounds the evidence sets) become the policy. The outcomes also refit the
   difficulty stage, reported before/after on outcomes held out by class and by time.
4. A fresh workload from the same distribution (other seeds, never evaluated) is routed under
   the packaged policy and under the applied one; cost and quality are compared.

Ground truth is the emulator's skill table: the probability that each tier's answer is
acceptable, per class (``tierwise.emulator.skills``). Quality is the share of answers that
are acceptable by that truth, which tierwise itself never sees.

    python bench/evaluation_loop.py [--requests 2000] [--sample 440] [--budget-usd 10]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from tierwise.cli.evaluate_cmd import policy_changes
from tierwise.client import Tierwise
from tierwise.config import load_settings
from tierwise.core.evaluation import class_reports, stratified_sample
from tierwise.core.judging import answer_text
from tierwise.core.pricing import price
from tierwise.core.tiers import Tier
from tierwise.emulator import Emulator
from tierwise.emulator.skills import CLASS_KEY
from tierwise.evaluator import EvalItem, Evaluator
from tierwise.refit_report import refit_report
from tierwise.store.captures import CaptureStore

QUALITY = 0.9
# P(acceptable answer) per class and tier: the truth the loop must recover. Closed classes
# answer one short line (checked against Opus's); open ones are judged pairwise.
SKILLS: dict[str, dict[str, Any]] = {
    "classify": {"haiku": 0.98, "sonnet": 0.99, "opus": 1.0, "closed": True},
    "extract": {"haiku": 0.96, "sonnet": 0.99, "opus": 1.0, "closed": True},
    "translate": {"haiku": 0.72, "sonnet": 0.97, "opus": 1.0},  # the default is too cheap
    "short_form": {"haiku": 0.97, "sonnet": 0.99, "opus": 1.0},
    "summarize": {"haiku": 0.99, "sonnet": 0.99, "opus": 1.0},  # the default overpays
    "support_reply": {"haiku": 0.75, "sonnet": 0.97, "opus": 1.0},
    "rag_qa": {"haiku": 0.99, "sonnet": 0.99, "opus": 1.0},  # the default overpays
    "routine_code": {"haiku": 0.65, "sonnet": 0.96, "opus": 1.0},
    "complex_analysis": {"haiku": 0.3, "sonnet": 0.97, "opus": 1.0},  # the default overpays
    "proof": {"haiku": 0.2, "sonnet": 0.7, "opus": 1.0},
    "content_writing": {"haiku": 0.9, "sonnet": 0.97, "opus": 1.0},
}

NAMES = ["Ana", "Bilal", "Chen", "Dana", "Emeka", "Farah", "Goran", "Hana", "Ivo", "Jun"]
PRODUCTS = ["router", "invoice", "dashboard", "water bottle", "desk lamp", "API", "laptop"]
LABELS = ["billing", "technical", "account", "shipping", "other"]
TOPICS = ["the Q3 roadmap", "the billing rewrite", "on-call rotations", "the hiring plan",
          "the data retention policy", "the office move"]  # fmt: skip


def _pick(rng: random.Random, items: list[str]) -> str:
    return rng.choice(items)


def _request(cls: str, rng: random.Random) -> dict[str, Any]:
    n, p, t = _pick(rng, NAMES), _pick(rng, PRODUCTS), _pick(rng, TOPICS)
    system: str | None = None
    if cls == "classify":
        system = f"You label support tickets. Answer with one label only: {', '.join(LABELS)}."
        text = f"Ticket #{rng.randint(1000, 9999)}: {n} says the {p} " + _pick(
            rng, ["was charged twice", "will not log in", "arrived broken", "is slow today"]
        )
    elif cls == "extract":
        text = (
            "Extract the invoice number, date, total and vendor from this email as JSON with "
            f"keys invoice_number, date, total, vendor:\n\nHi, please find invoice "
            f"INV-{rng.randint(100, 9999)} dated {rng.randint(1, 28)} March 2026 from {n} Ltd "
            f"for ${rng.randint(10, 5000)}.00."
        )
    elif cls == "translate":
        lang = _pick(rng, ["French", "German", "Spanish", "Japanese"])
        text = f"Translate into {lang}: 'Your {p} has shipped and will arrive on Tuesday, {n}.'"
    elif cls == "short_form":
        text = f"Write a one-line subject line for an email announcing our new {p} pricing."
    elif cls == "summarize":
        text = (
            f"Summarize the following meeting notes in three bullet points:\n\nWe discussed "
            f"{t}. {n} will ship the {p} changes in August. Marketing needs the launch copy by "
            "July 15. Support asked for a new macro for refund requests. We agreed to revisit "
            "the budget in September."
        )
    elif cls == "support_reply":
        system = f"You are a friendly support agent for {n}'s {p} company."
        text = (
            f"Customer: My {p} has been acting up since yesterday and I have a demo "
            + _pick(rng, ["tomorrow", "in an hour", "on Monday"])
            + ". What can I do?"
        )
    elif cls == "rag_qa":
        text = (
            f"Passage 1: Annual {p} plans renew on the signup date.\nPassage 2: Refunds on "
            "annual plans are prorated by month.\nPassage 3: Refunds go to the original "
            f"payment method.\n\nUsing only the passages above, can {n} get a partial refund "
            f"after {rng.randint(2, 11)} months?"
        )
    elif cls == "routine_code":
        what = _pick(
            rng,
            [
                "the n-th Fibonacci number iteratively",
                "whether a string is a palindrome",
                "the median of a list",
                "a slug from a title",
            ],
        )
        text = f"Write a Python function that returns {what}, with a docstring."
    elif cls == "complex_analysis":
        text = (
            f"Design the architecture for a multi-region {p} ledger that must stay consistent "
            "under network partitions. Compare at least three approaches, their failure modes "
            "and costs, and recommend one with a migration plan."
        )
    elif cls == "proof":
        text = (
            _pick(
                rng,
                [
                    "Prove that the square root of 2 is irrational.",
                    "Prove that there are infinitely many primes.",
                    f"Prove by induction that 1 + 2 + ... + n = n(n+1)/2 for n = "
                    f"{rng.randint(2, 9)} and all larger n.",
                ],
            )
            + " Give a rigorous proof."
        )
    else:  # content_writing
        text = f"Write a 300-word blog post for {n}'s customers about our new {p} and {t}."
    # Real traffic rarely repeats a request word for word: a reference number makes each one
    # its own task (the emulator draws acceptability per task).
    text += f" (ref {rng.randint(100_000, 999_999)})"
    request: dict[str, Any] = {
        "messages": [{"role": "user", "content": [{"text": text}]}],
        "requestMetadata": {CLASS_KEY: cls},
    }
    if system:
        request["system"] = [{"text": system}]
    return request


def workload(size: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    classes = list(SKILLS)
    # A production-like mix: more of the easy, high-volume classes.
    weights = [14, 10, 8, 8, 9, 12, 10, 10, 6, 3, 10]
    return [_request(rng.choices(classes, weights)[0], rng) for _ in range(size)]


def run_traffic(tw: Tierwise, emu: Emulator, requests: list[dict[str, Any]]) -> dict[str, Any]:
    cost = Decimal(0)
    ok = 0
    per_class: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    tiers: dict[str, int] = defaultdict(int)
    class_tiers: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for request in requests:
        response = tw.converse(**request)
        info = response["tierwise"]
        cost += Decimal(info["costUsd"])
        good = bool(emu.acceptable(request, answer_text(response["output"]["message"]["content"])))
        truth = request["requestMetadata"][CLASS_KEY]
        per_class[truth][0] += int(good)
        per_class[truth][1] += 1
        tiers[info["tier"]] += 1
        class_tiers[truth][info["tier"]] += 1
        ok += int(good)
    return {"cost": cost, "quality": ok / len(requests), "per_class": dict(per_class),
            "tiers": dict(tiers), "class_tiers": class_tiers}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--sample", type=int, default=660)
    parser.add_argument("--capture-rate", type=float, default=1.0)
    parser.add_argument("--budget-usd", default="30")
    args = parser.parse_args()
    started = time.perf_counter()
    base = load_settings(environ={}).settings
    out: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        out.append(line)

    with tempfile.TemporaryDirectory() as tmp, Emulator(base, port=0).start() as emu:
        emu.set_skills(SKILLS)
        settings = base.with_overrides(
            {
                "endpoint_url": emu.url,
                "retry.base_delay_s": 0.0,
                "capture.sample_rate": args.capture_rate,
            }
        )
        ledger = f"sqlite:///{Path(tmp) / 'ledger.db'}"
        with Tierwise.from_settings(settings, ledger_url=ledger) as tw:
            # 1. production traffic with capture on
            production = workload(args.requests, seed=1)
            before = run_traffic(tw, emu, production)
            captures = CaptureStore(tw.ledger).list()  # type: ignore[arg-type]
            agree = sum(
                1 for c in captures
                if c.task_class == c.request["requestMetadata"][CLASS_KEY]
            )  # fmt: skip
            say(f"workload: {args.requests} requests over {len(SKILLS)} classes; "
                f"{len(captures)} captured (rate {args.capture_rate}); router class = true "
                f"class on {agree / len(captures):.1%} of them; packaged policy: "
                f"${before['cost']:.4f}, quality {before['quality']:.1%}")  # fmt: skip
            # 2. evaluate a stratified sample of the captures
            items = [EvalItem(str(c.id), c.request, c.task_class or "unclassified")
                     for c in captures]  # fmt: skip
            picked = stratified_sample(items, key=lambda i: i.task_class, n=args.sample, seed=0)
            budget = Decimal(args.budget_usd)
            evaluator = Evaluator(tw, tiers=list(Tier.ordered()), budget_usd=budget)
            run = evaluator.run(picked)
            eval_rows = [r for r in tw.ledger.rows()
                         if (r.metadata or {}).get("purpose") == "evaluation"]  # fmt: skip
            ledgered = sum((r.cost_usd for r in eval_rows), Decimal(0))
            rates = settings.all_rates()
            on_demand = sum(
                (price(r.usage, rates[Tier(str(r.tier))], model_id=r.model_id).total
                 for r in eval_rows), Decimal(0),
            )  # fmt: skip
            batches = {(r.metadata or {}).get("batch_id") for r in eval_rows} - {None}
            say(f"evaluate: {len(run.outcomes)} requests, {run.calls} calls ({run.batched} in "
                f"{len(batches)} Bedrock batches at the batch price), ${run.spent:.4f} spent of "
                f"a ${budget} budget (ledgered as evaluation: ${ledgered:.4f}; the same calls "
                f"on demand: ${on_demand:.4f})"
                + (f"; stopped: {run.stopped}" if run.stopped else ""))  # fmt: skip
            current = {n: c.tier for n, c in settings.routing.classes.items()}
            reports = class_reports(run.outcomes, reference=Tier.OPUS, quality_target=QUALITY,
                                    current=current)  # fmt: skip
            say()
            say(f"{'class':18} {'n':>4} {'haiku pass [95% CI]':>24} {'sonnet pass [95% CI]':>24}"
                f"  truth h/s    current -> recommended")  # fmt: skip
            recovered = total = 0
            for r in reports:
                cells = []
                for ev in r.evidence:
                    if ev.tier is Tier.OPUS:
                        continue
                    low, high = ev.interval
                    cells.append(f"{ev.rate:6.1%} [{low:.2f}-{high:.2f}]")
                    truth = SKILLS.get(r.task_class, {}).get(ev.tier.value)
                    if truth is not None:
                        total += 1
                        recovered += int(low <= truth <= high)
                skill = SKILLS.get(r.task_class, {})
                now = r.current.value if r.current else "-"
                say(f"{r.task_class:18} {r.samples:>4} {cells[0]:>24} {cells[1]:>24}  "
                    f"{skill.get('haiku', '-')}/{skill.get('sonnet', '-')}  "
                    f"{now:>7} -> {r.recommended.value}")  # fmt: skip
            say(f"configured skills inside the 95% interval: {recovered}/{total}")
            # what `tierwise evaluate --apply` writes: tiers, and the bounds the evidence sets
            changes = policy_changes(reports, settings)
            say("applied: " + (", ".join(f"{k.removeprefix('routing.classes.')}={v}"
                                         for k, v in changes.items()) or "nothing"))  # fmt: skip
            # the refit from the same outcomes, before/after on held-out ones (packaged policy)
            say()
            for holdout in ("class", "time"):
                for line in refit_report(settings, run.records, holdout).lines():
                    say(line)
        # 3./4. fresh traffic under the packaged and the applied policy
        fresh = workload(args.requests, seed=2)
        results = {}
        for label, overrides in (("packaged default", {}), ("applied policy", changes)):
            policy = settings.with_overrides({"capture.sample_rate": 0.0, **overrides})
            with Tierwise.from_settings(
                policy, ledger_url=f"sqlite:///{Path(tmp) / (label[:4] + '.db')}"
            ) as tw:
                results[label] = run_traffic(tw, emu, fresh)
        say()
        say(f"fresh workload of {args.requests} requests (never evaluated), quality target "
            f"{QUALITY:.0%} per class:")  # fmt: skip
        for label, r in results.items():
            below = [c for c, (good, n) in sorted(r["per_class"].items()) if good / n < QUALITY]
            mix = ", ".join(f"{t} {n / args.requests:.0%}" for t, n in sorted(r["tiers"].items()))
            say(f"  {label:17} cost ${r['cost']:.4f}  quality {r['quality']:.1%}  tiers: {mix}"
                f"  classes below target: {', '.join(below) or 'none'}")  # fmt: skip
        say("  per true class, packaged -> applied: quality, and the tiers requests ran on")
        for cls in SKILLS:
            a_good, a_n = results["packaged default"]["per_class"].get(cls, (0, 0))
            b_good, b_n = results["applied policy"]["per_class"].get(cls, (0, 0))
            if a_n and b_n:
                mixes = []
                for label in ("packaged default", "applied policy"):
                    counts = results[label]["class_tiers"][cls]
                    mixes.append("/".join(f"{t[0]}{counts.get(t, 0)}"
                                          for t in ("haiku", "sonnet", "opus")))  # fmt: skip
                say(f"    {cls:18} {a_good / a_n:6.1%} -> {b_good / b_n:6.1%}  (n={b_n}; "
                    f"h/s/o {mixes[0]} -> {mixes[1]})")  # fmt: skip
        a, b = results["packaged default"], results["applied policy"]
        say(f"applied vs packaged: cost {b['cost'] / a['cost']:.2f}x, quality "
            f"{b['quality']:.1%} vs {a['quality']:.1%}")  # fmt: skip
        say(f"({time.perf_counter() - started:.0f} s; emulator in-process, one thread)")
    path = Path(__file__).parent / "results" / "evaluation_loop.txt"
    path.parent.mkdir(exist_ok=True)
    command = "python bench/evaluation_loop.py " + " ".join(sys.argv[1:])
    path.write_text(f"$ {command.strip()}\n" + "\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

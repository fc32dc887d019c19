"""Cache-aware routing against two baselines, on workloads where the prompt cache matters.

Workloads (the emulator's prompt cache counts reads and writes as Bedrock does):
- rag: a support assistant over per-tenant documentation (~19k tokens each, 30 tenants);
  questions mix easy ones (which section, yes/no, a label) with ones that need an explained
  answer, a few per tenant at a time; served by three gateway replicas round-robin that share
  cache state through Redis (in-process state per replica when Redis is not running, which
  the output says). Sent back to back, the whole run fits in one prompt-cache TTL;
- rag, paced: the same questions one every ``--pace`` seconds (6) of simulated time (the
  emulator's cache and the replicas' shared in-memory state run on that clock), so a
  tenant's cached copies expire between its questions as they would in service;
- agent: multi-turn conversations of 8 turns over a growing history (a pasted incident log,
  then follow-ups of mixed difficulty, each with new tool output: "thanks!", "list the
  failing hosts", "write the post-mortem").

Size: 1,200 RAG questions by default, ~40 per tenant: a service past its cold start, the
figures issue 19's criterion is read on (cache_aware.txt). A shorter run is that run's first
requests (``--questions 300`` is its first 300, ~10 per tenant): there writing a tenant's
Haiku copy has not yet paid for itself, so cache-aware costs more than all-Sonnet, and no
rule that decides from past requests can be at or below all-Sonnet at 300 and class routing
at 1,200 at once (``python bench/cache_aware_bound.py`` prints the least excess).

Strategies, each on a fresh emulator cache and ledger, same requests in the same order. The
first three obey the same quality policy (the packaged [routing.classes]: the router's tier,
the tiers above it, and below it only as far as the class line's ``lowest`` says, e.g.
Sonnet with a thinking budget for borderline planning work, never plain Sonnet for it):
- all-sonnet (policy-bound): the cheapest policy-compliant single-model strategy: every
  request on Sonnet, except that a request the policy does not allow on plain Sonnet gets
  the lowest option it allows (Sonnet with the routed thinking budget, or the class's
  ``lowest`` budget; Opus only where the policy allows nothing cheaper); the baseline the
  "vs sonnet" column divides by;
- class routing: the router's tier (task class + difficulty), no cache awareness;
- cache-aware: among the tiers the policy allows, the cheapest given warm prefixes, with
  conversation stickiness;
- all-sonnet, policy ignored on N turns (REFERENCE, not a baseline): every request pinned
  to plain Sonnet whatever the policy says; N counts the requests it serves below what the
  policy allows, so its cost is not comparable with the three above.

Quality: every request names its true task class in ``requestMetadata``, and the emulator
answers it by a per-class, per-tier skill table (``bench/evaluation_loop.py``'s, plus the two
classes the agent turns add), so each strategy's share of acceptable answers is measured by
a truth tierwise never sees. A saving bought with quality shows up there.

Where the money goes: each strategy's cost split by billed component (input, cache writes,
cache reads, output, and the part of the output that was thinking), and for the agent
conversations the same per turn class.

    python bench/cache_aware.py [--questions 1200] [--conversations 20] [--thinking-use 0.1]
                                [--max-reuse 0]
                                [--redis-db 14]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from evaluation_loop import SKILLS as EVALUATION_SKILLS

from tierwise.cache_state import MemoryCacheState
from tierwise.client import Tierwise
from tierwise.config import Settings, load_settings
from tierwise.core.pricing import Cost, Usage, price
from tierwise.core.routing import Decision
from tierwise.core.thinking import apply_thinking
from tierwise.core.tiers import Tier
from tierwise.core.tokens import count_block
from tierwise.emulator import Emulator
from tierwise.emulator.skills import CLASS_KEY

# P(acceptable answer) per true class and tier (the evaluation loop's table, plus the agent
# turns' first look at a log and their acknowledgements).
SKILLS: dict[str, dict[str, Any]] = {
    **EVALUATION_SKILLS,
    "document_analysis": {"haiku": 0.8, "sonnet": 0.97, "opus": 1.0},
    "chit_chat": {"haiku": 0.98, "sonnet": 0.99, "opus": 1.0},
}


def tagged(request: dict[str, Any], true_class: str) -> dict[str, Any]:
    return {**request, "requestMetadata": {CLASS_KEY: true_class}}


SECTIONS = ["billing", "refunds", "security", "data retention", "SSO", "rate limits",
            "webhooks", "exports", "audit logs", "regions"]  # fmt: skip


def documentation(tenant: int) -> str:
    rng = random.Random(tenant)
    parts = []
    for n, name in enumerate(SECTIONS, 1):
        body = " ".join(
            f"Rule {n}.{i}: for tenant {tenant}, {name} settings apply to every workspace; "
            f"admins change them from the console and changes apply within "
            f"{rng.randint(1, 30)} minutes."
            for i in range(1, 55)
        )
        parts.append(f"Section {n} ({name}). {body}")
    return "\n\n".join(parts)


def rag_requests(count: int, seed: int, tenants: int = 30) -> list[dict[str, Any]]:
    """Per-tenant documentation (~30k tokens each); each tenant's questions arrive a few at a
    time, interleaved with other tenants', so a prefix is reused a handful of times."""
    rng = random.Random(seed)
    systems = [
        [{"text": "You answer questions about Acme Cloud using only this documentation.\n\n"
                  + documentation(t)}]
        for t in range(tenants)
    ]  # fmt: skip
    easy = [  # (template, true class)
        ("Which section covers {s}? Reply with the section number only.", "extract"),
        ("Is {s} configurable per workspace? Answer yes or no.", "classify"),
        ("Classify this question as billing, technical or account: how do I change {s}?",
         "classify"),
    ]  # fmt: skip
    medium = [
        ("Using the documentation, explain to a customer how {s} works for their team and "
         "what they should check first.", "rag_qa"),
        ("Draft a short reply to a customer asking why their {s} change has not applied yet.",
         "support_reply"),
    ]  # fmt: skip
    out = []
    for _ in range(count):
        tenant = rng.randrange(tenants)
        pool = easy if rng.random() < 0.4 else medium
        template, true_class = rng.choice(pool)
        text = template.format(s=rng.choice(SECTIONS))
        request = {"system": systems[tenant],
                   "messages": [{"role": "user", "content": [{"text": text}]}]}  # fmt: skip
        out.append(tagged(request, true_class))
    return out


def agent_conversations(count: int, seed: int) -> list[list[dict[str, Any]]]:
    """Each conversation as its sequence of requests (turn k carries turns 1..k). Every
    follow-up pastes new tool output (~1.5k tokens), as agent loops do."""
    rng = random.Random(seed)

    def log(lines: int) -> str:
        return "\n".join(
            f"2026-11-{rng.randint(1, 28):02d}T12:{i % 60:02d}:00Z host-{rng.randint(1, 40)} "
            f"{rng.choice(['ERROR', 'WARN', 'INFO'])} request to ledger-db timed out after "
            f"{rng.randint(100, 9000)} ms (pool exhausted, {rng.randint(1, 64)} waiters)"
            for i in range(lines)
        )

    follow_ups = [  # (turn, true class)
        ("thanks! here is the next log:", "chit_chat"),
        ("List the hosts that logged errors in this log, one per line:", "extract"),
        ("ok, more output:", "chit_chat"),
        ("Which error is most frequent here? One line.", "classify"),
        ("Write the post-mortem: timeline, root cause, contributing factors, and three "
         "concrete remediations with owners, reasoning from all the logs so far:",
         "complex_analysis"),
        ("Summarize the incident in two sentences for the status page, given this:",
         "summarize"),
        ("Now design a change to the connection pooling that prevents this under 10x load, "
         "comparing two approaches and their failure modes, using this output:",
         "complex_analysis"),
    ]  # fmt: skip
    conversations = []
    for c in range(count):
        messages: list[dict[str, Any]] = [
            {"role": "user", "content": [{"text": f"Incident {c}: here is the log. Help me "
                                                  f"investigate.\n\n{log(500)}"}]},
        ]  # fmt: skip
        turns = [tagged({"messages": list(messages)}, "document_analysis")]
        for turn, true_class in rng.sample(follow_ups, k=len(follow_ups)):
            messages.append({"role": "assistant", "content": [{"text": "Noted; go on."}]})
            messages.append({"role": "user", "content": [{"text": f"{turn}\n\n{log(60)}"}]})
            turns.append(tagged({"messages": list(messages)}, true_class))
        conversations.append(turns)
    return conversations


AGENT_SEED = 2  # the agent workload's conversations (every agent figure in bench/results)


def served(base: Settings, emu: Emulator, overrides: dict[str, Any] | None = None) -> Settings:
    """``base`` sent to ``emu`` (no retry delay), with ``overrides``."""
    return base.with_overrides(
        {"endpoint_url": emu.url, "retry.base_delay_s": 0.0, **(overrides or {})}
    )


# The modelId that stands for "Sonnet wherever the quality policy allows it" (see
# ``policy_sonnet``): ``run`` routes each request and pins the option that gives.
POLICY_SONNET = "policy-bound sonnet"
BASELINE = "all-sonnet (policy-bound)"
REFERENCE = "all-sonnet, policy ignored"


def policy_sonnet(decision: Decision) -> tuple[Tier, int | None]:
    """The cheapest single-model option the quality policy allows for ``decision``, as (tier,
    thinking budget): plain Sonnet where the policy allows it (routed to Haiku or to plain
    Sonnet, or to a tier whose class line's ``lowest`` is below Sonnet); Sonnet with the
    routed budget when the router put thinking on Sonnet; Sonnet with the class line's
    ``lowest`` budget for work routed above Sonnet that the line lets Sonnet with thinking
    serve; else the routed tier as routed (Opus only when nothing cheaper is allowed). The
    same bounds cache-aware routing obeys (``CacheRouter.placed_choice``)."""
    if decision.tier is Tier.SONNET:
        return Tier.SONNET, decision.thinking_budget
    if decision.tier.rank < Tier.SONNET.rank:
        return Tier.SONNET, None
    floor = decision.lowest
    if floor is Tier.SONNET:
        return Tier.SONNET, decision.lowest_thinking_budget
    if floor is not None and floor.rank < Tier.SONNET.rank:
        return Tier.SONNET, None
    return decision.tier, decision.thinking_budget


def strategies(
    base: Settings, emu: Emulator, url: str = "", tuned: dict[str, Any] | None = None
) -> list[tuple[str, Settings, str | None]]:
    """The strategies compared, as (label, settings, modelId): Sonnet as the quality policy
    allows (``policy_sonnet``); the router's tier without cache awareness; cache-aware
    routing with its state at ``url`` ("" in process) and ``tuned`` settings; and, as a
    reference only, every request pinned to plain Sonnet whatever the policy says."""
    return [
        (BASELINE, served(base, emu), POLICY_SONNET),
        ("class routing", served(base, emu, {"cache_state.enabled": False}), None),
        ("cache-aware", served(base, emu, {"cache_state.url": url, **(tuned or {})}), None),
        (REFERENCE, served(base, emu), "sonnet"),
    ]


@dataclass
class AgentBench:
    """The agent workload's setup: the packaged settings, an in-process emulator, a
    directory for ledgers, and the conversations (``AGENT_SEED``)."""

    base: Settings
    emu: Emulator
    tmp: Path
    conversations: list[list[dict[str, Any]]]

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every turn in order (turn k of a conversation carries turns 1..k)."""
        return [turn for conversation in self.conversations for turn in conversation]

    def settings(self, overrides: dict[str, Any] | None = None) -> Settings:
        return served(self.base, self.emu, overrides)

    def strategies(self) -> list[tuple[str, Settings, str | None]]:
        return strategies(self.base, self.emu)


@contextmanager
def agent_bench(conversations: int) -> Iterator[AgentBench]:
    """The agent workload as bench/cache_aware.py runs it, for the scripts that measure parts
    of it (cache_lookback_parts, cache_aware_knobs, cache_aware_floor)."""
    base = load_settings(environ={}).settings
    with tempfile.TemporaryDirectory() as tmp, Emulator(base, port=0).start() as emu:
        yield AgentBench(base, emu, Path(tmp), agent_conversations(conversations, AGENT_SEED))


def redis_url(db: int = 14) -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return f"redis://127.0.0.1:6379/{db}"
    except OSError:
        return None


@dataclass
class Outcome:
    cost: Decimal = Decimal(0)
    tiers: Counter[str] = field(default_factory=Counter)
    good: Counter[str] = field(default_factory=Counter)  # acceptable answers per true class
    judged: Counter[str] = field(default_factory=Counter)
    # where the money went, per true class: the billed usage priced by component, and the
    # part of the output that was thinking (Bedrock bills it as output)
    split: dict[str, Cost] = field(default_factory=dict)
    thinking: dict[str, Decimal] = field(default_factory=dict)  # USD, per true class
    turns: Counter[str] = field(default_factory=Counter)
    # requests the policy does not allow on plain Sonnet (the policy-bound baseline's count)
    raised: int = 0

    def add(self, true_class: str, cost: Cost, thinking: Decimal) -> None:
        self.split[true_class] = self.split.get(true_class, Cost()) + cost
        self.thinking[true_class] = self.thinking.get(true_class, Decimal(0)) + thinking
        self.turns[true_class] += 1

    def record(
        self,
        request: dict[str, Any],
        response: dict[str, Any],
        settings: Settings,
        thinking: bool,
    ) -> None:
        """One answer: its cost, its billed usage priced by component with the thinking part,
        and its tier (with "+thinking" where it was sent with a ``thinking`` budget)."""
        info = response["tierwise"]
        self.cost += Decimal(info["costUsd"])
        rates = settings.rates(Tier(info["tier"]))
        thought = sum(
            count_block(b)
            for b in response["output"]["message"]["content"]
            if "reasoningContent" in b
        )
        billed = price(Usage.from_converse(response["usage"]), rates, model_id=info["modelId"])
        thinking_usd = price(Usage(output=thought), rates, model_id=info["modelId"]).output
        self.add(request["requestMetadata"][CLASS_KEY], billed, thinking_usd)
        self.tiers[info["tier"] + ("+thinking" if thinking else "")] += 1

    def total_split(self) -> tuple[Cost, Decimal]:
        return sum(self.split.values(), Cost()), sum(self.thinking.values(), Decimal(0))

    def quality(self, classes: set[str] | None = None) -> tuple[int, int]:
        keys = [k for k in self.judged if classes is None or k in classes]
        return sum(self.good[k] for k in keys), sum(self.judged[k] for k in keys)


def answer_text(response: dict[str, Any]) -> str:
    blocks = response["output"]["message"]["content"]
    return "".join(str(b.get("text", "")) for b in blocks if "text" in b)


def run(
    label: str, settings: Settings, emu: Emulator, requests: list[dict[str, Any]],
    model: str | None, replicas: int, tmp: Path, paced: Paced | None = None,
) -> Outcome:  # fmt: skip
    emu.reset()
    emu.set_skills(SKILLS)
    if settings.cache_state.url:
        import redis

        redis.Redis.from_url(settings.cache_state.url).flushdb()
    clients = [
        Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp / f'{label}-{i}.db'}")
        for i in range(replicas)
    ]
    if paced is not None:
        # one state on the simulated clock, shared by the replicas (Redis's TTLs run on the
        # real clock, so it stands in for Redis here)
        state = MemoryCacheState(clock=paced.clock)
        for client in clients:
            client.cache_router.state.close()
            client.cache_router.state = state
    out = Outcome()
    try:
        for i, request in enumerate(requests):
            if paced is not None:
                paced.now += paced.every_s
            client = clients[i % replicas]
            sent, pinned = request, model
            if model == POLICY_SONNET:
                tier, budget = policy_sonnet(client.route(request))
                sent = apply_thinking(request, budget) if budget else request
                pinned = tier.value
                out.raised += int((tier, budget) != (Tier.SONNET, None))
            response = client.converse(modelId=pinned, **sent)
            if pinned is None:
                thinking = bool(response["tierwise"]["route"].get("thinking_budget"))
            else:
                thinking = "thinking" in (sent.get("additionalModelRequestFields") or {})
            out.record(request, response, settings, thinking)
            ok = emu.acceptable(request, answer_text(response))
            true_class = request["requestMetadata"][CLASS_KEY]
            if ok is not None:
                out.judged[true_class] += 1
                out.good[true_class] += int(ok)
    finally:
        for client in clients:
            client.close()
    return out


@dataclass
class Paced:
    """Simulated time for the emulator's prompt cache and the replicas' cache state: one
    request every ``every_s`` seconds, so prompt caches expire as they would in service."""

    every_s: float
    now: float = 0.0

    def clock(self) -> float:
        return self.now


def _split(cost: Cost, thinking: Decimal) -> str:
    """A cost by billed component; thinking is part of the output."""
    return (f"{cost.total:.4f} = in {cost.input:.4f} + write {cost.cache_write:.4f} + read "
            f"{cost.cache_read:.4f} + out {cost.output:.4f} (thinking {thinking:.4f})")  # fmt: skip


def pct(good: int, total: int) -> str:
    return f"{good / total:.1%}" if total else "-"


def finished(started: float) -> str:
    """A run's last line: how long it took and the machine's load."""
    return (f"({time.perf_counter() - started:.0f} s; emulator in-process; load average "
            f"{os.getloadavg()[0]:.1f})")  # fmt: skip


def write_results(
    name: str, script: str, out: list[str], results: Path = Path(__file__).parent / "results"
) -> Path:
    """Put ``out`` at the top of ``bench/results/NAME`` after the command that produced it
    (``python bench/SCRIPT`` and this run's arguments). Earlier runs stay below it: the
    results files keep each run's section with its date and commit, which a rerun must not
    wipe."""
    path = results / name
    path.parent.mkdir(exist_ok=True)
    earlier = path.read_text() if path.exists() else ""
    path.write_text(f"$ python bench/{script} {' '.join(sys.argv[1:])}".strip() + "\n"
                    + "\n".join(out) + "\n" + ("\n" + earlier if earlier else ""))  # fmt: skip
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--questions",
        type=int,
        default=1200,
        help="RAG questions (default 1200: ~40 per tenant, a service past its cold start; the "
        "results go to cache_aware.txt for 1200, the README's figures, else to "
        "cache_aware_N.txt; each run is added on top of the earlier ones). At 300 every tenant "
        "is still cold: see bench/cache_aware_bound.py",
    )
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument(
        "--pace", type=float, default=6.0, help="simulated seconds between paced RAG questions"
    )
    parser.add_argument(
        "--thinking-use",
        type=float,
        default=None,
        help="[cache_state] thinking_use for cache-aware routing (default: the packaged 1.0, "
        "the whole budget priced until a thinking answer is seen), as a team that measured "
        "its thinking sets it; the results go to cache_aware_thinking_use.txt",
    )
    parser.add_argument(
        "--max-reuse",
        type=int,
        default=None,
        help="[cache_state] max_reuse for cache-aware routing (default: the packaged 20; 0 never "
        "spreads a write over the requests expected to read it); the results go to "
        "cache_aware_max_reuse.txt",
    )
    parser.add_argument(
        "--redis-db",
        type=int,
        default=14,
        help="the Redis database the replicas share (emptied before each strategy): another "
        "number lets two runs share a Redis server",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    base = load_settings(environ={}).settings
    out: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        out.append(line)

    shared = redis_url(args.redis_db)
    tuned: dict[str, Any] = {}
    if args.thinking_use is not None:
        tuned["cache_state.thinking_use"] = args.thinking_use
    if args.max_reuse is not None:
        tuned["cache_state.max_reuse"] = args.max_reuse
    paced = Paced(args.pace)
    with (
        tempfile.TemporaryDirectory() as tmp_name,
        Emulator(base, port=0).start() as fast_emu,
        Emulator(base, port=0, clock=paced.clock).start() as paced_emu,
    ):
        tmp = Path(tmp_name)
        rag = rag_requests(args.questions, 1)
        workloads: dict[str, tuple[list[dict[str, Any]], int, Paced | None]] = {
            "rag (3 replicas)": (rag, 3, None),
            f"rag, {args.pace:g} s apart": (rag, 3, paced),
            "agent (8-turn chats)": (
                [t for conv in agent_conversations(args.conversations, AGENT_SEED) for t in conv],
                1,
                None,
            ),
        }
        say("replicas share cache state through "
            + (f"Redis ({shared})" if shared else "nothing (Redis not running)")
            + f"; the paced RAG runs on simulated time (one question every {args.pace:g} s, "
            "state shared in memory)")  # fmt: skip
        if args.thinking_use is not None:
            say(f"cache-aware routing prices a thinking budget at {args.thinking_use:g} of it "
                "([cache_state] thinking_use; packaged: 1.0 until an answer is seen)")  # fmt: skip
        if args.max_reuse is not None:
            say(f"cache-aware routing spreads a write over at most {args.max_reuse:g} expected "
                "requests ([cache_state] max_reuse; packaged: 20)")  # fmt: skip
        hard = {"complex_analysis", "research_synthesis", "proof"}
        say(f"{'workload':22} {'strategy':36} {'cost (USD)':>10} {'vs sonnet':>9} "
            f"{'quality':>8} {'hard':>7}  tiers")  # fmt: skip
        compared = (BASELINE, "class routing", "cache-aware")
        for name, (requests, replicas, pace) in workloads.items():
            emu = fast_emu if pace is None else paced_emu
            url = shared if (shared and replicas > 1 and pace is None) else ""
            results: dict[str, Outcome] = {}
            for label, settings, model in strategies(base, emu, url, tuned):
                if pace is not None:
                    pace.now = 0.0
                r = run(label, settings, emu, requests, model, replicas, tmp, pace)
                results[label] = r
                base_cost = results[BASELINE].cost
                mix = ", ".join(f"{t} {n}" for t, n in sorted(r.tiers.items()))
                shown = label
                if label == REFERENCE:
                    shown = f"{label} on {results[BASELINE].raised} turns"
                say(f"{name:22} {shown:36} {r.cost:10.4f} {float(r.cost / base_cost):8.3f}x "
                    f"{pct(*r.quality()):>8} {pct(*r.quality(hard)):>7}  {mix}")  # fmt: skip
            aware, routed, sonnet = (results["cache-aware"].cost, results["class routing"].cost,
                                     results[BASELINE].cost)  # fmt: skip
            verdict = "at or below both" if aware <= min(routed, sonnet) else "ABOVE a baseline"
            say(f"{'':22} cache-aware vs class routing {float(aware / routed):.3f}x, vs "
                f"{BASELINE} {float(aware / sonnet):.3f}x ({verdict}); "
                f"{len(requests)} requests")  # fmt: skip
            worst = sorted(
                {k for r in results.values() for k in r.judged},
                key=lambda k: (pct(*results["cache-aware"].quality({k})), k),
            )
            for label, r in results.items():
                total, thought = r.total_split()
                say(f"{'':22} {label} cost split: {_split(total, thought)}")
            if replicas == 1:  # the conversations: where each turn class's money went
                for k in sorted(results[BASELINE].turns):
                    say(f"{'':22}   {k} ({results[BASELINE].turns[k]} turns): "
                        + "; ".join(f"{label} {_split(r.split[k], r.thinking[k])}"
                                    for label, r in results.items()))  # fmt: skip
            say(f"{'':22} quality by true class ({' / '.join(compared)} / {REFERENCE}): "
                + "; ".join(f"{k} " + "/".join(pct(*results[s].quality({k}))
                                                 for s in (*compared, REFERENCE))
                            for k in worst))  # fmt: skip
        say(finished(started))
    # The README's figures are the 1,200-question run's; another size gets its own file.
    name = "cache_aware.txt" if args.questions == 1200 else f"cache_aware_{args.questions}.txt"
    if args.thinking_use is not None:
        name = "cache_aware_thinking_use.txt"
    elif args.max_reuse is not None:
        name = "cache_aware_max_reuse.txt"
    write_results(name, "cache_aware.py", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``tierwise evaluate`` through Bedrock batch: the replays and the judge calls of many
items run as batch jobs at the batch price (:mod:`tierwise.batch`), not one call at a time.

A run goes in rounds. Each round takes as many of the remaining items as the budget left
covers at their worst case, then:

1. replays them on every tier (one batch, jobs per model; a model's group below
   ``[batch] min_records`` runs on demand at the on-demand price);
2. checks closed answers against the reference, and sends the open ones to the judge, in
   both orders, as a second batch.

Money: before either batch is submitted, the worst case of every record in it (at the
price of the way it will run: batch, or on demand) must fit in what is left of the budget;
items are dropped from the end of the round until it does. The judge's worst case is only
known once the answers are, so a round plans with a bound on it (answers at the output cap)
and checks the real one before the judge batch; an item whose judging no longer fits is
left out (its replays are ledgered all the same). Every record is ledgered with purpose
``evaluation`` at the price it ran at.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tierwise.core.judging import (
    Check,
    answer_text,
    combine,
    judge_request,
    parse_judge_reply,
)
from tierwise.core.tiers import Tier
from tierwise.evaluator import ReplayAnswer, request_text

if TYPE_CHECKING:
    from tierwise.batch.runner import BatchRunner
    from tierwise.evaluator import EvalItem, EvalRun, Evaluator, PendingItem

__all__ = ["run_batched"]

_JUDGE_OUTPUT = 300  # judge_request's default output cap
_ORDERS = ("ab", "ba")  # reference first, then candidate first


@dataclass(frozen=True)
class _Record:
    custom_id: str
    tier: Tier
    request: Mapping[str, Any]


def run_batched(
    evaluator: Evaluator, items: Sequence[EvalItem], progress: Callable[[], None] | None
) -> EvalRun:
    from tierwise.batch.runner import BatchRunner
    from tierwise.evaluator import EvalRun

    run = EvalRun()
    runner = BatchRunner(evaluator.client, database=evaluator.database)
    queue = list(items)
    with tempfile.TemporaryDirectory(prefix="tierwise-evaluate-") as tmp:
        rounds = _Rounds(evaluator, runner, run, Path(tmp))
        while queue:
            taken = rounds.replay_round(queue)
            if not taken:
                # Not one item's plan fits what is left (its answers forecast at the output
                # cap): the rest go on demand, each call checked as it is made, the judge's
                # against the answers it compares.
                run.stopped = ""
                for item in queue:
                    if not evaluator.evaluate(item, run):
                        break
                    if progress is not None:
                        progress()
                break
            queue = queue[len(taken) :]
            for pending in rounds.judge_round(taken):
                evaluator.record(run, pending)
                if progress is not None:
                    progress()
            if run.stopped:
                break
    return run


class _Rounds:
    def __init__(self, ev: Evaluator, runner: BatchRunner, run: EvalRun, tmp: Path) -> None:
        self.ev = ev
        self.runner = runner
        self.run = run
        self.tmp = tmp
        self._files = 0

    # -- the two batches of a round ------------------------------------------------------

    def replay_round(self, queue: Sequence[EvalItem]) -> list[tuple[EvalItem, PendingItem | None]]:
        """Replay as many of ``queue`` as fit; each item with its verdicts so far."""

        def records(k: int) -> list[_Record]:
            return [
                _Record(f"{i}.{tier.value}", tier, self.ev.bounded(item.request))
                for i, item in enumerate(queue[:k])
                for tier in self.ev.tiers
            ]

        def judge_bound(k: int) -> Decimal:
            # 2 judge calls per cheaper tier per item, answers at most at the output cap;
            # at the batch price when that many judge calls make a job
            calls = 2 * (len(self.ev.tiers) - 1) * k
            batch = calls >= self.ev.client.settings.batch.min_records
            return sum((self._judge_bound(item, batch) for item in queue[:k]), Decimal(0))

        # Items left over run in the next round, once this one's real spend is known.
        k, chosen = self._fit(len(queue), records, judge_bound)
        if not k:
            if queue:
                self._stop("replays and judging", len(queue))
            return []
        results = self._submit(chosen, "replay")
        out: list[tuple[EvalItem, PendingItem | None]] = []
        for i, item in enumerate(queue[:k]):
            answers: dict[Tier, ReplayAnswer | None] = {
                tier: _answer_of(results.get(f"{i}.{tier.value}")) for tier in self.ev.tiers
            }
            out.append((item, self.ev.assess(item, answers)))
        return out

    def judge_round(self, taken: list[tuple[EvalItem, PendingItem | None]]) -> list[PendingItem]:
        """Judge the open answers of a replayed round; the items judged in full."""
        pendings = [p for _, p in taken if p is not None]
        waiting = [p for p in pendings if p.to_judge]

        def records(k: int) -> list[_Record]:
            out = []
            for i, pending in enumerate(waiting[:k]):
                question = request_text(pending.item.request)
                ref = pending.reference_text
                for tier, candidate in pending.to_judge.items():
                    for order, (a, b) in zip(
                        _ORDERS, ((ref, candidate), (candidate, ref)), strict=True
                    ):
                        out.append(
                            _Record(
                                f"{i}.{tier.value}.{order}",
                                self.ev.judge_tier,
                                judge_request(question, a, b),
                            )
                        )
            return out

        k, chosen = self._fit(len(waiting), records, lambda _: Decimal(0))
        if k < len(waiting):
            self._stop("judging", len(waiting) - k)
        results = self._submit(chosen, "judge") if chosen else {}
        for i, pending in enumerate(waiting[:k]):
            for tier in list(pending.to_judge):
                winners = [_winner(results.get(f"{i}.{tier.value}.{order}")) for order in _ORDERS]
                check: Check = combine(winners[0], winners[1])
                pending.settle(tier, check)
        judged = set(map(id, waiting[:k]))
        return [p for p in pendings if not p.to_judge or id(p) in judged]

    # -- money ---------------------------------------------------------------------------

    def _fit(
        self,
        units: int,
        records: Callable[[int], list[_Record]],
        extra: Callable[[int], Decimal],
    ) -> tuple[int, list[_Record]]:
        """The largest first-``k`` units whose records' worst case (each at the price of
        how it will run) plus ``extra(k)`` fits in what is left of the budget."""
        left = self.ev.budget - self.run.spent
        k = units
        while k > 0:
            chosen = records(k)
            modes = self.runner.modes(
                self._write(chosen, "plan"), on_demand_fallback=True, small_groups="on-demand"
            )
            worst = extra(k) + sum(
                (
                    self.ev.worst_case(r.tier, r.request, batch=modes[r.custom_id].mode == "batch")
                    for r in chosen
                ),
                Decimal(0),
            )
            if worst <= left:
                return k, chosen
            k = min(k - 1, int(k * left / worst))
        return 0, []

    def _stop(self, what: str, items: int) -> None:
        left = self.ev.budget - self.run.spent
        self.run.stopped = (
            f"budget: ${self.run.spent:.4f} spent of ${self.ev.budget}; the {what} of "
            f"{items} more item(s) could cost more than the ${left:.4f} left"
        )

    def _judge_bound(self, item: EvalItem, batch: bool) -> Decimal:
        """What judging one item is planned to cost: two calls per cheaper tier, each
        comparing two answers at the output cap, forecast as the text the
        ~4-characters-a-token estimate gives that many tokens, and bounded as the judge
        batch's records are (:meth:`Evaluator.worst_case`: the prompt's upper bound, the
        text's bytes). A plan only: the judge batch is checked against its real worst case
        before it is submitted."""
        answer = "x" * (4 * self.ev.max_tokens)
        request = judge_request(request_text(item.request), answer, answer)
        one = self.ev.worst_case(self.ev.judge_tier, request, batch=batch)
        return one * 2 * (len(self.ev.tiers) - 1)

    # -- batches -------------------------------------------------------------------------

    def _write(self, records: list[_Record], name: str) -> Path:
        self._files += 1
        path = self.tmp / f"{self._files:04d}-{name}.jsonl"
        lines = (
            json.dumps({"custom_id": r.custom_id, "converse": {**r.request, "modelId": r.tier}})
            for r in records
        )
        path.write_text("\n".join(lines) + "\n", "utf-8")
        return path

    def _submit(self, records: list[_Record], name: str) -> dict[str, dict[str, Any]]:
        """Run ``records`` as a batch (small groups on demand); result lines by custom_id."""
        batch_id = self.runner.submit(
            self._write(records, name),
            name=f"evaluation-{name}",
            on_demand_fallback=True,
            small_groups="on-demand",
        )
        self._wait(batch_id)
        lines = self.runner.collect(batch_id)
        for line in lines:
            if line["state"] in ("done", "error", "refused"):
                self.run.calls += 1
            if line["state"] == "error":
                self.run.add_failure("failed batch record")
            elif line["state"] == "refused":
                # Refused before Bedrock (what it refuses, a malformed block, no model): a
                # failed call like an on-demand one refused the same way, not left uncounted.
                self.run.add_failure("refused batch record")
            result = line.get("result") or {}
            # A failed record says the most it was billed: a budget counts that.
            billed = result.get("cost_usd", result.get("cost_usd_at_most"))
            if billed is not None:
                self.run.spent += Decimal(str(billed))
            if line["mode"] == "batch":
                self.run.batched += 1
        return {str(line["custom_id"]): line for line in lines}

    def _wait(self, batch_id: str) -> None:
        from tierwise.batch.runner import FINAL_STATUSES

        delay = 0.05
        while any(job.status not in FINAL_STATUSES for job in self.runner.status(batch_id)):
            time.sleep(delay)
            delay = min(delay * 2, self.ev.poll_max_s)


def _content(line: Mapping[str, Any] | None) -> list[dict[str, Any]] | None:
    """A result line's answer as Converse content blocks (None when it failed)."""
    if line is None or line.get("state") != "done":
        return None
    result = line.get("result") or {}
    if "response" in result:  # a Converse job, or a record run on demand
        return list(result["response"]["output"]["message"]["content"])
    message = result.get("message") or {}  # an InvokeModel job: Anthropic blocks
    blocks: list[dict[str, Any]] = []
    for block in message.get("content") or ():
        if block.get("type") == "text":
            blocks.append({"text": block.get("text", "")})
        elif block.get("type") == "tool_use":
            use = {"toolUseId": block.get("id"), "name": block.get("name")}
            blocks.append({"toolUse": {**use, "input": block.get("input", {})}})
    return blocks


def _answer_of(line: Mapping[str, Any] | None) -> ReplayAnswer | None:
    content = _content(line)
    if content is None or line is None:
        return None
    return ReplayAnswer(content, Decimal(str((line.get("result") or {}).get("cost_usd", "0"))))


def _winner(line: Mapping[str, Any] | None) -> str | None:
    content = _content(line)
    return None if content is None else parse_judge_reply(answer_text(content))

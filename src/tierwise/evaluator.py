"""``tierwise evaluate``: replay a sample of real requests on neighbouring tiers and judge them.

Each sampled request is sent, pinned, to every tier asked for. The strongest tier's answer is
the reference; each cheaper answer is judged against it: closed answers by direct checks,
open ones by a pairwise LLM judge asked in both orders (:mod:`tierwise.core.judging`). The
outcomes (class, signals, per-tier verdicts and costs) are written as JSONL, and become a
per-class report (:mod:`tierwise.core.evaluation`).

Money: every call is ledgered with ``purpose: evaluation`` in its metadata, so
``tierwise spend`` can tell evaluation from production. The spend is capped: before each call
its worst case (a key's hold's: the prompt's upper bound at its dearest rate, plus
``max_tokens`` of output; what a call cut at its deadline is charged) must fit in what is
left of ``budget_usd``, else the run stops there and says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tierwise.capture import task_class_of
from tierwise.core.evaluation import Outcome
from tierwise.core.judging import (
    Check,
    Verdict,
    answer_text,
    closed_check,
    combine,
    is_closed,
    judge_request,
    parse_judge_reply,
)
from tierwise.core.pricing import price
from tierwise.core.signals import extract_signals
from tierwise.core.tiers import Tier
from tierwise.errors import InvalidRequestError, TierwiseError

if TYPE_CHECKING:
    from datetime import datetime

    from tierwise.client import Tierwise
    from tierwise.store import Ledger, LedgerRow, LedgerTotals

__all__ = ["EvalItem", "EvalRun", "Evaluator", "PurposeLedger", "items_from_jsonl"]

PURPOSE = "evaluation"
_FIELDS = ("system", "messages", "toolConfig", "inferenceConfig", "requestMetadata")


@dataclass(frozen=True)
class EvalItem:
    """One request to evaluate: the Converse request, its task class and where it came from."""

    source_id: str
    request: Mapping[str, Any]
    task_class: str


@dataclass
class EvalRun:
    outcomes: list[Outcome] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    spent: Decimal = Decimal(0)
    calls: int = 0
    batched: int = 0  # calls that ran in Bedrock batch jobs, at the batch price
    stopped: str = ""  # why the run stopped early ("" when it finished)
    # Failed calls by error class: a run whose every call failed reported "0 of 5
    # evaluated" and "no policy changes recommended" with no word of why.
    failed: dict[str, int] = field(default_factory=dict)

    def add_failure(self, kind: str) -> None:
        self.failed[kind] = self.failed.get(kind, 0) + 1


class PurposeLedger:
    """A ledger that stamps ``purpose`` into every row's metadata before storing it."""

    def __init__(self, inner: Ledger, purpose: str) -> None:
        self.inner = inner
        self.purpose = purpose

    def _stamp(self, row: LedgerRow) -> LedgerRow:
        return replace(row, metadata={**(row.metadata or {}), "purpose": self.purpose})

    def record(self, row: LedgerRow) -> int:
        return self.inner.record(self._stamp(row))

    def record_many(self, rows: list[LedgerRow]) -> list[int]:
        return self.inner.record_many([self._stamp(r) for r in rows])

    def rows(self, **kwargs: Any) -> list[LedgerRow]:
        return self.inner.rows(**kwargs)

    def totals(self, *, since: datetime | None = None) -> LedgerTotals:
        return self.inner.totals(since=since)

    def close(self) -> None:
        """The inner ledger belongs to the caller."""

    def __enter__(self) -> PurposeLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def items_from_jsonl(path: Path, classify: Callable[[Mapping[str, Any]], str]) -> list[EvalItem]:
    """Requests from a JSONL file: each line a Converse request (or ``{"request": ...}``,
    optionally with ``task_class`` and ``id``); unlabelled lines are classified by the
    router."""
    items: list[EvalItem] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InvalidRequestError(
            f"cannot read {path}: {exc.strerror}", hint="pass a JSONL file"
        ) from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidRequestError(
                f"{path}:{number}: not JSON ({exc.msg})", hint="one JSON object per line"
            ) from None
        if not isinstance(record, dict):
            raise InvalidRequestError(f"{path}:{number}: a line must be a JSON object")
        request = record.get("request", record)
        if not isinstance(request, dict) or not isinstance(request.get("messages"), list):
            raise InvalidRequestError(
                f"{path}:{number}: no Converse messages",
                hint='each line is {"messages": [...]} or {"request": {"messages": [...]}}',
            )
        _check_converse_messages(request["messages"], f"{path}:{number}")
        request = {k: v for k, v in request.items() if k in _FIELDS}
        label = record.get("task_class")
        items.append(
            EvalItem(str(record.get("id", number)), request, str(label or classify(request)))
        )
    return items


def _check_converse_messages(messages: list[Any], where: str) -> None:
    """Refuse messages that are not Converse's (an OpenAI or Anthropic body's string
    content): every call of such a line failed at Bedrock's parameter check, and the run
    reported "0 of N evaluated" and no recommendation as if all was well."""
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            raise InvalidRequestError(
                f"{where}: messages[{i}].content is not a list of Converse content blocks",
                hint='--from takes Converse requests, e.g. {"messages": [{"role": "user", '
                '"content": [{"text": "..."}]}]}; an OpenAI or Anthropic body is not one',
            )


class Evaluator:
    """Runs the replay-and-judge loop for one set of tiers, within a budget."""

    def __init__(
        self,
        client: Tierwise,
        *,
        tiers: Iterable[Tier],
        budget_usd: Decimal,
        judge_tier: Tier = Tier.OPUS,
        max_tokens: int = 1024,
        batch_min_records: int | None = None,
    ) -> None:
        """``batch_min_records``: replay through Bedrock batch from this many items on (0
        never; default ``[evaluation] batch_min_records``). Batch needs a SQL ledger, where
        the batch's state is kept; without one every call runs on demand."""
        from tierwise.client import Tierwise
        from tierwise.store.sql import SQLLedger

        self.tiers = tuple(sorted(set(tiers), key=lambda t: t.rank))
        if len(self.tiers) < 2:
            raise InvalidRequestError(
                "evaluation compares at least two tiers", hint="use --tiers haiku,sonnet,opus"
            )
        if budget_usd <= 0:
            raise InvalidRequestError("--budget-usd must be above 0", hint="e.g. --budget-usd 5")
        self.reference = self.tiers[-1]
        self.budget = budget_usd
        self.judge_tier = judge_tier
        self.max_tokens = max_tokens
        evaluation = client.settings.evaluation
        self.batch_min_records = (
            evaluation.batch_min_records if batch_min_records is None else batch_min_records
        )
        self.poll_max_s = evaluation.poll_max_s
        self.database = client.ledger if isinstance(client.ledger, SQLLedger) else None
        # Evaluation calls are ledgered with their purpose and never captured themselves;
        # a replay is the tier asked for, not escalated.
        overrides = {
            "capture.sample_rate": 0.0,
            "routing.mode": "route",
            "escalation.enabled": False,
        }
        self.client = Tierwise(
            client.settings.with_overrides(overrides),
            bedrock=client.bedrock,
            ledger=PurposeLedger(client.ledger, PURPOSE),
            scorer=client.scorer,
        )

    def worst_case(self, tier: Tier, request: Mapping[str, Any], *, batch: bool = False) -> Decimal:
        """The most one call can cost, and what the run counts for one the deadline cuts
        off (:meth:`Accountant.failed_at_most`, the figure its row is charged): a key's
        hold's worst case (:meth:`Accountant.worst_usage`: the prompt's upper bound, at a
        cache write's rate only where the request as sent has cache points, and the output
        cap) on the request as it will be sent (:meth:`as_sent`), through the dearest of
        the tier's profiles (a call may fail over to an alternate, and a geographic
        profile costs more than a global one) and of the service tiers it may be served
        at. The ~4-characters-a-token estimate is no bound (a cut call is charged at the
        prompt's upper bound), and a prompt with no cache point is never written to the
        cache, so its input is not priced as a 1 h write."""
        sent = self.as_sent(tier, request)
        accountant = self.client.accountant
        rates = self.client.settings.rates(tier)
        asked = sent.get("serviceTier")
        return max(
            price(accountant.worst_usage(profile, sent), rates, batch=batch, model_id=profile,
                  service_tier=served).total
            for profile in self.client.profiles(tier)
            for served in (asked, None)
        )  # fmt: skip

    def as_sent(self, tier: Tier, request: Mapping[str, Any]) -> dict[str, Any]:
        """``request`` as a call pinned to ``tier`` sends it: prepared for the tier (the
        cache points tierwise places, thinking), with its output cap."""
        sent = self.client.prepare(request, self.client.plan(tier.value, request))
        inference = dict(sent.get("inferenceConfig") or {})
        if not inference.get("maxTokens"):
            inference["maxTokens"] = self.max_tokens
            sent["inferenceConfig"] = inference
        return sent

    def bounded(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The request with an output cap (needed to bound its cost)."""
        inference = dict(request.get("inferenceConfig") or {})
        inference["maxTokens"] = min(int(inference.get("maxTokens") or self.max_tokens),
                                     self.max_tokens)  # fmt: skip
        return {**request, "inferenceConfig": inference}

    def _call(self, run: EvalRun, tier: Tier, request: Mapping[str, Any]) -> dict[str, Any] | None:
        if run.spent + self.worst_case(tier, request) > self.budget:
            run.stopped = (
                f"budget: ${run.spent:.4f} spent of ${self.budget}; the next call could cost "
                f"${self.worst_case(tier, request):.4f}"
            )
            return None
        try:
            response = self.client.converse(modelId=tier.value, escalate=False, **request)
        except TierwiseError as exc:
            run.calls += 1
            # A failed call may still have been billed: it counts against the budget too.
            ts = self.client.settings.tier(tier)
            run.spent += self.client.accountant.failed_at_most(
                exc, tier, (ts.model_id, *ts.alternates), self.as_sent(tier, request)
            )
            run.add_failure(type(exc).__name__)
            return {"error": type(exc).__name__}
        run.calls += 1
        run.spent += Decimal(str(response["tierwise"]["costUsd"]))
        return response

    def _judge(self, run: EvalRun, item: EvalItem, candidate: str, reference: str) -> Check | None:
        question = request_text(item.request)
        winners: list[str | None] = []
        for first, second in ((reference, candidate), (candidate, reference)):
            reply = self._call(run, self.judge_tier, judge_request(question, first, second))
            if reply is None:
                return None
            if "error" in reply:
                winners.append(None)
                continue
            winners.append(parse_judge_reply(answer_text(reply["output"]["message"]["content"])))
        return combine(winners[0], winners[1])

    def assess(
        self, item: EvalItem, answers: Mapping[Tier, ReplayAnswer | None]
    ) -> PendingItem | None:
        """Verdicts from the answers: closed answers checked against the reference now, open
        ones left for the judge. None when there is no reference answer (no evidence)."""
        ref = answers.get(self.reference)
        if ref is None:
            return None  # the calls are ledgered all the same
        pending = PendingItem(item, answer_text(ref.content))
        pending.verdicts[self.reference.value] = "reference"
        pending.costs[self.reference.value] = ref.cost
        schema = _schema_of(item.request)
        for tier in self.tiers[:-1]:
            answer = answers.get(tier)
            if answer is None:
                pending.verdicts[tier.value] = "error"
                continue
            pending.costs[tier.value] = answer.cost
            if schema is not None or is_closed(ref.content):
                pending.settle(tier, closed_check(answer.content, ref.content, schema=schema))
            else:
                pending.to_judge[tier] = answer_text(answer.content) or "(no text)"
        return pending

    def record(self, run: EvalRun, pending: PendingItem) -> None:
        item, verdicts = pending.item, pending.verdicts
        run.outcomes.append(
            Outcome(item.source_id, item.task_class, verdicts, pending.costs, pending.methods)
        )
        run.records.append(
            {
                "id": item.source_id,
                # "prompt", "outcomes" and "source" are what `tierwise router train --data`
                # reads, so these outcomes refit the router as they are.
                "prompt": _last_user_text(item.request),
                "outcomes": {
                    t: int(v in ("pass", "reference")) for t, v in verdicts.items() if v != "error"
                },
                "source": "evaluation",
                "task_class": item.task_class,
                "request": dict(item.request),
                "features": extract_signals(item.request).to_dict(),
                "verdicts": verdicts,
                "methods": pending.methods,
                "costs_usd": {k: str(v) for k, v in pending.costs.items()},
                "reference_tier": self.reference.value,
            }
        )

    def evaluate(self, item: EvalItem, run: EvalRun) -> bool:
        """Evaluate one item on demand into ``run``; False when the budget stopped it."""
        request = self.bounded(item.request)
        answers: dict[Tier, ReplayAnswer | None] = {}
        for tier in reversed(self.tiers):  # the reference first: nothing to judge without it
            response = self._call(run, tier, request)
            if response is None:
                return False
            answers[tier] = ReplayAnswer.of_response(response)
        pending = self.assess(item, answers)
        if pending is None:
            return True
        for tier, candidate in list(pending.to_judge.items()):
            judged = self._judge(run, item, candidate, pending.reference_text)
            if judged is None:
                return False
            pending.settle(tier, judged)
        self.record(run, pending)
        return True

    def batches(self, n: int) -> bool:
        """Whether ``n`` items are replayed through Bedrock batch."""
        threshold = self.batch_min_records
        return bool(threshold) and n >= threshold and self.database is not None

    def run(self, items: Iterable[EvalItem], progress: Callable[[], None] | None = None) -> EvalRun:
        listed = list(items)
        if self.batches(len(listed)):
            from tierwise.evaluation_batch import run_batched  # imports this module

            return run_batched(self, listed, progress)
        run = EvalRun()
        for item in listed:
            if not self.evaluate(item, run):
                break
            if progress is not None:
                progress()
        return run


@dataclass(frozen=True)
class ReplayAnswer:
    """One tier's answer as the checks read it: Converse content blocks and its cost."""

    content: list[dict[str, Any]]
    cost: Decimal

    @classmethod
    def of_response(cls, response: Mapping[str, Any]) -> ReplayAnswer | None:
        """From a client response (None for a failed call)."""
        if "error" in response:
            return None
        return cls(response["output"]["message"]["content"], _cost(response))


def _cost(response: Mapping[str, Any]) -> Decimal:
    return Decimal(str(response["tierwise"]["costUsd"]))


@dataclass
class PendingItem:
    """An item between its answers and its outcome: the verdicts so far, the answers still
    to be judged (candidate text per tier), and what each answer cost."""

    item: EvalItem
    reference_text: str
    verdicts: dict[str, str] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    costs: dict[str, Decimal] = field(default_factory=dict)
    to_judge: dict[Tier, str] = field(default_factory=dict)

    def settle(self, tier: Tier, check: Check) -> None:
        self.to_judge.pop(tier, None)
        self.verdicts[tier.value] = Verdict.PASS.value if check.passed else Verdict.FAIL.value
        self.methods[tier.value] = check.method


def request_text(request: Mapping[str, Any]) -> str:
    """The request as the judge reads it: system prompt and turns, as plain text."""
    parts = [answer_text(request.get("system") or [])]
    for message in request.get("messages") or []:
        parts.append(f"{message.get('role', 'user')}: {answer_text(message.get('content') or [])}")
    return "\n".join(p for p in parts if p.strip())


def _last_user_text(request: Mapping[str, Any]) -> str:
    for message in reversed(request.get("messages") or []):
        if message.get("role") == "user":
            return answer_text(message.get("content") or [])
    return ""


def _schema_of(request: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A forced tool's input schema, when the request asks for structured output that way."""
    config = request.get("toolConfig") or {}
    forced = (config.get("toolChoice") or {}).get("tool", {}).get("name")
    for tool in config.get("tools") or ():
        spec = tool.get("toolSpec") or {}
        if forced and spec.get("name") == forced:
            schema = (spec.get("inputSchema") or {}).get("json")
            return schema if isinstance(schema, Mapping) else None
    return None


def classify_with(client: Tierwise) -> Callable[[Mapping[str, Any]], str]:
    """A classifier from the router: the decision's task class ("unclassified" if none)."""

    def classify(request: Mapping[str, Any]) -> str:
        return task_class_of(client.route(request).to_dict()) or "unclassified"

    return classify


def write_outcomes(path: Path, records: Iterable[Mapping[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, sort_keys=True, default=str) + "\n")


def read_outcomes(lines: Iterable[str]) -> Iterator[Outcome]:
    for line in lines:
        if not line.strip():
            continue
        record = json.loads(line)
        yield Outcome(
            str(record["id"]),
            str(record["task_class"]),
            dict(record["verdicts"]),
            {k: Decimal(v) for k, v in (record.get("costs_usd") or {}).items()},
            dict(record.get("methods") or {}),
        )

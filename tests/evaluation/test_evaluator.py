"""The evaluate loop offline against a known truth: the emulator's per-class skills."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.evaluation import class_reports, wilson
from tierwise.core.tiers import Tier
from tierwise.emulator.skills import CLASS_KEY
from tierwise.evaluator import EvalItem, Evaluator

SKILLS = {
    "label": {"haiku": 0.9, "sonnet": 0.97, "opus": 1.0, "closed": True},
    "reply": {"haiku": 0.5, "sonnet": 0.95, "opus": 1.0},
}


def item(name: str, i: int) -> EvalItem:
    request = {
        "messages": [{"role": "user", "content": [{"text": f"{name} task number {i}: go"}]}],
        "requestMetadata": {CLASS_KEY: name},
    }
    return EvalItem(f"{name}-{i}", request, name)


@pytest.fixture
def tw(emu_settings: Settings, ledger_url: str, live_emulator: Any) -> Iterator[Tierwise]:
    live_emulator.set_skills(SKILLS)
    with Tierwise.from_settings(emu_settings, ledger_url=ledger_url) as client:
        yield client


def test_the_loop_recovers_the_configured_skills(tw: Tierwise) -> None:
    items = [item("label", i) for i in range(80)] + [item("reply", i) for i in range(80)]
    evaluator = Evaluator(tw, tiers=[Tier.HAIKU, Tier.SONNET, Tier.OPUS],
                          budget_usd=Decimal("50"))  # fmt: skip
    run = evaluator.run(items)
    assert not run.stopped
    assert len(run.outcomes) == 160
    for report in class_reports(run.outcomes, reference=Tier.OPUS, quality_target=0.85):
        for ev in report.evidence:
            if ev.tier is Tier.OPUS:
                continue
            low, high = ev.interval
            truth = SKILLS[report.task_class][ev.tier.value]
            assert low <= truth <= high, (report.task_class, ev.tier, ev.passes, ev.n)
    methods = {o.task_class: set(o.methods.values()) for o in run.outcomes}
    assert methods["label"] == {"exact"}
    assert methods["reply"] == {"judge"}


def test_every_evaluation_call_is_ledgered_with_its_purpose(tw: Tierwise) -> None:
    run = Evaluator(tw, tiers=[Tier.HAIKU, Tier.OPUS], budget_usd=Decimal("5")).run(
        [item("reply", i) for i in range(3)]
    )
    rows = tw.ledger.rows()
    # 3 items x (2 tiers + 2 judge calls)
    assert len(rows) == run.calls == 12
    assert all((r.metadata or {}).get("purpose") == "evaluation" for r in rows)
    assert sum((r.cost_usd for r in rows), Decimal(0)) == run.spent


def test_the_budget_caps_evaluation_spend(tw: Tierwise) -> None:
    budget = Decimal("0.1")
    evaluator = Evaluator(
        tw, tiers=[Tier.HAIKU, Tier.SONNET, Tier.OPUS], budget_usd=budget, max_tokens=256
    )
    run = evaluator.run([item("reply", i) for i in range(100)])
    assert run.stopped.startswith("budget")
    assert 0 < len(run.outcomes) < 100
    spent = sum((r.cost_usd for r in tw.ledger.rows()), Decimal(0))
    assert spent == run.spent <= budget


def test_a_judge_with_position_bias_is_cancelled_by_asking_both_ways(
    tw: Tierwise, live_emulator: Any
) -> None:
    live_emulator.set_skills(SKILLS, judge_bias=1.0)  # every tie becomes "A wins"
    run = Evaluator(tw, tiers=[Tier.SONNET, Tier.OPUS], budget_usd=Decimal("20")).run(
        [item("reply", i) for i in range(40)]
    )
    passes = sum(1 for o in run.outcomes if o.passed("sonnet"))
    low, high = wilson(passes, len(run.outcomes))
    assert low <= SKILLS["reply"]["sonnet"] <= high


def test_calls_cut_at_their_deadline_count_against_the_budget(
    deadline_cut: tuple[Any, Settings], tmp_path: Path
) -> None:
    # A call the deadline cuts off is billed (its row, written when it ends, is charged
    # at its worst case), but it raises: the run counted only the answers it got, so
    # every cut call was free to it and a run of them went on past --budget-usd (8 calls,
    # $0 counted). Now a failed call counts what it was billed, and a cut one what its
    # row can be charged at most (the dearest profile; the row names the one it was sent
    # to), so the run stops, having counted at least what the ledger holds. The check
    # before each call is that same figure: it compared a ~4-characters-a-token estimate
    # of the prompt, and the run counted $0.0028721 against a $0.0027885 budget.
    _, settings = deadline_cut
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    items = [item("reply", i) for i in range(4)]
    with Tierwise.from_settings(settings, ledger_url=db) as client:
        tiers = [Tier.HAIKU, Tier.SONNET]
        probe = Evaluator(client, tiers=tiers, budget_usd=Decimal(1), max_tokens=64)
        one = max(probe.worst_case(t, probe.bounded(items[0].request)) for t in tiers)
        budget = one * Decimal("2.5")
        evaluator = Evaluator(client, tiers=tiers, budget_usd=budget, max_tokens=64)
        run = evaluator.run(items)
        evaluator.client.close()  # the cut calls have ended and been ledgered
        spent = sum((r.cost_usd for r in client.ledger.rows()), Decimal(0))
    assert run.stopped.startswith("budget")
    assert 0 < spent <= run.spent <= budget
    assert run.calls < 2 * len(items)


@pytest.mark.parametrize(
    "line",
    [
        '{"model": "gpt-4o", "messages": [{"role": "user", "content": "Label: refund"}]}',
        '{"request": {"messages": [{"role": "user", "content": [{"text": "a"}]}, "bye"]}}',
    ],
)
def test_from_file_lines_that_are_not_converse_are_refused_by_line(
    tmp_path: Path, line: str
) -> None:
    # An OpenAI-style line (string content) was taken: each of its calls failed at Bedrock's
    # parameter check, and `tierwise evaluate` said "0 of 5 sampled requests evaluated with
    # 15 calls" and "no policy changes recommended", exit 0, with no word of the failures.
    from tierwise.errors import InvalidRequestError
    from tierwise.evaluator import items_from_jsonl

    path = tmp_path / "requests.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": [{"text": "ok"}]}]}\n' + line)
    with pytest.raises(InvalidRequestError, match="is not a list of Converse content blocks") as e:
        items_from_jsonl(path, lambda request: "extract")
    assert e.value.message.startswith(f"{path}:2: messages[")
    assert "Label" not in str(e.value)
    assert len(items_from_jsonl(_first(path), lambda request: "extract")) == 1


def _first(path: Path) -> Path:
    first = path.with_name("first.jsonl")
    first.write_text(path.read_text().splitlines()[0] + "\n")
    return first

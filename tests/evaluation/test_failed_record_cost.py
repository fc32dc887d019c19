"""Evaluate's batched rounds count what a failed record says it was billed at most."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from tierwise.evaluation_batch import _Rounds
from tierwise.evaluator import EvalRun


class _Runner:
    """The batch runner's answers for one finished batch of two records run on demand."""

    def submit(self, path: Path, **_: Any) -> str:
        return "b1"

    def status(self, batch_id: str) -> list[Any]:
        return []  # nothing left to wait for

    def collect(self, batch_id: str) -> list[dict[str, Any]]:
        return [
            {"custom_id": "a", "mode": "on-demand", "state": "done",
             "result": {"on_demand": True, "cost_usd": "0.25"}},
            # cut off at its deadline: charged at its worst case when it ends
            {"custom_id": "b", "mode": "on-demand", "state": "error",
             "result": {"on_demand": True, "cost_usd_at_most": "0.5"}},
        ]  # fmt: skip


def test_a_failed_record_counts_the_most_it_was_billed(tmp_path: Path) -> None:
    run = EvalRun()
    rounds = _Rounds(cast(Any, None), cast(Any, _Runner()), run, tmp_path)
    lines = rounds._submit([], "round")
    assert set(lines) == {"a", "b"}
    assert run.calls == 2
    assert run.spent == Decimal("0.75")

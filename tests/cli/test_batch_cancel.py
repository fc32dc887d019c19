"""`tierwise batch cancel` says when a batch has nothing left to stop."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from tierwise.cli import batch_cmd
from tierwise.cli.app import app


class _Runner:
    def __init__(self, stopped: list[str]) -> None:
        self.stopped = stopped

    def cancel(self, batch_id: str) -> list[str]:
        return self.stopped


@pytest.mark.parametrize(
    ("stopped", "said"),
    [([], "nothing to stop: batch b1 has no unfinished job"), (["arn:1"], "stopping 1 job(s)")],
)
def test_cancel_says_what_it_stopped(
    monkeypatch: pytest.MonkeyPatch, stopped: list[str], said: str
) -> None:
    # It printed "stopping 0 job(s)" for a batch with no job left to stop.
    def runner(state: Any) -> _Runner:
        return _Runner(stopped)

    monkeypatch.setattr(batch_cmd, "_runner", runner)
    result = CliRunner().invoke(app, ["batch", "cancel", "b1"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == said

"""`tierwise converse --stream ... | head`: the reader goes away mid-answer. The stream is
closed while the ledger is still open, so the generated tokens get their ledger row (marked
client_closed) instead of a "closed database" traceback at exit and no row at all."""

from __future__ import annotations

import errno
import gc
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tierwise.cli import app as cli_app
from tierwise.cli import converse_cmd
from tierwise.store import open_ledger


def test_a_reader_that_goes_away_mid_stream_still_gets_a_ledger_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, live_emulator: Any
) -> None:
    for name in list(os.environ):
        if name.startswith("TIERWISE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "ledger.db"
    monkeypatch.setenv("TIERWISE_LEDGER__URL", f"sqlite:///{db}")
    # typer swaps stdout/stderr for flush-pacifying wrappers on EPIPE: restore them after.
    monkeypatch.setattr(sys, "stdout", sys.stdout)
    monkeypatch.setattr(sys, "stderr", sys.stderr)
    written: list[str] = []

    def closed_pipe(text: str, *, end: str = "\n") -> None:
        if written:
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")
        written.append(text)

    monkeypatch.setattr(converse_cmd, "write_raw", closed_pipe)
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    prompt = "Write a long paragraph about tiered routing of requests " * 3
    args = ["--endpoint-url", live_emulator.url, "converse", "--tier", "haiku", "--stream", prompt]
    silenced: list[bool] = []
    monkeypatch.setattr(cli_app, "_silence_stdout", lambda: silenced.append(True))
    assert cli_app._run(args) == 0  # a closed pipe is not a failure
    assert silenced == [True]
    gc.collect()

    assert written, "the first piece of the answer was written"
    assert unraisable == []
    with open_ledger(f"sqlite:///{db}") as ledger:
        rows = ledger.rows()
    assert len(rows) == 1
    assert rows[0].stop_reason == "client_closed"
    assert rows[0].tier == "haiku"
    assert rows[0].output_tokens > 0 and rows[0].cost_usd > 0

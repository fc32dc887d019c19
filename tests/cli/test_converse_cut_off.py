"""`tierwise converse` says when the answer was cut off at the output cap: on a terminal the
truncated text read as a whole answer (only --json showed stopReason)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tierwise.cli.app import _run


@pytest.mark.parametrize("stream", [False, True])
def test_an_answer_cut_at_max_tokens_says_so(
    live_emulator: Any,
    stream: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    base = ["--db", f"sqlite:///{tmp_path / 'l.db'}", "--endpoint-url", live_emulator.url,
            "converse", "--tier", "haiku", *(["--stream"] if stream else [])]  # fmt: skip
    assert _run([*base, "--max-tokens", "5", "Explain TCP slow start."]) == 0
    out = capsys.readouterr()
    assert "note: the answer was cut off at --max-tokens 5; raise --max-tokens for the rest" in (
        out.err
    ), out.err
    assert "note:" not in out.out  # the answer alone on stdout
    assert _run([*base, "--max-tokens", "4000", "hi"]) == 0
    assert "note:" not in capsys.readouterr().err

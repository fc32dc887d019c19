"""`converse --stream --json` prints the answer too, in the shape `converse --json` prints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tierwise.cli.app import _run


def _json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert _run(args) == 0, capsys.readouterr().err
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def test_stream_json_carries_the_answer_like_the_plain_json(
    tmp_path: Path, live_emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--endpoint-url", live_emulator.url, "--db", f"sqlite:///{tmp_path}/l.db"]
    ask = ["converse", "--tier", "haiku", "Write a paragraph about tiered routing"]
    plain = _json([*base, *ask, "--json"], capsys)
    streamed = _json([*base, *ask, "--json", "--stream"], capsys)
    # Only the tierwise section was printed: the answer paid for was nowhere.
    assert streamed["output"] == plain["output"]
    assert streamed["stopReason"] == plain["stopReason"]
    assert streamed["usage"] == plain["usage"]
    assert streamed["tierwise"]["tier"] == "haiku"
    assert streamed["tierwise"]["ledgerId"] != plain["tierwise"]["ledgerId"]

"""`tierwise converse --schema` through a pipe: the schema reaches the model, the answer on
stdout is JSON that fits it, and an answer rejected at every allowed tier exits 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = {
    "type": "object",
    "properties": {
        "label": {"type": "string", "enum": ["bug", "feature", "question"]},
        "priority": {"type": "integer", "minimum": 1, "maximum": 5},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "owner": {"$ref": "#/$defs/person"},
    },
    "required": ["label", "priority", "tags", "owner"],
    "additionalProperties": False,
    "$defs": {
        "person": {
            "type": "object",
            "properties": {"email": {"type": "string", "format": "email"}},
            "required": ["email"],
        }
    },
}


def _run(tmp_path: Path, emulator: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TIERWISE_LEDGER__URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "TIERWISE_RETRY__BASE_DELAY_S": "0",
    }
    return subprocess.run(
        [sys.executable, "-m", "tierwise", "--endpoint-url", emulator.url, "converse", *args],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip


def test_schema_answer_on_stdout_is_json_that_fits(tmp_path: Path, live_emulator: Any) -> None:
    live_emulator.reset()
    schema = tmp_path / "ticket.json"
    schema.write_text(json.dumps(SCHEMA))
    result = _run(tmp_path, live_emulator, "Triage: the app crashes", "--tier", "haiku",
                  "--schema", str(schema))  # fmt: skip
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    jsonschema.validate(answer, SCHEMA)
    assert "accepted" in result.stderr


def test_rejected_at_every_tier_exits_1_with_nothing_on_stdout(
    tmp_path: Path, live_emulator: Any
) -> None:
    live_emulator.reset()
    for tier in ("haiku", "sonnet", "opus"):
        live_emulator.misbehave("invalid_json", tier=tier)
    schema = tmp_path / "ticket.json"
    schema.write_text(json.dumps(SCHEMA))
    result = _run(tmp_path, live_emulator, "Triage: the app crashes", "--tier", "haiku",
                  "--schema", str(schema), "--escalate")  # fmt: skip
    live_emulator.reset()
    assert result.returncode == 1
    assert result.stdout == ""
    err = " ".join(result.stderr.split())  # however the terminal width wrapped it
    assert "rejected" in err and "haiku -> sonnet -> opus" in err

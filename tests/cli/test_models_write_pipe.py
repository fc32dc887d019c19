"""`tierwise models --write | head`: the config is written even when the reader of stdout
has gone away (it exited 0 having written nothing: the tables were printed first and the
broken pipe ended the command before the write)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tierwise.config import load_settings


def test_write_happens_when_stdout_is_a_closed_pipe(live_emulator: Any, tmp_path: Path) -> None:
    cfg = tmp_path / "tierwise.toml"
    cfg.write_text("[tiers.opus]\nmodel_id = 'global.anthropic.claude-opus-4-1-20250805-v1:0'\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERWISE_")}
    env.update({"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "COLUMNS": "120"})
    args = ["--endpoint-url", live_emulator.url, "models", "--write"]
    read_end, write_end = os.pipe()
    os.close(read_end)  # `| head` that has already exited: every write is EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tierwise", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    settings = load_settings(cfg, environ={}).settings
    assert settings.tiers["opus"].model_id == "global.anthropic.claude-opus-4-6-v1"

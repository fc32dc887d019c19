"""The test helper that starts ``tierwise serve`` waits for a slow start under load and fails
at once, with the server's own words, when the process exits instead."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from live_server import START_TIMEOUT_S, start_gateway


def test_a_gateway_that_exits_fails_at_once_with_its_stderr(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(RuntimeError) as failed:
        start_gateway(
            "http://127.0.0.1:9", str(tmp_path / "t.db"), serve_args=["--workers", "zero"]
        )
    # It said only "gateway did not start", 30 s later, with the server's error discarded.
    assert "exited with code 1 before it started" in str(failed.value)
    assert "Invalid value for '--workers'" in str(failed.value)  # the server's own error
    # Well inside the wait a starting server gets: the exit was noticed, not waited out.
    assert time.monotonic() - started < START_TIMEOUT_S / 2

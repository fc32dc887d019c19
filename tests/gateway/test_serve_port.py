"""`tierwise serve` names the port it really listens on, and a busy port is a one-line
error before anything is announced."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERWISE_")}
    env["TIERWISE_LEDGER__URL"] = f"sqlite:///{tmp_path / 'ledger.db'}"
    return env


def test_a_busy_port_is_one_error_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "tierwise", "serve", "--no-auth", "--port", str(port)],
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == (f"error: cannot listen on 127.0.0.1:{port}: Address already in use"), (
        result.stderr
    )
    assert lines[1].startswith("hint: pick another --port") and len(lines) == 2
    assert "tierwise gateway on" not in result.stderr


def test_port_0_announces_the_port_it_serves_on(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "tierwise", "serve", "--emulate", "--no-auth", "--port", "0"]
    proc = subprocess.Popen(command, env=_env(tmp_path), stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    try:
        port = 0
        for line in proc.stderr:
            found = re.search(r"tierwise gateway on http://127\.0\.0\.1:(\d+) ", line)
            if found:
                port = int(found.group(1))
                break
        assert port > 0
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert health.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()

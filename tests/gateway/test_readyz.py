"""/readyz answers within 1 s even when the ledger's database does not answer at all."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.gateway import create_app
from tierwise.gateway.health import READY_TIMEOUT_S


def test_readyz_reports_a_hanging_ledger_within_a_second(
    default_settings: Settings, tmp_path: Path
) -> None:
    tw = Tierwise.from_settings(default_settings, ledger_url=f"sqlite:///{tmp_path / 'r.db'}")
    release = threading.Event()
    calls: list[int] = []

    def hang(**_: Any) -> list[Any]:  # a database that accepts the read and never answers
        calls.append(1)
        release.wait(30)
        return []

    tw.ledger.rows = hang  # type: ignore[method-assign]
    app = create_app(default_settings, tierwise=tw, auth=False)
    try:
        with TestClient(app) as client:
            for _ in range(3):
                started = time.monotonic()
                r = client.get("/readyz")
                # The bound itself is READY_TIMEOUT_S in the code (the answer names it); the
                # wall time is only checked against the 30 s hang, since a loaded machine
                # can add its own delay to any timing.
                assert time.monotonic() - started < 10.0
                assert r.status_code == 503
                assert r.json()["checks"]["ledger"] == (
                    f"timeout: no answer within {READY_TIMEOUT_S:g} s"
                )
            assert len(calls) == 1, "a hanging probe is awaited again, not piled up"
            release.set()
            time.sleep(0.1)
            assert client.get("/readyz").json()["checks"]["ledger"] == "ok"
    finally:
        release.set()
        tw.close()


def test_readyz_reports_a_failing_ledger(default_settings: Settings, tmp_path: Path) -> None:
    tw = Tierwise.from_settings(default_settings, ledger_url=f"sqlite:///{tmp_path / 'r.db'}")

    def fail(**_: Any) -> list[Any]:
        from tierwise.errors import LedgerError

        raise LedgerError("connection refused")

    tw.ledger.rows = fail  # type: ignore[method-assign]
    with TestClient(create_app(default_settings, tierwise=tw, auth=False)) as client:
        r = client.get("/readyz")
    tw.close()
    assert r.status_code == 503
    assert r.json()["checks"]["ledger"] == "error: LedgerError"

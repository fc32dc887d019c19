"""`tierwise serve` refuses unsafe setups; `tierwise keys` manages keys; health endpoints."""

from __future__ import annotations

import gc
import logging
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from live_server import free_port
from tierwise.cli.app import app
from tierwise.config import load_settings
from tierwise.errors import ConfigError
from tierwise.gateway.app import is_loopback
from tierwise.store.keys import KeyStore
from tierwise.store.sqlite import SQLiteLedger


@pytest.fixture(autouse=True)
def _ledger(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TIERWISE_LEDGER__URL", f"sqlite:///{tmp_path / 'keys.db'}")
    monkeypatch.setenv("COLUMNS", "200")


def test_serve_refuses_no_auth_off_loopback() -> None:
    before = list(logging.getLogger().handlers)
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--no-auth"])
    assert result.exit_code != 0
    assert "refusing to serve without API keys" in str(result.exception)
    # A refused start leaves process logging alone (its handler would have written to the
    # runner's closed stderr for the rest of the process).
    assert logging.getLogger().handlers == before


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.5")


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(
        app, ["keys", "create", "--name", "team-a", "--budget-usd", "12.5", "--rpm", "60",
              "--max-tier", "sonnet"],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[0]
    assert secret.startswith("tw_")
    store = KeyStore(SQLiteLedger(str(tmp_path / "keys.db")))
    key = store.verify(secret)
    assert key is not None and key.name == "team-a" and key.rpm == 60
    assert key.budget_usd == Decimal("12.5")
    listed = runner.invoke(app, ["keys", "list"])
    assert "team-a" in listed.stdout and secret not in listed.stdout
    assert runner.invoke(app, ["keys", "revoke", key.id]).exit_code == 0
    assert store.verify(secret) is None
    again = runner.invoke(app, ["keys", "revoke", key.id])
    assert again.exit_code != 0


def test_secrets_are_stored_hashed(tmp_path: Path) -> None:
    db = SQLiteLedger(str(tmp_path / "h.db"))
    store = KeyStore(db)
    _, secret = store.create("x")
    dump = "\n".join(str(tuple(r)) for r in db.query("SELECT * FROM api_keys"))
    assert secret.split("_", 2)[2] not in dump
    assert store.verify(secret[:-1] + ("a" if secret[-1] != "a" else "b")) is None


def test_health_and_readiness(gateway) -> None:  # type: ignore[no-untyped-def]
    assert httpx.get(gateway.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(gateway.url + "/readyz").json()
    assert ready == {"ready": True, "checks": {"ledger": "ok", "upstream": "ok"}}


@pytest.mark.parametrize("freeze", [True, False])
def test_startup_objects_are_frozen_out_of_the_gc_while_serving(
    tmp_path: Path, freeze: bool
) -> None:
    from starlette.testclient import TestClient

    from tierwise.gateway.app import create_app

    settings = load_settings(environ={}).settings.with_overrides(
        {"gateway.freeze_gc": freeze, "ledger.url": f"sqlite:///{tmp_path / 'gc.db'}"}
    )
    before = gc.get_freeze_count()  # another live gateway in this process may have frozen
    app = create_app(settings, auth=False)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert (gc.get_freeze_count() > before) is freeze
    assert gc.get_freeze_count() == (0 if freeze else before)


def test_serving_sets_the_gc_thresholds_and_restores_them(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from tierwise.gateway.app import create_app

    settings = load_settings(environ={}).settings.with_overrides(
        {"gateway.gc_thresholds": [5000, 7, 321], "ledger.url": f"sqlite:///{tmp_path / 'g.db'}"}
    )
    before = gc.get_threshold()
    assert before != (5000, 7, 321)
    with TestClient(create_app(settings, auth=False)) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_threshold() == (5000, 7, 321)
    assert gc.get_threshold() == before


def test_a_failed_start_leaves_the_collector_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.testclient import TestClient

    from tierwise.gateway.app import create_app
    from tierwise.store.spool import SpoolReplayer

    def refuse(self: SpoolReplayer) -> SpoolReplayer:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(SpoolReplayer, "start", refuse)
    settings = load_settings(environ={}).settings.with_overrides(
        {
            "gateway.gc_thresholds": [5000, 7, 321],
            "gateway.freeze_gc": True,
            "ledger.url": f"sqlite:///{tmp_path / 'g.db'}",
        }
    )
    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    app = create_app(settings, auth=False)
    with pytest.raises(RuntimeError, match="new thread"), TestClient(app):
        pass
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == frozen


def test_gc_thresholds_refuse_zero_which_would_turn_the_collector_off() -> None:
    with pytest.raises(ConfigError, match="gc_thresholds"):
        load_settings(environ={"TIERWISE_GATEWAY__GC_THRESHOLDS": "[0, 10, 1000]"})


def test_settings_default_to_auth() -> None:
    assert load_settings(environ={}).settings.gateway.auth is True


def test_serve_emulate_with_two_workers_keeps_every_override(tmp_path: Path) -> None:
    """The real command in a subprocess: the synthetic-answers banner, two worker processes
    that still see the command-line ledger (--db), and a ledgered answer from each call."""
    db = tmp_path / "workers.db"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERWISE_")}
    command = [sys.executable, "-m", "tierwise", "--db", f"sqlite:///{db}", "serve"]
    command += ["--emulate", "--no-auth", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "gateway with two workers did not come up"
            time.sleep(0.2)
        body = {"model": "haiku", "messages": [{"role": "user", "content": "hi"}]}
        for _ in range(6):
            answer = httpx.post(url + "/v1/chat/completions", json=body, timeout=10)
            assert answer.status_code == 200, answer.text
            assert answer.headers["x-tierwise-tier"] == "haiku"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert "SYNTHETIC" in err
    assert len(SQLiteLedger(str(db)).rows()) == 6


def test_keys_list_shows_spent_reserved_and_remaining(tmp_path: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(
        app, ["keys", "create", "--name", "monthly", "--budget-usd", "10",
              "--budget-period", "monthly"],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    store = KeyStore(SQLiteLedger(str(tmp_path / "keys.db")))
    key = store.verify(created.stdout.strip().splitlines()[0])
    assert key is not None and key.budget_period is not None
    store.charge(key.id, Decimal("2.5"))
    store.reserve(key.id, Decimal("1.25"), request_id="r", attempt=1)
    listed = runner.invoke(app, ["keys", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    import json

    (row,) = json.loads(listed.stdout)
    assert row["budget_period"] == "month"
    assert Decimal(row["spent_usd"]) == Decimal("2.5")
    assert Decimal(row["reserved_usd"]) == Decimal("1.25")
    assert Decimal(row["remaining_usd"]) == Decimal("6.25")
    table = runner.invoke(app, ["keys", "list"]).stdout
    assert "reserved" in table and "remaining" in table and "$6.250000" in table
    bad = runner.invoke(app, ["keys", "create", "--name", "x", "--budget-period", "month"])
    assert bad.exit_code != 0  # a period without a budget


def test_keys_list_shows_a_small_budget_as_it_is() -> None:
    runner = CliRunner()
    created = runner.invoke(app, ["keys", "create", "--name", "probe", "--budget-usd", "0.002"])
    assert created.exit_code == 0, created.output
    table = runner.invoke(app, ["keys", "list"]).stdout
    assert "$0.002 " in table and "$0.00 " not in table  # was rounded to cents: "$0.00"


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_gives_uvicorn_the_same_options_with_or_without_workers(
    monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    import uvicorn

    from tierwise.gateway import app as gateway_app
    from tierwise.gateway import logs

    runs: list[tuple[object, dict[str, object]]] = []
    built = object()
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: runs.append((target, options)))
    monkeypatch.setattr(gateway_app, "create_app", lambda settings: built)
    monkeypatch.setattr(logs, "configure_logging", lambda *args: None)  # process-wide
    monkeypatch.setattr(os, "environ", dict(os.environ))  # where workers find their settings
    command = ["serve", "--host", "127.0.0.1", "--no-auth", "--port", "0", "--log-level", "warning"]
    result = CliRunner().invoke(app, [*command, "--workers", str(workers)])
    assert result.exit_code == 0, result.output
    ((target, options),) = runs
    assert isinstance(options.pop("port"), int)
    # uvicorn's own defaults for the options one process need not pass.
    assert (options.pop("factory", False), options.pop("workers")) == (workers > 1, workers)
    assert target == ("tierwise.gateway.app:app_from_environment" if workers > 1 else built)
    assert options == {
        "host": "127.0.0.1",
        "log_config": None,
        "log_level": "warning",
        "access_log": False,
        "proxy_headers": False,
    }


def test_one_process_serve_ignores_web_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    """With WEB_CONCURRENCY=4 in the environment (as hosting platforms set it), one-process
    serve must still run: uvicorn reads that variable when given no worker count, and with
    more than one worker it exits rather than serve an app object."""
    import uvicorn

    from tierwise.gateway import app as gateway_app
    from tierwise.gateway import logs

    configs: list[uvicorn.Config] = []
    monkeypatch.setattr(
        uvicorn, "run", lambda target, **options: configs.append(uvicorn.Config(target, **options))
    )
    monkeypatch.setattr(gateway_app, "create_app", lambda settings: object())
    monkeypatch.setattr(logs, "configure_logging", lambda *args: None)
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    command = ["serve", "--host", "127.0.0.1", "--no-auth", "--port", "0"]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    ((config,),) = [configs]
    assert config.workers == 1

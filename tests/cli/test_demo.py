"""`tierwise demo` end to end: emulator in-process, mixed workload, table, ledger rows."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tierwise.cli.app import app
from tierwise.store import open_ledger


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("TIERWISE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")


def test_demo_runs_offline_and_ledgers_every_call(tmp_path: Path) -> None:
    ledger_path = tmp_path / "demo.db"
    result = CliRunner().invoke(app, ["demo", "--ledger", str(ledger_path)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for name in ("classify ticket", "RAG answer (1st)", "tool call", "hard analysis", "total"):
        assert name in out
    assert "sending everything to Opus would have cost" in out
    # The comparison with the usual single tier, whichever way it goes, and how to read more.
    assert "Everything on Sonnet would have cost $" in out
    assert "all-Sonnet cost" in out
    assert "`[routing.classes.<class>]` in tierwise.toml" in out.replace("\n", "")
    assert f"tierwise --db {ledger_path} spend" in out.replace("\n", "")
    with open_ledger(f"sqlite:///{ledger_path}") as ledger:
        rows = ledger.rows()
    ok = [r for r in rows if r.status == "ok"]
    assert len(ok) >= 5
    # The second RAG call repeats the long system prompt: it is read from the cache.
    assert any(r.cache_read_tokens > 0 for r in ok)
    assert any(r.cache_write_5m_tokens > 0 for r in ok)
    assert all(r.cost_usd > 0 for r in ok)

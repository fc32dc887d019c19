"""`tierwise plan captures:`: tierwise's own opt-in captures as a plan source, end to end
(real calls through the client against the emulator, captured to a SQLite ledger, planned
from the command line), redacted and cut captures included."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pg import pg_schema_url
from tierwise.cli.app import app
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.pricing import Usage
from tierwise.core.tiers import Tier
from tierwise.planner import readers
from tierwise.planner.readers import BatchTag, ReadStats, capture_record, read_sources
from tierwise.store import open_ledger
from tierwise.store.captures import Capture, CaptureStore

SYSTEM = "You label support tickets. " + " ".join(
    f"Rule {i}: a ticket about refunds or invoice number {i} is billing." for i in range(500)
)


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


@pytest.fixture
def captured(tmp_path: Path, emu_settings: Settings) -> dict[str, Any]:
    """A ledger with 8 captured calls: 5 on a shared long system prompt, 2 with personal
    data (redacted), 1 over the byte limit (cut to its last turn)."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    on = emu_settings.with_overrides({"capture.sample_rate": 1.0})
    with Tierwise.from_settings(on, ledger_url=url) as tw:
        for i in range(5):
            tw.converse(
                system=[{"text": SYSTEM}],
                messages=user(f"Ticket {i}: I was charged twice for order {i}. Label it."),
            )
        tw.converse(messages=user("Email jane.doe@example.com the refund status, please."))
        tw.converse(messages=user("Card 4111 1111 1111 1111 was declined; what do I do?"))
    small = on.with_overrides({"capture.max_bytes": 2048})
    with Tierwise.from_settings(small, ledger_url=url) as tw:
        tw.converse(messages=user("word " * 2000 + "Summarise the above in one line."))
    with open_ledger(url) as ledger:
        captures = CaptureStore(ledger).list()  # type: ignore[arg-type]
        rows = ledger.rows()
    return {"url": url, "captures": captures, "rows": rows, "path": tmp_path}


def test_plan_reads_captures_with_the_ledgers_token_counts(
    captured: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    captures: list[Capture] = captured["captures"]
    assert len(captures) == 8
    redacted = [c for c in captures if c.redactions or c.truncated]
    assert len(redacted) == 3 and sum(c.truncated for c in captures) == 1
    monkeypatch.chdir(captured["path"])
    monkeypatch.setenv("TIERWISE_LEDGER__URL", captured["url"])
    # "captures:" is the configured ledger's; "captures:URL" names one.
    for source in ("captures:", f"captures:{captured['url']}"):
        result = CliRunner().invoke(
            app, ["plan", source, "--json", "--no-progress", "--rules-only"]
        )
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["requests"] == 8 and data["read"]["kinds"] == {"capture": 8}
        # Token counts are the ledger's (not counted from redacted text): nothing estimated,
        # and the as-is cost is exactly what the ledger recorded for these calls.
        assert data["estimated_usage"] == 0
        ledger_cost = sum(r.cost_usd for r in captured["rows"] if r.status != "error")
        assert Decimal(data["totals_usd"]["as_is"]) == ledger_cost
        assert data["redacted"] == 3 and data["recorded_routes"] == 3
        # The shared system prompt is seen again within the TTL: the cache simulation reads it.
        assert data["cache"]["reads"] >= 3
        routed = {c["class"]: c["tiers"] for c in data["classes"]}
        assert sum(sum(t.values()) for t in routed.values()) == 8
    # Routed in worker processes: the redacted ones still keep their recorded route.
    workers = CliRunner().invoke(
        app, ["plan", "captures:", "--json", "--no-progress", "--rules-only", "--workers", "2"]
    )
    assert workers.exit_code == 0, workers.output
    assert json.loads(workers.stdout) == data
    summary = CliRunner().invoke(app, ["plan", "captures:", "--no-progress", "--rules-only"])
    assert summary.exit_code == 0, summary.output
    assert "3 requests had redacted or cut text" in summary.stdout
    assert "8 requests" in summary.stdout


def test_a_capture_without_a_ledger_row_is_estimated_and_a_cut_one_keeps_its_route() -> None:
    cut = Capture(
        id=1,
        ts=datetime(2026, 10, 1, tzinfo=UTC),
        request_id="r1",
        api_key_id=None,
        task_class="summarization",
        tier="haiku",
        model_id="global.anthropic.claude-haiku-4-5-20251001-v1:0",
        route={
            "tier": "sonnet",
            "task_class": {"name": "chat"},
            # Shadow mode: the call kept its model; the router's own decision rides along.
            "shadow": {"tier": "haiku", "task_class": {"name": "summarization"}},
        },
        request={"messages": [{"role": "user", "content": [{"text": "x " * 300}]}]},
        answer={"content": [{"text": "a short summary of it"}], "stopReason": "end_turn"},
        redactions=0,
        truncated=True,
        cost_usd=Decimal("0.001"),
    )
    inv = capture_record(cut, [], BatchTag())
    assert inv.usage_estimated and inv.usage.input > 0 and inv.usage.output > 0
    assert inv.redacted and inv.request is None  # a cut text is no prefix of the real one
    assert inv.route is not None and (inv.route.tier, inv.route.task_class) == (
        Tier.HAIKU,
        "summarization",
    )


def test_no_captures_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIERWISE_LEDGER__URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = CliRunner().invoke(app, ["plan", "captures:", "--no-progress"])
    assert result.exit_code != 0
    assert "no invocation records found in captures:" in str(result.exception)


def test_ledger_usage_is_a_usage() -> None:
    # capture_record takes the ledger row's usage as it is (cache fields included).
    from tierwise.store import LedgerRow

    row = LedgerRow(
        id=1, ts=datetime(2026, 10, 1, tzinfo=UTC), request_id="r1", attempt=1, tier="sonnet",
        model_id="m", input_tokens=10, output_tokens=2, cache_read_tokens=5,
        cache_write_5m_tokens=3, cache_write_1h_tokens=0, cost_usd=Decimal(0), latency_ms=1.0,
        status="ok", error_class=None, stop_reason="end_turn", batch=True, api_key_id=None,
        route=None,
    )  # fmt: skip
    cap = Capture(
        id=1, ts=row.ts, request_id="r1", api_key_id=None, task_class=None, tier="sonnet",
        model_id="m", route=None, request={"messages": []}, answer={}, redactions=1,
        truncated=False, cost_usd=Decimal(0),
    )  # fmt: skip
    inv = capture_record(cap, [row], BatchTag())
    assert inv.usage == Usage(input=10, output=2, cache_read=5, cache_write_5m=3)
    assert inv.batchable and not inv.usage_estimated
    # Redacted, but no recorded route: its (redacted) body is routed.
    assert inv.redacted and inv.route is None


def test_captures_and_the_ledger_on_postgresql(
    emu_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same paged reads (LIMIT, IN) against PostgreSQL: a throwaway schema on the shared
    # server, more rows than one page.
    monkeypatch.setattr(readers, "_PAGE", 3)
    with pg_schema_url() as url:
        on = emu_settings.with_overrides({"capture.sample_rate": 1.0})
        with Tierwise.from_settings(on, ledger_url=url) as tw:
            for i in range(7):
                tw.converse(messages=user(f"Ticket {i}: reply to a{i}@example.com, please."))
        stats = ReadStats()
        invs = list(read_sources([f"captures:{url}", url], tag=BatchTag(), stats=stats))
        with open_ledger(url) as ledger:
            rows = ledger.rows()
    assert stats.kinds == {"capture": 7, "ledger": 7}
    captured, logged = invs[:7], invs[7:]
    assert [i.usage for i in captured] == [r.usage for r in rows]
    assert [i.usage for i in logged] == [r.usage for r in rows]
    assert all(i.redacted and i.route is not None for i in captured)

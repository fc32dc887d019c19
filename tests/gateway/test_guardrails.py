"""Guardrails through every door, against the emulator's word-blocking guardrail: Python
(explicit and the configured default), the OpenAI SDK (header and extra_body), the Anthropic
SDK (extra_body, stream), a key's configured default, batch records, the ledger and spend
reports (CLI and /v1/spend)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
from typer.testing import CliRunner

from live_server import run_server
from tierwise.cli.app import app as cli
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.emulator import Emulator
from tierwise.gateway import create_app
from tierwise.store.keys import KeyStore

BLOCKED = "Blocked by the acme guardrail."
GUARD = {"guardrailIdentifier": "acme", "guardrailVersion": "1", "trace": "enabled"}


@dataclass
class Door:
    url: str
    db: str
    plain: str  # a key with no guardrail of its own
    guarded: str  # a key whose configured default is acme:1
    admin: str
    tw: Tierwise


@pytest.fixture(scope="module")
def door(default_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    db = f"sqlite:///{tmp_path_factory.mktemp('guard') / 'ledger.db'}"
    with Emulator(default_settings, port=0).start() as emu:
        emu.add_guardrail("other", "DRAFT", blocked_words=["xyzzy"])
        emu.add_guardrail(
            "acme",
            "1",
            blocked_words=["plutonium"],
            blocked_input_message=BLOCKED,
            blocked_output_message=BLOCKED,
        )
        base = default_settings.with_overrides({"endpoint_url": emu.url, "retry.base_delay_s": 0.0})
        with Tierwise.from_settings(base, ledger_url=db) as setup:
            store = KeyStore(setup.ledger)  # type: ignore[arg-type]
            _, plain = store.create("plain", budget_usd=Decimal("100"))
            guarded_key, guarded = store.create("guarded")
            _, admin = store.create("admin", admin=True)
        settings = base.with_overrides(
            {
                f"guardrails.keys.{guarded_key.id}": {
                    "id": "acme",
                    "version": "1",
                    "trace": "enabled",
                }
            }
        )
        tw = Tierwise.from_settings(settings, ledger_url=db)
        server, thread, url = run_server(
            create_app(settings, tierwise=tw, keys=KeyStore(tw.ledger), auth=True)  # type: ignore[arg-type]
        )
        try:
            yield Door(url, db, plain, guarded, admin, tw)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            tw.close()


def _oai(door: Door, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{door.url}/v1", api_key=key, max_retries=0)


def _claude(door: Door, key: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=door.url, api_key=key, max_retries=0)


def _row(door: Door, request_id: str) -> Any:
    rows = [r for r in door.tw.ledger.rows() if r.request_id == request_id]
    assert len(rows) == 1
    return rows[0]


def test_python_door_records_the_intervention(door: Door) -> None:
    out = door.tw.converse(
        modelId="haiku",
        messages=[{"role": "user", "content": [{"text": "plutonium?"}]}],
        guardrailConfig=GUARD,
    )
    assert out["stopReason"] == "guardrail_intervened"
    assert out["output"]["message"]["content"] == [{"text": BLOCKED}]
    assert out["trace"]["guardrail"]["inputAssessment"]["acme"]["wordPolicy"]
    assert out["tierwise"]["guardrail"]["action"] == "INTERVENED"
    row = _row(door, out["tierwise"]["requestId"])
    assert row.stop_reason == "guardrail_intervened"
    assert row.metadata["guardrail"] == "acme:1" and row.metadata["guardrail_intervened"] is True
    assert row.cost_usd == 0  # blocked on input: the model never ran


def test_python_stream(door: Door) -> None:
    out = door.tw.converse_stream(
        modelId="haiku",
        guardrailConfig=GUARD,
        messages=[{"role": "user", "content": [{"text": "plutonium"}]}],
    )
    events = list(out["stream"])
    assert any(e.get("messageStop", {}).get("stopReason") == "guardrail_intervened" for e in events)
    assert out["tierwise"]["guardrail"]["action"] == "INTERVENED"
    assert "acme" in out["tierwise"]["guardrail"]["trace"]["inputAssessment"]


def test_openai_door_by_header_and_by_extra_body(door: Door) -> None:
    client = _oai(door, door.plain)
    raw = client.chat.completions.with_raw_response.create(
        model="auto",
        messages=[{"role": "user", "content": "Tell me about plutonium"}],
        extra_headers={"x-tierwise-guardrail": "acme:1", "x-tierwise-guardrail-trace": "enabled"},
    )
    done = raw.parse()
    assert done.choices[0].finish_reason == "content_filter"
    assert done.choices[0].message.content == BLOCKED
    assert raw.headers["x-tierwise-guardrail-action"] == "INTERVENED"
    assert (done.model_extra or {})["guardrail"]["trace"]["inputAssessment"]["acme"]
    ok = client.chat.completions.create(
        model="auto",
        messages=[{"role": "user", "content": "Name a noble gas"}],
        extra_body={"guardrailConfig": GUARD},
    )
    assert ok.choices[0].finish_reason == "stop"
    assert (ok.model_extra or {})["guardrail"]["action"] == "NONE"


def test_responses_door_by_header_and_by_extra_body(door: Door) -> None:
    client = _oai(door, door.plain)
    raw = client.responses.with_raw_response.create(
        model="auto",
        input="Tell me about plutonium",
        extra_headers={"x-tierwise-guardrail": "acme:1", "x-tierwise-guardrail-trace": "enabled"},
    )
    done = raw.parse()
    assert done.status == "incomplete"
    assert done.incomplete_details is not None
    assert done.incomplete_details.reason == "content_filter"
    assert done.output_text == BLOCKED
    assert raw.headers["x-tierwise-guardrail-action"] == "INTERVENED"
    assert (done.model_extra or {})["guardrail"]["trace"]["inputAssessment"]["acme"]
    assert _row(door, raw.headers["x-tierwise-request-id"]).stop_reason == "guardrail_intervened"
    ok = client.responses.create(
        model="auto", input="Name a noble gas", extra_body={"guardrailConfig": GUARD}
    )
    assert ok.status == "completed"
    assert (ok.model_extra or {})["guardrail"]["action"] == "NONE"
    events = list(
        client.responses.create(
            model="auto",
            input="plutonium",
            stream=True,
            extra_body={"guardrailConfig": {**GUARD, "streamProcessingMode": "sync"}},
        )
    )
    assert events[-1].type == "response.incomplete"


def test_openai_stream_ends_with_content_filter(door: Door) -> None:
    stream = _oai(door, door.plain).chat.completions.create(
        model="auto",
        stream=True,
        messages=[{"role": "user", "content": "plutonium"}],
        extra_body={"guardrailConfig": {**GUARD, "streamProcessingMode": "sync"}},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == BLOCKED
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "content_filter"


def test_anthropic_door(door: Door) -> None:
    client = _claude(door, door.plain)
    message = client.messages.create(
        model="auto",
        max_tokens=100,
        extra_body={"guardrailConfig": GUARD},
        messages=[{"role": "user", "content": "plutonium"}],
    )
    assert message.stop_reason == "refusal"
    assert message.content[0].text == BLOCKED  # type: ignore[union-attr]
    assert (message.model_extra or {})["guardrail"]["action"] == "INTERVENED"
    with client.messages.stream(
        model="auto",
        max_tokens=100,
        extra_headers={"x-tierwise-guardrail": "acme:1"},
        messages=[{"role": "user", "content": "plutonium"}],
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == BLOCKED and final.stop_reason == "refusal"


def test_a_keys_configured_default_applies_and_a_request_can_override(door: Door) -> None:
    guarded = _oai(door, door.guarded).chat.completions.create(
        model="auto", messages=[{"role": "user", "content": "plutonium facts"}]
    )
    assert guarded.choices[0].finish_reason == "content_filter"
    plain = _oai(door, door.plain).chat.completions.create(
        model="auto", messages=[{"role": "user", "content": "plutonium facts"}]
    )
    assert plain.choices[0].finish_reason != "content_filter"
    own = _oai(door, door.guarded).chat.completions.create(
        model="auto",
        messages=[{"role": "user", "content": "plutonium facts"}],
        extra_headers={"x-tierwise-guardrail": "other"},
    )
    assert own.choices[0].finish_reason != "content_filter"


@pytest.mark.parametrize(
    ("headers", "body", "param"),
    [
        ({"x-tierwise-guardrail": "Not Valid"}, {}, "x-tierwise-guardrail"),
        (
            {},
            {"guardrailConfig": {"guardrailIdentifier": "acme", "guardrailVersion": "one"}},
            "guardrailConfig",
        ),
        ({}, {"guardrailConfig": "acme"}, "guardrailConfig"),
        ({"x-tierwise-guardrail-trace": "enabled"}, {}, "x-tierwise-guardrail"),
    ],
)
def test_bad_guardrail_is_a_400_before_any_call(
    door: Door, headers: dict[str, str], body: dict[str, Any], param: str
) -> None:
    before = len(door.tw.ledger.rows())
    r = httpx.post(
        f"{door.url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {door.plain}", **headers},
        json={"model": "auto", "messages": [{"role": "user", "content": "hi"}], **body},
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param
    assert len(door.tw.ledger.rows()) == before


def test_batch_records_keep_their_guardrail_on_demand(door: Door, tmp_path: Path) -> None:
    from tierwise.batch.runner import NO_BATCH_GUARDRAILS, parse_records

    path = tmp_path / "in.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {
                    "custom_id": "a",
                    "openai": {
                        "messages": [{"role": "user", "content": "plutonium"}],
                        "guardrailConfig": GUARD,
                    },
                },
                {
                    "custom_id": "b",
                    "converse": {"messages": [{"role": "user", "content": [{"text": "hi"}]}]},
                },
            ]
        )
    )
    records = parse_records(path)
    assert records[0].request["guardrailConfig"]["guardrailIdentifier"] == "acme"
    assert records[1].request.get("guardrailConfig") is None
    from tierwise.batch import BatchRunner

    # Groups this small run on demand, so no S3 or job calls are made.
    runner = BatchRunner(door.tw, s3=object(), control=object())
    refused = runner.submit(path, small_groups="on-demand")
    out = tmp_path / "refused.jsonl"
    runner.collect(refused, out)
    first = json.loads(out.read_text().splitlines()[0])
    assert first["state"] == "refused" and NO_BATCH_GUARDRAILS in first["reason"]
    kept = runner.submit(path, on_demand_fallback=True, small_groups="on-demand")
    runner.collect(kept, out)
    first = json.loads(out.read_text().splitlines()[0])
    assert first["mode"] == "on-demand"
    assert first["result"]["response"]["stopReason"] == "guardrail_intervened"


def test_spend_reports_count_interventions(door: Door, monkeypatch: pytest.MonkeyPatch) -> None:
    door.tw.converse(
        modelId="haiku",
        guardrailConfig=GUARD,
        messages=[{"role": "user", "content": [{"text": "plutonium"}]}],
    )
    r = httpx.get(f"{door.url}/v1/spend", headers={"Authorization": f"Bearer {door.admin}"})
    assert r.status_code == 200
    stops = r.json()["total"]["guardrail_interventions"]
    assert stops >= 1
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(cli, ["--db", door.db, "spend", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"]["guardrail_interventions"] == stops
    table = CliRunner().invoke(cli, ["--db", door.db, "spend"])
    assert "guardrail stops" in table.stdout

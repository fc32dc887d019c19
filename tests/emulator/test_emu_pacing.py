"""Pacing: time to first token and tokens per second, per tier, from config or a header.

The delays are checked as the values the emulator schedules, not by timing them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tierwise.config import Settings
from tierwise.core.tiers import Tier
from tierwise.emulator.faults import Faults
from tierwise.emulator.pacing import Pace, Pacing
from tierwise.emulator.server import route
from tierwise.emulator.service import Controls, Service

BODY = json.dumps(
    {
        "messages": [{"role": "user", "content": [{"text": "Explain TCP slow start in detail."}]}],
        "inferenceConfig": {"maxTokens": 400},
    }
).encode()


def test_pacing_syntax_per_tier_and_default() -> None:
    pacing = Pacing.parse("haiku:ttft_ms=250,tps=150; opus:ttft_ms=900,tps=40; ttft_ms=400,tps=80")
    assert pacing.for_model("global.anthropic.claude-haiku-4-5-20251001-v1:0") == Pace(250, 150)
    assert pacing.for_model("us.anthropic.claude-opus-4-1-20250805-v1:0") == Pace(900, 40)
    assert pacing.for_model("global.anthropic.claude-sonnet-4-5-20250929-v1:0") == Pace(400, 80)
    assert Pacing.parse("").instant and not pacing.instant


@pytest.mark.parametrize("bad", ["ttft=1", "ttft_ms=x", "gpt:ttft_ms=1", "tps=-1"])
def test_bad_pacing_is_refused_with_the_syntax(bad: str) -> None:
    with pytest.raises(ValueError, match="pacing"):
        Pacing.parse(bad)


def _service(settings: Settings, pacing: str = "") -> Service:
    return Service(settings, Faults(pacing=Pacing.parse(pacing)), clock=lambda: 0.0)


def _model(settings: Settings, tier: Tier) -> str:
    return settings.tier(tier).model_id


def test_a_stream_waits_ttft_then_spreads_its_tokens(default_settings: Settings) -> None:
    service = _service(default_settings, "haiku:ttft_ms=300,tps=100;ttft_ms=50,tps=1000")
    reply = service.runtime(
        "converse-stream", _model(default_settings, Tier.HAIKU), BODY, Controls()
    )
    assert reply.frames is not None and len(reply.frames) > 3
    output = _output_tokens(service, default_settings, Tier.HAIKU)
    assert reply.delay_s == pytest.approx(0.3)
    assert reply.gap_s * (len(reply.frames) - 1) == pytest.approx(output / 100)


def test_a_call_arrives_after_ttft_and_the_whole_generation(default_settings: Settings) -> None:
    service = _service(default_settings, "sonnet:ttft_ms=200,tps=50")
    reply = service.runtime("converse", _model(default_settings, Tier.SONNET), BODY, Controls())
    body = json.loads(reply.body)
    output = body["usage"]["outputTokens"]
    assert reply.delay_s == pytest.approx(0.2 + output / 50)
    assert body["metrics"]["latencyMs"] >= int(200 + output * 1000 / 50)
    unpaced = _service(default_settings).runtime(
        "converse", _model(default_settings, Tier.SONNET), BODY, Controls()
    )
    assert unpaced.delay_s == 0 and unpaced.gap_s == 0


def test_the_header_overrides_the_configured_pace(default_settings: Settings) -> None:
    service = _service(default_settings, "ttft_ms=5000,tps=1")
    headers = {
        "authorization": "Bearer test",
        "x-tierwise-emulator-pacing": "ttft_ms=120,tps=0",
    }
    model = _model(default_settings, Tier.OPUS)

    class Headers:
        def get(self, name: str, default: Any = None) -> Any:
            return headers.get(name.lower(), default)

        def items(self) -> Any:
            return headers.items()

    header = Headers()
    reply = route(service, "POST", f"/model/{model}/converse-stream", header, BODY)
    assert reply.status == 200 and reply.delay_s == pytest.approx(0.12) and reply.gap_s == 0
    headers["x-tierwise-emulator-pacing"] = "fast"
    refused = route(service, "POST", f"/model/{model}/converse", header, BODY)
    assert refused.status == 400
    assert b"x-tierwise-emulator-pacing" in refused.body


def _output_tokens(service: Service, settings: Settings, tier: Tier) -> int:
    done: Any = json.loads(
        service.runtime("converse", _model(settings, tier), BODY, Controls()).body
    )
    return int(done["usage"]["outputTokens"])

"""Pacing: time to first token and tokens per second, per tier, from config or a header.

The delays are checked as the values the emulator schedules, not by timing them."""

from __future__ import annotations

import json
import math
import os
import statistics
from pathlib import Path
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


# -- jitter: each answer's time varies around the configured one, as real calls' times do ----

CALLS = 2000


def _delays(service: Service, model: str, calls: int = CALLS, op: str = "converse") -> list[float]:
    return [service.runtime(op, model, BODY, Controls()).delay_s for _ in range(calls)]


def _jittered(settings: Settings, pacing: str, seed: int = 0, **faults: Any) -> Service:
    return Service(settings, Faults(pacing=Pacing.parse(pacing), seed=seed, **faults), lambda: 0.0)


def _tolerances(cv: float, n: int) -> tuple[float, float]:
    """Five standard errors of the mean and of the variance of ``n`` draws of a lognormal
    factor with mean 1 and coefficient of variation ``cv``. Its raw moments are
    E[X^k] = (1 + cv^2)^(k(k-1)/2), which give the fourth central moment m4, and the
    variance's standard error is sqrt((m4 - cv^4) / n)."""
    w = 1 + cv * cv
    m4 = w**6 - 4 * w**3 + 6 * w - 3
    return 5 * cv / math.sqrt(n), 5 * math.sqrt((m4 - cv**4) / n)


@pytest.mark.parametrize("cv", [0.2, 0.5])
def test_jittered_calls_keep_the_configured_mean_with_that_spread(
    default_settings: Settings, cv: float
) -> None:
    service = _jittered(default_settings, f"ttft_ms=2000,tps=0,jitter={cv}", seed=7)
    factors = [d / 2.0 for d in _delays(service, _model(default_settings, Tier.SONNET))]
    mean_tol, var_tol = _tolerances(cv, CALLS)
    assert statistics.fmean(factors) == pytest.approx(1.0, abs=mean_tol)
    assert statistics.pvariance(factors, mu=1.0) == pytest.approx(cv * cv, abs=var_tol)
    # The lognormal shape: never zero or negative, skewed right (median below the mean).
    assert min(factors) > 0 and statistics.median(factors) < 1.0


def test_a_jittered_stream_scales_its_ttft_and_its_gaps_by_one_factor(
    default_settings: Settings,
) -> None:
    service = _jittered(default_settings, "haiku:ttft_ms=300,tps=100,jitter=0.3")
    model = _model(default_settings, Tier.HAIKU)
    output = _output_tokens(_service(default_settings), default_settings, Tier.HAIKU)
    firsts = []
    for _ in range(50):
        reply = service.runtime("converse-stream", model, BODY, Controls())
        assert reply.frames is not None
        factor = reply.delay_s / 0.3
        assert reply.gap_s * (len(reply.frames) - 1) == pytest.approx(factor * output / 100)
        firsts.append(reply.delay_s)
    assert len(set(firsts)) == len(firsts)  # a factor of its own per stream


def test_zero_jitter_gives_every_call_the_configured_time(default_settings: Settings) -> None:
    model = _model(default_settings, Tier.SONNET)
    plain = _delays(_service(default_settings, "ttft_ms=200,tps=50"), model, 50)
    zero = _delays(_jittered(default_settings, "ttft_ms=200,tps=50,jitter=0", seed=3), model, 50)
    output = _output_tokens(_service(default_settings), default_settings, Tier.SONNET)
    assert plain == zero == [0.2 + output / 50] * 50


def test_a_seed_replays_the_same_times_and_jitter_leaves_faults_alone(
    default_settings: Settings,
) -> None:
    model = _model(default_settings, Tier.SONNET)
    pacing = "ttft_ms=1000,tps=0,jitter=0.4"
    first = _delays(_jittered(default_settings, pacing, seed=11), model, 100)
    assert first == _delays(_jittered(default_settings, pacing, seed=11), model, 100)
    assert first != _delays(_jittered(default_settings, pacing, seed=12), model, 100)

    def statuses(pacing: str) -> list[int]:
        service = _jittered(default_settings, pacing, seed=5, throttle_rate=0.3)
        return [service.runtime("converse", model, BODY, Controls()).status for _ in range(100)]

    failed = statuses("ttft_ms=1000,tps=0")
    assert 200 in failed and 429 in failed
    assert statuses(pacing) == failed  # the pacing draws have their own generator


def _route(service: Service, headers: dict[str, str], op: str = "converse") -> Any:
    class Headers:
        def get(self, name: str, default: Any = None) -> Any:
            return headers.get(name.lower(), default)

        def items(self) -> Any:
            return headers.items()

    model = _model(service.settings, Tier.OPUS)
    return route(service, "POST", f"/model/{model}/{op}", Headers(), BODY)


def test_the_header_sets_jitter_for_its_request(default_settings: Settings) -> None:
    service = _service(default_settings, "ttft_ms=1000,tps=0")
    headers = {"authorization": "Bearer test", "x-tierwise-emulator-pacing": "ttft_ms=1000,tps=0"}
    assert {_route(service, headers).delay_s for _ in range(20)} == {1.0}
    headers["x-tierwise-emulator-pacing"] = "ttft_ms=1000,tps=0,jitter=0.25"
    replies = [_route(service, headers) for _ in range(400)]
    assert all(r.status == 200 for r in replies)
    mean_tol, _ = _tolerances(0.25, 400)
    assert statistics.fmean(r.delay_s for r in replies) == pytest.approx(1.0, abs=mean_tol)
    assert len({r.delay_s for r in replies}) == 400


@pytest.mark.parametrize("bad", ["-0.1", "nan", "inf", "20", "much"])
def test_a_bad_jitter_is_refused_naming_the_field(default_settings: Settings, bad: str) -> None:
    # Not "unknown field": the message says what jitter takes.
    why = "not a number" if bad == "much" else "jitter must be between 0 and 2"
    with pytest.raises(ValueError, match=why):
        Pacing.parse(f"sonnet:ttft_ms=1,tps=0,jitter={bad}")
    headers = {"authorization": "Bearer x", "x-tierwise-emulator-pacing": f"jitter={bad}"}
    refused = _route(_service(default_settings), headers)
    assert refused.status == 400 and b"x-tierwise-emulator-pacing" in refused.body
    assert why.encode() in refused.body


def test_jitter_alone_is_still_instant() -> None:
    assert Pacing.parse("jitter=0.3").instant
    assert not Pacing.parse("opus:ttft_ms=1,jitter=0.3").instant


# -- the flag and the config reach the emulator the CLI starts --------------------------------


class _WouldServeError(Exception):
    pass


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """`tierwise emulator` up to the point it would serve: the Faults it was given."""
    import tierwise.emulator

    for name in list(os.environ):
        if name.startswith("TIERWISE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    seen: dict[str, Any] = {}

    def fake(settings: Settings, **kwargs: Any) -> Any:
        seen.update(kwargs)
        raise _WouldServeError

    monkeypatch.setattr(tierwise.emulator, "Emulator", fake)
    return seen


def _run(*args: str) -> Any:
    from typer.testing import CliRunner

    from tierwise.cli.app import app

    return CliRunner().invoke(app, ["emulator", "--port", "0", *args])


def test_the_flag_sets_jitter(started: dict[str, Any]) -> None:
    result = _run("--pacing", "haiku:ttft_ms=250,tps=150,jitter=0.3;ttft_ms=2000,jitter=0.1")
    assert isinstance(result.exception, _WouldServeError)
    pacing = started["faults"].pacing
    assert pacing.for_model("anthropic.claude-haiku-4-5") == Pace(250, 150, 0.3)
    assert pacing.default == Pace(2000, 0, 0.1)


def test_the_config_sets_jitter(started: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "tierwise.toml").write_text('[emulator]\npacing = "ttft_ms=2000,jitter=0.2"\n')
    result = _run("--seed", "4")
    assert isinstance(result.exception, _WouldServeError)
    assert started["faults"].pacing.default == Pace(2000, 0, 0.2)
    assert started["faults"].seed == 4


def test_a_bad_jitter_flag_or_setting_names_where_it_came_from(
    started: dict[str, Any], tmp_path: Path
) -> None:
    result = _run("--pacing", "ttft_ms=2000,jitter=20")
    assert result.exit_code != 0 and not started
    assert str(result.exception).startswith("--pacing: pacing jitter must be")
    (tmp_path / "tierwise.toml").write_text('[emulator]\npacing = "ttft_ms=2000,jitter=-1"\n')
    result = _run()
    assert result.exit_code != 0 and not started
    assert str(result.exception).startswith("[emulator] pacing: pacing jitter must be")


def test_a_ttft_past_an_hour_is_refused_by_flag_setting_and_header(
    started: dict[str, Any], tmp_path: Path, default_settings: Settings
) -> None:
    # ttft_ms=1e20 passed (finite) and overflowed time.sleep or stalled every call for good.
    why = "pacing ttft_ms must be between 0 and 3600000, got 1e+20"
    result = _run("--pacing", "ttft_ms=1e20")
    assert result.exit_code != 0 and not started
    assert str(result.exception).startswith(f"--pacing: {why}")
    (tmp_path / "tierwise.toml").write_text('[emulator]\npacing = "ttft_ms=1e20"\n')
    result = _run()
    assert result.exit_code != 0 and not started
    assert str(result.exception).startswith(f"[emulator] pacing: {why}")
    headers = {"authorization": "Bearer x", "x-tierwise-emulator-pacing": "ttft_ms=1e20"}
    refused = _route(_service(default_settings), headers)
    assert refused.status == 400 and why.encode() in refused.body


@pytest.mark.parametrize("latency", [str(10**20), "3600001"])
def test_a_latency_header_past_an_hour_is_a_400_naming_the_header(
    default_settings: Settings, latency: str
) -> None:
    # the flag and ttft_ms were capped; the header took 10**20 and stalled or overflowed
    headers = {"authorization": "Bearer x", "x-tierwise-emulator-latency-ms": latency}
    refused = _route(_service(default_settings), headers)
    why = f"x-tierwise-emulator-latency-ms must be between 0 and 3600000, got {latency}"
    assert refused.status == 400 and why.encode() in refused.body
    headers["x-tierwise-emulator-latency-ms"] = "3600000"  # an hour itself is served
    served = _route(_service(default_settings), headers)
    assert served.status == 200 and served.delay_s == 3600.0


def test_a_latency_flag_past_an_hour_is_refused_naming_the_flag(started: dict[str, Any]) -> None:
    # 10**20 ms was accepted: the emulator served, each call overflowing time.sleep or stalled.
    result = _run("--latency-ms", str(10**20))
    assert result.exit_code != 0 and not started
    why = f"--latency-ms must be between 0 and 3600000, got {10**20}"
    assert str(result.exception).startswith(why)

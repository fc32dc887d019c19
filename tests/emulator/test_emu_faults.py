"""Fault injection: queued faults, per-request headers, the HTTP control API, seeded rates."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from emulator_testdata import HAIKU, SONNET, SONNET_BASE, user

from emulator_clients import emulator_client, make_runtime
from tierwise.config import Settings
from tierwise.emulator import Emulator, Faults

KINDS = [
    ("throttle", "ThrottlingException", 429),
    ("unavailable", "ServiceUnavailableException", 503),
    ("internal", "InternalServerException", 500),
    ("model_not_ready", "ModelNotReadyException", 429),
    ("access_denied", "AccessDeniedException", 403),
]


def _call(runtime: Any, model: str = SONNET) -> dict[str, Any]:
    return runtime.converse(modelId=model, messages=[user("hello")])  # type: ignore[no-any-return]


@pytest.mark.parametrize(("kind", "code", "status"), KINDS)
def test_injected_fault_raises_the_modelled_exception(
    emu: Emulator, runtime: Any, kind: str, code: str, status: int
) -> None:
    emu.inject(kind=kind, count=1)
    with pytest.raises(getattr(runtime.exceptions, code)) as info:
        _call(runtime)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert info.value.response["Error"]["Code"] == code
    assert _call(runtime)["stopReason"] == "end_turn"  # the fault was used up


def test_count_and_model_filter(emu: Emulator, runtime: Any) -> None:
    emu.inject(kind="throttle", count=2, model_id=SONNET)
    assert _call(runtime, HAIKU)["stopReason"] == "end_turn"  # other models unaffected
    for _ in range(2):
        with pytest.raises(runtime.exceptions.ThrottlingException):
            _call(runtime)
    assert _call(runtime)["stopReason"] == "end_turn"
    stats = emu.stats
    assert stats["calls"] == {SONNET: 3, HAIKU: 1}
    assert stats["failed"] == {SONNET: 2}
    assert stats["succeeded"] == {SONNET: 1, HAIKU: 1}
    assert stats["operations"] == {"converse": 4}


def test_faults_do_not_apply_to_count_tokens(emu: Emulator, runtime: Any) -> None:
    emu.inject(kind="throttle")
    counted = runtime.count_tokens(
        modelId=SONNET_BASE, input={"converse": {"messages": [user("x")]}}
    )
    assert counted["inputTokens"] > 0
    with pytest.raises(runtime.exceptions.ThrottlingException):
        _call(runtime)


def test_fault_header_fails_just_that_request(runtime: Any) -> None:
    def unavailable(request: Any, **_: Any) -> None:
        request.headers["x-tierwise-emulator-fault"] = "unavailable"

    event = "before-send.bedrock-runtime.Converse"
    runtime.meta.events.register(event, unavailable)
    try:
        with pytest.raises(runtime.exceptions.ServiceUnavailableException):
            _call(runtime)
    finally:
        runtime.meta.events.unregister(event, unavailable)
    assert _call(runtime)["stopReason"] == "end_turn"


def test_http_control_api(emu: Emulator, runtime: Any) -> None:
    body = json.dumps({"kind": "model_not_ready", "count": 1, "model_id": None}).encode()
    request = urllib.request.Request(f"{emu.url}/_emulator/faults", data=body, method="POST")
    with urllib.request.urlopen(request) as response:
        assert json.loads(response.read()) == {"ok": True}
    with pytest.raises(runtime.exceptions.ModelNotReadyException):
        _call(runtime)
    with urllib.request.urlopen(f"{emu.url}/_emulator/stats") as response:
        stats = json.loads(response.read())
    assert stats["failed"] == {SONNET: 1}


def test_unknown_fault_kind_is_rejected(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        emu.inject(kind="meteor")


def _outcomes(settings: Settings, seed: int) -> list[str]:
    with Emulator(settings, faults=Faults(throttle_rate=0.3, error_rate=0.2, seed=seed)) as emu:
        runtime = make_runtime(emu.url)
        out = []
        for _ in range(20):
            try:
                _call(runtime)
                out.append("ok")
            except runtime.exceptions.ClientError as err:
                out.append(err.response["Error"]["Code"])
        return out


def test_random_faults_are_reproducible_from_the_seed(settings: Settings) -> None:
    first = _outcomes(settings, seed=3)
    assert first == _outcomes(settings, seed=3)
    assert {"ok", "ThrottlingException"} <= set(first)
    assert set(first) <= {
        "ok",
        "ThrottlingException",
        "ServiceUnavailableException",
        "InternalServerException",
    }


def test_faults_validate_their_rates() -> None:
    with pytest.raises(ValueError, match="throttle_rate"):
        Faults(throttle_rate=1.5)


def test_port_in_use_raises_emulator_error(settings: Settings, emu: Emulator) -> None:
    from tierwise.errors import EmulatorError

    with pytest.raises(EmulatorError, match="cannot listen"):
        Emulator(settings, port=emu.port)


def test_an_injected_stall_stops_a_stream_mid_answer_and_counts_the_hang_up(
    emu: Emulator,
) -> None:
    import time

    from botocore.config import Config
    from urllib3.exceptions import ReadTimeoutError

    emu.inject_stream_stall(after=2, seconds=30, count=1)
    impatient = emulator_client(
        "bedrock-runtime", emu.url, Config(retries={"total_max_attempts": 1}, read_timeout=1)
    )
    stream = impatient.converse_stream(modelId=SONNET, messages=[user("hello")])["stream"]
    events = iter(stream)
    assert [next(events), next(events)]  # the two events before the stall arrive
    with pytest.raises(ReadTimeoutError):  # nothing more within the client's 1 s
        next(events)
    stream.close()  # the client hangs up during the stall
    deadline = time.monotonic() + 10
    while emu.stats["hangups"] < 1:
        assert time.monotonic() < deadline, "the emulator never saw the hang-up"
        time.sleep(0.05)
    # The stall was used up: the next stream runs to its end.
    runtime = make_runtime(emu.url)
    rest = list(runtime.converse_stream(modelId=SONNET, messages=[user("hello")])["stream"])
    assert "metadata" in rest[-1]

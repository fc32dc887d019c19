"""The emulator's HTTP test controls (``POST /_emulator/...``) take a JSON body each: a body
they can apply is ``{"ok": true}``, any other (not JSON, not an object, a missing or bad
field) is a 400 saying why; the control plane reads a body that is not JSON as empty."""

from __future__ import annotations

import httpx
import pytest

from tierwise.emulator import Emulator

ACCEPTED = [
    pytest.param("faults", {"kind": "throttle", "count": 1}, id="faults"),
    pytest.param("quirks", {"kind": "refusal", "model_id": "m", "share": 0.5}, id="quirks"),
    pytest.param("skills", {"skills": {}, "judge_bias": 0.2}, id="skills"),
    pytest.param("guardrails", {"id": "g", "blocked_words": ["x"]}, id="guardrails"),
]


@pytest.mark.parametrize(("control", "body"), ACCEPTED)
def test_a_control_applies_a_body_it_can_take(
    emu: Emulator, control: str, body: dict[str, object]
) -> None:
    r = httpx.post(f"{emu.url}/_emulator/{control}", json=body, timeout=10)
    assert (r.status_code, r.json()) == (200, {"ok": True})


REFUSED = [
    pytest.param("faults", b"not json", "Expecting value", id="faults-not-json"),
    pytest.param("faults", b"[]", "'list' object has no attribute 'get'", id="faults-a-list"),
    pytest.param("faults", b'{"kind": "meteor"}', "unknown fault kind", id="faults-kind"),
    pytest.param("faults", b'{"kind": "throttle", "count": 0}', "count must be", id="count"),
    pytest.param("quirks", b'{"kind": "refusal"}', "'model_id'", id="quirks-no-model"),
    pytest.param("quirks", b'{"kind": "x", "model_id": "m"}', "unknown quirk", id="quirks-kind"),
    pytest.param("skills", b'{"judge_bias": 2}', "judge_bias must be", id="skills-bias"),
    pytest.param("skills", b"not json", "Expecting value", id="skills-not-json"),
    pytest.param("guardrails", b"{}", "'blocked_words'", id="guardrails-no-words"),
    pytest.param(
        "guardrails",
        b'{"id": "g", "blocked_words": "x"}',
        "blocked_words must be a list of strings",
        id="guardrails-words-not-a-list",
    ),
]


@pytest.mark.parametrize(("control", "raw", "message"), REFUSED)
def test_a_control_refuses_a_body_it_cannot_take(
    emu: Emulator, control: str, raw: bytes, message: str
) -> None:
    r = httpx.post(f"{emu.url}/_emulator/{control}", content=raw, timeout=10)
    assert r.status_code == 400, r.text
    assert message in r.json()["message"]


def test_a_control_plane_body_that_is_not_json_reads_as_empty(emu: Emulator) -> None:
    r = httpx.put(
        f"{emu.url}/logging/modelinvocations",
        content=b"not json",
        headers={"Authorization": "Bearer x"},
        timeout=10,
    )
    assert r.status_code == 400, r.text
    assert r.json()["message"] == "loggingConfig is required."

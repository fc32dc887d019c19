"""Property-based fuzzing of both APIs: no input gets a 500.

Bodies start from a valid request of each API and have fields replaced, added or dropped
with arbitrary JSON (deep nesting, huge and non-finite numbers, wrong types, odd strings);
``count_tokens`` and ``/v1/spend`` query parameters get the same treatment. Hypothesis runs
derandomized (a fixed seed) with a bounded number of examples, so the suite is repeatable
and fast enough for CI. The gateway runs in-process in front of the emulator with keys on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.emulator import Emulator
from tierwise.gateway import create_app
from tierwise.store.keys import KeyStore

EXAMPLES = 120
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class Raw(str):
    """JSON text inserted as is: numbers Python's json cannot write or read back."""


RAW_NUMBERS = [
    "1" + "0" * 5000, "-" + "9" * 4301, "1e400", "-1e400", "NaN", "Infinity", "-Infinity",
    "1e-400", "-0", "0.0000000000000000000001", "123456789012345678901234567890",
]  # fmt: skip


def dumps(value: Any) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["", " ", "auto", "haiku", "opus", "user", "assistant", "system", "tool",
                     "text", "image_url", "high", "\x00", "\ud7ff", "𝔘", "a" * 300]),
    st.sampled_from(RAW_NUMBERS).map(Raw),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(
                st.text(max_size=12),
                st.sampled_from(["type", "text", "role", "content", "name", "input", "id"]),
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=12,
)

OPENAI_FIELDS = [
    "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stream",
    "stream_options", "tools", "tool_choice", "response_format", "reasoning_effort", "stop", "n",
    "user", "metadata", "logprobs", "seed", "parallel_tool_calls", "frequency_penalty",
]  # fmt: skip
ANTHROPIC_FIELDS = [
    "model", "messages", "max_tokens", "system", "stop_sequences", "temperature", "top_p", "top_k",
    "tools", "tool_choice", "thinking", "stream", "metadata", "output_format", "output_config",
]  # fmt: skip
MESSAGE_FIELDS = ["role", "content", "name", "tool_calls", "tool_call_id"]
# A plausible value per field: type confusion (the value in a list, in an object, as a
# string) finds what arbitrary values rarely hit.
TYPICAL: dict[str, Any] = {
    "model": "haiku", "max_tokens": 16, "max_completion_tokens": 16, "temperature": 0.5,
    "top_p": 0.9, "top_k": 5, "stream": True, "n": 1, "seed": 1, "logprobs": False,
    "reasoning_effort": "high", "tool_choice": "auto", "stop": "END", "stop_sequences": ["END"],
    "user": "u", "metadata": {"user_id": "u"}, "parallel_tool_calls": True,
    "frequency_penalty": 0.1, "system": "be brief", "stream_options": {"include_usage": True},
    "response_format": {"type": "json_object"},
    "thinking": {"type": "enabled", "budget_tokens": 1024},
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
    "output_format": {"type": "json_schema", "schema": {"type": "object"}},
    "output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}},
    "messages": [{"role": "user", "content": "hi"}],
}  # fmt: skip


def confused(field: str) -> st.SearchStrategy[Any]:
    typical = TYPICAL.get(field, "x")
    return st.one_of(
        values,
        st.just([typical]),
        st.just({"value": typical}),
        st.just(json.dumps(typical)),
        st.sampled_from(RAW_NUMBERS).map(Raw),
    )


def openai_base() -> dict[str, Any]:
    return {"model": "haiku", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}


def anthropic_base() -> dict[str, Any]:
    return {"model": "haiku", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    body = dict(base)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(["field", "message", "drop", "part"]))
        if where == "field":
            name = draw(st.sampled_from(fields))
            body[name] = draw(confused(name))
        elif where == "drop" and body:
            body.pop(draw(st.sampled_from(sorted(body))))
        elif where == "message":
            message = {"role": "user", "content": "hi"}
            message[draw(st.sampled_from(MESSAGE_FIELDS))] = draw(values)
            body["messages"] = [message]
        else:
            part = draw(st.dictionaries(st.sampled_from(["type", "text", "image_url", "source",
                                                         "tool_use_id", "content", "input"]),
                                        values, max_size=3))  # fmt: skip
            body["messages"] = [{"role": "user", "content": [part]}]
    return body


@pytest.fixture(scope="module")
def client(
    default_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    db: Path = tmp_path_factory.mktemp("fuzz") / "ledger.db"
    with Emulator(default_settings, port=0).start() as emu:
        config = default_settings.with_overrides(
            {"endpoint_url": emu.url, "retry.base_delay_s": 0.0, "retry.max_attempts": 1}
        )
        tw = Tierwise.from_settings(config, ledger_url=f"sqlite:///{db}")
        keys = KeyStore(tw.ledger)  # type: ignore[arg-type]
        _, admin = keys.create("fuzz", admin=True)
        with TestClient(create_app(config, tierwise=tw, keys=keys, auth=True)) as test_client:
            yield test_client, {"authorization": f"Bearer {admin}"}
        tw.close()


def post(client: tuple[TestClient, dict[str, str]], path: str, body: Any) -> int:
    test_client, headers = client
    response = test_client.post(
        path, content=dumps(body).encode(), headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code != 500, f"{path} {dumps(body)[:500]} -> {response.text[:500]}"
    return response.status_code


@seed(20261130)
@FUZZ
@given(body=mutated(openai_base(), OPENAI_FIELDS))
def test_openai_chat_completions_never_500(
    client: tuple[TestClient, dict[str, str]], body: dict[str, Any]
) -> None:
    post(client, "/v1/chat/completions", body)


@seed(20261130)
@FUZZ
@given(body=mutated(anthropic_base(), ANTHROPIC_FIELDS))
def test_anthropic_messages_never_500(
    client: tuple[TestClient, dict[str, str]], body: dict[str, Any]
) -> None:
    post(client, "/v1/messages", body)


@seed(20261130)
@FUZZ
@given(body=mutated(anthropic_base(), ANTHROPIC_FIELDS))
def test_anthropic_count_tokens_never_500(
    client: tuple[TestClient, dict[str, str]], body: dict[str, Any]
) -> None:
    post(client, "/v1/messages/count_tokens", body)


@seed(20261130)
@FUZZ
@given(body=values)
def test_any_json_body_never_500(client: tuple[TestClient, dict[str, str]], body: Any) -> None:
    for path in ("/v1/chat/completions", "/v1/messages", "/v1/messages/count_tokens"):
        post(client, path, body)


@seed(20261130)
@FUZZ
@given(
    since=st.one_of(
        st.text(max_size=30),
        st.from_regex(r"\A[0-9]{1,12}[dhw]\Z"),
        st.sampled_from(["99999999d", "0d", "-1d", "2026-13-01", "9999-12-31T23:59:59+14:00"]),
    ),
    by=st.one_of(st.text(max_size=10), st.sampled_from(["tier", "day", "key", "model"])),
)
def test_spend_query_params_never_500(
    client: tuple[TestClient, dict[str, str]], since: str, by: str
) -> None:
    test_client, headers = client
    response = test_client.get("/v1/spend", params={"since": since, "by": by}, headers=headers)
    assert response.status_code != 500, f"since={since!r} by={by!r} -> {response.text[:300]}"


WRAPPERS: dict[str, Callable[[Any], Any]] = {
    "in a list": lambda v: [v],
    "in an object": lambda v: {"value": v},
    "as JSON text": json.dumps,
    "as a huge integer": lambda v: Raw(RAW_NUMBERS[0]),
    "as NaN": lambda v: Raw("NaN"),
    "as -1": lambda v: -1,
    "as null": lambda v: None,
    "as true": lambda v: True,
}


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/v1/chat/completions", OPENAI_FIELDS),
        ("/v1/messages", ANTHROPIC_FIELDS),
        ("/v1/messages/count_tokens", ANTHROPIC_FIELDS),
    ],
)
def test_every_field_with_the_wrong_type_never_500(
    client: tuple[TestClient, dict[str, str]], path: str, fields: list[str]
) -> None:
    """A systematic sweep beside the random search: each field's plausible value wrapped
    in the wrong type (``"reasoning_effort": ["high"]`` was a 500)."""
    for field in fields:
        for wrap in WRAPPERS.values():
            body = {**anthropic_base(), "stream": False, field: wrap(TYPICAL.get(field, "x"))}
            post(client, path, body)

"""The official openai SDK against a live gateway in front of the emulator."""

from __future__ import annotations

import base64
import json

import httpx
import openai
import pytest
from gateway_testdata import tiny_png


@pytest.fixture
def client(gateway) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=gateway.key, max_retries=0)


def test_plain_call_with_headers(client: openai.OpenAI, gateway) -> None:  # type: ignore[no-untyped-def]
    raw = client.chat.completions.with_raw_response.create(
        model="auto",
        messages=[
            {
                "role": "user",
                "content": "Classify into billing, technical or account: charged twice",
            }
        ],
    )
    completion = raw.parse()
    assert completion.choices[0].message.content
    assert raw.headers["x-tierwise-tier"] == "haiku"
    assert completion.model == raw.headers["x-tierwise-model-id"]
    assert completion.model.startswith("global.anthropic.claude-haiku")
    assert float(raw.headers["x-tierwise-cost-usd"]) > 0
    reason = raw.headers["x-tierwise-route-reason"]
    assert "haiku" in reason
    assert reason.startswith("class classify ") and "runner-up " in reason
    assert 'routing.classes.classify = { tier = "haiku" }' in reason
    assert raw.headers["x-tierwise-attempts"] == "1"
    assert float(raw.headers["x-tierwise-overhead-ms"]) >= 0
    rows = gateway.tierwise.ledger.rows(request_id=raw.headers["x-tierwise-request-id"])
    assert len(rows) == 1 and rows[0].api_key_id is not None
    assert rows[0].route is not None
    assert rows[0].route["task_class"]["name"] == "classify"


def test_streamed_call_with_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="sonnet",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Say hello"},
        ],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("[tierwise emulator]")
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert any(c.choices and c.choices[0].finish_reason == "stop" for c in chunks)


def test_tool_call_round_trip(client: openai.OpenAI) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]
    messages: list = [{"role": "user", "content": "Use the get_weather tool for Paris."}]
    first = client.chat.completions.create(model="sonnet", messages=messages, tools=tools)
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather" and "city" in json.loads(call.function.arguments)
    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 18}'},
    ]
    second = client.chat.completions.create(model="sonnet", messages=messages, tools=tools)
    assert second.choices[0].finish_reason == "stop"
    assert "tool result" in (second.choices[0].message.content or "")


def test_image_input(client: openai.OpenAI) -> None:
    url = "data:image/png;base64," + base64.b64encode(tiny_png()).decode()
    completion = client.chat.completions.create(
        model="sonnet",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this image?"},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ],
    )
    assert completion.usage is not None and completion.usage.prompt_tokens >= 85


def test_too_many_images_is_a_bad_request(client: openai.OpenAI) -> None:
    url = "data:image/png;base64," + base64.b64encode(tiny_png()).decode()
    parts = [{"type": "image_url", "image_url": {"url": url}} for _ in range(21)]
    with pytest.raises(openai.BadRequestError, match="too many images: 21"):
        client.chat.completions.create(
            model="sonnet", messages=[{"role": "user", "content": parts}]
        )
    # The limit itself is allowed.
    completion = client.chat.completions.create(
        model="sonnet", messages=[{"role": "user", "content": parts[:20]}], max_tokens=20
    )
    assert completion.choices[0].message.content


def test_json_schema_answer(client: openai.OpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string"}},
        "required": ["answer"],
    }
    completion = client.chat.completions.create(
        model="haiku",
        messages=[{"role": "user", "content": "Answer in JSON: what is 2+2?"}],
        response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": schema}},
    )
    assert isinstance(json.loads(completion.choices[0].message.content or ""), dict)


def test_thinking_via_reasoning_effort(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="sonnet",
        messages=[{"role": "user", "content": "Think about why the sky is blue."}],
        reasoning_effort="low",
    )
    message = completion.choices[0].message
    assert getattr(message, "reasoning_content", None)


def test_models_endpoint(client: openai.OpenAI) -> None:
    ids = {m.id for m in client.models.list()}
    assert {"auto", "haiku", "sonnet", "opus"} <= ids
    assert "global.anthropic.claude-opus-4-5-20251101-v1:0" in ids


def test_errors_are_the_sdks_own(client: openai.OpenAI, gateway) -> None:  # type: ignore[no-untyped-def]
    bad_key = openai.OpenAI(base_url=gateway.url + "/v1", api_key="tw_nope_nope", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad_key.chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError, match="temperature"):
        client.chat.completions.create(
            model="auto", messages=[{"role": "user", "content": "hi"}], temperature=1.7
        )
    # A model in no tier reaches Bedrock (its 404) only for a key with neither a cap nor a
    # budget; for the others it is refused up front (tests/gateway/test_key_caps.py).
    free = openai.OpenAI(base_url=gateway.url + "/v1", api_key=gateway.new_key(), max_retries=0)
    with pytest.raises(openai.NotFoundError):
        free.chat.completions.create(
            model="us.anthropic.claude-nonexistent-v1:0",
            messages=[{"role": "user", "content": "hi"}],
        )
    gateway.emulator.inject(kind="throttle", count=100)
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="haiku", messages=[{"role": "user", "content": "hi"}])
    assert info.value.response.headers.get("retry-after")
    gateway.emulator.reset()
    gateway.emulator.inject(kind="unavailable", count=100)
    with pytest.raises(openai.InternalServerError) as unavailable:
        client.chat.completions.create(model="opus", messages=[{"role": "user", "content": "hi"}])
    assert unavailable.value.status_code == 503
    gateway.emulator.reset()


def test_malformed_bodies_are_400_never_500(gateway) -> None:  # type: ignore[no-untyped-def]
    headers = {"authorization": f"Bearer {gateway.key}"}
    url = gateway.url + "/v1/chat/completions"
    cases = [
        b"{not json",
        b"[]",
        json.dumps({"model": "auto"}).encode(),
        json.dumps({"model": "auto", "messages": [{"role": "wizard", "content": "x"}]}).encode(),
        json.dumps({"model": "auto", "messages": "hi"}).encode(),
        json.dumps({"model": 3, "messages": [{"role": "user", "content": "x"}]}).encode(),
        json.dumps(
            {
                "model": "auto",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
                        ],
                    }
                ],
            }
        ).encode(),
    ]
    for body in cases:
        response = httpx.post(url, content=body, headers=headers)
        assert response.status_code == 400, (body, response.text)
        assert "error" in response.json()
    huge = httpx.post(url, content=b"x" * (21 * 1024 * 1024), headers=headers)
    assert huge.status_code == 413


def test_budget_is_enforced(gateway) -> None:  # type: ignore[no-untyped-def]
    from decimal import Decimal

    key = gateway.new_key(budget_usd=Decimal("0.01"))
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
    hi = [{"role": "user", "content": "hi"}]
    client.chat.completions.create(model="haiku", messages=hi, max_tokens=50)  # type: ignore[arg-type]
    # 10,000 Opus output tokens could cost more than the budget: refused before any call.
    with pytest.raises(openai.RateLimitError, match="budget"):
        client.chat.completions.create(model="opus", messages=hi, max_tokens=10_000)  # type: ignore[arg-type]
    assert gateway.keys.get(key.split("_")[1]).spent_usd < Decimal("0.01")


def test_rpm_limit_and_tier_cap(gateway) -> None:  # type: ignore[no-untyped-def]
    from tierwise.core.tiers import Tier

    key = gateway.new_key(rpm=2, max_tier=Tier.SONNET)
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
    proof = "Prove rigorously that there are infinitely many primes."
    raw = client.chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": proof}]
    )
    assert raw.headers["x-tierwise-tier"] == "sonnet"
    with pytest.raises(openai.BadRequestError, match="up to sonnet"):
        client.chat.completions.create(model="opus", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.RateLimitError, match="per minute"):
        client.chat.completions.create(model="haiku", messages=[{"role": "user", "content": "x"}])


def test_a_schema_whose_ref_does_not_resolve_is_refused_before_bedrock_is_called(
    client: openai.OpenAI, gateway
) -> None:  # type: ignore[no-untyped-def]
    schema = {"type": "object", "properties": {"answer": {"$ref": "#/$defs/Missing"}}}
    calls = gateway.emulator.stats["total"]
    before = len(gateway.tierwise.ledger.rows())
    for stream in (False, True):
        with pytest.raises(openai.BadRequestError, match="does not resolve"):
            client.chat.completions.create(
                model="haiku",
                messages=[{"role": "user", "content": "hi"}],
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "a", "schema": schema},
                },
                extra_headers={"x-tierwise-escalate": "true"},
                stream=stream,
            )
    assert len(gateway.tierwise.ledger.rows()) == before
    assert gateway.emulator.stats["total"] == calls


@pytest.mark.parametrize("arguments", [{"city": "Oslo"}, 7, "[1]", "not json"])
def test_tool_call_arguments_that_are_not_a_json_object_string_are_400(
    gateway,  # type: ignore[no-untyped-def]
    arguments: object,
) -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": arguments}}
    body = {
        "model": "sonnet",
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        ],
    }
    response = httpx.post(
        gateway.url + "/v1/chat/completions",
        json=body,
        headers={"authorization": f"Bearer {gateway.key}"},
    )
    assert response.status_code == 400, response.text
    assert "tool_calls[0].function.arguments" in response.json()["error"]["message"]


def test_max_completion_tokens_caps_reasoning_and_answer_together(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="sonnet",
        messages=[{"role": "user", "content": "Think about why the sky is blue."}],
        reasoning_effort="high",
        max_completion_tokens=50,
    )
    assert completion.usage is not None and completion.usage.completion_tokens <= 50
    assert completion.choices[0].finish_reason == "length"

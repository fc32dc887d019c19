"""The official anthropic SDK against a live gateway in front of the emulator."""

from __future__ import annotations

import base64

import anthropic
import httpx
import pytest
from gateway_testdata import tiny_png


@pytest.fixture
def client(gateway) -> anthropic.Anthropic:  # type: ignore[no-untyped-def]
    return anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)


def png_block() -> dict:
    data = base64.b64encode(tiny_png()).decode()
    return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_plain_call(client: anthropic.Anthropic) -> None:
    raw = client.messages.with_raw_response.create(
        model="auto", max_tokens=200, messages=user("Summarize: the meeting moved to Friday.")
    )
    message = raw.parse()
    assert message.content[0].type == "text" and message.content[0].text
    assert message.model == raw.headers["x-tierwise-model-id"]
    assert message.usage.output_tokens > 0
    assert raw.headers["x-tierwise-tier"] in {"haiku", "sonnet"}


def test_streamed_call(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model="sonnet", max_tokens=200, messages=user("Say hello")
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text.startswith("[tierwise emulator]")
    assert final.usage.output_tokens > 0 and final.stop_reason == "end_turn"


def test_tool_round_trip_and_cache_control(client: anthropic.Anthropic) -> None:
    tools = [
        {
            "name": "lookup_order",
            "description": "Find an order",
            "input_schema": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
            # 1h like the system prompt's: Claude refuses a 1h point after a 5m one.
            "cache_control": {"type": "ephemeral", "ttl": "1h"},
        }
    ]
    system = [
        {
            "type": "text",
            "text": "Policy. " * 800,
            "cache_control": {"type": "ephemeral", "ttl": "1h"},
        }
    ]
    first = client.messages.create(
        model="sonnet", max_tokens=300, system=system, tools=tools,
        messages=user("Use the lookup_order tool for order A-17."),
    )  # fmt: skip
    use = next(b for b in first.content if b.type == "tool_use")
    assert first.stop_reason == "tool_use" and "order_id" in use.input
    assert first.usage.cache_creation_input_tokens > 0
    result = {"type": "tool_result", "tool_use_id": use.id, "content": "shipped"}
    second = client.messages.create(
        model="sonnet", max_tokens=300, system=system, tools=tools,
        messages=[
            {"role": "user", "content": "Use the lookup_order tool for order A-17."},
            {"role": "assistant", "content": [b.model_dump() for b in first.content]},
            {"role": "user", "content": [result]},
        ],
    )  # fmt: skip
    assert second.stop_reason == "end_turn"
    assert second.usage.cache_read_input_tokens > 0


def test_image_and_thinking(client: anthropic.Anthropic) -> None:
    image = png_block()
    message = client.messages.create(
        model="sonnet",
        max_tokens=4000,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": [image, {"type": "text", "text": "Describe it."}]}],
    )
    kinds = [b.type for b in message.content]
    assert kinds[0] == "thinking" and "text" in kinds
    assert message.content[0].signature


def test_count_tokens(client: anthropic.Anthropic) -> None:
    counted = client.messages.count_tokens(
        model="sonnet", messages=user("How many tokens is this?")
    )
    message = client.messages.create(
        model="sonnet", max_tokens=50, messages=user("How many tokens is this?")
    )
    assert counted.input_tokens == message.usage.input_tokens


def test_errors_are_the_sdks_own(client: anthropic.Anthropic, gateway) -> None:  # type: ignore[no-untyped-def]
    bad = anthropic.Anthropic(base_url=gateway.url, api_key="wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        bad.messages.create(model="auto", max_tokens=10, messages=user("hi"))
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(model="auto", max_tokens=0, messages=user("hi"))
    # A model in no tier reaches Bedrock (its 404) only for a key with neither a cap nor a
    # budget; for the others it is refused up front (tests/gateway/test_key_caps.py).
    free = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.new_key(), max_retries=0)
    with pytest.raises(anthropic.NotFoundError):
        free.messages.create(
            model="eu.anthropic.claude-nope-v1:0", max_tokens=10, messages=user("hi")
        )
    gateway.emulator.inject(kind="throttle", count=100)
    with pytest.raises(anthropic.RateLimitError) as throttled:
        client.messages.create(model="haiku", max_tokens=10, messages=user("hi"))
    assert throttled.value.response.headers.get("retry-after")
    gateway.emulator.reset()
    gateway.emulator.inject(kind="unavailable", count=100)
    # Anthropic's API says "overloaded" with 529, which its SDK raises as OverloadedError.
    with pytest.raises(anthropic.OverloadedError) as unavailable:
        client.messages.create(model="opus", max_tokens=10, messages=user("hi"))
    assert unavailable.value.status_code == 529
    assert unavailable.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]
    assert unavailable.value.response.headers.get("retry-after")
    with pytest.raises(anthropic.OverloadedError):  # a stream that fails before its first event
        client.messages.create(model="opus", max_tokens=10, messages=user("hi"), stream=True)
    gateway.emulator.reset()
    image = png_block()
    with pytest.raises(anthropic.BadRequestError, match="too many images: 21"):
        client.messages.create(
            model="sonnet", max_tokens=10, messages=[{"role": "user", "content": [image] * 21}]
        )
    huge = httpx.post(
        gateway.url + "/v1/messages",
        content=b"x" * (21 * 1024 * 1024),
        headers={"x-api-key": gateway.key},
    )
    assert huge.status_code == 413 and huge.json()["type"] == "error"
    response = httpx.post(
        gateway.url + "/v1/messages", content=b"{", headers={"x-api-key": gateway.key}
    )
    assert response.status_code == 400 and response.json()["type"] == "error"


def test_client_disconnect_mid_stream_is_ledgered(gateway) -> None:  # type: ignore[no-untyped-def]
    body = {
        "model": "sonnet",
        "max_tokens": 2000,
        "stream": True,
        "messages": user("Write a long essay."),
    }
    headers = {"x-api-key": gateway.key, "x-tierwise-emulator-latency-ms": "0"}
    with httpx.stream("POST", gateway.url + "/v1/messages", json=body, headers=headers) as response:
        request_id = response.headers["x-tierwise-request-id"]
        for _ in response.iter_bytes():
            break  # hang up after the first bytes
    import time

    deadline = time.monotonic() + 5
    rows = []
    while time.monotonic() < deadline and not rows:
        rows = gateway.tierwise.ledger.rows(request_id=request_id)
        time.sleep(0.05)
    assert len(rows) == 1


def test_tool_choice_none_gets_no_tool_call(client: anthropic.Anthropic) -> None:
    tools = [{"name": "lookup_order", "input_schema": {"type": "object"}}]
    message = client.messages.create(
        model="sonnet", max_tokens=200, tools=tools, tool_choice={"type": "none"},
        messages=user("Use the lookup_order tool for order A-17."),
    )  # fmt: skip
    assert message.stop_reason == "end_turn"
    assert [b.type for b in message.content] == ["text"]


def test_stop_sequence_names_the_matched_sequence(client: anthropic.Anthropic) -> None:
    kwargs = {
        "model": "sonnet",
        "max_tokens": 200,
        "stop_sequences": ["zebra", "emulator"],
        "messages": user("Say hello"),
    }
    message = client.messages.create(**kwargs)
    assert (message.stop_reason, message.stop_sequence) == ("stop_sequence", "emulator")
    with client.messages.stream(**kwargs) as stream:
        final = stream.get_final_message()
    assert (final.stop_reason, final.stop_sequence) == ("stop_sequence", "emulator")


def test_a_pdf_sent_without_a_question_is_answered(client: anthropic.Anthropic) -> None:
    # A user turn holding only a document is valid Anthropic input; Converse refuses it
    # without a text block, and the emulator refuses it as Bedrock does.
    pdf = base64.b64encode(b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF\n").decode()
    document = {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": pdf},
    }
    message = client.messages.create(
        model="haiku", max_tokens=50, messages=[{"role": "user", "content": [document]}]
    )
    assert message.content[0].type == "text"

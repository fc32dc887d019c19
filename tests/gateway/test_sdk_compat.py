"""Drop-in details found by driving the gateway with the official SDKs as migrating apps do
(docs/gateway-compat.md lists every check): each test fails on the code before its fix."""

from __future__ import annotations

import base64
from typing import Any, get_args

import anthropic
import httpx
import openai
import pytest
from openai.types.shared.reasoning_effort import ReasoningEffort


@pytest.fixture
def oai(gateway: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=gateway.key, max_retries=0)


@pytest.fixture
def claude(gateway: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)


def test_an_endpoint_not_served_says_which_are(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        oai.embeddings.create(model="sonnet", input="hi")
    message = info.value.message
    assert "POST /v1/embeddings" in message and "/v1/chat/completions" in message
    assert "embeddings" in message.split("Not Found", 1)[1]


def test_an_anthropic_client_gets_anthropics_error_shape_on_any_path(gateway: Any) -> None:
    # Anthropic's SDKs send anthropic-version on every request: the legacy Text Completions
    # path (/v1/complete) answers in the shape they parse, not OpenAI's.
    reply = httpx.post(
        gateway.url + "/v1/complete",
        json={"model": "sonnet", "prompt": "\n\nHuman: hi\n\nAssistant:"},
        headers={"x-api-key": gateway.key, "anthropic-version": "2023-06-01"},
    )
    assert reply.status_code == 404
    body = reply.json()
    assert body["type"] == "error" and body["error"]["type"] == "not_found_error"
    assert "/v1/messages" in body["error"]["message"]
    # Without the header an unknown path still answers in OpenAI's shape.
    plain = httpx.post(gateway.url + "/v1/complete", json={})
    assert plain.status_code == 404 and plain.json()["error"]["type"] == "invalid_request_error"


def test_a_system_only_conversation_is_a_400_that_says_so(oai: openai.OpenAI, gateway: Any) -> None:
    calls = gateway.emulator.stats["total"]
    with pytest.raises(openai.BadRequestError, match="only system or developer messages") as info:
        oai.chat.completions.create(
            model="sonnet", messages=[{"role": "system", "content": "Write a haiku."}]
        )
    assert info.value.param == "messages"
    assert gateway.emulator.stats["total"] == calls


# ~283k tokens by tierwise's count: over Sonnet 4.5's 200k window (and its 1.25 margin),
# within the 1M it takes with the context-1m beta.
LONG = "".join(f"The ledger row number {i} balances. " for i in range(30_000)) + "Sum it."
LONG_CONTEXT = "context-1m-2025-08-07"


def test_the_anthropic_beta_header_reaches_bedrock(claude: anthropic.Anthropic) -> None:
    """Anthropic's SDK sends ``betas=[...]`` as the anthropic-beta header; the door dropped
    it, so a prompt needing the 1M-context window was refused with a hint about Converse's
    additionalModelRequestFields, which a Messages API caller cannot set."""
    ask = [{"role": "user", "content": LONG}]
    with pytest.raises(anthropic.BadRequestError, match="anthropic-beta header"):
        claude.messages.create(model="sonnet", max_tokens=20, messages=ask)
    answer = claude.beta.messages.create(
        model="sonnet", max_tokens=20, messages=ask, betas=[LONG_CONTEXT]
    )
    assert answer.stop_reason == "max_tokens"
    # The header as sent raw, with a beta Anthropic's API has made general (not Bedrock's:
    # left out, or Bedrock would refuse the request) beside it; routed, it goes to Sonnet.
    raw = claude.messages.with_raw_response.create(
        model="auto",
        max_tokens=20,
        messages=ask,
        extra_headers={"anthropic-beta": f"prompt-caching-2024-07-31, {LONG_CONTEXT}"},
    )
    assert raw.headers["x-tierwise-tier"] == "sonnet"


def test_the_1m_beta_is_left_off_for_a_model_without_it(claude: anthropic.Anthropic) -> None:
    # Bedrock refuses the beta on Haiku 4.5 and Opus 4.5 ("invalid beta flag"): a short
    # request routed or pinned there does not need it.
    for model in ("haiku", "opus", "auto"):
        answer = claude.messages.create(
            model=model,
            max_tokens=20,
            messages=[{"role": "user", "content": "Classify: charged twice"}],
            extra_headers={"anthropic-beta": LONG_CONTEXT},
        )
        assert answer.content


PDF = b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF\n"


def test_a_pdf_file_part_is_read_as_a_document(oai: openai.OpenAI) -> None:
    """Chat Completions' ``file`` content part (a PDF sent inline, as OpenAI's docs show)
    was a 400 (unsupported content part type 'file'); it becomes a document block, as the
    Messages door's documents do, twice in one request (names made unique) and alone."""
    data = "data:application/pdf;base64," + base64.b64encode(PDF).decode()
    part = {"type": "file", "file": {"filename": "q3 report.pdf", "file_data": data}}
    completion = oai.chat.completions.create(
        model="sonnet",
        max_tokens=30,
        messages=[
            {"role": "user", "content": [part, part, {"type": "text", "text": "Summarise."}]}
        ],
    )
    assert completion.choices[0].message.content
    alone = oai.chat.completions.create(
        model="sonnet", max_tokens=30, messages=[{"role": "user", "content": [part]}]
    )
    assert alone.choices[0].message.content


@pytest.mark.parametrize(
    ("file", "says"),
    [
        ({"file_id": "file-abc"}, "uploaded files are not available"),
        ({"file_data": "JVBERi0xLjQ="}, "must be a data:<media type>;base64"),
        ({"file_data": "data:audio/wav;base64,AAAA"}, "audio/wav is not a document type"),
    ],
)
def test_a_file_part_bedrock_cannot_read_is_a_400_naming_it(
    oai: openai.OpenAI, file: dict[str, str], says: str
) -> None:
    part = {"type": "file", "file": file}
    with pytest.raises(openai.BadRequestError, match=says) as info:
        oai.chat.completions.create(
            model="sonnet",
            messages=[{"role": "user", "content": [part, {"type": "text", "text": "Read it."}]}],
        )
    assert info.value.param is not None and info.value.param.startswith("messages[0].content[0]")


def test_an_image_by_url_names_the_setting_that_fetches_it(
    oai: openai.OpenAI, claude: anthropic.Anthropic
) -> None:
    url = "https://example.com/cat.png"
    part = {"type": "image_url", "image_url": {"url": url}}
    with pytest.raises(openai.BadRequestError, match="allow_remote_images = true"):
        oai.chat.completions.create(model="sonnet", messages=[{"role": "user", "content": [part]}])
    image = {"type": "image", "source": {"type": "url", "url": url}}
    with pytest.raises(anthropic.BadRequestError, match="allow_remote_images = true"):
        claude.messages.create(
            model="sonnet",
            max_tokens=20,
            messages=[{"role": "user", "content": [image, {"type": "text", "text": "What?"}]}],
        )


def test_every_reasoning_effort_the_sdk_names_is_served(oai: openai.OpenAI) -> None:
    """openai's ReasoningEffort has none, xhigh and max besides minimal..high; apps written
    for newer OpenAI models send none explicitly. All were 400s but the four."""
    efforts = [e for arg in get_args(ReasoningEffort) for e in get_args(arg)]
    assert {"none", "xhigh", "max"} <= set(efforts)
    for effort in efforts:
        completion = oai.chat.completions.create(
            model="sonnet",
            messages=[{"role": "user", "content": "Think: why is the sky blue?"}],
            reasoning_effort=effort,
        )
        message = completion.choices[0].message
        thought = getattr(message, "reasoning_content", None)
        assert bool(thought) is (effort not in ("none", "minimal")), effort
    answer = oai.responses.create(model="sonnet", input="hi", reasoning={"effort": "none"})
    assert answer.output_text


WEATHER = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


@pytest.mark.parametrize("echo", ["whole message", "content and tool_calls"])
def test_a_tool_loop_with_reasoning_effort_continues(oai: openai.OpenAI, echo: str) -> None:
    """The second turn of an agent's tool loop with reasoning_effort was Bedrock's 400
    (`a final assistant message must start with a thinking block`): Claude needs the earlier
    thinking, with its signature, before tool results. The answer now carries it as
    ``thinking_blocks``, which the message sent back whole returns; an app that sends back
    only content and tool_calls gets this turn without thinking instead of a 400."""
    asked: list[Any] = [{"role": "user", "content": "Use the get_weather tool for Paris."}]
    first = oai.chat.completions.create(
        model="sonnet", messages=asked, tools=WEATHER, reasoning_effort="low"
    )
    message = first.choices[0].message
    assert message.tool_calls and first.choices[0].finish_reason == "tool_calls"
    blocks = (message.model_extra or {}).get("thinking_blocks")
    assert blocks and blocks[0]["type"] == "thinking" and blocks[0]["signature"]
    if echo == "whole message":
        sent = message.model_dump(exclude_none=True)
    else:
        sent = {"role": "assistant", "content": message.content,
                "tool_calls": [c.model_dump() for c in message.tool_calls]}  # fmt: skip
    result = {"role": "tool", "tool_call_id": message.tool_calls[0].id, "content": "18C"}
    second = oai.chat.completions.create(
        model="sonnet", messages=[*asked, sent, result], tools=WEATHER, reasoning_effort="low"
    )
    assert second.choices[0].finish_reason == "stop"
    thought = getattr(second.choices[0].message, "reasoning_content", None)
    assert bool(thought) is (echo == "whole message")


def test_a_streamed_tool_loop_with_reasoning_effort_keeps_its_thinking(
    oai: openai.OpenAI,
) -> None:
    """A stream sends each thinking block whole, signed, as ``thinking_blocks`` when it ends:
    the SDK's stream helper puts it in the final message, which sent back keeps thinking."""
    asked: list[Any] = [{"role": "user", "content": "Use the get_weather tool for Paris."}]
    with oai.chat.completions.stream(
        model="sonnet", messages=asked, tools=WEATHER, reasoning_effort="low"
    ) as stream:
        for _ in stream:
            pass
        message = stream.get_final_completion().choices[0].message
    sent = message.model_dump(exclude_none=True)
    (block,) = sent["thinking_blocks"]
    assert block["signature"] and block["thinking"] == sent["reasoning_content"]
    assert message.tool_calls
    result = {"role": "tool", "tool_call_id": message.tool_calls[0].id, "content": "18C"}
    second = oai.chat.completions.create(
        model="sonnet", messages=[*asked, sent, result], tools=WEATHER, reasoning_effort="low"
    )
    assert getattr(second.choices[0].message, "reasoning_content", None)


def test_a_tool_message_without_its_call_is_a_400_in_the_callers_indices(
    oai: openai.OpenAI, gateway: Any
) -> None:
    """It was Bedrock's or the missing-tools refusal, naming the merged Converse turn
    (`messages[0].content[1] is a toolResult block ...`); OpenAI refuses it in its own terms."""
    calls = gateway.emulator.stats["total"]
    with pytest.raises(openai.BadRequestError, match="must answer a tool call") as info:
        oai.chat.completions.create(
            model="sonnet",
            tools=WEATHER,
            messages=[
                {"role": "user", "content": "Weather in Paris?"},
                {"role": "tool", "tool_call_id": "call_9", "content": "18C"},
            ],
        )
    assert info.value.param == "messages[1]" and "'call_9'" in info.value.message
    assert gateway.emulator.stats["total"] == calls

"""``POST /v1/responses`` with the real openai SDK (create, stream, parse, tool loops, images)
and the OpenAI Agents SDK, against the gateway in front of the emulator."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import openai
import pytest
from gateway_testdata import tiny_png
from pydantic import BaseModel

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


class City(BaseModel):
    name: str
    country: str
    sights: list[str]


@pytest.fixture
def client(gateway) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=gateway.key, max_retries=0)


def test_create_with_instructions(client: openai.OpenAI, gateway) -> None:  # type: ignore[no-untyped-def]
    raw = client.responses.with_raw_response.create(
        model="haiku", instructions="Answer briefly.", input="Classify: spam or not? 'WIN'"
    )
    response = raw.parse()
    assert response.status == "completed" and response.object == "response"
    assert response.output_text.startswith("[tierwise emulator]")
    assert response.model.startswith("global.anthropic.claude-haiku")
    assert response.usage is not None and response.usage.output_tokens > 0
    assert raw.headers["x-tierwise-tier"] == "haiku"
    rows = gateway.tierwise.ledger.rows(request_id=raw.headers["x-tierwise-request-id"])
    assert len(rows) == 1 and rows[0].output_tokens == response.usage.output_tokens


def test_stream_events_and_the_sdk_stream_helper(client: openai.OpenAI) -> None:
    events = list(client.responses.create(model="sonnet", input="Explain caching", stream=True))
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert "response.output_text.delta" in kinds and kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(1, len(events) + 1))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert events[-1].response.output_text == text
    with client.responses.stream(model="haiku", input="hello") as stream:
        final = stream.get_final_response()
    assert final.output_text and final.status == "completed"


def test_function_tool_loop(client: openai.OpenAI) -> None:
    first = client.responses.create(
        model="haiku",
        input="Use the tool: weather in Paris?",
        tools=[WEATHER],  # type: ignore[list-item]
        tool_choice="required",
    )
    (call,) = [o for o in first.output if o.type == "function_call"]
    assert call.name == "get_weather" and "city" in json.loads(call.arguments)
    second = client.responses.create(
        model="haiku",
        tools=[WEATHER],  # type: ignore[list-item]
        input=[
            {"role": "user", "content": "Use the tool: weather in Paris?"},
            {
                "type": "function_call",
                "call_id": call.call_id,
                "name": call.name,
                "arguments": call.arguments,
            },
            {"type": "function_call_output", "call_id": call.call_id, "output": "sunny, 21C"},
        ],
    )
    assert "tool result" in second.output_text


def test_function_call_streams_its_arguments(client: openai.OpenAI) -> None:
    with client.responses.stream(
        model="haiku",
        input="Use the tool for Rome",
        tools=[WEATHER],
        tool_choice="required",  # type: ignore[list-item]
    ) as stream:
        final = stream.get_final_response()
    (call,) = [o for o in final.output if o.type == "function_call"]
    assert json.loads(call.arguments)["city"]


def test_image_input(client: openai.OpenAI) -> None:
    url = "data:image/png;base64," + base64.b64encode(tiny_png()).decode()
    response = client.responses.create(
        model="sonnet",
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "What is in this image?"},
                    {"type": "input_image", "image_url": url, "detail": "auto"},
                ],
            }
        ],
    )
    assert response.output_text


def test_parse_structured_output(client: openai.OpenAI) -> None:
    parsed = client.responses.parse(model="opus", input="Tell me about Rome", text_format=City)
    assert isinstance(parsed.output_parsed, City)


def test_reasoning_round_trips_through_a_tool_loop(client: openai.OpenAI) -> None:
    first = client.responses.create(
        model="sonnet",
        input="Use the tool: weather in Oslo?",
        tools=[WEATHER],  # type: ignore[list-item]
        reasoning={"effort": "low"},
        include=["reasoning.encrypted_content"],
    )
    kinds = [o.type for o in first.output]
    assert kinds[0] == "reasoning" and "function_call" in kinds
    call = next(o for o in first.output if o.type == "function_call")
    follow: list[Any] = [{"role": "user", "content": "Use the tool: weather in Oslo?"}]
    follow += [o.model_dump(exclude_none=True) for o in first.output]
    follow.append({"type": "function_call_output", "call_id": call.call_id, "output": "cold"})
    second = client.responses.create(
        model="sonnet",
        input=follow,
        tools=[WEATHER],
        reasoning={"effort": "low"},  # type: ignore[list-item]
    )
    assert second.status == "completed" and second.output_text


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"previous_response_id": "resp_123"}, "previous_response_id"),
        ({"store": True}, "store"),
        ({"conversation": "conv_1"}, "conversation"),
        ({"background": True}, "background"),
        ({"tools": [{"type": "web_search"}]}, "tools[0].type"),
        ({"top_logprobs": 2}, "top_logprobs"),
        ({"extra_body": {"frobnicate": 1}}, "frobnicate"),
    ],
)
def test_server_state_and_unsupported_fields_are_400s(
    client: openai.OpenAI, kwargs: dict[str, Any], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="haiku", input="hi", **kwargs)
    assert caught.value.param == param
    if param in ("previous_response_id", "store", "conversation"):
        assert "no server-side conversation state" in caught.value.message


def test_openai_agents_sdk_runs_a_tool_and_a_typed_output(gateway) -> None:  # type: ignore[no-untyped-def]
    import agents

    agents.set_tracing_disabled(True)
    api = openai.AsyncOpenAI(base_url=gateway.url + "/v1", api_key=gateway.key, max_retries=0)
    seen: list[str] = []

    @agents.function_tool
    def get_weather(city: str) -> str:
        """Weather for a city."""
        seen.append(city)
        return "sunny"

    model = agents.OpenAIResponsesModel(model="haiku", openai_client=api)
    helper = agents.Agent(
        name="weather", instructions="Use the tool: get_weather.", tools=[get_weather], model=model
    )
    typed = agents.Agent(
        name="cities", instructions="Describe the city.", output_type=City, model=model
    )

    async def both() -> tuple[Any, Any]:
        # One event loop for the one AsyncOpenAI client.
        first = await agents.Runner.run(helper, "Use the tool: weather in Paris?")
        second = await agents.Runner.run(typed, "Rome")
        await api.close()
        return first, second

    result, out = asyncio.run(both())
    assert seen and isinstance(result.final_output, str) and result.final_output
    assert isinstance(out.final_output, City)


def test_parallel_tool_calls_false_keeps_the_first_call() -> None:
    from tierwise.core.convert.openai import ONE_TOOL_CALL
    from tierwise.core.convert.responses import (
        ResponsesStreamTranslator,
        from_responses,
        to_response,
    )

    body = {"model": "haiku", "input": "hi", "tools": [WEATHER], "parallel_tool_calls": False}
    converted = from_responses(body)
    assert converted.request["system"][-1] == {"text": ONE_TOOL_CALL}
    echo = converted.extras["echo"]
    uses = [{"toolUse": {"toolUseId": f"t{i}", "name": "get_weather", "input": {}}} for i in (1, 2)]
    answer = {"output": {"message": {"content": uses}}, "stopReason": "tool_use"}
    out = to_response(answer, echo=echo, model="m", request_id="r", created=0)
    assert [o["call_id"] for o in out["output"]] == ["t1"]
    both = to_response(answer, echo={**echo, "parallel_tool_calls": True}, model="m",
                       request_id="r", created=0)  # fmt: skip
    assert len(both["output"]) == 2
    translator = ResponsesStreamTranslator(echo=echo, model="m", request_id="r", created=0)
    events = []
    for i in (0, 1):
        start = {"toolUse": {"toolUseId": f"t{i}", "name": "get_weather"}}
        events += translator.feed({"contentBlockStart": {"contentBlockIndex": i, "start": start}})
        delta = {"toolUse": {"input": "{}"}}
        events += translator.feed({"contentBlockDelta": {"contentBlockIndex": i, "delta": delta}})
        events += translator.feed({"contentBlockStop": {"contentBlockIndex": i}})
    added = [d["item"]["call_id"] for k, d in events if k == "response.output_item.added"]
    assert added == ["t0"]


def test_the_timeout_header_applies_as_on_the_other_doors(client: openai.OpenAI) -> None:
    # The Responses door builds its call the same way as chat completions and messages, so
    # x-tierwise-timeout-s is read (and a bad value refused) here too.
    with pytest.raises(openai.BadRequestError, match="x-tierwise-timeout-s"):
        client.responses.create(
            model="haiku", input="hi", extra_headers={"x-tierwise-timeout-s": "soon"}
        )
    ok = client.responses.create(
        model="haiku", input="hi", extra_headers={"x-tierwise-timeout-s": "30"}
    )
    assert ok.output_text

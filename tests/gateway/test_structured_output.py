"""Structured output through both doors with the real SDKs: OpenAI ``.parse()`` with pydantic
models, ``json_object``, Anthropic ``messages.parse`` / ``output_config`` and tool-forced output.
The emulator answers schema-valid JSON because the schema reaches it (a forced tool); a model
that answers badly at every allowed tier is a 422, never a 200."""

from __future__ import annotations

import json
from enum import StrEnum

import anthropic
import jsonschema
import openai
import pytest
from pydantic import BaseModel, Field


class Severity(StrEnum):
    low = "low"
    high = "high"


class Person(BaseModel):
    name: str
    email: str | None = None


class Ticket(BaseModel):
    title: str
    severity: Severity
    count: int = Field(ge=1, le=10)
    tags: list[str]
    owner: Person
    watchers: list[Person]


class Note(BaseModel):
    """The Anthropic SDK moves numeric bounds into descriptions (its structured outputs do not
    take them), so only a model can honour them; this one has none."""

    title: str
    severity: Severity
    tags: list[str]
    owner: Person


@pytest.fixture
def oai(gateway) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=gateway.key, max_retries=0)


@pytest.fixture
def claude(gateway) -> anthropic.Anthropic:  # type: ignore[no-untyped-def]
    return anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)


def test_openai_parse_with_a_nested_pydantic_model(oai: openai.OpenAI, gateway) -> None:  # type: ignore[no-untyped-def]
    raw = oai.chat.completions.with_raw_response.parse(
        model="haiku",
        messages=[{"role": "user", "content": "File a ticket: the app crashes on start"}],
        response_format=Ticket,
    )
    completion = raw.parse()
    ticket = completion.choices[0].message.parsed
    assert isinstance(ticket, Ticket) and isinstance(ticket.owner, Person)
    assert completion.choices[0].finish_reason == "stop"
    assert raw.headers["x-tierwise-attempts"] == "1"
    # The schema reached the model as a forced tool, and the answer came back as text.
    rows = gateway.tierwise.ledger.rows(request_id=raw.headers["x-tierwise-request-id"])
    assert [r.status for r in rows] == ["ok"]


def test_openai_parse_streams(oai: openai.OpenAI) -> None:
    with oai.chat.completions.stream(
        model="sonnet",
        messages=[{"role": "user", "content": "File a ticket: login fails"}],
        response_format=Ticket,
    ) as stream:
        final = stream.get_final_completion()
    assert isinstance(final.choices[0].message.parsed, Ticket)


def test_openai_json_object_is_a_json_object(oai: openai.OpenAI) -> None:
    completion = oai.chat.completions.create(
        model="haiku",
        messages=[{"role": "user", "content": "Give the capital of France as JSON"}],
        response_format={"type": "json_object"},
    )
    assert isinstance(json.loads(completion.choices[0].message.content or ""), dict)


def test_openai_schema_with_anyof_refs_and_a_non_object_root(oai: openai.OpenAI) -> None:
    schema = {
        "type": "array",
        "items": {
            "anyOf": [{"$ref": "#/$defs/point"}, {"type": "null"}],
        },
        "minItems": 2,
        "$defs": {
            "point": {
                "type": "object",
                "properties": {"x": {"type": "number"}, "at": {"type": "string", "format": "date"}},
                "required": ["x", "at"],
                "additionalProperties": False,
            }
        },
    }
    completion = oai.chat.completions.create(
        model="opus",
        messages=[{"role": "user", "content": "Two points please"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "points", "schema": schema},
        },
    )
    value = json.loads(completion.choices[0].message.content or "")
    jsonschema.validate(value, schema)
    assert isinstance(value, list) and len(value) >= 2


def test_openai_rejected_everywhere_is_a_422_not_a_200(oai: openai.OpenAI, gateway) -> None:  # type: ignore[no-untyped-def]
    for tier in ("haiku", "sonnet", "opus"):
        gateway.emulator.misbehave("invalid_json", tier=tier)
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        oai.chat.completions.parse(
            model="haiku",
            messages=[{"role": "user", "content": "File a ticket"}],
            response_format=Ticket,
            extra_headers={"x-tierwise-escalate": "true"},
        )
    assert caught.value.body["code"] == "answer_rejected"  # type: ignore[index]
    assert "haiku -> sonnet -> opus" in caught.value.message
    request_id = caught.value.response.headers["x-tierwise-request-id"]
    rows = gateway.tierwise.ledger.rows(request_id=request_id)
    assert [r.status for r in rows] == ["rejected"] * 3


def test_anthropic_messages_parse(claude: anthropic.Anthropic) -> None:
    message = claude.messages.parse(
        model="sonnet",
        max_tokens=1024,
        messages=[{"role": "user", "content": "File a ticket: the printer is on fire"}],
        output_format=Note,
    )
    assert isinstance(message.parsed_output, Note)
    assert message.stop_reason == "end_turn"
    assert [b.type for b in message.content] == ["text"]


def test_anthropic_output_config_dict_schema(claude: anthropic.Anthropic) -> None:
    schema = Note.model_json_schema()
    message = claude.messages.create(
        model="haiku",
        max_tokens=1024,
        messages=[{"role": "user", "content": "File a ticket"}],
        output_config={"format": {"type": "json_schema", "schema": schema}},
    )
    block = message.content[0]
    assert block.type == "text"
    Note.model_validate_json(block.text)


def test_anthropic_tool_forced_output_fits_the_input_schema(claude: anthropic.Anthropic) -> None:
    schema = Note.model_json_schema()
    message = claude.messages.create(
        model="haiku",
        max_tokens=1024,
        messages=[{"role": "user", "content": "Record the ticket"}],
        tools=[{"name": "record_ticket", "description": "Record it", "input_schema": schema}],
        tool_choice={"type": "tool", "name": "record_ticket"},
    )
    (block,) = message.content
    assert block.type == "tool_use" and block.name == "record_ticket"
    Note.model_validate(block.input)


def test_anthropic_output_config_effort_is_refused_by_name(claude: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match=r"output_config\.effort"):
        claude.messages.create(
            model="haiku",
            max_tokens=64,
            messages=[{"role": "user", "content": "hi"}],
            output_config={"effort": "high"},
        )

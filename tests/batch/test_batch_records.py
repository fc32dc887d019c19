"""Batch records round-trip every content type: a Converse request written as an InvokeModel
body (``to_invoke_body``) and read back by the emulator as Bedrock reads it means the same
request; every door's output passes the emulator's batch validation."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tierwise.batch import parse_records
from tierwise.core.convert.anthropic import from_messages, to_invoke_body, usage_from_message
from tierwise.core.convert.openai import from_chat_completions
from tierwise.emulator import Emulator
from tierwise.emulator.anthropic_body import to_converse
from tierwise.errors import InvalidRequestError

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\n\xff\xfe\x00binary%%EOF"
# A PNG header of a 1x1 image (16843009 px a side, as 0x01 bytes read, is over Bedrock's limit).
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (1).to_bytes(4, "big") * 2 + b"\x01" * 8
SONNET = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"


def _decoded(source: dict[str, Any]) -> bytes:
    raw = source["bytes"]
    return raw if isinstance(raw, bytes) else base64.b64decode(raw)


def _round_trip(request: dict[str, Any]) -> dict[str, Any]:
    return to_converse(to_invoke_body(request))


def test_text_and_system_list_stay_separate_blocks() -> None:
    request = {
        "system": [{"text": "You are terse."}, {"text": "Answer in French."}],
        "messages": [{"role": "user", "content": [{"text": "Hi"}, {"text": "there"}]}],
    }
    body = to_invoke_body(request)
    assert body["system"] == [
        {"type": "text", "text": "You are terse."},
        {"type": "text", "text": "Answer in French."},
    ]
    back = _round_trip(request)
    assert back["system"] == request["system"]
    assert back["messages"] == request["messages"]


def test_pdf_goes_as_base64_with_its_title() -> None:
    request = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"document": {"format": "pdf", "name": "Q3 report", "source": {"bytes": PDF}}},
                    {"text": "Summarize."},
                ],
            }
        ]
    }
    body = to_invoke_body(request)
    doc = body["messages"][0]["content"][0]
    assert doc["source"] == {
        "type": "base64",
        "media_type": "application/pdf",
        "data": base64.b64encode(PDF).decode(),
    }
    assert doc["title"] == "Q3 report"
    back = _round_trip(request)["messages"][0]["content"][0]["document"]
    assert (back["format"], back["name"], _decoded(back["source"])) == ("pdf", "Q3 report", PDF)


def test_text_document_and_image() -> None:
    request = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"document": {"format": "txt", "name": "notes", "source": {"bytes": b"a\nb"}}},
                    {"image": {"format": "png", "source": {"bytes": PNG}}},
                    {"text": "Compare."},
                ],
            }
        ]
    }
    back = _round_trip(request)["messages"][0]["content"]
    assert back[0]["document"]["source"] == {"text": "a\nb"}
    assert back[0]["document"]["name"] == "notes"
    assert back[1]["image"]["format"] == "png" and _decoded(back[1]["image"]["source"]) == PNG


def test_cache_points_keep_their_place_and_ttl() -> None:
    request = {
        "system": [{"text": "Long policy."}, {"cachePoint": {"type": "default", "ttl": "1h"}}],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"text": "Context."},
                    {"cachePoint": {"type": "default"}},
                    {"text": "Question?"},
                ],
            }
        ],
        "toolConfig": {
            "tools": [
                {"toolSpec": {"name": "lookup", "inputSchema": {"json": {"type": "object"}}}},
                {"cachePoint": {"type": "default", "ttl": "1h"}},
            ]
        },
    }
    body = to_invoke_body(request)
    assert body["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert body["tools"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    back = _round_trip(request)
    assert back["system"] == request["system"]
    assert back["messages"] == request["messages"]
    assert back["toolConfig"]["tools"] == request["toolConfig"]["tools"]


def test_thinking_top_k_and_betas() -> None:
    reasoning = {"reasoningText": {"text": "Think.", "signature": "c2ln"}}
    request = {
        "messages": [
            {"role": "user", "content": [{"text": "Q1"}]},
            {"role": "assistant", "content": [{"reasoningContent": reasoning}, {"text": "A1"}]},
            {"role": "user", "content": [{"text": "Q2"}]},
        ],
        "inferenceConfig": {"maxTokens": 4000, "stopSequences": ["END"]},
        "additionalModelRequestFields": {
            "thinking": {"type": "enabled", "budget_tokens": 2048},
            "anthropic_beta": ["context-1m-2025-08-07"],
        },
    }
    back = _round_trip(request)
    assert back["messages"] == request["messages"]
    assert back["additionalModelRequestFields"] == request["additionalModelRequestFields"]
    assert back["inferenceConfig"] == request["inferenceConfig"]
    with_top_k = {
        "messages": [{"role": "user", "content": [{"text": "Q"}]}],
        "additionalModelRequestFields": {"top_k": 40},
    }
    assert to_invoke_body(with_top_k)["top_k"] == 40
    assert _round_trip(with_top_k)["additionalModelRequestFields"] == {"top_k": 40}


def test_tools_round_trip() -> None:
    request = {
        "messages": [
            {"role": "user", "content": [{"text": "Find order 7."}]},
            {
                "role": "assistant",
                "content": [{"toolUse": {"toolUseId": "t1", "name": "lookup", "input": {"q": 7}}}],
            },
            {
                "role": "user",
                "content": [
                    {
                        "toolResult": {
                            "toolUseId": "t1",
                            "content": [{"text": "not found"}],
                            "status": "error",
                        }
                    }
                ],
            },
        ],
        "toolConfig": {
            "tools": [
                {
                    "toolSpec": {
                        "name": "lookup",
                        "description": "Look up an order",
                        "inputSchema": {"json": {"type": "object"}},
                    }
                }
            ],
            "toolChoice": {"auto": {}},
        },
    }
    body = to_invoke_body(request)
    assert body["tool_choice"] == {"type": "auto"}
    assert body["messages"][2]["content"][0]["is_error"] is True
    back = _round_trip(request)
    assert back["messages"] == request["messages"]
    assert back["toolConfig"] == request["toolConfig"]


def test_documents_claude_cannot_read_are_refused_not_garbled() -> None:
    request = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"document": {"format": "docx", "name": "memo", "source": {"bytes": b"PK"}}},
                    {"text": "Summarize."},
                ],
            }
        ]
    }
    with pytest.raises(InvalidRequestError, match="docx document cannot go into a batch record"):
        to_invoke_body(request)


def test_batch_usage_books_1h_cache_writes_at_the_1h_rate() -> None:
    usage = usage_from_message(
        {
            "usage": {
                "input_tokens": 10,
                "output_tokens": 5,
                "cache_creation_input_tokens": 3000,
                "cache_creation": {
                    "ephemeral_5m_input_tokens": 1000,
                    "ephemeral_1h_input_tokens": 2000,
                },
            }
        }
    )
    assert (usage.cache_write_5m, usage.cache_write_1h) == (1000, 2000)
    plain = usage_from_message({"usage": {"cache_creation_input_tokens": 700}})
    assert (plain.cache_write_5m, plain.cache_write_1h) == (700, 0)


# -- every door's output through the emulator's batch validation --------------------------


@pytest.fixture(scope="module")
def emu(default_settings: Any) -> Iterator[Emulator]:
    with Emulator(default_settings, port=0).start() as running:
        yield running


def _python_request() -> dict[str, Any]:
    return {
        "system": [{"text": "Be brief."}, {"cachePoint": {"type": "default", "ttl": "1h"}}],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"document": {"format": "pdf", "name": "report", "source": {"bytes": PDF}}},
                    {"image": {"format": "png", "source": {"bytes": PNG}}},
                    {"text": "What do these show?"},
                ],
            }
        ],
        "inferenceConfig": {"maxTokens": 3000},
        "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1024}},
    }


def _openai_request() -> dict[str, Any]:
    data = base64.b64encode(PNG).decode()
    return from_chat_completions(
        {
            "model": "sonnet",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "system", "content": "Use French."},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Describe."},
                        {
                            "type": "image_url",
                            "image_url": {"url": f"data:image/png;base64,{data}"},
                        },
                    ],
                },
            ],
            "tools": [
                {
                    "type": "function",
                    "function": {"name": "lookup", "parameters": {"type": "object"}},
                }
            ],
            "max_tokens": 300,
        }
    ).request


def _anthropic_request() -> dict[str, Any]:
    return from_messages(
        {
            "model": "sonnet",
            "max_tokens": 300,
            "top_k": 20,
            "system": [
                {"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "Use French."},
            ],
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "document",
                            "title": "Q3 report",
                            "source": {
                                "type": "base64",
                                "media_type": "application/pdf",
                                "data": base64.b64encode(PDF).decode(),
                            },
                        },
                        {"type": "text", "text": "Summarize."},
                    ],
                }
            ],
        }
    ).request


@pytest.mark.parametrize(
    "make",
    [_python_request, _openai_request, _anthropic_request],
    ids=["python", "openai", "anthropic"],
)
def test_each_doors_record_passes_batch_validation(emu: Emulator, make: Any) -> None:
    body = to_invoke_body(make())
    out = emu.batch_record(SONNET, body)
    assert "modelOutput" in out, out
    assert out["modelOutput"]["content"]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('["a"]', "a record must be a JSON object, not an array"),
        ('"text"', "a record must be a JSON object, not a string"),
        ('{"custom_id": "x", "openai": "hi"}', "openai must be a JSON object"),
        ('{"custom_id": "x", "anthropic": ["hi"]}', "anthropic must be a JSON object"),
        ('{"custom_id": "x", "converse": null}', "converse must be a JSON object"),
    ],
)
def test_a_record_that_is_no_object_is_refused_by_line(
    tmp_path: Path, line: str, says: str
) -> None:
    # These crashed `tierwise batch submit` with "unexpected AttributeError/TypeError ...
    # this is a bug in tierwise".
    path = tmp_path / "requests.jsonl"
    good = '{"custom_id": "ok", "converse": {"messages": []}}'
    path.write_text(good + "\n" + line + "\n")
    with pytest.raises(InvalidRequestError, match=says) as info:
        parse_records(path)
    assert f"{path}:2" in info.value.message
    assert "hi" not in info.value.message and "text" not in info.value.message


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('"openai": {"messages": []}', "messages must be a non-empty list"),
        ('"anthropic": {"model": "sonnet", "messages": [{"role": "user", "content": "hi"}]}',
         "max_tokens is required"),
        ('"converse": {"modelId": "sonnet"}', "converse needs messages"),
        ('"other": {}', "exactly one of converse, openai or anthropic"),
    ],
)  # fmt: skip
def test_a_record_a_door_refuses_is_named_by_line_and_custom_id(
    tmp_path: Path, body: str, says: str
) -> None:
    # A door's own check ("messages must be a non-empty list") named neither the line nor
    # the record, so in a file of thousands the bad one could not be found.
    path = tmp_path / "requests.jsonl"
    good = '{"custom_id": "ok", "converse": {"messages": []}}'
    path.write_text(good + "\n\n" + '{"custom_id": "t-17", ' + body + "}\n")
    with pytest.raises(InvalidRequestError, match=says) as info:
        parse_records(path)
    assert info.value.message.startswith(f"{path}:3 (custom_id 't-17'): ")


_R = '{{"custom_id": "{}", "converse": {{"messages": [{{"role": "user", "content": [{{"text": "hi"}}]}}]}}}}'


@pytest.mark.parametrize(
    ("lines", "error", "hint"),
    [
        # The hint was the API's "correct the request; retrying it unchanged will fail".
        (["not json"], "r.jsonl:1: not JSON (Expecting value)", "per line"),
        ([], "r.jsonl has no records", "per line"),
        # "custom_id missing or duplicated" said neither which nor where the other one is.
        (['{"converse": {}}'], "r.jsonl:1: the record has no custom_id", "unique in the file"),
        (
            [_R.format("a"), _R.format("b"), _R.format("a")],
            "r.jsonl:3: custom_id 'a' is line 1's too",
            "unique in the file",
        ),
    ],
)
def test_a_bad_file_says_where_and_what_to_do(
    tmp_path: Path, lines: list[str], error: str, hint: str
) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    with pytest.raises(InvalidRequestError) as refused:
        parse_records(path)
    assert refused.value.message == f"{tmp_path}/{error}"
    assert hint in refused.value.hint

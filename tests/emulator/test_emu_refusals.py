"""The refusals suite: one case per row of docs/emulator-refusals.md, through every door
that can express it (Converse, ConverseStream, InvokeModel, batch records)."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from emulator_testdata import HAIKU, OPUS, SONNET

from tierwise.emulator import Emulator

DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator-refusals.md"
SONNET_46 = "global.anthropic.claude-sonnet-4-6"
OPUS_46 = "global.anthropic.claude-opus-4-6-v1"
SONNET_37 = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
THINKING = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
TOOLS = {"tools": [{"toolSpec": {"name": "lookup", "inputSchema": {"json": {"type": "object"}}}}]}
ANTHROPIC_TOOLS = [{"name": "lookup", "input_schema": {"type": "object"}}]


def _text(tokens: int) -> str:
    return "alpha beta gamma delta. " * (tokens // 6)


@dataclass
class Case:
    """A request Bedrock refuses (``message`` set) or accepts (``message`` empty)."""

    id: str
    model: str
    converse: dict[str, Any] | None
    invoke: dict[str, Any] | None = None  # the same request as an Anthropic Messages body
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _user(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": list(blocks)}


def _ask(text: str = "Look up the order.") -> dict[str, Any]:
    return _user({"text": text})


def _body(messages: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    version = "bedrock-2023-05-31"
    return {"anthropic_version": version, "max_tokens": 2048, "messages": messages, **kw}


TOOL_USE = {"toolUse": {"toolUseId": "tooluse_1", "name": "lookup", "input": {}}}
TOOL_RESULT = {"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "found"}]}}
A_TOOL_USE = {"type": "tool_use", "id": "tooluse_1", "name": "lookup", "input": {}}
A_TOOL_RESULT = {"type": "tool_result", "tool_use_id": "tooluse_1", "content": "found"}
IMAGE = {"format": "png", "source": {"bytes": PNG}}


def _png(width: int, height: int, size: int = 0) -> dict[str, Any]:
    """A PNG image block whose header says ``width`` x ``height``, padded to ``size`` bytes
    (Bedrock's limits read the header and the length; nothing decodes the pixels here)."""
    header = b"\x00\x00\x00\x0dIHDR" + width.to_bytes(4, "big") + height.to_bytes(4, "big")
    data = b"\x89PNG\r\n\x1a\n" + header + b"\x08\x02\x00\x00\x00"
    return {"format": "png", "source": {"bytes": data + b"\x00" * max(0, size - len(data))}}


def _use(tool_use_id: str) -> dict[str, Any]:
    return {"toolUse": {"toolUseId": tool_use_id, "name": "lookup", "input": {}}}


def _result(tool_use_id: str) -> dict[str, Any]:
    return {"toolResult": {"toolUseId": tool_use_id, "content": [{"text": "found"}]}}


def _document(name: str, data: bytes = b"Quarterly figures.") -> dict[str, Any]:
    return {"document": {"format": "txt", "name": name, "source": {"bytes": data}}}


REASONING = {"reasoningContent": {"reasoningText": {"text": "Look it up.", "signature": "sig"}}}
A_THINKING = {"type": "thinking", "thinking": "Look it up.", "signature": "sig"}

REFUSED = [
    Case(
        "window",
        SONNET,
        {"messages": [_ask(_text(210_000))]},
        _body([{"role": "user", "content": _text(210_000)}]),
        "Input is too long for requested model.",
    ),
    Case(
        "window-1m",
        SONNET,
        {
            "messages": [_ask(_text(1_010_000))],
            "additionalModelRequestFields": {"anthropic_beta": ["context-1m-2025-08-07"]},
        },
        _body(
            [{"role": "user", "content": _text(1_010_000)}],
            anthropic_beta=["context-1m-2025-08-07"],
        ),
        "Input is too long for requested model.",
    ),
    Case(
        "beta-model",
        HAIKU,
        {
            "messages": [_ask()],
            "additionalModelRequestFields": {"anthropic_beta": ["context-1m-2025-08-07"]},
        },
        _body([{"role": "user", "content": "hi"}], anthropic_beta=["context-1m-2025-08-07"]),
        "invalid beta flag",
    ),
    Case(
        "beta-unknown",
        SONNET,
        {"messages": [_ask()], "additionalModelRequestFields": {"anthropic_beta": ["warp-9"]}},
        _body([{"role": "user", "content": "hi"}], anthropic_beta=["warp-9"]),
        "invalid beta flag",
    ),
    Case(
        "temperature-top_p",
        SONNET,
        {"messages": [_ask()], "inferenceConfig": {"temperature": 0.5, "topP": 0.9}},
        _body([{"role": "user", "content": "hi"}], temperature=0.5, top_p=0.9),
        "`temperature` and `top_p` cannot both be specified for this model. Please use only one.",
    ),
    Case(
        "thinking-tool-turn",
        SONNET,
        {
            "messages": [_ask(), {"role": "assistant", "content": [TOOL_USE]}, _user(TOOL_RESULT)],
            "toolConfig": TOOLS,
            "additionalModelRequestFields": THINKING,
        },
        _body(
            [
                {"role": "user", "content": "Look up the order."},
                {"role": "assistant", "content": [A_TOOL_USE]},
                {"role": "user", "content": [A_TOOL_RESULT]},
            ],
            tools=ANTHROPIC_TOOLS,
            **THINKING,
        ),
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
        "`tool_use`. When `thinking` is enabled, a final `assistant` message must start",
    ),
    Case(
        "thinking-prefill",
        SONNET,
        {
            "messages": [_ask(), {"role": "assistant", "content": [{"text": "The order"}]}],
            "additionalModelRequestFields": THINKING,
        },
        _body(
            [
                {"role": "user", "content": "Look up the order."},
                {"role": "assistant", "content": "The order"},
            ],
            **THINKING,
        ),
        "Expected `thinking` or `redacted_thinking`, but found `text`",
    ),
    Case(
        "thinking-top_k",
        SONNET,
        {"messages": [_ask()], "additionalModelRequestFields": {**THINKING, "top_k": 40}},
        _body([{"role": "user", "content": "hi"}], top_k=40, **THINKING),
        "`top_k` must be unset when thinking is enabled",
    ),
    Case(
        "thinking-top_p",
        SONNET,
        {
            "messages": [_ask()],
            "inferenceConfig": {"topP": 0.5, "maxTokens": 2048},
            "additionalModelRequestFields": THINKING,
        },
        _body([{"role": "user", "content": "hi"}], top_p=0.5, **THINKING),
        "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled",
    ),
    Case(
        "tool-no-result",
        SONNET,
        {
            "messages": [
                _ask(),
                {"role": "assistant", "content": [TOOL_USE]},
                _ask("Never mind, what time is it?"),
            ],
            "toolConfig": TOOLS,
        },
        _body(
            [
                {"role": "user", "content": "Look up the order."},
                {"role": "assistant", "content": [A_TOOL_USE]},
                {"role": "user", "content": "Never mind, what time is it?"},
            ],
            tools=ANTHROPIC_TOOLS,
        ),
        "`tool_use` ids were found without `tool_result` blocks immediately after: tooluse_1. "
        "Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
    ),
    Case(
        "thinking-signature",
        SONNET,
        {
            "messages": [
                _ask(),
                {
                    "role": "assistant",
                    "content": [
                        {"reasoningContent": {"reasoningText": {"text": "Look it up."}}},
                        {"text": "Order 7 shipped."},
                    ],
                },
                _ask("And order 8?"),
            ],
        },
        _body(
            [
                {"role": "user", "content": "Look up the order."},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "Look it up."},
                        {"type": "text", "text": "Order 7 shipped."},
                    ],
                },
                {"role": "user", "content": "And order 8?"},
            ]
        ),
        "messages.1.content.0.thinking.signature: Field required",
    ),
    Case(
        "tool-status",
        SONNET,
        {
            "messages": [
                _ask(),
                {"role": "assistant", "content": [TOOL_USE]},
                _user({"toolResult": {**TOOL_RESULT["toolResult"], "status": "failed"}}),
            ],
            "toolConfig": TOOLS,
        },
        None,
        "Member must satisfy enum value set: [success, error]",
    ),
    Case(
        "prefill-whitespace",
        SONNET,
        {"messages": [_ask(), {"role": "assistant", "content": [{"text": "The order is "}]}]},
        _body(
            [
                {"role": "user", "content": "Look up the order."},
                {"role": "assistant", "content": "The order is "},
            ]
        ),
        "final assistant content cannot end with trailing whitespace",
    ),
    Case(
        "video",
        SONNET,
        {"messages": [_user({"video": {"format": "mp4", "source": {"bytes": b"\x00" * 8}}})]},
        None,
        "This model doesn't support the video content block that you provided.",
    ),
    Case(
        "audio",
        SONNET,
        {"messages": [_user({"audio": {"format": "mp3", "source": {"bytes": b"\x00" * 8}}})]},
        None,
        "This model doesn't support the audio content block that you provided.",
    ),
    Case(
        "image-s3",
        SONNET,
        {
            "messages": [
                _user(
                    {
                        "image": {
                            "format": "png",
                            "source": {"s3Location": {"uri": "s3://bucket/k.png"}},
                        }
                    },
                    {"text": "Describe it."},
                )
            ]
        },
        None,
        "This model doesn't support the S3 location image source",
    ),
    Case(
        "image-bytes",
        SONNET,
        {
            "messages": [
                _user(
                    {"image": {"format": "png", "source": {"bytes": b"not an image at all"}}},
                    {"text": "Describe it."},
                )
            ]
        },
        _body(
            [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "image",
                            "source": {
                                "type": "base64",
                                "media_type": "image/png",
                                "data": base64.b64encode(b"not an image at all").decode(),
                            },
                        },
                        {"type": "text", "text": "Describe it."},
                    ],
                }
            ]
        ),
        "Could not process image",
    ),
    Case(
        "extra-field",
        SONNET,
        {"messages": [_ask()], "additionalModelRequestFields": {"frequency_penalty": 0.5}},
        _body([{"role": "user", "content": "hi"}], frequency_penalty=0.5),
        "Malformed input request: #: extraneous key [frequency_penalty] is not permitted",
    ),
    Case(
        "tool-use-id",
        SONNET,
        {
            "messages": [
                _ask(),
                {"role": "assistant", "content": [_use("call 1|a")]},
                _user(_result("call 1|a")),
            ],
            "toolConfig": TOOLS,
        },
        None,
        "at 'messages.2.member.content.1.member.toolUse.toolUseId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.:-]+",
    ),
    Case(
        "tool-use-id-length",
        SONNET,
        {
            "messages": [
                _ask(),
                {"role": "assistant", "content": [_use("t" * 65)]},
                _user(_result("t" * 65)),
            ],
            "toolConfig": TOOLS,
        },
        None,
        "Member must have length less than or equal to 64",
    ),
    Case(
        "tool-schema-type",
        SONNET,
        {
            "messages": [_ask()],
            "toolConfig": {
                "tools": [
                    {"toolSpec": {"name": "lookup", "inputSchema": {"json": {"type": "string"}}}}
                ]
            },
        },
        _body(
            [{"role": "user", "content": "hi"}],
            tools=[{"name": "lookup", "input_schema": {"type": "string"}}],
        ),
        "tools.0.custom.input_schema.type: Input should be 'object'",
    ),
    Case(
        "stop-sequences",
        SONNET,
        {"messages": [_ask()], "inferenceConfig": {"stopSequences": ["x"] * 2501}},
        None,
        "Member must have length less than or equal to 2500",
    ),
    Case(
        "media-role",
        SONNET,
        {
            "messages": [
                _ask(),
                {"role": "assistant", "content": [{"image": IMAGE}]},
                _ask("And this?"),
            ]
        },
        None,
        "You can only include images and documents if the role is user.",
    ),
    Case(
        "document-text",
        SONNET,
        {"messages": [_user(_document("report"))]},
        None,
        "A text block must be included when using documents. Add a text block and retry your "
        "request.",
    ),
    Case(
        # 21 images over the request (two turns and a tool result), not in one message.
        "images-count",
        SONNET,
        {
            "messages": [
                _user(*[{"image": IMAGE}] * 10, {"text": "Compare them."}),
                {"role": "assistant", "content": [TOOL_USE]},
                _user(
                    {"toolResult": {"toolUseId": "tooluse_1", "content": [{"image": IMAGE}]}},
                    *[{"image": IMAGE}] * 10,
                ),
            ],
            "toolConfig": TOOLS,
        },
        None,
        "messages: too many images: image_count > 20",
    ),
    Case(
        "image-size",
        SONNET,
        {"messages": [_user({"text": "Describe it."}, {"image": _png(1, 1, 3_932_161)})]},
        None,
        "messages.0.content.1.image.source.bytes: image exceeds 5 MB maximum: 5242884 bytes > "
        "5242880 bytes",
    ),
    Case(
        "image-pixels",
        SONNET,
        {"messages": [_user({"text": "Describe it."}, {"image": _png(8001, 2)})]},
        None,
        "messages.0.content.1.image.source.bytes: At least one of the image dimensions exceed "
        "max allowed size: 8000 pixels",
    ),
    Case(
        "documents-count",
        SONNET,
        {"messages": [_user(*[_document(f"report {k}") for k in range(6)], {"text": "Sum up."})]},
        None,
        "You can include up to 5 documents.",
    ),
    Case(
        "document-size",
        SONNET,
        {"messages": [_user(_document("report", b"a" * 4_718_593), {"text": "Sum up."})]},
        None,
        "Each document's size must be no more than 4.5 MB.",
    ),
    Case(
        "cache-ttl-order",
        SONNET,
        {
            "system": [{"text": _text(5000)}, {"cachePoint": {"type": "default"}}],
            "messages": [
                _user(
                    {"text": _text(5000)},
                    {"cachePoint": {"type": "default", "ttl": "1h"}},
                    {"text": "Sum up."},
                )
            ],
        },
        _body(
            [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "text",
                            "text": _text(5000),
                            "cache_control": {"type": "ephemeral", "ttl": "1h"},
                        },
                        {"type": "text", "text": "Sum up."},
                    ],
                }
            ],
            system=[{"type": "text", "text": _text(5000), "cache_control": {"type": "ephemeral"}}],
        ),
        "messages.0.content.0.cache_control.ttl: a ttl='1h' cache_control block must not come "
        "after a ttl='5m' cache_control block.",
    ),
    Case(
        "tool-use-input",
        SONNET,
        {
            "messages": [
                _ask(),
                {
                    "role": "assistant",
                    "content": [
                        {"toolUse": {"toolUseId": "tooluse_1", "name": "lookup", "input": "A-17"}}
                    ],
                },
                _user(TOOL_RESULT),
            ],
            "toolConfig": TOOLS,
        },
        _body(
            [
                {"role": "user", "content": "Look up the order."},
                {"role": "assistant", "content": [{**A_TOOL_USE, "input": "A-17"}]},
                {"role": "user", "content": [A_TOOL_RESULT]},
            ],
            tools=ANTHROPIC_TOOLS,
        ),
        "tool_use.input: Input should be a valid dictionary",
    ),
    Case(
        "adaptive-old-model",
        SONNET,
        {"messages": [_ask()], "additionalModelRequestFields": {"thinking": {"type": "adaptive"}}},
        _body([{"role": "user", "content": "hi"}], thinking={"type": "adaptive"}),
        "thinking.type: Input should be 'enabled' or 'disabled'",
    ),
]

ACCEPTED = [
    Case(
        "cache-ttl-1h-then-5m",
        SONNET,
        {
            "system": [{"text": _text(5000)}, {"cachePoint": {"type": "default", "ttl": "1h"}}],
            "messages": [_user({"text": _text(5000)}, {"cachePoint": {"type": "default"}})],
        },
        None,
    ),
    Case(
        "media-at-the-limits",
        SONNET,
        {
            "messages": [
                _user(
                    *[{"image": IMAGE}] * 20,
                    *[_document(f"report {k}") for k in range(5)],
                    {"text": "Sum up."},
                ),
                {"role": "assistant", "content": [_use("tooluse.a:b-1_" + "x" * 50)]},
                _user(_result("tooluse.a:b-1_" + "x" * 50)),
            ],
            "toolConfig": TOOLS,
            "inferenceConfig": {"stopSequences": ["x"] * 2500},
        },
        None,
    ),
    Case(
        "adaptive-sonnet-46",
        SONNET_46,
        {"messages": [_ask()], "additionalModelRequestFields": {"thinking": {"type": "adaptive"}}},
        _body([{"role": "user", "content": "hi"}], thinking={"type": "adaptive"}),
    ),
    Case(
        "adaptive-opus-46",
        OPUS_46,
        {"messages": [_ask()], "additionalModelRequestFields": {"thinking": {"type": "adaptive"}}},
        _body([{"role": "user", "content": "hi"}], thinking={"type": "adaptive"}),
    ),
    Case(
        "long-with-beta",
        SONNET,
        {
            "messages": [_ask(_text(300_000))],
            "additionalModelRequestFields": {"anthropic_beta": ["context-1m-2025-08-07"]},
        },
        _body(
            [{"role": "user", "content": _text(300_000)}],
            anthropic_beta=["context-1m-2025-08-07"],
        ),
    ),
    Case(
        "long-on-46",
        SONNET_46,
        {"messages": [_ask(_text(300_000))]},
        _body([{"role": "user", "content": _text(300_000)}]),
    ),
    Case(
        "thinking-tool-loop",
        OPUS,
        {
            "messages": [
                _ask(),
                {"role": "assistant", "content": [REASONING, TOOL_USE]},
                _user(TOOL_RESULT),
            ],
            "toolConfig": TOOLS,
            "additionalModelRequestFields": THINKING,
        },
        _body(
            [
                {"role": "user", "content": "Look up the order."},
                {"role": "assistant", "content": [A_THINKING, A_TOOL_USE]},
                {"role": "user", "content": [A_TOOL_RESULT]},
            ],
            tools=ANTHROPIC_TOOLS,
            **THINKING,
        ),
    ),
    Case(
        "both-on-37",
        SONNET_37,
        {"messages": [_ask()], "inferenceConfig": {"temperature": 0.5, "topP": 0.9}},
        _body([{"role": "user", "content": "hi"}], temperature=0.5, top_p=0.9),
    ),
    Case(
        # At the limits: 20 images (one in a tool result), 3,932,160 bytes (5 MB of base64),
        # 8000 pixels a side.
        "images-at-limits",
        SONNET,
        {
            "messages": [
                _user({"text": "Compare."}, {"image": _png(8000, 8000, 3_932_160)}),
                {"role": "assistant", "content": [TOOL_USE]},
                _user(
                    {"toolResult": {"toolUseId": "tooluse_1", "content": [{"image": IMAGE}]}},
                    *[{"image": IMAGE}] * 18,
                ),
            ],
            "toolConfig": TOOLS,
        },
        None,
    ),
    Case(
        "real-image",
        HAIKU,
        {
            "messages": [
                _user({"image": {"format": "png", "source": {"bytes": PNG}}}, {"text": "Describe."})
            ]
        },
        None,
    ),
]


def _doc_ids() -> set[str]:
    return set(re.findall(r"^\| `([a-z0-9_-]+)` \|", DOC.read_text("utf-8"), re.MULTILINE))


def test_the_table_and_the_suite_list_the_same_rules() -> None:
    assert _doc_ids() == {c.id for c in REFUSED}


WRAPPER = "The model returned the following errors: "
# The rows whose message is Claude's own ("model error" in the table): Converse wraps it,
# InvokeModel passes it on as Claude wrote it.
CLAUDE_SAYS = set(
    re.findall(r"^\| `([a-z0-9_-]+)` \| [^|]* \| model error ", DOC.read_text("utf-8"), re.M)
)


def test_claudes_own_messages_are_marked_in_the_table() -> None:
    assert {"beta-unknown", "thinking-top_k", "tool-no-result"} <= CLAUDE_SAYS
    assert not {"window", "video", "tool-status"} & CLAUDE_SAYS


def _check_wrapper(case: Case, door: str, message: str) -> None:
    if case.id in CLAUDE_SAYS and door.startswith("converse"):
        assert message.startswith(WRAPPER), message
    else:
        assert not message.startswith(WRAPPER), message


def _converse(runtime: Any, case: Case) -> Any:
    return runtime.converse(modelId=case.model, **case.converse)


def _stream(runtime: Any, case: Case) -> Any:
    return list(runtime.converse_stream(modelId=case.model, **case.converse)["stream"])


def _invoke(runtime: Any, case: Case) -> Any:
    return runtime.invoke_model(modelId=case.model, body=json.dumps(case.invoke))


DOORS = {"converse": _converse, "converse-stream": _stream, "invoke": _invoke}


@pytest.mark.parametrize("door", [*DOORS, "batch"])
@pytest.mark.parametrize("case", REFUSED, ids=[c.id for c in REFUSED])
def test_refused(case: Case, door: str, runtime: Any, emu: Emulator) -> None:
    if door in ("invoke", "batch") and case.invoke is None:
        pytest.skip("an Anthropic Messages body cannot express this request")
    if door == "batch":
        out = emu.batch_record(case.model, case.invoke)
        assert out["error"]["errorCode"] == 400
        assert case.message in out["error"]["errorMessage"]
        _check_wrapper(case, door, out["error"]["errorMessage"])
        return
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        DOORS[door](runtime, case)
    assert case.message in info.value.response["Error"]["Message"]
    _check_wrapper(case, door, info.value.response["Error"]["Message"])
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("door", [*DOORS, "batch"])
@pytest.mark.parametrize("case", ACCEPTED, ids=[c.id for c in ACCEPTED])
def test_accepted(case: Case, door: str, runtime: Any, emu: Emulator) -> None:
    if door in ("invoke", "batch") and case.invoke is None:
        pytest.skip("an Anthropic Messages body cannot express this request")
    if door == "batch":
        out = emu.batch_record(case.model, case.invoke)
        assert "modelOutput" in out, out
        return
    assert DOORS[door](runtime, case)

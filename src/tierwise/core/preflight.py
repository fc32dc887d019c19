"""Checks of a Converse request that Bedrock would refuse, made before any call (pure).

A request Bedrock refuses still costs a round trip and leaves an error row in the ledger; these
are refused first with a :class:`~tierwise.errors.BedrockWouldRefuseError` that names the field
(``param``) and says what to do. The rules are Bedrock's (botocore's service model for
Converse: ``ToolName`` is 1-64 characters of ``[a-zA-Z0-9_-]``; ``ToolUseId`` 1-64 of
``[a-zA-Z0-9_.:-]``; a tool's input schema has the top-level type ``object``;
``toolChoice.tool.name`` must name a tool in ``toolConfig.tools``; toolUse/toolResult blocks
need a ``toolConfig``; an image block's bytes must be an image of its ``format``). The doors
call the same helpers with their own field names (:func:`require_tool_name`, :func:`image_block`).
"""

from __future__ import annotations

import base64
import binascii
import numbers
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tierwise.core.mappings import is_mapping
from tierwise.core.tokens import binary_document_tokens
from tierwise.errors import BedrockWouldRefuseError, ContextWindowError, InvalidRequestError

__all__ = [
    "BEDROCK_BETAS",
    "IMAGE_LIMITS_HINT",
    "LONG_CONTEXT_BETA",
    "MAX_IMAGE_BASE64",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_SIDE",
    "REFUSAL_MARGIN",
    "TOOL_NAME_RULE",
    "CheckedImage",
    "base64_size",
    "check_fits",
    "check_request",
    "image_block",
    "image_dimensions",
    "image_limit_problem",
    "image_problem",
    "require_object_schema",
    "require_tool_name",
    "schema_problem",
    "sniff_image",
    "tool_name_problem",
]

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
TOOL_USE_ID = re.compile(r"^[a-zA-Z0-9_.:-]{1,64}$")
TOOL_USE_ID_RULE = (
    "1 to 64 characters, letters, digits, '_', '.', ':' and '-' only (Bedrock's ToolUseId)"
)
TOOL_NAME_RULE = "1 to 64 characters, letters, digits, '_' and '-' only (Bedrock's ToolName)"
# Magic numbers of the image formats Converse takes (webp: RIFF....WEBP).
_IMAGE_MAGIC: dict[str, tuple[bytes, ...]] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),
}


def sniff_image(data: bytes) -> str | None:
    """The Converse image format ``data`` is (png, jpeg, gif, webp), or None."""
    for fmt, magics in _IMAGE_MAGIC.items():
        if any(data.startswith(m) for m in magics):
            if fmt == "webp" and data[8:12] != b"WEBP":
                continue
            return fmt
    return None


# Bedrock's per-image limits in Converse (botocore's Message.content: "Each image's size,
# height, and width must be no more than 3.75 MB, 8000 px, and 8000 px"). The size is
# enforced on the base64 text, 5 MiB of it ("image exceeds 5 MB maximum: 5579040 bytes >
# 5242880 bytes" for 4,184,278 raw bytes): 3,932,160 raw bytes.
MAX_IMAGE_BASE64 = 5_242_880
MAX_IMAGE_BYTES = MAX_IMAGE_BASE64 // 4 * 3
MAX_IMAGE_SIDE = 8000
# Converse's count limit (botocore's Message.content: "up to 20 images"), which Bedrock
# counts over the whole request, tool results included.
MAX_IMAGES = 20
IMAGE_LIMITS_HINT = (
    "downscale or recompress the image: Bedrock takes at most 3,932,160 bytes (5 MB of "
    f"base64) and {MAX_IMAGE_SIDE} pixels a side per image"
)


def base64_size(raw_bytes: int) -> int:
    """The length of ``raw_bytes`` bytes as padded base64."""
    return 4 * ((raw_bytes + 2) // 3)


def image_dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG, GIF, WebP or JPEG header, or None when it cannot be read
    (Bedrock's own decoding then judges the image)."""
    # The magic numbers are read here, not by sniff_image: a door's checked image is sniffed
    # once (the doors' test counts it).
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _webp_dimensions(data)
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg_dimensions(data)
    return None


def _webp_dimensions(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        return width, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width = int.from_bytes(data[26:28], "little") & 0x3FFF
        return width, int.from_bytes(data[28:30], "little") & 0x3FFF
    return None


# JPEG start-of-frame markers (SOF0-SOF15 but DHT C4, JPG C8 and DAC CC): they carry the size.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            at += 2
            continue
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if marker in _JPEG_SOF:
            if at + 9 > len(data):
                return None
            height = int.from_bytes(data[at + 5 : at + 7], "big")
            return int.from_bytes(data[at + 7 : at + 9], "big"), height
        if marker == 0xDA or length < 2:  # scan data before any frame header: give up
            return None
        at += 2 + length
    return None


def image_limit_problem(data: bytes) -> str | None:
    """Why Bedrock would refuse an image this large (bytes or pixels), or None."""
    if len(data) > MAX_IMAGE_BYTES:
        return (
            f"the image is {len(data):,} bytes ({base64_size(len(data)):,} as base64); "
            f"Bedrock refuses an image over {MAX_IMAGE_BYTES:,} bytes (5 MB of base64)"
        )
    size = image_dimensions(data)
    if size is not None and max(size) > MAX_IMAGE_SIDE:
        return (
            f"the image is {size[0]}x{size[1]} pixels; Bedrock refuses an image over "
            f"{MAX_IMAGE_SIDE} pixels on a side"
        )
    return None


def tool_name_problem(name: object) -> str | None:
    """Why Bedrock would refuse ``name`` as a tool name, or None."""
    if not isinstance(name, str):
        return "a tool name must be a string"
    if not TOOL_NAME.match(name):
        return f"tool name {name[:80]!r} is not {TOOL_NAME_RULE}"
    return None


def require_tool_name(name: object, param: str, what: str = "tool") -> None:
    """Refuse a door's tool ``name`` that Bedrock would refuse (``param``: the door's field)."""
    problem = tool_name_problem(name)
    if problem is not None:
        raise InvalidRequestError(
            f"{param}: {problem}",
            hint=f"rename the {what}: Bedrock accepts {TOOL_NAME_RULE}",
            param=param,
        )


class CheckedImage(bytes):
    """Image bytes that :func:`image_block` found to be an image of their format. They say
    so themselves, so :func:`check_request` does not sniff them again, without a flag that
    the clients' callers would see."""

    __slots__ = ()


def schema_problem(schema: object) -> str | None:
    """Why Bedrock would refuse ``schema`` as a tool's input schema, or None: it must be a
    JSON object, and its top-level type, when given, ``object`` (botocore's
    ToolInputSchema: "The top level schema type must be object")."""
    if not is_mapping(schema):
        return "an input schema must be a JSON Schema object"
    if "type" in schema and schema["type"] != "object":
        return (
            f"the input schema's top-level type is {schema['type']!r}; Bedrock takes only 'object'"
        )
    return None


_SCHEMA_HINT = (
    "make the schema an object with the value as one of its properties, e.g. "
    '{"type": "object", "properties": {"value": {"type": "string"}}}'
)


def require_object_schema(schema: object, param: str) -> None:
    """Refuse a door's tool input schema (``param``: the door's field) Bedrock would refuse."""
    problem = schema_problem(schema)
    if problem is not None:
        raise InvalidRequestError(f"{param}: {problem}", hint=_SCHEMA_HINT, param=param)


def image_block(data: bytes, fmt: str | None, field: str, param: str, hint: str) -> dict[str, Any]:
    """The Converse image block for a door's decoded image, refused (naming ``field``) when
    the bytes are not an image of ``fmt``."""
    problem = image_problem(data, fmt)
    if problem is not None:
        raise InvalidRequestError(f"{field}: {problem}", hint=hint, param=param)
    problem = image_limit_problem(data)
    if problem is not None:
        raise InvalidRequestError(f"{field}: {problem}", hint=IMAGE_LIMITS_HINT, param=param)
    return {"image": {"format": fmt, "source": {"bytes": CheckedImage(data)}}}


def image_problem(data: bytes, declared: str | None) -> str | None:
    """Why Bedrock would refuse ``data`` as an image of format ``declared``, or None."""
    found = sniff_image(data)
    if found is None:
        return "the data is not a PNG, JPEG, GIF or WebP image"
    if declared is not None and found != declared:
        return f"the data is a {found.upper()} image, not {declared.upper()} as declared"
    return None


def _bytes_of(source: Any) -> bytes | None:
    raw = source.get("bytes") if is_mapping(source) else None
    if isinstance(raw, bytes | bytearray | memoryview):
        return bytes(raw)
    if isinstance(raw, str):
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            return None  # Bedrock's own shape check reports it
    return None


def _refuse(message: str, param: str, hint: str) -> BedrockWouldRefuseError:
    return BedrockWouldRefuseError(message, hint=hint, param=param)


def _check_tools(tool_config: Any) -> list[str]:
    tools = tool_config.get("tools") if is_mapping(tool_config) else None
    names: list[str] = []
    for i, tool in enumerate(tools if isinstance(tools, list | tuple) else ()):
        spec = tool.get("toolSpec") if is_mapping(tool) else None
        if not is_mapping(spec):
            continue
        problem = tool_name_problem(spec.get("name"))
        if problem is not None:
            raise _refuse(
                problem,
                f"toolConfig.tools[{i}].toolSpec.name",
                "rename the tool: Bedrock accepts " + TOOL_NAME_RULE,
            )
        schema = spec.get("inputSchema")
        body = schema.get("json") if is_mapping(schema) else None
        problem = None if body is None else schema_problem(body)
        if problem is not None:
            raise _refuse(
                f"tool {spec['name']!r}: {problem}",
                f"toolConfig.tools[{i}].toolSpec.inputSchema.json",
                _SCHEMA_HINT,
            )
        names.append(str(spec["name"]))
    choice = tool_config.get("toolChoice") if is_mapping(tool_config) else None
    wanted = choice.get("tool") if is_mapping(choice) else None
    if is_mapping(wanted):
        name = wanted.get("name")
        if name not in names:
            offered = ", ".join(names) or "none"
            raise _refuse(
                f"toolConfig.toolChoice names tool {name!r}, which is not in toolConfig.tools",
                "toolConfig.toolChoice",
                f"name one of the tools offered ({offered}), or add that tool",
            )
    return names


def _check_cache_ttls(request: Mapping[str, Any]) -> None:
    """Claude refuses a 1-hour cache point after a 5-minute one, in its processing order
    (tools, system, messages): "a ttl='1h' cache_control block must not come after a
    ttl='5m' cache_control block"."""
    tools = request.get("toolConfig")
    sections: list[tuple[str, Any]] = [
        ("toolConfig.tools", tools.get("tools") if is_mapping(tools) else None),
        ("system", request.get("system")),
    ]
    messages = request.get("messages")
    for i, message in enumerate(messages if isinstance(messages, list | tuple) else ()):
        if is_mapping(message):
            sections.append((f"messages[{i}].content", message.get("content")))
    five_minutes: str | None = None
    for where, blocks in sections:
        for j, block in enumerate(blocks if isinstance(blocks, list | tuple) else ()):
            point = block.get("cachePoint") if is_mapping(block) else None
            if not is_mapping(point):
                continue
            at = f"{where}[{j}].cachePoint"
            if point.get("ttl") == "1h" and five_minutes is not None:
                raise _refuse(
                    f"{at} has a 1h TTL but comes after {five_minutes}, a 5m one: Claude "
                    "refuses a 1h cache point after a 5m one (order: tools, system, messages)",
                    f"{at}.ttl",
                    "give the earlier points the 1h TTL too, or this one 5m",
                )
            if point.get("ttl", "5m") == "5m" and five_minutes is None:
                five_minutes = at


def _check_turns(messages: Any) -> None:
    """The conversation Bedrock answers: at least one message, the first from the user, none
    without content. The gateway's doors refuse these in their own terms; a Python caller's
    request went to Bedrock and came back as its 400, leaving an error row each time."""
    if messages is not None and not isinstance(messages, list | tuple):
        return  # the shape check names what it is (core.signals)
    if not messages:
        raise _refuse(
            "messages must be a non-empty list: Bedrock answers a conversation that starts "
            "with a user message",
            "messages",
            'send at least one message, e.g. [{"role": "user", "content": [{"text": "..."}]}]',
        )
    first = messages[0]
    role = first.get("role") if is_mapping(first) else None
    if isinstance(role, str) and role != "user":
        raise _refuse(
            f"messages[0] is from the {role[:20]!r} role: Bedrock answers a conversation that "
            "starts with a user message",
            "messages[0].role",
            "start the conversation with the user's message",
        )
    for i, message in enumerate(messages):
        content = message.get("content") if is_mapping(message) else None
        if isinstance(content, list | tuple) and not content:
            raise _refuse(
                f"messages[{i}].content is empty: Bedrock refuses a message with no content blocks",
                f"messages[{i}].content",
                "put at least one content block in the message, or leave the message out",
            )


# Extended thinking's floor, and the beta under which a budget may pass max_tokens (the
# budget then spans the whole turn's thinking between tool calls): Anthropic's
# extended-thinking guide.
MIN_THINKING_BUDGET = 1024
INTERLEAVED_THINKING_BETA = "interleaved-thinking-2025-05-14"


def _check_thinking(request: Mapping[str, Any]) -> None:
    """A fixed thinking budget Claude refuses: below 1,024 tokens, or not below the request's
    ``maxTokens`` (which counts thinking and the answer together) without interleaved
    thinking. Bedrock refused both after a round trip, an error row each."""
    extra = request.get("additionalModelRequestFields")
    thinking = extra.get("thinking") if is_mapping(extra) else None
    if not is_mapping(thinking) or thinking.get("type") != "enabled":
        return
    budget = thinking.get("budget_tokens")
    if not isinstance(budget, int) or isinstance(budget, bool):
        return  # Bedrock's parameter check names what is missing
    param = "additionalModelRequestFields.thinking.budget_tokens"
    if budget < MIN_THINKING_BUDGET:
        raise _refuse(
            f"thinking budget_tokens {budget:,} is below extended thinking's minimum of "
            f"{MIN_THINKING_BUDGET:,} tokens",
            param,
            f"give thinking at least {MIN_THINKING_BUDGET:,} tokens, or leave thinking out",
        )
    cap = (request.get("inferenceConfig") or {}).get("maxTokens")
    if (
        isinstance(cap, int)
        and not isinstance(cap, bool)
        and budget >= cap
        and INTERLEAVED_THINKING_BETA not in _betas(request)
    ):
        raise _refuse(
            f"thinking budget_tokens {budget:,} is not below the request's maximum output "
            f"tokens {cap:,}, which count thinking and the answer together",
            param,
            f"raise the maximum output tokens (maxTokens; max_tokens in the Messages API) "
            f"above {budget:,} with room for the answer, or lower budget_tokens",
        )


# Converse's InferenceConfiguration ranges (bedrock-runtime's service model: temperature and
# topP 0-1). botocore checks no maximum on the client, so 2 went to Bedrock and came back as
# its ValidationException, an error row each time.
_UNIT_RANGE = ("temperature", "topP")


def _number(value: object) -> float | None:
    """``value`` as a float when it is a number botocore takes for a float (Decimal too);
    None otherwise (bool is no number here: botocore's parameter check names the others)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        return None
    return float(value)


# Claude refuses a temperature other than 1 with thinking on, enabled or adaptive:
# "`temperature` may only be set to 1 when thinking is enabled" (Anthropic's extended-thinking
# guide, as the emulator words it: emulator/validation.py).
_THINKING_GUIDE = (
    "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
    "#important-considerations-when-using-extended-thinking"
)


def _check_sampling(request: Mapping[str, Any]) -> None:
    inference = request.get("inferenceConfig")
    if not is_mapping(inference):
        return
    for name in _UNIT_RANGE:
        value = inference.get(name)
        number = _number(value)
        if number is not None and not 0 <= number <= 1:
            raise _refuse(
                f"inferenceConfig.{name} {value!r} is outside 0 to 1, the range Bedrock's "
                "Converse takes",
                f"inferenceConfig.{name}",
                f"send a {name} from 0 to 1 (OpenAI's temperature goes to 2; Claude's does "
                "not), or leave it out for the model's default",
            )
    extra = request.get("additionalModelRequestFields")
    thinking = extra.get("thinking") if is_mapping(extra) else None
    temperature = _number(inference.get("temperature"))
    if (
        is_mapping(thinking)
        and thinking.get("type") in ("enabled", "adaptive")
        and temperature is not None
        and temperature != 1
    ):
        raise _refuse(
            f"inferenceConfig.temperature {inference.get('temperature')!r} is not 1: Claude "
            "takes no other temperature with thinking on",
            "inferenceConfig.temperature",
            f"leave temperature out (or send 1) with thinking, or leave thinking out; see "
            f"{_THINKING_GUIDE}",
        )


def check_request(request: Mapping[str, Any], *, prompt: bool = False) -> None:
    """Refuse what Bedrock would refuse in ``request`` (Converse shape), before any call.
    ``prompt``: the model ID is a Prompt management prompt, whose own messages come first
    (the request's may be absent or continue them).

    Image bytes that a door has already checked (:func:`image_block`, naming the door's own
    field) are :class:`CheckedImage` and not sniffed again: one check per image."""
    extra = request.get("additionalModelRequestFields")
    if extra is not None and not is_mapping(extra):
        # botocore takes any JSON value here (a document); Bedrock takes an object only.
        raise _refuse(
            "additionalModelRequestFields must be a JSON object (the model's own request "
            "fields by name)",
            "additionalModelRequestFields",
            'e.g. additionalModelRequestFields={"top_k": 50}, or leave it out',
        )
    tool_config = request.get("toolConfig")
    if tool_config is not None:
        _check_tools(tool_config)
    _check_cache_ttls(request)
    _check_thinking(request)
    _check_sampling(request)
    messages = request.get("messages")
    if not prompt:
        _check_turns(messages)
    images = 0
    for i, message in enumerate(messages if isinstance(messages, list | tuple) else ()):
        content = message.get("content") if is_mapping(message) else None
        for j, block in enumerate(content if isinstance(content, list | tuple) else ()):
            if not is_mapping(block):
                continue
            where = f"messages[{i}].content[{j}]"
            text = block.get("text")
            if isinstance(text, str) and not text.strip():
                # Bedrock refuses it after a round trip and an error row; the CLI already
                # refuses an empty prompt before any call.
                raise _refuse(
                    f"{where}.text is blank: Bedrock refuses a text block with no text",
                    f"{where}.text",
                    "send text in the message (an empty message part can be left out)",
                )
            reasoning = block.get("reasoningContent")
            thought = reasoning.get("reasoningText") if is_mapping(reasoning) else None
            if is_mapping(thought) and not thought.get("signature"):
                # Claude refuses it ("messages.N.content.M.thinking.signature: Field
                # required") after a round trip and an error row: clients that keep the
                # thinking text often drop its signature.
                raise _refuse(
                    f"{where} is a thinking block without its signature: Claude refuses "
                    "thinking sent back unsigned",
                    f"{where}.reasoningContent.reasoningText.signature",
                    "send each thinking block back exactly as the answer gave it, signature "
                    "included (Messages API: the thinking block's signature; Chat Completions: "
                    "the message's thinking_blocks; Responses: the reasoning item with its "
                    "encrypted_content; Converse: reasoningText.signature), or leave the "
                    "thinking blocks out of the history",
                )
            if ("toolUse" in block or "toolResult" in block) and not tool_config:
                kind = "toolUse" if "toolUse" in block else "toolResult"
                # Said to Converse callers (the Python clients, batch's converse records): the
                # OpenAI doors declare the history's tools, the Anthropic door and batch's
                # anthropic records refuse it in the Messages API's terms first.
                raise _refuse(
                    f"{where} is a {kind} block (a tool call or result in the history) but the "
                    "request has no toolConfig: Bedrock refuses tool calls and results without "
                    "the definitions of their tools",
                    "toolConfig",
                    "send toolConfig with the tools the conversation called (they stay defined "
                    "while their calls are in the history); for an answer in text, keep them "
                    "and ask for one in system (Converse's toolChoice has no 'none'), or give "
                    "the history's tool calls and results as text blocks",
                )
            for kind in ("toolUse", "toolResult"):
                part = block.get(kind)
                ident = part.get("toolUseId") if is_mapping(part) else None
                if isinstance(ident, str) and not TOOL_USE_ID.match(ident):
                    raise _refuse(
                        f"{where}.{kind}: tool call id {ident[:80]!r} is not {TOOL_USE_ID_RULE}",
                        f"{where}.{kind}.toolUseId",
                        "give the tool call and its result the same id that Bedrock accepts "
                        "(the ids only pair a result with its call)",
                    )
            use = block.get("toolUse")
            if is_mapping(use) and not isinstance(use.get("input"), Mapping):
                raise _refuse(
                    f"{where}.toolUse.input is not a JSON object: Claude takes a tool call's "
                    "input as an object only",
                    f"{where}.toolUse.input",
                    "send the call's arguments as an object, as the model produced them",
                )
            if is_mapping(use):
                problem = tool_name_problem(use.get("name"))
                if problem is not None:
                    raise _refuse(
                        f"{where}.toolUse: {problem}",
                        f"{where}.toolUse.name",
                        "rename the tool in the history and in toolConfig: Bedrock accepts "
                        + TOOL_NAME_RULE,
                    )
            parts = [(where, block)]
            result = block.get("toolResult")
            if is_mapping(result):
                for k, part in enumerate(result.get("content") or ()):
                    if is_mapping(part):
                        parts.append((f"{where}.toolResult.content[{k}]", part))
            for at, part in parts:
                image = part.get("image")
                if not is_mapping(image):
                    continue
                images += 1
                if images > MAX_IMAGES:
                    raise _refuse(
                        f"{at}.image: the request holds more than {MAX_IMAGES} images (tool "
                        "results included), more than Bedrock takes in one request",
                        f"{at}.image",
                        f"send at most {MAX_IMAGES} images: drop earlier ones from the "
                        "history, or split the work over several requests",
                    )
                source = image.get("source")
                if is_mapping(source) and isinstance(source.get("bytes"), CheckedImage):
                    continue
                data = _bytes_of(source)
                if data is None:
                    continue
                fmt = image.get("format")
                problem = image_problem(data, fmt if isinstance(fmt, str) else None)
                if problem is not None:
                    raise _refuse(
                        f"{at}.image: {problem}",
                        f"{at}.image",
                        "send the bytes of a PNG, JPEG, GIF or WebP image with its format",
                    )
                problem = image_limit_problem(data)
                if problem is not None:
                    raise _refuse(f"{at}.image: {problem}", f"{at}.image", IMAGE_LIMITS_HINT)


LONG_CONTEXT_BETA = "context-1m-2025-08-07"
# The anthropic_beta values Bedrock accepts for Claude (AWS's list, as collected in
# BerriAI/litellm#19875); anything else is "invalid beta flag", and the 1M-context one too on
# a model without 1M context.
BEDROCK_BETAS = frozenset(
    {
        "computer-use-2024-10-22",
        "computer-use-2025-01-24",
        "token-efficient-tools-2025-02-19",
        "interleaved-thinking-2025-05-14",
        "output-128k-2025-02-19",
        "dev-full-thinking-2025-05-14",
        LONG_CONTEXT_BETA,
        "context-management-2025-06-27",
        "effort-2025-11-24",
        "tool-search-tool-2025-10-19",
        "tool-examples-2025-10-29",
    }
)

# tierwise's count is an estimate (~4 characters a token). Claude's tokenizer takes 3.5-4.5
# characters a token on prose, and more on repetitive text ("word " * 168,000 is ~168k
# tokens, counted 210k): a prompt within a quarter over the window may still fit, so only
# one beyond that is refused here; Bedrock decides the rest, as it did before this check.
REFUSAL_MARGIN = 1.25


def _betas(request: Mapping[str, Any]) -> list[Any]:
    extra = request.get("additionalModelRequestFields")
    betas = extra.get("anthropic_beta") if is_mapping(extra) else None
    return betas if isinstance(betas, list) else []


def check_fits(
    request: Mapping[str, Any],
    *,
    model: str,
    context_window: int,
    long_context_window: int | None,
    output_limit: int,
    tokens: int,
    margin: float = 1.0,
) -> None:
    """Refuse ``request`` when ``model`` cannot take it: a prompt of ``tokens`` (tierwise's
    count, ~4 characters a token, as the budgets and the router count) over ``margin``
    times its context window (``long_context_window`` with the 1M-context beta asked for,
    where the model takes it), or a ``maxTokens`` above its output limit. Bedrock refuses
    both after a round trip (a 400 and an error row); OpenAI and Anthropic answer a
    ``max_tokens`` above the model's limit with a 400 too, so no door clamps it.

    Documents given as bytes are left out of ``tokens`` (:func:`binary_document_tokens`):
    their count is Bedrock's to make. A caller that refuses on this check passes
    :data:`REFUSAL_MARGIN`; routing, which only prefers a tier that fits, passes 1."""
    cap = (request.get("inferenceConfig") or {}).get("maxTokens")
    if isinstance(cap, int) and not isinstance(cap, bool) and cap > output_limit:
        raise _refuse(
            f"maxTokens {cap:,} is above {model}'s output limit of {output_limit:,} tokens",
            "inferenceConfig.maxTokens",
            f"ask for at most {output_limit:,} output tokens (inferenceConfig.maxTokens in "
            "Converse, --max-tokens in the CLI; max_tokens, max_completion_tokens or "
            "max_output_tokens in the OpenAI and Anthropic APIs)",
        )
    tokens -= binary_document_tokens(request)
    beta = long_context_window is not None and LONG_CONTEXT_BETA in _betas(request)
    window = max(context_window, long_context_window or 0) if beta else context_window
    if tokens > window * margin:
        larger = long_context_window is not None and not beta and tokens <= long_context_window
        raise ContextWindowError(
            f"the prompt is about {tokens:,} tokens, over {model}'s context window of "
            f"{window:,} tokens",
            base_hint="shorten the conversation or its documents, or send it to a model with a "
            "larger window",
            model=model,
            long_context=long_context_window if larger else None,
            beta=LONG_CONTEXT_BETA,
        )

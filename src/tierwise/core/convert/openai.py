"""OpenAI Chat Completions <-> Bedrock Converse.

Decisions: OpenAI allows ``temperature`` up to 2 but Claude takes 0-1, so values above 1 are
refused (silently clamping would change behaviour). Remote ``image_url`` URLs are refused
unless the gateway allows them: fetching arbitrary URLs from a gateway is an SSRF risk.
``max_tokens`` defaults to :data:`DEFAULT_MAX_TOKENS`. ``reasoning_effort`` maps to an
extended-thinking budget (:data:`REASONING_BUDGETS`). Without ``max_completion_tokens`` /
``max_tokens`` the budget comes on top of the default answer length. With one, the cap holds
for reasoning and answer together, as OpenAI defines it: it becomes ``maxTokens`` and the
budget shrinks to ``cap - MIN_ANSWER_TOKENS``; if that is under Claude's minimum budget of
1024 (a cap below 2048), the request runs without thinking.

``tool_choice: "none"`` drops the tools, which guarantees no tool call, unless the history
holds tool calls or results: Bedrock then requires the tools, and Converse has no "none", so
the tools stay and a system instruction forbids calling them (best effort).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tierwise.core.convert.fields import check_fields, check_keys
from tierwise.core.convert.openai_fields import (
    CHAT_FIELDS,
    FILE_FIELDS,
    FILE_PART_FIELDS,
    FUNCTION_FIELDS,
    IMAGE_PART_FIELDS,
    IMAGE_URL_FIELDS,
    MESSAGE_FIELDS,
    TEXT_PART_FIELDS,
    TOOL_CALL_FIELDS,
    TOOL_CALL_FUNCTION_FIELDS,
    TOOL_FIELDS,
)
from tierwise.core.convert.request import (
    DOCUMENT_FORMATS,
    IMAGE_FORMATS,
    NO_TOOL_CALLS,
    ONE_TOOL_CALL,
    Converted,
    decode_base64,
    finish_turns,
    flag,
    has_tool_blocks,
    history_tools,
    invalid,
    is_int,
    is_number,
    model_of,
    name_documents,
    reasoning_block,
    redacted_data,
    require,
    thinking_block,
)
from tierwise.core.mappings import is_mapping
from tierwise.core.preflight import (
    image_block,
    require_object_schema,
    require_tool_name,
    sniff_image,
)
from tierwise.core.pricing import Usage
from tierwise.core.rules import MIN_ANSWER_TOKENS, fit_thinking_budget
from tierwise.core.signals import thinking_conflict
from tierwise.errors import InvalidRequestError

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "MIN_ANSWER_TOKENS",
    "REASONING_BUDGETS",
    "OpenAIStreamTranslator",
    "add_thinking",
    "from_chat_completions",
    "function_tool",
    "to_chat_completion",
]

DEFAULT_MAX_TOKENS = 4096
# Every effort openai's ReasoningEffort names: none and minimal think not at all, as on
# OpenAI's models; max stays within every tier's 64k output limit with the default answer.
REASONING_BUDGETS = {"none": 0, "minimal": 0, "low": 1024, "medium": 4096, "high": 16384,
                     "xhigh": 32768, "max": 57344}  # fmt: skip
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}
# MIME types are case-insensitive (RFC 2045), and "image/jpg" is common in client code;
# OpenAI takes both.
_DATA_URL = re.compile(
    r"^data:(?P<mime>image/[a-z]+);base64,(?P<data>.*)$", re.DOTALL | re.IGNORECASE
)
_MIME_ALIASES = {"image/jpg": "jpeg"}


def _text_of(content: Any, param: str) -> str:
    if isinstance(content, str):
        return content
    require(isinstance(content, list), f"{param} must be a string or a list of parts", param)
    texts = []
    for i, part in enumerate(content):
        require(
            is_mapping(part) and part.get("type") == "text",
            f"{param}: only text parts are allowed here",
            param,
        )
        check_keys(part, TEXT_PART_FIELDS, f"{param}[{i}]", "text part field")
        texts.append(str(part.get("text", "")))
    return "".join(texts)


def add_thinking(request: dict[str, Any], effort: object, cap: int | None, param: str) -> None:
    """Give ``request`` the extended-thinking budget of an OpenAI reasoning ``effort`` (the
    door's field ``param``; Chat Completions and Responses both take these efforts). OpenAI's
    output cap includes reasoning: a given ``cap`` is Bedrock's maxTokens and the budget fits
    inside it (0: no thinking); without one, maxTokens is the default answer room plus the
    budget."""
    if not isinstance(effort, str) or effort not in REASONING_BUDGETS:
        raise invalid(f"{param} must be one of {', '.join(REASONING_BUDGETS)}", param)
    if thinking_conflict(request.get("messages") or ()):
        # A tool loop whose last assistant turn came back without its thinking blocks
        # (most apps send back content and tool_calls only): Claude refuses thinking there
        # (400), where OpenAI's models keep reasoning. This turn runs without thinking, as
        # the router's own budgets do (core.thinking.apply_thinking).
        return
    budget = fit_thinking_budget(REASONING_BUDGETS[effort], cap)
    if budget:
        request["additionalModelRequestFields"] = {
            "thinking": {"type": "enabled", "budget_tokens": budget}
        }
        inference = request["inferenceConfig"]
        if cap is None:
            inference["maxTokens"] = DEFAULT_MAX_TOKENS + budget
        inference.pop("temperature", None)
        inference.pop("topP", None)


def _image(part: Mapping[str, Any], param: str, allow_remote: bool) -> dict[str, Any]:
    check_keys(part, IMAGE_PART_FIELDS, param, "image part field")
    image_url = part.get("image_url")
    if is_mapping(image_url):
        check_keys(image_url, IMAGE_URL_FIELDS, f"{param}.image_url", "image_url field")
    url = image_url.get("url") if is_mapping(image_url) else image_url
    if not isinstance(url, str):
        raise invalid(f"{param}.image_url.url must be a string", param)
    match = _DATA_URL.match(url)
    if match is None:
        if url.startswith(("http://", "https://")) and not allow_remote:
            raise invalid(
                "remote image URLs are not fetched by this gateway; send a data: URL (or its "
                "operator can set [gateway] allow_remote_images = true)",
                param,
            )
        raise invalid(f"{param}: only data:image/...;base64 URLs are supported", param)
    mime = match.group("mime").lower()
    declared = IMAGE_FORMATS.get(mime) or _MIME_ALIASES.get(mime)
    require(
        declared is not None,
        f"{param}: image type {match.group('mime')} is not supported (png, jpeg, gif, webp)",
        param,
    )
    raw = decode_base64(match.group("data"), f"{param}.image_url.url")
    # OpenAI reads the bytes, not the label: a JPEG sent as data:image/png is a JPEG, and
    # Bedrock is told so (it refuses bytes that are not of the format named).
    fmt = sniff_image(raw) or declared
    return image_block(
        raw,
        fmt,
        f"{param}.image_url.url",
        f"{param}.image_url",
        "send a data:image/...;base64 URL of a PNG, JPEG, GIF or WebP image",
    )


_FILE_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+);base64,(?P<data>.*)$", re.DOTALL)


def _file(part: Mapping[str, Any], param: str) -> dict[str, Any]:
    """A ``file`` content part (a PDF or other document sent inline) -> a Converse document
    block, as the Messages door's ``document`` blocks become."""
    check_keys(part, FILE_PART_FIELDS, param, "file part field")
    file = part.get("file")
    require(is_mapping(file), f"{param}.file must be an object", f"{param}.file")
    assert is_mapping(file)
    check_keys(file, FILE_FIELDS, f"{param}.file", "file field")
    data = file.get("file_data")
    where = f"{param}.file.file_data"
    match = _FILE_DATA_URL.match(data) if isinstance(data, str) else None
    require(
        match is not None,
        f"{where} must be a data:<media type>;base64,... URL (e.g. data:application/pdf;base64,"
        "JVBERi0...)",
        where,
    )
    assert match is not None
    mime = match.group("mime").lower()
    fmt = DOCUMENT_FORMATS.get(mime)
    require(
        fmt is not None,
        f"{where}: media type {mime} is not a document type Bedrock reads (PDF, plain text, "
        "CSV, HTML, Markdown, Word, Excel); send images as image_url parts",
        where,
    )
    raw = decode_base64(match.group("data"), where)
    # name_documents makes the filename one Bedrock accepts, unique in the request.
    name = str(file.get("filename") or "")
    return {"document": {"format": fmt, "name": name, "source": {"bytes": raw}}}


def _user_content(content: Any, param: str, allow_remote: bool) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}]
    require(isinstance(content, list), f"{param} must be a string or a list of parts", param)
    blocks: list[dict[str, Any]] = []
    for i, part in enumerate(content):
        where = f"{param}[{i}]"
        require(is_mapping(part), f"{where} must be an object", where)
        kind = part.get("type")
        if kind == "text":
            require(isinstance(part.get("text"), str), f"{where}.text must be a string", where)
            check_keys(part, TEXT_PART_FIELDS, where, "text part field")
            blocks.append({"text": part["text"]})
        elif kind == "image_url":
            blocks.append(_image(part, where, allow_remote))
        elif kind == "file":
            blocks.append(_file(part, where))
        else:
            raise invalid(f"{where}: unsupported content part type {kind!r}", where)
    return blocks


def _tool_calls(calls: Any, param: str) -> list[dict[str, Any]]:
    require(isinstance(calls, list), f"{param} must be a list", param)
    out = []
    for i, call in enumerate(calls):
        where = f"{param}[{i}]"
        fn = call.get("function") if is_mapping(call) else None
        if not is_mapping(fn) or not isinstance(fn.get("name"), str):
            raise invalid(f"{where}.function.name is required", where)
        check_keys(call, TOOL_CALL_FIELDS, where, "tool call field", echoed=True)
        check_keys(
            fn, TOOL_CALL_FUNCTION_FIELDS, f"{where}.function", "function field", echoed=True
        )
        raw = fn.get("arguments") or "{}"
        require(
            isinstance(raw, str),
            f"{where}.function.arguments must be a string of JSON",
            f"{where}.function.arguments",
        )
        try:
            arguments = json.loads(raw)
        except ValueError:  # JSONDecodeError, or an integer past Python's digit limit
            raise invalid(
                f"{where}.function.arguments is not valid JSON", f"{where}.function.arguments"
            ) from None
        # Converse (and Claude) take a tool's input only as an object.
        require(
            isinstance(arguments, dict),
            f"{where}.function.arguments must be a JSON object",
            f"{where}.function.arguments",
        )
        out.append(
            {
                "toolUse": {
                    "toolUseId": str(call.get("id") or f"call_{i}"),
                    "name": fn["name"],
                    "input": arguments,
                }
            }
        )
    return out


def _thinking_blocks(raw: Any, param: str) -> list[dict[str, Any]]:
    """An echoed answer's ``thinking_blocks`` (see :func:`to_chat_completion`) as the
    Converse reasoning they came from, first in the turn, as Claude requires."""
    if raw is None:
        return []
    require(isinstance(raw, list), f"{param} must be a list", param)
    out = []
    for i, block in enumerate(raw):
        kind = block.get("type") if is_mapping(block) else None
        require(
            kind in ("thinking", "redacted_thinking"),
            f"{param}[{i}] must be a thinking or redacted_thinking block",
            param,
        )
        assert is_mapping(block)
        out.append(reasoning_block(block))
    return out


def _messages(
    body: Mapping[str, Any], allow_remote: bool, max_images: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise invalid("messages must be a non-empty list", "messages")
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    called: set[str] = set()  # the tool call ids of the assistant messages so far
    for i, message in enumerate(raw):
        where = f"messages[{i}]"
        require(is_mapping(message), f"{where} must be an object", where)
        role = message.get("role")
        content = message.get("content")
        known = MESSAGE_FIELDS.get(role) if isinstance(role, str) else None
        require(
            known is not None,
            f"{where}.role {role!r} is not one of system, developer, user, assistant, tool",
            where,
        )
        echoed = role == "assistant"  # an earlier answer sent back: see check_keys
        check_keys(message, known or {}, where, f"{role} message field", echoed=echoed)
        if role in ("system", "developer"):
            text = _text_of(content, f"{where}.content")
            if text.strip():  # an empty system message says nothing; Converse refuses ""
                system.append({"text": text})
        elif role == "user":
            turns.append(
                {
                    "role": "user",
                    "content": _user_content(content, f"{where}.content", allow_remote),
                }
            )
        elif role == "assistant":
            blocks = _thinking_blocks(message.get("thinking_blocks"), f"{where}.thinking_blocks")
            said = _text_of(content, f"{where}.content") if content is not None else None
            # An earlier answer that said nothing (OpenAI takes "" back; Converse refuses a
            # blank text block): left out, as an empty message is (finish_turns).
            if said is not None and said.strip():
                blocks.append({"text": said})
            if message.get("tool_calls"):
                uses = _tool_calls(message["tool_calls"], f"{where}.tool_calls")
                called.update(u["toolUse"]["toolUseId"] for u in uses)
                blocks.extend(uses)
            require(
                bool(blocks) or said is not None,
                f"{where} has neither content nor tool_calls",
                where,
            )
            if blocks:  # not appended empty, so the user turns around it merge
                turns.append({"role": "assistant", "content": blocks})
        else:  # tool
            require(
                isinstance(message.get("tool_call_id"), str),
                f"{where}.tool_call_id is required",
                where,
            )
            # As OpenAI refuses it, and in the caller's indices: Bedrock's refusal (or the
            # missing-tools one) would name the merged Converse turns instead.
            require(
                message["tool_call_id"] in called,
                f"{where}: a tool message must answer a tool call of an earlier assistant "
                f"message, and tool_call_id {message['tool_call_id']!r} is none of them",
                where,
            )
            text = _text_of(content or "", f"{where}.content")
            result = {
                "toolResult": {"toolUseId": message["tool_call_id"], "content": [{"text": text}]}
            }
            turns.append({"role": "user", "content": [result]})
    # OpenAI answers a conversation of system messages alone; Converse needs a turn, and
    # "every message is empty" (finish_turns) would be wrong about such a request.
    require(
        bool(turns) or not system,
        "messages holds only system or developer messages, and Claude answers a user "
        "message: send the request as a user message (the system message can stay)",
        "messages",
    )
    merged = finish_turns(
        turns, first="the first non-system message", field="messages", max_images=max_images
    )
    name_documents(merged)
    return system, merged


def _strict_tools(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The functions marked ``strict``: their calls' arguments must match their schema."""
    tools = body.get("tools")
    if not isinstance(tools, list):
        return ()
    return tuple(
        t["function"]["name"] for t in tools if t.get("function", {}).get("strict") is True
    )


def function_tool(fn: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The Converse tool of an OpenAI function (chat completions' ``function``, a Responses
    ``tool``) whose name is a string: refused where Bedrock would refuse its name or schema."""
    require_tool_name(fn["name"], f"{where}.name", "function")
    if fn.get("parameters"):
        require_object_schema(fn["parameters"], f"{where}.parameters")
    spec: dict[str, Any] = {
        "name": fn["name"],
        "inputSchema": {"json": fn.get("parameters") or {"type": "object", "properties": {}}},
    }
    if fn.get("description"):
        spec["description"] = fn["description"]
    return {"toolSpec": spec}


def _tools(body: Mapping[str, Any], has_tool_history: bool) -> dict[str, Any] | None:
    tools = body.get("tools")
    choice = body.get("tool_choice") or "auto"  # null means the default, as absent does
    if not tools:
        # As OpenAI does: a tool choice other than "none" needs tools to choose from.
        require(
            choice in ("auto", "none", None),
            "tool_choice is only allowed when tools are specified",
            "tool_choice",
        )
        return None
    require(isinstance(tools, list), "tools must be a list", "tools")
    specs = []
    for i, tool in enumerate(tools):
        fn = tool.get("function") if is_mapping(tool) else None
        if not is_mapping(fn) or tool.get("type") != "function":
            raise invalid(f"tools[{i}] must be a function tool", f"tools[{i}]")
        require(
            isinstance(fn.get("name"), str), f"tools[{i}].function.name is required", f"tools[{i}]"
        )
        check_keys(tool, TOOL_FIELDS, f"tools[{i}]", "tool field")
        check_keys(fn, FUNCTION_FIELDS, f"tools[{i}].function", "function field")
        specs.append(function_tool(fn, f"tools[{i}].function"))
    config: dict[str, Any] = {"tools": specs}
    if choice == "none":
        # Converse has no "none". Without tools no call can happen, but Bedrock refuses
        # toolUse/toolResult history without a toolConfig, so then the tools stay and the
        # caller adds NO_TOOL_CALLS to the system prompt: best effort, not a guarantee.
        return {"tools": specs, "toolChoice": {"auto": {}}} if has_tool_history else None
    if choice == "auto":
        config["toolChoice"] = {"auto": {}}
    elif choice == "required":
        config["toolChoice"] = {"any": {}}
    elif is_mapping(choice) and isinstance(choice.get("function"), Mapping):
        wanted = choice["function"].get("name")
        names = [t["toolSpec"]["name"] for t in specs]
        if wanted not in names:
            raise InvalidRequestError(
                f"tool_choice names function {wanted!r}, which is not in tools",
                hint=f"name one of the functions offered ({', '.join(names)}), or add it",
                param="tool_choice.function.name",
            )
        config["toolChoice"] = {"tool": {"name": wanted}}
    else:
        raise invalid(f"tool_choice {choice!r} is not supported", "tool_choice")
    return config


def from_chat_completions(
    body: Any, *, allow_remote_images: bool = False, max_images: int = 20
) -> Converted:
    """A Chat Completions request body -> Converse request (``InvalidRequestError`` if bad)."""
    require(is_mapping(body), "the request body must be a JSON object")
    model = model_of(body)
    check_fields(body, CHAT_FIELDS, "Chat Completions")
    system, messages = _messages(body, allow_remote_images, max_images)
    inference: dict[str, Any] = {}
    cap_field = "max_completion_tokens"
    max_tokens = body.get(cap_field)
    if max_tokens is None:  # absent or null: the older field, if given
        cap_field = "max_tokens"
        max_tokens = body.get(cap_field)
    if max_tokens is not None:
        require(
            is_int(max_tokens) and max_tokens >= 1,
            f"{cap_field} must be a positive integer",
            cap_field,
        )
    inference["maxTokens"] = max_tokens or DEFAULT_MAX_TOKENS
    temperature = body.get("temperature")
    if temperature is not None:
        require(
            is_number(temperature) and 0 <= temperature <= 1,
            "temperature must be a number between 0 and 1 for Claude",
            "temperature",
        )
        inference["temperature"] = temperature
    top_p = body.get("top_p")
    if top_p is not None:
        require(
            is_number(top_p) and 0 <= top_p <= 1,
            "top_p must be a number between 0 and 1",
            "top_p",
        )
        inference["topP"] = top_p
    stop = body.get("stop")
    if stop is not None:
        stops = [stop] if isinstance(stop, str) else stop
        require(
            isinstance(stops, list) and all(isinstance(s, str) and s for s in stops),
            "stop must be a non-empty string or a list of non-empty strings",
            "stop",
        )
        inference["stopSequences"] = stops
    json_schema: Mapping[str, Any] | None = None
    response_format = body.get("response_format")
    require(
        response_format is None or is_mapping(response_format),
        'response_format must be an object such as {"type": "json_object"}',
        "response_format",
    )
    if is_mapping(response_format):
        kind = response_format.get("type")
        if kind == "json_object":
            # Any JSON object: the prompt says which keys, the output tool makes it JSON.
            system.append({"text": "Respond with a single valid JSON object and nothing else."})
            json_schema = {"type": "object"}
        elif kind == "json_schema":
            spec = response_format.get("json_schema")
            if not is_mapping(spec) or not isinstance(spec.get("schema"), Mapping):
                raise invalid("response_format.json_schema.schema is required", "response_format")
            # The schema reaches the model through the cascade (tierwise.core.structured).
            json_schema = spec["schema"]
        else:
            require(
                kind == "text", f"response_format type {kind!r} is not supported", "response_format"
            )
    tools = _tools(body, has_tool_blocks(messages))
    if tools and body.get("tool_choice") == "none":
        system.append({"text": NO_TOOL_CALLS})
    elif not body.get("tools"):
        tools = history_tools(messages)
        if tools:
            system.append({"text": NO_TOOL_CALLS})
    parallel = body.get("parallel_tool_calls")
    require(parallel is None or isinstance(parallel, bool),
            "parallel_tool_calls must be a boolean", "parallel_tool_calls")  # fmt: skip
    # Converse cannot switch parallel tool use off: the model is asked, and the answer keeps
    # only the first call (to_chat_completion / OpenAIStreamTranslator ``single_tool_call``).
    single_tool_call = bool(tools) and parallel is False
    if single_tool_call:
        system.append({"text": ONE_TOOL_CALL})
    request: dict[str, Any] = {"messages": messages, "inferenceConfig": inference}
    if system:
        request["system"] = system
    if tools:
        request["toolConfig"] = tools
    effort = body.get("reasoning_effort")
    if effort is not None:
        add_thinking(request, effort, max_tokens, "reasoning_effort")
    options = body.get("stream_options")
    if options is not None:
        require(is_mapping(options), "stream_options must be an object", "stream_options")
        require(flag(body, "stream"), "stream_options is only allowed when stream is true",
                "stream_options")  # fmt: skip
        usage = options.get("include_usage")
        require(usage is None or isinstance(usage, bool),
                "stream_options.include_usage must be a boolean", "stream_options")  # fmt: skip
    options = options or {}
    return Converted(
        model=model,
        request=request,
        stream=flag(body, "stream"),
        include_usage=bool(is_mapping(options) and options.get("include_usage")),
        json_schema=json_schema,
        strict_tools=_strict_tools(body) if tools else (),
        extras={"single_tool_call": single_tool_call},
    )


def usage_of(usage: Mapping[str, Any]) -> dict[str, Any]:
    u = Usage.from_converse(usage)
    return {
        "prompt_tokens": u.prompt_total,
        "completion_tokens": u.output,
        "total_tokens": u.total,
        "prompt_tokens_details": {"cached_tokens": u.cache_read},
    }


def to_chat_completion(
    response: Mapping[str, Any],
    *,
    model: str,
    request_id: str,
    created: int,
    single_tool_call: bool = False,
) -> dict[str, Any]:
    """A Converse response -> a ``chat.completion`` object (with ``single_tool_call``, for
    ``parallel_tool_calls: false``, only its first tool call)."""
    blocks = response.get("output", {}).get("message", {}).get("content") or []
    text = "".join(b["text"] for b in blocks if "text" in b)
    reasoning = "".join(
        b["reasoningContent"].get("reasoningText", {}).get("text", "")
        for b in blocks
        if "reasoningContent" in b
    )
    calls = [
        {
            "id": b["toolUse"]["toolUseId"],
            "type": "function",
            "function": {
                "name": b["toolUse"]["name"],
                "arguments": json.dumps(b["toolUse"].get("input", {})),
            },
        }
        for b in blocks
        if "toolUse" in b
    ]
    if single_tool_call:
        calls = calls[:1]
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = calls
    if reasoning:
        message["reasoning_content"] = reasoning
    thoughts = [thinking_block(b["reasoningContent"]) for b in blocks if "reasoningContent" in b]
    if thoughts:
        # With their signatures, as LiteLLM spells them: an app that sends this message back
        # (an agent's tool loop) keeps Claude's thinking, which it requires with tool results.
        message["thinking_blocks"] = thoughts
    return {
        "id": f"chatcmpl-{request_id}",
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": FINISH_REASONS.get(str(response.get("stopReason")), "stop"),
                "logprobs": None,
            }
        ],
        "usage": usage_of(response.get("usage") or {}),
    }


class OpenAIStreamTranslator:
    """Converse stream events -> ``chat.completion.chunk`` dicts."""

    def __init__(
        self,
        *,
        model: str,
        request_id: str,
        created: int,
        include_usage: bool,
        single_tool_call: bool = False,
    ) -> None:
        self.single_tool_call = single_tool_call
        self._dropped: set[int] = set()  # Converse blocks of tool calls past the first
        self.model = model
        self.id = f"chatcmpl-{request_id}"
        self.created = created
        self.include_usage = include_usage
        self._tool_index: dict[int, int] = {}
        self._usage: dict[str, Any] | None = None
        self._finish: str | None = None
        # A thinking block's text and signature so far, by Converse block index: sent whole
        # as ``thinking_blocks`` when the block ends (to_chat_completion's field, so a
        # streamed tool loop can send its thinking back too).
        self._thinking: dict[int, dict[str, Any]] = {}
        self._thoughts = 0

    def _thought(self, block: dict[str, Any]) -> dict[str, Any]:
        """The chunk of one whole thinking block; ``index`` lets the SDKs' accumulators
        keep several in order."""
        self._thoughts += 1
        return self._chunk({"thinking_blocks": [{"index": self._thoughts - 1, **block}]})

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }

    def text_chunk(self, text: str) -> dict[str, Any]:
        """The chunk of a text delta (what :meth:`feed` returns for one, statelessly)."""
        return self._chunk({"content": text})

    def feed(self, event: Mapping[str, Any]) -> list[dict[str, Any]]:
        if "messageStart" in event:
            return [self._chunk({"role": "assistant", "content": ""})]
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            use = start.get("start", {}).get("toolUse")
            if use is None:
                return []
            if self.single_tool_call and self._tool_index:
                self._dropped.add(start["contentBlockIndex"])
                return []
            index = self._tool_index.setdefault(start["contentBlockIndex"], len(self._tool_index))
            call = {
                "index": index,
                "id": use["toolUseId"],
                "type": "function",
                "function": {"name": use["name"], "arguments": ""},
            }
            return [self._chunk({"tool_calls": [call]})]
        if "contentBlockDelta" in event:
            block = event["contentBlockDelta"]
            delta = block.get("delta", {})
            if "text" in delta:
                return [self.text_chunk(delta["text"])]
            if "toolUse" in delta:
                if block["contentBlockIndex"] in self._dropped:
                    return []
                index = self._tool_index.setdefault(
                    block["contentBlockIndex"], len(self._tool_index)
                )
                call = {
                    "index": index,
                    "function": {"arguments": delta["toolUse"].get("input", "")},
                }
                return [self._chunk({"tool_calls": [call]})]
            reasoning = delta.get("reasoningContent")
            if is_mapping(reasoning):
                at = block.get("contentBlockIndex", -1)
                if "redactedContent" in reasoning:
                    data = redacted_data(reasoning["redactedContent"])
                    return [self._thought({"type": "redacted_thinking", "data": data})]
                thought = self._thinking.setdefault(at, {"text": [], "signature": ""})
                if "signature" in reasoning:
                    thought["signature"] = str(reasoning["signature"])
                if "text" in reasoning:
                    thought["text"].append(reasoning["text"])
                    return [self._chunk({"reasoning_content": reasoning["text"]})]
            return []
        if "contentBlockStop" in event:
            stopped = event["contentBlockStop"].get("contentBlockIndex", -1)
            if stopped not in self._thinking:
                return []
            thought = self._thinking.pop(stopped)
            text = "".join(thought["text"])
            block = {"type": "thinking", "thinking": text, "signature": thought["signature"]}
            return [self._thought(block)]
        if "messageStop" in event:
            self._finish = FINISH_REASONS.get(str(event["messageStop"].get("stopReason")), "stop")
            return [self._chunk({}, self._finish)]
        if "metadata" in event:
            self._usage = usage_of(event["metadata"].get("usage") or {})
        return []

    def finish(self) -> list[dict[str, Any]]:
        if not self.include_usage:
            return []
        chunk = self._chunk({})
        chunk["choices"] = []
        chunk["usage"] = self._usage or usage_of({})
        return [chunk]

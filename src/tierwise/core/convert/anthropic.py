"""Anthropic Messages <-> Bedrock Converse.

``cache_control`` on a system block, content block or tool becomes a Converse ``cachePoint``
right after it, keeping its ``ttl``. Thinking blocks round-trip as ``reasoningContent`` with
their signatures, as Claude requires when a thinking conversation continues.

``tool_choice: {"type": "none"}`` drops the tools, which guarantees no tool call, unless the
history holds tool_use or tool_result blocks: Bedrock then requires the tools, and Converse
has no "none", so the tools stay and a system instruction forbids calling them (best effort).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tierwise.core.convert.anthropic_fields import (
    BLOCK_FIELDS,
    COUNT_TOKENS_FIELDS,
    MESSAGE_FIELDS,
    MESSAGES_FIELDS,
    METADATA_FIELDS,
    SERVER_TOOL_PREFIXES,
    TOOL_CHOICE_FIELDS,
    TOOL_FIELDS,
)
from tierwise.core.convert.fields import check_fields, check_keys
from tierwise.core.convert.invoke_body import to_invoke_body
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
from tierwise.core.preflight import (
    BEDROCK_BETAS,
    image_block,
    require_object_schema,
    require_tool_name,
)
from tierwise.core.pricing import Usage
from tierwise.errors import InvalidRequestError

__all__ = [
    "AnthropicStreamTranslator",
    "count_tokens_request",
    "from_messages",
    "refuse_tool_history_without_tools",
    "to_invoke_body",
    "to_message",
    "usage_from_message",
]

STOP_REASONS = {
    "end_turn": "end_turn",
    "stop_sequence": "stop_sequence",
    "max_tokens": "max_tokens",
    # Anthropic's own name for it (Sonnet 4.5 on): the SDK's StopReason holds it.
    "model_context_window_exceeded": "model_context_window_exceeded",
    "tool_use": "tool_use",
    "content_filtered": "refusal",
    "guardrail_intervened": "refusal",
}


def _cache_point(block: Mapping[str, Any]) -> dict[str, Any] | None:
    control = block.get("cache_control")
    if not control:
        return None
    # Anthropic's only kind; another would be a cache point the caller did not ask for.
    require(
        isinstance(control, Mapping) and control.get("type") == "ephemeral",
        'cache_control must be {"type": "ephemeral"} (with an optional ttl of 5m or 1h)',
        "cache_control",
    )
    point: dict[str, Any] = {"type": "default"}
    if isinstance(control, Mapping) and control.get("ttl"):
        require(
            control["ttl"] in ("5m", "1h"), "cache_control.ttl must be 5m or 1h", "cache_control"
        )
        point["ttl"] = control["ttl"]
    return {"cachePoint": point}


def _image(block: Mapping[str, Any], where: str) -> dict[str, Any]:
    source = block.get("source")
    if isinstance(source, Mapping) and source.get("type") == "url":
        # Fetched and made base64 by the gateway first when its operator allows it.
        raise invalid(
            f"{where}.source: images by URL are not fetched by this gateway; send a base64 "
            "source (or its operator can set [gateway] allow_remote_images = true)",
            where,
        )
    if not isinstance(source, Mapping) or source.get("type") != "base64":
        raise invalid(f"{where}.source must be a base64 image source", where)
    fmt = IMAGE_FORMATS.get(str(source.get("media_type")))
    require(fmt is not None, f"{where}.source.media_type is not a supported image type", where)
    raw = decode_base64(source.get("data"), where)
    return image_block(
        raw,
        fmt,
        f"{where}.source.data",
        f"{where}.source.data",
        "send the base64 of a PNG, JPEG, GIF or WebP image with its media_type",
    )


def _document(block: Mapping[str, Any], where: str) -> dict[str, Any]:
    source = block.get("source")
    if not isinstance(source, Mapping):
        raise invalid(f"{where}.source is required", where)
    # The title is free text; name_documents makes it a valid, unique Bedrock name.
    name = str(block.get("title") or "")
    if source.get("type") == "text":
        data = str(source.get("data", "")).encode("utf-8")
        fmt = "txt"
    elif source.get("type") == "content":  # a list of text blocks, sent as one text file
        raw = source.get("content")
        parts: Any = [{"type": "text", "text": raw}] if isinstance(raw, str) else raw
        require(
            isinstance(parts, list)
            and all(isinstance(p, Mapping) and p.get("type") == "text" for p in parts),
            f"{where}.source.content must be text blocks",
            where,
        )
        data = "\n\n".join(str(p.get("text", "")) for p in parts).encode("utf-8")
        fmt = "txt"
    else:
        fmt = DOCUMENT_FORMATS.get(str(source.get("media_type")), "")
        require(fmt, f"{where}.source.media_type is not a supported document type", where)
        data = decode_base64(source.get("data"), where)
    return {"document": {"format": fmt, "name": name, "source": {"bytes": data}}}


def _tool_result(block: Mapping[str, Any], where: str) -> dict[str, Any]:
    content = block.get("content", "")
    blocks: list[dict[str, Any]] = []
    if content is None or isinstance(content, str):
        blocks.append({"text": content or ""})
    elif isinstance(content, list):
        for j, part in enumerate(content):
            kind = part.get("type") if isinstance(part, Mapping) else None
            at = f"{where}.content[{j}]"
            if kind in ("text", "image", "document"):
                check_keys(part, BLOCK_FIELDS[kind], at, f"{kind} block field")
            if kind == "text":
                blocks.append({"text": str(part.get("text", ""))})
            elif kind == "image":
                blocks.append(_image(part, f"{where}.content[{j}]"))
            elif kind == "document":
                blocks.append(_document(part, f"{where}.content[{j}]"))
            else:
                raise invalid(f"{where}.content[{j}] must be text, image or document", where)
    else:
        raise invalid(f"{where}.content must be a string or a list of blocks", where)
    result: dict[str, Any] = {"toolUseId": str(block.get("tool_use_id")), "content": blocks}
    if block.get("is_error"):
        result["status"] = "error"
    return {"toolResult": result}


def _content(content: Any, where: str, *, echoed: bool = False) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}]
    if not isinstance(content, list):
        raise invalid(f"{where} must be a string or a list of blocks", where)
    out: list[dict[str, Any]] = []
    for i, block in enumerate(content):
        at = f"{where}[{i}]"
        if not isinstance(block, Mapping):
            raise invalid(f"{at} must be an object", at)
        kind = block.get("type")
        known = BLOCK_FIELDS.get(kind) if isinstance(kind, str) else None
        if known is not None:
            check_keys(block, known, at, f"{kind} block field", echoed=echoed)
        if kind == "text":
            require(isinstance(block.get("text"), str), f"{at}.text must be a string", at)
            out.append({"text": block["text"]})
        elif kind == "image":
            out.append(_image(block, at))
        elif kind == "document":
            out.append(_document(block, at))
        elif kind == "tool_use":
            require(isinstance(block.get("name"), str), f"{at}.name is required", at)
            out.append(
                {
                    "toolUse": {
                        "toolUseId": str(block.get("id")),
                        "name": block["name"],
                        "input": block.get("input") or {},
                    }
                }
            )
        elif kind == "tool_result":
            out.append(_tool_result(block, at))
        elif kind in ("thinking", "redacted_thinking"):
            out.append(reasoning_block(block))
        else:
            raise invalid(f"{at}: unsupported content block type {kind!r}", at)
        point = _cache_point(block)
        if point:
            out.append(point)
    return out


def _system(system: Any) -> list[dict[str, Any]]:
    if system is None:
        return []
    if isinstance(system, str):
        return [{"text": system}] if system else []
    if not isinstance(system, list):
        raise invalid("system must be a string or a list of text blocks", "system")
    out: list[dict[str, Any]] = []
    for i, block in enumerate(system):
        if not isinstance(block, Mapping) or block.get("type") != "text":
            raise invalid(f"system[{i}] must be a text block", "system")
        check_keys(block, BLOCK_FIELDS["text"], f"system[{i}]", "text block field")
        text = block.get("text")
        # Claude refuses an empty text block ("text content blocks must be non-empty").
        require(
            isinstance(text, str) and text,
            f"system[{i}].text must be a non-empty string",
            f"system[{i}].text",
        )
        out.append({"text": text})
        point = _cache_point(block)
        if point:
            out.append(point)
    return out


def _choice_kind(body: Mapping[str, Any]) -> Any:
    choice = body.get("tool_choice")
    if choice is None:
        return None
    require(
        isinstance(choice, Mapping) and isinstance(choice.get("type"), str),
        'tool_choice must be an object such as {"type": "auto"}',
        "tool_choice",
    )
    check_keys(choice, TOOL_CHOICE_FIELDS, "tool_choice", "tool_choice field")
    return choice["type"]


def _single_tool_call(body: Mapping[str, Any]) -> bool:
    choice = body.get("tool_choice")
    return isinstance(choice, Mapping) and choice.get("disable_parallel_tool_use") is True


def _strict_tools(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The tools marked ``strict``: their calls' input must match their schema."""
    return tuple(t["name"] for t in body.get("tools") or () if t.get("strict") is True)


def _tools(body: Mapping[str, Any], has_tool_history: bool) -> dict[str, Any] | None:
    tools = body.get("tools")
    if not tools:
        require(
            _choice_kind(body) in (None, "auto", "none"),
            "tool_choice needs tools to choose from",
            "tool_choice",
        )
        return None
    if not isinstance(tools, list):
        raise invalid("tools must be a list", "tools")
    specs: list[dict[str, Any]] = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, Mapping) or not isinstance(tool.get("name"), str):
            raise invalid(f"tools[{i}].name is required", "tools")
        kind = tool.get("type")
        if kind in (None, "custom"):  # a server tool gets its own refusal below
            check_keys(tool, TOOL_FIELDS, f"tools[{i}]", "tool field")
        if kind not in (None, "custom"):
            known = str(kind).startswith(SERVER_TOOL_PREFIXES)
            raise invalid(
                f"tools[{i}].type {kind!r}: "
                + ("an Anthropic server or Anthropic-defined tool, which Bedrock's Converse "
                   "does not run" if known else "unknown tool type")
                + "; define a client tool with a name and an input_schema",
                f"tools[{i}].type",
            )  # fmt: skip
        require_tool_name(tool["name"], f"tools[{i}].name")
        schema = tool.get("input_schema")
        require(isinstance(schema, Mapping), f"tools[{i}].input_schema is required (an object)",
                f"tools[{i}].input_schema")  # fmt: skip
        require_object_schema(schema, f"tools[{i}].input_schema")
        spec: dict[str, Any] = {"name": tool["name"], "inputSchema": {"json": schema}}
        if tool.get("description"):
            spec["description"] = tool["description"]
        specs.append({"toolSpec": spec})
        point = _cache_point(tool)
        if point:
            specs.append(point)
    config: dict[str, Any] = {"tools": specs}
    kind = _choice_kind(body)
    if kind == "auto":
        config["toolChoice"] = {"auto": {}}
    elif kind == "any":
        config["toolChoice"] = {"any": {}}
    elif kind == "tool":
        wanted = body["tool_choice"].get("name")
        names = [t["name"] for t in tools]
        if wanted not in names:
            raise InvalidRequestError(
                f"tool_choice names tool {wanted!r}, which is not in tools",
                hint=f"name one of the tools offered ({', '.join(names)}), or add that tool",
                param="tool_choice.name",
            )
        config["toolChoice"] = {"tool": {"name": str(wanted)}}
    elif kind == "none":
        # Converse has no "none". Without tools no call can happen, but Bedrock refuses
        # tool_use/tool_result history without a toolConfig, so then the tools stay and
        # the caller adds NO_TOOL_CALLS to the system prompt: best effort only.
        return config if has_tool_history else None
    elif kind is not None:
        raise invalid(f"tool_choice type {kind!r} is not supported", "tool_choice")
    return config


def _messages(body: Mapping[str, Any], max_images: int) -> list[dict[str, Any]]:
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise invalid("messages must be a non-empty list", "messages")
    turns = []
    for i, message in enumerate(raw):
        where = f"messages[{i}]"
        if not isinstance(message, Mapping) or message.get("role") not in ("user", "assistant"):
            raise invalid(f"{where}.role must be user or assistant", where)
        check_keys(message, MESSAGE_FIELDS, where, "message field")
        content = _content(
            message.get("content"), f"{where}.content", echoed=message["role"] == "assistant"
        )
        turns.append({"role": message["role"], "content": content})
    merged = finish_turns(turns, first="the first message", field="messages", max_images=max_images)
    name_documents(merged)
    return merged


def refuse_tool_history_without_tools(body: Mapping[str, Any], converted: Converted) -> None:
    """Refuse, in the Messages API's own terms, tool history sent without ``tools`` in
    ``body`` (converted to ``converted``). Anthropic's API refuses such a request too (the
    OpenAI doors answer it, as OpenAI does); the check that would catch it later speaks
    Converse (``toolUse``, ``toolConfig``). Not part of :func:`from_messages`: ``tierwise
    plan`` reads logged bodies with it and prices such lines as they were sent."""
    if "toolConfig" in converted.request:
        return
    for i, message in enumerate(body["messages"]):
        content = message.get("content")
        for j, block in enumerate(content if isinstance(content, list) else ()):
            kind = block.get("type") if isinstance(block, Mapping) else None
            if kind in ("tool_use", "tool_result"):
                raise InvalidRequestError(
                    f"messages.{i}.content.{j}: requests which include `tool_use` or "
                    "`tool_result` blocks must define tools",
                    hint="send `tools` with the tools the conversation called (they stay "
                    'defined while their calls are in the history); `tool_choice: {"type": '
                    '"none"}` asks for an answer in text',
                    param=f"messages.{i}.content.{j}",
                )


def from_messages(body: Any, *, max_images: int = 20, betas: Sequence[str] = ()) -> Converted:
    """An Anthropic Messages request body -> Converse request (``InvalidRequestError`` if bad).

    ``betas`` are the request's ``anthropic-beta`` header values: those Bedrock takes
    (``BEDROCK_BETAS``: 1M context, interleaved thinking, ...) reach it as
    ``anthropic_beta``; the rest name features that are generally available now (prompt
    caching, PDFs, token counting) or that the body's own checks refuse (files, MCP, code
    execution), and Bedrock would refuse the whole request for them ("invalid beta flag")."""
    if not isinstance(body, Mapping):
        raise invalid("the request body must be a JSON object")
    check_fields(body, MESSAGES_FIELDS, "Messages")
    metadata = body.get("metadata")
    if isinstance(metadata, Mapping):
        check_keys(metadata, METADATA_FIELDS, "metadata", "metadata field")
    model = model_of(body)
    max_tokens = body.get("max_tokens")
    if not is_int(max_tokens) or max_tokens < 1:
        raise invalid("max_tokens is required and must be a positive integer", "max_tokens")
    inference: dict[str, Any] = {"maxTokens": max_tokens}
    for wire, name in (("temperature", "temperature"), ("top_p", "topP")):
        value = body.get(wire)
        if value is not None:
            require(
                is_number(value) and 0 <= value <= 1,
                f"{wire} must be a number between 0 and 1",
                wire,
            )
            inference[name] = value
    stops = body.get("stop_sequences")
    if stops is not None:
        require(
            isinstance(stops, list) and all(isinstance(s, str) and s for s in stops),
            "stop_sequences must be a list of non-empty strings",
            "stop_sequences",
        )
        inference["stopSequences"] = stops
    messages = _messages(body, max_images)
    request: dict[str, Any] = {"messages": messages, "inferenceConfig": inference}
    if stops:
        # Converse reports which sequence matched only when asked for Claude's own field.
        request["additionalModelResponseFieldPaths"] = ["/stop_sequence"]
    system = _system(body.get("system"))
    tools = _tools(body, has_tool_blocks(messages))
    # Converse cannot switch parallel tool use off: the model is asked, and the answer keeps
    # only the first call (to_message / AnthropicStreamTranslator ``single_tool_call``).
    single_tool_call = bool(tools) and _single_tool_call(body)
    if tools:
        request["toolConfig"] = tools
        if _choice_kind(body) == "none":
            system.append({"text": NO_TOOL_CALLS})
        elif single_tool_call:
            system.append({"text": ONE_TOOL_CALL})
    if system:
        request["system"] = system
    extra: dict[str, Any] = {}
    thinking = body.get("thinking")
    require(
        thinking is None
        or (
            isinstance(thinking, Mapping)
            and thinking.get("type") in ("enabled", "disabled", "adaptive")
        ),
        'thinking must be {"type": "enabled", "budget_tokens": N}, {"type": "adaptive"} or '
        '{"type": "disabled"}',
        "thinking",
    )
    if isinstance(thinking, Mapping) and thinking.get("type") == "adaptive":
        # Claude 4.6 decides how much to think; on a model without adaptive mode the client
        # substitutes budgeted thinking (core.sampling.settle_adaptive_thinking).
        extra["thinking"] = {"type": "adaptive"}
    if isinstance(thinking, Mapping) and thinking.get("type") == "enabled":
        budget = thinking.get("budget_tokens")
        require(
            is_int(budget) and budget >= 1024,
            "thinking.budget_tokens must be an integer >= 1024",
            "thinking",
        )
        require(
            isinstance(budget, int) and budget < max_tokens,
            "thinking.budget_tokens must be below max_tokens",
            "thinking",
        )
        extra["thinking"] = {"type": "enabled", "budget_tokens": budget}
    # Anthropic's API words it so (its extended-thinking guide); preflight's refusal would
    # name Converse's inferenceConfig.temperature, a field this caller never sent.
    require(
        "thinking" not in extra or inference.get("temperature") in (None, 1),
        "`temperature` may only be set to 1 when thinking is enabled",
        "temperature",
    )
    if body.get("top_k") is not None:
        top_k = body["top_k"]
        require(is_int(top_k) and top_k >= 0, "top_k must be a non-negative integer", "top_k")
        extra["top_k"] = top_k
    forwarded = [b for b in dict.fromkeys(betas) if b in BEDROCK_BETAS]
    if forwarded:
        extra["anthropic_beta"] = forwarded
    if extra:
        request["additionalModelRequestFields"] = extra
    return Converted(
        model=model,
        request=request,
        stream=flag(body, "stream"),
        json_schema=_output_schema(body),
        strict_tools=_strict_tools(body) if tools else (),
        extras={"single_tool_call": single_tool_call},
    )


def _output_schema(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The JSON schema of ``output_config.format`` (or the beta's ``output_format``): it
    reaches the model through the cascade (tierwise.core.structured) and judges the answer."""
    config = body.get("output_config")
    require(config is None or isinstance(config, Mapping), "output_config must be an object",
            "output_config")  # fmt: skip
    if isinstance(config, Mapping):
        require(
            config.get("effort") is None,
            "output_config.effort is not supported by this gateway; use thinking",
            "output_config.effort",
        )
        unknown = sorted(set(config) - {"format", "effort"})
        require(not unknown, f"output_config.{unknown[0] if unknown else ''}: Extra inputs are "
                "not permitted", "output_config")  # fmt: skip
    fmt = (config or {}).get("format") if isinstance(config, Mapping) else None
    where = "output_config.format"
    if fmt is None:
        fmt, where = body.get("output_format"), "output_format"
    if fmt is None:
        return None
    require(
        isinstance(fmt, Mapping)
        and fmt.get("type") == "json_schema"
        and isinstance(fmt.get("schema"), Mapping),
        f'{where} must be {{"type": "json_schema", "schema": {{...}}}}',
        where,
    )
    schema: Mapping[str, Any] = fmt["schema"]
    return schema


def count_tokens_request(body: Any) -> Converted:
    """An Anthropic ``count_tokens`` body (no ``max_tokens``) -> Converse-shaped request."""
    if not isinstance(body, Mapping):
        raise invalid("the request body must be a JSON object")
    check_fields(body, COUNT_TOKENS_FIELDS, "count_tokens")
    return from_messages({**body, "max_tokens": 1, "thinking": None})


def _usage(usage: Mapping[str, Any]) -> dict[str, int]:
    u = Usage.from_converse(usage)
    return {
        "input_tokens": u.input,
        "output_tokens": u.output,
        "cache_creation_input_tokens": u.cache_write,
        "cache_read_input_tokens": u.cache_read,
    }


def _block(block: Mapping[str, Any]) -> dict[str, Any] | None:
    if "text" in block:
        return {"type": "text", "text": block["text"]}
    if "toolUse" in block:
        use = block["toolUse"]
        return {
            "type": "tool_use",
            "id": use["toolUseId"],
            "name": use["name"],
            "input": use.get("input", {}),
        }
    if "reasoningContent" in block:
        return thinking_block(block["reasoningContent"])
    return None


def _stop_sequence(response_or_stop: Mapping[str, Any]) -> str | None:
    """The matched stop sequence Bedrock put in ``additionalModelResponseFields``, if asked.

    Takes a Converse response or a stream's ``messageStop`` event: both carry the field.
    """
    fields = response_or_stop.get("additionalModelResponseFields")
    matched = fields.get("stop_sequence") if isinstance(fields, Mapping) else None
    return matched if isinstance(matched, str) else None


def to_message(
    response: Mapping[str, Any], *, model: str, request_id: str, single_tool_call: bool = False
) -> dict[str, Any]:
    """A Converse response -> an Anthropic ``message`` object (with ``single_tool_call``, for
    ``disable_parallel_tool_use``, only its first tool call)."""
    blocks = response.get("output", {}).get("message", {}).get("content") or []
    content = [b for b in (_block(x) for x in blocks) if b is not None]
    if single_tool_call:
        uses = [i for i, b in enumerate(content) if b.get("type") == "tool_use"]
        content = [b for i, b in enumerate(content) if i not in uses[1:]]
    return {
        "id": f"msg_{request_id}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": STOP_REASONS.get(str(response.get("stopReason")), "end_turn"),
        "stop_sequence": _stop_sequence(response),
        "usage": _usage(response.get("usage") or {}),
    }


class AnthropicStreamTranslator:
    """Converse stream events -> Anthropic SSE events as ``(event name, data)`` pairs."""

    def __init__(self, *, model: str, request_id: str, single_tool_call: bool = False) -> None:
        self.model = model
        self.id = f"msg_{request_id}"
        self.single_tool_call = single_tool_call
        self._tool_seen = False
        self._dropped: set[int] = set()  # Converse blocks of tool calls past the first
        self._open: int | None = None
        self._index = -1
        self._stop: str = "end_turn"
        self._stop_sequence: str | None = None

    def _start_block(self, block: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        events = self._close_block()
        self._index += 1
        self._open = self._index
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": self._index, "content_block": block},
            )
        )
        return events

    def _close_block(self) -> list[tuple[str, dict[str, Any]]]:
        if self._open is None:
            return []
        index, self._open = self._open, None
        return [("content_block_stop", {"type": "content_block_stop", "index": index})]

    def _delta(self, delta: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return (
            "content_block_delta",
            {"type": "content_block_delta", "index": self._index, "delta": delta},
        )

    def text_delta_index(self, event: Mapping[str, Any]) -> int | None:
        """The index of the one ``text_delta`` that :meth:`feed` makes of ``event``, when
        that is all it makes and it changes nothing (a text delta of a string, in an open
        block, not a dropped tool call's); None otherwise (``feed`` it). Lets a writer
        encode the commonest event of an answer from a template."""
        if len(event) != 1 or self._open is None:
            return None
        block = event.get("contentBlockDelta")
        if type(block) is not dict or block.get("contentBlockIndex") in self._dropped:
            return None
        delta = block.get("delta")
        if type(delta) is not dict or type(delta.get("text")) is not str:
            return None
        return self._index

    def feed(self, event: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        for part in ("contentBlockStart", "contentBlockDelta", "contentBlockStop"):
            if part in event and event[part].get("contentBlockIndex") in self._dropped:
                return []
        if "messageStart" in event:
            message: dict[str, Any] = {
                "id": self.id, "type": "message", "role": "assistant", "model": self.model,
                "content": [], "stop_reason": None, "stop_sequence": None,
                "usage": {"input_tokens": 0, "output_tokens": 0},
            }  # fmt: skip
            return [("message_start", {"type": "message_start", "message": message})]
        if "contentBlockStart" in event:
            use = event["contentBlockStart"].get("start", {}).get("toolUse")
            if use is not None and self.single_tool_call and self._tool_seen:
                self._dropped.add(event["contentBlockStart"].get("contentBlockIndex"))
                return []
            if use is not None:
                self._tool_seen = True
                block = {
                    "type": "tool_use",
                    "id": use["toolUseId"],
                    "name": use["name"],
                    "input": {},
                }
                return self._start_block(block)
            return []
        if "contentBlockDelta" in event:
            delta = event["contentBlockDelta"].get("delta", {})
            out: list[tuple[str, dict[str, Any]]] = []
            if "text" in delta:
                if self._open is None:
                    out += self._start_block({"type": "text", "text": ""})
                out.append(self._delta({"type": "text_delta", "text": delta["text"]}))
            elif "toolUse" in delta:
                out.append(
                    self._delta(
                        {
                            "type": "input_json_delta",
                            "partial_json": delta["toolUse"].get("input", ""),
                        }
                    )
                )
            elif "redactedContent" in delta.get("reasoningContent", {}):
                # Anthropic's redacted_thinking has no delta type: the data goes in the
                # block's start event and the block closes at once.
                data = redacted_data(delta["reasoningContent"]["redactedContent"])
                out += self._start_block({"type": "redacted_thinking", "data": data})
                out += self._close_block()
            elif "reasoningContent" in delta:
                reasoning = delta["reasoningContent"]
                if self._open is None:
                    out += self._start_block({"type": "thinking", "thinking": "", "signature": ""})
                if "text" in reasoning:
                    out.append(
                        self._delta({"type": "thinking_delta", "thinking": reasoning["text"]})
                    )
                if "signature" in reasoning:
                    out.append(
                        self._delta(
                            {"type": "signature_delta", "signature": reasoning["signature"]}
                        )
                    )
            return out
        if "contentBlockStop" in event:
            return self._close_block()
        if "messageStop" in event:
            self._stop = STOP_REASONS.get(str(event["messageStop"].get("stopReason")), "end_turn")
            self._stop_sequence = _stop_sequence(event["messageStop"])
            return self._close_block()
        if "metadata" in event:
            usage = _usage(event["metadata"].get("usage") or {})
            delta = {
                "type": "message_delta",
                "delta": {"stop_reason": self._stop, "stop_sequence": self._stop_sequence},
                "usage": usage,
            }
            return [("message_delta", delta), ("message_stop", {"type": "message_stop"})]
        return []


def usage_from_message(message: Mapping[str, Any]) -> Usage:
    """An Anthropic response's ``usage`` as tierwise Usage."""
    usage = message.get("usage") or {}
    written = int(usage.get("cache_creation_input_tokens") or 0)
    # ``cache_creation`` splits the writes by TTL; writes it does not cover are 5-minute
    # writes, the default TTL (as Usage.from_converse does with ``cacheDetails``).
    split = usage.get("cache_creation") or {}
    w1h = min(int(split.get("ephemeral_1h_input_tokens") or 0), written)
    return Usage(
        input=int(usage.get("input_tokens") or 0),
        output=int(usage.get("output_tokens") or 0),
        cache_read=int(usage.get("cache_read_input_tokens") or 0),
        cache_write_5m=written - w1h,
        cache_write_1h=w1h,
    )

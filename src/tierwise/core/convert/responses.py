"""OpenAI Responses API <-> Bedrock Converse.

``instructions`` become the system prompt; ``input`` items become Converse turns (messages
with text and data-URL images, ``function_call`` as toolUse, ``function_call_output`` as
toolResult, and ``reasoning`` items, whose ``encrypted_content`` carries Claude's thinking
signature, as reasoningContent, so a thinking tool loop can continue). ``text.format``
``json_schema`` is structured output (the schema reaches the model through the cascade).
tierwise keeps no server-side state: ``previous_response_id``, ``conversation`` and
``store: true`` are refused (see :mod:`tierwise.core.convert.responses_fields`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tierwise.core.convert.fields import check_fields
from tierwise.core.convert.openai import (
    DEFAULT_MAX_TOKENS,
    _image,
    add_thinking,
    function_tool,
)
from tierwise.core.convert.request import (
    NO_TOOL_CALLS,
    ONE_TOOL_CALL,
    Converted,
    finish_turns,
    flag,
    has_tool_blocks,
    history_tools,
    invalid,
    is_int,
    is_number,
    model_of,
    require,
)
from tierwise.core.convert.responses_fields import RESPONSES_FIELDS
from tierwise.core.pricing import Usage
from tierwise.errors import InvalidRequestError

__all__ = ["DEFAULT_MAX_TOKENS", "ResponsesStreamTranslator", "from_responses", "to_response"]

_INCOMPLETE = {
    "max_tokens": "max_output_tokens",
    "model_context_window_exceeded": "max_output_tokens",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}


def _content(content: Any, where: str, role: str, allow_remote: bool) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}]
    require(isinstance(content, list), f"{where} must be a string or a list of parts", where)
    blocks: list[dict[str, Any]] = []
    for j, part in enumerate(content):
        at = f"{where}[{j}]"
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind in ("input_text", "output_text", "text"):
            require(isinstance(part.get("text"), str), f"{at}.text must be a string", at)
            blocks.append({"text": part["text"]})
        elif kind == "refusal":
            blocks.append({"text": str(part.get("refusal", ""))})
        elif kind == "input_image" and role == "user":  # Converse's system takes no image
            require(
                part.get("file_id") is None,
                f"{at}: file_id images are not supported; send a data: URL",
                at,
            )
            blocks.append(_image({"image_url": part.get("image_url")}, at, allow_remote))
        else:
            raise invalid(f"{at}: content part type {kind!r} is not supported here", at)
    return blocks


def _reasoning(item: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A reasoning item tierwise produced: its summary is Claude's thinking and its
    encrypted_content the signature Claude needs to continue after a tool call."""
    signature = item.get("encrypted_content")
    require(
        isinstance(signature, str) and signature,
        f"{where}: a reasoning item needs its "
        "encrypted_content (include reasoning.encrypted_content)",
        where,
    )
    summary = item.get("summary") or []
    text = "".join(str(s.get("text", "")) for s in summary if isinstance(s, Mapping))
    return {"reasoningContent": {"reasoningText": {"text": text, "signature": signature}}}


def _turns(
    raw: Any, allow_remote: bool, max_images: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system blocks, Converse turns) from ``input``."""
    if isinstance(raw, str):
        require(bool(raw), "input must not be empty", "input")
        return [], [{"role": "user", "content": [{"text": raw}]}]
    require(
        isinstance(raw, list) and bool(raw), "input must be a string or a non-empty list", "input"
    )
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        where = f"input[{i}]"
        require(isinstance(item, Mapping), f"{where} must be an object", where)
        kind = item.get("type") or ("message" if "role" in item else None)
        if kind == "message":
            role = item.get("role")
            if role in ("system", "developer"):
                # An empty system message says nothing; Converse refuses an empty text.
                blocks = _content(item.get("content"), f"{where}.content", role, False)
                system.extend(b for b in blocks if str(b.get("text", "x")).strip())
                continue
            require(
                role in ("user", "assistant"),
                f"{where}.role must be user, assistant, system or developer",
                where,
            )
            blocks = _content(item.get("content"), f"{where}.content", str(role), allow_remote)
            turns.append({"role": role, "content": blocks})
        elif kind == "function_call":
            require(
                isinstance(item.get("name"), str) and isinstance(item.get("call_id"), str),
                f"{where}: function_call needs name and call_id",
                where,
            )
            try:
                arguments = json.loads(item.get("arguments") or "{}")
            except (TypeError, ValueError):
                raise invalid(f"{where}.arguments is not valid JSON", where) from None
            require(isinstance(arguments, dict), f"{where}.arguments must be a JSON object", where)
            use = {"toolUseId": item["call_id"], "name": item["name"], "input": arguments}
            turns.append({"role": "assistant", "content": [{"toolUse": use}]})
        elif kind == "function_call_output":
            require(isinstance(item.get("call_id"), str), f"{where}.call_id is required", where)
            output = item.get("output")
            content = _content(
                output if output is not None else "", f"{where}.output", "user", allow_remote
            )
            result = {"toolUseId": item["call_id"], "content": content}
            turns.append({"role": "user", "content": [{"toolResult": result}]})
        elif kind == "reasoning":
            turns.append({"role": "assistant", "content": [_reasoning(item, where)]})
        else:
            raise invalid(
                f"{where}: item type {kind!r} is not supported (message, function_call, "
                "function_call_output and reasoning are)",
                where,
            )
    merged = finish_turns(turns, first="the first input item", field="input", max_images=max_images)
    return system, merged


def _tools(body: Mapping[str, Any], history: bool) -> dict[str, Any] | None:
    tools = body.get("tools") or []
    choice = body.get("tool_choice") or "auto"
    require(isinstance(tools, list), "tools must be a list", "tools")
    specs = []
    for i, tool in enumerate(tools):
        where = f"tools[{i}]"
        kind = tool.get("type") if isinstance(tool, Mapping) else None
        if kind != "function":
            raise invalid(
                f"{where}.type {kind!r}: built-in tools are not available through "
                "Bedrock; offer a function tool",
                f"{where}.type",
            )
        require(isinstance(tool.get("name"), str), f"{where}.name is required", where)
        specs.append(function_tool(tool, where))
    if not specs:
        require(choice in ("auto", "none"), "tool_choice needs tools to choose from", "tool_choice")
        return None
    if choice == "none":
        return {"tools": specs, "toolChoice": {"auto": {}}} if history else None
    if choice == "auto":
        return {"tools": specs, "toolChoice": {"auto": {}}}
    if choice == "required":
        return {"tools": specs, "toolChoice": {"any": {}}}
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        names = [t["toolSpec"]["name"] for t in specs]
        if choice.get("name") not in names:
            raise InvalidRequestError(
                f"tool_choice names function {choice.get('name')!r}, which is not in tools",
                hint=f"name one of the functions offered ({', '.join(names)}), or add it",
                param="tool_choice.name",
            )
        return {"tools": specs, "toolChoice": {"tool": {"name": str(choice.get("name"))}}}
    raise invalid(f"tool_choice {choice!r} is not supported", "tool_choice")


def _schema(body: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, bool]:
    """(the text.format JSON schema, whether plain JSON was asked for)."""
    text = body.get("text")
    if text is None:
        return None, False
    require(isinstance(text, Mapping), "text must be an object", "text")
    fmt = text.get("format")
    if fmt is None:
        return None, False
    kind = fmt.get("type") if isinstance(fmt, Mapping) else None
    if kind == "text":
        return None, False
    if kind == "json_object":
        return {"type": "object"}, True
    if kind == "json_schema":
        schema = fmt.get("schema")
        require(isinstance(schema, Mapping), "text.format.schema is required", "text.format")
        return schema, False
    raise invalid(f"text.format type {kind!r} is not supported", "text.format")


def from_responses(
    body: Any, *, allow_remote_images: bool = False, max_images: int = 20
) -> Converted:
    """A Responses API request body -> Converse request (``InvalidRequestError`` if bad)."""
    require(isinstance(body, Mapping), "the request body must be a JSON object")
    check_fields(body, RESPONSES_FIELDS, "Responses")
    model = model_of(body)
    system, messages = _turns(body.get("input"), allow_remote_images, max_images)
    instructions = body.get("instructions")
    if instructions is not None:
        require(isinstance(instructions, str), "instructions must be a string", "instructions")
        if instructions:
            system.insert(0, {"text": instructions})
    cap = body.get("max_output_tokens")
    require(
        cap is None or (is_int(cap) and cap >= 1),
        "max_output_tokens must be a positive integer",
        "max_output_tokens",
    )
    inference: dict[str, Any] = {"maxTokens": cap or DEFAULT_MAX_TOKENS}
    for wire, name in (("temperature", "temperature"), ("top_p", "topP")):
        value = body.get(wire)
        if value is not None:
            require(
                is_number(value) and 0 <= value <= 1,
                f"{wire} must be a number between 0 and 1 for Claude",
                wire,
            )
            inference[name] = value
    schema, plain_json = _schema(body)
    if plain_json:
        system.append({"text": "Respond with a single valid JSON object and nothing else."})
    request: dict[str, Any] = {"messages": messages, "inferenceConfig": inference}
    tools = _tools(body, has_tool_blocks(messages))
    if tools:
        request["toolConfig"] = tools
        if body.get("tool_choice") == "none":
            system.append({"text": NO_TOOL_CALLS})
    elif not body.get("tools"):
        tools = history_tools(messages)
        if tools:
            request["toolConfig"] = tools
            system.append({"text": NO_TOOL_CALLS})
    if tools and body.get("parallel_tool_calls") is False:
        system.append({"text": ONE_TOOL_CALL})
    if system:
        request["system"] = system
    reasoning = body.get("reasoning")
    require(
        reasoning is None or isinstance(reasoning, Mapping),
        "reasoning must be an object",
        "reasoning",
    )
    effort = (reasoning or {}).get("effort")
    if effort is not None:
        add_thinking(request, effort, cap, "reasoning.effort")
    return Converted(
        model=model,
        request=request,
        stream=flag(body, "stream"),
        json_schema=schema,
        extras={"echo": _echo(body)},
    )


def _echo(body: Mapping[str, Any]) -> dict[str, Any]:
    """The request settings a Response object repeats back."""
    text = body.get("text") if isinstance(body.get("text"), Mapping) else None
    return {
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "metadata": body.get("metadata") or {},
        # false: the answer keeps one tool call (Converse cannot switch parallel use off).
        "parallel_tool_calls": body.get("parallel_tool_calls") is not False,
        "temperature": body.get("temperature"),
        "top_p": body.get("top_p"),
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": body.get("tools") or [],
        "text": text or {"format": {"type": "text"}},
        "reasoning": body.get("reasoning") or {"effort": None, "summary": None},
        "user": body.get("user"),
    }


def usage_of(usage: Mapping[str, Any]) -> dict[str, Any]:
    u = Usage.from_converse(usage)
    return {
        "input_tokens": u.prompt_total,
        "input_tokens_details": {"cached_tokens": u.cache_read},
        "output_tokens": u.output,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": u.total,
    }


def _message_item(item_id: str, text: str, status: str = "completed") -> dict[str, Any]:
    content = [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
    return {
        "type": "message",
        "id": item_id,
        "status": status,
        "role": "assistant",
        "content": content if text or status == "completed" else [],
    }


def _call_item(item_id: str, use: Mapping[str, Any], arguments: str) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": use["toolUseId"],
        "name": use["name"],
        "arguments": arguments,
        "status": "completed",
    }


def _reasoning_item(item_id: str, text: str, signature: str) -> dict[str, Any]:
    return {
        "type": "reasoning",
        "id": item_id,
        "encrypted_content": signature,
        "summary": [{"type": "summary_text", "text": text}] if text else [],
    }


def _envelope(
    echo: Mapping[str, Any], *, rid: str, model: str, created: int, status: str
) -> dict[str, Any]:
    return {
        "id": f"resp_{rid}",
        "object": "response",
        "created_at": created,
        "status": status,
        "error": None,
        "incomplete_details": None,
        "model": model,
        "output": [],
        "previous_response_id": None,
        "store": False,
        "truncation": "disabled",
        "usage": None,
        **echo,
    }


def _finish(envelope: dict[str, Any], stop: str, usage: Mapping[str, Any]) -> dict[str, Any]:
    reason = _INCOMPLETE.get(stop)
    envelope["status"] = "incomplete" if reason else "completed"
    envelope["incomplete_details"] = {"reason": reason} if reason else None
    envelope["usage"] = usage_of(usage)
    return envelope


def to_response(
    response: Mapping[str, Any],
    *,
    echo: Mapping[str, Any],
    model: str,
    request_id: str,
    created: int,
) -> dict[str, Any]:
    """A Converse response -> a ``response`` object."""
    out = _envelope(echo, rid=request_id, model=model, created=created, status="completed")
    blocks = response.get("output", {}).get("message", {}).get("content") or []
    if echo.get("parallel_tool_calls") is False:
        uses = [b for b in blocks if "toolUse" in b]
        blocks = [b for b in blocks if "toolUse" not in b or b is uses[0]]
    for n, block in enumerate(blocks):
        if "reasoningContent" in block:
            text = block["reasoningContent"].get("reasoningText")
            if text is not None:
                out["output"].append(
                    _reasoning_item(
                        f"rs_{request_id}_{n}", text.get("text", ""), text.get("signature", "")
                    )
                )
        elif "text" in block:
            out["output"].append(_message_item(f"msg_{request_id}_{n}", block["text"]))
        elif "toolUse" in block:
            use = block["toolUse"]
            out["output"].append(
                _call_item(f"fc_{request_id}_{n}", use, json.dumps(use.get("input", {})))
            )
    return _finish(out, str(response.get("stopReason")), response.get("usage") or {})


class ResponsesStreamTranslator:
    """Converse stream events -> Responses API SSE events as ``(event type, data)`` pairs."""

    def __init__(
        self, *, echo: Mapping[str, Any], model: str, request_id: str, created: int
    ) -> None:
        self.rid = request_id
        self.response = _envelope(
            echo, rid=request_id, model=model, created=created, status="in_progress"
        )
        self._seq = 0
        self._open: dict[int, dict[str, Any]] = {}  # Converse block index -> item in progress
        self._stop = "end_turn"

    def _more_calls_allowed(self) -> bool:
        if self.response.get("parallel_tool_calls") is not False:
            return True
        return not any(o.get("type") == "function_call" for o in self.response["output"])

    def _event(self, kind: str, **data: Any) -> tuple[str, dict[str, Any]]:
        self._seq += 1
        return kind, {"type": kind, "sequence_number": self._seq, **data}

    def _snapshot(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.response))  # type: ignore[no-any-return]

    def _add(self, index: int, item: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        item["_n"] = len(self.response["output"])
        self._open[index] = item
        self.response["output"].append(item)
        public = {k: v for k, v in item.items() if not k.startswith("_")}
        events = [
            self._event(
                "response.output_item.added",
                output_index=item["_n"],
                item=json.loads(json.dumps(public)),
            )
        ]
        if item["type"] == "message":
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            item["content"] = [part]
            events.append(
                self._event(
                    "response.content_part.added",
                    item_id=item["id"],
                    output_index=item["_n"],
                    content_index=0,
                    part=part,
                )
            )
        return events

    def _close(self, index: int) -> list[tuple[str, dict[str, Any]]]:
        item = self._open.pop(index, None)
        if item is None:
            return []
        n = item.pop("_n")
        item["status"] = "completed"
        events = []
        if item["type"] == "message":
            text = item["content"][0]["text"]
            events.append(
                self._event(
                    "response.output_text.done",
                    item_id=item["id"],
                    output_index=n,
                    content_index=0,
                    text=text,
                    logprobs=[],
                )
            )
            events.append(
                self._event(
                    "response.content_part.done",
                    item_id=item["id"],
                    output_index=n,
                    content_index=0,
                    part=item["content"][0],
                )
            )
        elif item["type"] == "function_call":
            events.append(
                self._event(
                    "response.function_call_arguments.done",
                    item_id=item["id"],
                    output_index=n,
                    arguments=item["arguments"],
                )
            )
        elif item["type"] == "reasoning":
            signature = item.pop("_signature", "")
            text = item.pop("_text", "")
            item.update(_reasoning_item(item["id"], text, signature))
        events.append(
            self._event(
                "response.output_item.done", output_index=n, item=json.loads(json.dumps(item))
            )
        )
        return events

    def text_delta(self, event: Mapping[str, Any]) -> tuple[int, str, int, str] | None:
        """When ``event`` is a text delta to an open message item (most events of an
        answer), what :meth:`feed` does with it, done: the item's text added to and the
        sequence number taken. Returns the ``response.output_text.delta`` event's sequence
        number, item id, output index and delta, so a writer can encode it from a template.
        None (nothing changed) for any other event: ``feed`` it."""
        if len(event) != 1:
            return None
        block = event.get("contentBlockDelta")
        if type(block) is not dict:
            return None
        index = block.get("contentBlockIndex")
        delta = block.get("delta")
        if type(index) is not int or type(delta) is not dict:
            return None
        text = delta.get("text")
        item = self._open.get(index)
        if type(text) is not str or item is None or item["type"] != "message":
            return None
        item["content"][0]["text"] += text
        self._seq += 1
        return self._seq, item["id"], item["_n"], text

    def feed(self, event: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        if "messageStart" in event:
            snap = self._snapshot()
            return [
                self._event("response.created", response=snap),
                self._event("response.in_progress", response=snap),
            ]
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            use = start.get("start", {}).get("toolUse")
            if use is None or not self._more_calls_allowed():
                return []  # a dropped call's deltas find no open item and are skipped too
            index = start["contentBlockIndex"]
            item = {
                "type": "function_call",
                "id": f"fc_{self.rid}_{index}",
                "call_id": use["toolUseId"],
                "name": use["name"],
                "arguments": "",
                "status": "in_progress",
            }
            return self._add(index, item)
        if "contentBlockDelta" in event:
            return self._delta(event["contentBlockDelta"])
        if "contentBlockStop" in event:
            return self._close(event["contentBlockStop"]["contentBlockIndex"])
        if "messageStop" in event:
            self._stop = str(event["messageStop"].get("stopReason"))
            events: list[tuple[str, dict[str, Any]]] = []
            for index in list(self._open):
                events += self._close(index)
            return events
        if "metadata" in event:
            final = _finish(self.response, self._stop, event["metadata"].get("usage") or {})
            kind = (
                "response.completed" if final["status"] == "completed" else ("response.incomplete")
            )
            return [self._event(kind, response=self._snapshot())]
        return []

    def _delta(self, block: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        index = block["contentBlockIndex"]
        delta = block.get("delta", {})
        events: list[tuple[str, dict[str, Any]]] = []
        item = self._open.get(index)
        if "text" in delta:
            if item is None:
                item = {
                    "type": "message",
                    "id": f"msg_{self.rid}_{index}",
                    "status": "in_progress",
                    "role": "assistant",
                    "content": [],
                }
                events += self._add(index, item)
            item["content"][0]["text"] += delta["text"]
            events.append(
                self._event(
                    "response.output_text.delta",
                    item_id=item["id"],
                    output_index=item["_n"],
                    content_index=0,
                    delta=delta["text"],
                    logprobs=[],
                )
            )
        elif "toolUse" in delta and item is not None:
            piece = delta["toolUse"].get("input", "")
            item["arguments"] += piece
            events.append(
                self._event(
                    "response.function_call_arguments.delta",
                    item_id=item["id"],
                    output_index=item["_n"],
                    delta=piece,
                )
            )
        elif "reasoningContent" in delta:
            if item is None:
                item = {
                    "type": "reasoning",
                    "id": f"rs_{self.rid}_{index}",
                    "summary": [],
                    "_text": "",
                    "_signature": "",
                }
                events += self._add(index, item)
            reasoning = delta["reasoningContent"]
            item["_text"] += reasoning.get("text", "")
            item["_signature"] += reasoning.get("signature", "")
        return events

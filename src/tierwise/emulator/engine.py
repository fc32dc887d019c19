"""The answer engine: deterministic synthetic replies to Converse-shaped requests.

The same request always gets the same answer (everything is drawn from a ``random.Random``
seeded by a hash of the request). Length follows the request (short for "one word" or
"classify", long for "explain in detail", growing with the input) and is capped by
``maxTokens`` with ``stopReason: max_tokens``; stop sequences cut the text; a prompt that asks
for JSON gets valid JSON; offered tools are called when the prompt calls for one; extended
thinking adds a reasoning block within its budget. Output tokens use the same estimator as
input tokens (``tierwise.core.tokens``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tierwise.core.tokens import canonical_json, count_block, count_request
from tierwise.emulator.catalog import ModelSpec
from tierwise.emulator.toolinput import schema_value, tool_input
from tierwise.emulator.validation import Checked

__all__ = ["Answer", "answer", "request_digest"]

PREFIX = "[tierwise emulator]"
_SHORT = re.compile(
    r"\b(one word|single word|yes or no|yes/no|briefly|brief|short|one sentence|classify|"
    r"label|which tier|true or false|a number)\b",
    re.IGNORECASE,
)
_LONG = re.compile(
    r"\b(detailed|in detail|essay|explain|step by step|in depth|comprehensive|thorough|"
    r"analy[sz]e|design|prove|write a|implement|refactor|compare)\b",
    re.IGNORECASE,
)
_TOOL_CUE = re.compile(r"\b(use the tool|use a tool|use tool|look up|lookup|call)\b", re.I)
_JSON_CUE = re.compile(r"\bjson\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][A-Za-z-]{4,}")
_SENTENCES = (
    "The short answer is that {t} depends on the context you described.",
    "A practical approach is to start with {t} and check the result before going further.",
    "In most cases {t} works best when the inputs are clear and small.",
    "One thing to watch for is how {t} behaves as the workload grows.",
    "Consider the trade-off between cost and quality when deciding on {t}.",
    "A second option is to compare {t} against a simpler baseline.",
    "The main risk with {t} is an assumption that does not hold in practice.",
    "Next, verify {t} with a small example before scaling it up.",
    "It also helps to write down what you expect from {t} before you measure it.",
    "Finally, record what you learned about {t} so the next person can reuse it.",
    "This reply is synthetic: the emulator generated it locally, no model was called.",
)


@dataclass(frozen=True, slots=True)
class Answer:
    """An assistant turn in Converse shape."""

    content: tuple[dict[str, Any], ...]
    stop_reason: str
    stop_sequence: str | None
    output_tokens: int


def request_digest(request: Mapping[str, Any]) -> bytes:
    """A stable hash of everything that shapes the answer (cache points excluded)."""
    relevant = {
        k: _without_cache_points(request.get(k))
        for k in (
            "system",
            "messages",
            "toolConfig",
            "inferenceConfig",
            "additionalModelRequestFields",
            "outputConfig",
        )
    }
    return hashlib.sha256(canonical_json(relevant).encode("utf-8")).digest()


def _without_cache_points(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_cache_points(v) for k, v in value.items()}
    if isinstance(value, list):
        return [
            _without_cache_points(v)
            for v in value
            if not (isinstance(v, Mapping) and "cachePoint" in v)
        ]
    return value


def _last_user(messages: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    for message in reversed(messages):
        if message.get("role") == "user":
            found: Mapping[str, Any] = message
            return found
    return {}


def _texts(blocks: Sequence[Any]) -> str:
    return " ".join(str(b["text"]) for b in blocks if isinstance(b, Mapping) and "text" in b)


def _sentence(rng: random.Random, topics: Sequence[str]) -> str:
    topic = rng.choice(topics) if topics else "this request"
    return rng.choice(_SENTENCES).format(t=topic)


def _prose(rng: random.Random, topics: Sequence[str], chars: int, opening: str) -> str:
    parts = [opening]
    length = len(opening)
    while length < chars:
        sentence = _sentence(rng, topics)
        parts.append(sentence)
        length += len(sentence) + 1
    return " ".join(parts)[:chars].rstrip()


def _target_tokens(prompt: str, input_tokens: int, rng: random.Random) -> int:
    if _SHORT.search(prompt):
        base = rng.randint(8, 25)
    elif _LONG.search(prompt):
        base = rng.randint(250, 600)
    else:
        base = rng.randint(60, 160)
    return base + min(input_tokens // 10, 400)


def _json_text(rng: random.Random, topics: Sequence[str], chars: int, model: str) -> str:
    obj: dict[str, Any] = {
        "answer": "",
        "confidence": round(0.5 + rng.random() / 2, 2),
        "model": model,
        "source": "tierwise emulator",
        "synthetic": True,
        "topics": list(topics[:5]),
    }
    room = max(chars - len(json.dumps(obj)), 20)
    obj["answer"] = _prose(rng, topics, room, f"{PREFIX} Synthetic JSON answer.")
    return json.dumps(obj)


def _thinking(rng: random.Random, topics: Sequence[str], tokens: int, model: str) -> dict[str, Any]:
    text = _prose(
        rng,
        topics,
        tokens * 4,
        f"{PREFIX} Synthetic reasoning: let me work through the request step by step.",
    )
    signature = base64.b64encode(hashlib.sha256(f"{model}\x00{text}".encode()).digest() * 3)
    return {"reasoningContent": {"reasoningText": {"text": text, "signature": signature.decode()}}}


def _pick_tool(
    request: Mapping[str, Any], checked: Checked, prompt: str, after_result: bool
) -> Mapping[str, Any] | None:
    specs: list[Mapping[str, Any]] = [
        t["toolSpec"]
        for t in (request.get("toolConfig") or {}).get("tools") or ()
        if "toolSpec" in t
    ]
    if not specs or checked.tool_choice == "none":
        return None
    if checked.tool_choice == "tool":
        return next(s for s in specs if s["name"] == checked.tool_name)
    lowered = prompt.lower()
    mentioned = [s for s in specs if str(s["name"]).lower() in lowered]
    if checked.tool_choice == "any":
        return mentioned[0] if mentioned else specs[0]
    if after_result:
        return None
    if mentioned:
        return mentioned[0]
    return specs[0] if _TOOL_CUE.search(prompt) else None


def _cut_at_stop(text: str, stops: Sequence[str]) -> tuple[str, str | None]:
    found = [(text.find(s), s) for s in stops if s in text]
    if not found:
        return text, None
    pos, seq = min(found)
    return text[:pos], seq


def answer(request: Mapping[str, Any], checked: Checked, spec: ModelSpec) -> Answer:
    """The synthetic assistant turn for a validated request."""
    rng = random.Random(request_digest(request))
    messages: Sequence[Mapping[str, Any]] = request.get("messages") or ()
    last = _last_user(messages)
    content_in = last.get("content") or ()
    prompt = _texts(content_in)
    after_result = any("toolResult" in b for b in content_in)
    context = prompt + " " + _texts(request.get("system") or ())
    topics = sorted({w.lower() for w in _WORD.findall(prompt)})[:8]

    blocks: list[dict[str, Any]] = []
    budget = checked.max_tokens
    if checked.thinking_budget is not None:
        think_tokens = min(checked.thinking_budget, rng.randint(40, 200), budget - 1)
        blocks.append(_thinking(rng, topics, think_tokens, spec.model_id))
        budget -= count_block(blocks[0])

    tool = _pick_tool(request, checked, prompt, after_result)
    if tool is not None:
        schema = (tool.get("inputSchema") or {}).get("json") or {}
        use_id = "tooluse_" + base64.b32encode(rng.randbytes(15)).decode().lower()[:22]
        use: dict[str, Any] = {
            "toolUse": {
                "toolUseId": use_id,
                "name": tool["name"],
                "input": tool_input(schema, prompt, rng),
            }
        }
        preamble = {"text": f"I'll use the {tool['name']} tool to help with that."}
        candidate: list[dict[str, Any]] = [use]
        if checked.tool_choice == "auto":
            candidate = [preamble, use]
        if sum(count_block(b) for b in candidate) > budget:
            candidate = [use]
        if count_block(use) <= budget:
            blocks.extend(candidate)
            return _finish(blocks, "tool_use", None)

    target = _target_tokens(prompt, count_request(request), rng)
    if after_result:
        opening = f"{PREFIX} Based on the tool result, here is a synthetic answer from {spec.name}."
    else:
        opening = f"{PREFIX} Synthetic answer from {spec.name}."
    if checked.output_schema is not None:
        # Constrained decoding: the text is JSON valid against the schema, whatever the prompt.
        text = json.dumps(schema_value(checked.output_schema, prompt, rng))
    elif _JSON_CUE.search(context) and not after_result:
        text = _json_text(rng, topics, target * 4, spec.model_id)
    else:
        text = _prose(rng, topics, target * 4, opening)
    stop_reason = "end_turn"
    if len(text) > budget * 4:
        text = text[: budget * 4]
        stop_reason = "max_tokens"
    text, matched = _cut_at_stop(text, checked.stop_sequences)
    if matched is not None:
        stop_reason = "stop_sequence"
    blocks.append({"text": text})
    return _finish(blocks, stop_reason, matched)


def _finish(blocks: list[dict[str, Any]], stop_reason: str, matched: str | None) -> Answer:
    tokens = sum(count_block(b) for b in blocks)
    return Answer(tuple(blocks), stop_reason, matched, tokens)

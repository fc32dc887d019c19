"""Validators: does an answer do the job, or should the request go one tier up?

A validator is any callable ``(request, response) -> Verdict`` over a Converse request and
response. The built-ins cover the failures that make a cheaper tier's answer unusable: JSON
that does not match the caller's schema, tool calls that name unknown tools or carry invalid
arguments, bad stop reasons (truncation, malformed output, filtering), and refusals or empty
answers. Self-verification (AutoMix style) is a pair of pure helpers: the client sends
:func:`verification_request` as an extra call and reads it with :func:`parse_verification`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from tierwise.errors import InvalidRequestError

__all__ = [
    "CallableValidator",
    "JsonSchemaValidator",
    "RefusalValidator",
    "StopReasonValidator",
    "ToolCallValidator",
    "Validator",
    "Verdict",
    "answer_text",
    "judge",
    "parse_verification",
    "self_verify_threshold",
    "validators_from_spec",
    "verification_request",
]


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    reason: str
    validator: str
    confidence: float | None = None


class Validator(Protocol):
    @property
    def name(self) -> str: ...

    def __call__(self, request: Mapping[str, Any], response: Mapping[str, Any]) -> Verdict: ...


def _content(response: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(response.get("output", {}).get("message", {}).get("content") or ())


def answer_text(response: Mapping[str, Any]) -> str:
    """The answer's text blocks joined (reasoning excluded)."""
    return "".join(str(b["text"]) for b in _content(response) if "text" in b)


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


def _parse_json(text: str) -> Any:
    fenced = _FENCE.search(text)
    candidate = fenced.group(1) if fenced else text
    return json.loads(candidate.strip())


def _schema_error(instance: Any, schema: Mapping[str, Any]) -> str | None:
    import jsonschema

    validator_cls = jsonschema.validators.validator_for(schema)
    errors = sorted(validator_cls(schema).iter_errors(instance), key=lambda e: list(e.path))
    if not errors:
        return None
    first = errors[0]
    where = "/".join(str(p) for p in first.absolute_path) or "(root)"
    return f"at {where}: {first.message}"


@dataclass(frozen=True)
class JsonSchemaValidator:
    """The answer must be JSON (a ```json fence is tolerated) valid against ``schema``."""

    schema: Mapping[str, Any]
    name: str = "json_schema"

    def __call__(self, request: Mapping[str, Any], response: Mapping[str, Any]) -> Verdict:
        if response.get("stopReason") == "tool_use":
            # A turn that calls the caller's own tools is a step, not the final answer the
            # schema describes (the output tool's call is already unwrapped to text).
            return Verdict(True, "a tool call; the schema applies to the final answer", self.name)
        text = answer_text(response)
        try:
            value = _parse_json(text)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            return Verdict(False, f"answer is not valid JSON ({detail})", self.name)
        error = _schema_error(value, self.schema)
        if error is not None:
            return Verdict(False, f"JSON does not match the schema {error}", self.name)
        return Verdict(True, "JSON matches the schema", self.name)


@dataclass(frozen=True)
class ToolCallValidator:
    """Every tool call names an offered tool and its input validates against its schema.

    ``only``: check just the calls of these tools (the ones a request marked ``strict``);
    None checks every call."""

    name: str = "tool_calls"
    only: frozenset[str] | None = None

    def __call__(self, request: Mapping[str, Any], response: Mapping[str, Any]) -> Verdict:
        tools = {
            t["toolSpec"]["name"]: t["toolSpec"].get("inputSchema", {}).get("json", {})
            for t in (request.get("toolConfig") or {}).get("tools") or ()
            if "toolSpec" in t
        }
        calls = [b["toolUse"] for b in _content(response) if "toolUse" in b]
        if self.only is not None:
            calls = [c for c in calls if c.get("name") in self.only]
        for call in calls:
            name = call.get("name")
            if name not in tools:
                return Verdict(False, f"tool call names unknown tool {name!r}", self.name)
            error = _schema_error(call.get("input"), tools[name])
            if error is not None:
                return Verdict(False, f"arguments of tool {name!r} invalid {error}", self.name)
        return Verdict(True, f"{len(calls)} tool call(s) valid", self.name)


BAD_STOP_REASONS = frozenset(
    {
        "max_tokens",
        "malformed_model_output",
        "malformed_tool_use",
        "content_filtered",
        "model_context_window_exceeded",
    }
)


@dataclass(frozen=True)
class StopReasonValidator:
    """Reject truncated, malformed or filtered answers."""

    reject: frozenset[str] = BAD_STOP_REASONS
    name: str = "stop_reason"

    def __call__(self, request: Mapping[str, Any], response: Mapping[str, Any]) -> Verdict:
        reason = str(response.get("stopReason", ""))
        if reason in self.reject:
            return Verdict(False, f"stop reason {reason}", self.name)
        return Verdict(True, f"stop reason {reason or 'none'}", self.name)


# Openings of a refusal; checked only at the start of an answer so quoted text does not trip it.
REFUSAL_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^\W*i(?:'m| am) (?:sorry|afraid),? (?:but )?i (?:can(?:'|no)t|won't|am unable)",
        r"^\W*i can(?:'|no)t (?:help|assist|comply|provide|do that)",
        r"^\W*i(?:'m| am) (?:not able|unable) to (?:help|assist|comply|provide)",
        r"^\W*i won't be able to",
        r"^\W*as an ai\b",
        r"^\W*i must decline",
    )
)


@dataclass(frozen=True)
class RefusalValidator:
    """Reject empty answers and refusals."""

    name: str = "refusal"

    def __call__(self, request: Mapping[str, Any], response: Mapping[str, Any]) -> Verdict:
        text = answer_text(response).strip()
        has_tool = any("toolUse" in b for b in _content(response))
        if not text and not has_tool:
            return Verdict(False, "empty answer", self.name)
        head = text[:300]
        if any(p.search(head) for p in REFUSAL_PATTERNS):
            return Verdict(False, "the model refused", self.name)
        return Verdict(True, "not a refusal", self.name)


@dataclass(frozen=True)
class CallableValidator:
    """A user function ``(request, response) -> Verdict | bool``."""

    fn: Callable[[Mapping[str, Any], Mapping[str, Any]], Verdict | bool]
    name: str = "custom"

    def __call__(self, request: Mapping[str, Any], response: Mapping[str, Any]) -> Verdict:
        result = self.fn(request, response)
        if isinstance(result, Verdict):
            return result
        return Verdict(bool(result), "accepted" if result else "rejected", self.name)


def judge(
    request: Mapping[str, Any], response: Mapping[str, Any], validators: Iterable[Validator]
) -> Verdict:
    """The first rejection, or an acceptance naming every validator that passed."""
    passed: list[str] = []
    for validator in validators:
        verdict = validator(request, response)
        if not verdict.ok:
            return verdict
        passed.append(verdict.validator)
    return Verdict(True, "accepted: " + (", ".join(passed) or "no validators"), "judge")


DEFAULT_SELF_VERIFY_THRESHOLD = 0.7


def self_verify_threshold(
    verify: Any, default: float = DEFAULT_SELF_VERIFY_THRESHOLD
) -> float | None:
    """The confidence bar of a spec's ``self_verify`` (``true`` for ``default``, which the
    engine takes from ``[escalation] self_verify_threshold``, or ``{"threshold": 0-1}``);
    None when absent or false. Anything else is refused: a bar above 1 rejected every
    answer, each one paid for, and escalated."""
    if verify is None or verify is False:
        return None
    if verify is True:
        return default
    hint = 'use true or {"threshold": 0.7} (a confidence from 0 to 1)'
    if not isinstance(verify, Mapping):
        raise InvalidRequestError(
            f"self_verify must be true or an object, not {verify!r}", hint=hint
        )
    unknown = sorted(set(verify) - {"threshold"})
    if unknown:
        raise InvalidRequestError(f"unknown self_verify field(s): {', '.join(unknown)}", hint=hint)
    value = verify.get("threshold", default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidRequestError(
            f"self_verify threshold must be a number from 0 to 1, not {value!r}", hint=hint
        )
    return float(value)


def validators_from_spec(spec: Mapping[str, Any]) -> list[Validator]:
    """Validators from a plain spec (config, API key policy, HTTP request).

    Keys: ``json_schema`` (a JSON Schema), ``tool_calls`` (bool, or a list of the tool names
    whose calls are checked), ``stop_reasons`` (list, or
    true for the defaults), ``refusal`` (bool). ``self_verify`` is handled by the client.
    """
    known = {"json_schema", "tool_calls", "stop_reasons", "refusal", "self_verify"}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise InvalidRequestError(
            f"unknown validator(s): {', '.join(unknown)}",
            hint=f"known validators: {', '.join(sorted(known))}",
        )
    self_verify_threshold(spec.get("self_verify"))  # checked here; run by the engine
    out: list[Validator] = []
    reasons = spec.get("stop_reasons")
    if reasons:
        chosen = BAD_STOP_REASONS if reasons is True else frozenset(map(str, reasons))
        out.append(StopReasonValidator(chosen))
    if spec.get("refusal"):
        out.append(RefusalValidator())
    schema = spec.get("json_schema")
    if schema is not None:
        if not isinstance(schema, Mapping):
            raise InvalidRequestError(
                "json_schema must be a JSON Schema object",
                hint='e.g. {"json_schema": {"type": "object", "required": ["label"]}}',
            )
        _check_schema(schema)
        out.append(JsonSchemaValidator(schema))
    tool_calls = spec.get("tool_calls")
    if isinstance(tool_calls, list | tuple):
        if not all(isinstance(n, str) for n in tool_calls):
            raise InvalidRequestError("tool_calls must be true or a list of tool names")
        out.append(ToolCallValidator(only=frozenset(tool_calls)))
    elif tool_calls:
        out.append(ToolCallValidator())
    return out


def _check_schema(schema: Mapping[str, Any]) -> None:
    import jsonschema

    try:
        jsonschema.validators.validator_for(schema).check_schema(dict(schema))
    except RecursionError:
        raise InvalidRequestError("json_schema is nested too deeply") from None
    except jsonschema.SchemaError as exc:
        raise InvalidRequestError(
            f"json_schema is not a valid JSON Schema: {exc.message}",
            hint="check the schema with a JSON Schema validator",
        ) from None
    # A $ref that cannot be resolved only fails when an answer reaches it, after the model
    # has been called and billed; refuse it now. jsonschema's own resolver decides, so
    # anchors, $id bases and the bundled metaschemas count, and nothing is fetched.
    try:
        ref = _unresolvable_ref(schema)
    except RecursionError:
        raise InvalidRequestError("json_schema is nested too deeply") from None
    if ref is not None:
        raise InvalidRequestError(
            f"json_schema: $ref {ref!r} does not resolve within the schema",
            hint="define it under $defs and refer to it as #/$defs/Name",
        )


def _unresolvable_ref(schema: Mapping[str, Any]) -> str | None:
    """The first ``$ref`` in ``schema`` that jsonschema could not resolve, or None."""
    from jsonschema_specifications import REGISTRY
    from referencing import Resource
    from referencing.exceptions import Unresolvable
    from referencing.jsonschema import DRAFT202012, specification_with

    spec = specification_with(str(schema.get("$schema", "")), default=DRAFT202012)
    root: Resource[Any] = spec.create_resource(dict(schema))
    base = root.id() or "urn:tierwise:response-schema"
    registry = REGISTRY.with_resource(base, root).crawl()

    def walk(resolver: Any, resource: Resource[Any]) -> str | None:
        contents = resource.contents
        if isinstance(contents, Mapping) and isinstance(contents.get("$ref"), str):
            try:
                resolver.lookup(contents["$ref"])
            except Unresolvable:
                return str(contents["$ref"])
        for sub in resource.subresources():
            found = walk(resolver.in_subresource(sub), sub)
            if found is not None:
                return found
        return None

    return walk(registry.resolver(base_uri=base), root)


_VERIFY_PROMPT = (
    "You are checking an answer before it is sent. Read the request and the answer below, "
    'then reply with JSON only: {"confidence": <number from 0 to 1 that the answer is '
    'correct and complete>, "issues": "<short list of problems, or empty>"}.\n\n'
    "REQUEST:\n{request}\n\nANSWER:\n{answer}"
)
VERIFY_MAX_TOKENS = 200
_REQUEST_CHARS = 6000
_ANSWER_CHARS = 6000


def verification_request(request: Mapping[str, Any], response: Mapping[str, Any]) -> dict[str, Any]:
    """A short Converse request asking the same tier to grade its own answer."""
    turns = [
        "".join(str(b["text"]) for b in m.get("content") or () if "text" in b)
        for m in request.get("messages") or ()
        if m.get("role") == "user"
    ]
    asked = (turns[-1] if turns else "")[-_REQUEST_CHARS:]
    answer = answer_text(response)[:_ANSWER_CHARS]
    tools = [b["toolUse"] for b in _content(response) if "toolUse" in b]
    if tools:
        answer += "\nTool calls: " + json.dumps(tools, sort_keys=True, default=str)
    prompt = _VERIFY_PROMPT.replace("{request}", asked).replace("{answer}", answer)
    return {
        "messages": [{"role": "user", "content": [{"text": prompt}]}],
        "inferenceConfig": {"maxTokens": VERIFY_MAX_TOKENS, "temperature": 0.0},
    }


_CONFIDENCE = re.compile(r'"?confidence"?\s*[:=]\s*([01](?:\.\d+)?)', re.IGNORECASE)


def parse_verification(response: Mapping[str, Any], threshold: float) -> Verdict:
    """Read the self-check; unreadable counts as zero confidence (escalate, and say why)."""
    text = answer_text(response)
    confidence: float | None = None
    try:
        value = _parse_json(text)
        if isinstance(value, Mapping) and "confidence" in value:
            confidence = float(value["confidence"])
    except (json.JSONDecodeError, ValueError, TypeError):
        match = _CONFIDENCE.search(text)
        confidence = float(match.group(1)) if match else None
    if confidence is None:
        return Verdict(False, "self-check gave no readable confidence", "self_verify", 0.0)
    confidence = max(0.0, min(1.0, confidence))
    if confidence < threshold:
        return Verdict(
            False,
            f"self-check confidence {confidence:.2f} below {threshold:.2f}",
            "self_verify",
            confidence,
        )
    return Verdict(
        True,
        f"self-check confidence {confidence:.2f} >= {threshold:.2f}",
        "self_verify",
        confidence,
    )

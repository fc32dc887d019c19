"""A deterministic Bedrock guardrail: blocked words, per guardrail ID and version.

Enough of Amazon Bedrock Guardrails' word policy to test ``guardrailConfig`` offline, with
Converse's response shapes (botocore ``bedrock-runtime`` model): the request's
``guardrailConfig`` is validated as Bedrock validates it; a blocked word in the input stops
the request before the model runs (no model tokens, the guardrail's input message, stop
reason ``guardrail_intervened``); a blocked word in the answer replaces it with the output
message after the model ran (its tokens are billed). With ``trace`` enabled the response
carries ``trace.guardrail`` (``inputAssessment``, ``outputAssessments``, ``modelOutput``,
``actionReason``). When messages hold ``guardContent`` blocks, only those are assessed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tierwise.emulator.apierror import ApiError, validation

__all__ = ["GuardrailRegistry", "GuardrailSpec", "Verdict", "parse_guardrail_flag"]

_ID = re.compile(
    r"^(?:[a-z0-9]+|arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{1,20}:\d{12}:guardrail/([a-z0-9]+))$"
)
_VERSION = re.compile(r"^(?:[1-9][0-9]{0,7}|DRAFT)$")
_TRACES = ("enabled", "disabled", "enabled_full")
_MODES = ("sync", "async")
DEFAULT_MESSAGE = "Sorry, the model cannot answer this question."
_UNIT_CHARS = 1000  # a guardrail text unit is up to 1,000 characters


@dataclass(frozen=True, slots=True)
class GuardrailSpec:
    """One guardrail version: words it blocks (case-insensitive, whole words)."""

    guardrail_id: str
    version: str
    blocked_words: tuple[str, ...]
    blocked_input_message: str = DEFAULT_MESSAGE
    blocked_output_message: str = DEFAULT_MESSAGE

    def matches(self, text: str) -> list[str]:
        found = []
        for word in self.blocked_words:
            if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE):
                found.append(word)
        return found


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the guardrail decided for one request."""

    spec: GuardrailSpec
    trace: str
    input_hits: tuple[str, ...] = ()
    output_hits: tuple[str, ...] = ()
    input_chars: int = 0
    output_chars: int = 0
    model_output: tuple[str, ...] = field(default_factory=tuple)

    @property
    def intervened(self) -> bool:
        return bool(self.input_hits or self.output_hits)

    def _assessment(self, hits: Sequence[str], chars: int) -> dict[str, Any]:
        words = [{"match": w, "action": "BLOCKED", "detected": True} for w in hits]
        units = max(1, -(-chars // _UNIT_CHARS)) if chars else 0
        assessment: dict[str, Any] = {
            "invocationMetrics": {
                "guardrailProcessingLatency": 1,
                "usage": {
                    "topicPolicyUnits": 0,
                    "contentPolicyUnits": 0,
                    "wordPolicyUnits": units,
                    "sensitiveInformationPolicyUnits": 0,
                    "sensitiveInformationPolicyFreeUnits": 0,
                    "contextualGroundingPolicyUnits": 0,
                },
                "guardrailCoverage": {"textCharacters": {"guarded": chars, "total": chars}},
            }
        }
        if words:
            assessment["wordPolicy"] = {"customWords": words, "managedWordLists": []}
        return assessment

    def trace_dict(self) -> dict[str, Any] | None:
        """``trace`` for the response, or None when the caller did not ask for it."""
        if self.trace == "disabled":
            return None
        gid = self.spec.guardrail_id
        body: dict[str, Any] = {
            "inputAssessment": {gid: self._assessment(self.input_hits, self.input_chars)}
        }
        if not self.input_hits:
            body["outputAssessments"] = {
                gid: [self._assessment(self.output_hits, self.output_chars)]
            }
        if self.model_output and (self.output_hits or self.trace == "enabled_full"):
            body["modelOutput"] = list(self.model_output)
        if self.intervened:
            body["actionReason"] = "Guardrail blocked."
        elif self.trace == "enabled_full":
            body["actionReason"] = "No action."
        return {"guardrail": body}


class GuardrailRegistry:
    """The guardrails an emulator knows, by (ID, version); thread-safe."""

    def __init__(self, specs: Sequence[GuardrailSpec] = ()) -> None:
        self._lock = threading.Lock()
        self._specs: dict[tuple[str, str], GuardrailSpec] = {}
        for spec in specs:
            self.add(spec)

    def add(self, spec: GuardrailSpec) -> None:
        if not _ID.match(spec.guardrail_id) or not _VERSION.match(spec.version):
            raise ValueError(
                f"guardrail {spec.guardrail_id!r} version {spec.version!r}: the ID is lowercase "
                "letters and digits, the version a number or DRAFT"
            )
        with self._lock:
            self._specs[(spec.guardrail_id, spec.version)] = spec

    def resolve(self, config: Any, *, stream: bool) -> tuple[GuardrailSpec, str]:
        """Validate a request's ``guardrailConfig`` as Bedrock does; the guardrail and trace."""
        if not isinstance(config, Mapping):
            raise validation("guardrailConfig must be an object.")
        allowed = {"guardrailIdentifier", "guardrailVersion", "trace"}
        if stream:
            allowed.add("streamProcessingMode")
        extra = sorted(set(config) - allowed)
        if extra:
            raise validation(f"Unknown parameter in guardrailConfig: {extra[0]}.")
        ident = config.get("guardrailIdentifier")
        version = config.get("guardrailVersion")
        trace = config.get("trace", "disabled")
        if not isinstance(ident, str) or not (m := _ID.match(ident)):
            raise validation(
                "1 validation error detected: Value at 'guardrailConfig.guardrailIdentifier' "
                "failed to satisfy constraint: Member must satisfy regular expression pattern: "
                "(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))"
            )
        if not isinstance(version, str) or not _VERSION.match(version):
            raise validation(
                "1 validation error detected: Value at 'guardrailConfig.guardrailVersion' "
                "failed to satisfy constraint: Member must satisfy regular expression pattern: "
                "(([1-9][0-9]{0,7})|(DRAFT))"
            )
        if trace not in _TRACES:
            raise validation(
                "1 validation error detected: Value at 'guardrailConfig.trace' failed to satisfy "
                "constraint: Member must satisfy enum value set: [enabled, disabled, enabled_full]"
            )
        mode = config.get("streamProcessingMode", "sync")
        if mode not in _MODES:
            raise validation(
                "1 validation error detected: Value at 'guardrailConfig.streamProcessingMode' "
                "failed to satisfy constraint: Member must satisfy enum value set: [sync, async]"
            )
        key = (m.group(1) or ident, version)
        with self._lock:
            spec = self._specs.get(key)
        if spec is None:
            raise ApiError(
                "ResourceNotFoundException",
                f"The guardrail identifier or version provided could not be found: {ident} "
                f"version {version}.",
            )
        return spec, str(trace)

    def clear(self) -> None:
        with self._lock:
            self._specs.clear()


def input_texts(request: Mapping[str, Any]) -> list[str]:
    """What the guardrail reads: the ``guardContent`` texts if any, else every message text."""
    guarded: list[str] = []
    plain: list[str] = []
    for message in request.get("messages") or ():
        for block in message.get("content") or ():
            if not isinstance(block, Mapping):
                continue
            if "guardContent" in block:
                text = (block["guardContent"].get("text") or {}).get("text")
                if isinstance(text, str):
                    guarded.append(text)
            elif isinstance(block.get("text"), str):
                plain.append(block["text"])
    return guarded or plain


def parse_guardrail_flag(value: str) -> GuardrailSpec:
    """``ID:VERSION=word,word`` (the ``tierwise emulator --guardrail`` syntax)."""
    head, sep, words = value.partition("=")
    gid, _, version = head.partition(":")
    blocked = tuple(w.strip() for w in words.split(",") if w.strip())
    if not sep or not gid or not blocked:
        raise ValueError(f"--guardrail {value!r} is not ID:VERSION=word[,word...]")
    return GuardrailSpec(gid, version or "DRAFT", blocked)

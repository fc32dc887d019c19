"""Redaction of personal data and secrets from captured prompts and answers.

Capture (``[capture]``) stores request and answer text so a team can measure tiers on its own
traffic. What it stores passes through a :class:`Redactor` first, on by default: e-mail
addresses, phone numbers, payment card numbers (Luhn-checked, so order numbers survive), and
keys and tokens (AWS access keys, bearer tokens, ``sk-``/``tw_``-style API keys, JWTs, and
long secrets after words such as ``password`` or ``api_key``). Each match becomes a typed
placeholder such as ``[EMAIL]`` so an evaluation judge still sees the shape of the text.
Teams add their own patterns (``[capture] redact_patterns``) as ``NAME=regex`` strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tierwise.errors import ConfigError

__all__ = ["DEFAULT_RULES", "RedactionRule", "Redactor", "luhn_ok"]


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn checksum every payment card number carries."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> bool:
    digits = re.sub(r"\D", "", match.group(0))
    return 13 <= len(digits) <= 19 and luhn_ok(digits)


@dataclass(frozen=True)
class RedactionRule:
    """``pattern`` matches are replaced by ``[NAME]`` when ``accept`` (if any) agrees."""

    name: str
    pattern: re.Pattern[str]
    accept: Callable[[re.Match[str]], bool] | None = None
    group: int = 0

    def apply(self, text: str) -> tuple[str, int]:
        hits = 0

        def swap(m: re.Match[str]) -> str:
            nonlocal hits
            if self.accept is not None and not self.accept(m):
                return m.group(0)
            hits += 1
            if self.group:
                start, end = m.span(self.group)
                whole_start = m.start(0)
                return (
                    m.group(0)[: start - whole_start]
                    + f"[{self.name}]"
                    + m.group(0)[end - whole_start :]
                )
            return f"[{self.name}]"

        return self.pattern.sub(swap, text), hits


# Secrets first (a JWT or key must not be half-eaten by the phone rule), then personal data.
DEFAULT_RULES: tuple[RedactionRule, ...] = (
    RedactionRule("PRIVATE_KEY", re.compile(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)),
    RedactionRule("JWT", re.compile(
        r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b")),
    RedactionRule("AWS_KEY", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b")),
    RedactionRule("API_KEY", re.compile(
        r"\b(?:sk|pk|rk|tw|xox[abpr]|ghp|gho|ghs|glpat|ABSK)[-_][A-Za-z0-9_-]{16,}\b")),
    RedactionRule("TOKEN", re.compile(r"(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{16,})"), group=1),
    RedactionRule("SECRET", re.compile(
        r"(?i)\b(?:password|passwd|secret|api[_-]?key|access[_-]?key|token|auth)"
        r"(?:\s*[:=]\s*|\s+is\s+)[\"']?([^\s\"']{6,})"), group=1),
    RedactionRule("EMAIL", re.compile(
        r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")),
    RedactionRule("CARD", re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), accept=_card),
    RedactionRule("PHONE", re.compile(
        r"(?<![\w/.+-])(?:\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)|\d{1,4})(?:[\s.-]?\d{2,4}){2,4}"
        r"|\(\d{3}\)\s?\d{3}[\s.-]\d{4}"
        r"|\d{3}[.-]\d{3}[.-]\d{4})(?![\w/.-])")),
)  # fmt: skip


@dataclass(frozen=True)
class Redactor:
    """Applies :data:`DEFAULT_RULES` (unless ``defaults`` is off) and a team's own rules."""

    extra: tuple[RedactionRule, ...] = ()
    defaults: bool = True
    _rules: tuple[RedactionRule, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rules", (*(DEFAULT_RULES if self.defaults else ()), *self.extra))

    @classmethod
    def from_patterns(cls, patterns: Iterable[str], *, defaults: bool = True) -> Redactor:
        """Rules from ``NAME=regex`` strings (a bare regex is named ``REDACTED``)."""
        rules: list[RedactionRule] = []
        for spec in patterns:
            name, sep, regex = spec.partition("=")
            if not sep or not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
                name, regex = "REDACTED", spec
            try:
                rules.append(RedactionRule(name, re.compile(regex)))
            except re.error as exc:
                raise ConfigError(
                    f"capture.redact_patterns: {spec!r} is not a valid regular expression ({exc})",
                    hint='write patterns as NAME=regex, e.g. "EMPLOYEE_ID=E\\d{6}"',
                ) from None
        return cls(tuple(rules), defaults=defaults)

    @property
    def active(self) -> bool:
        return bool(self._rules)

    def text(self, value: str) -> tuple[str, int]:
        """``value`` redacted, and how many spans were replaced."""
        total = 0
        for rule in self._rules:
            value, hits = rule.apply(value)
            total += hits
        return value, total

    def value(self, value: Any) -> tuple[Any, int]:
        """A JSON-like value with every string redacted (mapping keys are left alone; bytes,
        such as image data, are dropped to a size note since they cannot be checked)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bytes | bytearray):
            return f"[BINARY {len(value)} bytes]", 0
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            total = 0
            for k, v in value.items():
                out[str(k)], hits = self.value(v)
                total += hits
            return out, total
        if isinstance(value, list | tuple):
            items: list[Any] = []
            total = 0
            for v in value:
                item, hits = self.value(v)
                items.append(item)
                total += hits
            return items, total
        return value, 0

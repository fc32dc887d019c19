"""Model names people already use, resolved to what tierwise serves.

A request's ``model`` may be ``auto``, a tier name, a Bedrock model ID, or a name from another
API: Anthropic's (``claude-sonnet-4-5-20250929``, ``claude-3-5-haiku-latest``) or, when a team
turns it on, OpenAI's (``gpt-4o-mini``). :class:`ModelNames` maps such a name to a *target*,
which is a tier name, ``auto`` or a Bedrock model ID, in this order:

1. the team's own ``[aliases]`` (any case);
2. the Anthropic names table (``[model_names.anthropic_names]``), then any other Anthropic API
   name of a Haiku, Sonnet or Opus model (``claude-sonnet-4-7``): that family's tier;
3. the OpenAI names table (``[model_names.openai_names]``), when ``openai`` is on; a dated
   name (``gpt-4o-mini-2024-07-18``) falls back to its undated one.

A target is not resolved again (no chains), so an alias can never loop.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

__all__ = ["ModelNames", "SwitchedOff"]

# Anthropic's own API names: "claude-" + family + version, or the 3.x "claude-3-5-haiku-..."
# spelling; not Bedrock IDs ("anthropic.claude-...") and not other families.
_ANTHROPIC_NAME = re.compile(
    r"^claude-(?:\d+(?:-\d+)?-(?P<a>haiku|sonnet|opus)|(?P<b>haiku|sonnet|opus)-\d+(?:-\d+)?)"
    r"(?:-\d{8}|-latest)?$"
)
_OPENAI_DATE = re.compile(r"-\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class SwitchedOff:
    """Another API's model name while its table is off: whose (``api``, for the message),
    the ``[model_names]`` key that turns it on, and the target it would have."""

    api: str
    switch: str
    target: str


@dataclass(frozen=True)
class ModelNames:
    """The name tables in force; built from settings by ``Settings.model_names``."""

    aliases: Mapping[str, str] = field(default_factory=dict)
    anthropic_names: Mapping[str, str] = field(default_factory=dict)
    openai_names: Mapping[str, str] = field(default_factory=dict)
    anthropic: bool = True
    openai: bool = False

    def resolve(self, name: str) -> str | None:
        """The target ``name`` stands for, or None when it is no alias (used as it is)."""
        key = name.strip().lower()
        for table in self._tables:
            if key in table:
                return table[key]
        if self.anthropic:
            match = _ANTHROPIC_NAME.match(key)
            if match is not None:
                return match.group("a") or match.group("b")
        if self.openai:
            undated = _OPENAI_DATE.sub("", key)
            openai_names = self._tables[-1]
            if undated != key and undated in openai_names:
                return openai_names[undated]
        return None

    def switched_off(self, name: str) -> SwitchedOff | None:
        """What ``name`` would stand for in another API's names while ``[model_names]``
        turns that API off (``gpt-4o-mini`` -> haiku, ``claude-sonnet-4-5`` -> sonnet), else
        None: such a name is no Bedrock model ID."""
        key = name.strip().lower()
        if not self.anthropic:
            target = self._lower(self.anthropic_names).get(key)
            match = _ANTHROPIC_NAME.match(key)
            if target is None and match is not None:
                target = match.group("a") or match.group("b")
            if target is not None:
                return SwitchedOff("Anthropic", "anthropic", target)
        if not self.openai:
            table = self._lower(self.openai_names)
            target = table.get(key) or table.get(_OPENAI_DATE.sub("", key))
            if target is not None:
                return SwitchedOff("OpenAI", "openai", target)
        return None

    def listed(self) -> dict[str, str]:
        """Every name a request may use besides tiers and model IDs, with its target
        (what ``GET /v1/models`` lists); the team's aliases win over the built-in tables."""
        out: dict[str, str] = {}
        for table in reversed(self._tables):
            out.update(table)
        return out

    @cached_property
    def _tables(self) -> list[dict[str, str]]:
        tables = [self._lower(self.aliases)]
        if self.anthropic:
            tables.append(self._lower(self.anthropic_names))
        if self.openai:
            tables.append(self._lower(self.openai_names))
        return tables

    @staticmethod
    def _lower(table: Mapping[str, str]) -> dict[str, str]:
        return {k.strip().lower(): v.strip() for k, v in table.items()}

"""The task-class taxonomy and each class's default policy line (no routing logic here).

A team changes a class's tier with one line in ``tierwise.toml``::

    [routing.classes.translate]
    tier = "sonnet"
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tierwise.core.tiers import Tier
from tierwise.errors import ConfigError

__all__ = [
    "CLASS_DESCRIPTIONS",
    "DEFAULT_CLASS_RULES",
    "FALLBACK_CLASS",
    "LOWEST_CHOICES",
    "TASK_CLASSES",
    "ClassRule",
    "validate_class_names",
]

# What ``lowest`` may name, cheapest first: a tier, or Sonnet with an extended-thinking budget.
LOWEST_CHOICES = ("haiku", "sonnet", "sonnet_thinking", "opus")


@dataclass(frozen=True, slots=True)
class ClassRule:
    """A class's policy line: its default tier, optional thinking budget (tokens), and the
    tiers the difficulty stage may not move its requests below or above (``min_tier`` and
    ``max_tier``; ``tierwise evaluate --apply`` writes them where its evidence is clear).

    ``lowest`` is the cheapest way the quality policy lets cache-aware routing serve a
    request of this class that stayed on the class's tier (one of :data:`LOWEST_CHOICES`;
    None: the class's tier itself). ``"sonnet_thinking"`` means Sonnet with an extended
    thinking budget, never plain Sonnet. It is used only when warm prefixes make it cheaper."""

    tier: Tier
    thinking_budget: int | None = None
    min_tier: Tier | None = None
    max_tier: Tier | None = None
    lowest: str | None = None

    def floor(self) -> tuple[Tier, bool]:
        """(tier, with thinking) of ``lowest``; the class's tier when it is unset or not
        below the tier (``lowest`` only ever lowers: a line that moves the class's tier down,
        as ``tierwise evaluate --apply`` may, keeps working)."""
        if self.lowest is None or LOWEST_CHOICES.index(self.lowest) >= LOWEST_CHOICES.index(
            self.tier.value
        ):
            return self.tier, False
        if self.lowest == "sonnet_thinking":
            return Tier.SONNET, True
        return Tier(self.lowest), False

    def __post_init__(self) -> None:
        if self.thinking_budget is not None and self.thinking_budget < 1024:
            raise ConfigError(
                f"a class thinking_budget must be at least 1024 tokens, got {self.thinking_budget}",
                hint="Bedrock's smallest thinking budget is 1024; leave it unset for none",
            )
        low = self.min_tier.rank if self.min_tier is not None else self.tier.rank
        high = self.max_tier.rank if self.max_tier is not None else self.tier.rank
        if not low <= self.tier.rank <= high:
            raise ConfigError(
                f"a class's tier {self.tier.value} must lie within its min_tier "
                f"{getattr(self.min_tier, 'value', '-')} and max_tier "
                f"{getattr(self.max_tier, 'value', '-')}",
                hint="set min_tier at or below the tier and max_tier at or above it",
            )
        if self.lowest is not None and self.lowest not in LOWEST_CHOICES:
            raise ConfigError(
                f"a class's lowest must be one of {', '.join(LOWEST_CHOICES)}, got {self.lowest!r}",
                hint='e.g. lowest = "sonnet_thinking"; leave it unset for the class\'s tier',
            )

    def line(self, name: str) -> str:
        """The policy line as a team would write it in tierwise.toml."""
        extra = ""
        if self.thinking_budget is not None:
            extra += f", thinking_budget = {self.thinking_budget}"
        if self.min_tier is not None:
            extra += f', min_tier = "{self.min_tier.value}"'
        if self.max_tier is not None:
            extra += f', max_tier = "{self.max_tier.value}"'
        if self.lowest is not None:
            extra += f', lowest = "{self.lowest}"'
        return f'routing.classes.{name} = {{ tier = "{self.tier.value}"{extra} }}'


_H, _S, _O = Tier.HAIKU, Tier.SONNET, Tier.OPUS
_ST = "sonnet_thinking"
# name -> (default rule, one-line description). Order is the taxonomy's reading order:
# cheap high-volume work first, then the Sonnet default, then the work that earns Opus.
_TAXONOMY: dict[str, tuple[ClassRule, str]] = {
    "classify": (ClassRule(_H), "pick a label, category, sentiment or language"),
    "triage": (ClassRule(_H), "route a ticket or message to a team, queue or priority"),
    "extract": (ClassRule(_H), "pull given fields or entities out of a text"),
    "transform": (ClassRule(_H), "convert a format, casing, dates or units"),
    "translate": (ClassRule(_H), "translate a text between languages"),
    "short_form": (ClassRule(_H), "a title, subject line, tags, a one-liner"),
    "chit_chat": (ClassRule(_H), "greetings, thanks, small talk"),
    "general_qa": (ClassRule(_S), "an open question or explanation with no other signal"),
    "summarize": (ClassRule(_S), "summarize or condense given material"),
    "rag_qa": (ClassRule(_S), "answer from retrieved passages or given documents"),
    "support_reply": (ClassRule(_S), "a reply to a customer or user"),
    "content_writing": (ClassRule(_S), "emails, posts, articles, marketing copy"),
    "routine_code": (ClassRule(_S), "write a function, query, script or test"),
    "code_debug": (ClassRule(_S), "review code, find and fix a bug"),
    "document_analysis": (ClassRule(_S), "analyse a contract, report or policy"),
    "agent_step": (ClassRule(_S), "one step of a tool-using agent"),
    "math": (ClassRule(_S, 4096), "calculation and word problems"),
    "proof": (ClassRule(_O), "proofs, derivations, formal reasoning"),
    # Opus work a borderline request may do on Sonnet with a full thinking budget when warm
    # prefixes make that cheaper (`lowest`); proofs and irreversible agent steps may not.
    "complex_analysis": (
        ClassRule(_O, lowest=_ST),
        "planning, system design, large refactors",
    ),
    "research_synthesis": (ClassRule(_O, lowest=_ST), "reconcile and synthesize many sources"),
    "high_stakes_agent": (ClassRule(_O), "an agent about to take an irreversible action"),
}
TASK_CLASSES: tuple[str, ...] = tuple(_TAXONOMY)
DEFAULT_CLASS_RULES: Mapping[str, ClassRule] = {k: v[0] for k, v in _TAXONOMY.items()}
CLASS_DESCRIPTIONS: Mapping[str, str] = {k: v[1] for k, v in _TAXONOMY.items()}
FALLBACK_CLASS = "general_qa"


def validate_class_names(names: Iterable[str], where: str) -> None:
    """Refuse unknown class names with the list of known ones."""
    unknown = sorted(set(names) - set(TASK_CLASSES))
    if unknown:
        raise ConfigError(
            f"config key `{where}`: unknown task class(es) {', '.join(unknown)}",
            hint=f"known classes: {', '.join(TASK_CLASSES)}",
        )

"""A class line's min_tier/max_tier hold the difficulty stage: evidence from `tierwise
evaluate --apply` outranks the difficulty estimate; caller hints still apply after it."""

from __future__ import annotations

import pytest

from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.hints import Hints
from tierwise.core.routing import Decision
from tierwise.core.tiers import Tier
from tierwise.errors import ConfigError

DESIGN = (
    "Design the architecture for a multi-region ledger that must stay consistent under "
    "network partitions. Compare at least three approaches, their failure modes and costs, "
    "and recommend one with a migration plan."
)
TICKET = "Classify this ticket as billing, technical or account. Ticket: I was charged twice."


def request(text: str) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": [{"text": text}]}]}


def route(settings: Settings, text: str, hints: Hints | None = None) -> Decision:
    """The decision with the packaged class and difficulty models, as traffic gets it."""
    with Tierwise.from_settings(settings, ledger_url="sqlite:///:memory:") as tw:
        return tw.route(request(text), hints=hints)


def test_max_tier_keeps_a_step_up_on_the_class_tier(default_settings: Settings) -> None:
    # thresholds set so the difficulty stage surely steps this request (the test is about
    # the bound, not where the packaged thresholds sit)
    moved = default_settings.with_overrides(
        {
            "routing.classes.complex_analysis.tier": "sonnet",
            "routing.sonnet_thinking_threshold": 0.3,
            "routing.opus_threshold": 0.3,
        }
    )
    stepped = route(moved, DESIGN)
    assert stepped.task_class.name == "complex_analysis"
    assert stepped.class_tier is Tier.SONNET and stepped.tier is Tier.OPUS  # difficulty: +1
    bounded = moved.with_overrides({"routing.classes.complex_analysis.max_tier": "sonnet"})
    held = route(bounded, DESIGN)
    assert held.tier is Tier.SONNET
    assert any("routing.classes.complex_analysis.max_tier" in r for r in held.reasons)
    # a caller's floor still wins over the class bound
    assert route(bounded, DESIGN, Hints(min_tier=Tier.OPUS)).tier is Tier.OPUS


def test_min_tier_keeps_a_step_down_on_the_class_tier(default_settings: Settings) -> None:
    on_sonnet = default_settings.with_overrides(
        {"routing.classes.classify.tier": "sonnet", "routing.haiku_threshold": 0.6}
    )
    stepped = route(on_sonnet, TICKET)
    assert stepped.task_class.name == "classify"
    assert stepped.class_tier is Tier.SONNET and stepped.tier is Tier.HAIKU  # difficulty: -1
    held = route(on_sonnet.with_overrides({"routing.classes.classify.min_tier": "sonnet"}), TICKET)
    assert held.tier is Tier.SONNET
    assert any("routing.classes.classify.min_tier" in r for r in held.reasons)


def test_a_class_tier_outside_its_bounds_is_refused(default_settings: Settings) -> None:
    with pytest.raises((ConfigError, ValueError), match="min_tier"):
        default_settings.with_overrides(
            {
                "routing.classes.classify.tier": "haiku",
                "routing.classes.classify.min_tier": "sonnet",
            }
        )

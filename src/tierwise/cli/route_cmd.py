"""``tierwise route``: the routing decision for a prompt, without calling a model."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tierwise.cli.converse_cmd import build_request
from tierwise.cli.output import cells, line, plain, write_json
from tierwise.cli.state import state_of
from tierwise.cli.stdin import STDIN_HELP, stdin_text
from tierwise.core.hints import Hints
from tierwise.core.routing import decide
from tierwise.core.tiers import Tier
from tierwise.errors import InvalidRequestError

__all__ = ["hints_from_options", "route"]


def hints_from_options(
    min_tier: str | None, max_tier: str | None, latency_sensitive: bool, high_stakes: bool
) -> Hints | None:
    values = {
        "min_tier": min_tier or "",
        "max_tier": max_tier or "",
        "latency_sensitive": "true" if latency_sensitive else "",
        "high_stakes": "true" if high_stakes else "",
    }
    low, high = (Tier.parse(t) if t and t.lower() != "auto" else None for t in (min_tier, max_tier))
    if low is not None and high is not None and low.rank > high.rank:
        # Hints' own hint names the Python fields (force_tier), which the CLI does not have.
        raise InvalidRequestError(
            f"--min-tier {low.value} is above --max-tier {high.value}",
            hint="give --min-tier at or below --max-tier (haiku < sonnet < opus); "
            "`tierwise converse --tier TIER` pins one tier",
        )
    hints = Hints.parse({k: v for k, v in values.items() if v})
    return None if hints.empty else hints


def route(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The prompt to route;" + STDIN_HELP)],
    system: Annotated[str | None, typer.Option(help="System prompt.")] = None,
    max_tokens: Annotated[int | None, typer.Option(min=1, help="Requested output cap.")] = None,
    min_tier: Annotated[str | None, typer.Option(help="Never below this tier.")] = None,
    max_tier: Annotated[str | None, typer.Option(help="Never above this tier.")] = None,
    latency_sensitive: Annotated[bool, typer.Option(help="Prefer speed.")] = False,
    high_stakes: Annotated[bool, typer.Option(help="A wrong answer is expensive.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
) -> None:
    """Print the tier tierwise would pick for TEXT, with its scores and reasons."""
    from tierwise.client import load_class_scorer, load_scorer

    state = state_of(ctx)
    settings = state.loaded().settings
    text = stdin_text(text)
    if not text.strip():
        # Nothing to route: Bedrock refuses a blank prompt, and `converse` refuses it too.
        raise InvalidRequestError(
            "the prompt is empty", hint='pass it as the argument: tierwise route "..."'
        )
    request = build_request(text, system=system, images=[], max_tokens=max_tokens)
    hints = hints_from_options(min_tier, max_tier, latency_sensitive, high_stakes)
    decision = decide(
        request,
        hints=hints,
        policy=settings.routing_policy(),
        scorer=load_scorer(settings),
        class_scorer=load_class_scorer(settings),
    )
    if as_json:
        write_json(decision.to_dict())
        return
    thinking = f" + thinking {decision.thinking_budget} tokens" if decision.thinking_budget else ""
    state.out.print(
        line((f"{decision.tier.value}{thinking}", "bold"), f"  (score {decision.score:.3f})")
    )
    task = decision.task_class
    state.out.print(
        line(
            "class ",
            (task.name, "bold"),
            f" {task.confidence:.2f} (runner-up {task.runner_up} "
            f"{task.runner_up_confidence:.2f}; {task.scorer})",
        )
    )
    state.out.print(plain(f"policy line: {decision.policy_line}"))
    table = Table("threshold", "value", title=None)
    for name, value in decision.thresholds.items():
        table.add_row(*cells(name, f"{value:.3f}"))
    state.out.print(table)
    for reason in decision.reasons:
        state.out.print(plain(f"  - {reason}"))
    state.out.print(plain(f"policy {decision.policy_version}", "dim"))

"""Extended thinking on a request: the budget as Bedrock is sent it (pure).

Shared by the planner (the request as sent) and cache-aware routing, which must key a
conversation's cached history by the thinking settings it will really be sent with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tierwise.core.rules import fit_thinking_budget
from tierwise.core.signals import thinking_conflict

__all__ = ["DEFAULT_ANSWER_TOKENS", "apply_thinking"]

# Output room left beside a thinking budget when the caller set no maxTokens.
DEFAULT_ANSWER_TOKENS = 4096


def apply_thinking(request: Mapping[str, Any], budget: int) -> dict[str, Any]:
    """``request`` with extended thinking of ``budget`` tokens, unless it already has some
    or Claude would refuse it (:func:`~tierwise.core.signals.thinking_conflict`).

    A caller's ``maxTokens`` caps thinking and answer together, as both APIs count thinking
    in it (the router's budget already fits inside it); without one the answer keeps its
    default room on top of the budget. Claude's thinking mode does not accept a changed
    temperature or top_p, so those are dropped.
    """
    fields = dict(request.get("additionalModelRequestFields") or {})
    if "thinking" in fields or thinking_conflict(request.get("messages") or ()):
        return dict(request)
    inference = dict(request.get("inferenceConfig") or {})
    cap = inference.get("maxTokens")
    budget = fit_thinking_budget(budget, None if cap is None else int(cap))
    if not budget:
        return dict(request)
    if cap is None:
        inference["maxTokens"] = budget + DEFAULT_ANSWER_TOKENS
    fields["thinking"] = {"type": "enabled", "budget_tokens": budget}
    inference.pop("temperature", None)
    inference.pop("topP", None)
    return {**request, "additionalModelRequestFields": fields, "inferenceConfig": inference}

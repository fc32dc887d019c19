"""Sampling parameters Claude on Bedrock refuses together, settled before a call is sent.

Claude Sonnet 4.5 and later, Haiku 4.5 and later and Opus 4.1 and later answer a request
that sets both ``temperature`` and ``top_p`` with a 400 ("`temperature` and `top_p` cannot
both be specified for this model. Please use only one."). Many OpenAI and Anthropic clients
send both by default, so tierwise keeps ``temperature`` (the parameter Anthropic recommends
adjusting) and drops ``topP``, and says so (``x-tierwise-dropped: top_p`` on the gateway,
``tierwise.dropped`` in Python results). Older models take both and keep both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tierwise.core.catalog import parse_claude_id
from tierwise.core.mappings import is_mapping
from tierwise.core.preflight import LONG_CONTEXT_BETA
from tierwise.core.rules import fit_thinking_budget
from tierwise.core.tiers import Tier

__all__ = [
    "refuses_temperature_with_top_p",
    "settle_adaptive_thinking",
    "settle_long_context",
    "settle_sampling",
]

# Budgeted thinking that stands in for adaptive thinking on a model without it, and the room
# left for the answer when the caller set no maxTokens (thinking counts inside maxTokens).
ADAPTIVE_FALLBACK_BUDGET = 4096
_ANSWER_ROOM = 4096

# The first version of each family that refuses temperature together with top_p.
_FIRST_REFUSING: dict[Tier, tuple[int, ...]] = {
    Tier.HAIKU: (4, 5),
    Tier.SONNET: (4, 5),
    Tier.OPUS: (4, 1),
}


def refuses_temperature_with_top_p(model_id: str) -> bool:
    """Whether Claude ``model_id`` (a model, profile ID or ARN) refuses both at once."""
    parsed = parse_claude_id(model_id)
    return parsed is not None and parsed.version >= _FIRST_REFUSING[parsed.tier]


def settle_sampling(
    request: Mapping[str, Any], model_ids: Iterable[str]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``request`` without ``topP`` when it also sets ``temperature`` and any of
    ``model_ids`` (every model the request may reach) refuses both, and the names of the
    dropped parameters in the API spelling users know (``top_p``)."""
    inference = request.get("inferenceConfig")
    if not is_mapping(inference):
        return dict(request), ()
    if inference.get("temperature") is None or inference.get("topP") is None:
        return dict(request), ()
    if not any(refuses_temperature_with_top_p(m) for m in model_ids):
        return dict(request), ()
    kept = {k: v for k, v in inference.items() if k != "topP"}
    return {**request, "inferenceConfig": kept}, ("top_p",)


def settle_adaptive_thinking(
    request: Mapping[str, Any], model_ids: Iterable[str], takes_adaptive: Callable[[str], bool]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``request`` with ``thinking: {"type": "adaptive"}`` replaced by budgeted thinking when
    a model it may reach has no adaptive mode (Claude 4.5 refuses it; Opus and Sonnet 4.6
    take it), and ``("adaptive_thinking",)`` when it was replaced. The budget fits inside the
    caller's ``maxTokens``; without room for one, thinking is left off."""
    extra = request.get("additionalModelRequestFields")
    thinking = extra.get("thinking") if is_mapping(extra) else None
    if not is_mapping(thinking) or thinking.get("type") != "adaptive":
        return dict(request), ()
    models = list(model_ids)
    if models and all(takes_adaptive(m) for m in models):
        return dict(request), ()
    assert is_mapping(extra)
    inference = dict(request.get("inferenceConfig") or {})
    cap = inference.get("maxTokens")
    budget = fit_thinking_budget(ADAPTIVE_FALLBACK_BUDGET, cap if isinstance(cap, int) else None)
    fields = {k: v for k, v in extra.items() if k != "thinking"}
    if budget:
        fields["thinking"] = {"type": "enabled", "budget_tokens": budget}
        if cap is None:
            inference["maxTokens"] = budget + _ANSWER_ROOM
    settled: dict[str, Any] = {**request, "additionalModelRequestFields": fields}
    if inference:
        settled["inferenceConfig"] = inference
    if not fields:
        settled.pop("additionalModelRequestFields")
    return settled, ("adaptive_thinking",)


def settle_long_context(
    request: Mapping[str, Any], model_ids: Iterable[str], takes_it: Callable[[str], bool]
) -> dict[str, Any]:
    """``request`` without the 1M-context beta when no model of this attempt
    (``model_ids``) takes it: Bedrock refuses the beta there ("invalid beta flag"), so a
    request routed or escalated to such a model would fail for a header it does not need. A
    prompt that does need the larger window was moved to a model that takes it, or refused
    before any call (:func:`~tierwise.core.preflight.check_fits` reads the beta per model).
    When some of the attempt's profiles take it, it stays: a prompt that needs it is then
    sent only to those (the engine's ``fitting``), which stripping it would prevent."""
    extra = request.get("additionalModelRequestFields")
    betas = extra.get("anthropic_beta") if is_mapping(extra) else None
    if not isinstance(betas, list) or LONG_CONTEXT_BETA not in betas:
        return dict(request)
    if any(takes_it(m) for m in model_ids):
        return dict(request)
    assert is_mapping(extra)
    kept = [b for b in betas if b != LONG_CONTEXT_BETA]
    fields = {k: v for k, v in extra.items() if k != "anthropic_beta"}
    if kept:
        fields["anthropic_beta"] = kept
    settled: dict[str, Any] = {**request, "additionalModelRequestFields": fields}
    if not fields:
        settled.pop("additionalModelRequestFields")
    return settled

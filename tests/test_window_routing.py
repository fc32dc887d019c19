"""Routing free to choose sends a request only to a tier whose model can take it: a prompt
over the routed tier's context window moves up to the first tier whose window fits (said in
the route's reasons), and cache-aware routing offers no tier that cannot take it."""

from __future__ import annotations

from typing import Any

from tierwise.cache_router import CacheRouter
from tierwise.cache_state import MemoryCacheState
from tierwise.config import Settings, load_settings
from tierwise.core.hints import Hints
from tierwise.core.pricing import Usage
from tierwise.core.tiers import Tier
from tierwise.engine.plan import Planner

DOC = "Policy 4.2: refunds on annual plans are prorated by month and go to the original. " * 12000
# A labelling request the router sends to Haiku, with ~246k tokens of reference material:
# over Haiku 4.5's and Opus 4.5's 200k windows, within Sonnet 4.6's 1M.
REQUEST: dict[str, Any] = {
    "system": [{"text": "You label support tickets with one label only: billing, technical, "
                        "account. Reference policies:\n" + DOC}],
    "messages": [{"role": "user", "content": [{"text": "Ticket: the app will not start."}]}],
}  # fmt: skip
OVER_HAIKU = (
    "moved up to sonnet: on haiku, the prompt is about 246,035 tokens, over Claude Haiku 4.5's "
    "context window of 200,000 tokens"
)


def _settings() -> Settings:
    overrides = {"tiers.sonnet.model_id": "global.anthropic.claude-sonnet-4-6"}
    return load_settings(None, overrides=overrides, environ={}).settings


def test_a_prompt_over_the_routed_tiers_window_moves_up_to_one_that_fits() -> None:
    # It went to Haiku and Bedrock refused it ("Input is too long for requested model").
    settings = _settings()
    assert Planner(settings).route(REQUEST).tier is Tier.HAIKU
    plan = Planner(settings).plan("auto", REQUEST)
    assert plan.tier is Tier.SONNET
    assert plan.route_record()["reasons"][-1] == OVER_HAIKU
    # Not above the caller's ceiling: then it stays, to be refused before Bedrock.
    capped = Planner(settings).plan("auto", REQUEST, Hints(max_tier=Tier.HAIKU))
    assert capped.tier is Tier.HAIKU


def test_cache_aware_routing_offers_no_tier_that_cannot_take_the_request() -> None:
    # Opus's cache is warm for this prompt, but Opus 4.5's window is 200k: moving there (a
    # 500k-token prompt once was) ends in Bedrock's refusal.
    settings = _settings()
    router = CacheRouter(settings, MemoryCacheState())
    router.learn(
        REQUEST, Tier.OPUS, settings.tier(Tier.OPUS).model_id, Usage(cache_write_5m=200_000)
    )
    choice = router.choose(Planner(settings).route(REQUEST), REQUEST, None)
    assert choice is not None
    assert [o.tier for o in choice.options] == [Tier.HAIKU, Tier.SONNET]
    assert choice.reason.endswith(
        "opus left out: the prompt is about 246,035 tokens, over Claude Opus 4.5's context "
        "window of 200,000 tokens"
    )


def test_the_1m_beta_is_left_off_for_a_model_that_does_not_take_it(tw: Any) -> None:
    """Bedrock refuses the context-1m beta on Haiku 4.5 and Opus 4.5 ("invalid beta flag"):
    a request that carries it but fits their window is sent without it there, and keeps it
    on Sonnet 4.5, which takes it."""
    beta = {"anthropic_beta": ["context-1m-2025-08-07", "interleaved-thinking-2025-05-14"]}
    for model in ("haiku", "opus", "sonnet"):
        response = tw.converse(
            modelId=model,
            messages=[{"role": "user", "content": [{"text": "Classify: charged twice"}]}],
            inferenceConfig={"maxTokens": 20},
            additionalModelRequestFields=beta,
        )
        assert response["output"]["message"]["content"], model

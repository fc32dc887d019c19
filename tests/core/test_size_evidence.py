"""Size alone lifts no request into the thinking band or Opus (the router as shipped).

A long agent conversation, a pasted log or a 30k-token set of retrieved passages raises
every tier's price; it does not by itself make the cheaper tier fail. Before, the learned
model read the pasted material (its length and number-density features took a log for a
hard task) and the size weights (big_input, conversation, passage) counted on their own, so
"thanks! here is the next log:" got a thinking budget and a RAG question over 16 passages
went to Opus. ``OLD`` is the packaged policy with both changes turned off, which is the
router before them: each scenario asserts it lifted there.
"""

from __future__ import annotations

import random
from dataclasses import replace
from functools import cache
from typing import Any

import pytest

from tierwise.client import load_class_scorer, load_scorer
from tierwise.config import load_settings
from tierwise.core.difficulty import DifficultyScorer
from tierwise.core.routing import ClassScorer, Decision, RoutingPolicy, decide
from tierwise.core.tiers import Tier


@cache
def _router() -> tuple[RoutingPolicy, DifficultyScorer | None, ClassScorer | None]:
    settings = load_settings(environ={}).settings
    return settings.routing_policy(), load_scorer(settings), load_class_scorer(settings)


def route(request: dict[str, Any], *, old: bool = False) -> Decision:
    policy, difficulty, classes = _router()
    if old:
        policy = replace(policy, scorer_material_chars=0, size_needs_difficulty_cue=False)
    return decide(request, policy=policy, scorer=difficulty, class_scorer=classes)


def _log(rng: random.Random, lines: int) -> str:
    return "\n".join(
        f"2026-11-{rng.randint(1, 28):02d}T12:{i % 60:02d}:00Z host-{rng.randint(1, 40)} "
        f"{rng.choice(['ERROR', 'WARN', 'INFO'])} request to ledger-db timed out after "
        f"{rng.randint(100, 9000)} ms (pool exhausted, {rng.randint(1, 64)} waiters)"
        for i in range(lines)
    )


def _conversation(last: str) -> dict[str, Any]:
    """An incident investigation 11 messages deep (~22k tokens), each follow-up pasting new
    tool output, ending with ``last`` and one more log."""
    rng = random.Random(7)
    first = f"Incident 41: here is the log. Help me investigate.\n\n{_log(rng, 500)}"
    messages: list[dict[str, Any]] = [{"role": "user", "content": [{"text": first}]}]
    for turn in ("ok, more output:", "and this:", "more from the other region:", "next:"):
        messages.append({"role": "assistant", "content": [{"text": "Noted; go on."}]})
        messages.append({"role": "user", "content": [{"text": f"{turn}\n\n{_log(rng, 60)}"}]})
    messages.append({"role": "assistant", "content": [{"text": "Noted; go on."}]})
    messages.append({"role": "user", "content": [{"text": f"{last}\n\n{_log(rng, 60)}"}]})
    return {"messages": messages}


def _passages(count: int) -> str:
    rng = random.Random(3)
    topics = ["SSO", "billing", "webhooks", "exports", "audit logs", "rate limits"]
    out = []
    for n in range(1, count + 1):
        topic = topics[n % len(topics)]
        body = " ".join(
            f"Rule {n}.{i}: {topic} settings apply to every workspace of the account; admins "
            f"change them from the console and changes apply within {rng.randint(1, 30)} "
            "minutes."
            for i in range(1, 60)
        )
        out.append(f"[{n}] {body}")
    return "\n\n".join(out)


@pytest.mark.parametrize(
    ("follow_up", "tier"),
    [
        ("thanks! here is the next log:", Tier.SONNET),
        # A list asked for one per line is a small answer (the class stage's round 6): an
        # extraction, Haiku's work, however long the log and the conversation before it.
        ("List the hosts that logged errors in this log, one per line:", Tier.HAIKU),
    ],
)
def test_a_long_agent_conversations_short_follow_up_gets_no_lift_from_its_size(
    follow_up: str, tier: Tier
) -> None:
    request = _conversation(follow_up)
    before = route(request, old=True)
    assert before.tier is Tier.OPUS or before.thinking_budget  # what the size lifted, before

    d = route(request)
    policy = _router()[0]
    assert d.signals["input_tokens"] > policy.big_input_tokens
    assert d.signals["message_count"] > policy.deep_conversation_messages
    assert (d.tier, d.thinking_budget) == (tier, None)
    assert d.score < policy.sonnet_thinking_threshold
    # The size evidence is still explained, at weight 0.
    assert d.scores["rule.big_input"] == 0.0
    assert d.scores["rule.conversation"] == 0.0
    assert any("size only, not counted without a difficulty cue" in r for r in d.reasons)


def test_a_rag_question_over_30k_tokens_of_passages_stays_rag_qa_on_sonnet() -> None:
    request = {
        "system": [
            {
                "text": "You are Acme Cloud's support assistant. Answer the customer's "
                "question using only the retrieved passages below, and cite the passages "
                "you used by number.\n\n" + _passages(20)
            }
        ],
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "text": "How long does an SSO change take to apply, and what should "
                        "the admin check if it has not applied yet?"
                    }
                ],
            }
        ],
    }
    before = route(request, old=True)
    assert before.tier is Tier.OPUS or before.thinking_budget

    d = route(request)
    assert d.signals["input_tokens"] > 30_000
    assert d.signals["passages"] == 20
    assert d.task_class.name == "rag_qa"
    assert (d.tier, d.thinking_budget) == (Tier.SONNET, None)
    assert d.scores["rule.passage"] == 0.0


@pytest.mark.parametrize(
    "ask",
    [
        "Two of these logs contradict the timeline in the first one. Reconcile them and write "
        "the post-mortem: timeline, root cause, contributing factors, and three concrete "
        "remediations with owners, reasoning from all the logs so far:",
        "Now design a change to the connection pooling that prevents this under 10x load, "
        "comparing two approaches, their trade-offs and failure modes, using this output:",
    ],
)
def test_a_hard_long_request_still_gets_thinking_or_opus(ask: str) -> None:
    d = route(_conversation(ask))
    assert d.tier is Tier.OPUS or (d.tier is Tier.SONNET and d.thinking_budget)
    assert d.task_class.name in ("complex_analysis", "research_synthesis")


def test_with_a_difficulty_cue_size_still_counts() -> None:
    d = route(
        _conversation(
            "Three of these logs contradict each other. Reconcile them into one timeline:"
        )
    )
    assert d.scores["rule.reconcile"] > 0
    assert d.scores["rule.big_input"] > 0
    assert d.scores["rule.conversation"] > 0

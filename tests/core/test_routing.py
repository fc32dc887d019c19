"""The routing decision: each rule and hint, the thinking band, determinism, and a table of
realistic prompts across the three classes of the decision boundary (issue 3, section 1).

The learned model is replaced by a constant scorer where a test needs one: it is an input of
the pure function, so the decision boundary is tested without depending on trained weights.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from tierwise.config import load_settings
from tierwise.core.hints import Hints
from tierwise.core.routing import (
    Decision,
    DifficultyScorer,
    RoutingPolicy,
    decide,
    instructions,
    score_only,
    scorer_text,
)
from tierwise.core.rules import SIZE_EVIDENCE
from tierwise.core.signals import extract_signals
from tierwise.core.taxonomy import DEFAULT_CLASS_RULES, ClassRule
from tierwise.core.tiers import Tier
from tierwise.errors import ConfigError, InvalidRequestError

POLICY = RoutingPolicy()


class ConstantScorer:
    """A difficulty scorer that always says ``value`` and remembers what it read."""

    def __init__(self, value: float, version: str = "stub-v0") -> None:
        self.value = value
        self.version = version
        self.seen: list[str] = []

    def score(self, text: str) -> float:
        self.seen.append(text)
        return self.value


# --- realistic prompts ---------------------------------------------------------------------


def user(text: str, **extra: Any) -> dict[str, Any]:
    """A one-turn Converse request."""
    return {"messages": [{"role": "user", "content": [{"text": text}]}], **extra}


def _passages(n: int, topic: str) -> str:
    return "\n\n".join(
        f"Passage {i}: {topic} report {i} states that the figure for the period was "
        f"{100 + 7 * i} units, citing internal ledger entries and a regional audit."
        for i in range(1, n + 1)
    )


def _python_module(lines: int) -> str:
    body = []
    for i in range(lines // 4):
        body += [
            f"def handler_{i}(request):",
            f"    value = CONFIG.get('key_{i}')",
            f"    return process(request, value, retries={i % 5})",
            "",
        ]
    return "```python\nfrom app.config import CONFIG\n" + "\n".join(body) + "\n```"


_TRACEBACK = """Traceback (most recent call last):
  File "app.py", line 3, in <module>
    from flask_sqlalchemy import SQLAlchemy
ModuleNotFoundError: No module named 'flask_sqlalchemy'"""

_TRANSCRIPT = "\n".join(
    f"{speaker}: {line}"
    for speaker, line in [
        ("Dana", "Let's confirm the launch date for the mobile release."),
        ("Priya", "QA needs one more week for the payment flow regression tests."),
        ("Dana", "Then we move launch to the 14th and tell marketing today."),
        ("Luis", "I'll update the status page and the changelog."),
    ]
)

_AGENT_REQUEST: dict[str, Any] = {
    "system": [{"text": "You are a travel assistant. Use the tools to answer."}],
    "toolConfig": {
        "tools": [
            {"toolSpec": {"name": "search_flights", "inputSchema": {"json": {}}}},
            {"toolSpec": {"name": "get_weather", "inputSchema": {"json": {}}}},
        ]
    },
    "messages": [
        {
            "role": "user",
            "content": [
                {
                    "text": "Find me a flight to Lisbon next Friday and "
                    "tell me whether I should pack a raincoat."
                }
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"toolUse": {"toolUseId": "t1", "name": "search_flights", "input": {"to": "LIS"}}}
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": "t1",
                        "content": [
                            {
                                "json": {
                                    "flights": [{"id": "TP123", "depart": "09:10", "price": 212}]
                                }
                            }
                        ],
                    }
                }
            ],
        },
    ],
}

_PRODUCTION_AGENT: dict[str, Any] = {
    "toolConfig": {
        "tools": [
            {"toolSpec": {"name": "run_sql", "inputSchema": {"json": {}}}},
            {"toolSpec": {"name": "delete_records", "inputSchema": {"json": {}}}},
        ]
    },
    "messages": [
        {
            "role": "user",
            "content": [
                {
                    "text": "Clean up the duplicate customer accounts in "
                    "the production database; keep the newest."
                }
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"toolUse": {"toolUseId": "q1", "name": "run_sql", "input": {"sql": "SELECT ..."}}}
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": "q1",
                        "content": [{"text": "1,204 duplicate groups found"}],
                    }
                }
            ],
        },
    ],
}

HAIKU_CASES: list[tuple[str, dict[str, Any]]] = [
    (
        "ticket-classify",
        user(
            "Classify this support ticket into one of: billing, technical, account.\n\n"
            "Ticket: I was charged twice for my subscription this month and need the duplicate "
            "charge refunded."
        ),
    ),
    (
        "sentiment-label",
        user(
            "What is the sentiment of this review? Respond with only the label (positive, "
            "negative or neutral).\n\nReview: The battery lasts all day but the screen "
            "scratches far too easily."
        ),
    ),
    (
        "spam-yes-no",
        user(
            "Is this email spam? Answer yes or no.\n\nFrom: prize-dept@win-big.example\n"
            "Subject: You have WON $1,000,000!!! Click to claim before midnight."
        ),
    ),
    (
        "invoice-extract",
        user(
            "Extract the invoice number, date and total amount from the text below and return "
            "them as JSON.\n\nINVOICE #INV-20931\nDate: 2024-03-14\nBill to: Acme Corp\n"
            "2 x Widget Pro @ $499.00\nShipping: $36.50\nTotal due: $1,034.50"
        ),
    ),
    (
        "ticket-triage",
        user(
            "Triage this incoming ticket: which team should handle it (payments, infra, mobile)"
            " and assign a priority from P1 to P4.\n\n'App crashes on launch after updating "
            "to 5.2 on Android 14.'"
        ),
    ),
    (
        "subject-line",
        user(
            "Write a subject line for an email announcing our new pricing tiers. Keep it under "
            "8 words."
        ),
    ),
    (
        "csv-to-json",
        user(
            "Convert this CSV to JSON:\nname,age,city\nAlice,34,Paris\nBob,29,Berlin\n"
            "Chen,41,Taipei"
        ),
    ),
    (
        "translate-fr",
        user(
            "Translate the following to French: 'Your order has shipped and will arrive on "
            "Tuesday.'"
        ),
    ),
    (
        "blog-title",
        user(
            "Give me a catchy title for a blog post about home composting for people who live "
            "in apartments."
        ),
    ),
    (
        "bulk-label",
        user(
            "For each of the following product names, label it as electronics, clothing or "
            "home:\n1) USB-C charger\n2) wool scarf\n3) ceramic vase\n4) noise-cancelling "
            "headphones"
        ),
    ),
    (
        "entity-pull",
        user(
            "Pull out all the email addresses and phone numbers in this message:\n\nHi, reach "
            "Sam at sam.lee@example.com or +1 415 555 0134, and billing at "
            "billing@example.org."
        ),
    ),
    (
        "system-router",
        {
            "system": [
                {
                    "text": "You are an intent classifier for a bank's help widget. Respond "
                    "with only the category name."
                }
            ],
            **user("I can't log in to my account after resetting my password."),
        },
    ),
]

SONNET_CASES: list[tuple[str, dict[str, Any]]] = [
    (
        "rag-4-passages",
        user(
            "Answer the question using only the passages below and cite them.\n\n"
            + _passages(4, "Warranty")
            + "\n\nQuestion: What is the warranty period for refurbished units?"
        ),
    ),
    (
        "support-reply",
        user(
            "Write a reply to this customer who is upset that their delivery is late: 'I "
            "ordered a birthday gift two weeks ago and it still hasn't arrived. The party is "
            "on Saturday. What are you going to do about it?'"
        ),
    ),
    (
        "draft-blog",
        user(
            "Draft a blog post announcing our new integration with Slack: about 600 words, "
            "friendly tone, with a short how-to section."
        ),
    ),
    (
        "group-by-function",
        user(
            "Write a Python function that takes a list of dictionaries and groups them by a "
            "given key, returning a dict of lists."
        ),
    ),
    (
        "fix-traceback",
        user("I'm getting this error when I run my Flask app. How do I fix it?\n\n" + _TRACEBACK),
    ),
    (
        "summarize-meeting",
        user(
            "Summarize this meeting transcript into decisions and action items:\n\n" + _TRANSCRIPT
        ),
    ),
    (
        "contract-analysis",
        user(
            "Review this contract and explain what the termination clauses mean for us as the "
            "supplier:\n\n12.1 Either party may terminate for convenience with 90 days' "
            "notice.\n12.2 The customer may terminate immediately for material breach."
        ),
    ),
    (
        "onboarding-advice",
        user("What are some good strategies for onboarding new engineers to a team of forty?"),
    ),
    ("agent-step", _AGENT_REQUEST),
    (
        "process-vs-thread",
        user("Explain the difference between a process and a thread, with an example in Go."),
    ),
    (
        "sql-query",
        user(
            "Write a SQL query that returns the top 5 customers by revenue in the last 90 days"
            " from orders(customer_id, amount, created_at)."
        ),
    ),
]

OPUS_CASES: list[tuple[str, dict[str, Any]]] = [
    ("primes-3-mod-4", user("Prove that there are infinitely many primes p ≡ 3 mod 4.")),
    (
        "refactor-module",
        user(
            "Refactor this 400-line module and the 6 files that import it to use dependency "
            "injection instead of the global CONFIG singleton. Keep behaviour identical.\n\n"
            + _python_module(400)
        ),
    ),
    (
        "reconcile-12-reports",
        user(
            "The 12 reports below give conflicting figures for Q3 revenue. Reconcile them and "
            "explain which figure is most reliable.\n\n" + _passages(12, "Revenue")
        ),
    ),
    (
        "recurrence-derive",
        user("Derive a closed form for T(n) = 2T(n/2) + n log n and prove the bound is tight."),
    ),
    (
        "literature-review",
        user(
            "Write a literature review of the last decade of research on length "
            "generalization in transformers, synthesizing across the major approaches."
        ),
    ),
    (
        "distributed-design",
        user(
            "Design a distributed rate limiter for a multi-region API gateway that stays "
            "correct under network partitions. Discuss the consistency model you choose."
        ),
    ),
    (
        "drop-prod-table",
        user(
            "Run the migration that drops the legacy_users table on the production database "
            "tonight; there is no staging copy."
        ),
    ),
    (
        "vendor-sla",
        user(
            "Compare these five vendor proposals and reconcile their conflicting SLA terms, "
            "then recommend one with the trade-offs across cost, uptime and support."
        ),
    ),
    (
        "eigen-proof",
        user(
            "Step by step, find the eigenvalues of the matrix [[2,1],[1,2]] and prove that it "
            "is diagonalizable over the reals."
        ),
    ),
    (
        "py2-migration",
        user(
            "Migrate the codebase from Python 2 to Python 3 across all 40 modules, keeping "
            "the public API stable and explaining each breaking change."
        ),
    ),
    (
        "drug-dosage",
        user(
            "A patient on warfarin 5 mg daily is starting fluconazole. What dosage adjustment "
            "is needed, given the drug interaction?"
        ),
    ),
    ("prod-agent", _PRODUCTION_AGENT),
]

CASES: list[tuple[str, Tier, dict[str, Any]]] = (
    [(name, Tier.HAIKU, req) for name, req in HAIKU_CASES]
    + [(name, Tier.SONNET, req) for name, req in SONNET_CASES]
    + [(name, Tier.OPUS, req) for name, req in OPUS_CASES]
)


def route(
    request: dict[str, Any],
    hints: Hints | None = None,
    policy: RoutingPolicy = POLICY,
    scorer: DifficultyScorer | None = None,
) -> Decision:
    return decide(request, hints=hints, policy=policy, scorer=scorer)


def neutral(text: str = "What are good habits for writing maintainable code?") -> dict[str, Any]:
    return user(text)


@pytest.mark.parametrize("scorer_value", [None, 0.5], ids=["rules-only", "stub-0.5"])
@pytest.mark.parametrize(("name", "expected", "request_"), CASES, ids=[c[0] for c in CASES])
def test_realistic_prompts_land_on_their_class(
    name: str, expected: Tier, request_: dict[str, Any], scorer_value: float | None
) -> None:
    scorer = None if scorer_value is None else ConstantScorer(scorer_value)
    decision = route(request_, scorer=scorer)
    assert decision.tier is expected, decision.reasons
    assert decision.thinking_budget is None, decision.reasons


def test_case_table_covers_each_class_with_ten_or_more_prompts() -> None:
    counts = {tier: sum(1 for _, t, _ in CASES if t is tier) for tier in Tier}
    assert min(counts.values()) >= 10


# --- determinism and output shape ----------------------------------------------------------


@pytest.mark.parametrize(("name", "expected", "request_"), CASES[::4])
def test_same_input_gives_same_decision(
    name: str, expected: Tier, request_: dict[str, Any]
) -> None:
    hints = Hints(max_tier=Tier.SONNET)
    first = route(request_, hints, scorer=ConstantScorer(0.61))
    second = route(json.loads(json.dumps(request_)), hints, scorer=ConstantScorer(0.61))
    assert first == second
    assert json.dumps(first.to_dict(), sort_keys=True) == json.dumps(
        second.to_dict(), sort_keys=True
    )


def test_to_dict_is_json_and_complete() -> None:
    d = route(CASES[0][2]).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["tier"] == "haiku"
    assert d["routed_tier"] == "haiku"
    assert d["thinking_budget"] is None
    assert d["thresholds"] == {"haiku": 0.1, "sonnet_thinking": 0.65, "opus": 0.85}
    assert {"prior", "base_logit", "rules_logit", "final_logit", "final"} <= set(d["scores"])
    assert d["signals"]["cues"] == ["classification", "closed_label_set"]
    assert d["policy_version"] == "rules-v1+cues-v1+prior"
    task = d["task_class"]
    assert task["name"] == "classify" and task["default_tier"] == "haiku"
    assert task["policy_line"] == 'routing.classes.classify = { tier = "haiku" }'
    assert task["runner_up"] != "classify" and task["confidence"] > task["runner_up_confidence"]
    assert 0.0 <= d["score"] <= 1.0


def test_policy_version_names_scorer_and_tuned_policy() -> None:
    assert route(neutral(), scorer=ConstantScorer(0.5, "hashlr-3")).policy_version == (
        "rules-v1+cues-v1+hashlr-3"
    )
    tuned = RoutingPolicy(opus_threshold=0.9)
    version = route(neutral(), policy=tuned).policy_version
    assert version.startswith("rules-v1.") and version.endswith("+prior")
    assert version != route(neutral(), policy=RoutingPolicy(opus_threshold=0.85)).policy_version


def test_scores_add_up() -> None:
    d = route(CASES[-1][2], scorer=ConstantScorer(0.4))
    s = d.scores
    assert math.isclose(s["final_logit"], s["base_logit"] + s["rules_logit"])
    assert math.isclose(d.score, 1 / (1 + math.exp(-s["final_logit"])))
    rule_sum = sum(v for k, v in s.items() if k.startswith("rule."))
    assert math.isclose(rule_sum, s["rules_logit"])


# --- the learned score --------------------------------------------------------------------


def test_no_scorer_uses_the_prior_and_says_so() -> None:
    d = route(neutral())
    assert d.score == pytest.approx(POLICY.prior)
    assert d.reasons[1] == "no learned difficulty model: neutral prior 0.50"
    assert d.tier is Tier.SONNET
    assert d.task_class.name == "general_qa"
    assert "difficulty 0.50 keeps the class default sonnet" in d.reasons


@pytest.mark.parametrize(
    ("value", "tier"), [(0.02, Tier.HAIKU), (0.5, Tier.SONNET), (0.98, Tier.OPUS)]
)
def test_learned_score_alone_moves_a_neutral_prompt_one_tier(value: float, tier: Tier) -> None:
    d = route(neutral(), scorer=ConstantScorer(value))
    assert d.tier is tier
    assert d.class_tier is Tier.SONNET
    assert d.scores["learned"] == value
    assert d.reasons[1].startswith(f"learned difficulty {value:.2f}")


def test_difficulty_moves_at_most_one_tier_from_the_class_default() -> None:
    classify = CASES[0][2]
    assert route(classify).class_tier is Tier.HAIKU
    assert route(classify, scorer=ConstantScorer(0.999999)).tier is Tier.SONNET
    proof = OPUS_CASES[0][1]
    assert route(proof).class_tier is Tier.OPUS
    assert route(proof, scorer=ConstantScorer(0.000001)).tier is Tier.SONNET


def test_learned_center_recentres_the_model() -> None:
    # A model whose typical output is 0.3 saying 0.3 means "average": Sonnet, at the prior.
    policy = RoutingPolicy(learned_center=0.3)
    d = route(neutral(), policy=policy, scorer=ConstantScorer(0.3))
    assert d.score == pytest.approx(0.5)
    assert route(neutral(), scorer=ConstantScorer(0.3)).score < 0.5


def test_learned_weight_zero_ignores_the_model() -> None:
    policy = RoutingPolicy(learned_weight=0.0)
    assert route(neutral(), policy=policy, scorer=ConstantScorer(0.99)).tier is Tier.SONNET


@pytest.mark.parametrize(("name", "expected", "request_"), CASES[::3])
def test_tier_never_falls_as_learned_score_rises(
    name: str, expected: Tier, request_: dict[str, Any]
) -> None:
    ranks = [route(request_, scorer=ConstantScorer(v / 20)).tier.rank for v in range(21)]
    assert ranks == sorted(ranks)


def test_scorer_reads_bounded_user_text_plus_some_system() -> None:
    long_text = "Question at the start. " + "filler words " * 5000 + "Question at the end?"
    request = {"system": [{"text": "S" * 2000}], **user(long_text)}
    scorer = ConstantScorer(0.5)
    route(request, scorer=scorer)
    (seen,) = scorer.seen
    assert seen.startswith("Question at the start.")
    assert "Question at the end?" in seen
    limit = POLICY.scorer_max_chars + 1 + 2 + POLICY.scorer_context_chars
    assert len(seen) == limit
    assert seen == scorer_text(extract_signals(request), POLICY)


def test_scorer_reads_the_instructions_not_the_pasted_material() -> None:
    log = "\n".join(f"2026-11-0{i % 9 + 1}T12:00:00Z host-{i} ERROR timed out" for i in range(80))
    doc = "Section 1. " + "Rule: settings apply to every workspace. " * 60
    request = {
        "system": [{"text": f"You answer from this documentation.\n\n{doc}"}],
        **user(f"Which hosts failed? Here is the log:\n\n{log}\n\nOne per line, please."),
    }
    scorer = ConstantScorer(0.5)
    route(request, scorer=scorer)
    (seen,) = scorer.seen
    assert seen == (
        "Which hosts failed? Here is the log:\n\nOne per line, please.\n\n"
        "You answer from this documentation."
    )
    # A paragraph of material keeps its "...:" caption; a turn that is all material, or
    # scorer_material_chars = 0, is read as is.
    assert instructions(f"List the hosts that logged errors:\n{log}", 1000) == (
        "List the hosts that logged errors:"
    )
    assert instructions(log, 1000) == log
    assert instructions(f"Hi.\n\n{log}", 0) == f"Hi.\n\n{log}"
    everything = RoutingPolicy(scorer_material_chars=0)
    assert log in scorer_text(extract_signals(request), everything)


def test_size_alone_lifts_nothing() -> None:
    # Size evidence counts only alongside a difficulty cue: alone it is listed at weight 0.
    big = user("Summarize:\n" + "word " * 25_000)
    d = route(big, scorer=ConstantScorer(0.6))
    assert d.scores["rule.big_input"] == 0.0
    assert any(
        r.startswith("large input (~")
        and r.endswith("tokens): size only, not counted without a difficulty cue (+0.0)")
        for r in d.reasons
    )
    on_its_own = route(
        big, scorer=ConstantScorer(0.6), policy=RoutingPolicy(size_needs_difficulty_cue=False)
    )
    assert on_its_own.scores["rule.big_input"] == POLICY.w("big_input")
    assert on_its_own.score > d.score
    # With a difficulty cue, more sources to reconcile count.
    reconcile = route(user("These 12 reports conflict. Reconcile them.\n" + _passages(12, "R")))
    assert reconcile.scores["rule.passage"] == POLICY.w("passages_cap")


def test_out_of_range_scores_are_clamped_and_nan_is_an_error() -> None:
    assert route(neutral(), scorer=ConstantScorer(1.7)).scores["learned"] == 1.0
    assert route(neutral(), scorer=ConstantScorer(-0.2)).tier is Tier.HAIKU
    with pytest.raises(ConfigError, match="NaN"):
        route(neutral(), scorer=ConstantScorer(float("nan")))


def test_score_only_matches_decide_without_hints() -> None:
    for _, _, request in CASES[::5]:
        scorer = ConstantScorer(0.37)
        assert score_only(request, POLICY, scorer) == route(request, scorer=scorer).score
        assert score_only(request, POLICY) == route(request).score


# --- each rule ----------------------------------------------------------------------------

_MANY_MESSAGES: dict[str, Any] = {
    "messages": [
        {"role": "user" if i % 2 == 0 else "assistant", "content": [{"text": f"turn {i}"}]}
        for i in range(15)
    ]
}
_TOOLS = {
    "toolConfig": {
        "tools": [
            {"toolSpec": {"name": f"tool_{i}", "inputSchema": {"json": {}}}} for i in range(12)
        ]
    }
}
_IMAGE = {
    "messages": [
        {
            "role": "user",
            "content": [
                {"image": {"format": "png", "source": {"bytes": b"\x89PNG" * 300}}},
                {"text": "What does this chart show?"},
            ],
        }
    ]
}

RULE_CASES: list[tuple[str, dict[str, Any], float]] = [
    ("classification", user("Classify this review by product area."), -1.5),
    ("closed_label_set", user("Pick one of: alpha, beta, gamma."), -1.5),
    ("yes_no", user("Answer yes or no: does the policy allow pets?"), -1.5),
    ("json_keys", user("Read the note and return JSON with keys city and date."), -1.5),
    ("triage", user("Triage this bug report for the on-call engineer."), -1.2),
    ("extraction", user("Extract every date mentioned in this letter."), -1.2),
    ("short_form", user("Suggest a headline for this article about tides."), -1.5),
    ("format_conversion", user("Convert these records to YAML."), -1.0),
    ("bulk", user("For each line below return its language."), -0.5),
    ("short_output", user("Who wrote Hamlet?", inferenceConfig={"maxTokens": 20}), -1.5),
    ("long_output", user("Explain TCP.", inferenceConfig={"maxTokens": 16000}), 0.5),
    ("proof", user("Prove the statement for all n."), 2.0),
    ("multi_step_math", user("Step by step, evaluate the integral of x e^x."), 1.5),
    ("math", user("Find the eigenvalues of [[1,2],[3,4]]."), 0.5),
    ("reconcile", user("The two accounts conflict; reconcile them."), 1.5),
    ("research", user("Draft a research report on soil carbon."), 1.5),
    ("architecture", user("Design a scalable distributed cache for sessions."), 1.5),
    ("high_stakes", user("Apply the change to the production database now."), 2.0),
    ("large_refactor", user("Refactor the billing module and the 5 files using it."), 1.5),
    ("passage", user(_passages(9, "Sales")), 4 * 0.3),
    ("large_code", user("Explain this module:\n" + _python_module(400)), 0.5),
    ("big_input", user("Summarize:\n" + "word " * 20_000), 0.5),
    ("images", _IMAGE, 0.3),
    ("many_tools", {**_TOOLS, **user("Help me plan the release.")}, 0.3),
    ("conversation", _MANY_MESSAGES, 0.5),
]


@pytest.mark.parametrize(("key", "request_", "logit"), RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_each_rule_adds_its_weight(key: str, request_: dict[str, Any], logit: float) -> None:
    # Size weights are measured with size counting on its own (they need a difficulty cue
    # by default: test_size_alone_lifts_nothing).
    size_alone = RoutingPolicy(size_needs_difficulty_cue=False)
    policy = size_alone if key in SIZE_EVIDENCE else POLICY
    d = route(request_, policy=policy)
    assert d.scores[f"rule.{key}"] == pytest.approx(logit)
    # The weight is live: zeroing it in the policy removes its effect on the score.
    weight_key = {"conversation": "conversation_cap", "passage": "passage"}.get(key, key)
    silenced = route(
        request_,
        policy=RoutingPolicy(
            weights={weight_key: 0.0}, size_needs_difficulty_cue=policy.size_needs_difficulty_cue
        ),
    )
    assert silenced.scores["rules_logit"] == pytest.approx(d.scores["rules_logit"] - logit)


def test_passage_weight_is_capped() -> None:
    d = route(user(_passages(40, "Audit")), policy=RoutingPolicy(size_needs_difficulty_cue=False))
    assert d.scores["rule.passage"] == pytest.approx(POLICY.w("passages_cap"))
    assert "40 retrieved passages to read and combine (+1.2)" in d.reasons


def test_reasons_name_what_was_found() -> None:
    assert any(
        r.startswith("short classification prompt with a closed label set")
        for r in route(CASES[0][2]).reasons
    )
    reconcile = route(user("These 12 reports conflict. Reconcile them.\n" + _passages(12, "R")))
    assert "12 retrieved passages to reconcile (+1.2)" in reconcile.reasons
    assert "proof or derivation requested (+2.0)" in route(OPUS_CASES[0][1]).reasons
    refactor = route(OPUS_CASES[1][1]).reasons
    assert any(r.startswith("refactor across 6 files and 301 lines of code") for r in refactor)
    agent = route(_PRODUCTION_AGENT).reasons
    assert any("irreversible tools (run_sql, delete_records)" in r for r in agent)
    assert route(SONNET_CASES[0][1]).reasons[0].startswith("task class rag_qa")


def test_refactor_alone_is_routine() -> None:
    d = route(
        user(
            "Refactor this function to use a list comprehension:\n"
            "```python\nout = []\nfor x in xs:\n    out.append(x * 2)\n```"
        )
    )
    assert "rule.large_refactor" not in d.scores
    assert d.tier is Tier.SONNET


def test_destructive_tools_need_an_agent_step() -> None:
    tools = {
        "toolConfig": {
            "tools": [{"toolSpec": {"name": "delete_user", "inputSchema": {"json": {}}}}]
        }
    }
    offered = route({**tools, **user("List the users created today.")})
    assert "rule.destructive_tools" not in offered.scores
    assert "rule.destructive_tools" in route(_PRODUCTION_AGENT).scores


def test_class_policy_line_changes_the_tier_with_one_line() -> None:
    text = "Translate this into German: 'The meeting moved to Thursday.'"
    assert route(user(text)).task_class.name == "translate"
    assert route(user(text)).tier is Tier.HAIKU
    from tierwise.core.taxonomy import ClassRule

    moved = RoutingPolicy(classes={"translate": ClassRule(Tier.SONNET)})
    d = route(user(text), policy=moved)
    assert d.tier is Tier.SONNET
    assert d.policy_line == 'routing.classes.translate = { tier = "sonnet" }'


def test_unknown_class_in_policy_is_a_config_error() -> None:
    from tierwise.core.taxonomy import ClassRule

    with pytest.raises(ConfigError, match="unknown task class"):
        RoutingPolicy(classes={"translation": ClassRule(Tier.SONNET)})


def test_uncertain_class_between_tiers_takes_sonnet() -> None:
    from tierwise.core.taxonomy import ClassRule

    runner_up = route(CASES[0][2]).task_class.runner_up
    policy = RoutingPolicy(class_min_confidence=0.99, classes={runner_up: ClassRule(Tier.OPUS)})
    d = route(CASES[0][2], policy=policy)
    assert d.class_tier is Tier.SONNET
    assert d.policy_line == "routing.class_min_confidence = 0.99"
    assert "is uncertain" in d.reasons[0]


def test_class_thinking_budget_applies_on_its_tier() -> None:
    from tierwise.core.taxonomy import ClassRule

    text = (
        "A train leaves at 3pm at 80 km/h; another at 4pm at 100 km/h. "
        "Calculate when the second catches up."
    )
    # These tests route with the cue classifier, whose posterior is flat (math well under
    # class_min_confidence): an uncertain class's budget would not apply, so the check is off.
    sure = {"class_min_confidence": 0.0}
    policy = RoutingPolicy(classes={"math": ClassRule(Tier.SONNET, 2048)}, **sure)
    d = route(user(text), policy=policy)
    assert d.task_class.name == "math"
    assert (d.tier, d.thinking_budget) == (Tier.SONNET, 2048)
    plain = RoutingPolicy(classes={"math": ClassRule(Tier.SONNET)}, **sure)
    assert route(user(text), policy=plain).thinking_budget is None


# --- hints --------------------------------------------------------------------------------


def test_force_tier_wins_over_everything() -> None:
    proof = OPUS_CASES[0][1]
    d = route(proof, Hints(force_tier=Tier.HAIKU, min_tier=Tier.OPUS, high_stakes=True))
    assert d.tier is Tier.HAIKU
    assert d.routed_tier is Tier.OPUS
    assert "caller forced tier haiku (routed opus)" in d.reasons
    assert d.thinking_budget is None


def test_min_tier_raises() -> None:
    d = route(CASES[0][2], Hints(min_tier=Tier.SONNET))
    assert (d.routed_tier, d.tier) == (Tier.HAIKU, Tier.SONNET)
    assert "caller required at least sonnet" in d.reasons
    assert d.thinking_budget is None


def test_max_tier_caps_and_gives_sonnet_thinking_instead_of_opus() -> None:
    d = route(OPUS_CASES[0][1], Hints(max_tier=Tier.SONNET))
    assert (d.routed_tier, d.tier) == (Tier.OPUS, Tier.SONNET)
    assert "caller capped max tier at sonnet" in d.reasons
    assert d.thinking_budget == POLICY.thinking_max_budget
    capped = route(OPUS_CASES[0][1], Hints(max_tier=Tier.HAIKU))
    assert capped.tier is Tier.HAIKU and capped.thinking_budget is None
    assert "caller capped max tier at haiku" in capped.reasons


def test_min_and_max_that_do_not_bind_leave_no_reason() -> None:
    d = route(neutral(), Hints(min_tier=Tier.HAIKU, max_tier=Tier.OPUS))
    assert d.tier is Tier.SONNET
    assert not any(r.startswith("caller") for r in d.reasons)


def test_min_above_max_is_rejected() -> None:
    with pytest.raises(InvalidRequestError, match="min tier opus is above max tier haiku"):
        Hints(min_tier=Tier.OPUS, max_tier=Tier.HAIKU)


def test_latency_sensitive_leans_down_and_turns_thinking_off() -> None:
    base = route(neutral(), scorer=ConstantScorer(0.7))
    assert base.thinking_budget is not None
    fast = route(neutral(), Hints(latency_sensitive=True), scorer=ConstantScorer(0.7))
    assert fast.scores["rule.latency_sensitive"] == pytest.approx(-1.0)
    assert fast.score < base.score
    assert fast.thinking_budget is None
    borderline = route(neutral(), Hints(latency_sensitive=True), scorer=ConstantScorer(0.87))
    assert borderline.tier is Tier.SONNET
    assert borderline.thinking_budget is None
    assert "latency-sensitive: extended thinking off" in borderline.reasons
    assert "caller is latency-sensitive (-1.0)" in borderline.reasons


def test_high_stakes_raises_to_opus_by_default() -> None:
    d = route(CASES[0][2], Hints(high_stakes=True))
    assert d.tier is Tier.OPUS
    assert "high-stakes: raised to opus" in d.reasons
    assert d.scores["rule.high_stakes_hint"] == pytest.approx(2.0)


def test_high_stakes_floor_sonnet_thinking() -> None:
    policy = RoutingPolicy(high_stakes_floor="sonnet_thinking")
    d = route(CASES[0][2], Hints(high_stakes=True), policy=policy)
    assert d.tier is Tier.SONNET
    assert d.thinking_budget == policy.thinking_max_budget
    assert "high-stakes: at least sonnet with extended thinking" in d.reasons
    # Already Opus stays Opus.
    assert route(OPUS_CASES[0][1], Hints(high_stakes=True), policy=policy).tier is Tier.OPUS


def test_hints_parse_header_strings() -> None:
    h = Hints.parse({"max_tier": "Sonnet", "latency_sensitive": "true", "force_tier": "auto"})
    assert h == Hints(max_tier=Tier.SONNET, latency_sensitive=True)
    assert Hints.parse({}).empty
    with pytest.raises(InvalidRequestError, match="unknown routing hint"):
        Hints.parse({"max_teir": "opus"})
    with pytest.raises(InvalidRequestError, match="not a boolean"):
        Hints.parse({"high_stakes": "maybe"})
    with pytest.raises(InvalidRequestError, match="unknown tier"):
        Hints.parse({"min_tier": "gpt"})


# --- the thinking band --------------------------------------------------------------------


def test_thinking_budget_scales_across_the_band() -> None:
    budgets = [
        route(neutral(), scorer=ConstantScorer(v)).thinking_budget for v in (0.65, 0.7, 0.75, 0.8)
    ]
    assert all(b is not None for b in budgets)
    values = [b for b in budgets if b is not None]
    assert values == sorted(values) and len(set(values)) == 4
    assert values[0] == POLICY.thinking_min_budget
    assert all(POLICY.thinking_min_budget <= b <= POLICY.thinking_max_budget for b in values)
    d = route(neutral(), scorer=ConstantScorer(0.7))
    assert d.tier is Tier.SONNET
    assert f"sonnet with a {d.thinking_budget:,}-token thinking budget" in d.reasons
    assert route(neutral(), scorer=ConstantScorer(0.64)).thinking_budget is None
    assert route(neutral(), scorer=ConstantScorer(0.85)).tier is Tier.OPUS


def test_budget_bounds_follow_the_policy() -> None:
    policy = RoutingPolicy(thinking_min_budget=2048, thinking_max_budget=4096)
    low = route(neutral(), policy=policy, scorer=ConstantScorer(0.65)).thinking_budget
    high = route(neutral(), policy=policy, scorer=ConstantScorer(0.8499)).thinking_budget
    assert low == 2048
    assert high is not None and 4000 < high <= 4096


def test_thinking_band_can_be_disabled() -> None:
    d = route(neutral(), policy=RoutingPolicy(thinking_band=False), scorer=ConstantScorer(0.7))
    assert (d.tier, d.thinking_budget) == (Tier.SONNET, None)
    assert "thinking band disabled: plain sonnet" in d.reasons


def test_no_thinking_when_sonnet_does_not_support_it() -> None:
    policy = RoutingPolicy(thinking_tiers=frozenset({Tier.OPUS}))
    d = route(neutral(), policy=policy, scorer=ConstantScorer(0.7))
    assert (d.tier, d.thinking_budget) == (Tier.SONNET, None)
    assert "sonnet tier does not support extended thinking: no thinking" in d.reasons


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (
            {
                "toolConfig": {
                    "tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {}}}}],
                    "toolChoice": {"tool": {"name": "f"}},
                }
            },
            "forced tool choice cannot be combined with extended thinking",
        ),
        (
            {"inferenceConfig": {"maxTokens": 800}},
            "maxTokens 800 leaves no room for a thinking budget",
        ),
        (
            {
                "additionalModelRequestFields": {
                    "thinking": {"type": "enabled", "budget_tokens": 2000}
                }
            },
            "request already configures extended thinking",
        ),
    ],
)
def test_requests_that_cannot_take_a_thinking_budget(extra: dict[str, Any], reason: str) -> None:
    d = route({**neutral(), **extra}, scorer=ConstantScorer(0.72))
    assert d.tier is Tier.SONNET
    assert d.thinking_budget is None
    assert reason in d.reasons


# --- policy and config --------------------------------------------------------------------


def test_packaged_defaults_equal_the_core_policy() -> None:
    settings = load_settings(environ={}).settings
    # The packaged policy is centred on the shipped model's typical score (0.25); the core
    # default (0.5) is neutral for an arbitrary scorer.
    assert settings.routing.policy() == RoutingPolicy(learned_center=0.25)
    assert settings.routing.model_path == ""


def test_config_file_overrides_merge_with_default_weights(tmp_path: Path) -> None:
    path = tmp_path / "tierwise.toml"
    path.write_text("[routing]\nopus_threshold = 0.9\n[routing.weights]\nproof = 3.0\n")
    loaded = load_settings(path, environ={})
    policy = loaded.settings.routing.policy(frozenset({Tier.OPUS}))
    assert policy.opus_threshold == 0.9
    assert policy.w("proof") == 3.0
    assert policy.w("classification") == -1.5
    assert policy.thinking_tiers == frozenset({Tier.OPUS})
    assert loaded.source_of("routing.opus_threshold").startswith("file:")


@pytest.mark.parametrize(
    ("toml", "match"),
    [
        ("[routing]\nhaiku_threshold = 0.8\nopus_threshold = 0.7\n", "threshold"),
        ("[routing.weights]\nprooof = 2.0\n", "unknown weight"),
        ("[routing]\nthinking_min_budget = 512\n", "routing.thinking_min_budget"),
        ("[routing]\nhigh_stakes_floor = 'haiku'\n", "routing.high_stakes_floor"),
    ],
)
def test_bad_routing_config_names_the_key(tmp_path: Path, toml: str, match: str) -> None:
    path = tmp_path / "tierwise.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=match):
        load_settings(path, environ={})


def test_core_policy_validates_itself() -> None:
    with pytest.raises(ConfigError, match="thinking_min_budget"):
        RoutingPolicy(thinking_min_budget=9000, thinking_max_budget=8192)
    with pytest.raises(ConfigError, match=r"routing\.prior"):
        RoutingPolicy(prior=1.0)
    with pytest.raises(ConfigError, match="unknown weight"):
        RoutingPolicy(weights={"nope": 1.0})


# --- the lowest tier the quality policy allows (cache-aware routing) -----------------------

DESIGN = user(
    "Design the architecture for a multi-region payments system: compare active-active and "
    "active-passive designs, their failure modes and trade-offs, and plan the migration."
)


def test_a_borderline_opus_class_request_may_run_on_sonnet_with_thinking() -> None:
    d = route(DESIGN, scorer=ConstantScorer(0.3))
    assert d.task_class.name == "complex_analysis" and d.tier is Tier.OPUS
    assert d.score < POLICY.opus_threshold
    assert (d.lowest, d.lowest_thinking_budget) == (Tier.SONNET, POLICY.thinking_max_budget)
    assert d.to_dict()["lowest"] == "sonnet"
    assert 'lowest = "sonnet_thinking"' in d.policy_line


def test_the_lowest_tier_is_withheld_from_hard_hinted_or_forbidding_cases() -> None:
    hard = route(DESIGN, scorer=ConstantScorer(0.95))  # scored hard: not borderline
    assert hard.tier is Tier.OPUS and hard.score >= POLICY.opus_threshold
    assert hard.lowest is None
    for hints in (Hints(high_stakes=True), Hints(min_tier=Tier.OPUS)):
        assert route(DESIGN, hints, scorer=ConstantScorer(0.3)).lowest is None
    assert route(OPUS_CASES[0][1], scorer=ConstantScorer(0.3)).lowest is None  # a proof
    tight = route({**DESIGN, "inferenceConfig": {"maxTokens": 1500}}, scorer=ConstantScorer(0.3))
    assert tight.lowest is None  # no room for a thinking budget: no Sonnet in Opus's place
    forbid = RoutingPolicy(classes={"complex_analysis": ClassRule(Tier.OPUS, lowest="opus")})
    assert route(DESIGN, policy=forbid, scorer=ConstantScorer(0.3)).lowest is None
    measured = RoutingPolicy(
        classes={"complex_analysis": ClassRule(Tier.OPUS, min_tier=Tier.OPUS, lowest="sonnet")}
    )
    assert route(DESIGN, policy=measured, scorer=ConstantScorer(0.3)).lowest is None
    plain = route(neutral(), scorer=ConstantScorer(0.3))
    assert plain.tier is Tier.SONNET and plain.lowest is None  # no lowest on its line


def test_lowest_is_checked_and_one_config_line_forbids_it(tmp_path: Path) -> None:
    # lowest only ever lowers: a line that moves the class's tier down keeps working
    assert ClassRule(Tier.SONNET, lowest="sonnet_thinking").floor() == (Tier.SONNET, False)
    with pytest.raises(ConfigError, match="lowest must be one of"):
        ClassRule(Tier.OPUS, lowest="sonnet-thinking")
    assert DEFAULT_CLASS_RULES["complex_analysis"].floor() == (Tier.SONNET, True)
    assert DEFAULT_CLASS_RULES["proof"].floor() == (Tier.OPUS, False)
    path = tmp_path / "tierwise.toml"
    path.write_text('[routing.classes]\ncomplex_analysis = { tier = "opus", lowest = "opus" }\n')
    policy = load_settings(path, environ={}).settings.routing_policy()
    assert route(DESIGN, policy=policy, scorer=ConstantScorer(0.3)).lowest is None

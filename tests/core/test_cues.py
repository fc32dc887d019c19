"""Cues match whole words and phrases only, and small-answer cues are found (issue 12, Build 4);
the route API reads string content as a text block and refuses what is not content (Build 5)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tierwise.core.routing import RoutingPolicy, decide
from tierwise.core.rules import is_destructive_tool
from tierwise.core.signals import CUE_PATTERNS, extract_signals, normalize_request
from tierwise.errors import InvalidRequestError


def cues(text: str, system: str = "") -> frozenset[str]:
    request: dict[str, Any] = {"messages": [{"role": "user", "content": [{"text": text}]}]}
    if system:
        request["system"] = [{"text": system}]
    return extract_signals(request).cues


# (text, cue that must NOT be found): substrings, hyphenated compounds and near words.
FALSE_POSITIVES = [
    ("Give me 5 comma-separated tags for this water bottle with a leak-proof lid.", "proof"),
    ("Please proofread this paragraph for typos.", "proof"),
    ("How can I improve the onboarding email?", "proof"),
    ("Our shockproof, waterproof case ships in May.", "proof"),
    ("Write a proof-of-concept landing page.", "proof"),
    ("Convert these dates to ISO 8601: 03/04/2024, 12/11/2023, 07/01/2025.", "math"),
    ("Total the prices: $3.99, $12.50, $7.25 and $100.", "math"),
    ("We reinstalled the summary-table plugin.", "summarization"),
    ("My classifieds ad needs a new photo.", "classification"),
    ("The unclassified files are in the archive.", "classification"),
    ("We ran the researcher onboarding.", "research"),
    ("Fix the typo in 'derived_total'.", "proof"),
    ("Set the threadpool size to 8 and the matrixed org chart colour.", "math"),
    ("The retriage meeting moved to Tuesday.", "triage"),
    ("Add the reformatted table to the wiki preface.", "format_conversion"),
    # "plan" as a subscription, or as an intention, is not a planning task.
    ("Why was I charged $12.99 when my plan is $9.99?", "planning"),
    ("I plan to cancel my subscription next month.", "planning"),
]


@pytest.mark.parametrize(("text", "cue"), FALSE_POSITIVES, ids=[c[1] for c in FALSE_POSITIVES])
def test_cues_do_not_fire_inside_other_words(text: str, cue: str) -> None:
    assert cue not in cues(text)


TRUE_POSITIVES = [
    ("Prove that there are infinitely many primes.", "proof"),
    ("Give a proof by induction.", "proof"),
    ("Derive the closed-form expression for the sum.", "proof"),
    ("Classify each message as spam or ham.", "classification"),
    ("These emails were classified wrongly; reclassify them.", "classification"),
    ("Which language is this? 'Dzień dobry'", "classification"),
    ("Summarized notes, please.", "summarization"),
    ("Label: one of [billing, bug, other].", "closed_label_set"),
    ("Answer yes or no.", "yes_no"),
    ("Return JSON with keys name, email and company.", "json_keys"),
    ("Output only valid JSON.", "json_keys"),
    ("Give me 5 comma-separated tags for this water bottle.", "short_form"),
    ("Suggest a title for this blog post.", "short_form"),
    ("Solve x² ≤ 4.", "math"),
    ("Plan a zero-downtime database migration.", "planning"),
    ("Write a project plan for the launch.", "planning"),
    ("Plan out the rollout across three regions.", "planning"),
]


@pytest.mark.parametrize(("text", "cue"), TRUE_POSITIVES, ids=[c[1] for c in TRUE_POSITIVES])
def test_cues_fire_on_whole_words(text: str, cue: str) -> None:
    assert cue in cues(text)


def test_every_cue_pattern_is_word_bounded() -> None:
    # Each cue's own first word, glued to a letter on either side, must not match.
    for name, rx in CUE_PATTERNS.items():
        assert rx.pattern.startswith("(?<![\\w-])"), name
        for probe in ("xproof", "proofx", "leak-proof", "improve"):
            if name == "proof":
                assert not rx.search(probe), (name, probe)


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("Answer in one word: what colour is the sky?", "short"),
        ("Give a one-line description of this PR.", "short"),
        ("Reply with only the label, no explanation.", "short"),
        ("Write a thorough, detailed design document.", "long"),
        ("Tell me about tides.", "normal"),
    ],
)
def test_output_length_cues(text: str, length: str) -> None:
    signals = extract_signals({"messages": [{"role": "user", "content": [{"text": text}]}]})
    assert signals.output_length == length


def test_small_answer_cues_weigh_as_much_as_difficulty_cues() -> None:
    p = RoutingPolicy()
    small = ("closed_label_set", "yes_no", "json_keys", "short_form", "short_output")
    hard = ("reconcile", "research", "architecture", "multi_step_math")
    assert min(abs(p.w(k)) for k in small) >= min(p.w(k) for k in hard)
    labeler = decide(
        {
            "system": [{"text": "You label support tickets. Reply with only the label."}],
            "messages": [
                {
                    "role": "user",
                    "content": [{"text": "Labels: billing, bug, other\n\nIt crashed."}],
                }
            ],
        },
        policy=p,
    )
    assert labeler.scores["rules_logit"] <= -3 * 1.5


def test_leak_proof_tags_do_not_reach_opus() -> None:
    d = decide(
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "text": "Give me 5 comma-separated tags for: Stainless steel water "
                            "bottle, 750 ml, leak-proof lid, keeps drinks cold 24 h."
                        }
                    ],
                }
            ]
        },
        policy=RoutingPolicy(),
    )
    assert d.tier.value != "opus"
    assert "rule.proof" not in d.scores


@pytest.mark.parametrize(
    ("name", "risky"),
    [
        ("delete_records", True),
        ("run_sql", True),
        ("executeShellCommand", True),
        ("transfer_funds", True),
        ("get_wireless_status", False),
        ("search_flights", False),
        ("remove_item", True),
        ("payroll_lookup", False),
        ("send_email", True),  # a sent email cannot be recalled
        ("eggshell_catalog", False),
        ("cancelSubscription", True),
        ("applyMigration", True),
        ("restart-service", True),
        ("revoke_api_key", True),
        ("list_deleted_items", False),
        ("get_dropped_calls", False),
        ("list_payments", False),
    ],
)
def test_destructive_tools_are_whole_words(name: str, risky: bool) -> None:
    assert is_destructive_tool(name) is risky


@pytest.mark.parametrize(
    ("name", "description", "risky"),
    [
        ("upsert_dns", "Deletes or replaces a DNS record; propagates globally.", True),
        ("db", "Execute SQL against the production orders database.", True),
        ("notify", "Sends an SMS to the customer's phone.", True),
        ("archive_project", "Archives a project. This cannot be undone.", True),
        ("run_sql", "Runs read-only SQL on the analytics replica.", False),
        ("lookup", "Payment status for an order.", False),
        ("search_orders", "Search orders; deleted orders are excluded.", False),
    ],
)
def test_tool_descriptions_say_what_a_tool_does(name: str, description: str, risky: bool) -> None:
    assert is_destructive_tool(name, description) is risky


# --- string content -------------------------------------------------------------------------


def test_string_content_is_one_text_block() -> None:
    text = "Classify this ticket into one of: billing, bug, other. It crashed on login."
    as_blocks = {"messages": [{"role": "user", "content": [{"text": text}]}]}
    as_string = {"messages": [{"role": "user", "content": text}]}
    policy = RoutingPolicy()
    assert decide(as_string, policy=policy) == decide(as_blocks, policy=policy)
    signals = extract_signals(as_string)
    assert signals.user_text == text
    assert signals.input_tokens == extract_signals(as_blocks).input_tokens > 10


def test_string_system_is_read() -> None:
    request = {
        "system": "You are a labeler. Reply with only the label.",
        "messages": [{"role": "user", "content": "It crashed."}],
    }
    assert "closed_label_set" in extract_signals(request).cues


def test_long_string_content_is_not_read_a_character_at_a_time() -> None:
    text = "The quarterly report lists revenue, costs and churn by region. " * 1300
    request = {"messages": [{"role": "user", "content": text}]}
    start = time.perf_counter()
    signals = extract_signals(request)
    elapsed = time.perf_counter() - start
    assert signals.input_tokens >= len(text) // 4
    assert signals.user_text == text
    assert elapsed < 5  # generous: a char-per-block walk took minutes, not a timing target


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"messages": [{"role": "user", "content": 42}]}, "messages[0].content must be a list"),
        ({"messages": [{"role": "user", "content": {"text": "hi"}}]}, "not dict"),
        ({"messages": "hello"}, "messages must be a list"),
        ({"messages": ["hello"]}, "messages[0] must be an object"),
        ({"system": 3, "messages": []}, "system must be a list"),
    ],
)
def test_bad_content_is_a_clear_error(request_: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message.replace("[", r"\[").replace("]", r"\]")):
        decide(request_, policy=RoutingPolicy())


def test_normalize_leaves_blocks_alone() -> None:
    request = {"messages": [{"role": "user", "content": [{"text": "hi"}]}], "system": []}
    assert normalize_request(request) == request


def _u(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": [{"text": text}]}]}


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        (
            "Klassifiziere die Nachricht: Frage, Beschwerde oder Lob. Nur ein Wort.",
            "classification",
        ),
        (
            "Klassifiziere die Nachricht: Frage, Beschwerde oder Lob. Nur ein Wort.",
            "closed_label_set",
        ),
        ("Classez ce commentaire : positif, négatif ou neutre.", "classification"),
        ("Extrae los correos electrónicos del texto siguiente.", "extraction"),
        ("Traduis en espagnol : votre commande est partie.", "translation"),
        ("Fasse diesen Artikel in zwei Sätzen zusammen.", "summarization"),
        ("Demuestra que hay infinitos números primos.", "proof"),
        ("请将以下消息分类为：投诉、咨询、表扬。只输出类别。", "classification"),
        ("请将以下消息分类为：投诉、咨询、表扬。只输出类别。", "closed_label_set"),
        ("次の文を英語に翻訳してください。", "translation"),
        ("ありがとうございます！", "chit_chat"),
        ("Merci beaucoup !", "chit_chat"),
    ],
)
def test_cues_in_other_languages(text: str, cue: str) -> None:
    assert cue in extract_signals(_u(text)).cues


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("Can you look over my resume before I apply?", "summarization"),
        ("La classe di mia figlia va in gita domani.", "classification"),
        ("谢谢你昨天帮我分析数据，今天能再看一下报告吗？", "chit_chat"),
    ],
)
def test_other_language_cues_do_not_misfire(text: str, cue: str) -> None:
    assert cue not in extract_signals(_u(text)).cues

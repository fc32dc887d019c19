"""Round 5 of issue 12: evidence that a request is analysis, synthesis or an irreversible agent
step when it looks like something cheaper - a decision asked for over a table or in a memo,
several labelled sources to weigh, a one-word confirmation of a proposed action - and the
ask of a long user turn read apart from its material."""

from __future__ import annotations

from typing import Any

import pytest

from tierwise.core.class_model import _text_groups, hashed_features
from tierwise.core.classes import class_features
from tierwise.core.signals import extract_signals


def _req(*turns: tuple[str, str], tools: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {
        "messages": [{"role": role, "content": [{"text": text}]} for role, text in turns]
    }
    if tools:
        request["toolConfig"] = {
            "tools": [
                {"toolSpec": {"name": n, "description": d, "inputSchema": {"json": {}}}}
                for n, d in tools
            ]
        }
    return request


def _signals(text: str) -> Any:
    return extract_signals(_req(("user", text)))


@pytest.mark.parametrize(
    "text",
    [
        "Which option should we take? Weigh the risks against the cost.",
        # with figures to weigh; "Should we refinance the loan now or wait a year?" alone asks
        # for advice (round 18: an open question, test_round18_cues.py)
        "Should we refinance the 2.4M loan now at 5.1% or wait a year for 4.6%?",
        "Draft a decision memo for the board: build or buy our billing system.",
        "Is it worth it to move the warehouse, given these numbers?",
        "What would you do, and what would change your mind?",
        "Lohnt sich das? Bitte abwägen und eine Empfehlung geben.",
    ],
)
def test_a_decision_asked_for_is_a_cue(text: str) -> None:
    assert "decision" in _signals(text).cues


@pytest.mark.parametrize(
    "text",
    [
        "Prioritize these tickets: login bug, typo on pricing page, outage in EU.",
        "What should I pack for a week in Iceland?",
        "Give me a recommendation for a quiet mechanical keyboard.",
        "Write a memo announcing the office closure on 24 December.",
        "Write test scenarios for the login form.",
    ],
)
def test_ordinary_requests_ask_no_decision(text: str) -> None:
    assert "decision" not in _signals(text).cues


TABLE = (
    "| site | rent | orders/day |\n|---|---|---|\n| Lyon | 1,260,000 | 3,900 |\n"
    "| Lille | 690,000 | 4,200 |\n| Nantes | 780,000 | 2,600 |"
)
CSV = "team, headcount, hires, leavers\nPlatform, 34, 6, 9\nPayments, 22, 2, 1\nMobile, 18, 5, 6"


def test_rows_of_figures_are_a_table() -> None:
    assert _signals(TABLE).table_rows == 3
    assert _signals(CSV).table_rows == 3
    assert class_features(_signals(TABLE))["table:3"] == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "Convert these dates to ISO: 3 May 2024, 12 June 2024, 1 July 2025",
        "Prices: $3.99, $12, $0.50, $7.25",
        "Dates:\n2024-03-01\n2023-12-25\n2025-07-14",
        "We met on May 2, 2024, and again on May 9, 2024, in Berlin.",
    ],
)
def test_lists_of_dates_or_prices_are_not_a_table(text: str) -> None:
    assert _signals(text).table_rows == 0


SOURCES = (
    "Source 1 (internal survey, n=1,204, May): 64% say hybrid work improved their focus.\n"
    "Source 2 (HR attrition data, 2022-2024): voluntary attrition fell from 14% to 9% after.\n"
    "Interview 3 (ops lead, Acme): 'We churned because onboarding took eleven weeks, sadly.'\n"
    "Reuters report (April): installations in Germany fell 48% year on year in the quarter."
)
EMAIL = (
    "From: Priya Natarajan <priya@halden-retail.com>\nTo: billing@tessellate.io\n"
    "Subject: Re: Re: Invoice INV-2024-0917 dispute and the renewal date we agreed on\n"
    "Date: Thursday, 3 September 2024 at 09:14 Central European Summer Time\n\nHi team, ..."
)


def test_labelled_sources_are_counted_and_mail_headers_are_not() -> None:
    assert _signals(SOURCES).labelled_blocks == 4
    assert class_features(_signals(SOURCES))["blocks:4"] == 1.0
    assert _signals(EMAIL).labelled_blocks == 0
    assert _signals("Name: Sam Lee\nOrder: 4411\nIssue: late delivery").labelled_blocks == 0


@pytest.mark.parametrize(
    "text",
    [
        "Pull it all together and tell us where the sources disagree.",
        "Weigh these reports against each other and give me one conclusion.",
        "Which sources should we trust, and what's the most defensible conclusion?",
    ],
)
def test_asks_to_weigh_sources_are_synthesis_cues(text: str) -> None:
    assert "reconcile" in _signals(text).cues


@pytest.mark.parametrize(
    "text",
    [
        "Summarise this report; what's the bottom line?",
        "These shoes don't fit, can I return them?",
        "Close one account and keep the other.",
        "Write a story about two teams playing against each other.",
    ],
)
def test_everyday_words_near_those_asks_are_no_synthesis_cue(text: str) -> None:
    assert "reconcile" not in _signals(text).cues


PAYROLL = [
    ("payroll_preview", "Compute a payroll run without paying."),
    ("run_payroll", "Execute the payroll run and pay employees."),
]


def _confirmed(proposal: str, reply: str) -> Any:
    return extract_signals(
        _req(
            ("user", "Prepare May payroll."),
            ("assistant", proposal),
            ("user", reply),
            tools=PAYROLL,
        )
    )


@pytest.mark.parametrize(
    "reply", ["yes, do it", "go ahead", "ok", "confirmed", "ja, mach", "oui vas-y"]
)
def test_a_confirmation_of_a_proposed_irreversible_step_asks_for_it(reply: str) -> None:
    s = _confirmed(
        "The run totals $2.18M for 301 people. Shall I run payroll and pay everyone?", reply
    )
    assert s.action_requested
    assert "tools:destructive_asked" in class_features(s)


@pytest.mark.parametrize(
    ("proposal", "reply"),
    [
        # The assistant offered to look something up: confirming it acts on nothing.
        ("The preview has 2 warnings. Want the details on them?", "yes please"),
        # A question back is not a confirmation.
        ("Shall I run payroll and pay everyone?", "yes, but what is the total first?"),
        # A long reply is a new request, judged on its own words.
        (
            "Shall I run payroll and pay everyone?",
            "ok so before anything else I would like to understand the two warnings you saw",
        ),
    ],
)
def test_other_replies_to_a_proposal_ask_for_no_action(proposal: str, reply: str) -> None:
    assert not _confirmed(proposal, reply).action_requested


@pytest.mark.parametrize(
    "text",
    [
        "Roll v2.3.1 out to checkout in prod-eu.",
        "Scale the legacy-search deployment to zero.",
        "Sell half the NVDA position at market.",
        "Let every EU customer know about the maintenance window tonight.",
    ],
)
def test_more_irreversible_actions_are_asked_for(text: str) -> None:
    assert _signals(text).action_requested


@pytest.mark.parametrize(
    "text",
    [
        "How many replicas does legacy-search run?",
        "Show me the bid/ask on VWRL before we sell.",
        "What would the outage message look like for a German customer?",
    ],
)
def test_looking_around_those_actions_asks_for_none(text: str) -> None:
    assert not _signals(text).action_requested


def test_the_ask_of_a_long_user_turn_is_read_apart_from_its_material() -> None:
    material = " ".join(f"row{i} {i * 7} {i * 13}" for i in range(60))
    _, user, ask = _text_groups("", material + "\n\nreference number?")
    assert {"a:reference number", "a:row59"} <= ask  # the last words, again as the ask
    assert "a:row30" not in ask  # the middle is material only
    assert "u:reference number" in user
    # A short request is all ask already: no second copy of its words.
    assert _text_groups("", "reference number?")[2] == set()
    # Serving sums the same features as training does.
    features = hashed_features({}, "", material + "\n\nreference number?", 16)
    assert len(features) > len(hashed_features({}, "", material, 16))


@pytest.mark.parametrize(
    ("text", "at_least"),
    [
        (
            "Write a migration plan for our 14 databases: sequencing, rollback, costs and what"
            " could go wrong.",
            4,
        ),
        ("Escribe un plan: opciones, riesgos e impacto.", 3),
        ("Schreib ein Konzept: Phasen, Risiken, Rückfallplan.", 3),
    ],
)
def test_a_plan_that_must_weigh_several_facets_names_them(text: str, at_least: int) -> None:
    s = _signals(text)
    assert s.analysis_facets >= at_least
    assert any(k.startswith("facets:") for k in class_features(s))


@pytest.mark.parametrize(
    "text",
    [
        "Write a memo to all staff announcing the office closure on 24 December.",
        "Write a blog post about our move to a four-day week, upbeat.",
        "A risk-free trial: write a tagline for it.",
    ],
)
def test_writing_that_weighs_nothing_names_no_facets(text: str) -> None:
    assert _signals(text).analysis_facets <= 1


def test_facets_in_the_system_prompt_count() -> None:
    request = _req(("user", "Our options for the data centre lease are attached."))
    request["system"] = [{"text": "Always cover risks, costs and a timeline."}]
    assert extract_signals(request).analysis_facets == 4

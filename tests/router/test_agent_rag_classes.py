"""Routing of agents about to act, read-only agents, RAG with the documents in the system
prompt, and non-English requests, with the packaged class and difficulty models (issue 12).

The requests here are written for these tests: none is in the class corpus or an
acceptance set.
"""

from __future__ import annotations

from typing import Any

import pytest

from converse_shapes import tool_config, user_turn
from tierwise.client import load_class_scorer, load_scorer
from tierwise.config import load_settings
from tierwise.core.routing import Decision, decide
from tierwise.core.tiers import Tier


@pytest.fixture(scope="module")
def route() -> Any:
    settings = load_settings(environ={}).settings
    policy = settings.routing_policy()
    classes, difficulty = load_class_scorer(settings), load_scorer(settings)

    def run(request: dict[str, Any]) -> Decision:
        return decide(request, policy=policy, scorer=difficulty, class_scorer=classes)

    return run


SQL_TOOLS = tool_config(
    ("execute_sql", "Execute a SQL statement on the production warehouse; writes commit at once."),
    ("drop_table", "Drop a table."),
    ("get_table_info", "Columns and row count of a table."),
)


def test_production_sql_agent_about_to_delete_is_high_stakes(route: Any) -> None:
    request = {
        "system": [{"text": "You are the data platform's on-call agent."}],
        "toolConfig": SQL_TOOLS,
        "messages": [
            user_turn(
                "Please run this against prod and confirm the row count: DELETE FROM "
                "user_events WHERE tenant_id = 4471;"
            )
        ],
    }
    d = route(request)
    assert d.task_class.name == "high_stakes_agent", d.reasons
    assert d.tier is Tier.OPUS


def test_payments_agent_asked_to_wire_money_is_high_stakes(route: Any) -> None:
    request = {
        "system": [{"text": "You handle supplier payments for Lumen Foods."}],
        "toolConfig": tool_config(
            ("lookup_supplier", "Supplier bank details."),
            ("initiatePayment", "Initiates an outgoing bank payment. Payments are final."),
        ),
        "messages": [user_turn("Wire $18,500 to Harbor Packaging for PO 3391 today.")],
    }
    d = route(request)
    assert d.task_class.name == "high_stakes_agent", d.reasons
    assert d.tier is Tier.OPUS


def test_read_only_search_agent_stays_an_agent_step(route: Any) -> None:
    request = {
        "system": [{"text": "You help staff find internal documents."}],
        "toolConfig": tool_config(
            ("search_wiki", "Full-text search over the internal wiki."),
            ("get_page", "Fetch a wiki page by id."),
        ),
        "messages": [user_turn("Where is the on-call rotation for the billing team documented?")],
    }
    d = route(request)
    assert d.task_class.name == "agent_step", d.reasons
    assert d.tier is Tier.SONNET


def test_risky_tools_offered_but_a_read_only_question_is_an_agent_step(route: Any) -> None:
    request = {
        "system": [{"text": "You are the data platform's on-call agent."}],
        "toolConfig": SQL_TOOLS,
        "messages": [user_turn("How many rows does the user_events table have?")],
    }
    d = route(request)
    assert d.task_class.name == "agent_step", d.reasons
    assert d.tier is Tier.SONNET


def test_rag_with_the_documents_in_the_system_prompt(route: Any) -> None:
    system = (
        "You are the support assistant for Tidewater Kayaks. Use the articles below.\n\n"
        "Article 14 - Warranty: hulls are covered for 5 years against manufacturing defects; "
        "paddles and seats for 1 year.\n"
        "Article 22 - Damage in transit: report within 48 hours with photos for a free "
        "replacement.\n"
        "Article 31 - Rentals: rental kayaks are not covered by the warranty."
    )
    request = {
        "system": [{"text": system}],
        "messages": [user_turn("The seat on my kayak cracked after 14 months. Is that covered?")],
    }
    d = route(request)
    assert d.task_class.name == "rag_qa", d.reasons
    assert d.tier is Tier.SONNET


@pytest.mark.parametrize(
    "text",
    [
        "Remove the duplicates from this list: apple, pear, apple, fig",
        "Send me a short summary of this: the meeting moved to Thursday at 10.",
    ],
)
def test_action_words_without_tools_are_not_an_agent(route: Any, text: str) -> None:
    d = route({"messages": [user_turn(text)]})
    assert d.task_class.name not in ("high_stakes_agent", "agent_step"), d.reasons
    assert d.tier is not Tier.OPUS


DNS_TOOLS = tool_config(
    ("list_records", "List the DNS records of a zone."),
    ("delete_record", "Deletes a DNS record. Propagates within minutes."),
    ("set_site_status", "Set a website live or offline."),
)


def _after_a_read(text: str) -> dict[str, Any]:
    return {
        "system": [
            {"text": "You are the web operations agent for Halden Outdoor's production sites."}
        ],
        "toolConfig": DNS_TOOLS,
        "messages": [
            user_turn(text),
            {
                "role": "assistant",
                "content": [{"toolUse": {"toolUseId": "r1", "name": "list_records", "input": {}}}],
            },
            {
                "role": "user",
                "content": [
                    {
                        "toolResult": {
                            "toolUseId": "r1",
                            "content": [{"json": {"records": ["www A 10.0.0.4"]}}],
                        }
                    }
                ],
            },
        ],
    }


@pytest.mark.parametrize(
    "text",
    [
        "Show me which records still point at the old load balancer.",
        "List the records of the shop zone.",
        "Check whether the www record was changed today.",
    ],
)
def test_looking_mid_loop_with_risky_tools_stays_an_agent_step(route: Any, text: str) -> None:
    d = route(_after_a_read(text))
    assert d.task_class.name == "agent_step", d.reasons
    assert d.tier is Tier.SONNET


@pytest.mark.parametrize(
    "text",
    [
        "Take the old marketing site offline tonight.",
        "Get rid of the records that point at the old load balancer.",
    ],
)
def test_acting_in_other_words_mid_loop_is_high_stakes(route: Any, text: str) -> None:
    d = route(_after_a_read(text))
    assert d.task_class.name == "high_stakes_agent", d.reasons
    assert d.tier is Tier.OPUS


# A RAG service whose system prompt holds long retrieved material (round 7 of issue 12). The
# material is full of words that are cues elsewhere - a strategy, a rollback, a post-mortem,
# costs and risks, a dosage - and the question decides the class. Written for this test: the
# knowledge base (a climbing gym's member handbook) is in no corpus.
_GYM_HANDBOOK = "\n\n".join(
    [
        "You are the member assistant of Cragline climbing gyms. Answer from the handbook "
        "excerpts below only.",
        *(
            f"Excerpt {n}: {text}"
            for n, text in enumerate(
                [
                    "Membership freeze: members may freeze for 1 to 3 months per year; a "
                    "freeze costs 9 EUR per month and is refundable if the gym closes.",
                    "Strategy 2026 and roadmap: the board weighs three options for a fourth "
                    "gym; the risks, costs and a phased timeline are in the annual report, "
                    "with a rollback plan if financing fails.",
                    "Incident reviews: after any fall with injury staff write a post-mortem "
                    "and a root cause analysis; the escalation matrix lists who to call.",
                    "First aid: the dosage of ibuprofen in the kit leaflet applies to adults; "
                    "staff give no medical advice and call 112 for head injuries.",
                    "Day passes cost 16 EUR, 11 EUR for students; a 10-visit card costs "
                    "140 EUR and is valid for 12 months in all Cragline gyms.",
                    "Kids' courses run on Saturdays; a detailed summary of the course levels "
                    "and the conflicting age rules of the two older gyms is on the notice board.",
                ]
                * 4,
                1,
            )
        ),
    ]
)


@pytest.mark.parametrize(
    "question",
    [
        "Is the freeze fee refundable? Answer yes or no.",
        "What does a 10-visit card cost? Just the price.",
        "Which excerpt covers the kids' courses? Give the number only.",
        # "how much ... is" with no number in the question is a look-up, not maths (round 8;
        # it was math on Sonnet with a 4,096-token thinking budget)
        "How much is a student day pass? Just the price.",
    ],
)
def test_a_closed_question_over_retrieved_material_stays_on_haiku(
    route: Any, question: str
) -> None:
    request = {"system": [{"text": _GYM_HANDBOOK}], "messages": [user_turn(question)]}
    d = route(request)
    # a Haiku class (classify or extract; transform for a price is a near miss)
    assert d.class_tier is Tier.HAIKU, d.reasons
    assert d.tier is Tier.HAIKU, d.reasons


def test_an_open_question_over_retrieved_material_is_rag_on_sonnet(route: Any) -> None:
    question = (
        "I'm going abroad for two months. Can you explain how freezing my membership works, "
        "what it costs and what I need to do, based on the handbook?"
    )
    request = {"system": [{"text": _GYM_HANDBOOK}], "messages": [user_turn(question)]}
    d = route(request)
    assert d.task_class.name == "rag_qa", d.reasons
    assert d.tier is Tier.SONNET, d.reasons

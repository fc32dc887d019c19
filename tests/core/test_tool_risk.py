"""Agents about to act: risky tools by name and description, the user's own words asking
for an irreversible action, and the class features and rules they feed (issue 12)."""

from __future__ import annotations

from typing import Any

import pytest

from tierwise.core.classes import class_features
from tierwise.core.hints import Hints
from tierwise.core.routing import predict_class
from tierwise.core.rules import RoutingPolicy, evidence
from tierwise.core.signals import extract_signals


def _request(text: str, *tools: tuple[str, str], loop: bool = False) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": [{"text": text}]}]
    if loop:
        messages += [
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": "a", "name": tools[0][0],
                                                           "input": {}}}]},
            {"role": "user", "content": [{"toolResult": {"toolUseId": "a",
                                                          "content": [{"json": {"n": 3}}]}}]},
        ]  # fmt: skip
    return {
        "messages": messages,
        "toolConfig": {
            "tools": [
                {"toolSpec": {"name": n, "description": d, "inputSchema": {"json": {}}}}
                for n, d in tools
            ]
        },
    }


DB = (
    ("table_info", "Row count and columns of a table."),
    ("db_exec", "Executes a statement on the production database."),
)


def test_descriptions_make_tools_risky_and_read_only_ones_harmless() -> None:
    s = extract_signals(
        _request(
            "hi",
            ("db_exec", "Executes a statement on the production database."),
            ("run_sql", "Runs read-only SQL on the analytics replica."),
            ("table_info", "Row count and columns of a table."),
            ("cancelOrder", ""),
        )
    )
    assert s.risky_tools == ("db_exec", "cancelOrder")
    assert s.to_dict()["risky_tools"] == ["db_exec", "cancelOrder"]


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("Run this on prod: DELETE FROM carts WHERE updated_at < '2024-01-01';", True),
        ("Wire 12k to the landlord today.", True),
        ("Roll back the release and restart the workers.", True),
        ("Lösche die Testkunden aus der Datenbank.", True),
        ("Supprime les comptes de test.", True),
        ("How many rows does the carts table have?", False),
        ("Which columns does the carts table have?", False),
        ("What deleted means in our schema docs?", False),
    ],
)
def test_the_users_own_words_ask_for_an_irreversible_action(text: str, asked: bool) -> None:
    s = extract_signals(_request(text, *DB))
    assert s.action_requested is asked
    assert ("tools:destructive_asked" in class_features(s)) is asked


def test_the_system_prompt_alone_does_not_ask_for_the_action() -> None:
    request = _request("How many rows does the carts table have?", *DB)
    request["system"] = [{"text": "You may delete rows when the user asks you to."}]
    s = extract_signals(request)
    assert not s.action_requested
    assert "tools:destructive_asked" not in class_features(s)


def test_read_only_tools_are_a_feature_of_their_own() -> None:
    f = class_features(extract_signals(_request("Find it.", ("search_docs", "Search docs."))))
    assert "tools:read_only" in f and "tools:destructive" not in f


def test_cue_classifier_calls_a_first_turn_delete_a_high_stakes_step() -> None:
    # No tool loop yet: the old features (destructive tool *in a loop*) said agent_step.
    act = predict_class(extract_signals(_request("Drop the carts table in production.", *DB)))
    assert act.name == "high_stakes_agent"
    look = predict_class(extract_signals(_request("How many rows does carts have?", *DB)))
    assert look.name == "agent_step"


def test_destructive_tools_rule_fires_when_the_action_is_asked_for() -> None:
    policy = RoutingPolicy()
    asked = evidence(extract_signals(_request("Purge the carts table.", *DB)), policy, Hints())
    assert any(e.key == "destructive_tools" and "db_exec" in e.reason for e in asked)
    look = evidence(extract_signals(_request("How big is carts?", *DB)), policy, Hints())
    assert not any(e.key == "destructive_tools" for e in look)

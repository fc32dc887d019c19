"""Whether the user's last words ask for an irreversible action or only ask to look
(issue 12, round 4): actions said with particles and objects, read-only asks that name an
action, and the class features an agent with risky tools gets from them."""

from __future__ import annotations

from typing import Any

import pytest

from converse_shapes import tool_config, user_turn
from tierwise.core.classes import class_features
from tierwise.core.hints import Hints
from tierwise.core.rules import RoutingPolicy, evidence
from tierwise.core.signals import extract_signals

STORE_TOOLS = tool_config(
    ("bucket_size", "Size and object count of a bucket."),
    ("delete_objects", "Permanently delete objects from a bucket."),
    ("unpublish_page", "Take a published page offline."),
)


@pytest.mark.parametrize(
    "text",
    [
        "Take the pricing page offline, the numbers are wrong.",
        "Empty the exports bucket, we moved everything to cold storage.",
        "Shut the old reporting cluster down tonight.",
        "Close the customer's account, she asked us to in writing.",
        "Issue a full refund for order 7781.",
        "Wipe the scratch volume before the audit.",
        "Purge the cached thumbnails under media/old/.",
        "Find the duplicate rows and delete them.",
        "Check the logs, then restart the worker.",
        "Can you drop the staging table?",
    ],
)
def test_actions_in_particles_and_objects_are_asked_for(text: str) -> None:
    s = extract_signals({"messages": [user_turn(text)]})
    assert s.action_requested, text
    assert not s.read_only_ask


@pytest.mark.parametrize(
    "text",
    [
        "Did the refund for order 7781 already go out?",
        "Show me the rows you would delete.",
        "List the objects older than 90 days.",
        "Check whether the cancelled subscription was charged.",
        "What is the status of the deploy to production?",
        "Find the page that was taken offline yesterday.",
        "Is it safe to drop the staging table?",
        "How many users did we remove from the admin group last week?",
    ],
)
def test_read_only_asks_that_name_an_action_ask_for_nothing(text: str) -> None:
    s = extract_signals({"messages": [user_turn(text)]})
    assert not s.action_requested, text
    assert s.read_only_ask, text


def test_a_full_stop_after_an_initial_does_not_end_the_sentence() -> None:
    s = extract_signals({"messages": [user_turn("Close R. Patel's savings account today.")]})
    assert s.action_requested


def _mid_loop(text: str, system: str) -> dict[str, Any]:
    return {
        "system": [{"text": system}],
        "toolConfig": STORE_TOOLS,
        "messages": [
            user_turn(text),
            {
                "role": "assistant",
                "content": [{"toolUse": {"toolUseId": "a", "name": "bucket_size", "input": {}}}],
            },
            {
                "role": "user",
                "content": [{"toolResult": {"toolUseId": "a", "content": [{"json": {"n": 9}}]}}],
            },
        ],
    }


PROD = "You are the storage agent for the production account; deletions are final."


def test_read_only_ask_mid_loop_with_risky_tools_is_no_evidence_of_acting() -> None:
    f = class_features(extract_signals(_mid_loop("Show me how big the exports bucket is.", PROD)))
    assert "tools:destructive" in f  # the risky tools are still seen
    assert "tools:destructive_asked" not in f
    assert "tools:destructive_in_loop" not in f
    assert f.get("tools:read_only_ask") == 1.0


def test_action_asked_mid_loop_with_risky_tools_is_about_to_act() -> None:
    f = class_features(extract_signals(_mid_loop("Empty the exports bucket now.", PROD)))
    assert f.get("tools:destructive_asked") == 1.0
    assert f.get("tools:destructive_in_loop") == 1.0
    assert "tools:read_only_ask" not in f


def test_difficulty_rule_for_risky_tools_rests_on_the_last_ask_not_the_loop() -> None:
    def keys(text: str) -> set[str]:
        signals = extract_signals(_mid_loop(text, PROD))
        return {e.key for e in evidence(signals, RoutingPolicy(), Hints())}

    assert "destructive_tools" not in keys("List the objects in the exports bucket.")
    assert "destructive_tools" in keys("Take the landing page offline.")

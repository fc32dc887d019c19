"""An instruction put as a question (issue 12, round 9): "Delete the stale branches?" asks for
the action, like "Delete the stale branches."; a question about the action ("Which branches
are stale?", "Deploy done?", "Did the refund go through?") still only looks. Round 8 read every
question that is not a polite request as looking, so an agent with risky tools asked "Drop the
old users table?" was not about to act. Wordings here are not the corpus's."""

from __future__ import annotations

from typing import Any

import pytest

from converse_shapes import tool_config, user_turn
from tierwise.core.classes import class_features
from tierwise.core.signals import extract_signals
from tierwise.core.tool_risk import is_destructive_tool, is_general_tool

SHELL = tool_config(
    ("run_command", "Run a command on a server and return stdout."),
    ("host_inventory", "Servers with role and region."),
)
RISKY = tool_config(
    ("purge_queue", "Permanently purge all messages of a queue."),
    ("queue_depth", "Messages waiting in a queue."),
)


def _agent(text: str, tools: dict[str, Any] = SHELL) -> dict[str, Any]:
    return {"toolConfig": tools, "messages": [user_turn(text)]}


@pytest.mark.parametrize(
    "text",
    [
        "Purge the dead-letter queue?",
        "Restart the ingest workers now?",
        "ok, just drop every temp table from last sprint?",
        "go ahead and revoke the old deploy keys?",
        "Shall we wipe the scratch disks tonight?",
        "Cancel the pending payouts for vendor 17?",
        "Delete merged branches?",  # a participle before the object is no status question
        "Restart failed jobs on node 3?",
        "Terminate it?",
        "¿Borra los registros de prueba?",
        "Supprimer les anciens journaux ?",
        "Apaga os logs antigos?",
        "Die alten Logs löschen?",  # verb last: the infinitive ends the question
        "The queue is empty now. Purge it?",
        "Truncate events_2023, then?",
    ],
)
def test_an_instruction_put_as_a_question_asks_for_the_action(text: str) -> None:
    s = extract_signals(_agent(text))
    assert s.action_requested, text
    assert not s.read_only_ask, text
    assert s.risky_tools == ("run_command",), text  # the shell can do what is asked
    assert class_features(s).get("tools:destructive_asked") == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "Which queues are stale?",
        "Is the events table still used?",
        "Did the purge finish?",
        "Deploy done?",  # an action word used as a noun, then how it went
        "Refund gone through for order 5150?",
        "Deploy failed on prod?",
        "Restart needed after the patch?",
        "Transfer complete?",
        "Push rejected?",
        "Has anyone deleted the old keys?",
        "How many rows would the cleanup delete?",
        "Should we delete the old keys?",  # asks for advice
        "Sollen wir die alten Logs löschen?",
        "Warum die alten Logs löschen?",
        "Gibt es einen Grund, die Logs nicht zu löschen?",
        "Läuft die Löschung noch?",
        "¿Se borraron los registros de prueba?",
        "Les anciens journaux ont-ils été supprimés ?",
    ],
)
def test_a_question_about_an_action_only_looks(text: str) -> None:
    s = extract_signals(_agent(text))
    assert not s.action_requested, text
    assert s.read_only_ask, text
    assert s.risky_tools == (), text
    f = class_features(extract_signals(_agent(text, RISKY)))
    assert f.get("tools:read_only_ask") == 1.0, text
    assert "tools:destructive_asked" not in f


@pytest.mark.parametrize(
    ("text", "looks"),
    [
        # An English question opening with a verb and its object's determiner instructs,
        # whatever the verb: not looking, and since round 11 asked (the verb neither looks,
        # makes something nor asks about a state), though no action list holds "vacuum".
        ("Vacuum the orders table?", False),
        ("Prune all the dangling images?", False),
        # Questions that open with a word of wanting or knowing, or the participle of an
        # elided "have you", still ask to be told.
        ("Need the logs from last night?", True),
        ("Want the full list?", True),
        ("Finished the backup?", True),
        ("Got the numbers for March?", True),
        ("Any failed jobs this morning?", True),
        ("Anything still writing to the old bucket?", True),
    ],
)
def test_an_imperative_question_with_an_unlisted_verb_does_not_only_look(
    text: str, looks: bool
) -> None:
    s = extract_signals(_agent(text, RISKY))
    assert s.action_requested is not looks, text
    assert s.read_only_ask is looks, text


@pytest.mark.parametrize(
    "text",
    [
        "Classify the message as spam or not spam: Why was I charged twice?",
        "Translate this into German: Can I return the shoes?",
    ],
)
def test_an_instruction_over_a_quoted_question_is_no_read_only_ask(text: str) -> None:
    # The text ends with "?" but opens with an instruction: it is no question.
    assert not extract_signals({"messages": [user_turn(text)]}).read_only_ask


@pytest.mark.parametrize(
    ("name", "description", "general"),
    [
        ("cloud_api", "Call a cloud provider API action with parameters.", True),
        ("directory_api", "Call the directory's admin API (method, path, body).", True),
        ("gcloud_cli", "", True),
        # Reading API tools stay harmless.
        ("get_api_status", "Status of the partner API.", False),
        ("search_api", "Search the product catalogue.", False),
        ("api_docs", "Read-only API reference lookup.", False),
    ],
)
def test_a_tool_that_calls_any_api_action_is_general(
    name: str, description: str, general: bool
) -> None:
    assert is_general_tool(name, description) is general
    assert not is_destructive_tool(name, description)


def test_a_general_api_tool_is_risky_only_when_an_action_is_asked() -> None:
    api = tool_config(("cloud_api", "Call a cloud provider API action with parameters."))
    asked = extract_signals(_agent("Delete the unattached volumes?", api))
    assert asked.risky_tools == ("cloud_api",)
    assert class_features(asked).get("tools:destructive_asked") == 1.0
    looking = extract_signals(_agent("Which volumes are unattached?", api))
    assert looking.risky_tools == ()
    assert class_features(looking).get("tools:read_only") == 1.0

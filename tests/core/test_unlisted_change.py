"""An instruction to an agent in a verb no list holds (issue 12, round 11): the verb is read
by what it is not. A verb that opens an instruction and is neither looking, making or editing
something, nor asking about a state, followed by what it acts on, asks the agent to change
something ("Quarantine the host?", "Unlink every device of user 42."); ordinary steps ("Add a
note ...", "Rename the group"), looking ("Pull up the draft") and status questions ("Backup
done?", "Build 5521 green?") do not. Wordings here are neither the corpus's nor round 11's."""

from __future__ import annotations

from typing import Any

import pytest

from converse_shapes import tool_config, user_turn
from tierwise.core.classes import class_features
from tierwise.core.instruction_verbs import asks_unlisted_change
from tierwise.core.signals import extract_signals
from tierwise.core.tool_risk import may_act

API = tool_config(
    ("fleet_api", "Call the fleet manager's API with a method, a path and a body."),
    ("host_status", "Health and role of one host."),
)
DOMAIN = tool_config(
    ("device_admin", "Lock, unlink or reimage devices of a user."),
    ("device_report", "Devices per user with last check-in."),
)


def _agent(text: str, tools: dict[str, Any] = API) -> dict[str, Any]:
    return {"toolConfig": tools, "messages": [user_turn(text)]}


@pytest.mark.parametrize(
    "text",
    [
        "Quarantine the host web-17?",
        "Unlink every device of user 42.",
        "Reimage all the kiosks in hall B tonight.",
        "Wind down the old fleet?",  # a particle after the verb
        "Demote node-3 to a read replica.",  # an identifier after the verb
        "Rebalance shard 12 onto the new nodes?",  # a noun and its number
        "please quarantine them",
        "Evacua todos los nodos del rack 4?",
        "Isoliere alle Hosts im Rack 4?",
        "Déplace les machines du rack 4 ?",
        "Die Hosts im Rack 4 isolieren?",  # verb last
        "Host web-17 is noisy. Quarantine it.",
    ],
)
def test_an_unlisted_verb_of_change_asks_for_the_action(text: str) -> None:
    s = extract_signals(_agent(text))
    assert s.action_requested, text
    assert not s.read_only_ask, text
    assert s.risky_tools == ("fleet_api",), text  # the API can do what is asked
    assert class_features(s).get("tools:destructive_asked") == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "Add a note to host web-17 that it was patched.",
        "Create a ticket for the noisy fan on web-17.",
        "Assign the rack 4 audit to Lea.",
        "Rename the group kiosks to lobby-kiosks.",
        "Schedule the rack 4 maintenance for Friday.",
        "Set up a call with the vendor on Monday.",
        "Pull up the history of web-17.",
        "Which hosts are in rack 4?",
        "Backup done?",
        "Build 5521 green?",
        "Invoice 5521 paid?",
        "Host web-17 still noisy?",
        "Quarantine finished on web-17?",
        "Läuft der Reimage noch?",
        "¿Hay nodos caídos en el rack 4?",
        "Lea Brandt left the team yesterday.",
        "Thanks, that helps.",
        "Sounds good.",
    ],
)
def test_ordinary_steps_looking_and_status_questions_ask_no_action(text: str) -> None:
    s = extract_signals(_agent(text))
    assert not s.action_requested, text
    assert s.risky_tools == (), text


def test_without_tools_nothing_changes() -> None:
    s = extract_signals({"messages": [user_turn("Quarantine the host web-17?")]})
    assert not s.action_requested


def test_one_forced_tool_is_structured_output_not_an_agent() -> None:
    request = {
        "toolConfig": {
            **tool_config(("record_invoice", "Record the fields of an invoice.")),
            "toolChoice": {"tool": {"name": "record_invoice"}},
        },
        "messages": [user_turn("Invoice 2025-118 from Kestrel Supplies, total 1,240.00 EUR.")],
    }
    assert not extract_signals(request).action_requested


def test_a_tool_that_may_act_counts_when_an_action_is_asked_and_no_other_tool_does() -> None:
    s = extract_signals(_agent("Unlink every device of user 42.", DOMAIN))
    assert s.action_requested
    assert s.risky_tools == ("device_admin",)
    looking = extract_signals(_agent("Which devices does user 42 have?", DOMAIN))
    assert looking.risky_tools == ()


@pytest.mark.parametrize(
    ("name", "description", "acts"),
    [
        ("device_admin", "Lock, unlink or reimage devices of a user.", True),
        ("set_state", "Set a host to drained or active.", True),
        ("device_report", "Devices per user with last check-in.", False),
        ("dependents", "Projects that depend on a package.", False),
        ("create_event", "Create a calendar event.", False),
        ("host_info", "Reboot history of a host.", False),
        # lists of nouns, not of verbs
        ("weather", "Temperature and rain for a city.", False),
        ("directory", "Users and groups in the directory.", False),
        ("customer_360", "Orders, invoices and payments of a customer.", False),
        ("kb", "Articles and answers for a product.", False),
    ],
)
def test_may_act(name: str, description: str, acts: bool) -> None:
    assert may_act(name, description) is acts


def test_the_material_after_a_looking_first_sentence_is_not_the_ask() -> None:
    assert not asks_unlisted_change("Help me with this. WIN a FREE phone now!!! click here")


SHELL = tool_config(
    ("run_command", "Run a shell command on the build host."),
    ("read_file", "Read a file from the workspace."),
)


@pytest.mark.parametrize(
    "text",
    [
        "Ignore the previous message.",
        "Consider the following options.",
        "Assume the budget is 5k.",
        "Suggest a name for the project.",
        "Recommend the best plan.",
        "Extract the dates from this email.",
        "Classify these tickets by urgency.",
        "Imagine the release slips a week.",
        "Clarify the second point.",
        "Repeat the last answer.",
        "Refactor the parser module.",
        "Empfiehl einen Plan.",
        "Propose un nom pour le projet.",
        "Sugiere un nombre para el proyecto.",
    ],
)
def test_asking_for_advice_an_opinion_or_a_text_changes_nothing(text: str) -> None:
    # These think, judge or transform a text: with a shell tool offered they were read as an
    # action, the shell counted as risky, and the step went up to Opus.
    s = extract_signals(_agent(text, SHELL))
    assert not s.action_requested, text
    assert s.risky_tools == (), text


def test_a_noun_list_tool_is_not_risky_when_advice_is_asked() -> None:
    tools = tool_config(
        ("weather", "Temperature and rain for a city."),
        ("city_search", "Find a city by name."),
    )
    s = extract_signals(_agent("Recommend the best day for a picnic in Lyon.", tools))
    assert not s.action_requested
    assert s.risky_tools == ()

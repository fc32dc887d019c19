"""Agents acting through general-purpose tools, in other words and languages, and confirming
in a word (issue 12, round 8): a command line or a raw HTTP request can do anything, so the
ask decides; a question in any language only looks; a thumbs-up after a proposed deletion
asks for it, after an offer to show something only looks. Wordings here are not the corpus's."""

from __future__ import annotations

from typing import Any

import pytest

from converse_shapes import tool_config, user_turn
from tierwise.core.classes import class_features
from tierwise.core.signals import extract_signals
from tierwise.core.tool_risk import is_destructive_tool, is_general_tool


@pytest.mark.parametrize(
    ("name", "description", "risky"),
    [
        ("host_command", "Run a command in the build container.", True),
        ("terminal", "An interactive terminal on the jump host.", True),
        ("api_call", "Make an HTTP request (method, url, body) to the partner API.", True),
        ("warehouse", "Run a SQL statement on the warehouse and return the rows.", True),
        ("curl", "", True),
        # Reading tools that mention the same words stay harmless.
        ("get_http_status", "Status code of an HTTP endpoint.", False),
        ("list_commands", "Commands available on the host.", False),
        ("explain_error", "Explains an HTTP error code in plain words.", False),
        ("web_fetch", "Fetch a web page over HTTP.", False),
        ("http_get", "HTTP GET a URL (read-only).", False),
        ("run_report", "Run the weekly sales report.", False),
        ("write_file", "Write a file in the workspace.", False),
    ],
)
def test_general_purpose_tools_are_told_from_reading_ones(
    name: str, description: str, risky: bool
) -> None:
    assert is_general_tool(name, description) is risky
    # Not risky by themselves: only when an action is asked for (below).
    assert not is_destructive_tool(name, description)


SHELL = tool_config(
    ("run_command", "Run a command on a server and return stdout."),
    ("host_inventory", "Servers with role and region."),
)


def _agent(text: str) -> dict[str, Any]:
    return {"toolConfig": SHELL, "messages": [user_turn(text)]}


@pytest.mark.parametrize(
    "text",
    [
        "Restart the cache servers in Lyon, all of them.",
        # round 11: no list holds the verb, which is neither looking nor making something
        "Redémarre les serveurs de cache à Lyon.",
    ],
)
def test_an_action_asked_through_a_shell_is_about_to_act(text: str) -> None:
    s = extract_signals(_agent(text))
    assert s.risky_tools == ("run_command",)
    assert s.action_requested
    assert class_features(s).get("tools:destructive_asked") == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "Run df -h on the backup host and paste the output.",
        "Ajoute une note sur l'alerte disque.",
        "Open a ticket for the disk alert.",
    ],
)
def test_a_general_tool_without_an_action_asked_is_an_ordinary_tool(text: str) -> None:
    # No verb list holds every language, and most steps through a shell only read or make
    # ordinary changes: without an action asked, the command line is no risky tool.
    s = extract_signals(_agent(text))
    assert s.risky_tools == ()
    f = class_features(s)
    assert "tools:destructive" not in f
    assert f.get("tools:read_only") == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "Wie viele Knoten laufen in Frankfurt?",
        "¿Qué versión de nginx tiene el balanceador?",
        "Quel serveur a le disque le plus plein ?",
        "Sum the failed logins per host for last week.",
        "Dry-run the log rotation and tell me what it would delete.",
        "Pull up the crontab of the backup host.",
    ],
)
def test_questions_in_any_language_and_reading_verbs_only_look(text: str) -> None:
    s = extract_signals(_agent(text))
    assert not s.action_requested, text
    assert s.read_only_ask, text
    assert "tools:destructive_asked" not in class_features(s)
    # With a tool that is risky by its name, the same asks only look.
    risky = {**_agent(text), "toolConfig": tool_config(("drop_table", "Drop a table."))}
    assert class_features(extract_signals(risky)).get("tools:read_only_ask") == 1.0


def _confirmed(proposal: str, reply: str) -> dict[str, Any]:
    return {
        "toolConfig": SHELL,
        "messages": [
            user_turn("The disk on build-7 is nearly full."),
            {"role": "assistant", "content": [{"text": proposal}]},
            user_turn(reply),
        ],
    }


@pytest.mark.parametrize(
    "proposal",
    [
        "Deleting the old build caches frees 80 GB. They are not backed up. OK?",
        "I'll run `rm -rf /srv/cache/*` on build-7. Go ahead?",
        "The stale artifacts get purged and the runner restarted. Shall I?",
    ],
)
@pytest.mark.parametrize("reply", ["\U0001f44d", "yes", "vas-y"])
def test_a_word_or_an_emoji_after_a_proposed_irreversible_step_asks_for_it(
    proposal: str, reply: str
) -> None:
    s = extract_signals(_confirmed(proposal, reply))
    assert s.action_requested
    assert not s.read_only_ask


@pytest.mark.parametrize(
    "proposal",
    ["Want me to list the ten biggest directories?", "Shall I show you the cron jobs?"],
)
def test_a_word_after_an_offer_to_look_only_looks(proposal: str) -> None:
    s = extract_signals(_confirmed(proposal, "\U0001f44d"))
    assert not s.action_requested
    assert s.read_only_ask
    assert "tools:destructive_in_loop" not in class_features(s)


@pytest.mark.parametrize(
    ("text", "maths"),
    [
        ("How much is a day pass?", False),
        ("How many vacation days do I get in my first year?", False),
        ("A pass costs 12 euros and a card 95. How much will 9 visits cost with each?", True),
        ("Ana has twice as many stamps as Ben, who has forty. How many does Ana have?", True),
        ("Solve: how many integers x satisfy the inequality?", True),
    ],
)
def test_how_much_is_maths_only_with_numbers_to_work_with(text: str, maths: bool) -> None:
    s = extract_signals({"messages": [user_turn(text)]})
    assert ("math_task" in s.cues) is maths, text

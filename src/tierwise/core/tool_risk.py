"""Which tools act in a way that is hard to undo, and the verbs that say so.

An agent offered such a tool, and asked in so many words to use it (or already in a tool
loop), is about to take an irreversible step: the task class ``high_stakes_agent``. Tools
are judged by their name and their description; nothing here reads the request itself.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "DESTRUCTIVE_TOOL_WORDS",
    "is_destructive_tool",
    "is_general_tool",
    "may_act",
    "tool_words",
    "verb_forms",
]

# Verbs (and a few nouns) of actions that are hard to undo: deleting, sending, paying,
# deploying, migrating, cancelling, revoking... Tool names are split into words (snake_case,
# kebab-case, camelCase, dots), so "get_wireless_status" is not a wire transfer; "create",
# "update" and "write" are left out (an agent that books a meeting or edits a file is an
# ordinary agent step).
_DESTRUCTIVE_BASE = (
    "delete", "drop", "remove", "destroy", "terminate", "truncate", "transfer", "payment",
    "pay", "refund", "deploy", "execute", "exec", "shell", "bash", "wire", "purge", "wipe",
    "erase", "revoke", "rollback", "kill", "shutdown", "sudo", "charge", "payout", "withdraw",
    "sql", "rm", "overwrite", "publish", "unpublish", "merge", "force", "send", "apply",
    "migrate", "migration", "restart", "reboot", "cancel", "disable", "deactivate", "suspend",
    "ban", "void", "reset", "push", "rotate", "offboard", "decommission",
    # Orders that trade, cluster operations that evict workloads, messages to many people.
    "sell", "liquidate", "drain", "evict", "cordon", "rollout", "notify", "broadcast",
)  # fmt: skip
# Words that name a risky tool but are not verbs a description starts with ("Payment
# status for an order", "Shell history").
_NOT_DESCRIPTION_VERBS = ("payment", "sql", "shell", "bash", "rm", "sudo", "payout", "force")


def verb_forms(words: tuple[str, ...]) -> frozenset[str]:
    """``words`` with their -s, -es, -ed, -d and -ing forms (delete -> deletes, deleted,
    deleting; drop -> dropped, dropping; cancel -> cancelled, cancelling)."""
    out: set[str] = set()
    for w in words:
        out.update((w, w + "s", w + "es", w + "ed", w + "ing"))
        if w.endswith("e"):
            out.update((w + "d", w[:-1] + "ing"))
        if len(w) >= 3 and w[-1] in "bdglmnprt" and w[-2] in "aeiou" and w[-3] not in "aeiou":
            out.update((w + w[-1] + "ed", w + w[-1] + "ing"))
    return frozenset(out)


# Tool names say what they do in the base form (delete_user, sendEmail); "list_deleted_items"
# or "dropped_calls" read. Descriptions say it in any form ("Deletes...", "Sends...").
DESTRUCTIVE_TOOL_WORDS = frozenset(_DESTRUCTIVE_BASE)
_DESCRIPTION_VERBS = verb_forms(_DESTRUCTIVE_BASE) - verb_forms(_NOT_DESCRIPTION_VERBS)
# A tool description that says its effect is permanent makes the tool destructive too; one
# that says it is read-only outranks its name.
_PERMANENT_WORDS = frozenset(
    {"permanently", "irreversible", "irreversibly", "unrecoverable", "undone"}
)
# Words a description may start with before its verb ("This tool deletes...", "Used to send").
_LEAD_FILLER = frozenset(
    {"this", "tool", "function", "will", "can", "to", "used", "it", "immediately", "directly"}
)
_READ_ONLY = re.compile(r"\bread[- ]?only\b")
# General-purpose tools: a command line, a raw HTTP request, a terminal. Their names do not
# say what they do because they can do anything ("run_command", "http_request", "ssh_exec"),
# so whether the agent is about to act rests on what it is asked: they count as risky only
# when an irreversible action is asked for. (Counted as risky whenever offered, every ordinary
# step through them - "run df -h", "add a note" - leaned to high_stakes_agent.)
# Named in the tool's name or in the first words of its description ("Run a command on a
# host", "Make an HTTP request (method, path, body) to the billing API", "Run a SQL statement
# on the warehouse"). A tool whose name reads ("get_http_status", "list_commands") is not
# one unless its description says it runs anything; "write_file" is an ordinary edit. A tool
# that calls any action of an API or a cloud CLI ("aws_api": "Call an AWS service API action
# with parameters"; "identity_api", "gcloud_cli") is one too.
_GENERAL_WORDS = frozenset(
    {"command", "commands", "cmd", "http", "https", "curl", "terminal", "ssh", "powershell", "sql",
     "api", "apis", "cli"}
)  # fmt: skip
_GENERAL_LEADS = verb_forms(("run", "make", "send", "execute", "issue", "perform", "call"))
_READ_NAME_WORDS = frozenset(
    {"get", "fetch", "read", "list", "search", "query", "describe", "show", "view", "lookup",
     "check", "status", "history", "help"}
)  # fmt: skip
_NAME_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_DESCRIPTION_WORD = re.compile(r"[a-z]+")


def tool_words(name: str) -> frozenset[str]:
    """The lower-cased words of a tool name (``runSQL`` -> run, sql)."""
    return frozenset(w.lower() for w in _NAME_WORD.findall(name))


# A team's tool configs repeat on every request of an agent loop: remember the verdicts.
@lru_cache(maxsize=2048)
def is_destructive_tool(name: str, description: str = "") -> bool:
    """Whether a tool acts in a way that is hard to undo: its name says so, or its
    description starts with such a verb ("Deletes a DNS record", "Execute SQL on ...") or
    says the effect is permanent ("cannot be undone"). A description that says the tool is
    read-only (and nothing permanent) outranks its name."""
    text = description[:400].lower()
    words = _DESCRIPTION_WORD.findall(text) if text else []
    if not _PERMANENT_WORDS.isdisjoint(words):
        return True
    if text and _READ_ONLY.search(text):
        return False
    if not tool_words(name).isdisjoint(DESTRUCTIVE_TOOL_WORDS):
        return True
    lead = [w for w in words[:6] if w not in _LEAD_FILLER]
    return bool(lead) and lead[0] in _DESCRIPTION_VERBS


@lru_cache(maxsize=2048)
def is_general_tool(name: str, description: str = "") -> bool:
    """Whether a tool runs whatever it is given (a command line, a raw HTTP request, a SQL
    runner), so it can act irreversibly or only read, depending on what it is asked. Such a
    tool is not risky by itself: it counts as one only when the user asks for an irreversible
    action (:func:`tierwise.core.signals.extract_signals`)."""
    text = description[:400].lower()
    if text and _READ_ONLY.search(text):
        return False
    name_words = tool_words(name)
    if not name_words.isdisjoint(_GENERAL_WORDS) and name_words.isdisjoint(_READ_NAME_WORDS):
        return True
    words = _DESCRIPTION_WORD.findall(text) if text else []
    lead = [w for w in words[:6] if w not in _LEAD_FILLER]
    # "Run a command on a host", "Make an HTTP request ...", "Run a SQL statement ..." (run_query)
    return bool(lead) and lead[0] in _GENERAL_LEADS and not _GENERAL_WORDS.isdisjoint(lead[1:4])


# Words of a tool's name that say it only reads or reports ("member_info", "crash_stats",
# "points_report", "flag_audit_log"), besides the reading verbs above.
_READ_NAME_NOUNS = frozenset(
    {"info", "details", "stats", "statistics", "report", "reports", "metrics", "usage", "log",
     "logs", "audit", "overview", "summary", "count", "counts", "preview", "diff", "size",
     "health", "inspect", "lookup", "chart", "dashboard", "catalog", "directory"}
)  # fmt: skip
# A description that starts with a verb and its object ("Set an article to live", "Move a
# user's files to another user") or with a list of verbs ("Yank, deprecate or re-tag
# versions ...", "Close, resolve or reassign many tickets"); not a noun phrase ("Targeting
# rules and rollout percentage of one flag", "Projects that depend on a package").
# A list of nouns has the same shape ("Temperature and rain for a city.", "Users and groups
# in the directory."): a list of verbs is followed by what they act on, not by a preposition
# or a verb of its own.
_VERB_LIST = re.compile(
    r"([a-z][a-z-]*)(?:, [a-z][a-z-]*)*,? (?:or|and) [a-z][a-z-]* "
    r"(?!(?:for|of|in|on|at|from|to|with|by|about|per|across|within|under|over|is|are|was"
    r"|were|that|which)\b)\w"
)
_VERB_OBJECT = re.compile(
    r"([a-z][a-z-]*) (?:a|an|the|one|many|all|every|each|any|its|their|some|several)\b"
)
_READ_LEADS = frozenset(
    {"get", "gets", "fetch", "fetches", "read", "reads", "list", "lists", "search", "searches",
     "query", "queries", "describe", "describes", "show", "shows", "view", "views", "look",
     "looks", "check", "checks", "find", "finds", "count", "counts", "return", "returns",
     "retrieve", "retrieves", "preview", "previews", "render", "renders", "compute",
     "computes", "calculate", "calculates", "estimate", "estimates", "validate", "validates",
     # and that make or edit something: an ordinary step ("Create a calendar event")
     "create", "creates", "add", "adds", "write", "writes", "update", "updates", "edit",
     "edits", "draft", "drafts", "book", "books", "schedule", "schedules", "open", "opens",
     "log", "logs", "comment", "comments", "tag", "tags", "label", "labels", "assign",
     "assigns", "rename", "renames", "attach", "attaches", "upload", "uploads", "save",
     "saves", "copy", "copies", "invite", "invites", "reply", "replies", "generate",
     "generates", "translate", "translates", "format", "formats"}
)  # fmt: skip


@lru_cache(maxsize=2048)
def may_act(name: str, description: str = "") -> bool:
    """Whether a tool may change something though neither its name nor its description
    uses a word of :data:`DESTRUCTIVE_TOOL_WORDS`: its name has no reading word and its
    description starts with a verb that does not read, before its object or in a list of
    verbs. Counted as risky only when an action is asked and no other tool is risky
    (:func:`tierwise.core.signals.extract_signals`)."""
    text = description[:400].lower()
    if text and _READ_ONLY.search(text):
        return False
    words = tool_words(name)
    if not words.isdisjoint(_READ_NAME_WORDS) or not words.isdisjoint(_READ_NAME_NOUNS):
        return False
    lead = " ".join(w for w in text.split()[:12] if w not in _LEAD_FILLER)
    m = _VERB_LIST.match(lead) or _VERB_OBJECT.match(lead)
    return m is not None and m.group(1) not in _READ_LEADS

"""Team-written requests for the class corpus, round 8 of issue 12: agents about to take an
irreversible step with tools whose names do not say so (``run_command``, ``http_request``,
``bulk_update``), asked in verbs the earlier rounds did not use and in other languages, or
confirmed in a word after the assistant proposed the step (``high_stakes_agent``); the same
agents only looking, dry-running or previewing (``agent_step``); and plans, memos and briefs
that must weigh options (``complex_analysis``) against memos and notes that only announce
(``content_writing``).

Held out by template, round 5's agents about to act were right 0.73 and its "write a
plan/memo" rows 0.65. Nothing here was copied from an acceptance set; agents, tools and
wordings are new. Each agent is a template per class, each plan or memo wording its own
template, so held-out-template evaluation measures new agents and new wordings.
"""

# ruff: noqa: E501 - wordings are data
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from tierwise.router.class_draws import distinct
from tierwise.router.class_round3 import agent_rows
from tierwise.router.class_round5 import _shaped, confirm_rows

__all__ = ["AGENTS_R8", "STEPS", "round8_rows"]

AGENTS_R8: list[dict[str, Any]] = [
    {
        "id": "cms",
        "systems": [
            "You operate the newsroom CMS for Harbour Daily. Changes go live on the website immediately.",
            "You are the publishing assistant for the editorial team.",
        ],
        "tools": [
            ("search_articles", "Find articles by tag, author or date."),
            ("get_article", "Full text and status of one article."),
            ("set_article_state", "Set an article to live, draft or removed."),
            ("bulk_update", "Apply one field change to many articles at once."),
        ],
        "read": (
            "search_articles",
            {"tag": "promo-2023"},
            {"count": 64, "ids": ["a-8812", "a-8813", "a-8840"]},
        ),
        "act": [
            "Take down every article tagged promo-2023 from the site.",
            "Legal says the Q3 press release has to come off the site right now.",
            "Setze alle Artikel der Rubrik Gutscheine auf entfernt.",
            "Retira del sitio las 40 notas duplicadas de ayer.",
        ],
        "read_only": [
            "How many articles are tagged promo-2023?",
            "Which pieces did legal flag this week?",
            "Pull up the current draft of the Q3 press release for me.",
        ],
    },
    {
        "id": "crm_ops",
        "systems": [
            "You maintain the sales CRM for Corvid Systems. Merges and mass updates cannot be reverted.",
            "You help the revenue operations team keep the CRM clean.",
        ],
        "tools": [
            ("query_contacts", "Search contacts and companies."),
            ("merge_records", "Merge duplicate records into one; the duplicates are deleted."),
            ("mass_update", "Set a field on every record of a segment."),
            ("segment_stats", "Counts per segment."),
        ],
        "read": (
            "query_contacts",
            {"company": "Acme Corp", "duplicates": True},
            {"duplicates": 37, "oldest": "c-10021"},
        ),
        "act": [
            "Fold all the duplicate Acme Corp contacts into the oldest record.",
            "Mark every lead older than two years as do-not-contact and blank their phone numbers.",
            "Fusionne les doublons du segment PME.",
            "Unisci i contatti duplicati di Rossi SpA in un unico record.",
        ],
        "read_only": [
            "How many duplicate contacts does Acme Corp have?",
            "Which segment has the most leads older than two years?",
            "Quanti contatti ha il segmento PMI?",
        ],
    },
    {
        "id": "infra_shell",
        "systems": [
            "You are the SRE assistant with root shell access to the fleet.",
            "You help the on-call engineer operate the production hosts.",
        ],
        "tools": [
            ("run_command", "Run a command on a host and return its output."),
            ("get_metrics", "CPU, memory and disk metrics of a host."),
            ("read_file", "Read a file on a host."),
            ("list_hosts", "Hosts with role and region."),
        ],
        "read": (
            "get_metrics",
            {"host": "db-replica-2"},
            {"disk_used_pct": 91, "largest": "/var/lib/postgres/archive"},
        ),
        "act": [
            "Free up disk on db-replica-2 by clearing out /var/lib/postgres/archive.",
            "Rotate the TLS certificates on edge-01 to edge-04 now.",
            "Reinicia el clúster de Kafka de producción.",
            "Herstart de webservers in Amsterdam, allemaal tegelijk.",
        ],
        "read_only": [
            "What's using the disk on db-replica-2?",
            "Check whether edge-03's certificate expires this month.",
            "Dry-run the archive cleanup on db-replica-2 and tell me what it would remove; don't touch anything.",
        ],
    },
    {
        "id": "billing_http",
        "systems": [
            "You call the billing service's API for the finance team. POST requests take effect at once.",
            "You assist accounts receivable with customer balances.",
        ],
        "tools": [
            ("http_request", "Make an HTTP request (method, path, body) to the billing API."),
            ("get_invoice", "One invoice with lines and payments."),
            ("list_overdue", "Overdue invoices by country."),
        ],
        "read": (
            "list_overdue",
            {"country": "PT"},
            {"invoices": 41, "total_eur": 18240},
        ),
        "act": [
            "Credit back the last three invoices for customer 8812.",
            "Waive the late fees on every overdue account in Portugal and close them out.",
            "Estorne a fatura 5521 do cliente Silva.",
            "Erstatte Kunde 4471 die doppelte Abbuchung vom Mai.",
        ],
        "read_only": [
            "What's the open balance for customer 8812?",
            "List the overdue invoices in Portugal, largest first.",
            "Qual é o valor da fatura 5521?",
        ],
    },
    {
        "id": "access",
        "systems": [
            "You are the IT access assistant. You can lock accounts, move data and remove mailboxes.",
            "You help IT with joiners, movers and leavers.",
        ],
        "tools": [
            ("list_users", "Users with last login and groups."),
            ("set_user_status", "Set a user to active, locked or disabled."),
            ("transfer_ownership", "Move a user's files and calendars to another user."),
            ("remove_mailbox", "Remove a mailbox and its archive."),
        ],
        "read": (
            "list_users",
            {"inactive_days": 90},
            {"users": ["p.raman", "t.oduya", "interns-2025"], "count": 14},
        ),
        "act": [
            "Priya Raman leaves today: lock her out and hand her files to Tom.",
            "Desactiva las cuentas de los becarios que terminaron en junio.",
            "Sperr den Zugang von M. Keller sofort.",
            "Get rid of the mailboxes of everyone who left last year.",
        ],
        "read_only": [
            "Which accounts haven't logged in for 90 days?",
            "Who owns the Finance shared drive?",
            "¿Cuántos becarios siguen con la cuenta activa?",
        ],
    },
    {
        "id": "shop",
        "systems": [
            "You manage the Fjellgear web shop. Price changes and buyer messages go out immediately.",
            "You are the e-commerce operations assistant.",
        ],
        "tools": [
            ("list_listings", "Listings with price, stock and sales."),
            ("set_price", "Set the price of one or many listings."),
            ("delist", "Remove listings from the shop."),
            ("message_buyers", "Send a message to buyers with open orders."),
        ],
        "read": (
            "list_listings",
            {"category": "winter jackets"},
            {"listings": 212, "avg_price": 189},
        ),
        "act": [
            "Knock 40% off every winter jacket in the shop.",
            "Tell every buyer with an open order that shipping slips a week.",
            "Baja el precio de todas las chaquetas un 30 %.",
            "Supprime les annonces en double de la boutique.",
        ],
        "read_only": [
            "Which listings have had no sales in 60 days?",
            "What did we charge for the Storm parka last month?",
            "Combien d'annonces en double avons-nous ?",
        ],
    },
]

# The assistant proposes the irreversible step; the user confirms it in a word or two (an
# emoji, a language the earlier rounds did not use). Then look-alikes that only agree to read.
CONFIRMATIONS: list[tuple[str, str, str]] = [
    (
        "infra_shell",
        "I'll run `rm -rf /var/lib/postgres/archive/*` on db-replica-2. That frees 410 GB; the files are not backed up elsewhere. Go?",
        "do it",
    ),
    (
        "crm_ops",
        "Merging folds 37 Acme contacts into c-10021; notes are combined and the 36 duplicates deleted. Proceed?",
        "approved",
    ),
    (
        "billing_http",
        "I'll POST credit notes for invoices 9912, 9913 and 9917 (EUR 4,380 in total) and email them to the customer. Shall I?",
        "👍",
    ),
    (
        "shop",
        "This lowers 212 listings by 40% at once; buyers see the new prices immediately. Apply it?",
        "sí, dale",
    ),
    (
        "access",
        "I'll disable Priya's account, end her sessions and move 1,204 files to Tom. Continue?",
        "yes that's right",
    ),
    (
        "cms",
        "Removing the press release takes it off the site, the RSS feed and the app. Go ahead?",
        "ja bitte",
    ),
]
CONFIRM_READS: list[tuple[str, str, str]] = [
    (
        "infra_shell",
        "db-replica-2 is at 91% disk. Want me to list the ten largest directories?",
        "yes",
    ),
    (
        "shop",
        "12 listings had no sales in 60 days. Shall I show them with their prices?",
        "sure, show me",
    ),
    ("billing_http", "Customer 8812 has three unpaid invoices. Want the details?", "👍"),
]

# The same agents asked for ordinary steps that neither look nor act irreversibly: a note, a
# draft, an assignment, a command that only reads, in words no reading-verb list holds
# (``agent_step``). Written after the round-8 change made every risky tool offered without a
# read-only ask lean to ``high_stakes_agent``: without such rows the corpus taught that any
# instruction to an agent with a risky or general-purpose tool acts.
STEPS: dict[str, list[str]] = {
    "cms": [
        "Add the tag elections to yesterday's piece on the council vote.",
        "Create a draft titled 'Harbour festival: what to know' for the weekend desk.",
        "Assign the flood story to Maria for copy-editing.",
    ],
    "crm_ops": [
        "Add a note to the Acme Corp account that they renew in March.",
        "Create a task for Jonas to call Rossi SpA on Monday.",
        "Ajoute Claire Dubois de Vinci à la liste des invités du salon.",
    ],
    "infra_shell": [
        "Run df -h on db-replica-2 and paste me the output.",
        "Open a ticket for the disk alert on db-replica-2 and put it in the SRE queue.",
        "Zeig mir die Festplattenbelegung von db-replica-2.",
    ],
    "billing_http": [
        "Make a GET request for customer 8812's payment history.",
        "Add a note to invoice 5521 that the customer called about it.",
        "Busca las facturas del cliente Silva de este año.",
    ],
    "access": [
        "Create an account for the new intern Lea Brandt, starting Monday.",
        "Rename the group mktg to marketing.",
        "Schedule Priya's exit interview for Friday at 3 pm.",
    ],
    "shop": [
        "Add a size chart to the Storm parka listing.",
        "Write a German description for the Summit beanie listing.",
        "Tag the winter jackets with the new season label.",
    ],
}

# Plans, memos and briefs that must weigh options, costs and risks and recommend
# (complex_analysis), and memos and notes of the same shape that only announce or invite
# (content_writing).
PLAN_ASKS: dict[str, list[str]] = {
    "complex_analysis": [
        "Write a one-page memo to the COO on whether we bring customer support in-house next year or keep the outsourcer; weigh cost, quality and hiring risk and end with what you'd do.",
        "Put together a proposal for moving our analytics from Redshift to Snowflake: the options, what each costs, what could go wrong, and how we'd phase it.",
        "Draft the plan for consolidating our three warehouses into two by Q3, with the sequencing, the risks and the decision points the board has to sign off.",
        "Prepare a brief for the leadership offsite on entering the Nordic market in 2026: two or three scenarios and a recommendation.",
        "Schreib ein Memo an die Geschäftsführung: Sollen wir die Fertigung nach Polen verlagern? Mit Kosten, Risiken, Zeitplan und deiner Empfehlung.",
        "Rédige une note pour le comité : faut-il remplacer notre ERP maintenant ou dans deux ans ? Compare les deux options et recommande.",
    ],
    "content_writing": [
        "Write a memo to all staff announcing the office is closed on 24 and 31 December.",
        "Draft a short proposal email inviting Nordwind to a partnership call next week.",
        "Write the daily note for the warehouse team: today's shifts, the new helmet rule, and a thank-you for last week.",
        "Schreib eine kurze Rundmail ans Team: Die Fertigung zieht im März in Halle 3 um.",
    ],
}


def _plan_rows(rng: random.Random, draws: int = 3) -> Iterator[dict[str, Any]]:
    for cls, wordings in PLAN_ASKS.items():
        for i, wording in enumerate(wordings):
            for request in distinct(_shaped(wording, rng) for _ in range(draws)):
                yield {
                    "class": cls,
                    "template": f"r8-plan-{cls}-{i}",
                    "source": "team-templates",
                    "request": request,
                }


def round8_rows(seed: int = 88) -> Iterator[dict[str, Any]]:
    """All round-8 rows (deterministic)."""
    rng = random.Random(seed)
    yield from agent_rows(rng, AGENTS_R8, "r8")
    yield from confirm_rows(rng, AGENTS_R8, CONFIRMATIONS, CONFIRM_READS, prefix="r8", templates=3)
    yield from _plan_rows(rng)
    # Their own generator, after the rows above, so those stay as they were.
    steps = [{**agent, "act": [], "read_only": STEPS[agent["id"]]} for agent in AGENTS_R8]
    yield from agent_rows(random.Random(seed + 1), steps, "r8-steps")

"""Team-written requests for the class corpus, round 18 of issue 12: the families the v1 set's
misses fall in (counted by intended and routed class only, never by reading its requests), and
the two misfires round 17 left, as a test set written before any round-18 router change.

Groups, on domains and wordings no earlier round used:

- **Tickets about software faults, to route** (``r18-bugtriage-<i>``, ``triage``): a bug or
  outage told by a user, under a routing instruction (queues, priorities), against the same
  kind of report asked to be fixed (``r18-bugfix-<i>``, ``code_debug``).
- **Mechanical rewrites** (``r18-rewrite-<i>``, ``transform``): tense, person, casing,
  abbreviations, list numbering, an address or a name order changed with the content kept,
  against new pieces written from notes (``r18-writeup-<i>``, ``content_writing``).
- **Customer messages to translate** (``r18-msgtranslate-<i>``, ``translate``): a complaint, a
  reply before it is sent, a review, in and out of English, French, German, Spanish, Italian,
  Polish and Japanese, under a support desk's prompt or bare.
- **Short text about code** (``r18-codeshort-<i>``, ``short_form``): a commit message, a pull
  request title, a branch name, a changelog line, a release name, from a described change or a
  diff.
- **Small talk** (``r18-chat-<i>``, ``chit_chat``): news, moods, jokes and reactions in a
  sentence, in five languages, that ask for no piece of writing.
- **Labels over numbers** (``r18-numlabel-<i>``, ``classify``): bank lines, expenses, reviews
  with stars and spam with prizes, asked for one label or yes/no.
- **An agent told to act in a statement of need** (``r18-agentneed-<i>``,
  ``high_stakes_agent``): "I want ... gone", "make sure X no longer has access", "those can
  go", with tools that change state, against the same agents asked to look
  (``r18-agentlook-<i>``, ``agent_step``).
- **Decisions over a table** (``r18-tabledecide-<i>``, ``complex_analysis``): figures given,
  a choice and its reasons asked, against a value looked up in the same tables
  (``r18-tablelookup-<i>``, ``extract``).
- **Maths in words of software** (``r18-matherr-<i>``, ``math``): "error", "undefined",
  "fails", "exception", "crashes" in their mathematical or statistical sense.
- **Short advice about a team or a plan** (``r18-advice-<i>``, ``general_qa``): "should we
  ... or ...?" with nothing to weigh but the question, against the same choices asked with the
  material and constraints to weigh (``r18-plan-<i>``, ``complex_analysis``).
- **Small answers over hard material** (``r18-smallans-<i>``, ``extract`` / ``classify``): a
  yes/no, one label, one line or JSON with given keys asked of a contract, a proof, a design
  document or a stack trace.

Nothing was copied from an acceptance set, a benchmark or the wordings of an earlier round;
no wording is shared between two templates. Each wording is its own template id, so
evaluation holds out wordings.
"""

# ruff: noqa: E501 - wordings and materials are data
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from tierwise.router.class_round3 import _text, _tool_config
from tierwise.router.corpus_shapes import shaped

__all__ = ["round18_rows"]

Request = dict[str, Any]

_PERSONAS = [
    "You are the assistant of a 40-person design studio. Short, plain answers.",
    "Du bist der Assistent im Intranet der Stadtwerke Ravensburg. Antworte knapp.",
    "Assistant for staff at Northgate Library Services. Be friendly and concise.",
]

_EARLIER = [
    ("hey, you there?", "I'm here - what do you need?"),
    ("One more thing before I log off.", "Sure, go ahead."),
    ("thanks for earlier btw", "Glad it helped! Anything else?"),
]

_CODERS = [
    "You are a staff engineer helping the mobile team at Plover Health. Be precise.",
    "Coding assistant for the data platform team. Stack: Kotlin, Python, dbt, BigQuery.",
    "You help developers at a small agency building WordPress and Laravel sites.",
]


def _shaped(text: str, shape: str, rng: random.Random) -> Request:
    return shaped(text, shape, rng, _PERSONAS, _EARLIER)


def _coded(text: str, shape: str, rng: random.Random) -> Request:
    return shaped(text, shape, rng, _CODERS, _EARLIER)


# --- tickets about software faults, to route or to fix -----------------------------------------

_TRIAGE_SYSTEMS = [
    "Route each ticket for the Lumen app team. Queues: ios, android, web, api, billing. Reply as: queue | priority (P1-P4).",
    "You triage bug reports for Quarry CMS. Assign one of: editor, media, auth, performance, integrations. One word.",
    "Sortiere eingehende Störungsmeldungen: Team (Netz, Server, Arbeitsplatz, Anwendungen) und Dringlichkeit (hoch/mittel/niedrig).",
    "Clasifica cada incidencia por equipo (pagos, logística, app, web) y prioridad (alta, media, baja). Solo eso.",
]

BUG_TRIAGE: list[tuple[int, str]] = [
    (
        0,
        "Since the 4.2 update the app crashes on launch on my iPhone 12. Reinstalling didn't help.",
    ),
    (
        0,
        "Getting a 502 from /v2/orders for about 10% of calls since 14:05 UTC, our integration is failing.",
    ),
    (
        1,
        "When I paste a table from Word into the editor, all the cell borders disappear and the undo button stops working.",
    ),
    (1, "Image uploads over 8 MB time out and leave a broken thumbnail in the library."),
    (
        2,
        "Seit heute früh kommt beim Öffnen von SAP die Meldung 'Verbindung zum Server verloren', bei der ganzen Buchhaltung.",
    ),
    (3, "La app se cierra sola cuando intento pagar con tarjeta, desde ayer. Con PayPal funciona."),
    (0, "Android: push notifications arrive twice, sometimes three times, for the same message."),
    (1, "SSO login loops back to the login page for everyone with a @northwind.example address."),
]

BUG_FIX: list[str] = [
    "Since we upgraded to React 18 our modal closes itself right after it opens. It's opened from a useEffect that watches `isOpen`. What's going on and how do I fix it?",
    "Image uploads over 8 MB time out. nginx has client_max_body_size 20M and PHP upload_max_filesize 10M. The upload goes through a Laravel controller. Where's the bottleneck?",
    "Our Kotlin app crashes on launch only on Android 8 devices with 'java.lang.NoSuchMethodError: No virtual method toList()'. It builds fine. Why only there?",
    "SSO login loops back to the login page. The callback sets the session cookie with SameSite=Strict and the IdP is on another domain. Could that be it? How would you fix it?",
]

# --- mechanical rewrites, against new pieces written from notes ---------------------------------

REWRITES: list[str] = [
    "Put this paragraph in the past tense, nothing else changed:\n\nThe team reviews every request on Monday. Anna checks the budget and Tom sends the approvals by Wednesday.",
    "Change these from first person to third person (the author is Dr. Leila Haddad):\n\nI joined the clinic in 2015. I lead the sleep study programme and I teach at the university twice a week.",
    "Spell out every abbreviation in this note: 'Pt seen in ED w/ SOB, hx of COPD, BP 150/90, f/u w/ GP in 2 wks.'",
    "Turn these bullets into a numbered list and put each item in sentence case:\n- BOOK THE VENUE\n- send invites TO THE BOARD\n- Order Catering for 40",
    "Format this address the way Royal Mail wants it, one line per element:\n'flat 3, 12 harbour st, whitby north yorkshire yo21 3ps uk'",
    "Write these names as 'Surname, Given name', keep the order:\nMaría José Ortega\nKen Watanabe\nAoife Ní Bhriain",
    "Remets ce texte au vouvoiement, sans rien changer d'autre : « Salut, tu peux passer récupérer ton colis demain, on t'attend à l'accueil. »",
    "Wandle die Aufzählung in eine Tabelle mit den Spalten Artikel, Menge, Preis um:\n- Stühle, 12 Stück, 49 €\n- Tische, 3 Stück, 210 €\n- Lampen, 6 Stück, 35 €",
]

WRITEUPS: list[str] = [
    "Write a short welcome email for our new office manager, Priya, starting Monday. Mention the team lunch on Wednesday and that her desk is by the window.",
    "From these notes write a 120-word update for the parents' newsletter: new climbing frame installed, thanks to the PTA bake sale (raised £1,340), playground reopens 3 March.",
    "Draft a LinkedIn post celebrating our studio's 10th anniversary, warm but not cheesy, 3 short paragraphs.",
    "Schreib einen kurzen Text für unsere Website über den neuen Bürgerservice am Samstagvormittag.",
]

# --- customer messages to translate -------------------------------------------------------------

_SUPPORT_SYSTEM = "You support the customer service team of Velora, an online furniture shop selling across Europe."

MSG_TRANSLATIONS: list[str] = [
    "Translate this complaint into English so I can log it:\n\n« Bonjour, la table est arrivée avec un pied cassé et le livreur est reparti sans attendre. Je veux un remboursement ou un échange rapide. »",
    "Can you put my reply into German before I send it? 'Hi Mr Krüger, we're sorry the sofa was delayed. A new delivery slot is booked for Friday between 8 and 12. Best, Sam'",
    "Traduce al español esta respuesta para el cliente, mismo tono: 'Thanks for your patience, Lucía. Your refund of 89 EUR was issued today and should reach your card within 5 working days.'",
    "What does this review say in English? 'Szafa ładna, ale instrukcja montażu to koszmar. Składaliśmy ją 4 godziny.'",
    "English please: 'Buongiorno, vorrei sapere se posso cambiare il colore del divano che ho ordinato ieri, numero d'ordine 55812.'",
    "この問い合わせを英語に訳してください：「注文した椅子がまだ届きません。いつ発送されますか？」",
    "Put this customer's message into plain English, keep the order number: 'Hallo, ich habe Bestellung 77120 storniert, aber das Geld ist nach 3 Wochen immer noch nicht zurück.'",
    "Translate our standard apology into Italian and French, two versions: 'We're sorry for the trouble. We've sent a replacement part at no cost to you.'",
]

# --- short text about code ----------------------------------------------------------------------

CODE_SHORT: list[str] = [
    "Write a commit message for this change: moved the retry logic out of the payment client into a decorator and added a max_attempts setting.",
    "PR title for a change that fixes the date picker showing the wrong month in Safari. Under 60 characters.",
    "Suggest a git branch name for adding CSV export to the invoices page.",
    "One-line changelog entry: we dropped support for Python 3.8 and bumped the minimum pandas to 2.1.",
    "Give me a conventional-commit style message for this diff:\n\n-    timeout = 5\n+    timeout = settings.HTTP_TIMEOUT",
    "Name for our next internal release? Previous ones were named after rivers: Tamar, Severn, Wye. Just the name.",
    "Titre court pour ce ticket : les utilisateurs ne peuvent pas réinitialiser leur mot de passe si leur email contient un +.",
    "Kurzer Titel für den Merge Request: Caching der Produktliste in Redis, Ablauf nach 10 Minuten.",
]

# --- small talk ----------------------------------------------------------------------------------

CHAT: list[str] = [
    "guess what, I finally got the job!!",
    "ugh, Mondays. how are you holding up?",
    "lol ok you win that one",
    "happy friday!! any plans for the weekend, or do you not get weekends?",
    "I just wanted to say you've been really helpful this week",
    "Bonne soirée, à demain !",
    "Na, wie läuft's bei dir so?",
    "jajaja qué bueno, me alegraste el día",
]

# --- labels over numbers ------------------------------------------------------------------------

NUM_LABELS: list[str] = [
    "Category for this bank line (groceries, transport, eating out, bills, other), one word:\nCARD 14/11 UBER *TRIP HELP.UBER.COM 23.40 EUR",
    "Is this expense within policy? Policy: meals up to 35 EUR per person. Receipt: dinner for 3, 118.50 EUR. Yes or no.",
    "Sentiment (positive/negative/mixed): '4 stars - great sound for 59 dollars, but the left earbud died after 6 weeks.'",
    "Spam or not spam? 'Congratulations! You have been selected to receive $1,000,000. Reply with your bank details within 24 hours.'",
    "Which band is this salary in: A (<30k), B (30-45k), C (45-60k), D (>60k)? 'Annual base 52,400 plus 8% bonus.' Letter only.",
    "Tag each reading as normal, high or low (normal is 3.5-5.0): 4.1, 5.6, 3.2, 4.9",
    "Is this invoice overdue? Issued 2 October, 30-day terms, today is 14 November. Just yes or no.",
    "Klassifiziere die Buchung: Miete, Versicherung, Lebensmittel oder Sonstiges. 'SEPA-Lastschrift Allianz Versicherungs-AG 47,80 EUR'",
]

# --- an agent told to act in a statement of need, against looking --------------------------------

AGENTS: list[dict[str, Any]] = [
    {
        "system": "You are the IT admin agent for Harrow & Finch LLP. You can manage staff accounts and devices; changes apply immediately.",
        "tools": [
            ("list_users", "List staff accounts with status and groups."),
            ("get_device", "Look up a laptop or phone by asset tag."),
            ("disable_user", "Disable a staff account and revoke all sessions and tokens."),
            ("wipe_device", "Remotely erase a managed device. Irreversible."),
        ],
        "need": [
            "Dana Pike left today on bad terms. I need her out of every system before 5pm, and her laptop shouldn't have any client files on it by tonight.",
            "The phone with tag HF-0931 was stolen from Marco's car. I don't want anything readable on it.",
        ],
        "look": [
            "Which accounts haven't signed in for 90 days?",
            "Is Marco's phone still showing as managed?",
        ],
    },
    {
        "system": "You manage the billing ledger of Ostrava Water Co. through the tools below. Postings are final.",
        "tools": [
            ("search_invoices", "Search invoices by customer, status or date range."),
            (
                "write_off",
                "Write off the balance of an invoice; posts to the ledger, cannot be reversed.",
            ),
            ("issue_credit", "Issue a credit note to a customer account."),
        ],
        "need": [
            "Everything still unpaid from 2021 for the closed-down accounts is never coming back; I want it off our books this month.",
            "The Novak family were overbilled 212 CZK for three quarters because of the meter fault. They should get that back.",
        ],
        "look": [
            "How much is still unpaid from 2021?",
        ],
    },
    {
        "system": "Ops agent for the Kestrel analytics platform. You can run commands against the production GCP project.",
        "tools": [
            ("list_instances", "List Compute Engine instances with labels and uptime."),
            ("list_buckets", "List storage buckets with size and last access."),
            ("delete_bucket", "Delete a bucket and all objects in it."),
            ("stop_instance", "Stop a running instance."),
        ],
        "need": [
            "Nobody has touched the old exports-2022 bucket in a year and it's costing us 400 a month. I don't want to keep paying for it.",
            "Those two GPU boxes from the hackathon are still running. They shouldn't be.",
        ],
        "look": [
            "What's taking up the most storage right now?",
        ],
    },
]

# --- decisions over a table, against a value from it ---------------------------------------------

TABLES: list[tuple[str, str]] = [
    (
        "couriers",
        "| courier | cost per parcel | on-time % | damage claims / 1k | contract |\n|---|---|---|---|---|\n| Swiftline | 4.10 | 91 | 3.2 | 12 months |\n| ParcelGo | 3.60 | 84 | 5.9 | rolling monthly |\n| NordEx | 4.85 | 97 | 1.1 | 24 months |",
    ),
    (
        "clinics",
        "site,patients_per_day,wait_days,staff,rent_per_year,lease_ends\nOakfield,140,9,22,180000,2027\nMill Lane,95,4,15,120000,2026\nSt Anne's,60,2,11,150000,2031",
    ),
]

TABLE_DECISIONS: list[str] = [
    "{x}\n\nWe ship about 2,000 parcels a month, mostly fragile ceramics, and cash is tight this year. Which courier should we go with, and what would make you change your mind?",
    "Here are our three sites:\n{x}\n\nWe have to close one next year. Which one, and how would you handle the patients and staff affected? Weigh cost against access.",
    "{x}\n\nWe can afford to upgrade only one of these. Work through the trade-offs and recommend one, with the risks.",
]

TABLE_LOOKUPS: list[str] = [
    "{x}\n\nWhich row has the lowest cost? Just the name.",
    "From this table, give me the second column's values as a comma-separated list:\n{x}",
]

# --- maths in words of software ------------------------------------------------------------------

MATH_WORDS: list[str] = [
    "Error: the limit is undefined at x = 0, my textbook says. Is that right for sin(x)/x, and what is the limit?",
    "Why is tan(x) undefined at pi/2, and what happens to it on each side?",
    "What's the standard error of the mean for a sample of 25 with a standard deviation of 8?",
    "Using a first-order Taylor polynomial for sqrt(x) around 100, estimate sqrt(102) and bound the error.",
    "The ratio test fails for the series sum 1/n^2. Which test works instead, and does it converge?",
    "A test has a 5% false positive rate and a 2% false negative rate; 1 in 200 people have the disease. If someone tests positive, what's the chance they have it?",
    "Newton's method crashes into a division by zero when I start at x0 = 0 for f(x) = x^3 - 2x + 2. Why, and what happens if I start at 1 instead?",
    "La fonction f(x) = ln(x - 3) n'est pas définie pour x = 2. Quel est son domaine de définition, et sa dérivée ?",
]

# --- short advice about a team or a plan, against the same choice with material to weigh ----------

ADVICE: list[str] = [
    "Should we add a layer of team leads now, or wait until we're bigger?",
    "Is it better to hire a generalist or a specialist as our first designer?",
    "Should a 12-person startup have a written career ladder yet?",
    "Do you think weekly one-on-ones are too often for senior people?",
    "Sollten wir als kleines Team überhaupt OKRs einführen?",
    "¿Conviene rotar al responsable de las guardias cada semana o cada mes?",
]

PLANS: list[str] = [
    "We're 34 engineers in 3 product teams reporting to one director; attrition is 18%, two teams share one PM, on-call is spread unevenly and the director spends 60% of her week in one-on-ones. Design a new structure for the next 18 months: layers, team boundaries, who hires whom, and the order to roll it out in, with the risks of each step.",
    "Our support org (22 agents, 2 shifts, 3 languages) misses its 4-hour SLA on 30% of tickets, and tier-2 is 3 people who also write the docs. Propose how to restructure it within the same budget, compare at least two options, and say which you'd pick and why.",
]

# --- small answers over hard material -------------------------------------------------------------

_CLAUSE = (
    "14.2 Either party may terminate this Agreement for convenience on ninety (90) days' written notice, "
    "provided that no termination for convenience shall take effect before the third anniversary of the "
    "Effective Date. 14.3 Upon termination under 14.2, the Customer shall pay all fees accrued to the "
    "termination date and a wind-down fee equal to two (2) months' average fees."
)

_PROOF = (
    "Claim: for all n >= 1, 1 + 3 + ... + (2n - 1) = n^2. Proof: for n = 1 both sides are 1. "
    "Assume it holds for n. Then 1 + ... + (2n - 1) + (2n + 1) = n^2 + 2n + 1 = (n + 1)^2, so it holds for n + 1."
)

_TRACE = (
    'Traceback (most recent call last):\n  File "/app/jobs/sync.py", line 88, in run\n    rows = client.fetch(since)\n'
    '  File "/app/clients/crm.py", line 41, in fetch\n    resp.raise_for_status()\n'
    "requests.exceptions.HTTPError: 429 Client Error: Too Many Requests for url: https://crm.example/api/v3/contacts"
)

SMALL_ANSWERS: list[tuple[str, str]] = [
    (
        "classify",
        "Can the customer leave in year two under this clause? Yes or no only.\n\n" + _CLAUSE,
    ),
    (
        "extract",
        "From this clause, return JSON with keys notice_days and wind_down_months, nothing else.\n\n"
        + _CLAUSE,
    ),
    (
        "classify",
        "Is this proof by induction, contradiction or construction? One word.\n\n" + _PROOF,
    ),
    ("classify", "Is this error on our side or the CRM's? Answer 'ours' or 'theirs'.\n\n" + _TRACE),
    ("extract", "Which file and line raised it? One line, like path:line.\n\n" + _TRACE),
    ("extract", "What HTTP status code is in this trace? Just the number.\n\n" + _TRACE),
]


# --- rows ------------------------------------------------------------------------------------


def _asked_rows(
    texts: list[str], cls: str, template: str, rng: random.Random, coded: bool = False
) -> Iterator[dict[str, Any]]:
    """Each of ``texts`` asked in two of the three shapes (bare, under a system prompt, after an
    earlier exchange), as rows of ``cls``; ``coded`` puts it under a coding assistant's prompt."""
    for i, text in enumerate(texts):
        for shape in rng.sample(["bare", "persona", "earlier"], 2):
            yield {
                "class": cls,
                "template": f"{template}-{i}",
                "source": "team-templates",
                "request": (_coded if coded else _shaped)(text, shape, rng),
            }


def _bug_triage_rows() -> Iterator[dict[str, Any]]:
    """Each report under its routing prompt, once with the prompt as the system prompt and once
    with it opening the user turn."""
    for i, (system, report) in enumerate(BUG_TRIAGE):
        instruction = _TRIAGE_SYSTEMS[system]
        for request in (
            {"system": [{"text": instruction}], "messages": [_text("user", report)]},
            {"messages": [_text("user", f"{instruction}\n\nTicket: {report}")]},
        ):
            yield {
                "class": "triage",
                "template": f"r18-bugtriage-{i}",
                "source": "team-templates",
                "request": request,
            }


def _translation_rows() -> Iterator[dict[str, Any]]:
    for i, text in enumerate(MSG_TRANSLATIONS):
        for request in (
            {"system": [{"text": _SUPPORT_SYSTEM}], "messages": [_text("user", text)]},
            {"messages": [_text("user", text)]},
        ):
            yield {
                "class": "translate",
                "template": f"r18-msgtranslate-{i}",
                "source": "team-templates",
                "request": request,
            }


def _agent_rows() -> Iterator[dict[str, Any]]:
    """Each need and look asked as the first turn; each need again after a look at the state."""
    n_need = n_look = 0
    for agent in AGENTS:
        system = [{"text": agent["system"]}]
        tools = _tool_config(agent["tools"])
        for need in agent["need"]:
            first = {"system": system, "toolConfig": tools, "messages": [_text("user", need)]}
            later = {
                "system": system,
                "toolConfig": tools,
                "messages": [
                    _text("user", "Quick check before I ask for something."),
                    _text("assistant", "Sure - what would you like me to look at?"),
                    _text("user", need),
                ],
            }
            for request in (first, later):
                yield {
                    "class": "high_stakes_agent",
                    "template": f"r18-agentneed-{n_need}",
                    "source": "team-templates",
                    "request": request,
                }
            n_need += 1
        for look in agent["look"]:
            yield {
                "class": "agent_step",
                "template": f"r18-agentlook-{n_look}",
                "source": "team-templates",
                "request": {
                    "system": system,
                    "toolConfig": tools,
                    "messages": [_text("user", look)],
                },
            }
            n_look += 1


def _table_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for asks, cls, template in (
        (TABLE_DECISIONS, "complex_analysis", "r18-tabledecide"),
        (TABLE_LOOKUPS, "extract", "r18-tablelookup"),
    ):
        for i, ask in enumerate(asks):
            for material_id, table in TABLES:
                yield {
                    "class": cls,
                    "template": f"{template}-{i}",
                    "source": "team-templates",
                    "material": f"r18-{material_id}",
                    "request": _shaped(ask.format(x=table), rng.choice(["bare", "persona"]), rng),
                }


def _small_answer_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for i, (cls, text) in enumerate(SMALL_ANSWERS):
        for shape in rng.sample(["bare", "persona", "earlier"], 2):
            yield {
                "class": cls,
                "template": f"r18-smallans-{i}",
                "source": "team-templates",
                "request": _shaped(text, shape, rng),
            }


def round18_rows(seed: int = 1818) -> Iterator[dict[str, Any]]:
    """All round-18 rows (deterministic)."""
    rng = random.Random(seed)
    yield from _bug_triage_rows()
    yield from _asked_rows(BUG_FIX, "code_debug", "r18-bugfix", rng, coded=True)
    yield from _asked_rows(REWRITES, "transform", "r18-rewrite", rng)
    yield from _asked_rows(WRITEUPS, "content_writing", "r18-writeup", rng)
    yield from _translation_rows()
    yield from _asked_rows(CODE_SHORT, "short_form", "r18-codeshort", rng, coded=True)
    yield from _asked_rows(CHAT, "chit_chat", "r18-chat", rng)
    yield from _asked_rows(NUM_LABELS, "classify", "r18-numlabel", rng)
    yield from _agent_rows()
    yield from _table_rows(rng)
    yield from _asked_rows(MATH_WORDS, "math", "r18-matherr", rng)
    yield from _asked_rows(ADVICE, "general_qa", "r18-advice", rng)
    yield from _asked_rows(PLANS, "complex_analysis", "r18-plan", rng)
    yield from _small_answer_rows(rng)

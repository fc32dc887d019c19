"""Team-written requests for the class corpus, round 16 of issue 12: what round 15 left, as a
test set written before any round-16 router change.

Groups, on domains and wordings no earlier round used:

- **Open questions with numbers in them** (``r16-qa-num-<i>``, ``general_qa``): counts of
  units, calendar facts, years, rankings ("the 4 main causes", "why 12 months") inside a
  question that asks why, how, who or what happened, in English, French, German, Spanish,
  Italian, Portuguese and Dutch; asked bare, under a persona or after an earlier exchange.
- **Calculations asked with no maths word** (``r16-math-plain-<i>``, ``math``): a price after
  two discounts, a loan's instalment, a temperature in another scale, an arrival time, VAT, a
  share of a bill: the quantities are given and a value is asked ("what's the final price?",
  "combien ça fait ?", "was kostet das dann?"), without "calculate", "how many" or "solve".
- **Words of debugging in other senses** (``r16-crash-<i>``): market crashes, a car or plane
  crash, a "crash course", "with the exception of", "make an exception", in questions
  (``general_qa``), a support reply (``support_reply``) and a notice (``content_writing``).
- **Settings pasted with a debug level** (``r16-settings-<i>``, material ``r16-<id>``): .env,
  YAML, INI and JSON settings holding ``LOG_LEVEL=debug``, ``debug: true``, ``DEBUG=1``, asked
  to convert them (``transform``) or for a value (``extract``).
- **Debugging, the real thing** (``r16-debug-<i>``, ``code_debug``): an app that crashes, an
  exception raised, a debug log pasted with the question of what is wrong; so that the
  changes keep what the cue is for.

Nothing was copied from an acceptance set, a benchmark or the wordings of an earlier round;
no wording is shared between two templates. Each wording is its own template id, so
evaluation holds out wordings; ``material`` names the text a row is built on.
"""

# ruff: noqa: E501 - wordings and materials are data
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from tierwise.router.class_round3 import _text
from tierwise.router.corpus_shapes import shaped

__all__ = ["round16_rows"]

Request = dict[str, Any]

_PERSONAS = [
    "You are a friendly general-knowledge assistant. Answer clearly and briefly.",
    "Du bist der Assistent im Intranet der Stadtwerke Lindau. Antworte freundlich und knapp.",
    "Assistant for Maple Street Community College students. Plain language, no jargon.",
]

_EARLIER = [
    ("Hey, are you there?", "Yes - what can I do for you?"),
    ("I've got a random one for you.", "Sure, ask away."),
    ("Thanks for the help yesterday!", "You're welcome. What's up today?"),
]


def _shaped(text: str, shape: str, rng: random.Random) -> Request:
    return shaped(text, shape, rng, _PERSONAS, _EARLIER)


# --- open questions with numbers ---------------------------------------------------------------

QA_NUMBERS: list[str] = [
    "why are there 7 days in a week and not 10?",
    "Why does a year have 12 months when the moon goes round about 13 times?",
    "How did the 4 main causes of the First World War fit together?",
    "Who were the 2 astronauts who walked on the moon in 1969, and what happened to them afterwards?",
    "What was life like in London during the 1666 fire?",
    "Why do we still use 60 seconds in a minute, who came up with that?",
    "Pourquoi y a-t-il eu 2 guerres mondiales en moins de 30 ans ?",
    "Qu'est-ce qui a changé en France en 1905 avec la loi de séparation ?",
    "Warum hat ein Fußballspiel 90 Minuten und nicht 100?",
    "Was passierte 1848 in Deutschland, und warum scheiterte es?",
    "¿Por qué el año 1929 fue tan terrible para la economía de Argentina?",
    "¿Qué cambió en España después de las elecciones de 1977?",
    "Perché ci sono 20 regioni in Italia e solo 5 a statuto speciale?",
    "Por que o Brasil teve 3 capitais diferentes ao longo da história?",
    "Waarom heeft Nederland 12 provincies, en sinds wanneer?",
    "Why did the 1st and 2nd Industrial Revolutions happen in different countries?",
]

# --- calculations asked with no maths word -----------------------------------------------------

MATH_PLAIN: list[str] = [
    "A jacket is £84, marked 20% off, and at the till there's another 10% off the sale price. What do I pay?",
    "Loan of €15,000 at 4.2% a year over 5 years, paid monthly: what's the instalment?",
    "It's 68 °F outside. What is that in Celsius?",
    "Train leaves at 14:10 and the trip takes 2 h 47 min, with a 25-minute delay. When does it arrive?",
    "Four of us had dinner for $138.60 and want to leave an 18% tip. What does each person owe?",
    "I earn 52,000 a year and get a 3.5% raise, then 2% the year after. What's my salary in two years?",
    "Un article coûte 45 € HT, TVA à 20 %, et j'en prends 12. Ça fait combien TTC ?",
    "Ich lege 8.000 Euro zu 2,5 % Zinsen an, jährlich verzinst. Was habe ich nach 6 Jahren?",
    "Si un coche gasta 6,4 litros cada 100 km y el litro está a 1,62 euros, ¿cuánto me sale un viaje de 540 km?",
    "Una stanza di 4,2 m per 3,5 m: quante piastrelle da 30x30 servono, con il 10% di scarto?",
    "Um salário de R$ 4.800 com desconto de 11% de INSS e 7,5% de IR: qual o líquido?",
    "Ik fiets 18 km/u en moet 27 km: hoe laat ben ik er als ik om 8:40 vertrek?",
]

# --- words of debugging in other senses ----------------------------------------------------------

CRASH_QA: list[tuple[str, str]] = [
    ("general_qa", "What caused the 1929 crash and why did it drag on into the Great Depression?"),
    (
        "general_qa",
        "Why do stock market crashes tend to happen in October? Is that a real pattern?",
    ),
    (
        "general_qa",
        "After a plane crash, how do investigators work out what went wrong from the wreckage?",
    ),
    ("general_qa", "Give me a crash course on how bonds work - I have an interview tomorrow."),
    ("general_qa", "Was the 1987 crash worse than 2008 for ordinary savers?"),
    ("general_qa", "Why are rear-end crashes the most common kind of car accident?"),
    (
        "general_qa",
        "Why do some languages have no exceptions to their grammar rules while English has so many?",
    ),
    ("general_qa", "Which planets, with the exception of Earth, could hold liquid water?"),
    (
        "support_reply",
        "Reply to this customer for us. Our policy is no refunds after 30 days, but we can make an exception for damaged items.\n\nCustomer: Hi, my order arrived 5 weeks late and the box was crushed, the vase inside cracked. Can I get my money back?",
    ),
    (
        "support_reply",
        "Write a short reply to this guest: 'Our flight got cancelled and we'll only arrive 2 days late. Can we keep the booking and move the dates?' We allow free date changes with the exception of peak weekends.",
    ),
    (
        "content_writing",
        "Write a notice for the office kitchen: the fridge is emptied every Friday at 4pm, with the exception of labelled lunch boxes.",
    ),
    (
        "content_writing",
        "Draft a short newsletter item about our free 'Excel crash course' for staff on 3 March, 12-1pm, room 2.14.",
    ),
]

# --- settings pasted with a debug level -------------------------------------------------------

SETTINGS: list[tuple[str, str]] = [
    (
        "worker_env",
        "SERVICE_NAME=invoice-worker\nLOG_LEVEL=debug\nQUEUE_URL=amqp://mq.internal:5672\nMAX_RETRIES=4\nTIMEOUT_SECONDS=30",
    ),
    (
        "api_yaml",
        "server:\n  port: 8443\n  debug: true\nlogging:\n  level: debug\n  format: json\ncache:\n  ttl_seconds: 600",
    ),
    (
        "shop_ini",
        "[app]\nname = pinecone-shop\ndebug = 1\n\n[database]\nhost = 10.0.3.21\nport = 5432\npool_size = 12",
    ),
    (
        "scheduler_json",
        '{"scheduler": "nightly-reports", "log_level": "DEBUG", "cron": "15 2 * * *", "notify": ["ops@example.org"], "dry_run": false}',
    ),
]

SETTINGS_ASKS: list[tuple[str, str]] = [
    ("transform", "Convert this to YAML, keep the keys as they are:\n\n{x}"),
    ("transform", "{x}\n\nTurn that into a JSON object please."),
    ("transform", "Mach mir daraus eine .env-Datei mit Großbuchstaben-Schlüsseln:\n\n{x}"),
    ("extract", "{x}\n\nWhat port is set here? Just the number."),
    ("extract", "Which keys in these settings are set, and to what? As a two-column table.\n\n{x}"),
    (
        "extract",
        "Dans cette config, quelle est la valeur du niveau de log ? Réponds juste la valeur.\n\n{x}",
    ),
]

# --- debugging, the real thing ----------------------------------------------------------------

DEBUG_ASKS: list[str] = [
    "My Android app crashes every time I rotate the screen on the settings page. It's a Fragment with a ViewModel. Where should I start looking?",
    "This crashes with KeyError: 'total' on some rows:\n\nfor row in rows:\n    amount += row['total'] * row['qty']\n\nWhat's going on?",
    "I set LOG_LEVEL=debug and now I see 'connection reset by peer' every few minutes before the worker dies. What could cause that?",
    "Our Node service throws UnhandledPromiseRejection: Cannot read properties of undefined (reading 'id') after the last deploy. How do I track it down?",
    "Die App stürzt ab, sobald ich ein Foto hochlade, aber nur auf iOS 17. Woran kann das liegen?",
    "Mi script de Python da 'RecursionError: maximum recursion depth exceeded' con listas grandes. ¿Dónde está el fallo?\n\ndef flatten(x):\n    return [y for z in x for y in (flatten(z) if isinstance(z, list) else [z])]",
    "The game freezes and then crashes to desktop after about 20 minutes; the log ends with 'out of video memory'. Is this a leak in my code or the driver?",
    "Why does this query time out only in production?\n\nSELECT * FROM events WHERE lower(email) = $1 ORDER BY created_at DESC LIMIT 20;",
]


def _asked_rows(
    texts: list[str], cls: str, template: str, rng: random.Random
) -> Iterator[dict[str, Any]]:
    """Each of ``texts`` asked in two of the three shapes, as rows of ``cls``."""
    for i, text in enumerate(texts):
        for shape in rng.sample(["bare", "persona", "earlier"], 2):
            yield {
                "class": cls,
                "template": f"{template}-{i}",
                "source": "team-templates",
                "request": _shaped(text, shape, rng),
            }


def _crash_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for i, (cls, text) in enumerate(CRASH_QA):
        shapes = ["bare", "persona", "earlier"] if cls == "general_qa" else ["bare", "earlier"]
        for shape in rng.sample(shapes, 2):
            yield {
                "class": cls,
                "template": f"r16-crash-{i}",
                "source": "team-templates",
                "request": _shaped(text, shape, rng),
            }


def _settings_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for i, (cls, ask) in enumerate(SETTINGS_ASKS):
        for material_id, x in rng.sample(SETTINGS, 2):
            yield {
                "class": cls,
                "template": f"r16-settings-{i}",
                "source": "team-templates",
                "material": f"r16-{material_id}",
                "request": _shaped(ask.format(x=x), rng.choice(["bare", "bare", "earlier"]), rng),
            }


def _debug_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    coders = [
        "You are a senior engineer helping teammates debug. Ask for what you need, be concrete.",
        "Coding assistant for the mobile team at Brightleaf. We ship Kotlin and Swift apps.",
    ]
    for i, text in enumerate(DEBUG_ASKS):
        for k in range(2):
            request: Request = {"messages": [_text("user", text)]}
            if k == 0:
                request["system"] = [{"text": rng.choice(coders)}]
            yield {
                "class": "code_debug",
                "template": f"r16-debug-{i}",
                "source": "team-templates",
                "request": request,
            }


def round16_rows(seed: int = 1616) -> Iterator[dict[str, Any]]:
    """All round-16 rows (deterministic)."""
    rng = random.Random(seed)
    yield from _asked_rows(QA_NUMBERS, "general_qa", "r16-qa-num", rng)
    yield from _asked_rows(MATH_PLAIN, "math", "r16-math-plain", rng)
    yield from _crash_rows(rng)
    yield from _settings_rows(rng)
    yield from _debug_rows(rng)

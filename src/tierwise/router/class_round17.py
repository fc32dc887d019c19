"""Team-written requests for the class corpus, round 17 of issue 12: the misread families that
round 16 left, and one new template for every class, as a test set written before any round-17
router change or refit.

Groups, on domains and wordings no earlier round used:

- **Team structure and advice with numbers** (``r17-org-<i>``, ``general_qa``): how to
  organise a team, when to add a manager, spans of control, headcount and budgets given as
  figures, asked for advice ("what would you change?", "does that make sense?"), not for a
  value; and lookups over a pasted org chart (``r17-orgchart-<i>``, ``extract``).
- **Advice asked with numbers in it** (``r17-advice-<i>``, ``general_qa``): training, money,
  housing, travel, study, in English, French, German, Spanish, Italian and Portuguese, against
  the same kind of numbers asked for a value (``r17-calc-<i>``, ``math``).
- **Faults told in prose** (``r17-fault-<i>``, ``code_debug``): a loop that never ends, a
  desktop app that crashed and lost work, a page that hangs, a job that did not run, told with
  a label ("Bug:", "Issue:") or in a sentence, with no error name or stack trace.
- **How-to questions about code that name a format** (``r17-howto-<i>``, ``routine_code``):
  turning an object into JSON, parsing YAML, a DataFrame to dicts, a string to a date, in
  several languages and programming languages, with no data given; against conversions of data
  that is given (``r17-convert-<i>``, ``transform``).
- **JavaScript and TypeScript errors with no cue word** (``r17-jserr-<i>``, ``code_debug``):
  an error message, a compiler diagnostic or a stack trace pasted alone or with a short
  question, in a browser console, Node, React, Next.js, TypeScript; against log lines to label
  (``r17-loglabel-<i>``, ``classify``) and an error message to translate (``translate``).
- **Every class** (``r17-class-<name>-<i>``): one or two full requests per class (system
  prompts, tools in a tool loop, retrieved passages, a document, several turns) in a domain no
  earlier round used.

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

__all__ = ["round17_rows"]

Request = dict[str, Any]

_PERSONAS = [
    "You are a practical assistant for small-business owners. Be direct and brief.",
    "Tu es l'assistant interne de la coopérative Terres d'Oc. Réponds simplement.",
    "Helpful assistant in the staff portal of Harbourview Hospital. Keep answers short.",
]

_EARLIER = [
    ("Morning! Quick question coming.", "Good morning - go ahead."),
    ("Can I run something by you?", "Of course, what is it?"),
    ("ok different topic", "Sure, what's next?"),
]

_CODERS = [
    "You are a senior developer on the web platform team. Answer with code where it helps.",
    "Coding assistant for Fernhill Analytics. Our stack: Python 3.12, TypeScript, Postgres.",
    "You help engineers at a logistics startup. Be concise; show the fix, then explain.",
]


def _shaped(text: str, shape: str, rng: random.Random) -> Request:
    return shaped(text, shape, rng, _PERSONAS, _EARLIER)


def _coded(text: str, shape: str, rng: random.Random) -> Request:
    return shaped(text, shape, rng, _CODERS, _EARLIER)


# --- team structure and advice with numbers ------------------------------------------------------

ORG_ADVICE: list[str] = [
    "We're 34 engineers split into 3 teams, all reporting to one director. Should we add a layer of engineering managers, or is that too early?",
    "My team went from 6 to 15 people this year and I still have everyone as a direct report. How would you restructure it?",
    "Our sales org has 2 regional heads and 11 account managers; the heads keep fighting over accounts. Would you organise it by product instead?",
    "Is a span of control of 12 direct reports too much for a first-time manager?",
    "Headcount is 48, budget allows 5 more hires next year. Where should a 40-person SaaS company add people first, support or engineering?",
    "Wir sind 22 Leute in der Verwaltung und haben 4 Teamleiter. Ist das zu viel Hierarchie für so eine kleine Abteilung?",
    "Nous avons 3 équipes de 7 personnes et un seul responsable produit. Faut-il en recruter un deuxième ou nommer des leads ?",
    "Tenemos 60 empleados y nadie de recursos humanos a tiempo completo. ¿Cuándo tiene sentido contratar a la primera persona de RR. HH.?",
]

ORG_CHARTS: list[tuple[str, str]] = [
    (
        "clinic",
        "Medical Director - Dr. Ines Morales\n  Head of Nursing - Tom Becker (reports to Dr. Morales)\n    Ward A lead - Priya Nair\n    Ward B lead - Jonas Weil\n  Operations Manager - Claire Dupont (reports to Dr. Morales)\n    Scheduling - Ade Okafor\n    Facilities - Rui Santos",
    ),
    (
        "agency",
        "CEO: Mara Lind\n- COO: Felix Brandt\n  - Studio Lead: Hana Ito (6 designers)\n  - Production: Omar Haddad (3 producers)\n- CFO: Lucia Greco\n  - Finance Ops: Ben Carter\n- Head of Growth: Sofia Reyes (reports to CEO)",
    ),
]

ORG_CHART_ASKS: list[str] = [
    "{x}\n\nWho does {name} report to? Just the name.",
    "Using this org chart, list everyone two levels below the top, as a comma-separated list.\n\n{x}",
    "Here's our structure:\n{x}\nGive me JSON with each person's name and their manager's name.",
]

_CHART_NAMES = {"clinic": "Priya Nair", "agency": "Ben Carter"}

# --- advice with numbers, against calculations on such numbers ---------------------------------

ADVICE_NUMBERS: list[str] = [
    "I run 3 times a week, about 5 km each, and my knee hurts after the third run. Should I cut one run or just slow down?",
    "I'm 29 with $8,000 in savings and $3,500 on a credit card at 24%. Pay the card off first or keep an emergency fund?",
    "We have 10 days in Japan in April with two kids aged 6 and 9. Tokyo and Kyoto only, or add Hiroshima too?",
    "My rent is 45% of my take-home pay. Is it worth moving 40 minutes further out to get that down?",
    "I study 2 hours a night for a 6-week exam and still forget things. What would you do differently?",
    "J'ai 52 ans et 15 ans de cotisations en France. Vaut-il mieux racheter des trimestres ou épargner à côté ?",
    "Ich habe 3 Jobangebote: 58k mit Homeoffice, 64k mit 1 Stunde Pendeln, 61k in einem Startup. Worauf sollte ich achten?",
    "Tengo 35 años y 2 hijos pequeños. ¿Tiene sentido un seguro de vida, o es pronto?",
    "Ho 200 euro al mese da parte e nessun investimento. Da dove comincio, secondo te?",
    "Tenho 3 meses de férias acumuladas e 1 filho de 2 anos. Vale a pena tirar tudo de uma vez?",
]

CALC_NUMBERS: list[str] = [
    "I run 5 km at 6:20 per km. If I run 3 times a week, how many minutes is that a week?",
    "A $3,500 balance at 24% a year, paying $200 a month: how many months until it's paid off?",
    "Mon loyer est de 1 150 € et mon salaire net de 2 600 €. Quel pourcentage de mon salaire part dans le loyer ?",
    "Bei 64.000 € brutto und 42 % Abzügen, was bleibt netto im Monat übrig, auf 12 Monate gerechnet?",
]

# --- faults told in prose -----------------------------------------------------------------------

FAULTS: list[str] = [
    "Bug: my while loop keeps going forever even after the list is empty.",
    "Issue - the for loop in my script never stops, it just keeps printing the same line.",
    "Illustrator shut down on its own while I was saving and now the file won't open. Any way to get my work back?",
    "Word closed out of nowhere and the document I'd been writing for two hours is gone. Can I recover it?",
    "The checkout page just spins forever after I press Pay, no message at all.",
    "Our nightly backup job didn't run last night and nothing shows up in the logs.",
    "Problem: the counter on my page resets to zero every time I click the button.",
    "Mi bucle nunca termina, aunque pongo la condición en falso dentro.",
    "Meine Schleife hört nie auf, obwohl ich i am Ende hochzähle.",
    "Steam quits back to the desktop every time I launch the game, since yesterday's update.",
]

# --- how-to questions that name a format, against conversions of given data --------------------

HOWTOS: list[str] = [
    "How do I turn a Python dataclass into a JSON string?",
    "What's the cleanest way to turn a pandas DataFrame into a list of dicts?",
    "How do you parse a YAML config file in Go?",
    "How can I turn an ISO date string into a Date object in JavaScript and back?",
    "Best way to map a TypeScript interface to a JSON schema?",
    "Wie wandle ich in Java ein Objekt in JSON um, mit Jackson oder Gson?",
    "¿Cómo paso un CSV a un DataFrame de pandas con las fechas ya como fecha?",
    "Comment convertir une chaîne en entier en Rust sans que ça panique ?",
]

CONVERSIONS: list[str] = [
    "Turn this into JSON: name=Ana Silva, role=nurse, shift=night, ward=4B",
    "Put these dates in ISO format: 3/14/2025, 11/2/2024, 7/30/2025",
    'Convierte a CSV:\n[{"sku": "A-12", "qty": 4}, {"sku": "B-07", "qty": 11}]',
    'Convert to YAML please:\n{"retries": 3, "backoff": "exponential", "hosts": ["a1", "a2"]}',
]

# --- JavaScript and TypeScript errors with no cue word ----------------------------------------

JS_ERRORS: list[str] = [
    "TypeError: cart.items is undefined\n    at renderCart (cart.js:42:17)\n    at HTMLButtonElement.<anonymous> (cart.js:88:5)",
    "Uncaught ReferenceError: process is not defined - shows up in the browser console after I moved to Vite.",
    "src/api/client.ts:27:9 - error TS2322: Type 'string | undefined' is not assignable to type 'string'.",
    "TS2339: Property 'email' does not exist on type '{}'. I typed the state with useState({}). What's the right way?",
    "Warning: Cannot update a component (`Header`) while rendering a different component (`Cart`). Where does this come from?",
    "Unhandled Runtime Error\nError: Hydration failed because the initial UI does not match what was rendered on the server.",
    "node:internal/modules/cjs/loader:1080\n  throw err;\n  ^\n\nError: Cannot find module './config'\nRequire stack:\n- /srv/app/index.js",
    "Uncaught (in promise) SyntaxError: Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON",
    "x.map is not a function - it's an array in the API response though??",
    "RangeError: Maximum call stack size exceeded\n    at deepClone (utils.js:12:12)\n    at deepClone (utils.js:15:20)\n    at deepClone (utils.js:15:20)",
]

LOG_LABELS: list[str] = [
    "Label each line as error, warning or info, one label per line:\n\nTypeError: cart.items is undefined\nDeprecation: findDOMNode is deprecated\nServer listening on :3000",
    "Which of these is a network problem, yes or no for each?\n1. ECONNREFUSED 127.0.0.1:5432\n2. TypeError: Cannot read properties of null (reading 'x')\n3. ETIMEDOUT api.example.org:443",
]

TRANSLATE_ERRORS: list[str] = [
    'Translate these UI error messages into German, keep the placeholders:\n- "Your session has expired. Please sign in again."\n- "{count} files could not be uploaded."',
]

# --- every class: one or two full requests each ------------------------------------------------

_BAKERY_TOOLS = [
    ("list_orders", "List today's pre-orders with pickup time and status."),
    ("get_stock", "Current stock of a product by SKU."),
    ("cancel_order", "Cancel a pre-order and refund the customer's card. Cannot be undone."),
    ("send_sms", "Send a text message to a customer's phone number."),
]

_BAKERY_SYSTEM = "You run the back office of Kornblume Bakery: pre-orders, stock and customer texts. Use the tools; confirm what you did."

_PASSAGES = (
    "[1] Rail pass holders may reserve seats on regional trains free of charge up to 2 hours before departure.\n"
    "[2] Night trains require a couchette supplement of 25 EUR per person, payable at booking.\n"
    "[3] Bicycles travel free on regional trains outside 6:30-9:00 on weekdays; on intercity trains a bike ticket (9 EUR) is needed.\n"
    "[4] Refunds for unused passes are possible within 14 days of purchase if no journey was recorded."
)

_LEASE_EXCERPT = (
    "§4 The tenant may terminate with 3 months' notice to the end of a calendar month. "
    "§5 The landlord may raise the rent once every 12 months by at most the consumer price index change. "
    "§7 Minor repairs up to 120 EUR per case, 400 EUR per year, are borne by the tenant. "
    "§9 Subletting requires the landlord's written consent, which may not be refused without good reason. "
    "§12 Pets other than small animals require consent; dogs are excluded."
)

_SOURCES = (
    "Source A (city survey, 2,100 residents): 61% support the car-free centre, 24% oppose.\n"
    "Source B (retailers' association): footfall in pedestrianised streets fell 8% in the first year.\n"
    "Source C (university study of 14 European towns): retail sales recovered within 3 years in 11 of 14.\n"
    "Source D (local paper, interviews with 9 shop owners): 6 report lower takings, 3 higher.\n"
    "Source E (transport authority): bus ridership into the centre up 17% after the change."
)

EVERY_CLASS: list[tuple[str, Request]] = [
    (
        "classify",
        {
            "system": [
                {
                    "text": "You label incoming messages for a veterinary clinic. Labels: appointment, prescription, billing, emergency, other. Reply with the label only."
                }
            ],
            "messages": [
                _text("user", "My cat hasn't eaten in two days and is hiding under the bed.")
            ],
        },
    ),
    (
        "classify",
        {
            "messages": [
                _text(
                    "user",
                    "Est-ce que cet avis est positif, négatif ou neutre ? Un mot.\n\n« Livraison rapide, mais le pull a rétréci au premier lavage. »",
                )
            ]
        },
    ),
    (
        "triage",
        {
            "system": [
                {
                    "text": "Route IT tickets for Brookfield Council. Queues: desktop, network, accounts, printing, facilities. Priority P1-P4. Output: queue, priority."
                }
            ],
            "messages": [
                _text(
                    "user",
                    "Nobody on the 3rd floor can reach the shared drive or the intranet since 9am. Phones still work.",
                )
            ],
        },
    ),
    (
        "extract",
        {
            "messages": [
                _text(
                    "user",
                    "From this booking confirmation give me guest name, check-in, check-out and total as JSON.\n\nDear Mr Haruto Sato, thank you for booking Room 214 at Hotel Alpenrose. Arrival: 12 February 2026, departure: 15 February 2026. Total charged: CHF 642.00 incl. city tax.",
                )
            ]
        },
    ),
    (
        "transform",
        {
            "messages": [
                _text(
                    "user",
                    "Rewrite these product names in Title Case, one per line:\nstainless steel water bottle 750ml\nkids bamboo toothbrush (4 pack)\nwool hiking socks - grey",
                )
            ]
        },
    ),
    (
        "translate",
        {
            "system": [
                {"text": "You translate customer emails for a Dutch garden centre. Keep the tone."}
            ],
            "messages": [
                _text(
                    "user",
                    "Naar het Nederlands: 'Hello, the olive tree I ordered arrived with broken branches. Could you send a replacement or refund me? Thanks, Ellen'",
                )
            ],
        },
    ),
    (
        "short_form",
        {
            "messages": [
                _text(
                    "user",
                    "Give me 3 possible names for a podcast about people who restore old bicycles. Names only.",
                )
            ]
        },
    ),
    (
        "short_form",
        {
            "system": [
                {"text": "You write push notifications for a meditation app. Max 60 characters."}
            ],
            "messages": [_text("user", "One for people who haven't opened the app in 7 days.")],
        },
    ),
    (
        "chit_chat",
        {
            "messages": [
                _text("user", "haha that's exactly what I needed, you're a star"),
            ]
        },
    ),
    (
        "chit_chat",
        {
            "messages": [
                _text("user", "Can you look at my CV later?"),
                _text("assistant", "Sure - paste it whenever you're ready."),
                _text("user", "cool, gonna grab lunch first. how's your day going?"),
            ]
        },
    ),
    (
        "general_qa",
        {
            "messages": [
                _text(
                    "user",
                    "How do tides work, and why are there two high tides a day in some places but only one in others?",
                )
            ]
        },
    ),
    (
        "summarize",
        {
            "messages": [
                _text(
                    "user",
                    "Sum this up in 3 bullets for the team channel:\n\nThe parking garage on Elm Street will close for resurfacing from 3 to 21 March. Staff with garage permits can park at the Riverside lot instead, where 80 spaces are reserved for us; a shuttle runs every 15 minutes from 7:00 to 19:00. Permits stay valid and no fee is charged for Riverside during the works. Bicycle parking in the garage stays open through the side entrance. Questions go to facilities@elm-group.example.",
                )
            ]
        },
    ),
    (
        "rag_qa",
        {
            "system": [
                {
                    "text": "Answer travellers' questions using only the passages below. Cite passage numbers.\n\n"
                    + _PASSAGES
                }
            ],
            "messages": [
                _text(
                    "user",
                    "We're two adults with bikes taking the night train and then a regional train on a Tuesday morning around 8. What do we have to pay extra for?",
                )
            ],
        },
    ),
    (
        "support_reply",
        {
            "system": [
                {
                    "text": "You draft replies for the support team of Tidewater Kayaks. Friendly, first name, sign off as 'The Tidewater crew'. Policy: 30-day returns, unused gear only; warranty 2 years on hulls."
                }
            ],
            "messages": [
                _text(
                    "user",
                    "Customer email: 'Hi, I bought the Coast 12 kayak 14 months ago and there's a crack along the hull near the seat. I've only used it on lakes. What can you do? - Marta'\n\nDraft the reply.",
                )
            ],
        },
    ),
    (
        "content_writing",
        {
            "messages": [
                _text(
                    "user",
                    "Write a 150-word blog intro for a community garden announcing our new seed library: free seeds, bring some back at the end of the season, open Saturdays 10-13.",
                )
            ]
        },
    ),
    (
        "routine_code",
        {
            "system": [{"text": _CODERS[1]}],
            "messages": [
                _text(
                    "user",
                    "Write a SQL query that returns, per customer, the date of their first and last order and how many orders they placed. Tables: customers(id, name), orders(id, customer_id, created_at).",
                )
            ],
        },
    ),
    (
        "code_debug",
        {
            "messages": [
                _text(
                    "user",
                    "This returns the wrong average when the list has one element, why?\n\ndef avg(xs):\n    return sum(xs[1:]) / len(xs)",
                )
            ]
        },
    ),
    (
        "document_analysis",
        {
            "messages": [
                _text(
                    "user",
                    "I'm about to sign this lease. Which clauses could hurt me as a tenant with a dog who might move abroad next year, and what should I try to negotiate?\n\n"
                    + _LEASE_EXCERPT,
                )
            ]
        },
    ),
    (
        "agent_step",
        {
            "system": [{"text": _BAKERY_SYSTEM}],
            "toolConfig": _tool_config(_BAKERY_TOOLS),
            "messages": [
                _text("user", "Which pre-orders are still waiting to be picked up today?")
            ],
        },
    ),
    (
        "agent_step",
        {
            "system": [{"text": _BAKERY_SYSTEM}],
            "toolConfig": _tool_config(_BAKERY_TOOLS),
            "messages": [
                _text("user", "How many sourdough loaves do we have left?"),
                {
                    "role": "assistant",
                    "content": [
                        {
                            "toolUse": {
                                "toolUseId": "t1",
                                "name": "get_stock",
                                "input": {"sku": "SD-800"},
                            }
                        }
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "toolResult": {
                                "toolUseId": "t1",
                                "content": [{"json": {"sku": "SD-800", "in_stock": 7}}],
                            }
                        }
                    ],
                },
            ],
        },
    ),
    (
        "math",
        {
            "messages": [
                _text(
                    "user",
                    "A rectangular garden is 3 m longer than it is wide and its area is 70 m². Find its dimensions.",
                )
            ]
        },
    ),
    (
        "proof",
        {
            "messages": [
                _text(
                    "user",
                    "Show that for every integer n, n^3 - n is divisible by 6. A clean argument please, not just examples.",
                )
            ]
        },
    ),
    (
        "complex_analysis",
        {
            "system": [
                {
                    "text": "You advise the board of a regional credit union. Weigh options explicitly."
                }
            ],
            "messages": [
                _text(
                    "user",
                    "We must choose between migrating our core banking system to a vendor cloud in 2026 (cost 4.1M, 18 months, staff retraining) or extending the on-prem contract 5 years (2.6M, rising support risk, no mobile features). Members are ageing but younger ones are leaving for neobanks. Lay out the trade-offs, risks and a recommendation with the conditions under which you'd change it.",
                )
            ],
        },
    ),
    (
        "research_synthesis",
        {
            "messages": [
                _text(
                    "user",
                    "Our council is deciding whether to keep the car-free centre. Weigh these sources against each other: where do they agree, where do they conflict, which are more reliable, and what's the overall picture?\n\n"
                    + _SOURCES,
                )
            ]
        },
    ),
    (
        "high_stakes_agent",
        {
            "system": [{"text": _BAKERY_SYSTEM}],
            "toolConfig": _tool_config(_BAKERY_TOOLS),
            "messages": [
                _text(
                    "user",
                    "The oven's broken - cancel all of today's cake pre-orders and refund everyone.",
                )
            ],
        },
    ),
    (
        "high_stakes_agent",
        {
            "system": [{"text": _BAKERY_SYSTEM}],
            "toolConfig": _tool_config(_BAKERY_TOOLS),
            "messages": [
                _text("user", "Show me order 5512."),
                {
                    "role": "assistant",
                    "content": [
                        {
                            "toolUse": {
                                "toolUseId": "t1",
                                "name": "list_orders",
                                "input": {"id": 5512},
                            }
                        }
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "toolResult": {
                                "toolUseId": "t1",
                                "content": [
                                    {
                                        "json": {
                                            "id": 5512,
                                            "item": "wedding cake",
                                            "status": "waiting",
                                            "paid": 180,
                                        }
                                    }
                                ],
                            }
                        }
                    ],
                },
                _text(
                    "user", "The couple called it off. Cancel it and give them their money back."
                ),
            ],
        },
    ),
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


def _org_chart_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for i, ask in enumerate(ORG_CHART_ASKS):
        for material_id, chart in ORG_CHARTS:
            yield {
                "class": "extract",
                "template": f"r17-orgchart-{i}",
                "source": "team-templates",
                "material": f"r17-{material_id}",
                "request": _shaped(
                    ask.format(x=chart, name=_CHART_NAMES[material_id]),
                    rng.choice(["bare", "persona"]),
                    rng,
                ),
            }


def _every_class_rows() -> Iterator[dict[str, Any]]:
    seen: dict[str, int] = {}
    for cls, request in EVERY_CLASS:
        i = seen.get(cls, 0)
        seen[cls] = i + 1
        yield {
            "class": cls,
            "template": f"r17-class-{cls}-{i}",
            "source": "team-templates",
            "request": request,
        }


def round17_rows(seed: int = 1717) -> Iterator[dict[str, Any]]:
    """All round-17 rows (deterministic)."""
    rng = random.Random(seed)
    yield from _asked_rows(ORG_ADVICE, "general_qa", "r17-org", rng)
    yield from _org_chart_rows(rng)
    yield from _asked_rows(ADVICE_NUMBERS, "general_qa", "r17-advice", rng)
    yield from _asked_rows(CALC_NUMBERS, "math", "r17-calc", rng)
    yield from _asked_rows(FAULTS, "code_debug", "r17-fault", rng)
    yield from _asked_rows(HOWTOS, "routine_code", "r17-howto", rng, coded=True)
    yield from _asked_rows(CONVERSIONS, "transform", "r17-convert", rng)
    yield from _asked_rows(JS_ERRORS, "code_debug", "r17-jserr", rng, coded=True)
    yield from _asked_rows(LOG_LABELS, "classify", "r17-loglabel", rng)
    yield from _asked_rows(TRANSLATE_ERRORS, "translate", "r17-jstranslate", rng)
    yield from _every_class_rows()

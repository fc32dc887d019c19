"""The task-class training corpus: team-written request templates with varied slot fillers.

Every template builds a *full* Converse request (system prompts, tools mid-loop, retrieved
passages, documents, multi-turn history, other languages), not only a one-line prompt. Each
row records its class, its template id and its source, so evaluation can hold out whole
templates (``tierwise.router.class_train``): near-duplicates of one template never sit on
both sides of a split.

Public prompts mapped to classes come from :func:`public_rows` (GSM8K, MMLU, Arena-Hard;
licenses in ``router/data/class-corpus/PROVENANCE.md``). The acceptance set in
``tests/router/data`` is never read here.

Run ``python -m tierwise.router.class_corpus OUT.jsonl.gz`` to rebuild the packaged corpus.
"""

# ruff: noqa: E501 - templates and slot fillers are data
from __future__ import annotations

import csv
import gzip
import json
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tierwise.router.class_banks import MORE_BANKS, MORE_CONTENT
from tierwise.router.class_draws import SlotFiller, distinct, one_of
from tierwise.router.class_round3 import round3_rows
from tierwise.router.class_round4 import round4_rows
from tierwise.router.class_round5 import round5_rows
from tierwise.router.class_round6 import round6_rows
from tierwise.router.class_round7 import round7_rows
from tierwise.router.class_round8 import round8_rows
from tierwise.router.class_round9 import round9_rows
from tierwise.router.class_round10 import round10_rows
from tierwise.router.class_round11 import round11_rows
from tierwise.router.class_round12 import round12_rows
from tierwise.router.class_round13 import round13_rows
from tierwise.router.class_round14 import round14_rows
from tierwise.router.class_round15 import round15_rows
from tierwise.router.class_round16 import round16_rows
from tierwise.router.class_round17 import round17_rows
from tierwise.router.class_round18 import round18_rows
from tierwise.router.sni_corpus import load_sni_rows

__all__ = ["BANKS", "TEMPLATES", "bank_rows", "build_corpus", "public_rows", "template_rows"]

Request = dict[str, Any]
Builder = Callable[[random.Random], Request]


def _u(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def _a(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": [{"text": text}]}


def _req(
    text: str,
    system: str | None = None,
    history: list[dict[str, Any]] | None = None,
    tools: list[str] | None = None,
    max_tokens: int | None = None,
) -> Request:
    r: Request = {"messages": [*(history or []), _u(text)]}
    if system:
        r["system"] = [{"text": system}]
    if tools:
        r["toolConfig"] = {
            "tools": [
                {"toolSpec": {"name": t, "inputSchema": {"json": {"type": "object"}}}}
                for t in tools
            ]
        }
    if max_tokens:
        r["inferenceConfig"] = {"maxTokens": max_tokens}
    return r


def _tool_loop(
    task: str, system: str, tools: list[str], calls: list[tuple[str, Any, Any]]
) -> Request:
    messages: list[dict[str, Any]] = [_u(task)]
    for i, (name, args, result) in enumerate(calls):
        tid = f"call_{i}"
        messages.append(
            {
                "role": "assistant",
                "content": [{"toolUse": {"toolUseId": tid, "name": name, "input": args}}],
            }
        )
        messages.append(
            {
                "role": "user",
                "content": [{"toolResult": {"toolUseId": tid, "content": [{"json": result}]}}],
            }
        )
    r = _req("", system=system, tools=tools)
    r["messages"] = messages
    return r


def _pick(rng: random.Random, *options: str) -> str:
    return rng.choice(options)


# --- slot fillers ----------------------------------------------------------------------------

PRODUCTS = [
    "a bamboo toothbrush set", "noise-cancelling over-ear headphones", "a cast-iron skillet",
    "a kids' reading lamp shaped like a moon", "an ergonomic office chair", "a 2-person tent",
    "organic loose-leaf green tea", "a USB-C docking station", "trail running shoes",
    "a handmade ceramic mug", "a smart thermostat", "a foldable e-bike", "a dog GPS collar",
    "wireless earbuds with a charging case", "a linen duvet cover", "a portable espresso maker",
]  # fmt: skip
COMPANIES = [
    "Fernleaf", "Quarry Labs", "Blue Otter Bank", "Helio Health", "Pinecrest Realty",
    "Vantage Freight", "Mosaic Learning", "Orbit Telecom", "Saffron Foods", "Kestrel Insurance",
]  # fmt: skip
TOPICS = [
    "our new mobile app release", "the Q3 hiring freeze", "a data-center outage last night",
    "switching payroll providers", "the annual customer conference", "a price increase",
    "migrating our CRM", "the new parental leave policy", "a security incident", "remote work",
]  # fmt: skip
LABEL_SETS = [
    ["billing", "technical", "account", "other"], ["positive", "negative", "neutral"],
    ["urgent", "normal", "low"], ["bug", "feature_request", "question", "praise"],
    ["spam", "not_spam"], ["sports", "politics", "business", "tech", "health"],
    ["complaint", "compliment", "suggestion"], ["refund", "exchange", "shipping", "other"],
    ["toxic", "safe"], ["en", "fr", "de", "es", "it", "pt"],
]  # fmt: skip
SNIPPETS = [
    "The order arrived on time but one of the glasses was cracked.",
    "I can't log in since the last update, it says my token expired.",
    "Why was I charged $12.99 when my plan is $9.99?",
    "Love the new dashboard, the dark mode is great!",
    "Your driver left the parcel in the rain and now the box is soaked.",
    "Can you add an export to Google Sheets?",
    "WIN a FREE iPhone now!!! click here to claim your prize",
    "The checkout page freezes when I apply a discount code on Safari.",
    "Je n'arrive pas à modifier mon adresse de livraison.",
    "Die App stürzt beim Öffnen der Kamera ab.",
    "El reembolso todavía no aparece en mi tarjeta.",
    "Thank you for the quick help yesterday, problem solved.",
    "Our team of 40 needs SSO before we can roll this out.",
]  # fmt: skip
TEAMS = ["payments", "mobile", "platform", "data", "identity", "growth", "support-tier2", "infra"]
LANGS = ["French", "German", "Spanish", "Italian", "Portuguese", "Japanese", "Dutch", "Polish"]
CODE_LANGS = ["Python", "TypeScript", "Go", "Rust", "Java", "C#", "Ruby", "Kotlin", "SQL"]
CODE_TASKS = [
    "parses a CSV file and returns the rows as dictionaries",
    "debounces a function call", "validates an email address",
    "retries an HTTP request with exponential backoff", "merges two sorted arrays",
    "computes a moving average over a list", "flattens a nested dictionary",
    "paginates through an API that returns a next_cursor", "reads a YAML config with defaults",
    "groups log lines by request id", "converts a timestamp to the user's timezone",
    "implements an LRU cache with a fixed capacity",
]  # fmt: skip
BUGS = [
    ("Python", "KeyError: 'user_id'", "data = request.json\nuid = data['user_id']"),
    ("JavaScript", "TypeError: Cannot read properties of undefined (reading 'map')",
     "const names = props.users.map(u => u.name);"),
    ("Java", "java.lang.NullPointerException at OrderService.java:88",
     "String city = order.getCustomer().getAddress().getCity();"),
    ("Python", "RecursionError: maximum recursion depth exceeded",
     "def fact(n):\n    return n * fact(n - 1)"),
    ("Go", "panic: assignment to entry in nil map", "var counts map[string]int\ncounts[w]++"),
    ("SQL", "ERROR: column \"total\" must appear in the GROUP BY clause",
     "SELECT customer_id, total FROM orders GROUP BY customer_id;"),
    ("Rust", "error[E0502]: cannot borrow `v` as mutable because it is also borrowed as immutable",
     "let first = &v[0];\nv.push(4);\nprintln!(\"{}\", first);"),
]  # fmt: skip
FACTS = [
    ("Orders ship within 2 business days.", "Express shipping costs $15 and arrives next day.",
     "Orders above $75 ship free.", "When will my $60 order arrive and can I get it faster?"),
    ("The API rate limit is 100 requests per minute per key.",
     "Exceeding the limit returns HTTP 429 with a Retry-After header.",
     "Enterprise keys can request a limit of 1000/min.", "What happens if I send 150 requests in a minute?"),
    ("Employees may work abroad for up to 30 days per year.",
     "Work abroad requires manager approval and an IT security check.",
     "Some countries are excluded for tax reasons; see the list in appendix B.",
     "Can I work from Portugal for three weeks in June?"),
    ("The warranty covers manufacturing defects for 24 months.",
     "Accidental damage is not covered.", "Repairs under warranty are free, including shipping.",
     "My blender's motor stopped after 14 months, is that covered?"),
    ("Tier 1 customers get a 1-hour response SLA.", "Tier 2 customers get 8 business hours.",
     "SLA clocks pause while waiting for the customer.", "How long do we have to answer a Tier 2 ticket sent Friday 5pm?"),
]  # fmt: skip
MATH_WORDS = [
    "A store sells pens at {a} for $3. How much do {b} pens cost?",
    "A car travels {a} km in {b} hours. What is its average speed, and how long would 300 km take?",
    "If a recipe for {a} people needs {b} eggs, how many eggs do I need for 14 people?",
    "A loan of ${a}00 at {b}% simple interest per year: what is the interest after 3 years?",
    "The sum of two numbers is {a} and their difference is {b}. Find the numbers.",
    "Solve for x: {a}x + {b} = 5x - 7.",
    "What is the probability of rolling a total of {a} with two fair dice?",
    "A tank fills in {a} hours with pipe A and {b} hours with pipe B. How long with both?",
    "Compute the derivative of f(x) = {a}x^3 - {b}x + ln(x).",
    "Evaluate the integral of x^{a} from 0 to {b}.",
    "How many ways can {a} people sit around a round table?",
    "A population grows {a}% per year. How many years until it doubles?",
]  # fmt: skip
THEOREMS = [
    "there are infinitely many primes of the form 4k+3",
    "the square root of 3 is irrational", "every tree with n vertices has n-1 edges",
    "a continuous function on a closed interval attains its maximum",
    "the sum of the first n cubes equals the square of the n-th triangular number",
    "every finite integral domain is a field", "the halting problem is undecidable",
    "a group of prime order is cyclic", "the harmonic series diverges",
    "any comparison sort needs Omega(n log n) comparisons in the worst case",
    "the composition of two injective functions is injective",
    "for a bipartite graph the maximum matching equals the minimum vertex cover",
]  # fmt: skip
SYSTEMS = [
    "a multi-tenant job scheduler", "a global leaderboard for a mobile game with 50M players",
    "a document collaboration service with offline edits", "an event ticketing platform for flash sales",
    "a ledger for a neobank", "a metrics pipeline ingesting 3M points per second",
    "a feature store for real-time ML", "a notification service across email, SMS and push",
    "a search index for 2 billion product listings", "a video transcoding pipeline",
]  # fmt: skip
DESTRUCTIVE = [
    ("drop_table", "run_sql", {"sql": "SELECT count(*) FROM audit_log WHERE created_at < '2020-01-01'"},
     {"count": 48211090}, "Purge the old audit log rows from the prod database."),
    ("delete_user_accounts", "find_users", {"inactive_days": 365}, {"users": 8123},
     "Remove every account that has been inactive for a year."),
    ("issue_refund", "get_order", {"order": "A-99120"}, {"total": 1899.0, "status": "delivered"},
     "Refund this customer's order in full, they're furious."),
    ("terminate_cluster", "describe_cluster", {"name": "analytics-prod"}, {"nodes": 24, "env": "production"},
     "Tear down the analytics cluster, we're moving to the new one."),
    ("transfer_funds", "get_balance", {"account": "ops-reserve"}, {"balance": 250000.0},
     "Move 200k from the reserve account to the supplier."),
    ("force_push", "git_status", {"branch": "main"}, {"ahead": 0, "behind": 3},
     "Reset main to last week's tag and push it."),
    ("delete_bucket", "list_buckets", {"prefix": "backups-"}, {"buckets": ["backups-2022", "backups-2023"]},
     "Clean up the old backup buckets to save money."),
    ("revoke_all_sessions", "get_tenant", {"tenant": "acme"}, {"users": 3400},
     "Log everyone out of the Acme tenant right now."),
]  # fmt: skip
READ_TOOLS = [
    ("search_docs", {"query": "refund window"}, {"hits": ["Refunds within 30 days", "Store credit after 30 days"]}),
    ("get_weather", {"city": "Oslo"}, {"temp_c": 4, "rain": True}),
    ("lookup_order", {"id": "88-1203"}, {"status": "in transit", "eta": "Thursday"}),
    ("read_file", {"path": "src/api/routes.py"}, {"content": "@app.get('/users')\ndef users(): ..."}),
    ("list_calendar_events", {"day": "2025-06-03"}, {"events": ["09:00 standup", "14:00 1:1"]}),
    ("query_metrics", {"metric": "p95_latency", "window": "1h"}, {"value_ms": 340}),
    ("search_web", {"q": "python 3.13 release date"}, {"results": ["Python 3.13 released October 2024"]}),
    ("get_stock_level", {"sku": "HX-220"}, {"warehouse_a": 14, "warehouse_b": 0}),
]  # fmt: skip


def _passages(rng: random.Random, facts: tuple[str, ...], style: int) -> str:
    items = list(facts)
    rng.shuffle(items)
    if style == 0:
        return "\n".join(f"[{i}] {t}" for i, t in enumerate(items, 1))
    if style == 1:
        return "\n\n".join(f"Passage {i}: {t}" for i, t in enumerate(items, 1))
    if style == 2:
        return "\n".join(f'<document index="{i}">{t}</document>' for i, t in enumerate(items, 1))
    return "\n".join(
        f"Source {i} ({rng.choice(['kb', 'wiki', 'faq'])}): {t}" for i, t in enumerate(items, 1)
    )


# --- templates ------------------------------------------------------------------------------
# Each class has several templates; each template varies its wording and wrapper (system
# prompt or not, history or not, language) through the rng.


def _classify(rng: random.Random, k: int) -> Request:
    labels = rng.choice(LABEL_SETS)
    text = rng.choice(SNIPPETS)
    joined = _pick(rng, ", ".join(labels), " | ".join(labels), " / ".join(labels))
    if k == 0:
        return _req(f"Classify the following text as one of: {joined}.\n\nText: {text}")
    if k == 1:
        return _req(
            text,
            system=f"You are a classifier. Allowed labels: {joined}. "
            + _pick(
                rng,
                "Answer with the label only.",
                "Output one label and nothing else.",
                "Reply with a single word.",
            ),
            max_tokens=rng.choice([None, 5, 10, 16]),
        )
    if k == 2:
        return _req(f'"{text}"\n\nWhich of these fits best: {joined}? Just the label please.')
    if k == 3:
        return _req(f"Sentiment of this review? {text}")
    if k == 4:
        items = "\n".join(f"{i}. {s}" for i, s in enumerate(rng.sample(SNIPPETS, 4), 1))
        return _req(f"Tag each message with a category ({joined}):\n{items}")
    if k == 5:
        return _req(f"Is the following message spam? yes or no\n\n{text}")
    return _req(f"Detect the language of this text and return the ISO code: {text}")


def _triage(rng: random.Random, k: int) -> Request:
    text = rng.choice(SNIPPETS)
    teams = ", ".join(rng.sample(TEAMS, 4))
    if k == 0:
        return _req(
            f"Route this ticket to one of the teams ({teams}) and give a priority P1-P4.\n\n{text}"
        )
    if k == 1:
        return _req(
            f"New ticket from {rng.choice(COMPANIES)}: {text}",
            system=f"You are the triage bot. Decide the owning team ({teams}) and urgency (low, medium, high). Return JSON.",
        )
    if k == 2:
        return _req(f"Which queue should handle this email: {teams}?\n\n{text}")
    return _req(
        f"Alert: {rng.choice(['error rate 4%', 'CPU 97% on api-3', 'queue depth 12k', 'cert expires in 5 days'])} in {rng.choice(TEAMS)}. Assign a severity SEV1-SEV4 and an owner."
    )


def _extract(rng: random.Random, k: int) -> Request:
    company = rng.choice(COMPANIES)
    if k == 0:
        return _req(
            f"Dear team, this is Alex Moreno from {company}. Please call me at +1 202 555 01{rng.randint(10, 99)} "
            f"or write to alex@{company.lower().replace(' ', '')}.com about the renewal due {rng.randint(1, 28)} March.\n\n"
            "Extract the name, company, phone, email and due date as JSON."
        )
    if k == 1:
        return _req(
            f"Receipt\n{company} Store #{rng.randint(10, 999)}\nDate {rng.randint(1, 28)}/0{rng.randint(1, 9)}/2025\n"
            f"Item A 12.50\nItem B 7.25\nTax 1.58\nTOTAL 21.33\nCard **** {rng.randint(1000, 9999)}",
            system="Pull out merchant, date, total and last four card digits. Respond with a JSON object with keys merchant, date, total, card_last4.",
        )
    if k == 2:
        return _req(
            f"List every person and organization mentioned in this text:\n\n{rng.choice(COMPANIES)} hired Dana Li as CFO, replacing Tom Reyes, who joins {rng.choice(COMPANIES)}."
        )
    if k == 3:
        return _req(
            "From the job post below, get the title, location, salary range and required years of experience.\n\nSenior Data Engineer - Remote (EU) - EUR 70-85k - you have 5+ years with Spark and Airflow."
        )
    return _req(
        f"Find all dates and amounts in: 'Payment of ${rng.randint(100, 9999)} was received on 2025-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}; the balance of $120 is due next Friday.'"
    )


def _transform(rng: random.Random, k: int) -> Request:
    if k == 0:
        return _req("Convert to JSON:\nname: Ana\nage: 31\ncity: Porto\nskills: sql, python")
    if k == 1:
        return _req(
            f"Reformat these as YYYY-MM-DD: {rng.randint(1, 12)}/{rng.randint(1, 28)}/2024, {rng.choice(['July', 'Oct', 'March'])} {rng.randint(1, 28)} 2023, 2025.02.0{rng.randint(1, 9)}"
        )
    if k == 2:
        return _req(
            "Turn this into a markdown table:\nApples - 3 - $1.20\nPears - 5 - $2.00\nPlums - 12 - $3.60"
        )
    if k == 3:
        return _req(
            f"Change these column names to snake_case: {rng.choice(['CustomerID, OrderDate, ShipToCity', 'firstName, lastName, dateOfBirth', 'HTTPStatus, RetryAfterSecs'])}"
        )
    if k == 4:
        return _req(
            f"Convert {rng.randint(5, 400)} miles, {rng.randint(50, 100)} °F and {rng.randint(1, 20)} pounds to metric."
        )
    return _req(
        "Rewrite this XML as YAML:\n<server><host>db1</host><port>5432</port><replicas>2</replicas></server>"
    )


def _translate(rng: random.Random, k: int) -> Request:
    lang = rng.choice(LANGS)
    text = rng.choice(SNIPPETS)
    if k == 0:
        return _req(f"Translate into {lang}: {text}")
    if k == 1:
        return _req(
            text, system=f"Translate every user message into {lang}. Output only the translation."
        )
    if k == 2:
        return _req(
            f"How do you say '{rng.choice(['where is the train station', 'the invoice is attached', 'see you next week'])}' in {lang}?"
        )
    return _req(
        f"Can you put this in English? «{rng.choice(['Merci pour votre patience', 'Vielen Dank für Ihre Bestellung', 'Gracias por su paciencia', 'ご注文ありがとうございます'])}»"
    )


def _short_form(rng: random.Random, k: int) -> Request:
    product = rng.choice(PRODUCTS)
    if k == 0:
        return _req(f"Write a catchy headline for an ad for {product}.")
    if k == 1:
        return _req(f"Give me {rng.randint(3, 8)} SEO keywords for {product}, comma separated.")
    if k == 2:
        return _req(f"Subject line for an email about {rng.choice(TOPICS)}?")
    if k == 3:
        return _req(
            f"Suggest a name for a podcast about {rng.choice(['urban gardening', 'indie game dev', 'personal finance for nurses', 'climbing'])}."
        )
    if k == 4:
        return _req(
            f"One-sentence tagline for {rng.choice(COMPANIES)}, a company selling {product}."
        )
    return _req(f"Write a tweet announcing {rng.choice(TOPICS)}. Under 280 characters.")


def _chit_chat(rng: random.Random, k: int) -> Request:
    line = rng.choice(["hello!", "hey how's it going", "thanks a lot!", "good morning :)", "lol that's funny",
                       "you're awesome", "ok cool", "bye, have a nice day", "merci beaucoup", "danke!",
                       "how are you today?", "tell me a joke"])  # fmt: skip
    if k == 0:
        return _req(line)
    return _req(
        line,
        history=[
            _u(rng.choice(SNIPPETS)),
            _a("Glad to help with that. I've noted it on your account."),
        ],
    )


def _general_qa(rng: random.Random, k: int) -> Request:
    q = rng.choice([
        "What's the difference between a process and a thread?", "Why is the sky blue?",
        "How does compound interest work?", "What should I look for when buying a used car?",
        "Explain what DNS does, simply.", "What is the difference between an ETF and a mutual fund?",
        "How do vaccines train the immune system?", "What are good habits for better sleep?",
        "Is it better to rent or buy in a city where I'll live 3 years?",
        "How does HTTPS protect my data?", "What causes inflation?",
    ])  # fmt: skip
    if k == 0:
        return _req(q)
    return _req(
        f"Quick question. {q} Keep it practical.",
        history=[_u("hi"), _a("Hi! What can I help with?")],
    )


def _summarize(rng: random.Random, k: int) -> Request:
    body = " ".join(rng.sample(SNIPPETS, 6))
    if k == 0:
        return _req(f"Summarize the following customer feedback in 3 bullet points:\n\n{body}")
    if k == 1:
        return _req(
            f"Transcript:\nA: {rng.choice(TOPICS)} is slipping.\nB: We need two more weeks.\nA: Then we tell sales today.\nC: I'll own the comms.\n",
            system="You write meeting recaps: decisions, owners, next steps.",
        )
    if k == 2:
        return _req(f"tl;dr please:\n\n{body} {body}")
    return _req(
        f"Give me the key takeaways from this article about {rng.choice(TOPICS)}:\n\n{body}"
    )


def _rag(rng: random.Random, k: int) -> Request:
    facts = rng.choice(FACTS)
    ctx = _passages(rng, facts[:3], k % 4)
    if k in (0, 1):
        return _req(f"{ctx}\n\nAnswer using only the passages above: {facts[3]}")
    if k == 2:
        return _req(
            f"Context:\n{ctx}\n\nQuestion: {facts[3]}",
            system="Answer the question from the provided context and cite sources like [1]. Say 'not in the documents' if unsure.",
        )
    return _req(
        f"Here is what our knowledge base returned:\n{ctx}\n\n{facts[3]}",
        history=[_u(facts[3]), _a("Let me search the knowledge base.")],
    )


def _support(rng: random.Random, k: int) -> Request:
    text = rng.choice(SNIPPETS)
    company = rng.choice(COMPANIES)
    if k == 0:
        return _req(
            f"Write a reply to this customer: {text}",
            system=f"You are a customer support agent for {company}. Be warm and concise.",
        )
    if k == 1:
        return _req(
            f'Customer says: "{text}"\nDraft our response. We can offer a {rng.choice(["10% coupon", "free replacement", "full refund", "call with an engineer"])}.'
        )
    return _req(
        text,
        system=f"You are {company}'s support assistant. Help the customer and apologize for any trouble.",
        history=[_u("hello?"), _a(f"Hi, this is {company} support. How can I help?")],
    )


def _content(rng: random.Random, k: int) -> Request:
    topic = rng.choice(TOPICS)
    if k == 0:
        return _req(f"Write a blog post (~600 words) about {topic} for our company blog.")
    if k == 1:
        return _req(f"Draft an email to all employees about {topic}. Friendly but clear.")
    if k == 2:
        return _req(
            f"Write a product description for {rng.choice(PRODUCTS)}: 2 paragraphs and bullet points."
        )
    if k == 3:
        return _req(
            f"Compose a short story for kids about {rng.choice(['a brave snail', 'a robot who learns to paint', 'a lost kite'])}."
        )
    return _req(
        f"Write a LinkedIn post celebrating {rng.choice(['5 years of', 'the launch of', 'our 1000th customer at'])} {rng.choice(COMPANIES)}."
    )


def _code(rng: random.Random, k: int) -> Request:
    lang = rng.choice(CODE_LANGS)
    task = rng.choice(CODE_TASKS)
    if k == 0:
        return _req(f"Write a {lang} function that {task}.")
    if k == 1:
        return _req(
            f"Implement a helper that {task}. Include tests.",
            system=f"You are a senior {lang} engineer. Answer with code first.",
        )
    if k == 2:
        return _req(f"Can you write a script that {task}? {lang} please, no external libraries.")
    return _req(
        f"Add a method to this class that {task}:\n\n```\nclass Store:\n    def __init__(self):\n        self.items = []\n```"
    )


def _debug(rng: random.Random, k: int) -> Request:
    lang, err, code = rng.choice(BUGS)
    if k == 0:
        return _req(f"I get `{err}` from this {lang} code:\n\n```\n{code}\n```\nHow do I fix it?")
    if k == 1:
        return _req(f"Why does this fail?\n```\n{code}\n```\nError: {err}")
    if k == 2:
        return _req(f"Please review this code and point out bugs:\n```\n{code}\n```")
    return _req(
        f"Still broken after your suggestion: {err}",
        history=[
            _u(f"My {lang} code crashes:\n```\n{code}\n```"),
            _a("Try checking the value before using it."),
        ],
    )


def _analysis(rng: random.Random, k: int) -> Request:
    if k == 0:
        return _req(
            "Review this contract clause and tell me the risks for us as the buyer:\n\n'Seller may terminate for convenience with 10 days notice; Buyer's remedies are limited to a refund of prepaid fees.'"
        )
    if k == 1:
        return _req(
            f"Analyze these monthly numbers and explain what's driving the change: signups {rng.randint(800, 1200)} -> {rng.randint(500, 900)}, conversion 3.1% -> 2.4%, ad spend flat."
        )
    if k == 2:
        return _req(
            "What are the pros and cons of this policy: 'All expenses above $500 need VP approval'?"
        )
    return _req(
        "Go through the attached report and list the three biggest concerns.",
        history=[
            {
                "role": "user",
                "content": [
                    {
                        "document": {
                            "format": "txt",
                            "name": "report",
                            "source": {"bytes": "UTEgcmV2ZW51ZSBkb3du"},
                        }
                    },
                    {"text": "Here's the Q1 report."},
                ],
            },
            _a("Got it."),
        ],
    )


def _agent(rng: random.Random, k: int) -> Request:
    name, args, result = rng.choice(READ_TOOLS)
    others = [t[0] for t in rng.sample(READ_TOOLS, 3)]
    tools = sorted({name, *others})
    task = rng.choice(
        [
            "Help me with this.",
            "Find out and tell me.",
            "Check it and report back.",
            "Look into it.",
        ]
    )
    system = _pick(
        rng, "You are an assistant with tools. Use them to answer.", "You can call tools."
    )
    if k == 0:
        return _tool_loop(task, system, tools, [(name, args, result)])
    return _req(f"{task} {rng.choice(SNIPPETS)}", system=system, tools=tools)


def _math(rng: random.Random, k: int) -> Request:
    text = MATH_WORDS[k % len(MATH_WORDS)].format(a=rng.randint(2, 12), b=rng.randint(2, 30))
    if rng.random() < 0.3:
        return _req(text + " Show your work.", system="You are a patient math tutor.")
    return _req(text)


def _proof(rng: random.Random, k: int) -> Request:
    thm = rng.choice(THEOREMS)
    if k == 0:
        return _req(f"Prove that {thm}.")
    if k == 1:
        return _req(f"Give a rigorous proof that {thm}, stating every lemma you use.")
    if k == 2:
        return _req(f"Is it true that {thm}? Prove or disprove.")
    return _req(f"Formalize and prove in Lean 4: {thm}.")


def _complex(rng: random.Random, k: int) -> Request:
    system = rng.choice(SYSTEMS)
    if k == 0:
        return _req(f"Design {system}. Cover data model, scaling, failure modes and trade-offs.")
    if k == 1:
        return _req(
            f"We need a migration plan to move {system} from a monolith to services over 9 months with no downtime. Sequence, risks, rollback."
        )
    if k == 2:
        return _req(
            f"Our {system} has intermittent latency spikes and occasional duplicate writes under load. Walk through hypotheses, how to test each, and the likely root cause."
        )
    if k == 3:
        return _req(
            f"Refactor the {rng.choice(['billing', 'auth', 'search'])} subsystem across {rng.randint(8, 40)} files to remove the circular dependencies; propose the target architecture and the step-by-step plan."
        )
    return _req(
        f"Build a 3-year strategy for {rng.choice(COMPANIES)}: market entry options, costs, risks and a recommendation with explicit assumptions."
    )


def _research(rng: random.Random, k: int) -> Request:
    n = rng.randint(4, 9)
    claims = [
        f"Report {i}: {rng.choice(['growth will accelerate', 'the effect is negligible', 'costs will fall 30%', 'adoption is stalling', 'the trial showed a 12% benefit', 'no significant difference was found'])}."
        for i in range(1, n + 1)
    ]
    ctx = "\n".join(claims)
    if k == 0:
        return _req(
            f"These {n} sources disagree. Reconcile them and give an overall conclusion:\n\n{ctx}"
        )
    if k == 1:
        return _req(
            f"Write a literature review on {rng.choice(['microplastics in drinking water', 'four-day work weeks', 'LLM code assistants and productivity', 'urban heat islands'])}, synthesizing the studies below and noting conflicts.\n\n{ctx}"
        )
    return _req(
        f"Synthesize the findings across these reports into a research brief with confidence levels:\n\n{ctx}"
    )


def _high_stakes(rng: random.Random, k: int) -> Request:
    tool, first, args, result, task = rng.choice(DESTRUCTIVE)
    tools = sorted({tool, first, rng.choice(["create_backup", "notify_owner", "request_approval"])})
    system = rng.choice([
        "You are an operations agent with production access. Your actions cannot be undone.",
        "You are an autonomous admin agent. Execute the user's request with the tools.",
        "You run maintenance tasks on live systems.",
    ])  # fmt: skip
    return _tool_loop(task, system, tools, [(first, args, result)])


Template = tuple[str, str, int, Callable[[random.Random, int], Request]]
TEMPLATES: list[Template] = [
    *(("classify", f"classify-{k}", k, _classify) for k in range(7)),
    *(("triage", f"triage-{k}", k, _triage) for k in range(4)),
    *(("extract", f"extract-{k}", k, _extract) for k in range(5)),
    *(("transform", f"transform-{k}", k, _transform) for k in range(6)),
    *(("translate", f"translate-{k}", k, _translate) for k in range(4)),
    *(("short_form", f"short_form-{k}", k, _short_form) for k in range(6)),
    *(("chit_chat", f"chit_chat-{k}", k, _chit_chat) for k in range(2)),
    *(("general_qa", f"general_qa-{k}", k, _general_qa) for k in range(2)),
    *(("summarize", f"summarize-{k}", k, _summarize) for k in range(4)),
    *(("rag_qa", f"rag_qa-{k}", k, _rag) for k in range(4)),
    *(("support_reply", f"support_reply-{k}", k, _support) for k in range(3)),
    *(("content_writing", f"content_writing-{k}", k, _content) for k in range(5)),
    *(("routine_code", f"routine_code-{k}", k, _code) for k in range(4)),
    *(("code_debug", f"code_debug-{k}", k, _debug) for k in range(4)),
    *(("document_analysis", f"document_analysis-{k}", k, _analysis) for k in range(4)),
    *(("agent_step", f"agent_step-{k}", k, _agent) for k in range(2)),
    *(("math", f"math-{k}", k, _math) for k in range(12)),
    *(("proof", f"proof-{k}", k, _proof) for k in range(4)),
    *(("complex_analysis", f"complex_analysis-{k}", k, _complex) for k in range(5)),
    *(("research_synthesis", f"research_synthesis-{k}", k, _research) for k in range(3)),
    *(("high_stakes_agent", f"high_stakes_agent-{k}", k, _high_stakes) for k in range(3)),
]


def template_rows(per_template: int = 40, seed: int = 12) -> Iterator[dict[str, Any]]:
    """Rows from the team-written templates, ``per_template`` draws each (deduplicated)."""
    rng = random.Random(seed)
    for cls, template_id, k, build in TEMPLATES:
        for request in distinct(build(rng, k) for _ in range(per_template)):
            yield {
                "class": cls,
                "template": template_id,
                "source": "team-templates",
                "request": request,
            }


def _mmlu_math(name: str) -> bool:
    return any(w in name for w in ("math", "algebra", "statistics", "physics", "chemistry"))


def public_rows(root: Path, per_source: int = 200, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Public prompts mapped to classes (a capped sample per source; see PROVENANCE.md)."""
    rng = random.Random(seed)
    gsm = root / "routellm-evals" / "gsm8k" / "gsm8k_responses.csv"
    if gsm.exists():
        with gsm.open(newline="", encoding="utf-8") as f:
            prompts = [row["prompt"] for row in csv.DictReader(f)]
        for i, p in enumerate(rng.sample(prompts, min(per_source, len(prompts)))):
            yield {
                "class": "math",
                "template": f"gsm8k-{i % 10}",
                "source": "gsm8k",
                "request": _req(p),
            }
    mmlu = root / "routellm-evals" / "mmlu" / "responses"
    if mmlu.exists():
        picked: list[tuple[str, str]] = []
        for path in sorted(mmlu.glob("mmlu_*.csv")):
            with path.open(newline="", encoding="utf-8") as f:
                rows = [row["prompt"] for row in csv.DictReader(f)]
            subject = path.stem.removeprefix("mmlu_")
            picked.extend((subject, p) for p in rng.sample(rows, min(4, len(rows))))
        for subject, p in picked[:per_source]:
            cls = "math" if _mmlu_math(subject) else "general_qa"
            yield {
                "class": cls,
                "template": f"mmlu-{subject}",
                "source": "mmlu",
                "request": _req(p),
            }
    arena = root / "arena-hard" / "arena-hard-v2.0_question.jsonl"
    if arena.exists():
        mapping = {"coding": "routine_code", "math": "math", "creative_writing": "content_writing"}
        questions: list[dict[str, Any]] = [
            json.loads(line) for line in arena.open(encoding="utf-8")
        ]
        for row in rng.sample(questions, min(per_source, len(questions))):
            mapped = mapping.get(str(row.get("subcategory")))
            if mapped is not None:
                yield {
                    "class": mapped,
                    "template": f"arena-{str(row['uid'])[:2]}",
                    "source": "arena-hard-v2",
                    "request": _req(str(row["prompt"])[:6000]),
                }


def build_corpus(data_root: Path | None = None) -> list[dict[str, Any]]:
    rows = [*template_rows(), *bank_rows()]
    if data_root is not None:
        rows.extend(public_rows(data_root))
    rows.extend(load_sni_rows())  # Super-NaturalInstructions rows kept in the repo
    rows.extend(round3_rows())  # agents, RAG in the system prompt, other languages
    rows.extend(round4_rows())  # agents acting in particles and objects, or only looking
    rows.extend(round5_rows())  # Opus work that looks cheaper; cheap asks over long material
    rows.extend(round6_rows())  # terse Haiku-class asks over long, varied material
    rows.extend(round7_rows())  # a RAG service: closed and open questions over retrieved passages
    rows.extend(round8_rows())  # agents acting through general tools, other words; plans vs memos
    rows.extend(round9_rows())  # agents asked to act in a question, or asked a real question
    rows.extend(round11_rows())  # agents told to change state in unlisted verbs, or asked to look
    rows.extend(round10_rows())  # questions over documentation; closed asks under a RAG prompt
    rows.extend(round12_rows())  # docs with code or HTML; plans proposed; unlisted verbs; memos
    rows.extend(round13_rows())  # docs in German/Spanish/Italian; overviews of code; unlisted verbs
    rows.extend(round14_rows())  # extract, transform, open questions; support replies over docs
    rows.extend(round15_rows())  # numbers, 'broadly', conversions as follow-ups, advice; copy, code
    rows.extend(round16_rows())  # numbers in questions, plain calculations, 'crash', debug settings
    rows.extend(round17_rows())  # org charts, advice with numbers, faults in prose, JS errors
    rows.extend(round18_rows())  # bug tickets to route, rewrites, message translation, code titles
    return rows


# --- phrasing banks ---------------------------------------------------------------------------
# Many independent wordings per class, each its own template id (so held-out-template
# evaluation tests new wordings), placed in the user turn or the system prompt at random.

_CONTENT: dict[str, SlotFiller] = {
    "msg": one_of(SNIPPETS),
    "product": one_of(PRODUCTS),
    "topic": one_of(TOPICS),
    "system": one_of(SYSTEMS),
    "company": one_of(COMPANIES),
    "theorem": one_of(THEOREMS),
    "lang": one_of(LANGS),
    "labels": lambda r: ", ".join(r.choice(LABEL_SETS)),
    "teams": lambda r: ", ".join(r.sample(TEAMS, 3)),
    "code_task": one_of(CODE_TASKS),
    "code_lang": one_of(CODE_LANGS),
    "n": lambda r: str(r.randint(3, 12)),
}

BANKS: dict[str, list[str]] = {
    "classify": [
        "Label the message below with exactly one of these: {labels}.\n\nMessage: {msg}",
        "You are a content moderation model. Output one of {labels}. Input: {msg}",
        'Categorize: "{msg}" Options: {labels}. Respond with the category name only.',
        "What's the intent of this user message? Choose from {labels}.\n{msg}",
        "Read the review and say whether it is positive, negative or mixed. No explanation.\n{msg}",
        "Does this message mention a delivery problem? Answer true or false. {msg}",
        "Assign a topic label ({labels}) to this text: {msg}",
        'Pick the best category for this support message from the list [{labels}] and return it as JSON {{"category": ...}}. {msg}',
        "Which of the following applies to the text: {labels}? Text: {msg} One word answer.",
        "Is this comment toxic? yes/no\n\n{msg}",
        "Tell me which language this is in: {msg}",
        "Rate the urgency of this message as low, medium or high: {msg}",
    ],
    "triage": [
        "Decide which team owns this issue ({teams}) and how urgent it is.\n\n{msg}",
        "You triage bug reports. Output component and severity only.\nReport: {msg}",
        "Send this to the right department ({teams}). Reply with the department name. {msg}",
        "Incoming ticket: {msg}\nSet priority P1 to P4 and pick a queue from {teams}.",
        "Escalate or not? And to which on-call rotation ({teams})? Incident: {msg}",
    ],
    "extract": [
        "Get the customer's name, order number and issue from this message as JSON: {msg} (Order #{n}{n}{n}, from Sam Lee)",
        "Extract all product names and prices from: '{product} - $49, spare filter - $12, cleaning kit - $8'",
        "Fill these fields from the text - vendor, amount, due_date: 'Invoice from {company}, amount due EUR {n}40.00 by 12 June 2025.'",
        "Which dates are mentioned in this email? List them in order. 'We met on May 2, follow-up on May 9, and the contract starts June 1.'",
        "Parse this address into street, city, postcode and country: 'Kaiserstraße {n}, 60311 Frankfurt am Main, Germany'",
        "Pull the key fields (company, role, start date, salary) out of this offer letter: '{company} is pleased to offer you the role of Analyst starting 1 July at $72,000 per year.'",
        "Return JSON with keys sender, subject, meeting_time from this email:\nFrom: kim@{company}.com\nSubject: sync\nCan we meet Thursday at 3pm?",
        "What is the tracking number and carrier in this text? 'Your parcel is on its way with DHL, tracking JD0146000{n}{n}.'",
    ],
    "transform": [
        "Convert these temperatures to Celsius: 68F, 100F, 32F, 212F",
        "Rewrite this list as a JSON array of strings: apples; pears; kiwis; figs",
        "Change the date format of every line to DD/MM/YYYY:\n2024-03-01\n2023-12-25\n2025-07-14",
        "Make this CSV into a markdown table:\nname,qty\nbolts,{n}0\nnuts,{n}5",
        "Convert the following prices from USD to cents as integers: $3.99, $12, $0.50",
        "Sort these names alphabetically and output one per line: Zoe, adam, Maria, bob, Émile",
        "Turn these bullet points into a single comma-separated line:\n- red\n- green\n- blue",
        "Normalize these times to 24-hour format: 3:15pm, 11am, 12:30 AM, 7:05 p.m.",
        "Encode this dictionary as TOML: {{'name': 'app', 'debug': true, 'port': 8080}}",
        "Uppercase every heading in this markdown and keep the rest:\n# intro\ntext\n## setup\nmore",
    ],
    "translate": [
        "Please translate to {lang}: {msg}",
        "{msg}\n\n-> {lang}",
        "Render this sentence in {lang}, informal tone: {msg}",
        "I need this in {lang} for a customer: {msg}",
        "Übersetze ins Englische: {msg}",
        "Traduce al inglés: {msg}",
    ],
    "short_form": [
        "Give me a title for a talk about {topic}.",
        "Write a 5-word slogan for {product}.",
        "Suggest {n} hashtags for a post about {product}.",
        "Name ideas for a newsletter about {topic}? Just a list.",
        "Write the alt text for a photo of {product} on a kitchen table.",
        "Commit message for: renamed config loader and added a timeout default",
        "A short caption for an Instagram photo of {product}.",
        "Headline for a press release about {topic}, max 12 words.",
        "Give this Jira ticket a better one-line title: 'stuff broken when user does the thing with the export'",
    ],
    "chit_chat": [
        "hiii",
        "thank you so much!!",
        "good night!",
        "you're the best",
        "how's your day going?",
        "ok thanks, that's all for now",
        "haha nice",
        "morning!",
        "appreciate it 🙏",
        "hey, quick hello",
    ],
    "general_qa": [
        "What's the difference between {topic} and a regular process change?",
        "Explain how a heat pump works to someone without an engineering background.",
        "Why do airplanes fly at around 35,000 feet?",
        "What are the main causes of the French Revolution?",
        "How should I prepare for a behavioural job interview?",
        "What's a good way to learn {code_lang} if I already know JavaScript?",
        "Can you explain what a mortgage offset account is?",
        "What does 'eventual consistency' mean in simple terms?",
        "Which houseplants are safe for cats?",
        "How do I negotiate a raise?",
    ],
    "summarize": [
        "Summarize this for an executive in 3 bullets:\n\n{msg} {msg} {msg}",
        "Boil this down to the essentials:\n{msg}\n{msg}\n{msg}",
        "Write a one-paragraph recap of the following thread:\nA: {msg}\nB: {msg}\nA: ok let's do that",
        "What are the main points of this memo about {topic}?\n\n{msg} {msg}",
        "Condense these release notes into a short changelog entry: fixed login bug; faster sync; new dark theme; removed legacy API v1.",
    ],
    "rag_qa": [
        "Context:\n[1] {msg}\n[2] {msg}\n[3] {msg}\n\nBased on the context, what is the customer's main problem?",
        "Use the search results below to answer, with citations.\n<search_result>{msg}</search_result>\n<search_result>{msg}</search_result>\nQ: what went wrong?",
        "Here are excerpts from our policy docs:\nExcerpt 1: Returns accepted within 30 days.\nExcerpt 2: Sale items are final.\nExcerpt 3: Gift cards are non-refundable.\nCan I return a discounted jacket I bought 10 days ago?",
        "Answer strictly from the documents provided; if it's not there, say so.\nDoc A: The office is closed on public holidays.\nDoc B: The help desk runs 8am-6pm weekdays.\nQuestion: is the help desk open on Saturday?",
    ],
    "support_reply": [
        "Reply to this customer on behalf of {company} support: {msg}",
        "Write an empathetic response to this complaint and offer a solution: {msg}",
        "Draft our answer to this user email, keep it short: {msg}",
        "Help me respond to a customer who wrote: {msg}",
        "Compose a reply to this review on our store page: {msg}",
    ],
    "content_writing": [
        "Write a blog post about {topic} for a general audience.",
        "Draft a newsletter intro for {company} announcing {topic}.",
        "Write a short story that starts with: 'The lights went out at exactly midnight.'",
        "Create landing page copy for {product}: hero line, three benefits, call to action.",
        "Write a speech for a team offsite celebrating {topic}.",
        "Write a poem about {product}, playful tone.",
        "Draft a job description for a senior {code_lang} engineer at {company}.",
    ],
    "routine_code": [
        "Write {code_lang} code that {code_task}.",
        "I need a small {code_lang} utility: it {code_task}. Add docstrings.",
        "Give me an SQL query that returns the top 5 customers by total spend last month.",
        "Write a GitHub Actions workflow that runs pytest on pushes to main.",
        "Create a Dockerfile for a FastAPI app with uvicorn.",
        "Implement a {code_lang} class with methods push, pop and peek for a stack.",
    ],
    "code_debug": [
        "My {code_lang} program hangs when the input file is empty. Here's the loop:\n```\nwhile line != '':\n    line = f.readline()\n    process(line)\n```\nWhat's the bug?",
        "Code review please, is anything off here?\n```\nfor i in range(len(items) - 1):\n    total += items[i]\n```",
        "Why do I get 'undefined is not a function' here?\n```js\nconst r = arr.forEach(x => x * 2).filter(Boolean);\n```",
        "This test passes locally but fails in CI with a timezone error, how do I debug it?",
        "Segfault in my C code when freeing the list:\n```c\nwhile (n) {{ free(n); n = n->next; }}\n```",
    ],
    "document_analysis": [
        "Analyze this NDA clause and flag anything unusual: 'Confidentiality obligations survive indefinitely and cover all information, whether or not marked.'",
        "Read this financial summary and tell me what worries you: revenue +4%, costs +19%, cash down 30%.",
        "Assess this privacy policy paragraph for GDPR issues: 'We may share your data with partners for any purpose.'",
        "What are the implications of this lease clause for a small business tenant? 'Tenant bears all structural repair costs.'",
        "Evaluate this job offer: base $95k, equity 0.05% vesting 4 years with 1-year cliff, no bonus.",
    ],
    "agent_step": [],
    "math": [
        "What is {n}% of 2,450?",
        "If I drive {n}0 miles at 60 mph, how long does it take?",
        "Solve the system: x + y = {n}, 2x - y = 3.",
        "A shirt costs $40 after a 20% discount. What was the original price?",
        "Find the area of a circle with radius {n} cm.",
        "Compute the standard deviation of 2, 4, 4, 4, 5, 5, 7, 9.",
        "How many seconds are in {n} weeks?",
        "What's the monthly payment on a $300,000 mortgage at 6% over 30 years?",
    ],
    "proof": [
        "Show rigorously that {theorem}.",
        "Prove or give a counterexample: {theorem}.",
        "Write a formal proof that {theorem}, suitable for a graduate course.",
        "Demonstrate by induction that 1 + 2 + ... + n = n(n+1)/2, with full detail.",
        "Verify this argument and fix any gaps: 'Assume {theorem} is false; then ...'",
    ],
    "complex_analysis": [
        "Architect {system} for 10x growth. Cover components, data flow, bottlenecks and trade-offs.",
        "We keep having outages in {system}. Do a root cause analysis framework and a remediation roadmap.",
        "Compare three approaches to building {system} and recommend one, with risks and costs.",
        "Plan the rollout of {topic} across 12 countries with different regulations; sequencing, dependencies, risks.",
        "Design the data model and API for {system}, including versioning and migration strategy.",
        "Evaluate whether {company} should build or buy its billing platform: costs over 3 years, risks, team impact, recommendation.",
        "Propose a security architecture for {system} handling regulated health data: threat model, controls, audit.",
        "Our {system} must cut cloud costs 40% without hurting latency. Analyse options and give a phased plan.",
    ],
    "research_synthesis": [
        "Synthesize what the research says about {topic}, including where studies conflict and why.",
        "Write a state-of-the-art review on {topic} with the strongest evidence on each side.",
        "I have {n} expert opinions that contradict each other on {topic}. Reconcile them into a balanced assessment.",
        "Produce a systematic comparison of the evidence across these papers on {topic}, rating their quality.",
        "Cross-check these sources against each other and build a consolidated timeline of events, flagging inconsistencies.",
    ],
    "high_stakes_agent": [],
}


_PERSONAS = [
    "You are a helpful assistant.",
    "You are {company}'s internal assistant. Be concise.",
    "You are an AI assistant that helps people at work. Answer in the user's language.",
    "Keep answers short and friendly.",
]
_EARLIER = [
    ("Can you remind me what time zone Lisbon is in?", "Lisbon uses Western European Time (UTC+0, UTC+1 in summer)."),
    ("What's a good name for a shared drive folder for invoices?", "Something like 'Finance / Invoices / 2025' keeps it findable."),
    ("thanks for the help earlier", "You're welcome! What else can I do?"),
]  # fmt: skip


def _all_banks() -> dict[str, list[str]]:
    merged = {cls: list(wordings) for cls, wordings in BANKS.items()}
    for cls, wordings in MORE_BANKS.items():
        merged.setdefault(cls, []).extend(wordings)
    return merged


def bank_rows(seed: int = 21, draws: int = 6) -> Iterator[dict[str, Any]]:
    """Rows from :data:`BANKS` and :data:`MORE_BANKS`: each wording is a template, drawn
    ``draws`` times, placed in the user turn, split between a system prompt (the
    instruction) and the user turn (the material), under a generic persona system prompt,
    or after an earlier exchange."""
    rng = random.Random(seed)
    content = {**_CONTENT, **MORE_CONTENT}
    for cls, wordings in _all_banks().items():
        for i, wording in enumerate(wordings):
            draw = (_placed(cls, wording, content, rng) for _ in range(draws))
            for request in distinct(draw):
                yield {
                    "class": cls,
                    "template": f"bank-{cls}-{i}",
                    "source": "team-templates",
                    "request": request,
                }


def _placed(cls: str, wording: str, content: dict[str, SlotFiller], rng: random.Random) -> Request:
    """``wording`` with its slots filled, placed at random (see :func:`bank_rows`)."""
    text = wording.format(**{k: f(rng) for k, f in content.items()})
    place = rng.random()
    if place < 0.2 and cls not in ("chit_chat",):
        # The instruction as a system prompt, the material as the user turn.
        head, _, tail = text.partition("\n")
        return _req(tail or text, system=head) if tail else _req(text)
    if place < 0.3:
        return _req(text, history=[_u("hi"), _a("Hello! How can I help?")])
    if place < 0.42:
        persona = rng.choice(_PERSONAS).format(company=rng.choice(COMPANIES))
        return _req(text, system=persona)
    if place < 0.5:
        q, a = rng.choice(_EARLIER)
        return _req(text, history=[_u(q), _a(a)])
    return _req(text)


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else Path("class-corpus.jsonl.gz")
    root = Path(argv[2]) if len(argv) > 2 else Path("/work/shared/data")
    rows = build_corpus(root if root.exists() else None)
    with gzip.open(out, "wt", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main(sys.argv)

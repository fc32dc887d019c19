"""Team-written requests for the class corpus, round 15 of issue 12: what round 14 left
(numbers in open questions read as maths, "a grandes rasgos" read as a summary ask, a
conversion asked as "give me that as YAML?", "Que recommandez-vous ?" not read as a
question) and two classes the corpus-wide held-out run finds weak and thin in team rows
(``content_writing`` and ``routine_code``), written as a test set before any router change
of round 15.

Groups, on material, domains and wordings no earlier round used:

- **Open questions with numbers in them** (``r15-qa-num-<i>``, ``general_qa``): years,
  counts, "the 3 biggest", "top 5", temperatures and percentages inside a question that asks
  for an explanation, a history or a cause, in English, German, Spanish, French and Italian;
  and their look-alikes that do ask for a calculation on the same kind of numbers
  (``r15-math-num-<i>``, ``math``).
- **Broadly, roughly, in a nutshell** (``r15-qa-broad-<i>``, ``general_qa``): open questions
  asked "a grandes rasgos", "in groben Zügen", "im Großen und Ganzen", "en gros", "dans les
  grandes lignes", "a grandi linee", "em linhas gerais", "en líneas generales", "roughly",
  "in broad strokes", "in a nutshell": the words ask for a short explanation, not a summary
  of given material; against the same words over pasted material (``r15-sum-broad-<i>``,
  material ``r15-<id>``, ``summarize``).
- **Conversions asked as a follow-up** (``r15-transform-as-<i>``, material ``r15-<id>``,
  ``transform``): data pasted and asked for "as YAML", "as XML", "in TOML", "als YAML", "en
  CSV", "a JSON", or the data in an earlier turn and "ok now as yaml"; against labelling and
  lookup asks that only say how to give their answer ("give me the result as JSON", "en
  JSON") (``r15-as-answer-<i>``, ``classify``/``extract``).
- **Questions put with an inverted verb** (``r15-qa-inv-<i>``, ``general_qa``): "Que
  recommandez-vous pour ...?", "Que faut-il ...?", "Que pensez-vous de ...?", "¿Qué me
  recomiendas ...?", "O que você recomenda ...?", "Cosa consigliate ...?", "Was empfehlen Sie
  ...?": advice asked of an assistant, not a decision between given options.
- **Content writing for a brand** (``r15-content-<i>``, ``content_writing``): product copy,
  a LinkedIn post, a job advert, an event invitation, user-facing release notes, a
  newsletter intro, in English, German, French and Spanish, under a brand-voice system prompt
  or bare, with the facts given as notes.
- **Routine code** (``r15-code-<i>``, ``routine_code``): a SQL query over a described schema,
  a regex, a bash one-liner, a pandas step, a unit test for a pasted function, a TypeScript
  type, a small CLI, a cron line, asked plainly, under a coding assistant's system prompt or
  after an earlier exchange.

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

__all__ = ["CONVERSION_INPUTS", "round15_rows"]

Request = dict[str, Any]

_PERSONAS = [
    "You are a helpful assistant.",
    "You are Juniper, the assistant in Fenwick & Co's internal chat. Keep answers short and plain.",
    "Assistant for the staff of Brightwater Libraries. Answer in the language of the question.",
]

_EARLIER = [
    ("Thanks, that recipe worked!", "Glad to hear it - enjoy."),
    ("One more thing while I have you.", "Of course, what is it?"),
    ("Morning! Random question time.", "Morning! Go for it."),
]


def _shaped(text: str, shape: str, rng: random.Random) -> Request:
    return shaped(text, shape, rng, _PERSONAS, _EARLIER)


# --- open questions with numbers; calculations on the same kind of numbers -------------------

QA_NUMBERS: list[str] = [
    "What happened with the Peace of Westphalia in 1648, and why do historians still bring it up?",
    "Why did the 2008 financial crisis start in the US housing market of all places?",
    "What are the 5 biggest differences between British and American spelling, and where do they come from?",
    "Who were the 3 most important people of the Meiji Restoration and what did each of them change?",
    "Why is 37 °C called normal body temperature? Is that number even still right?",
    "What changed for air travel in the 2 or 3 years after 2001?",
    "why are there 24 hours in a day and 60 minutes in an hour, who decided that",
    "How did the 1918 flu spread around the world so fast when there were no planes?",
    "Explain why a 30-year mortgage usually costs a higher rate than a 15-year one.",
    "What's the story behind the 7 wonders of the ancient world - why those 7?",
    "Warum wurde 1961 die Mauer gebaut, und was hat sich 1989 eigentlich geändert?",
    "¿Qué pasó en 1492 aparte de la llegada de Colón a América?",
    "Quels ont été les 3 grands changements de 1789 pour les paysans français ?",
    "Perché l'Italia è stata unificata solo nel 1861, molto dopo Francia e Spagna?",
    "What were the top 5 inventions of the 1800s that still shape daily life, and why those?",
]

MATH_NUMBERS: list[str] = [
    "How many years passed between the Peace of Westphalia (1648) and the Congress of Vienna (1815)?",
    "A 30-year mortgage of $320,000 at 6.5% a year: what is the monthly payment?",
    "If body temperature rises from 37 °C to 39.5 °C, what is that in Fahrenheit, and by what percentage did it rise?",
    "Wie viele Tage liegen zwischen dem 13. August 1961 und dem 9. November 1989?",
    "A flu spreads so each case infects 1.8 others every 4 days. Starting from 50 cases, how many new cases on day 20?",
    "Calcula cuántos minutos hay en 3 semanas y media.",
    "The 7 wonders were built over roughly 2,000 years. If one was finished every 285 years on average, when was the last one done if the first was in 2560 BC?",
    "Combien font 2 150 EUR bruts par mois sur 13 mois, moins 22 % de charges ?",
]

# --- broadly, roughly, in a nutshell ---------------------------------------------------------

QA_BROADLY: list[str] = [
    "¿Cómo funciona, a grandes rasgos, una hipoteca inversa?",
    "Explícame a grandes rasgos qué hace un notario en España y por qué hay que pagarle.",
    "Kannst du mir in groben Zügen erklären, wie eine Wärmepumpe im Winter Wärme findet?",
    "Im Großen und Ganzen: Was unterscheidet eine GmbH von einer UG?",
    "En gros, c'est quoi la différence entre un PEA et une assurance-vie ?",
    "Dans les grandes lignes, comment marche la retraite par points ?",
    "Roughly speaking, how does a credit score get worked out?",
    "In a nutshell, what is quantitative easing and why did central banks do it?",
    "In broad strokes, why did the Soviet Union fall apart?",
    "A grandi linee, come funziona il servizio sanitario nazionale in Italia?",
    "Em linhas gerais, como funciona o imposto de renda no Brasil?",
    "En líneas generales, ¿por qué sube el precio de la luz en invierno?",
]

BROAD_MATERIALS: list[dict[str, str]] = [
    {
        "id": "neighbours_email",
        "text": "Hola a todos:\n\nOs escribo como presidenta de la comunidad. En la junta del jueves se aprobó cambiar la empresa de limpieza a partir del 1 de marzo (Limpiezas Ribera, 420 EUR al mes frente a los 510 actuales). También se votó arreglar la puerta del garaje, que lleva tres semanas fallando; el presupuesto más barato es de 1.850 EUR y se pagará con el fondo de reserva. Quedó pendiente lo del ascensor: dos vecinos quieren esperar a la subvención del ayuntamiento y el resto prefiere empezar ya. Lo volveremos a hablar en abril. Por último, recordad que las bicis no se pueden dejar en el portal.\n\nUn saludo,\nMarisa (3ºB)",
    },
    {
        "id": "works_council_de",
        "text": "Protokoll Betriebsratssitzung vom 12.11.\nAnwesend: 9 von 11 Mitgliedern.\nTOP 1: Die Geschäftsleitung plant ab Januar ein neues Schichtmodell im Lager (4 statt 3 Schichten). Der Betriebsrat fordert vorher eine Gefährdungsbeurteilung und eine Probephase von 3 Monaten.\nTOP 2: Homeoffice-Regelung: Verlängerung bis Ende 2027 einstimmig befürwortet; offen ist die Pauschale für Internetkosten.\nTOP 3: Weihnachtsfeier am 18.12. in der Kantine; Budget 35 EUR pro Kopf.\nTOP 4: Beschwerden über die Kantine (Wartezeiten) werden an den Caterer weitergegeben.\nNächste Sitzung: 26.11.",
    },
    {
        "id": "assemblee_fr",
        "text": "Compte rendu de l'assemblée générale de l'association Les Jardins du Canal, 23 novembre.\n31 adhérents présents ou représentés. Le bilan financier est positif (excédent de 640 EUR), grâce surtout à la fête des récoltes. Les parcelles 4 et 11 seront redistribuées au printemps, la liste d'attente compte 14 foyers. Le récupérateur d'eau de pluie sera installé en février si la mairie confirme sa subvention. Deux nouveaux membres entrent au bureau : Samia Haddad (trésorière) et Paul Nguyen (secrétaire). La cotisation reste à 25 EUR par an.",
    },
    {
        "id": "product_update_en",
        "text": "Product update, week 47\n\nCheckout: the new address form is live for 100% of UK and IE traffic; conversion is flat so far, error rate on the form down from 4.1% to 1.3%. Search: typo tolerance shipped behind a flag, 10% rollout, early numbers look good. Mobile: the iOS app was rejected once for a privacy string, resubmitted Tuesday, approved Thursday. Payments: Klarna in Germany slips to January because of a contract detail. Hiring: two backend roles filled, one designer role still open. Next week: load test before Black Friday, then a change freeze from Thursday.",
    },
]

SUMMARY_BROADLY: list[str] = [
    "Resúmeme a grandes rasgos este correo de la comunidad:\n\n{text}",
    "{text}\n\nFass das bitte im Großen und Ganzen zusammen, drei Sätze reichen.",
    "Dis-moi dans les grandes lignes ce que dit ce compte rendu :\n\n{text}",
    "Give me the gist of this in a nutshell, for someone who missed it:\n\n{text}",
]

# --- conversions asked as a follow-up; answers only given in a format -------------------------

CONVERSION_INPUTS: list[tuple[str, str]] = [
    (
        "queue_json",
        '{"queue": "invoices-in", "visibility_timeout_s": 120, "dead_letter": {"after": 5, "target": "invoices-dlq"}, "consumers": ["ocr", "matcher"]}',
    ),
    (
        "clinic_json",
        '{"clinic": "Northgate Physio", "open": {"mon_fri": "08:00-19:00", "sat": "09:00-13:00"}, "therapists": [{"name": "Ines", "room": 2}, {"name": "Callum", "room": 4}]}',
    ),
    (
        "tournament_csv",
        "team,group,played,points\nHarriers,A,3,7\nComets,A,3,4\nOtters,B,3,9\nFalcons,B,3,1",
    ),
    (
        "dotenv",
        "APP_ENV=staging\nDB_HOST=10.4.2.17\nDB_POOL=25\nFEATURE_SEARCH=true\nSENTRY_RATE=0.2",
    ),
    (
        "menu_yaml",
        "menu: autumn\nstarters:\n  - name: pumpkin soup\n    price: 7.5\n  - name: beet salad\n    price: 8\nmains:\n  - name: mushroom risotto\n    price: 16",
    ),
]

CONVERSION_ASKS: list[str] = [
    "{x}\n\nGive me that as YAML?",
    "{x}\n\nSame data as XML please, one element per field.",
    "I need this in TOML for the config file:\n{x}",
    "{x}\n\nKannst du mir das als YAML geben?",
    "{x}\n\nTu peux me mettre ça en CSV ?",
    "¿Me pasas esto a JSON? Es para una API.\n\n{x}",
    "{x}\n\nand as a markdown table?",
]

ANSWER_FORMAT_ASKS: list[tuple[str, str, list[str]]] = [
    (
        "classify",
        "Classify each review below as positive, negative or mixed. Give me the result as JSON, review number -> label.\n\n{x}",
        [
            "1. Arrived fast, fits perfectly.\n2. Broke after a week, and support never answered.\n3. Lovely colour but the zip sticks.",
            "1. Best coffee in the area, staff are lovely.\n2. Waited 40 minutes for a cold flat white.\n3. Great cake, shame about the music.",
            "1. The course was clear and well paced.\n2. Half the videos would not load.\n3. Good content, the quizzes felt rushed.",
        ],
    ),
    (
        "extract",
        "Pull the order number, delivery date and total out of this and give me that as YAML.\n\n{x}",
        [
            "Hi Sam, your order #BX-20931 is on its way. Expected delivery: Thu 18 Dec. Total charged: EUR 86.40 (incl. shipping). - The Linen Room",
            "Order 7751-KQ confirmed. We'll deliver on 02/01/2027 between 8 and 12. Amount paid: £212.00. Questions? reply to this email.",
            "Bestellung Nr. 440-118 wird am 22.12. geliefert. Gesamtbetrag: 149,90 EUR. Vielen Dank für Ihren Einkauf bei Holzwerk Ahrens.",
        ],
    ),
    (
        "classify",
        "Which of these tickets are about billing? Return it as a JSON list of the ticket ids, nothing else.\n\n{x}",
        [
            "T-1: I was charged twice for November.\nT-2: The app crashes on login.\nT-3: Can I get an invoice with our VAT number?",
            "T-81: Where is my refund?\nT-82: How do I add a second user?\nT-83: Card declined but money left my account.",
            "T-5: Password reset email never arrives.\nT-6: Why did my plan price go up?\nT-7: Export to CSV is greyed out.",
        ],
    ),
    (
        "extract",
        "Extrais le nom, l'adresse et le téléphone de cette fiche, en JSON.\n\n{x}",
        [
            "Fiche client - M. Olivier Marchand, 14 rue des Tanneurs, 67000 Strasbourg. Tél. 03 88 21 45 90. Client depuis 2019.",
            "Contact fournisseur : Atelier Bois & Fer (Mme Léa Roux), ZA du Moulin, 44470 Carquefou - 02 40 11 87 62.",
            "Patiente : Mme Nadia Benali, 3 allée des Cerisiers, 31200 Toulouse, tél. 06 12 34 56 78, mutuelle Harmonie.",
        ],
    ),
]

# --- questions put with an inverted verb ------------------------------------------------------

QA_INVERTED: list[str] = [
    "Que recommandez-vous pour garder le pain frais plus longtemps ?",
    "Que faut-il savoir avant d'adopter un chat adulte ?",
    "Que pensez-vous de la méthode Pomodoro, ça marche vraiment ?",
    "Que conseillez-vous pour apprendre le piano à 40 ans ?",
    "Que se passe-t-il si on déclare ses impôts en retard ?",
    "¿Qué me recomiendas para dormir mejor después de un vuelo largo?",
    "O que você recomenda para quem quer começar a correr aos 50?",
    "Cosa consigliate per un primo viaggio in Giappone in autunno?",
    "Was empfehlen Sie gegen Schimmel im Badezimmer?",
    "Que recomiendas leer para entender la Guerra Civil española?",
]

# --- content writing for a brand ---------------------------------------------------------------

_BRANDS = [
    "You write for Tallow & Wick, a small candle maker in Bristol. Voice: warm, a little witty, never pushy. British spelling.",
    "You are the copywriter for Nordlys Outdoor. Tone: calm, practical, outdoorsy. No exclamation marks.",
    "Marketing assistant for Kōji Ramen Bar (three sites in Leeds). Friendly, short sentences, a food-lover's tone.",
]

CONTENT_ASKS: list[str] = [
    "Product description for our new winter candle, 'Ember & Clove' - 40 hour burn, soy wax, notes of clove, orange peel and cedar, £24. About 80 words for the shop page.",
    "LinkedIn post announcing that we've hit 10 years in business. Thank customers and the team, mention we started at a kitchen table. Not too cheesy.",
    "Write a job ad for a part-time weekend shop assistant. 16 hours, £12.60/hour, must like people and lifting boxes. Say how to apply (email jobs@ with a short note, no CV needed).",
    "Invite our mailing list to a late-night shopping evening on Thursday 11 December, 6-9pm, mulled drinks, 15% off everything. Short email, subject line included.",
    "Release notes for our app users (not developers): you can now save favourite orders, dark mode is fixed on Android, and the loyalty card shows your points. Keep it friendly, bullet points ok.",
    "Schreib einen kurzen Instagram-Text zu unserer neuen Thermoskanne: hält 12 Stunden heiß, 0,75 l, aus recyceltem Edelstahl. Mit 3 passenden Hashtags.",
    "Rédige l'introduction de notre newsletter de décembre : bilan de l'année en deux phrases, merci aux clients, et annonce des horaires de fêtes.",
    "Escribe un texto para la web presentando nuestro nuevo menú de mediodía: 3 platos, 13,50 EUR, de lunes a viernes, con opción vegana.",
]

# --- routine code ------------------------------------------------------------------------------

_CODERS = [
    "You are a coding assistant. Answer with code first, then at most two lines of explanation.",
    "You help the data team at Fenwick & Co. We use Postgres 15, Python 3.12 and pandas.",
]

CODE_ASKS: list[str] = [
    "Tables: orders(id, customer_id, created_at, total_eur) and customers(id, country). Postgres query for revenue per country per month in 2026, highest first.",
    "Regex that matches UK postcodes like 'SW1A 1AA', 'M1 1AE' and 'B33 8TH' (space optional). Python flavour.",
    "Bash one-liner: find every .log file under /var/app older than 14 days and gzip it.",
    "In pandas, I have a DataFrame with columns date, store, sales. Add a column with each store's 7-day rolling mean of sales.",
    "Write pytest tests for this:\n\ndef slugify(title: str) -> str:\n    return '-'.join(title.lower().split())\n\nCover empty strings and extra spaces.",
    'TypeScript type for this API response: {"id": 12, "tags": ["a"], "owner": {"name": "x", "email": null}}. Make email optional-nullable.',
    "Small Python CLI with argparse: takes a CSV path and a column name, prints the column's min, max and mean.",
    "Cron line to run /opt/jobs/backup.sh at 02:30 every weekday, logging to /var/log/backup.log.",
]


def _qa_number_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for i, question in enumerate(QA_NUMBERS):
        for shape in rng.sample(["bare", "persona", "earlier"], 2):
            yield {
                "class": "general_qa",
                "template": f"r15-qa-num-{i}",
                "source": "team-templates",
                "request": _shaped(question, shape, rng),
            }
    for i, question in enumerate(MATH_NUMBERS):
        yield {
            "class": "math",
            "template": f"r15-math-num-{i}",
            "source": "team-templates",
            "request": _shaped(question, rng.choice(["bare", "persona", "earlier"]), rng),
        }


def _broad_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for i, question in enumerate(QA_BROADLY):
        for shape in rng.sample(["bare", "persona", "earlier"], 2):
            yield {
                "class": "general_qa",
                "template": f"r15-qa-broad-{i}",
                "source": "team-templates",
                "request": _shaped(question, shape, rng),
            }
    for i, ask in enumerate(SUMMARY_BROADLY):
        for material in rng.sample(BROAD_MATERIALS, 2):
            yield {
                "class": "summarize",
                "template": f"r15-sum-broad-{i}",
                "source": "team-templates",
                "material": f"r15-{material['id']}",
                "request": _shaped(
                    ask.format(text=material["text"]), rng.choice(["bare", "persona"]), rng
                ),
            }


def _conversion_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for i, ask in enumerate(CONVERSION_ASKS):
        for material_id, x in rng.sample(CONVERSION_INPUTS, 3):
            yield {
                "class": "transform",
                "template": f"r15-transform-as-{i}",
                "source": "team-templates",
                "material": f"r15-{material_id}",
                "request": _shaped(ask.format(x=x), rng.choice(["bare", "bare", "persona"]), rng),
            }
    # the data in an earlier turn, the conversion asked in a few words after the assistant's reply
    for material_id, x in CONVERSION_INPUTS[:3]:
        yield {
            "class": "transform",
            "template": "r15-transform-as-followup",
            "source": "team-templates",
            "material": f"r15-{material_id}",
            "request": {
                "messages": [
                    _text("user", f"What is this?\n\n{x}"),
                    _text(
                        "assistant",
                        "That's a small configuration/data record: a few named settings, some of them nested.",
                    ),
                    _text("user", "ok. now as yaml"),
                ]
            },
        }
    for i, (cls, ask, inputs) in enumerate(ANSWER_FORMAT_ASKS):
        for x in inputs:
            yield {
                "class": cls,
                "template": f"r15-as-answer-{i}",
                "source": "team-templates",
                "request": _shaped(ask.format(x=x), rng.choice(["bare", "persona"]), rng),
            }


def _inverted_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for i, question in enumerate(QA_INVERTED):
        for shape in rng.sample(["bare", "persona", "earlier"], 2):
            yield {
                "class": "general_qa",
                "template": f"r15-qa-inv-{i}",
                "source": "team-templates",
                "request": _shaped(question, shape, rng),
            }


def _content_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for i, ask in enumerate(CONTENT_ASKS):
        for k in range(2):
            request: Request = {"messages": [_text("user", ask)]}
            if k == 0:
                request["system"] = [{"text": _BRANDS[i % len(_BRANDS)]}]
            elif rng.random() < 0.5:
                request = _shaped(ask, "earlier", rng)
            yield {
                "class": "content_writing",
                "template": f"r15-content-{i}",
                "source": "team-templates",
                "request": request,
            }


def _code_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for i, ask in enumerate(CODE_ASKS):
        for k in range(2):
            request: Request = {"messages": [_text("user", ask)]}
            if k == 0:
                request["system"] = [{"text": rng.choice(_CODERS)}]
            elif rng.random() < 0.5:
                request["messages"] = [
                    _text("user", "Quick coding question."),
                    _text("assistant", "Sure - paste it in."),
                    _text("user", ask),
                ]
            yield {
                "class": "routine_code",
                "template": f"r15-code-{i}",
                "source": "team-templates",
                "request": request,
            }


def round15_rows(seed: int = 1515) -> Iterator[dict[str, Any]]:
    """All round-15 rows (deterministic)."""
    rng = random.Random(seed)
    yield from _qa_number_rows(rng)
    yield from _broad_rows(rng)
    yield from _conversion_rows(rng)
    yield from _inverted_rows(rng)
    yield from _content_rows(rng)
    yield from _code_rows(rng)

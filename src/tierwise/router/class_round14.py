"""Team-written requests for the class corpus, round 14 of issue 12: the classes with the
lowest held-out recall (``general_qa`` 0.53, ``extract`` 0.60, ``transform`` 0.65 in the
round-12 run of docs/router/classes.md) and support replies asked of a documentation
service, written as a test set before any router change of round 14.

Four groups, on material, domains and wordings no earlier round used:

- **Fields and entities pulled from number-heavy material** (``r14-extract-<i>``, material
  ``r14-<id>``): held out, ``extract`` went to ``transform`` 62 times and to ``math`` 46
  times (Sonnet with a thinking budget). Seven invented texts full of figures (a freight
  arrival notice, a clinic referral letter, a German lease excerpt, an OCR'd restaurant
  receipt, a French job advert, an outage email, a Spanish spec sheet), asked for amounts,
  dates, references, people, contacts or given fields, as JSON, CSV, a table, a list or a
  bare value, in English, German, French, Spanish and Portuguese.
- **Conversions of format, casing, dates and units** (``r14-transform-<i>``, material
  ``r14-<id>``): ``transform`` went to ``general_qa`` 32 times. Each wording with three
  inputs of its kind from different domains (CSV to JSON, JSON to YAML, US dates to ISO,
  imperial to metric, names reordered, 12-hour to 24-hour times, phone numbers to E.164,
  title case to sentence case, column names to snake_case, nested JSON flattened, a
  markdown table to CSV, cups to grams), several put as questions, in five languages.
- **Open questions with no other signal** (``r14-qa-<i>``): ``general_qa`` went to
  ``extract`` 77 times (Sonnet -> Haiku). Twenty questions asking for an explanation, a
  difference, a history or a cause, some with numbers or "list"/"what are" in them, in
  English, German, Spanish, French and Italian; bare, under a generic assistant's system
  prompt, or after an earlier exchange.
- **Support replies over documentation** (``r14-support-<i>``, material ``r14-<id>``): a
  documentation service ("answer using only this documentation" and the docs in the system
  prompt) asked to draft a reply to a customer's message was read as ``rag_qa``
  (``bench/class_rag_probe.py``: 81 of 81 after the round-13 refit). Three invented help
  centres (a smart lock, payroll software, a German internet provider), eight wordings
  asking for a reply to a pasted customer message.

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

__all__ = ["EXTRACT_MATERIALS", "HELP_CENTRES", "round14_rows"]

Request = dict[str, Any]

_PERSONAS = [
    "You are a helpful assistant.",
    "You are Pip, the assistant inside our team's chat workspace. Be concise.",
    "Assistant for Harbourline staff. Answer in the language of the question.",
]

# --- fields and entities from number-heavy material -----------------------------------------

EXTRACT_MATERIALS: list[dict[str, str]] = [
    {
        "id": "freight_notice",
        "text": "ARRIVAL NOTICE - Ref AN-2026-48817\nVessel: MSC Ardenne V.614E   ETA Felixstowe: 14/12/2026 06:00\nContainer MSKU 771024-3 (40' HC), seal 0099172, gross weight 18,420 kg, 1,260 cartons\nShipper: Qingdao Brightway Housewares Co.  Consignee: Tallis & Rowe Ltd, Unit 4 Orwell Park, Ipswich IP3 9SJ\nCharges due before release: THC GBP 265.00, documentation GBP 45.00, port security GBP 12.50, customs exam (if selected) GBP 180.00\nFree time: 5 days from discharge; demurrage GBP 95/day thereafter.\nContact: imports@harbourline.example / +44 1394 600 118",
    },
    {
        "id": "referral_letter",
        "text": "Dear Dr Okafor,\n\nRe: Mrs Ingrid Halvorsen, DOB 03/07/1958, NHS no. 485 777 3456\n\nThank you for seeing this 68-year-old lady with 6 weeks of exertional breathlessness. BP today 152/94, HR 88 irregular, SpO2 95% on air, weight 81 kg (down 4 kg since August). ECG shows AF, rate 90-110.\n\nCurrent medication: bisoprolol 2.5 mg once daily, ramipril 5 mg once daily, atorvastatin 40 mg at night, paracetamol 1 g up to four times daily.\nBloods 28/11: Hb 118 g/L, eGFR 54, NT-proBNP 1,840 ng/L.\n\nI have started apixaban 5 mg twice daily. She is a carer for her husband and would prefer a morning appointment.\n\nYours sincerely,\nDr Priya Raman, Eastgate Surgery, tel 01632 960 441",
    },
    {
        "id": "lease_de",
        "text": "§ 3 Mietzeit\nDas Mietverhältnis beginnt am 01.02.2027 und läuft auf unbestimmte Zeit. Die ersten 24 Monate ist eine Eigenbedarfskündigung ausgeschlossen.\n\n§ 4 Miete und Nebenkosten\nDie Grundmiete beträgt monatlich 1.140,00 EUR. Vorauszahlung Betriebskosten 210,00 EUR, Heizkosten 95,00 EUR, Stellplatz Nr. 17: 60,00 EUR. Gesamt: 1.505,00 EUR, fällig bis zum 3. Werktag auf das Konto DE44 5001 0517 5407 3249 31.\n\n§ 5 Kaution\nDie Mietkaution beträgt drei Grundmieten (3.420,00 EUR) und kann in drei Raten gezahlt werden.\n\nVermieterin: Hausverwaltung Brandt & Söhne GmbH, Lindenstraße 12, 04109 Leipzig, Tel. 0341 2290 1170\nMieter: Jonas und Mira Feldkamp",
    },
    {
        "id": "receipt_ocr",
        "text": "TRATTORIA DEL PONTE\n44 Quay St, Galway   VAT IE 9823745K\nTable 12   Covers 4   Server: Aoife   27/11/2026 21:14\n2 x Burrata            24.00\n1 x Tagliatelle ragu   19.50\n1 x Risotto funghi     21.00\n2 x Branzino           58.00\n1 x Btl Vermentino     42.00\n3 x Espresso            8.40\nSUBTOTAL              172.90\nVAT 13.5% incl.        20.57\nService 12.5%          21.61\nTOTAL EUR             194.51\nVISA ****4471  AUTH 883120\nThank you - grazie!",
    },
    {
        "id": "job_ad_fr",
        "text": "Offre n° 2026-TL-0412 - Technicien(ne) de laboratoire (H/F)\nLieu : Villeurbanne (69), site de la Doua. Contrat : CDD de 18 mois, démarrage le 5 janvier 2027.\nRémunération : 2 150 à 2 400 EUR bruts mensuels selon expérience, 13e mois, tickets restaurant de 9 EUR.\nHoraires : 35 h/semaine, du lundi au vendredi, astreinte un week-end sur six (prime de 120 EUR).\nProfil : BTS ou DUT en biologie, 2 ans d'expérience en culture cellulaire.\nCandidatures avant le 15 décembre à recrutement@biolyon.example, en précisant la référence. Contact : Mme Sandrine Perrault, 04 72 00 31 58.",
    },
    {
        "id": "outage_email",
        "text": "Subject: [RESOLVED] INC-30917 - checkout latency, EU region\n\nAll,\n\nBetween 09:42 and 11:17 UTC on 2 Dec, p95 checkout latency in eu-west-1 rose from 310 ms to 4.8 s and 2.3% of payment attempts (about 6,900 orders) failed. Root cause: connection pool on payments-db-3 capped at 200 after the 1 Dec config push (CHG-88214); raised back to 800 at 11:05.\n\nFollow-ups: PRB-1182 (owner: Tomasz Wierzbicki) to add a pool-size check to the deploy pipeline, due 16 Dec; PRB-1183 (owner: Lena Ortiz) to alert on pool saturation above 85%, due 9 Dec.\n\nCustomer credits approved up to EUR 25 per affected merchant; finance contact: Ravi Menon, ext 4471.\n\n- Hannah Cole, Incident Commander",
    },
    {
        "id": "spec_sheet_es",
        "text": "FICHA TÉCNICA - Aspiradora sin cable Ventisca V9\nPotencia de succión: 185 AW (modo turbo), 60 AW (modo eco)\nBatería: 4.000 mAh, 25,2 V; autonomía hasta 62 min (eco) / 9 min (turbo); carga completa en 4,5 h\nDepósito: 0,6 L   Filtro HEPA H13 (retiene el 99,95 % de partículas de 0,3 µm)\nPeso: 1,58 kg (cuerpo), 2,7 kg con tubo y cepillo\nRuido: 79 dB(A)\nGarantía: 3 años (batería: 2 años)\nPVP recomendado: 329 EUR. Ref. fabricante VT-V9-2026. Atención al cliente: 900 812 447",
    },
]

EXTRACT_ASKS: list[str] = [
    "Pull every amount of money out of this, with what each one is for. JSON array of {{amount, currency, what}}.",
    "Which dates appear below and what happens on each? Two-column table, nothing else.\n\n{text}",
    "{text}\n\nList the people and organisations named here, each with their role in one or two words.",
    "Grab all phone numbers and email addresses from the text. One per line.",
    "I only need the reference numbers (orders, tickets, contracts, whatever is there). Comma-separated.",
    "Was sind die Beträge in diesem Text? Nur eine Liste mit Betrag und wofür, keine Erklärung.",
    "Extrae todas las cifras con unidad (kg, EUR, %, mAh, etc.) y devuélvelas como JSON con las claves valor, unidad y concepto.",
    "Relève les informations suivantes : expéditeur ou auteur, destinataire, date principale, montant total s'il y en a un. Format : une ligne par champ.",
    "Fill this in from the text and leave blank what isn't there:\nname:\ndate:\ntotal:\ncontact:",
    "Quais prazos aparecem neste texto? Só os prazos, em lista.",
]

# --- conversions of format, casing, dates and units -----------------------------------------

TRANSFORM_ASKS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Turn this CSV into a JSON array of objects, using the header row as keys:\n\n{x}",
        [
            (
                "stock_csv",
                "sku,name,qty,bin\nA-100,hex bolt M6,420,R3\nA-101,hex bolt M8,95,R3\nB-220,washer 8mm,1300,R4",
            ),
            (
                "roster_csv",
                "name,shift,station\nKeisha,early,triage\nMarco,late,resus\nYuki,night,minors",
            ),
            (
                "races_csv",
                "race,date,distance_km,entrants\nLakeside 10k,2027-03-14,10,812\nHill Half,2027-04-04,21.1,640",
            ),
        ],
    ),
    (
        "{x}\n\nCan you give me that as YAML instead?",
        [
            (
                "svc_json",
                '{"service": "ledger-api", "replicas": 3, "env": {"LOG_LEVEL": "info", "DB_POOL": 40}, "ports": [8080, 9090]}',
            ),
            (
                "recipe_json",
                '{"recipe": "focaccia", "serves": 8, "ingredients": [{"item": "flour", "g": 500}, {"item": "water", "ml": 400}], "oven_c": 230}',
            ),
            (
                "trip_json",
                '{"trip": "Lisbon", "nights": 4, "hotel": {"name": "Casa Azul", "breakfast": true}, "flights": ["TP1351", "TP1358"]}',
            ),
        ],
    ),
    (
        "Convert these US-style dates to YYYY-MM-DD, keep the order: {x}",
        [
            ("invoice_dates", "3/7/2026, 11/30/2026, 12/1/2026, 2/28/2027"),
            ("birthdays", "July 4 1989; 10/12/1975; Jan 9, 2001"),
            ("sprint_dates", "sprint 41 starts 1/6/27, sprint 42 starts 1/20/27, release 2/3/27"),
        ],
    ),
    (
        "Metric please, one decimal: {x}",
        [
            ("parcel_imperial", "box 1: 14 x 10 x 6 in, 7.5 lb; box 2: 20 x 16 x 12 in, 22 lb"),
            ("hike_imperial", "trail 8.4 miles, climb 2,150 ft, pack 31 lb, water 2 quarts"),
            ("room_imperial", "living room 15 ft 6 in by 12 ft, ceiling 8 ft, window 48 x 60 in"),
        ],
    ),
    (
        "Rewrite these as First Last, one name per line:\n{x}",
        [
            ("speakers", "Nakamura, Haruto\nOkonkwo, Adaeze\nLindqvist, Sven\nDe la Cruz, María"),
            ("authors", "Ferrante, Elena; Achebe, Chinua; Munro, Alice"),
            ("players", "KOWALSKI, Piotr / BERNARD, Élodie / SATO, Rin"),
        ],
    ),
    (
        "Wandle die Uhrzeiten ins 24-Stunden-Format um:\n{x}",
        [
            ("train_times", "Abfahrt 7:45 PM, Ankunft 11:10 PM, Umstieg 9:05 PM"),
            ("opening_times", "Mo-Fr 8:30 AM - 6 PM, Sa 10 AM - 2:30 PM"),
            ("meds_times", "Tablette um 6 AM, 2 PM und 10 PM"),
        ],
    ),
    (
        "¿Me pasas estos teléfonos al formato internacional E.164? Son de España.\n{x}",
        [
            ("clinic_phones", "912 345 678\n(93) 401 22 10\n600-11-22-33"),
            ("supplier_phones", "Proveedor A: 965 44 12 09 / Proveedor B: 678 900 123"),
            ("school_phones", "Secretaría 954.21.33.80, conserjería 954 21 33 81"),
        ],
    ),
    (
        "Mets ces titres en casse de phrase (majuscule seulement au premier mot et aux noms propres) :\n{x}",
        [
            (
                "blog_titles",
                "Comment Réduire Sa Facture D'Électricité En Hiver\nLes Dix Meilleures Randonnées Des Alpes",
            ),
            (
                "course_titles",
                "Introduction À La Statistique Bayésienne\nDroit Du Travail Pour Les Managers",
            ),
            ("podcast_titles", "Pourquoi Paris Aime Ses Marchés\nLe Vélo À Lyon, Dix Ans Après"),
        ],
    ),
    (
        "snake_case these column names for the warehouse table: {x}",
        [
            ("crm_cols", "Customer ID, First Name, Last Purchase Date, LifetimeValueEUR, isActive"),
            ("sensor_cols", "Sensor-Id, Reading (°C), TimeStampUTC, Battery %"),
            ("hr_cols", "Employee No., Start Date, Cost Centre, FTE Ratio, ManagerEmail"),
        ],
    ),
    (
        "Flatten this nested JSON into dotted keys (a.b.c: value), one per line.\n\n{x}",
        [
            (
                "flags_json",
                '{"checkout": {"new_flow": {"enabled": true, "percent": 25}, "paypal": false}}',
            ),
            (
                "profile_json",
                '{"user": {"name": "Ama", "address": {"city": "Accra", "zip": "GA-184"}}, "plan": "team"}',
            ),
            (
                "metrics_json",
                '{"latency": {"p50": 41, "p99": {"read": 220, "write": 610}}, "errors": 3}',
            ),
        ],
    ),
    (
        "Could you turn the markdown table below into plain CSV? Keep the header.\n\n{x}",
        [
            (
                "budget_md",
                "| Item | Q1 | Q2 |\n|---|---|---|\n| Cloud | 12,400 | 13,100 |\n| Licences | 3,200 | 3,200 |",
            ),
            (
                "league_md",
                "| Team | P | W | Pts |\n|---|---|---|---|\n| Rovers | 12 | 9 | 28 |\n| City | 12 | 7 | 23 |",
            ),
            (
                "rota_md",
                "| Day | Open | Close |\n|---|---|---|\n| Mon | Dana | Eli |\n| Tue | Femi | Dana |",
            ),
        ],
    ),
    (
        "Converta as medidas desta receita de xícaras e colheres para gramas e mililitros:\n{x}",
        [
            (
                "bolo",
                "2 xícaras de farinha, 1 xícara de açúcar, 3/4 xícara de leite, 2 colheres de sopa de manteiga",
            ),
            (
                "panqueca",
                "1 e 1/2 xícara de farinha, 1 colher de chá de fermento, 1 xícara e 1/4 de leite",
            ),
            (
                "cookies",
                "1/2 xícara de manteiga, 2/3 xícara de açúcar mascavo, 1 xícara de gotas de chocolate",
            ),
        ],
    ),
]

# --- open questions with no other signal ------------------------------------------------------

QA_ASKS: list[str] = [
    "Why do some planes leave long white trails and others right next to them leave none?",
    "What's actually the difference between a heat pump and an air conditioner? They look the same from outside.",
    "How do vaccines teach the immune system to recognise a virus? Explain it like I'm 12.",
    "Is it true we only use 10% of our brains? Where did that idea even come from?",
    "What are the main reasons the Roman Republic turned into an empire?",
    "List the key differences between TCP and UDP and when you'd pick each.",
    "How many bones does an adult have, and why do babies have more?",
    "What does a notary actually do in the US, compared with a notary in France or Germany?",
    "why does bread go stale faster in the fridge than on the counter",
    "Can you explain what inflation-indexed bonds are and who they're meant for?",
    "What happened at the Diet of Worms in 1521 and why does it matter?",
    "How does noise-cancelling in headphones work? Is it the same trick on planes and in offices?",
    "Wie funktioniert eigentlich ein Induktionsherd, und warum geht nicht jeder Topf?",
    "Warum gibt es in Deutschland so viele verschiedene Krankenkassen?",
    "¿Por qué el cielo se pone rojo al atardecer y azul a mediodía?",
    "¿Qué diferencia hay entre un autónomo y una sociedad limitada en España, a grandes rasgos?",
    "Pourquoi les taux d'intérêt montent-ils quand l'inflation augmente ?",
    "C'est quoi exactement la différence entre un virus et une bactérie ?",
    "Perché la torre di Pisa pende e come hanno fatto a non farla cadere?",
    "What were the 3 biggest changes the printing press brought to Europe, and how quickly did they happen?",
]

_EARLIER = [
    ("Thanks for the packing list earlier!", "You're welcome - have a great trip."),
    ("Quick question before my meeting.", "Sure, go ahead."),
    ("I've got another one for you.", "Happy to help - what is it?"),
]

# --- support replies over documentation ------------------------------------------------------

HELP_CENTRES: list[dict[str, Any]] = [
    {
        "id": "smartlock",
        "system": "You answer questions about Latchly smart locks using only this documentation.",
        "docs": [
            "## Pairing a new phone\nOpen the Latchly app, tap Add device and hold the phone within 30 cm of the lock. Pairing fails if the lock already has 20 phones; remove one under Settings > Access first.",
            "## Batteries\nThe lock takes 4 AA batteries and lasts about 9 months. When the level drops below 15% the lock beeps three times on every unlock and the app sends a notice. A 9 V battery held against the contacts under the keypad opens a lock with flat batteries.",
            "## Guest codes\nGuest codes can be one-time, recurring (chosen weekdays and hours) or valid for a date range. A code takes up to 2 minutes to reach the lock over Wi-Fi, or until the next Bluetooth connection without the bridge.",
            "## Auto-lock\nAuto-lock locks the door 30 seconds to 5 minutes after it closes. It needs the door sensor, which is calibrated under Settings > Door sensor after installation or a battery change.",
            "## Refunds and returns\nUnused locks can be returned within 30 days. Locks bought from a retailer are returned to that retailer.",
        ],
        "messages": [
            "Hi, I set up a code for my cleaner for Tuesdays but she says it didn't work this morning. I made it last night. What's going on?? - Carla",
            "The lock keeps beeping 3 times every time I open it and now it won't open from the app at all. I'm locked out of my own flat. Help!",
            "Auto-lock stopped working after I changed the batteries. It just stays unlocked. Is mine broken? Bought it 5 weeks ago.",
        ],
    },
    {
        "id": "payroll",
        "system": "Support assistant for Paysheaf. Answer from the knowledge base articles below and nothing else.",
        "docs": [
            "KB-101 Running payroll\nPayroll must be approved by 17:00 two working days before payday for funds to arrive on time. Approvals after the cut-off pay out one working day late.",
            "KB-114 Payslip corrections\nA finalised payslip cannot be edited. Create an off-cycle run to pay a missed amount, or a negative adjustment in the next run to recover an overpayment.",
            "KB-127 Tax codes\nTax code changes from HMRC are applied automatically to the next run if they arrive before it is approved. Codes entered by hand override HMRC notices until removed.",
            "KB-133 Leavers\nMark an employee as a leaver before the run in which they are paid for the last time, so their P45 is generated. Holiday pay owed is added as a separate line.",
            "KB-140 Pricing\nPlans are billed per active employee per month. Leavers stop counting from the month after their leaving date.",
        ],
        "messages": [
            "We approved payroll on Wednesday afternoon for Friday's payday and 3 of our staff still haven't been paid. This is really not OK. - Dev, Oakridge Bakery",
            "One of our employees was overpaid £240 last month by mistake. Can you just edit her payslip?",
            "Why am I still being charged for Tom? He left in September.",
        ],
    },
    {
        "id": "isp_de",
        "system": "Du beantwortest Kundenanfragen für Funkelnetz. Verwende ausschließlich die folgende Dokumentation.",
        "docs": [
            "## Störungen\nBei einer Störung zuerst den Router 30 Sekunden vom Strom trennen. Leuchtet die DSL-LED danach nicht dauerhaft, bitte die Störung unter funkelnetz.example/stoerung melden. Techniker-Termine werden innerhalb von 2 Werktagen vergeben.",
            "## Tarifwechsel\nEin Wechsel in einen höheren Tarif ist jederzeit zum nächsten Monatsersten möglich, ein Wechsel in einen niedrigeren Tarif erst nach Ablauf der Mindestlaufzeit von 24 Monaten.",
            "## Gutschriften\nBei einem Totalausfall von mehr als 2 Kalendertagen erhalten Kunden eine anteilige Gutschrift auf der nächsten Rechnung, ohne Antrag.",
            "## Umzug\nUmzüge bitte mindestens 6 Wochen vorher melden. Am neuen Wohnort gilt der gleiche Tarif, sofern verfügbar; die Bereitstellung kostet einmalig 49,95 EUR.",
        ],
        "messages": [
            "Seit Montag habe ich kein Internet, heute ist Donnerstag. Muss ich die Rechnung trotzdem voll zahlen? Gruß, B. Yilmaz",
            "Ich ziehe in drei Wochen nach Kassel um. Kann ich meinen Vertrag mitnehmen und was kostet das?",
            "Ich will in den günstigeren 50er-Tarif wechseln, mein Vertrag läuft seit 14 Monaten. Geht das ab nächstem Monat?",
        ],
    },
]

SUPPORT_ASKS: list[str] = [
    "Draft a short reply to this customer:\n\n{msg}",
    'Write back to the customer below. Friendly, and point them to the right setting or step.\n\n"{msg}"',
    "{msg}\n\n^ customer email. Reply on our behalf, max 120 words.",
    "Can you answer this ticket for me? Keep it calm, they're upset.\n\nTicket: {msg}",
    "Compose a response to this message from a user, signed 'The support team':\n{msg}",
    "Antworte der Kundin bzw. dem Kunden höflich auf diese Nachricht:\n{msg}",
    "Réponds à ce client en t'appuyant sur la documentation, en quelques phrases :\n{msg}",
    "Help me reply to this one - I want to say sorry and give them the fix in two or three sentences.\n\n{msg}",
]


def _extract_rows(rng: random.Random, draws: int = 3) -> Iterator[dict[str, Any]]:
    for i, ask in enumerate(EXTRACT_ASKS):
        for material in rng.sample(EXTRACT_MATERIALS, draws):
            if "{text}" in ask:
                text = ask.format(text=material["text"])
            elif rng.random() < 0.6:
                text = f"{ask.format()}\n\n{material['text']}"
            else:
                text = f"{material['text']}\n\n{ask.format()}"
            request: Request = {"messages": [_text("user", text)]}
            if rng.random() < 0.3:
                request["system"] = [{"text": rng.choice(_PERSONAS)}]
            yield {
                "class": "extract",
                "template": f"r14-extract-{i}",
                "source": "team-templates",
                "material": f"r14-{material['id']}",
                "request": request,
            }


def _transform_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for i, (ask, inputs) in enumerate(TRANSFORM_ASKS):
        for material_id, x in inputs:
            request: Request = {"messages": [_text("user", ask.format(x=x))]}
            if rng.random() < 0.3:
                request["system"] = [{"text": rng.choice(_PERSONAS)}]
            yield {
                "class": "transform",
                "template": f"r14-transform-{i}",
                "source": "team-templates",
                "material": f"r14-{material_id}",
                "request": request,
            }


def _qa_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for i, question in enumerate(QA_ASKS):
        for shape in rng.sample(["bare", "persona", "earlier"], 2):
            request = shaped(question, shape, rng, _PERSONAS, _EARLIER)
            yield {
                "class": "general_qa",
                "template": f"r14-qa-{i}",
                "source": "team-templates",
                "request": request,
            }


def _support_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for i, ask in enumerate(SUPPORT_ASKS):
        german = i == 5
        centres = [c for c in HELP_CENTRES if (c["id"] == "isp_de") == german]
        for k in range(3):
            centre = centres[(i + k) % len(centres)]
            docs = list(centre["docs"])
            rng.shuffle(docs)
            text = ask.format(msg=rng.choice(centre["messages"]))
            yield {
                "class": "support_reply",
                "template": f"r14-support-{i}",
                "source": "team-templates",
                "material": f"r14-{centre['id']}",
                "request": {
                    "system": [{"text": centre["system"] + "\n\n" + "\n\n".join(docs)}],
                    "messages": [_text("user", text)],
                },
            }


def round14_rows(seed: int = 1414) -> Iterator[dict[str, Any]]:
    """All round-14 rows (deterministic)."""
    rng = random.Random(seed)
    yield from _extract_rows(rng)
    yield from _transform_rows(rng)
    yield from _qa_rows(rng)
    yield from _support_rows(rng)

"""Team-written requests for the class corpus, round 7 of issue 12: a RAG service. The system
prompt holds the service's instructions and a long block of retrieved passages (a knowledge
base, policy wording, API reference, runbooks, a fund report...), and the user asks one
question. Some questions are closed and want a small answer (is it covered, which passage,
the fee, the limit: ``classify``/``extract``), others want an explained answer from the
passages (``rag_qa``).

Retrieved material is written the way such material is: tables of figures, labelled passages
("[3] Claims (rev. 2025-04): ..."), and words that are cues elsewhere ("risks", "costs",
"options", "rollback", "strategy", "dosage", "summary"). Those belong to the material; the
question decides the class. Nothing here was copied from an acceptance set or from
``bench/cache_aware.py`` (whose RAG prompt is one generated documentation text); the domains,
passages and wordings are new.

The prefixes are 5-10k characters, not the 30-50k tokens of a real service: what the class
stage reads of a system prompt (its first 2,000 characters as text, a 4,000 + 1,500
character window for cues, its length bucket above 4,000) is the same either way.

Each wording is its own template id (``r7-rag-<class>-<i>``), drawn over several knowledge
bases and request shapes, so held-out-template evaluation measures new wordings; each row
names its knowledge base (``material``), so an evaluation can hold out materials too.
"""

# ruff: noqa: E501 - wordings and materials are data
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from tierwise.router.class_round3 import _text

__all__ = ["KNOWLEDGE_BASES", "round7_rows"]

Request = dict[str, Any]

# --- knowledge bases --------------------------------------------------------------------
# Each: the service's instruction, the passages it retrieved, filler passages that make the
# prefix long (generated from a few facts: the bulk, not its wording, is the point), and the
# topics and facts its users ask about ({topic}, {fact}).

KNOWLEDGE_BASES: list[dict[str, Any]] = [
    {
        "id": "hr",
        "instruction": "You are PeopleDesk, the HR assistant for Lindqvist & Partner employees. Answer only from the policy passages below. If the passages do not answer the question, say so and point to hr@lindqvist.example.",
        "passages": [
            "[1] Annual leave (policy HR-07, rev. March 2025): Full-time employees accrue 27 days per calendar year, pro rata for part-time contracts. Up to 5 unused days may be carried over to 31 March of the following year; days not taken by then lapse unless the manager approved a written exception because of operational needs.",
            "[2] Parental leave (HR-11, rev. January 2025): Birth parents receive 16 weeks at full pay; the second parent receives 6 weeks at full pay, to be taken within 12 months of the birth or adoption. Leave beyond these periods is unpaid and can be split into at most three blocks. Notify HR at least 8 weeks before the first block starts.",
            "[3] Travel and expenses (FIN-02): Economy class for flights under 6 hours; premium economy above 6 hours with director approval. Hotel ceilings per night: Stockholm SEK 1,900, London GBP 210, Berlin EUR 160, New York USD 330. Meal allowance: 60 EUR per full travel day. Receipts must be submitted in Expensify within 30 days; claims older than 90 days are rejected.",
            "[4] Remote work (HR-14): Employees may work remotely up to 3 days per week. Working from another country is allowed for up to 20 working days per year and requires a tax and insurance check by HR at least two weeks in advance. Risks for the employee and the company (permanent establishment, social security) are listed in annex B.",
            "[5] Sick leave (HR-05): Report sickness to your manager before 09:00 on the first day. A doctor's certificate is required from the fourth calendar day. Sick days during annual leave are credited back if a certificate is provided.",
        ],
        "filler": "[{n}] {topic} (HR-{code}, rev. {month} 2025): This passage describes how {topic} applies to employees on permanent and fixed-term contracts, who to contact, the approval steps in Workday, and the documents HR keeps for {years} years.",
        "topics": [
            "annual leave carry-over",
            "parental leave",
            "travel expenses",
            "remote work abroad",
            "sick leave",
            "hotel costs in London",
        ],
        "labels": "leave, expenses, remote work, payroll",
        "facts": [
            "the hotel ceiling in Berlin",
            "the meal allowance per day",
            "the deadline for expense receipts",
            "the number of leave days that can be carried over",
        ],
    },
    {
        "id": "insurance",
        "instruction": "Du bist der Assistent der Hausrat- und Wohngebäudeversicherung HanseSchutz. Beantworte Kundenfragen ausschließlich anhand der folgenden Bedingungen (AVB, Stand 2025).",
        "passages": [
            "Auszug 1 – § 3 Versicherte Gefahren: Versichert sind Schäden durch Brand, Blitzschlag, Explosion, Leitungswasser, Sturm ab Windstärke 8 und Hagel. Elementarschäden (Überschwemmung, Rückstau, Erdrutsch) sind nur mit dem Zusatzbaustein Elementar versichert.",
            "Auszug 2 – § 7 Selbstbeteiligung: Tarif Basis 500 EUR je Schadenfall, Tarif Komfort 250 EUR, Tarif Premium 0 EUR. Bei grober Fahrlässigkeit kann die Leistung im Tarif Basis um bis zu 50 % gekürzt werden; Komfort und Premium verzichten auf diesen Einwand bis 10.000 EUR.",
            "Auszug 3 – Beitragstabelle (je 100 m² Wohnfläche, jährlich):\nTarif | Zone 1 | Zone 2 | Zone 3\nBasis | 84,00 EUR | 97,50 EUR | 131,20 EUR\nKomfort | 112,40 EUR | 129,90 EUR | 168,00 EUR\nPremium | 149,00 EUR | 171,60 EUR | 219,80 EUR",
            "Auszug 4 – § 12 Obliegenheiten im Schadenfall: Schäden sind unverzüglich, spätestens innerhalb von 7 Tagen, zu melden. Bei Einbruchdiebstahl ist eine Anzeige bei der Polizei erforderlich und eine Stehlgutliste einzureichen. Kosten für Sachverständige übernimmt der Versicherer ab einem Schaden von 5.000 EUR.",
            "Auszug 5 – § 15 Kündigung: Der Vertrag kann mit einer Frist von drei Monaten zum Ende des Versicherungsjahres gekündigt werden, nach einem Schadenfall innerhalb eines Monats nach Abschluss der Regulierung.",
        ],
        "filler": "Auszug {n} – § {code} {topic}: Diese Bestimmung regelt {topic} für Verträge ab dem 1. {month} 2025, die Nachweise, die der Versicherungsnehmer vorlegen muss, und die Fristen von {years} Monaten für Rückfragen.",
        "topics": [
            "flooding in the basement",
            "the excess on the Komfort tariff",
            "a stolen bike",
            "cancelling after a claim",
            "storm damage to the roof",
            "gross negligence",
        ],
        "labels": "contract, claim, premium, cancellation",
        "facts": [
            "the yearly premium for Premium in zone 2",
            "the deadline for reporting a claim",
            "the excess on the Basis tariff",
            "the notice period for cancelling",
        ],
        "lang": "de",
        "local": {
            "topics": [
                "Überschwemmung im Keller",
                "die Selbstbeteiligung im Tarif Komfort",
                "Fahrraddiebstahl",
                "die Kündigung nach einem Schaden",
                "Sturmschäden am Dach",
                "grobe Fahrlässigkeit",
            ],
            "labels": "Vertrag, Schaden, Beitrag, Kündigung",
            "facts": [
                "der Jahresbeitrag im Tarif Premium in Zone 2",
                "die Meldefrist für Schäden",
                "die Selbstbeteiligung im Tarif Basis",
                "die Kündigungsfrist",
            ],
        },
    },
    {
        "id": "api",
        "instruction": "You are the developer-docs assistant for Parcelly's shipping API. Use only the reference excerpts below. Quote endpoint names exactly.",
        "passages": [
            "<doc id='rate-limits' updated='2025-05-02'>\nRate limits per API key:\nplan | requests/min | burst | webhooks/min\nstarter | 60 | 20 | 30\ngrowth | 600 | 100 | 300\nenterprise | 3000 | 500 | 1500\nExceeding a limit returns HTTP 429 with a Retry-After header in seconds.\n</doc>",
            "<doc id='labels'>\nPOST /v2/labels creates a shipping label. Required: carrier, service, from_address, to_address, parcel (weight_g, length_cm, width_cm, height_cm). Labels can be voided with POST /v2/labels/{id}/void within 24 hours if not scanned; voiding after the first carrier scan is not possible.\n</doc>",
            "<doc id='errors'>\nError codes: 4001 invalid address (check postal_code format per country), 4002 parcel too heavy for service, 4090 duplicate idempotency key, 5030 carrier unavailable (retry with backoff; the options are to wait or to choose another carrier).\n</doc>",
            "<doc id='webhooks'>\nEvents: label.created, shipment.in_transit, shipment.delivered, shipment.exception. Deliveries are retried 8 times over 24 hours with exponential backoff. Verify the X-Parcelly-Signature header (HMAC-SHA256 of the raw body with your webhook secret).\n</doc>",
            "<doc id='migration'>\nMigrating from v1: v1 endpoints are deprecated and will be switched off on 30 June 2026. Costs do not change. The main risks are the new address validation (stricter) and idempotency keys, which v2 requires on every POST; plan a rollback by keeping v1 credentials active until cut-over.\n</doc>",
        ],
        "filler": "<doc id='{topic}-{n}'>\nReference for {topic}: request fields, response schema, pagination with cursor and limit (max {years}0), and the changelog entries since {month} 2025 (ref {code}).\n</doc>",
        "topics": [
            "label voiding",
            "rate limits on the growth plan",
            "webhook retries",
            "error 4001",
            "the v1 shutdown",
            "idempotency keys",
        ],
        "labels": "authentication, labels, webhooks, billing",
        "facts": [
            "the burst limit on the starter plan",
            "the endpoint to void a label",
            "the error code for a duplicate idempotency key",
            "the v1 switch-off date",
        ],
    },
    {
        "id": "pharmacy",
        "instruction": "You are the medicines information assistant of Apotek Nord. Answer from the product leaflets retrieved below, in plain language. For anything not in the leaflets, advise the customer to ask a pharmacist.",
        "passages": [
            "Leaflet excerpt (Ibuprofen 400 mg film-coated tablets), Dosage: Adults and adolescents over 40 kg: 1 tablet every 6 to 8 hours as needed; no more than 3 tablets (1,200 mg) in 24 hours without medical advice. Take with or after food. Do not use for more than 3 days for fever or 4 days for pain.",
            "Leaflet excerpt (Ibuprofen 400 mg), Warnings: Do not take in the last three months of pregnancy, with active stomach ulcers, or with severe heart failure. Drug interactions: anticoagulants (warfarin), other NSAIDs including low-dose aspirin, lithium, methotrexate.",
            "Leaflet excerpt (Cetirizine 10 mg), Dosage: Adults and children over 12: 10 mg once daily. Children 6-12 years: 5 mg twice daily. May cause drowsiness; avoid alcohol. Can be taken with or without food.",
            "Leaflet excerpt (Omeprazole 20 mg gastro-resistant capsules), Use: short-term relief of heartburn in adults. One capsule daily for up to 14 days. Swallow whole before a meal. If symptoms persist after 14 days, see a doctor.",
            "Leaflet excerpt (Paracetamol 500 mg), Dosage: Adults: 1-2 tablets every 4-6 hours, maximum 8 tablets in 24 hours. Storage: below 25 °C. Contains no lactose. Risks: liver damage in overdose, even if you feel well.",
        ],
        "filler": "Leaflet excerpt ({topic}), section {n}: package contents ({years}0 tablets), storage conditions, the marketing authorisation holder and the date the leaflet was last revised ({month} 2025, ref {code}).",
        "topics": [
            "ibuprofen with warfarin",
            "cetirizine for a 9-year-old",
            "omeprazole for heartburn",
            "paracetamol storage",
            "ibuprofen in pregnancy",
            "cetirizine and alcohol",
        ],
        "labels": "dosage, side effects, interactions, storage",
        "facts": [
            "the maximum daily dose of paracetamol",
            "how long omeprazole can be taken without a doctor",
            "the cetirizine dose for children 6-12",
            "the storage temperature for paracetamol",
        ],
    },
    {
        "id": "runbooks",
        "instruction": "You are the on-call assistant for the payments platform team. The following runbook sections were retrieved for this question. Stick to them; do not invent commands.",
        "passages": [
            "### Runbook PAY-RB-12: Ledger DB failover\nSymptoms: write latency above 500 ms, replication lag alerts. Steps: 1) confirm the primary is unhealthy in the DB dashboard; 2) run `dbctl failover ledger-prod --to replica-b`; 3) verify writes resume; 4) open an incident. Rollback: fail back only after the post-mortem and a root cause is known. Risk: a failover during a settlement run can leave batches half-written.",
            "### Runbook PAY-RB-07: Card processor timeouts\nIf timeouts from the processor exceed 2% for 5 minutes, switch traffic to the secondary processor with the feature flag `processor.secondary=true`. Costs are higher on the secondary (0.12% vs 0.09% per transaction). Escalate to the vendor after 30 minutes.",
            "### On-call contacts\nPrimary: payments-oncall (PagerDuty), secondary: platform-oncall. Vendor support: CardCo +44 20 7946 0958, contract ID CC-88213. Escalation matrix: SEV1 page the engineering manager within 15 minutes.",
            "### Runbook PAY-RB-19: Settlement file rejected by the bank\nThe bank rejects a file when a batch total does not match the control record. Steps: regenerate the file with `settle rebuild --date`, check the control totals, re-upload before 16:00 CET cut-off. Options if the cut-off is missed: next-day settlement or a manual payment order approved by finance.",
            "### Service levels\n| service | SLO availability | p99 latency |\n| authorize | 99.95% | 350 ms |\n| capture | 99.9% | 800 ms |\n| refunds | 99.5% | 2,000 ms |",
        ],
        "filler": "### Runbook PAY-RB-{code}: {topic}\nOwner: payments platform. Last reviewed {month} 2025. Dashboards, alert names and the {years} checks to run before escalating; links to the architecture page and the previous incidents.",
        "topics": [
            "a ledger DB failover",
            "card processor timeouts",
            "a rejected settlement file",
            "escalating a SEV1",
            "the refunds SLO",
            "switching to the secondary processor",
        ],
        "labels": "database, processor, settlement, escalation",
        "facts": [
            "the command for a ledger failover",
            "the bank cut-off time for settlement files",
            "the p99 latency target for capture",
            "the vendor contract ID",
        ],
    },
    {
        "id": "bank",
        "instruction": "Eres el asistente virtual de Banco Meridiano. Responde solo con la información de los documentos recuperados a continuación (folleto de tarifas y condiciones, vigentes desde el 1 de abril de 2025).",
        "passages": [
            "Documento 1 – Cuenta Nómina Plus: sin comisión de mantenimiento si se domicilia una nómina de al menos 1.000 euros al mes; en caso contrario, 8 euros al mes. Tarjeta de débito gratuita. Transferencias SEPA inmediatas gratuitas hasta 10 al mes, después 0,50 euros cada una.",
            "Documento 2 – Tarifas de tarjetas:\nconcepto | débito | crédito Oro\ncuota anual | 0 € | 45 €\nretirada en cajero de otra entidad | 1,80 € | 3% (mín. 4 €)\npago en divisa | 2,5% | 2,5%",
            "Documento 3 – Hipoteca Fija Meridiano: TIN 2,95% a 25 años con nómina y seguro de hogar vinculados; sin vinculación, TIN 3,60%. Comisión por amortización anticipada: 2% los primeros 10 años, 1,5% después. Riesgos: el tipo no baja aunque bajen los tipos de mercado.",
            "Documento 4 – Reclamaciones: el cliente puede reclamar en cualquier oficina, en la web o al Servicio de Atención al Cliente (sac@meridiano.example). Plazo de respuesta: 15 días hábiles para servicios de pago, un mes para el resto. Después puede acudir al Banco de España.",
            "Documento 5 – Bizum: límite de 1.000 euros por operación y 2.000 euros al día; máximo 150 operaciones recibidas al mes.",
        ],
        "filler": "Documento {n} – {topic}: condiciones generales, documentación necesaria, horario de oficinas y plazos de tramitación de {years} días hábiles (referencia {code}, actualizado en {month} de 2025).",
        "topics": [
            "the account maintenance fee",
            "withdrawing cash at another bank",
            "paying off the mortgage early",
            "the Bizum limit",
            "disputing a charge",
            "paying in dollars with the card",
        ],
        "labels": "accounts, cards, mortgages, complaints",
        "facts": [
            "the annual fee of the Oro credit card",
            "the daily Bizum limit",
            "the mortgage rate without the linked products",
            "the deadline for the bank to answer a complaint",
        ],
        "lang": "es",
        "local": {
            "topics": [
                "la comisión de mantenimiento",
                "retirar dinero en otro banco",
                "la amortización anticipada de la hipoteca",
                "el límite de Bizum",
                "reclamar un cargo",
                "pagos en dólares con la tarjeta",
            ],
            "labels": "cuentas, tarjetas, hipotecas, reclamaciones",
            "facts": [
                "la cuota anual de la tarjeta Oro",
                "el límite diario de Bizum",
                "el TIN sin vinculación",
                "el plazo de respuesta a una reclamación",
            ],
        },
    },
    {
        "id": "fund",
        "instruction": "You answer investor-relations questions for the Northwind Balanced Fund. Use only the excerpts of the 2025 annual report retrieved below; do not give investment advice.",
        "passages": [
            "Source A – Performance (annual report 2025, p. 4):\nshare class | 1y | 3y p.a. | 5y p.a. | ongoing charges\nA (retail) | 6.8% | 4.1% | 5.2% | 1.45%\nI (institutional) | 7.6% | 4.9% | 6.0% | 0.70%\nbenchmark | 7.1% | 4.4% | 5.5% | -",
            "Source B – Strategy and outlook (p. 9): The fund keeps a 55/45 split between equities and bonds. For 2026 the managers see three scenarios: soft landing (base case), sticky inflation, and recession; the main risks are duration and concentration in US technology. Options under review include raising the allocation to short-dated government bonds.",
            "Source C – Costs (p. 14): Entry charge up to 3% (class A only), no exit charge, performance fee none. Transaction costs 0.11% of average assets.",
            "Source D – Distributions (p. 16): Class A distributes twice a year (March and September); class I accumulates. The September 2025 distribution was 0.84 EUR per share.",
            "Source E – Governance (p. 21): The board met 6 times; the depositary is Caldera Trust S.A., Luxembourg; auditor: Vance & Roe.",
        ],
        "filler": "Source {code} – {topic} (p. {n}): notes to the financial statements, the accounting policies applied since {month} 2025 and reconciliations over {years} periods.",
        "topics": [
            "the ongoing charges of class A",
            "the equity and bond split",
            "the distribution dates",
            "the fund's depositary",
            "transaction costs",
            "the 5-year return of class I",
        ],
        "labels": "performance, costs, distributions, governance",
        "facts": [
            "the 3-year return of class I",
            "the entry charge",
            "the September 2025 distribution per share",
            "the auditor",
        ],
    },
    {
        "id": "city",
        "instruction": "Tu es l'assistant en ligne de la mairie de Villeneuve-sur-Lys. Les extraits ci-dessous proviennent du site officiel ; réponds uniquement à partir de ces extraits.",
        "passages": [
            "Extrait 1 – Carte d'identité et passeport : sur rendez-vous uniquement, en ligne ou au 03 21 00 45 60. Délai actuel : 5 à 7 semaines. Pièces : photo d'identité de moins de 6 mois, justificatif de domicile de moins d'un an, ancien titre. Timbre fiscal de 86 € pour un passeport adulte ; la carte d'identité est gratuite sauf en cas de perte (25 €).",
            "Extrait 2 – Collecte des déchets : ordures ménagères le mardi, tri sélectif le vendredi, verre en point d'apport volontaire. Encombrants : deux passages par an sur inscription, ou dépôt gratuit à la déchetterie (lundi-samedi 9h-18h) sur présentation d'un badge.",
            "Extrait 3 – Inscriptions scolaires : du 1er mars au 30 avril pour la rentrée de septembre. Tarifs de la cantine selon le quotient familial :\nquotient | prix du repas\n< 600 | 1,00 €\n600-1200 | 2,80 €\n> 1200 | 4,20 €",
            "Extrait 4 – Stationnement résidentiel : abonnement de 15 € par mois, un véhicule par foyer, zone verte uniquement. Demande en ligne avec la carte grise et un justificatif de domicile.",
            "Extrait 5 – Salles municipales : la salle des fêtes se loue 350 € le week-end aux habitants, 700 € aux extérieurs ; caution de 1 000 €. Réservation au moins deux mois à l'avance.",
        ],
        "filler": "Extrait {n} – {topic} : horaires d'ouverture, pièces à fournir, formulaire Cerfa n° {code} et délai de traitement de {years} jours (mis à jour en {month} 2025).",
        "topics": [
            "renewing a passport",
            "bulky waste pickup",
            "school registration",
            "residents' parking",
            "renting the village hall",
            "school lunches",
        ],
        "labels": "ID documents, waste, schools, parking",
        "facts": [
            "the fee for an adult passport",
            "the recycling collection day",
            "the lunch price for a family quotient of 800",
            "the deposit for the village hall",
        ],
        "lang": "fr",
        "local": {
            "topics": [
                "le renouvellement d'un passeport",
                "les encombrants",
                "l'inscription à l'école",
                "le stationnement résidentiel",
                "la location de la salle des fêtes",
                "la cantine",
            ],
            "labels": "état civil, déchets, école, stationnement",
            "facts": [
                "le prix du timbre pour un passeport adulte",
                "le jour du tri sélectif",
                "le tarif de la cantine pour un quotient de 800",
                "la caution pour la salle des fêtes",
            ],
        },
    },
]

_MONTHS = ["January", "February", "March", "April", "May", "June", "September", "October"]


def _system(kb: dict[str, Any], rng: random.Random) -> str:
    """The instruction and the retrieved passages, padded with filler passages to 5-10k chars;
    the instruction goes first or, in some services, after the passages."""
    passages = list(kb["passages"])
    n = len(passages)
    while sum(len(p) for p in passages) < rng.randrange(5000, 9000):
        n += 1
        passages.append(
            kb["filler"].format(
                n=n,
                topic=rng.choice(kb.get("local", kb)["topics"]),
                code=rng.randrange(10, 99),
                month=rng.choice(_MONTHS),
                years=rng.randrange(2, 10),
            )
        )
    rng.shuffle(passages)
    body = "\n\n".join(passages)
    if rng.random() < 0.25:
        return f"Retrieved passages:\n\n{body}\n\n{kb['instruction']}"
    return f"{kb['instruction']}\n\n{body}"


# --- asks ---------------------------------------------------------------------------------
# {topic}, {fact} and {labels} come from the knowledge base; a wording is English unless the
# knowledge base's users would write otherwise (then the wording carries its own language).

ASKS: dict[str, list[str]] = {
    "classify": [
        "Is {topic} covered by what you have here? yes or no",
        "Which area is my question about - {labels}? One word please. It's about {topic}.",
        "Quick check, true or false: the passages say something about {topic}.",
        "Label this customer question with one of: {labels}. Question: what are the rules for {topic}? Label only.",
        "Does the material mention {topic}? Just answer yes/no.",
        "Tag my question ({topic}) as {labels} - nothing else.",
        "is {topic} handled in these docs y/n",
    ],
    "extract": [
        "What is {fact}? Just the number or name, no explanation.",
        "Which passage talks about {topic}? Give the passage number only.",
        "I need {fact}. Reply with the value only.",
        "Give me {fact} and the passage it is in, as JSON with keys value and passage.",
        "{fact}?",
        "From the excerpts: {fact}. One line.",
        "Copy the exact sentence that states {fact}, nothing else.",
    ],
    "rag_qa": [
        "Can you explain how {topic} works, based on what's in the documentation, and what I need to do?",
        "My colleague says something different about {topic}. What do the passages actually say, and are there conditions or exceptions I should know about?",
        "I'm new here - walk me through {topic} using the material you have, step by step.",
        "Using only these sources, answer my question about {topic} and tell me where it says so.",
        "What happens in the case of {topic}? Please explain with reference to the relevant passages.",
        "Help me understand {topic}: what applies to me, what does it cost, and who do I contact?",
        "Answer from the docs: what are the rules on {topic}, and is there anything I should watch out for?",
    ],
}

# The same kinds of question in the language of a German, French or Spanish knowledge base,
# asked by its local users; each wording is drawn over that knowledge base with other topics.
LOCAL_ASKS: dict[str, dict[str, list[str]]] = {
    "classify": {
        "de": ["Ist {topic} versichert? Bitte nur ja oder nein."],
        "fr": [
            "Ma question porte sur {topic} : c'est dans quelle rubrique ({labels}) ? Un seul mot."
        ],
        "es": ["¿{topic} aparece en estos documentos? Responde sí o no."],
    },
    "extract": {
        "de": ["Wie hoch ist {fact}? Nur die Zahl."],
        "fr": ["Quel est {fact} ? Donne seulement le montant ou le jour."],
        "es": ["Dime {fact}, solo el dato."],
    },
    "rag_qa": {
        "de": [
            "Können Sie mir anhand der Bedingungen erklären, wie das bei {topic} geregelt ist und was ich tun muss?"
        ],
        "fr": [
            "Pouvez-vous m'expliquer comment se passe {topic}, d'après les informations de la mairie, et ce que je dois préparer ?"
        ],
        "es": ["¿Me explicas cómo funciona {topic} según los documentos y qué condiciones hay?"],
    },
}

_EARLIER = [
    ("hi", "Hello! What can I help you with?"),
    ("I have a question about the docs", "Of course - go ahead."),
    ("hallo / bonjour / hola", "Hi! Ask me anything about the documents I have."),
]


def _shaped(system: str, text: str, rng: random.Random) -> Request:
    """One question to the service, first in the conversation or after a greeting."""
    messages = [_text("user", text)]
    if rng.random() < 0.3:
        q, a = rng.choice(_EARLIER)
        messages = [_text("user", q), _text("assistant", a), *messages]
    return {"system": [{"text": system}], "messages": messages}


def round7_rows(seed: int = 77) -> Iterator[dict[str, Any]]:
    """All round-7 rows (deterministic): each English wording over 5 of the 8 knowledge
    bases (German, French and Spanish ones asked in English, as their expat users do), each
    local wording 3 times over its knowledge base."""
    rng = random.Random(seed)
    for cls, wordings in ASKS.items():
        for i, wording in enumerate(wordings):
            for kb in rng.sample(KNOWLEDGE_BASES, 5):
                text = wording.format(
                    topic=rng.choice(kb["topics"]),
                    fact=rng.choice(kb["facts"]),
                    labels=kb["labels"],
                )
                yield {
                    "class": cls,
                    "template": f"r7-rag-{cls}-{i}",
                    "source": "team-templates",
                    "material": kb["id"],
                    "request": _shaped(_system(kb, rng), text, rng),
                }
    for cls, by_lang in LOCAL_ASKS.items():
        for lang, wordings in by_lang.items():
            kb = next(k for k in KNOWLEDGE_BASES if k.get("lang") == lang)
            local = kb["local"]
            for i, wording in enumerate(wordings):
                for topic in rng.sample(local["topics"], 3):
                    text = wording.format(
                        topic=topic, fact=rng.choice(local["facts"]), labels=local["labels"]
                    )
                    yield {
                        "class": cls,
                        "template": f"r7-rag-{cls}-{lang}-{i}",
                        "source": "team-templates",
                        "material": kb["id"],
                        "request": _shaped(_system(kb, rng), text, rng),
                    }

"""Team-written requests for the class corpus, round 6 of issue 12: terse Haiku-class asks
(pull given fields, give it a title, which queue, yes/no, pick a label) over long and varied
pasted material (email threads, logs, chat transcripts, tables, contracts, bug reports, reviews),
in several languages, often with a system prompt that fixes the answer's format.

Held out by template, round 5's "terse asks over long material" were right 0.682: the material's
bulk outweighed the ask. Nothing here was copied from an acceptance set; the materials and
wordings are new and none reuses round 5's. Every material is also asked about by Sonnet-class
work (summarise, review it, answer the customer), so the ask, not the material, decides.

Each wording is its own template id (``r6-<kind>-<class>-<i>``), drawn over several materials
and request shapes, so held-out-template evaluation measures new wordings.
"""

# ruff: noqa: E501 - wordings and materials are data
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from tierwise.router.class_round3 import _text

__all__ = ["LONG_R6", "round6_rows"]

Request = dict[str, Any]

# --- materials ----------------------------------------------------------------------------


def _log(rng: random.Random) -> str:
    """A service log of 40 lines (generated: the bulk, not its wording, is the point)."""
    services = ["api-gw", "orders", "payments", "inventory", "auth"]
    levels = ["INFO"] * 6 + ["WARN", "ERROR"]
    events = [
        "request completed status=200 latency_ms={n}",
        "cache miss key=sku:{n}",
        "retrying upstream call attempt={d} of 3",
        "connection pool exhausted, waiting {n} ms",
        "token refreshed for client_id=svc-{d}",
        "order {n} moved to state=PAID",
        "timeout calling inventory after {n} ms",
        "health check ok",
    ]
    lines = []
    for k in range(40):
        lines.append(
            f"2026-11-{18 + k // 20:02d}T03:{k % 60:02d}:{rng.randrange(60):02d}Z "
            f"{rng.choice(levels):5s} {rng.choice(services)} "
            + rng.choice(events).format(n=rng.randrange(100, 99999), d=rng.randrange(1, 9))
        )
    return "\n".join(lines)


def _orders_table(rng: random.Random) -> str:
    """A CSV export of 30 orders."""
    countries = ["DE", "FR", "NL", "ES", "IT", "PL", "SE"]
    status = ["shipped", "delivered", "returned", "pending", "cancelled"]
    rows = ["order_id,date,customer,country,items,total_eur,status"]
    for k in range(30):
        rows.append(
            f"SO-{58000 + k * 7},2026-10-{1 + k % 28:02d},C{rng.randrange(1000, 9999)},"
            f"{rng.choice(countries)},{rng.randrange(1, 9)},{rng.randrange(20, 900)}.{rng.randrange(100):02d},"
            f"{rng.choice(status)}"
        )
    return "\n".join(rows)


LONG_R6: list[str] = [
    # an email thread, newest first
    "From: Jonas Berg <jonas.berg@nordvik-marine.no>\nSent: Tuesday 12 November 09:14\nTo: support@fleetlink.io\nSubject: RE: RE: Tracker units offline since firmware 3.8\n\nHi again,\n\nSix more vessels dropped off the map overnight, so we are now at 19 of 42 units offline. All of them took the 3.8 update on Sunday. Our charter contract with Statoil requires live position reporting, and we face a penalty of NOK 25,000 per vessel per day after 72 hours. Please tell me today whether you can roll the units back remotely or whether we need to send technicians aboard.\n\nJonas\n\n-----Original message-----\nFrom: Aisha Mensah <aisha@fleetlink.io>\nSent: Monday 11 November 16:40\nSubject: RE: Tracker units offline since firmware 3.8\n\nHi Jonas, thanks for the serial numbers. Engineering is looking at it; we suspect the new modem driver. Could you confirm whether the affected units are the FL-200 or FL-220 model?\n\nAisha Mensah, Customer Success\n\n-----Original message-----\nFrom: Jonas Berg\nSent: Monday 11 November 08:02\nSubject: Tracker units offline since firmware 3.8\n\nHello, since yesterday 13 of our trackers show as offline in the portal. Serials FL2-88120 to FL2-88132. Account number NM-4471. Can you check?",
    # a Slack-style chat transcript
    "[09:02] maria.k: anyone else seeing the staging deploys hang at 'waiting for approval'?\n[09:03] dev.tomas: yep, since the runner upgrade last night\n[09:05] maria.k: I have the Q4 pricing page change that needs to go out before the 11:00 marketing email\n[09:06] ravi (platform): looking. the approval bot lost its token when we rotated secrets\n[09:09] ravi (platform): token restored, re-run your pipeline\n[09:14] maria.k: still stuck, pipeline #48213\n[09:15] dev.tomas: mine went through (#48210)\n[09:18] ravi (platform): #48213 was created before the fix, cancel and re-trigger\n[09:21] maria.k: re-triggered as #48221, now at 'deploying'\n[09:26] maria.k: live on staging, QA can you check the pricing table on mobile?\n[09:31] qa.lena: on it. the annual toggle overlaps the EUR/USD switch below 380px width\n[09:33] maria.k: ugh. css fix coming\n[09:47] maria.k: fixed in #48230, deployed\n[09:52] qa.lena: looks good now, approving for prod\n[09:58] ravi (platform): prod deploy done. postmortem note on the token rotation by friday",
    # a long customer review / complaint in Spanish
    "Asunto: Pedido 7734-ES, cafetera que no funciona y atención al cliente pésima\n\nBuenas tardes. Compré la cafetera superautomática Molina Barista Pro el 2 de octubre en su tienda online por 649 euros. Desde el primer día la máquina muestra el error E07 después de preparar dos o tres cafés y hay que desenchufarla para que vuelva a funcionar. Seguí todos los pasos del manual: descalcifiqué, limpié la unidad de infusión y cambié el filtro de agua. Llamé tres veces al servicio técnico; la primera vez me dijeron que era normal, la segunda me prometieron una llamada que nunca llegó y la tercera me pidieron que enviara un vídeo, cosa que hice el 20 de octubre. Desde entonces nadie me ha contestado. Estoy dentro del plazo de garantía de dos años y, sinceramente, ya no quiero una reparación: quiero que me devuelvan el dinero o que me cambien la máquina por una nueva. Si no recibo respuesta antes del 15 de noviembre presentaré una reclamación ante la oficina de consumo de Valencia.\n\nUn saludo,\nCarmen Ruiz Ortega\nTel. 611 204 587",
    # a contract excerpt in German
    "Mietvertrag über Gewerberäume\n\n§ 1 Mietgegenstand. Vermietet werden die Büroflächen im 3. Obergeschoss des Gebäudes Hafenstraße 12, 20457 Hamburg, mit einer Fläche von ca. 420 m² sowie 6 Tiefgaragenstellplätze.\n§ 2 Mietzeit. Das Mietverhältnis beginnt am 1. April 2025 und wird auf fünf Jahre fest abgeschlossen. Der Mieter hat eine einmalige Option auf Verlängerung um weitere fünf Jahre, die spätestens zwölf Monate vor Ablauf schriftlich auszuüben ist.\n§ 3 Miete. Die monatliche Nettokaltmiete beträgt 8.820 EUR (21,00 EUR/m²), die Stellplätze kosten je 150 EUR. Hinzu kommen Betriebskostenvorauszahlungen von 1.680 EUR monatlich. Die Miete ist indexiert (Verbraucherpreisindex, Anpassung bei Veränderung um mehr als 5 %).\n§ 4 Kaution. Der Mieter leistet eine Sicherheit in Höhe von drei Monatsmieten.\n§ 5 Untervermietung. Eine Untervermietung bedarf der vorherigen schriftlichen Zustimmung des Vermieters.\n\nVermieter: Hafenkontor Immobilien GmbH, vertreten durch Frau Dr. Sabine Lorenz\nMieter: Brightwave Software GmbH, vertreten durch Herrn Felix Adeyemi",
    # a bug report with a stack trace
    'Title: Export to XLSX crashes for reports with more than 65k rows\n\nEnvironment: web app v5.14.2, Chrome 131, Windows 11; tenant acme-logistics (enterprise plan)\n\nSteps to reproduce:\n1. Open Reports > Shipments > Last 12 months\n2. Filter: carrier = any, status = delivered (about 71,000 rows)\n3. Click Export > Excel\n\nExpected: the file downloads.\nActual: spinner for ~40 s, then \'Something went wrong\' toast. Same export as CSV works.\n\nServer log:\nTraceback (most recent call last):\n  File "/app/reports/export.py", line 212, in export_xlsx\n    sheet.append(row)\n  File "/venv/lib/python3.11/site-packages/openpyxl/worksheet/worksheet.py", line 668, in append\n    self._cells[(row_idx, col_idx)] = cell\nMemoryError\n\nReported by: Dana Whitfield (dana.w@acme-logistics.com), 3 other users on the same tenant hit it this week. Customer says their month-end close depends on this export.',
    # a French meeting minute
    "Compte rendu – Comité de pilotage projet ERP, 7 novembre\n\nPrésents : Claire Dubois (DAF), Hugo Martin (DSI), Nadia Benali (achats), Paul Girard (intégrateur Sopra).\n\n1. Avancement : la migration des données fournisseurs est terminée à 92 %. Les 8 % restants concernent des fiches en doublon que les achats doivent arbitrer d'ici le 22 novembre.\n2. Planning : la bascule prévue le 6 janvier est maintenue, sous réserve de la recette des flux de paie, qui a pris deux semaines de retard.\n3. Budget : dépassement de 38 000 € lié aux jours supplémentaires de l'intégrateur ; la DAF demande un devis détaillé avant validation.\n4. Risques : l'équipe comptable sera en clôture annuelle pendant la bascule ; proposition de renforcer l'équipe avec deux intérimaires.\n\nDécisions : report de la formation des utilisateurs au 9 décembre ; prochain comité le 21 novembre à 10 h.\nActions : N. Benali – arbitrage des doublons ; P. Girard – devis ; H. Martin – plan de bascule détaillé.",
    # a long product listing text
    "Trailhead 45L Travel Pack – product description for the marketplace listing\n\nBuilt for one-bag travel, the Trailhead 45L opens like a suitcase and carries like a hiking pack. The main compartment unzips fully, with two mesh dividers and compression straps that keep clothes in place. A padded laptop sleeve fits up to 16 inches and sits against your back, and a separate quick-access pocket holds a passport, phone and boarding pass. The shell is 420D recycled nylon with a PU coating; zips are YKK AquaGuard. The harness has a stowable hip belt and load lifters, and the back panel is ventilated. Dimensions 55 x 35 x 23 cm, within most airlines' carry-on limits; weight 1.6 kg. Colours: slate, forest, sand. Lifetime warranty against manufacturing defects; 60-day returns. Care: hand wash, air dry. Note to sellers: ships from the Rotterdam warehouse in 1-2 business days; bundles with the packing cube set (SKU TP-CUBE-3) get 10% off.",
]

# --- asks ---------------------------------------------------------------------------------
# Each wording: (system prompt or "", user text with {m}). The Haiku-class asks are terse and
# the answer is small: a few given fields, a title, a queue, yes/no, one label.

ASKS: dict[str, list[tuple[str, str]]] = {
    "extract": [
        (
            "",
            "{m}\n\nPull these 4 fields: sender name, date, account or order number, amount. One per line.",
        ),
        ("Return only valid JSON. No prose.", "{m}\n\nkeys: person, company, deadline, phone"),
        ("", "Grab every email address and phone number in here:\n\n{m}"),
        ("You fill CRM records. Output exactly: Name | Company | Requested action", "{m}"),
        ("", "{m}\n\nWelche Beträge und Fristen stehen da drin? Nur die Liste, bitte."),
        ("", "{m}\n\nquels noms de personnes apparaissent ? liste seulement"),
    ],
    "short_form": [
        ("", "{m}\n\ntitle for this? max 8 words"),
        ("Answer with a single line and nothing else.", "Write a subject line for this:\n\n{m}"),
        ("", "3 hashtags for the following:\n\n{m}"),
        ("", "{m}\n\nDame un título breve para esto."),
        ("You write ticket titles. One line, under 70 characters.", "{m}"),
    ],
    "triage": [
        ("", "{m}\n\nWhich queue: billing, technical, sales or legal? One word."),
        (
            "Route each message to one team: Support, Engineering, Finance, Facilities. Reply with the team name only.",
            "{m}",
        ),
        ("", "{m}\n\npriority P1, P2 or P3?"),
        ("", "¿A qué departamento envío esto? Responde solo con el nombre.\n\n{m}"),
        ("", "{m}\n\nWer ist zuständig: Einkauf, IT, Recht oder Personal? Ein Wort."),
    ],
    "classify": [
        ("", "{m}\n\nIs the writer angry? yes/no"),
        (
            "Classify the sentiment of the text as positive, neutral or negative. Output the label only.",
            "{m}",
        ),
        ("", "Pick a label: complaint, request, update, question.\n\n{m}"),
        ("", "{m}\n\nwhat language is this in"),
        ("", "Does this mention a deadline? Answer yes or no.\n\n{m}"),
        (
            "Tu es un classifieur. Réponds par une seule étiquette : incident, demande, information.",
            "{m}",
        ),
    ],
    # Sonnet-class work on the same materials: the ask decides, not the bulk.
    "summarize": [
        ("", "{m}\n\nCan you summarise this in a few sentences for my manager?"),
        ("Write clear, short summaries.", "Résume ce texte en un paragraphe :\n\n{m}"),
    ],
    "document_analysis": [
        (
            "",
            "{m}\n\nGo through this and tell me what the open risks are and what we should check before agreeing to anything.",
        ),
        (
            "",
            "Read this closely: what is inconsistent or missing, and what questions would you ask the author?\n\n{m}",
        ),
    ],
    "support_reply": [
        (
            "You are a customer support agent for our company. Be warm and concrete.",
            "{m}\n\nDraft our reply to this.",
        ),
    ],
}

_EARLIER = [
    ("I'm going to paste something.", "Sure, go ahead."),
    ("Quick one for you.", "Happy to help. What is it?"),
]


def _shaped(system: str, ask: str, material: str, rng: random.Random) -> Request:
    """The ask over the material, in one of the shapes real requests take."""
    text = ask.format(m=material)
    place = rng.random()
    if system:
        if place < 0.3:
            q, a = rng.choice(_EARLIER)
            messages = [_text("user", q), _text("assistant", a), _text("user", text)]
        else:
            messages = [_text("user", text)]
        return {"system": [{"text": system}], "messages": messages}
    if place < 0.2 and "\n\n" in ask:
        # The ask alone goes to the system prompt, the material alone to the user turn.
        instruction = ask.replace("{m}", "").strip()
        return {"system": [{"text": instruction}], "messages": [_text("user", material)]}
    if place < 0.4:
        q, a = rng.choice(_EARLIER)
        return {"messages": [_text("user", q), _text("assistant", a), _text("user", text)]}
    return {"messages": [_text("user", text)]}


def round6_rows(seed: int = 66) -> Iterator[dict[str, Any]]:
    """All round-6 rows (deterministic)."""
    rng = random.Random(seed)
    materials = [*LONG_R6, _log(rng), _orders_table(rng)]
    for cls, wordings in ASKS.items():
        for i, (system, wording) in enumerate(wordings):
            for m in rng.sample(materials, 5):
                yield {
                    "class": cls,
                    "template": f"r6-long-{cls}-{i}",
                    "source": "team-templates",
                    "request": _shaped(system, wording, m, rng),
                }

"""Team-written requests for the class corpus, round 10 of issue 12: questions over
documentation. A help bot, a developer portal or a colleague pastes documentation (API
docs, a device manual, IT knowledge-base articles, a README, help-centre articles, a
German team wiki, a French FAQ, a Spanish installation manual) and asks about it.

Two kinds of request share the same material and often the same service instruction
("Answer using only the documentation below", "Use only the passages below", "Based on the
provided context..."):

- open questions to be answered from the documentation (``rag_qa``): how do I rotate the
  API key, explain to a customer how ..., walk me through ..., why would ..., what should I
  check first; some say "using only the documentation below" in the user turn with the
  documentation pasted after it;
- labelling, closed and lookup tasks that happen to run under that instruction: pick a label
  for a customer question from a list, which section covers it, is a statement supported
  (``classify``), or the default value, the error code, the article id, JSON with given keys
  (``extract``). Their class is the task's, not the service's.

The knowledge bases, products and wordings are invented for this corpus; nothing was copied
from an acceptance set, from ``bench/cache_aware.py`` (whose documentation is generated from
a few facts) or from round 7's knowledge bases. The material is written as such material
is: headings, code blocks, parameter tables, error-code tables, numbered steps, article ids,
Q/R pairs; and in three shapes: the documentation in the system prompt after (or before) the
service's instruction; the documentation pasted in the user turn after the question; the
instruction in the system prompt and the documentation in the user turn.

Each wording is its own template id (``r10-docs-<class>-<i>``, local wordings
``r10-docs-<class>-<lang>-<i>``) drawn over several knowledge bases, and each row names its
knowledge base (``material``, ``r10-<id>``), so evaluation can hold out wordings or whole
knowledge bases.
"""

# ruff: noqa: E501 - wordings and materials are data
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from tierwise.router.class_round3 import _text

__all__ = ["DOC_BASES", "round10_rows"]

Request = dict[str, Any]

# --- knowledge bases --------------------------------------------------------------------
# Each: instructions a service would give (some fire the ``rag`` cue, some do not), the
# documentation (sections), a filler section pattern that makes the material long, the
# topics, facts and label lists its users ask about, and example customer messages to label.

DOC_BASES: list[dict[str, Any]] = [
    {
        "id": "api_docs",
        "lang": "en",
        "instructions": [
            "You are the Quillpay developer assistant. Answer using only the documentation below. If the documentation does not cover something, say so.",
            "You help developers integrate the Quillpay Payments API. Use only the passages below; do not invent endpoints or parameters.",
            "Quillpay docs bot. Based on the provided context, answer the developer's request.",
        ],
        "sections": [
            "## Authentication\n\nEvery request carries a secret key in the `Authorization: Bearer qp_live_...` header. Test keys start with `qp_test_`. Keys are created in Dashboard > Developers > API keys.\n\n### Rotating a key\n\n1. Create a new key with the same scopes.\n2. Deploy it to your servers.\n3. Mark the old key as *expiring*: it keeps working for 72 hours.\n4. Revoke the old key. Revocation is immediate and cannot be undone.",
            "## Rate limits\n\n| plan | requests per second | burst |\n|---|---|---|\n| Starter | 25 | 50 |\n| Growth | 100 | 200 |\n| Enterprise | 400 | 1000 |\n\nWhen you exceed the limit the API answers `429 Too Many Requests` with a `Retry-After` header in seconds. Limits are counted per account, not per key.",
            "## Webhooks\n\nQuillpay sends events (`payment.succeeded`, `payment.failed`, `refund.created`, `dispute.opened`) as POST requests to your endpoint. Verify the `Quillpay-Signature` header with your endpoint secret (HMAC-SHA256 of the timestamp and the raw body). Failed deliveries are retried with exponential backoff for up to 3 days; after 20 consecutive failures the endpoint is disabled.",
            '## Idempotency\n\nSend an `Idempotency-Key` header (any unique string up to 255 characters) with every POST. A repeated key within 24 hours returns the first response instead of creating a second payment.\n\n```bash\ncurl https://api.quillpay.example/v2/payments \\\n  -H "Authorization: Bearer qp_test_4eC39" \\\n  -H "Idempotency-Key: order-8812" \\\n  -d amount=1250 -d currency=eur\n```',
            "## Pagination\n\nList endpoints return at most `limit` objects (default 10, maximum 100) and a `next_cursor`. Pass it as `starting_after` to get the next page. Cursors expire after 10 minutes.",
        ],
        "filler": "## {topic} (v2.{code})\n\nThis section documents {topic}: the request fields, the response object, the errors it can return and an example in curl, Python and Node. Changes since {month} are listed in the changelog; objects are kept for {years} years.",
        "topics": [
            "rotating an API key",
            "rate limits",
            "webhook signature verification",
            "idempotency keys",
            "pagination cursors",
            "retries of failed webhook deliveries",
        ],
        "facts": [
            "the default page size",
            "the burst limit on the Growth plan",
            "how long an expiring key keeps working",
            "the header that carries the idempotency key",
        ],
        "labels": "authentication, payments, webhooks, limits",
        "messages": [
            "our endpoint keeps getting the same event three times, is that normal?",
            "I revoked a key by mistake, can I get it back?",
            "we get 429s every night around 2am",
        ],
        "sections_named": "Authentication, Rate limits, Webhooks, Idempotency, Pagination",
    },
    {
        "id": "device_manual",
        "lang": "en",
        "instructions": [
            "You are the Brava Duo espresso machine support assistant. Use only the manual below to answer.",
            "Answer owners' questions about the Brava Duo using only the documents provided. Keep answers practical.",
            "Here is the Brava Duo user manual. You answer questions from machine owners.",
        ],
        "sections": [
            "4. DESCALING\n4.1 The DESCALE light flashes orange after about 60 litres of water (30 litres in hard-water mode).\n4.2 Empty the drip tray. Dissolve one sachet of Brava descaler in 1 litre of water and pour it into the tank.\n4.3 Hold the STEAM and HOT WATER buttons together for 5 seconds. The cycle runs for about 25 minutes; do not switch the machine off.\n4.4 Rinse the tank and run two full tanks of clean water through the group.",
            "7. ERROR CODES\nCode | Meaning | What to do\nE01 | No water flow | Fill the tank, check it is seated\nE03 | Boiler over temperature | Switch off for 30 minutes\nE07 | Grinder blocked | Remove beans, clean the burr with the brush\nE12 | Pump fault | Contact service\nE15 | Descaling overdue | Descale (section 4)",
            "5. MILK SYSTEM\n5.1 Purge the steam wand for 2 seconds before and after every use.\n5.2 Soak the wand tip in warm water weekly. Never use a needle to clear the holes; use the supplied pin.\n5.3 The auto-froth jug can go in the dishwasher (top rack only), the lid cannot.",
            "3. GRIND SETTINGS\nThe grinder has 18 steps. Start at step 9 for a double shot of 36 g in 28-32 seconds. Change the setting only while the grinder is running, one step at a time.",
            "9. WARRANTY\nThe machine has a 2-year warranty, 3 years if registered within 30 days of purchase. Damage from limescale is not covered if the descale log shows more than 3 missed cycles.",
        ],
        "filler": "{code}. {topic}\n{code}.1 This chapter covers {topic}: safety notes, the parts involved, the steps in order and the cleaning interval of every {years} weeks. See the quick guide for pictures (edition {month}).",
        "topics": [
            "descaling",
            "the E07 error",
            "cleaning the steam wand",
            "grind settings for a double shot",
            "the warranty",
            "hard-water mode",
        ],
        "facts": [
            "the error code for a pump fault",
            "how long the descaling cycle runs",
            "the grind step to start at for a double shot",
            "the warranty length when the machine is registered",
        ],
        "labels": "cleaning, error, warranty, brewing",
        "messages": [
            "my machine shows E03 after making three lattes in a row",
            "the milk is not foaming anymore",
            "the coffee runs out way too fast",
        ],
        "sections_named": "3 Grind settings, 4 Descaling, 5 Milk system, 7 Error codes, 9 Warranty",
    },
    {
        "id": "it_kb",
        "lang": "en",
        "instructions": [
            "You are the Northfield IT service desk assistant. Answer from the knowledge base articles below and quote the article number.",
            "Using only the following knowledge base articles, help employees with IT questions.",
            "Service desk bot. Context: retrieved KB articles. Answer only from the context.",
        ],
        "sections": [
            "KB0010231 - Connecting to the VPN from home\nApplies to: Windows 11, macOS 14+\nOpen GlobalConnect and enter vpn.northfield.example. Sign in with your network account and approve the push in Authenticator. If you see 'Gateway unreachable', check that you are not on a hotel captive portal, then restart the GlobalConnect service. Split tunnelling is off: all traffic goes through the office.",
            "KB0010877 - Resetting MFA after a phone change\nYou cannot move Authenticator to a new phone yourself. Call the service desk on ext. 4400 with your employee number; after identity checks the agent issues a temporary access pass valid for 8 hours, which you use to register the new phone at aka.northfield.example/mfa.",
            "KB0011420 - Laptop encryption (BitLocker)\nAll laptops are encrypted. If the laptop asks for the 48-digit recovery key after a BIOS update, find the key ID on the screen and request the key at the self-service portal > Devices > Recovery keys. Recovery keys are rotated after each use.",
            "KB0012005 - Shared mailboxes\nShared mailboxes are requested by a manager through the portal (form IT-SM-3). Access is granted to security groups, not individuals, and appears in Outlook within 4 hours.",
            "KB0012218 - Printing on the Ricoh floor printers\nUse the Follow-Me queue. Badge in at any floor printer to release jobs; unreleased jobs are deleted after 24 hours. Colour printing needs cost-centre approval.",
        ],
        "filler": "KB00{code}{years}1 - {topic}\nApplies to: all staff. This article explains {topic}, the prerequisites, the self-service steps and when to open a ticket. Last reviewed {month} 2026 by the end-user computing team.",
        "topics": [
            "connecting to the VPN",
            "resetting MFA on a new phone",
            "a BitLocker recovery key prompt",
            "getting a shared mailbox",
            "releasing print jobs",
            "split tunnelling",
        ],
        "facts": [
            "the service desk extension",
            "how long a temporary access pass is valid",
            "the KB article about BitLocker",
            "how long unreleased print jobs are kept",
        ],
        "labels": "network, accounts, devices, printing",
        "messages": [
            "laptop is asking me for some 48 digit key after the update this morning",
            "I got a new iPhone and now I can't log in",
            "my print job never came out of the printer",
        ],
        "sections_named": "KB0010231 VPN, KB0010877 MFA, KB0011420 BitLocker, KB0012005 Shared mailboxes, KB0012218 Printing",
    },
    {
        "id": "readme",
        "lang": "en",
        "instructions": [
            "You answer questions about the tidewater CLI. Answer using only the README and docs pages below.",
            "Answer based on the following documents only (README.md and docs/).",
            "You are a maintainer of tidewater helping users in the issue tracker. The project docs follow.",
        ],
        "sections": [
            "# tidewater\n\nSync a local folder to object storage, incrementally.\n\n## Install\n\n```\npipx install tidewater\n```\n\nRequires Python 3.10+. On macOS you can also `brew install tidewater`.",
            '## Configuration\n\ntidewater reads `~/.config/tidewater/config.toml`, then `./tidewater.toml`, then environment variables (`TIDEWATER_*`), later ones winning.\n\n```toml\n[remote]\nurl = "s3://my-bucket/backups"\nconcurrency = 8      # default 4\nexclude = ["*.tmp", ".git/"]\n```',
            "## Commands\n\n| command | what it does |\n|---|---|\n| `tidewater sync SRC` | upload changed files |\n| `tidewater sync --delete SRC` | also delete remote files missing locally |\n| `tidewater verify` | compare checksums without uploading |\n| `tidewater prune --keep 30d` | drop snapshots older than 30 days |",
            "## Troubleshooting\n\n- `SignatureDoesNotMatch`: your clock is off by more than 15 minutes; sync it.\n- Slow first run: the first sync hashes every file; later runs read the local index in `.tidewater/index.db`.\n- `--delete` is never the default; it refuses to run when more than 20% of remote files would be deleted unless you pass `--force`.",
            '## FAQ\n\n**Does it follow symlinks?** No, unless `follow_symlinks = true`.\n\n**Can I exclude large files?** Use `max_size = "2GB"` in `[remote]`.',
        ],
        "filler": "## docs/{topic}.md\n\nNotes on {topic} for tidewater 0.{code}: the options involved, an example config and the known issues tracked since {month}. Tested on {years} platforms in CI.",
        "topics": [
            "the configuration file order",
            "the --delete flag",
            "excluding files",
            "the SignatureDoesNotMatch error",
            "pruning old snapshots",
            "slow first syncs",
        ],
        "facts": [
            "the default concurrency",
            "the minimum Python version",
            "the share of deletions above which --delete refuses to run",
            "where the local index is stored",
        ],
        "labels": "install, config, bug, question",
        "messages": [
            "sync fails with SignatureDoesNotMatch on my laptop but works on the server",
            "can tidewater skip my node_modules folder?",
            "pip install fails on python 3.8",
        ],
        "sections_named": "Install, Configuration, Commands, Troubleshooting, FAQ",
    },
    {
        "id": "helpcenter",
        "lang": "en",
        "instructions": [
            "You are Parcelino's help assistant. Answer customers using only the help centre articles below. Be friendly and brief.",
            "Use only the passages below (Parcelino help centre) to answer.",
            "Parcelino customer assistant. Help centre articles are attached.",
        ],
        "sections": [
            '<article id="hc-204"><h2>Changing the delivery address</h2><p>You can change the address until the parcel is "Out for delivery". Open the tracking page, choose Change delivery, and pick a new address in the same country or a Parcelino locker. A change after dispatch costs EUR 2.50.</p></article>',
            '<article id="hc-311"><h2>Missing parcel</h2><p>If tracking says delivered but you have nothing, wait until the end of the next working day: drivers sometimes scan early. Then open a claim from the tracking page. Claims must be opened within 14 days of the delivery scan. We refund up to EUR 500 without a receipt.</p></article>',
            '<article id="hc-118"><h2>Locker pick-up</h2><p>Parcels wait 72 hours in a locker. The code is sent by SMS and in the app. After 72 hours the parcel goes back to the depot and can be collected there for 7 more days.</p></article>',
            '<article id="hc-402"><h2>Customs for parcels from outside the EU</h2><p>VAT and a handling fee of EUR 6 are due before delivery. You receive a payment link by email; unpaid parcels are returned after 10 days.</p></article>',
            '<article id="hc-087"><h2>Delivery windows</h2><p>Standard deliveries arrive 8:00-20:00. Evening delivery (18:00-22:00) is available in 14 cities for EUR 3.90.</p></article>',
        ],
        "filler": '<article id="hc-{code}{years}"><h2>{topic}</h2><p>This article explains {topic}, what you can do in the app, what our support team can do, and the fees that apply since {month}.</p></article>',
        "topics": [
            "changing the delivery address",
            "a parcel marked delivered that never arrived",
            "locker pick-up",
            "customs fees",
            "evening delivery",
            "returning a parcel to the depot",
        ],
        "facts": [
            "the fee for changing the address after dispatch",
            "how long a parcel waits in a locker",
            "the deadline to open a claim",
            "the customs handling fee",
        ],
        "labels": "delivery, claim, customs, locker",
        "messages": [
            "it says delivered but there's nothing at my door",
            "why do I have to pay 6 euros before you deliver?",
            "I missed the locker pick-up, where is my parcel now?",
        ],
        "sections_named": "hc-087 Delivery windows, hc-118 Locker pick-up, hc-204 Address change, hc-311 Missing parcel, hc-402 Customs",
    },
    {
        "id": "wiki_de",
        "lang": "de",
        "instructions": [
            "Du bist der Assistent des Plattform-Teams. Beantworte Fragen ausschließlich anhand der folgenden Wiki-Seiten.",
            "Nutze nur die Seiten aus dem Team-Wiki unten. Wenn etwas nicht drinsteht, sag das.",
            "Confluence-Auszug des Plattform-Teams folgt. Antworte auf Deutsch.",
        ],
        "sections": [
            "Seite: Rufbereitschaft (On-Call)\nDie Rufbereitschaft wechselt montags um 10:00 Uhr. Übergabe im Kanal #plattform-oncall mit offenen Incidents. Reaktionszeit bei P1: 15 Minuten, bei P2: 1 Stunde. Wer tauschen will, trägt den Tausch bis Freitag im Dienstplan ein.",
            "Seite: Deployment-Prozess\n1. Merge nach main löst die Pipeline aus.\n2. Staging wird automatisch ausgerollt.\n3. Für Produktion braucht es ein Approval von einer zweiten Person im Team.\n4. Freitags ab 14 Uhr und an Feiertagen gilt ein Deploy-Freeze, Ausnahmen nur mit Incident-Ticket.",
            "Seite: Zugänge\nProduktionszugang (kubectl) gibt es über die Gruppe plattform-prod in Keycloak, beantragt über das Formular ZUG-2. Der Zugang läuft nach 90 Tagen ab und muss verlängert werden.",
            "Seite: Kosten-Tags\nJede Ressource braucht die Tags team, kostenstelle und umgebung. Ressourcen ohne Tags werden nach 7 Tagen gemeldet und nach 30 Tagen gestoppt.",
            "Seite: Incident-Review\nNach jedem P1 gibt es binnen 5 Arbeitstagen ein Review ohne Schuldzuweisung. Vorlage: Wiki > Vorlagen > Incident-Review.",
        ],
        "filler": "Seite: {topic} ({code})\nDiese Seite beschreibt {topic}, wer zuständig ist, welche Tools wir nutzen und was seit {month} anders ist. Aufbewahrung der Protokolle: {years} Jahre.",
        "topics": [
            "die Rufbereitschaft",
            "den Deploy-Freeze",
            "den Produktionszugang",
            "die Kosten-Tags",
            "das Incident-Review",
            "das Approval für Produktion",
        ],
        "facts": [
            "die Reaktionszeit bei P1",
            "wann die Rufbereitschaft wechselt",
            "nach wie vielen Tagen der Produktionszugang abläuft",
            "das Formular für den Produktionszugang",
        ],
        "labels": "Deployment, Zugang, Rufbereitschaft, Kosten",
        "messages": [
            "kann ich am Freitag um 15 Uhr noch einen Hotfix ausrollen?",
            "mein kubectl sagt forbidden seit heute",
            "ich muss meine Rufbereitschaft nächste Woche tauschen",
        ],
        "sections_named": "Rufbereitschaft, Deployment-Prozess, Zugänge, Kosten-Tags, Incident-Review",
    },
    {
        "id": "faq_fr",
        "lang": "fr",
        "instructions": [
            "Tu es l'assistant de Lumeo Énergie. Réponds uniquement à partir de la FAQ ci-dessous.",
            "Assistant clients Lumeo. Utilise seulement les passages suivants de la FAQ pour répondre.",
            "Voici la FAQ de Lumeo Énergie (électricité et gaz). Réponds en français.",
        ],
        "sections": [
            "Q : Comment transmettre mon relevé de compteur ?\nR : Dans l'espace client, rubrique Relevés, entre le 1er et le 5 du mois. Un compteur Linky transmet automatiquement ; vous n'avez rien à faire.",
            "Q : Comment changer de mensualité ?\nR : Vous pouvez ajuster votre mensualité deux fois par an dans l'espace client. Une baisse de plus de 30 % déclenche une vérification par un conseiller.",
            "Q : Que se passe-t-il si je déménage ?\nR : Résiliez en ligne au moins 7 jours avant le départ et indiquez l'index du jour. La facture de clôture arrive sous 4 semaines. Les frais de mise en service au nouveau logement sont de 19,90 EUR.",
            "Q : Quelles sont les options tarifaires ?\nR : Base (prix unique), Heures creuses (8 heures par jour à prix réduit), Week-end (prix réduit du vendredi 22h au lundi 6h).",
            "Q : Je conteste ma facture, que faire ?\nR : Écrivez-nous via le formulaire Réclamation sous 2 mois. Sans réponse satisfaisante après 2 mois, vous pouvez saisir le médiateur national de l'énergie.",
        ],
        "filler": "Q : {topic} ? (réf. {code})\nR : Cette réponse décrit {topic}, les démarches dans l'espace client et les délais en vigueur depuis {month} ; les justificatifs sont conservés {years} ans.",
        "topics": [
            "le relevé de compteur",
            "le changement de mensualité",
            "le déménagement",
            "l'option heures creuses",
            "la contestation d'une facture",
            "les frais de mise en service",
        ],
        "facts": [
            "les frais de mise en service",
            "la période pour transmettre le relevé",
            "le délai pour résilier avant un déménagement",
            "le nombre d'heures creuses par jour",
        ],
        "labels": "facture, contrat, compteur, déménagement",
        "messages": [
            "je déménage le 15, je fais comment pour l'électricité ?",
            "ma facture de novembre est deux fois plus chère que d'habitude",
            "mon Linky n'envoie plus rien depuis septembre",
        ],
        "sections_named": "Relevés, Mensualités, Déménagement, Options tarifaires, Réclamations",
    },
    {
        "id": "manual_es",
        "lang": "es",
        "instructions": [
            "Eres el asistente técnico de Termalia. Responde solo con la información del manual de instalación que aparece a continuación.",
            "Usa únicamente los documentos siguientes (manual de la bomba de calor AeroT 9) para responder.",
            "Manual de instalación y uso de la bomba de calor AeroT 9. Atiende consultas de instaladores y clientes.",
        ],
        "sections": [
            "Capítulo 2. Ubicación de la unidad exterior\n2.1 Deje al menos 30 cm detrás de la unidad y 1,5 m delante.\n2.2 No la instale en un hueco cerrado: el aire frío recircula y el rendimiento cae.\n2.3 Use los soportes antivibración incluidos.",
            "Capítulo 5. Puesta en marcha\n5.1 Purgue el circuito hasta 1,5 bar en frío.\n5.2 Active el modo de secado de solera solo en obra nueva; dura 10 días.\n5.3 La curva de calefacción de fábrica es la 0,6; para suelo radiante use 0,3-0,4.",
            "Capítulo 8. Códigos de error\nCódigo | Causa | Acción\nA12 | Presión baja del circuito | Rellenar hasta 1,5 bar\nF04 | Sonda exterior desconectada | Revisar el cable\nH07 | Caudal insuficiente | Limpiar el filtro en Y\nL21 | Alta presión del refrigerante | Llamar al servicio técnico",
            "Capítulo 9. Mantenimiento\nLimpie el filtro en Y cada 6 meses. El servicio técnico debe revisar el circuito frigorífico una vez al año para mantener la garantía de 5 años.",
            "Capítulo 6. Agua caliente sanitaria\nTemperatura de consigna por defecto: 48 °C. El ciclo antilegionela calienta el depósito a 65 °C cada domingo a las 2:00.",
        ],
        "filler": "Capítulo {code}. {topic}\nEste capítulo describe {topic}, las herramientas necesarias, las advertencias de seguridad y los intervalos de revisión de {years} meses (edición de {month}).",
        "topics": [
            "la ubicación de la unidad exterior",
            "el código de error H07",
            "la curva de calefacción",
            "el ciclo antilegionela",
            "el mantenimiento del filtro",
            "el secado de solera",
        ],
        "facts": [
            "la presión de llenado en frío",
            "la temperatura del ciclo antilegionela",
            "la distancia libre delante de la unidad",
            "cada cuánto hay que limpiar el filtro en Y",
        ],
        "labels": "instalación, error, mantenimiento, agua caliente",
        "messages": [
            "la máquina marca H07 y no calienta",
            "el agua sale tibia por la mañana",
            "¿puedo meter la unidad exterior en un patio cerrado?",
        ],
        "sections_named": "2 Ubicación, 5 Puesta en marcha, 6 Agua caliente, 8 Códigos de error, 9 Mantenimiento",
    },
]

_MONTHS = ["January", "March", "April", "June", "August", "October", "November"]


def _documentation(kb: dict[str, Any], rng: random.Random, size: int) -> str:
    """The documentation sections, padded with filler sections to about ``size`` chars."""
    sections = list(kb["sections"])
    while sum(len(s) for s in sections) < size:
        sections.append(
            kb["filler"].format(
                topic=rng.choice(kb["topics"]),
                code=rng.randrange(10, 99),
                month=rng.choice(_MONTHS),
                years=rng.randrange(2, 10),
            )
        )
    rng.shuffle(sections)
    return "\n\n".join(sections)


# --- asks ---------------------------------------------------------------------------------
# {topic}, {fact}, {labels}, {message} and {sections} come from the knowledge base. English
# wordings are drawn over every knowledge base (the German, French and Spanish ones too, as
# their colleagues and expat users write); local wordings over the knowledge base in that
# language.

ASKS: dict[str, list[str]] = {
    "rag_qa": [
        "Using only the documentation below, how do I deal with {topic}?",
        "Explain to a customer how {topic} works and what they should check first.",
        "Walk me through {topic} - what do I have to do, in order?",
        "What does the documentation say about {topic}, and are there any exceptions or limits I should know about?",
        "Why would {topic} not work the way I expect? Give me the likely reasons from the docs.",
        'A user writes: "{message}" Based on the docs, what should we tell them, and why?',
        "I'm new to this. Can you explain {topic} in plain words, referring to the relevant section?",
        "how does {topic} work",
        "What's the difference between the options for {topic}, and when would I pick each one?",
        "Answer this for me from the manual/docs you have: {message}",
    ],
    "classify": [
        "Classify this customer question as one of {labels}: {message}",
        "Which of these categories fits the message best - {labels}? Reply with the category only.\n\nMessage: {message}",
        "Label the following ticket with exactly one label from [{labels}]. Ticket: {message}",
        "Is the following statement supported by the documentation? Answer supported, contradicted or not mentioned. Statement: {topic} is free of charge.",
        "Which section of the docs covers this: {sections}? One section name only. Question: {message}",
        "Does the documentation mention {topic}? yes or no",
        "Route this question to a category ({labels}) - just the category: {message}",
        "Sentiment of this user message, positive/neutral/negative, one word: {message}",
    ],
    "extract": [
        "What is {fact}? Value only, no explanation.",
        "Give me {fact} as JSON with keys value and section.",
        "{fact}? just the number",
        "Copy the exact sentence that states {fact}.",
        "Pull out every number mentioned in the section about {topic}, one per line.",
        "Which article or section id talks about {topic}? The id only.",
        "List the titles of the sections or articles in the documentation, one per line, nothing else.",
    ],
}

LOCAL_ASKS: dict[str, dict[str, list[str]]] = {
    "rag_qa": {
        "de": [
            "Kannst du mir anhand der Doku erklären, wie das mit {topic} funktioniert und worauf ich achten muss?",
            'Ein Kollege fragt: "{message}" Was sagt das Wiki dazu, und was soll er tun?',
        ],
        "fr": [
            "D'après la FAQ, comment ça se passe pour {topic} et qu'est-ce que je dois faire ?",
            "Un client écrit : « {message} » Que lui répondre, en t'appuyant sur la documentation ?",
        ],
        "es": [
            "Según el manual, ¿cómo funciona {topic} y qué tengo que revisar primero?",
            'Un cliente dice: "{message}" ¿Qué le explico, según la documentación?',
        ],
    },
    "classify": {
        "de": [
            "Ordne diese Frage einer Kategorie zu ({labels}), nur das Wort: {message}",
            "Steht in der Doku etwas zu {topic}? Nur ja oder nein.",
        ],
        "fr": [
            "Classe ce message dans une catégorie parmi {labels}. Un seul mot. Message : {message}",
            "La FAQ parle-t-elle de {topic} ? Réponds par oui ou non.",
        ],
        "es": [
            "Clasifica esta consulta en una de estas categorías: {labels}. Solo la categoría. Consulta: {message}",
            "¿El manual menciona {topic}? Responde sí o no.",
        ],
    },
    "extract": {
        "de": ["Wie lautet {fact}? Nur der Wert."],
        "fr": ["Quel est {fact} ? Juste la valeur."],
        "es": ["¿Cuál es {fact}? Solo el dato."],
    },
}

_EARLIER = [
    ("hi", "Hi! What can I help you with?"),
    ("quick question about the docs", "Sure - go ahead."),
    ("hallo / bonjour / hola", "Hello! Ask me anything about the documentation."),
]


def _request(kb: dict[str, Any], text: str, rng: random.Random) -> Request:
    """One request in one of three shapes: the documentation in the system prompt (long, or
    short enough to be read whole), the documentation pasted in the user turn after the
    question, or the instruction in the system prompt and the documentation in the user turn."""
    instruction = rng.choice(kb["instructions"])
    shape = rng.random()
    if shape < 0.55:
        doc = _documentation(kb, rng, rng.choice([1200, 4000, 6000, 9000]))
        system = (
            f"Documentation:\n\n{doc}\n\n{instruction}"
            if rng.random() < 0.2
            else f"{instruction}\n\n{doc}"
        )
        messages = [_text("user", text)]
        if rng.random() < 0.3:
            q, a = rng.choice(_EARLIER)
            messages = [_text("user", q), _text("assistant", a), *messages]
        return {"system": [{"text": system}], "messages": messages}
    doc = _documentation(kb, rng, rng.choice([1500, 3000, 5000]))
    if shape < 0.8:
        return {"messages": [_text("user", f"{text}\n\n---\n{doc}")]}
    return {
        "system": [{"text": instruction}],
        "messages": [_text("user", f"{text}\n\n{doc}")],
    }


def _fill(wording: str, kb: dict[str, Any], rng: random.Random) -> str:
    return wording.format(
        topic=rng.choice(kb["topics"]),
        fact=rng.choice(kb["facts"]),
        labels=kb["labels"],
        message=rng.choice(kb["messages"]),
        sections=kb["sections_named"],
    )


def round10_rows(seed: int = 1010) -> Iterator[dict[str, Any]]:
    """All round-10 rows (deterministic): each English wording over 5 of the 8 knowledge
    bases, each local wording 3 times over the knowledge base in its language."""
    rng = random.Random(seed)
    for cls, wordings in ASKS.items():
        for i, wording in enumerate(wordings):
            for kb in rng.sample(DOC_BASES, 5):
                yield {
                    "class": cls,
                    "template": f"r10-docs-{cls}-{i}",
                    "source": "team-templates",
                    "material": f"r10-{kb['id']}",
                    "request": _request(kb, _fill(wording, kb, rng), rng),
                }
    for cls, by_lang in LOCAL_ASKS.items():
        for lang, wordings in by_lang.items():
            kb = next(k for k in DOC_BASES if k["lang"] == lang)
            for i, wording in enumerate(wordings):
                for _ in range(3):
                    yield {
                        "class": cls,
                        "template": f"r10-docs-{cls}-{lang}-{i}",
                        "source": "team-templates",
                        "material": f"r10-{kb['id']}",
                        "request": _request(kb, _fill(wording, kb, rng), rng),
                    }

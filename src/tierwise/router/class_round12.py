"""Team-written requests for the class corpus, round 12 of issue 12: the misroutes round 11
left, written as a test set before any router change of round 12.

Four groups, each on material, agents, domains and wordings no earlier round used:

- **Documentation pasted with code or HTML** (``r12-docs-*``, material ``r12-<id>``): after
  round 10, an open question over documentation pasted in the user turn with code blocks or
  HTML still went to ``routine_code`` or ``content_writing`` (17 of round 10's 68), because
  no cue fires and the material's words decide. Eight invented pages: a Go SDK's README, a
  Terraform provider's resource page (HCL), a bank app's help articles in HTML, an OpenAPI
  description in YAML, a Python library's reference page, a German router's help centre in
  HTML, a French backup CLI's docs with shell commands, a Spanish reporting tool's docs with
  SQL. Asks: open questions to be answered from the page (``rag_qa``), overviews of it
  (``summarize``) and values, options or JSON pulled from it (``extract``); the
  documentation after the question, before it, or under a service's instruction.
- **Plans proposed to an agent** (``r12-propose-<agent>-complex_analysis``): "Propose a
  rollout order ..." read as the action because "rollout" is on the action list. Six new
  agents with risky tools are asked to propose, plan, outline or suggest (sequencing,
  risks, a way back), naming the action as a noun or an infinitive of the plan ("a purge
  order", "how we shift traffic", "Schlag eine Reihenfolge vor, in der wir ... entfernen"):
  planning, ``complex_analysis``.
- **Actions in verbs no set holds** (``r12-agent-<agent>-*``): the same agents told to
  change state in verbs on no list of ``core/signals.py``, ``core/tool_risk.py`` or
  ``core/instruction_verbs.py``, in the forms round 11 still misread - a particle after an
  identifier ("Dial eu-west-2 back to 20% ..."), a bare noun after the verb ("Quarantine
  devices that ..."), a light verb and a noun ("Da de baja ...", "Let oldbrand.com lapse"),
  a verb-last question (``high_stakes_agent``), and questions with the same tools
  (``agent_step``); first turn and mid-loop.
- **Plans vs memos** (``r12-plan-*``): planning and design asks that must order, weigh and
  choose (``complex_analysis``) against memos and notes that announce a plan already made
  (``content_writing``), with the same words ("plan", "migration", "rollout", "memo") on
  both sides; English, German, French, Spanish.

Nothing was copied from an acceptance set or from the wordings of an earlier round; no
wording is shared between two templates. Each wording (or agent and class) is its own
template id, so evaluation holds out wordings.
"""

# ruff: noqa: E501 - wordings, documentation and tool specs are data
from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any

from tierwise.router.class_draws import distinct
from tierwise.router.class_round3 import _agent_request, _text, agent_rows
from tierwise.router.class_round5 import _shaped

__all__ = ["AGENTS_R12", "DOC_PAGES", "PLAN_MEMO_ASKS", "round12_rows"]

Request = dict[str, Any]

# --- documentation with code or HTML ----------------------------------------------------
# Each page: its language, instructions a service would put in its system prompt, the
# sections (code, HTML, YAML, SQL as the page has them), topics and facts its readers ask
# about.

DOC_PAGES: list[dict[str, Any]] = [
    {
        "id": "go_sdk",
        "lang": "en",
        "instructions": [
            "You are the Larkspur developer assistant. The user will paste SDK documentation; answer from it.",
            "Help engineers with the Larkspur Go SDK. Stick to what the pasted docs say.",
        ],
        "sections": [
            "# larkspur-go\n\nThe official Go client for the Larkspur Events API.\n\n## Install\n\n```sh\ngo get github.com/larkspur/larkspur-go/v3\n```\n\nRequires Go 1.21 or later.",
            '## Configuring the client\n\n```go\nclient, err := larkspur.NewClient(\n    larkspur.WithAPIKey(os.Getenv("LARKSPUR_KEY")),\n    larkspur.WithRegion("eu-central"),\n    larkspur.WithTimeout(15 * time.Second),\n)\nif err != nil {\n    log.Fatal(err)\n}\n```\n\nThe default timeout is 30 seconds. `WithRegion` accepts `us-east`, `eu-central` and `ap-south`.',
            "## Retries\n\nIdempotent calls (GET, PUT, DELETE) are retried up to 3 times on 429 and 5xx responses with jittered exponential backoff starting at 200 ms. POST calls are retried only when you pass `larkspur.WithIdempotencyKey(key)`. Disable retries with `larkspur.WithMaxRetries(0)`.",
            "## Pagination\n\n```go\nit := client.Events.List(ctx, &larkspur.ListParams{Limit: 50})\nfor it.Next() {\n    ev := it.Current()\n    fmt.Println(ev.ID, ev.Type)\n}\nif err := it.Err(); err != nil {\n    return err\n}\n```\n\n`Limit` defaults to 20 and is capped at 200.",
            "## Errors\n\nAPI errors are returned as `*larkspur.APIError` with `StatusCode`, `Code` and `RequestID`. Use `errors.As` to inspect them. A cancelled `context.Context` returns `context.Canceled` without a request ID.",
        ],
        "filler": "## {topic} (since v3.{code})\n\n```go\n// see examples/{code}_test.go\n```\n\nThis section covers {topic}; the behaviour changed in {month} and older clients keep it for {years} minor versions.",
        "topics": [
            "retries of POST calls",
            "request timeouts",
            "paging through events",
            "handling API errors",
            "choosing a region",
        ],
        "facts": [
            "the default client timeout",
            "the maximum page size",
            "the Go version the SDK needs",
            "how many times an idempotent call is retried",
        ],
    },
    {
        "id": "tf_provider",
        "lang": "en",
        "instructions": [
            "You answer questions about the Nimbus Terraform provider from the documentation the user provides.",
            "Infrastructure docs helper. Only use the provider documentation in the message.",
        ],
        "sections": [
            '# nimbus_bucket (Resource)\n\nManages an object storage bucket.\n\n## Example Usage\n\n```hcl\nresource "nimbus_bucket" "logs" {\n  name          = "acme-logs"\n  location      = "fra1"\n  storage_class = "STANDARD"\n  force_destroy = false\n\n  lifecycle_rule {\n    age_days = 90\n    action   = "ARCHIVE"\n  }\n}\n```',
            "## Argument Reference\n\n- `name` - (Required) Globally unique name, 3-63 characters. Changing it forces a new resource.\n- `location` - (Required) One of `fra1`, `ams3`, `nyc2`.\n- `storage_class` - (Optional) `STANDARD` (default), `COOL` or `ARCHIVE`.\n- `force_destroy` - (Optional) Delete all objects when the bucket is destroyed. Defaults to `false`.\n- `versioning` - (Optional) Block with `enabled` (bool). Versioning cannot be disabled once enabled, only suspended.",
            "## Attributes Reference\n\n- `id` - The bucket name.\n- `endpoint` - The S3-compatible endpoint, e.g. `https://fra1.nimbus-storage.example`.\n- `created_at` - RFC 3339 timestamp.",
            "## Import\n\nBuckets can be imported by name:\n\n```sh\nterraform import nimbus_bucket.logs acme-logs\n```\n\nLifecycle rules are not imported; add them to the configuration by hand after the import.",
        ],
        "filler": "## {topic}\n\n```hcl\n# example {code}\n```\n\nNotes on {topic}: available since provider v1.{code} ({month}); state is refreshed every {years} minutes in Nimbus Cloud.",
        "topics": [
            "force_destroy",
            "importing an existing bucket",
            "lifecycle rules",
            "versioning",
            "renaming a bucket",
        ],
        "facts": [
            "the default storage_class",
            "the allowed length of a bucket name",
            "the default of force_destroy",
            "the locations a bucket can be in",
        ],
    },
    {
        "id": "bank_html",
        "lang": "en",
        "instructions": [
            "You are Kestrel Bank's in-app help. Use the help articles the customer pastes or that are included below.",
            "Kestrel Bank support assistant: answer from the help-centre HTML provided.",
        ],
        "sections": [
            '<article id="kb-card-freeze">\n  <h2>Freezing your card</h2>\n  <p>You can freeze a card in the app under <strong>Cards &gt; Manage &gt; Freeze</strong>. A frozen card declines new payments, but subscriptions already authorised may still go through for up to <em>7 days</em>.</p>\n  <ol>\n    <li>Open the Cards tab.</li>\n    <li>Pick the card and tap <strong>Freeze</strong>.</li>\n    <li>Unfreeze at any time; nothing is reissued.</li>\n  </ol>\n</article>',
            '<article id="kb-transfer-limits">\n  <h2>Transfer limits</h2>\n  <table>\n    <tr><th>Account</th><th>Per transfer</th><th>Per day</th></tr>\n    <tr><td>Everyday</td><td>&euro;5,000</td><td>&euro;10,000</td></tr>\n    <tr><td>Premium</td><td>&euro;25,000</td><td>&euro;50,000</td></tr>\n  </table>\n  <p>Limits reset at midnight CET. Raising a limit takes one business day.</p>\n</article>',
            '<article id="kb-chargeback">\n  <h2>Disputing a card payment</h2>\n  <p>Open the payment, tap <strong>Something wrong?</strong> and choose <em>Dispute</em>. Disputes must be raised within <strong>120 days</strong> of the payment. We reply within 10 business days; a temporary credit may appear meanwhile.</p>\n</article>',
            '<article id="kb-joint">\n  <h2>Joint accounts</h2>\n  <p>Both holders have full access. Closing a joint account needs both holders to confirm in the app.</p>\n</article>',
        ],
        "filler": '<article id="kb-{code}">\n  <h2>{topic}</h2>\n  <p>More about {topic}. Updated {month}; the feature has been available for {years} years.</p>\n</article>',
        "topics": [
            "freezing a card",
            "transfer limits",
            "disputing a card payment",
            "closing a joint account",
            "subscriptions on a frozen card",
        ],
        "facts": [
            "the daily transfer limit of an Everyday account",
            "the deadline for disputing a card payment",
            "how long a raise of the limit takes",
            "the article id about joint accounts",
        ],
    },
    {
        "id": "openapi",
        "lang": "en",
        "instructions": [
            "You help partners integrate the Tidewater Bookings API. Answer from the OpenAPI description supplied.",
            "Partner-integration helper. The spec is in the user's message; do not guess fields it does not define.",
        ],
        "sections": [
            "openapi: 3.0.3\ninfo:\n  title: Tidewater Bookings API\n  version: 2.4.0\n  description: |\n    Create and manage boat-tour bookings. All times are UTC.\n    Rate limit: 60 requests per minute per partner key.\nservers:\n  - url: https://api.tidewater.example/v2",
            "paths:\n  /bookings:\n    post:\n      summary: Create a booking\n      description: A booking is held for 15 minutes until it is confirmed.\n      requestBody:\n        required: true\n        content:\n          application/json:\n            schema:\n              $ref: '#/components/schemas/NewBooking'\n      responses:\n        '201': {description: Booking held}\n        '409': {description: Tour sold out}",
            "  /bookings/{id}/confirm:\n    post:\n      summary: Confirm a held booking\n      description: Charges the card on file. A booking that is not confirmed within 15 minutes is released.\n  /bookings/{id}:\n    delete:\n      summary: Cancel a booking\n      description: Free cancellation up to 48 hours before departure; later cancellations are charged 50%.",
            "components:\n  schemas:\n    NewBooking:\n      type: object\n      required: [tour_id, guests, lead_name]\n      properties:\n        tour_id: {type: string}\n        guests: {type: integer, minimum: 1, maximum: 12}\n        lead_name: {type: string}\n        notes: {type: string, maxLength: 500}",
        ],
        "filler": "  /x-{code}:\n    get:\n      summary: {topic}\n      description: Internal endpoint for {topic}, deprecated since {month}; removed after {years} releases.",
        "topics": [
            "holding and confirming a booking",
            "cancellation fees",
            "the rate limit",
            "sold-out tours",
            "the guest count",
        ],
        "facts": [
            "how long a booking is held",
            "the maximum number of guests",
            "the rate limit per partner key",
            "the free-cancellation window",
        ],
    },
    {
        "id": "py_lib",
        "lang": "en",
        "instructions": [
            "You are the gridcat documentation assistant. Users paste reference pages; answer from them.",
            "Answer Python questions about gridcat from the reference page given.",
        ],
        "sections": [
            'gridcat.render\n==============\n\n.. code-block:: python\n\n   import gridcat\n   print(gridcat.render(rows, headers="firstrow", style="rounded"))\n\n``render(rows, headers=(), style="plain", align="auto", max_width=None)``\n\nRenders a table as text. ``rows`` is any iterable of iterables.',
            'Parameters\n----------\n\nheaders : sequence or "firstrow" or "keys"\n    Column titles. ``"keys"`` uses dict keys.\nstyle : str\n    One of ``plain``, ``rounded``, ``markdown``, ``html``. Default ``plain``.\nalign : str\n    ``auto`` right-aligns numbers and left-aligns text.\nmax_width : int or None\n    Wraps cells wider than this many characters. ``None`` never wraps.',
            "Notes\n-----\n\nWide Unicode characters (CJK, emoji) count as two columns when ``gridcat[wide]`` is installed; otherwise as one, which misaligns tables. ``render`` never truncates cells.\n\n.. versionchanged:: 2.0\n   ``style`` replaced the old ``fmt`` argument, which was removed in 2.2.",
            'Examples\n--------\n\n>>> gridcat.render([["a", 1], ["bb", 22]], style="markdown")\n\'| a  |  1 |\\n| bb | 22 |\'',
        ],
        "filler": "gridcat.{topic_slug}_{code}\n------------------\n\n.. code-block:: python\n\n   gridcat.helpers.f{code}(rows)\n\nHelper for {topic}. Added in {month}; kept for {years} releases.",
        "topics": [
            "wrapping long cells",
            "emoji and CJK alignment",
            "the old fmt argument",
            "using dict keys as headers",
            "markdown output",
        ],
        "facts": [
            "the default style",
            "what max_width=None does",
            "the version that removed fmt",
            "the extra needed for wide characters",
        ],
    },
    {
        "id": "router_de",
        "lang": "de",
        "instructions": [
            "Du bist der Hilfe-Assistent für den Wolkenfunk 7 Router. Antworte anhand der Hilfeseiten, die der Kunde einfügt.",
            "Support für Wolkenfunk-Router. Nutze nur den eingefügten HTML-Hilfetext.",
        ],
        "sections": [
            '<section class="hilfe" id="gastzugang">\n<h3>Gastzugang einrichten</h3>\n<p>Im Menü <b>WLAN &gt; Gastzugang</b> aktivieren Sie ein eigenes Netz für Gäste. Gäste sehen Ihre Geräte nicht. Der Zugang kann nach <i>1, 6 oder 24 Stunden</i> automatisch enden.</p>\n</section>',
            '<section class="hilfe" id="firmware">\n<h3>Firmware aktualisieren</h3>\n<ol><li>System &gt; Update öffnen.</li><li>„Jetzt prüfen“ wählen.</li><li>Während des Updates (ca. 4 Minuten) den Router nicht ausschalten.</li></ol>\n<p>Automatische Updates laufen nachts zwischen 3 und 5 Uhr.</p>\n</section>',
            '<section class="hilfe" id="kindersicherung">\n<h3>Kindersicherung</h3>\n<p>Pro Gerät lassen sich Online-Zeiten und Filterlisten festlegen. Maximal <b>32 Profile</b>.</p>\n</section>',
            '<section class="hilfe" id="werksreset">\n<h3>Auf Werkseinstellungen zurücksetzen</h3>\n<p>Reset-Taste 10 Sekunden gedrückt halten. Alle Einstellungen und das WLAN-Passwort gehen verloren.</p>\n</section>',
        ],
        "filler": '<section class="hilfe" id="s{code}">\n<h3>{topic}</h3>\n<p>Weitere Hinweise zu {topic}, Stand {month}, gültig für Firmware {years}.{code}.</p>\n</section>',
        "topics": [
            "den Gastzugang",
            "das Firmware-Update",
            "die Kindersicherung",
            "den Werksreset",
            "automatische Updates",
        ],
        "facts": [
            "die Dauer eines Firmware-Updates",
            "die maximale Zahl der Profile der Kindersicherung",
            "die Uhrzeit der automatischen Updates",
            "wie lange die Reset-Taste gedrückt werden muss",
        ],
    },
    {
        "id": "backup_fr",
        "lang": "fr",
        "instructions": [
            "Tu es l'assistant de documentation de l'outil archivo. Réponds à partir de la documentation collée par l'utilisateur.",
            "Aide aux utilisateurs d'archivo : appuie-toi uniquement sur la doc fournie.",
        ],
        "sections": [
            "## Sauvegarder un dossier\n\n```sh\narchivo save ~/projets --dest s3://sauvegardes/poste-12 --chiffrer\n```\n\nLa première sauvegarde est complète ; les suivantes sont incrémentales. Le chiffrement utilise AES-256 et la phrase secrète n'est jamais envoyée.",
            "## Rétention\n\nPar défaut, archivo garde 7 sauvegardes quotidiennes, 4 hebdomadaires et 12 mensuelles. Modifiez-le avec `--garder 7j,4s,12m`. La commande `archivo prune` applique la rétention ; elle est irréversible.",
            "## Restaurer\n\n```sh\narchivo restore poste-12@2026-11-30 --vers /tmp/restauration\n```\n\nSans `--vers`, les fichiers sont restaurés à leur emplacement d'origine et les fichiers existants sont remplacés.",
            "## Variables d'environnement\n\n| variable | rôle |\n|---|---|\n| `ARCHIVO_PASSPHRASE` | phrase secrète |\n| `ARCHIVO_THREADS` | nombre de fils (défaut 4) |\n| `ARCHIVO_CACHE` | dossier de cache (défaut `~/.cache/archivo`) |",
        ],
        "filler": "## {topic} ({code})\n\n```sh\narchivo aide {code}\n```\n\nDétails sur {topic}, mis à jour en {month}, valables depuis la version {years}.{code}.",
        "topics": [
            "la rétention",
            "la restauration",
            "le chiffrement",
            "la commande prune",
            "les sauvegardes incrémentales",
        ],
        "facts": [
            "le nombre de fils par défaut",
            "la rétention mensuelle par défaut",
            "l'algorithme de chiffrement",
            "le dossier de cache par défaut",
        ],
    },
    {
        "id": "sql_es",
        "lang": "es",
        "instructions": [
            "Eres el asistente de documentación de Tablero. Responde con la documentación que pegue el usuario.",
            "Ayuda sobre Tablero: usa solo la documentación incluida en el mensaje.",
        ],
        "sections": [
            "### Vistas materializadas\n\n```sql\nCREATE MATERIALIZED VIEW ventas_diarias AS\nSELECT fecha, tienda, SUM(importe) AS total\nFROM ventas GROUP BY fecha, tienda\nWITH (refresco = '15 min');\n```\n\nEl refresco mínimo es de 5 minutos. Una vista se actualiza de forma incremental si su consulta no usa `DISTINCT` ni funciones de ventana.",
            "### Cuotas\n\n| plan | consultas simultáneas | filas por exportación |\n|---|---|---|\n| Básico | 4 | 100.000 |\n| Equipo | 16 | 1.000.000 |\n| Empresa | 64 | sin límite |\n\nAl superar la cuota, las consultas esperan en cola hasta 60 segundos y después fallan con `E_CUOTA`.",
            "### Permisos\n\n```sql\nGRANT SELECT ON ventas_diarias TO rol_analistas;\n```\n\nLos permisos se heredan de la base al esquema, no del esquema a las vistas.",
            "### Zonas horarias\n\nTodas las marcas de tiempo se guardan en UTC. `AT TIME ZONE 'Europe/Madrid'` convierte al mostrar.",
        ],
        "filler": "### {topic} ({code})\n\n```sql\n-- ejemplo {code}\nSELECT 1;\n```\n\nNotas sobre {topic}, revisadas en {month}; válidas desde la versión {years}.",
        "topics": [
            "las vistas materializadas",
            "las cuotas del plan",
            "los permisos de las vistas",
            "las zonas horarias",
            "el refresco incremental",
        ],
        "facts": [
            "el refresco mínimo de una vista",
            "las consultas simultáneas del plan Equipo",
            "el código de error al superar la cuota",
            "cuánto espera una consulta en cola",
        ],
    },
]

_MONTHS = ["February", "May", "July", "September", "December"]


def _page(
    doc: dict[str, Any], rng: random.Random, size: int, months: Sequence[str] = _MONTHS
) -> str:
    """The page's sections, padded with filler sections to about ``size`` characters (a
    filler may name its topic, a slug of it, a code, one of ``months`` and a number of
    years; round 13's pages give months in their own language)."""
    sections = list(doc["sections"])
    while sum(len(s) for s in sections) < size:
        topic = rng.choice(doc["topics"])
        sections.append(
            doc["filler"].format(
                topic=topic,
                topic_slug="_".join(topic.split()[:2]),
                code=rng.randrange(10, 99),
                month=rng.choice(months),
                years=rng.randrange(2, 9),
            )
        )
    rng.shuffle(sections)
    return "\n\n".join(sections)


# English asks are drawn over 4 of the 5 English pages; local asks over the page in their
# language.
DOC_ASKS: dict[str, list[str]] = {
    "rag_qa": [
        "Quick one: what's the right way to handle {topic}? Pasting the relevant docs.",
        "Can you tell me, from this page, what happens with {topic} and what I'd need to change in my setup?",
        "I've read this twice and still don't get {topic}. What is it actually saying?",
        "Our on-call asked about {topic}. Going by the docs below, what's the answer, and is there any catch?",
        "{topic} - is there a recommended approach here or does it depend? Docs attached.",
        "Help me understand {topic} from these docs: what are the steps and what can go wrong?",
    ],
    "summarize": [
        "Summarize this page in 5 bullets for someone who has never used it.",
        "Give me a short overview of what these docs cover - one paragraph, no code.",
        "What's the gist of this page? A few sentences I can forward to my team lead.",
        "Boil this documentation down to the three things a newcomer must know.",
    ],
    "extract": [
        "What's {fact} according to this? Just the value.",
        'Pull {fact} out of the page below and give it back as JSON: {{"value": ..., "where": ...}}',
        "List every option or parameter named in these docs with its default, one per line, nothing else.",
        "I only need {fact}. No explanation.",
    ],
}

LOCAL_DOC_ASKS: dict[str, dict[str, list[str]]] = {
    "rag_qa": {
        "de": [
            "Wie läuft das mit {topic} laut dieser Hilfeseite, und worauf muss ich achten?",
            "Mein Nachbar fragt, was bei {topic} schiefgehen kann. Was sagt die Hilfe dazu?",
        ],
        "fr": [
            "En lisant cette doc, comment je m'y prends pour {topic} ? Et qu'est-ce qui peut coincer ?",
            "Un collègue me demande ce qu'il faut savoir sur {topic}. Tu peux lui expliquer avec cette doc ?",
        ],
        "es": [
            "Con esta documentación, ¿cómo funciona {topic} y qué errores son típicos?",
            "¿Por qué {topic} podría dar problemas en producción? Explícamelo con lo que dice la doc.",
        ],
    },
    "summarize": {
        "de": ["Fass mir die Seite kurz in drei Sätzen zusammen."],
        "fr": ["Fais-moi un résumé de cette page en quelques puces."],
        "es": ["Resúmeme esta página en cuatro viñetas."],
    },
    "extract": {
        "de": ["Welcher Wert gilt für {fact}? Nur die Zahl bzw. den Wert."],
        "fr": ["Quel est {fact} ? Donne uniquement la valeur."],
        "es": ["¿Cuál es {fact}? Solo el valor, sin explicación."],
    },
}

_DIVIDERS = ["\n\n---\n", "\n\nHere's the page:\n\n", "\n\n", "\n\n=== docs ===\n"]


def _doc_request(doc: dict[str, Any], ask: str, rng: random.Random) -> Request:
    """The documentation pasted in the user turn after the ask (the shape that went to
    routine_code), before it, or under a service's instruction in the system prompt."""
    page = _page(doc, rng, rng.choice([1500, 3000, 5000]))
    shape = rng.random()
    if shape < 0.45:
        return {"messages": [_text("user", f"{ask}{rng.choice(_DIVIDERS)}{page}")]}
    if shape < 0.65:
        return {"messages": [_text("user", f"{page}\n\n{ask}")]}
    if shape < 0.9:
        return {
            "system": [{"text": rng.choice(doc["instructions"])}],
            "messages": [_text("user", f"{ask}\n\n{page}")],
        }
    return {
        "system": [{"text": f"{rng.choice(doc['instructions'])}\n\n{page}"}],
        "messages": [_text("user", ask)],
    }


def _doc_rows(rng: random.Random, per: int = 4) -> Iterator[dict[str, Any]]:
    for cls, wordings in DOC_ASKS.items():
        for i, wording in enumerate(wordings):
            for doc in rng.sample([d for d in DOC_PAGES if d["lang"] == "en"], per):
                ask = wording.format(topic=rng.choice(doc["topics"]), fact=rng.choice(doc["facts"]))
                yield {
                    "class": cls,
                    "template": f"r12-docs-{cls}-{i}",
                    "source": "team-templates",
                    "material": f"r12-{doc['id']}",
                    "request": _doc_request(doc, ask[:1].upper() + ask[1:], rng),
                }
    for cls, by_lang in LOCAL_DOC_ASKS.items():
        for lang, wordings in by_lang.items():
            doc = next(d for d in DOC_PAGES if d["lang"] == lang)
            for i, wording in enumerate(wordings):
                for _ in range(3):
                    ask = wording.format(
                        topic=rng.choice(doc["topics"]), fact=rng.choice(doc["facts"])
                    )
                    yield {
                        "class": cls,
                        "template": f"r12-docs-{cls}-{lang}-{i}",
                        "source": "team-templates",
                        "material": f"r12-{doc['id']}",
                        "request": _doc_request(doc, ask, rng),
                    }


# --- agents: asked to propose a plan, told to act in verbs no set holds, or asked to look --

AGENTS_R12: list[dict[str, Any]] = [
    {
        "id": "cdn",
        "systems": [
            "You operate the Fernway CDN for the web team. Configuration changes reach every edge location within a minute.",
            "You are the edge operations assistant.",
        ],
        "tools": [
            ("edge_api", "Call the CDN's admin API with a method, a path and a JSON body."),
            ("get_zone", "Cache rules and hit ratio of a zone."),
            ("edge_logs", "Recent edge request logs of a zone."),
        ],
        "read": (
            "get_zone",
            {"zone": "shop.example"},
            {"hit_ratio": 0.87, "rules": 41, "legacy_rules": 6},
        ),
        "propose": [
            "Propose a purge order for the 14 zones so the origin doesn't get hammered, and say what to watch between batches.",
            "Plan how we shift traffic off the Frankfurt PoP before Thursday's maintenance: the steps, the timing and a way back.",
            "Schlag eine Reihenfolge vor, in der wir die alten Cache-Regeln entfernen, mit dem Risiko jedes Schritts.",
        ],
        "act": [
            "Dial eu-west-2 back to 20% of traffic?",
            "Blackhole requests from AS64512 on every zone.",
            "Coupe le trafic vers le PoP de Marseille.",
            "Den Cache von shop.example komplett leerräumen?",
        ],
        "read_only": [
            "What's the hit ratio on shop.example this week?",
            "Which zones still use legacy cache rules?",
            "¿Cuántas peticiones recibió ayer el PoP de Madrid?",
        ],
    },
    {
        "id": "fleet",
        "systems": [
            "You manage firmware for 180,000 Halvard smart thermostats. A bad build can leave devices unable to heat.",
            "You help the device team with firmware cohorts.",
        ],
        "tools": [
            ("firmware_ops", "Stage, promote or recall firmware builds for device cohorts."),
            ("device_info", "Model, firmware and last check-in of a device."),
            ("cohort_stats", "Devices per cohort and firmware version."),
        ],
        "read": (
            "cohort_stats",
            {"cohort": "B"},
            {"devices": 41200, "on_7_3_1": 39870, "offline": 312},
        ),
        "propose": [
            "Propose a rollout plan for firmware 7.4.0 across the four cohorts: the order, how long each soaks, and what would make you stop.",
            "Outline how we'd recall 7.3.1 if the battery bug is confirmed - which cohorts first and how we tell customers.",
            "Propose un calendrier de déploiement du firmware 7.4.0 par cohorte, avec les risques de chaque étape.",
        ],
        "act": [
            "Bump cohort-c up to 7.4.0 tonight?",
            "Quarantine devices that failed the last two check-ins.",
            "Da de baja los 40 termostatos del almacén de Getafe.",
            "Firmware 7.3.1 bei Kohorte B zurückziehen?",
        ],
        "read_only": [
            "How many devices are still on 7.3.1?",
            "When did TH-88213 last check in?",
            "Welche Kohorte hat gerade die meisten Geräte offline?",
        ],
    },
    {
        "id": "wms",
        "systems": [
            "You run stock operations in Corvid Supply's warehouse management system. Write-offs post straight to the general ledger.",
            "You are the inventory assistant for the Leeds, Bristol and Verona warehouses.",
        ],
        "tools": [
            ("stock_moves", "Write off, reallocate or quarantine stock across warehouses."),
            ("stock_level", "On-hand and reserved units of a SKU."),
            ("movement_log", "Stock movements of a SKU."),
        ],
        "read": (
            "stock_level",
            {"sku": "88-4410"},
            {"on_hand": 1290, "reserved": 312, "damaged": 312},
        ),
        "propose": [
            "Suggest a schedule for writing off this quarter's expired stock so it doesn't all land in one month's margin.",
            "Plan the transfer of slow-moving SKUs from Leeds to Bristol: which go first, what it costs and what could go wrong.",
            "Proponha uma ordem para transferir o stock de Leeds para Bristol, com os riscos de cada passo.",
        ],
        "act": [
            "Write off the 312 damaged units of SKU 88-4410.",
            "Reallocate stock from Leeds to Bristol for every SKU under 5 units?",
            "Sposta tutte le scorte del magazzino di Verona su Bologna.",
            "Lot L-2291 in quarantaine zetten?",
        ],
        "read_only": [
            "How many units of 88-4410 are reserved?",
            "Which SKUs moved most last week?",
            "Quanti pezzi del lotto L-2291 sono ancora a Verona?",
        ],
    },
    {
        "id": "dns",
        "systems": [
            "You administer Acme's domains and DNS at the registrar. A wrong record takes the site or the mail down for everyone.",
            "You are the DNS assistant of the infrastructure team.",
        ],
        "tools": [
            ("registrar_cli", "Run a registrar CLI command and return its output."),
            ("whois_lookup", "Registration and expiry of a domain."),
            ("zone_records", "DNS records of a zone."),
        ],
        "read": (
            "zone_records",
            {"zone": "example.net"},
            {"A": ["203.0.113.7"], "MX": ["mx1.oldmail.example"], "ttl": 3600},
        ),
        "propose": [
            "Propose a cutover order for moving our 30 domains to the new registrar, with what to check before each batch.",
            "Plan how we'd migrate DNS for example.net without downtime: the TTL changes, the order and how we'd undo it.",
            "Proponi un ordine per trasferire i domini al nuovo registrar, con i rischi di ogni passaggio.",
        ],
        "act": [
            "Repoint api.example.net at the new load balancer?",
            "Let oldbrand.com lapse at renewal.",
            "Cut mail over to the new provider for example.net.",
            "Lass die Domain altmarke.de auslaufen?",
        ],
        "read_only": [
            "When does oldbrand.com expire?",
            "Which records still point to the old load balancer?",
            "Combien de domaines expirent avant mars ?",
        ],
    },
    {
        "id": "grants",
        "systems": [
            "You handle research-grant finance for Calder University. Postings are reported to the funders each month.",
            "You assist the grants office with budgets and ledgers.",
        ],
        "tools": [
            ("finance_api", "Call the finance system's API (method, path, body)."),
            ("grant_info", "Budget, spend and end date of a grant."),
            ("ledger_lines", "Ledger lines of a grant."),
        ],
        "read": (
            "grant_info",
            {"grant": "G-4471"},
            {"budget": 480000, "spent": 431250, "ends": "2026-12-31"},
        ),
        "propose": [
            "Draft a plan for closing out the 2024 grants: the order, who signs off, and what we do with overspends.",
            "Propose how to spread the leftover travel budget across the five grants before year end, with the trade-offs.",
            "Sugiere un plan para cerrar las subvenciones de 2024 y qué hacer con los saldos que sobren.",
        ],
        "act": [
            "Sweep the unspent balance of G-4471 back to the faculty pool?",
            "Close out every grant that ended before 2025.",
            "Reverse the October overhead charges on G-5120?",
            "Schieb die Restmittel von G-4471 auf das Folgeprojekt.",
        ],
        "read_only": [
            "How much is left on G-4471?",
            "Which grants end this quarter?",
            "¿Quién aprobó el cargo de octubre en G-5120?",
        ],
    },
    {
        "id": "serving",
        "systems": [
            "You run model serving for Quarry's recommendation team. Endpoint changes hit live traffic immediately.",
            "You are the ML platform assistant.",
        ],
        "tools": [
            ("serving_admin", "Swap, sunset or throttle model endpoints."),
            ("endpoint_info", "Model version, traffic share and latency of an endpoint."),
            ("eval_report", "Offline evaluation metrics of a model version."),
        ],
        "read": (
            "endpoint_info",
            {"endpoint": "ranker-prod"},
            {"version": "v18", "traffic": 1.0, "p95_ms": 84},
        ),
        "propose": [
            "Propose a canary plan for moving ranker-prod to v19: the traffic steps, which metrics gate each step, and when you'd roll back.",
            "Outline the order in which to sunset the v3 endpoints and whom to warn first.",
            "Schlag vor, wie wir churn-v3 abschalten, ohne dass die Dashboards brechen: Schritte und Risiken.",
        ],
        "act": [
            "Swap ranker-prod over to v19?",
            "Sunset the churn-v3 endpoint today.",
            "Throttle every free-tier key to 5 rps?",
            "Zet ranker-prod terug naar v18.",
        ],
        "read_only": [
            "What's the p95 latency on ranker-prod?",
            "Which version serves most traffic right now?",
            "Hoe presteert v19 op de offline eval?",
        ],
    },
]


def _propose_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for agent in AGENTS_R12:
        for task in agent["propose"]:
            for loop in (False, True):
                yield {
                    "class": "complex_analysis",
                    "template": f"r12-propose-{agent['id']}-complex_analysis",
                    "source": "team-templates",
                    "request": _agent_request(agent, task, rng.choice(agent["systems"]), loop, rng),
                }


# --- plans vs memos ---------------------------------------------------------------------
# Planning and design that must order, weigh and choose (complex_analysis), and memos and
# notes that announce a plan already made (content_writing), with the same words on both
# sides.

PLAN_MEMO_ASKS: dict[str, list[str]] = {
    "complex_analysis": [
        "We have to move 40 services off the old Kubernetes cluster by June. Sketch the migration plan: which go first, what blocks what, and where we'd want a checkpoint we can roll back to.",
        "Plan next year's hiring for the data team under two budgets (flat, or +15%): which roles first, and what we give up in each case.",
        "Design the on-call rotation for a 7-person team across two time zones; weigh fairness against coverage and tell me which setup you'd pick.",
        "How should we phase out the legacy mobile app? I need a timeline, who gets hurt, how we keep the holdouts, and the order of the steps.",
        "Erarbeite einen Plan, wie wir die drei Rechenzentren auf zwei zusammenlegen: Reihenfolge, Risiken, und was wir tun, wenn der Umzug im Sommer stockt.",
        "Propón un plan para pasar la facturación a un nuevo proveedor sin cortar el servicio: fases, riesgos y qué harías si falla la primera fase.",
        "Monte un plan de transition pour passer le support en 24/7 : quelles options, combien ça coûte, et laquelle tu choisirais.",
    ],
    "content_writing": [
        "Write a memo to the engineering org announcing that the cluster migration plan was approved and starts on 3 March; keep it upbeat and point to the FAQ.",
        "Draft a note to customers: our new billing system goes live on Monday, nothing changes for them, invoices will just look a little different.",
        "Turn these points into a friendly memo for the warehouse staff: new shift plan from May, sign-up sheet in the canteen, questions to Marta.",
        "Schreib eine kurze Mitteilung an alle: Der Umzugsplan steht, ab 1. April sitzen wir in Halle B.",
        "Rédige un petit mot pour l'équipe : le planning des astreintes de janvier est en ligne, merci de le vérifier d'ici vendredi.",
        "Escribe un comunicado breve para los clientes anunciando el nuevo horario de atención a partir de enero.",
    ],
}


def _plan_memo_rows(rng: random.Random, draws: int = 3) -> Iterator[dict[str, Any]]:
    for cls, wordings in PLAN_MEMO_ASKS.items():
        for i, wording in enumerate(wordings):
            for request in distinct(_shaped(wording, rng) for _ in range(draws)):
                yield {
                    "class": cls,
                    "template": f"r12-plan-{cls}-{i}",
                    "source": "team-templates",
                    "request": request,
                }


def round12_rows(seed: int = 1212) -> Iterator[dict[str, Any]]:
    """All round-12 rows (deterministic)."""
    rng = random.Random(seed)
    yield from _doc_rows(rng)
    yield from _propose_rows(rng)
    yield from agent_rows(rng, AGENTS_R12, "r12")
    yield from _plan_memo_rows(rng)

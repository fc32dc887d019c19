"""Team-written requests for the class corpus, round 13 of issue 12: the misroutes round 12
left, written as a test set before any router change of round 13.

Three groups, each on material, agents, domains and wordings no earlier round used:

- **Documentation in German, Spanish and Italian pasted beside a question**
  (``r13-docs-<class>-<lang>-<i>``, material ``r13-<id>``): after round 12, documentation
  pasted with a question in German went right 0 of 12 times and in Spanish 1 of 12 (English
  and French pages were read as documentation). Six invented pages: a German accounting
  CLI's docs in markdown with shell commands, a German dishwasher manual in numbered title
  lines, a Spanish parcel API's docs in markdown with curl, a Spanish e-bike shop's help
  centre in HTML, an Italian booking widget's docs in markdown with HTML snippets, and an
  Italian coffee grinder's manual in title lines. Asks in the page's language: open
  questions (``rag_qa``), overviews (``summarize``) and values (``extract``).
- **Overviews of code and code-heavy pages** (``r13-code-*``, material ``r13-<id>``): asking
  what a pasted module, script or code-heavy page does, for a reader, went to
  ``routine_code`` (5 of round 12's 25 overviews). Five pasted programs (a Python billing
  module, a React hook, a Go HTTP middleware file, a bash deploy script, a SQL migration)
  with asks for an explanation or overview of what they do (``summarize``), and on the same
  material asks to change the code (``routine_code``) or find why it fails (``code_debug``),
  in English, German, French and Spanish.
- **Actions in verbs no list holds** (``r13-agent-<agent>-*``): 6 new agents (city parking
  permits, a clinical lab's sample system, subscription billing, a game's live operations,
  a school's learning platform, an airline's fleet desk) told to change state in verbs on no
  list of ``core/signals.py``, ``core/tool_risk.py`` or ``core/instruction_verbs.py`` and in
  no act row of an earlier round, in the forms round 12 still misread - a bare noun or
  plural after the verb ("Void permits that ..."), a light verb ("Have the Zone 4 permits
  run out"), a particle after a name with no digit ("Roll the ladder back to ..."), a
  verb-last question, several languages (``high_stakes_agent``), and questions and
  noun-led status asks with the same tools (``agent_step``); first turn and mid-loop.

Nothing was copied from an acceptance set or from the wordings of an earlier round; no
wording is shared between two templates. Each wording (or agent and class) is its own
template id, so evaluation holds out wordings.
"""

# ruff: noqa: E501 - wordings, documentation, code and tool specs are data
from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from tierwise.router.class_round3 import _text, agent_rows
from tierwise.router.class_round12 import _page

__all__ = ["AGENTS_R13", "CODE_MATERIALS", "DOC_PAGES_R13", "round13_rows"]

Request = dict[str, Any]

# --- documentation in German, Spanish and Italian ------------------------------------------

DOC_PAGES_R13: list[dict[str, Any]] = [
    {
        "id": "kassenbuch_de",
        "lang": "de",
        "instructions": [
            "Du beantwortest Fragen zum Kommandozeilenwerkzeug kassenbuch. Halte dich an die Doku, die der Nutzer einfügt.",
            "Hilfe für kassenbuch-Nutzer. Verwende nur die mitgeschickte Dokumentation.",
        ],
        "sections": [
            '# kassenbuch\n\nEin Werkzeug für die Kassenbuchführung kleiner Betriebe. Es schreibt GoBD-konforme Journale als CSV.\n\n```sh\npip install kassenbuch\nkassenbuch init --firma "Bäckerei Lenz"\n```',
            '## Buchungen erfassen\n\n```sh\nkassenbuch buchen 12,50 --konto 8400 --text "Brötchen"\n```\n\nBeträge stehen mit Komma. Eine Buchung kann nicht gelöscht, nur storniert werden (`kassenbuch storno NR`). Das Storno erscheint als eigene Zeile.',
            "## Tagesabschluss\n\nDer Befehl `kassenbuch abschluss` sperrt den Tag. Danach sind keine Buchungen mit diesem Datum mehr möglich. Der Abschluss muss bis 23:59 Uhr des Folgetags erfolgen, sonst warnt das Werkzeug beim Start.",
            "## Export für den Steuerberater\n\n```sh\nkassenbuch export --jahr 2026 --format datev > export.csv\n```\n\nUnterstützte Formate: `datev`, `csv`, `pdf`. Der DATEV-Export enthält Belegnummern erst ab Version 2.3.",
            "## Konfiguration\n\n| Schlüssel | Bedeutung | Standard |\n|---|---|---|\n| `waehrung` | Währung | `EUR` |\n| `runden` | Rundung auf 5 Cent | `aus` |\n| `sicherung` | tägliche Sicherung | `an` |",
        ],
        "filler": "## {topic} (ab Version 2.{code})\n\n```sh\nkassenbuch hilfe {code}\n```\n\nWeitere Hinweise zum Thema {topic}. Geändert im {month}; ältere Versionen behalten das Verhalten noch {years} Monate.",
        "topics": [
            "Tagesabschluss",
            "Stornos",
            "DATEV-Export",
            "Rundung auf 5 Cent",
            "tägliche Sicherung",
        ],
        "facts": [
            "die Standardwährung",
            "die Frist für den Tagesabschluss",
            "die unterstützten Exportformate",
            "die Version mit Belegnummern im DATEV-Export",
        ],
    },
    {
        "id": "spuele_de",
        "lang": "de",
        "instructions": [
            "Kundendienst für Spülmaschinen der Marke Klarwerk. Antworte nur mit dem, was in der eingefügten Anleitung steht.",
            "Du hilfst Kundinnen mit ihrer Klarwerk-Spülmaschine.",
        ],
        "sections": [
            "1. Erste Inbetriebnahme\nVor dem ersten Spülgang 1 kg Regeneriersalz einfüllen und die Wasserhärte einstellen (Menü > Wasser > Härte). Werkseinstellung ist Stufe 4.",
            "2. Programme\nEco 50 °C dauert 3:45 Std. und spart am meisten Energie. Intensiv 70 °C für Töpfe. Kurz 45 °C in 29 Minuten, nur für leicht verschmutztes Geschirr.",
            "3. Fehlercodes\nE15: Wasser in der Bodenwanne, Gerät vom Strom trennen. E24: Abpumpen gestört, Sieb reinigen. E09: Heizung defekt, Kundendienst rufen.",
            "4. Pflege\nSiebe alle zwei Wochen unter fließendem Wasser reinigen. Einmal im Monat ein leeres Intensivprogramm mit Maschinenreiniger laufen lassen.",
            "5. Garantie\nZwei Jahre Herstellergarantie, fünf Jahre auf den Motor nach Registrierung unter klarwerk.example/garantie.",
        ],
        "filler": "{code}. Hinweis: {topic}\nStand {month}. Dieser Abschnitt gilt für Geräte, die älter als {years} Jahre sind.",
        "topics": [
            "Fehlermeldung E24",
            "Eco-Programm",
            "Pflege der Siebe",
            "Wasserhärte",
            "Garantie",
        ],
        "facts": [
            "die Dauer des Eco-Programms",
            "die Werkseinstellung der Wasserhärte",
            "die Garantie auf den Motor",
            "die Temperatur des Kurzprogramms",
        ],
    },
    {
        "id": "envios_es",
        "lang": "es",
        "instructions": [
            "Eres el asistente para desarrolladores de la API de Envíos Rápidos. Contesta con la documentación que pegue el usuario.",
            "Soporte técnico de Envíos Rápidos: básate solo en la documentación del mensaje.",
        ],
        "sections": [
            '## Autenticación\n\n```bash\ncurl https://api.enviosrapidos.example/v1/envios \\\n  -H "Authorization: Bearer $ER_TOKEN"\n```\n\nLos tokens caducan a las 24 horas. Se renuevan con `POST /v1/token`.',
            '## Crear un envío\n\n```bash\ncurl -X POST https://api.enviosrapidos.example/v1/envios \\\n  -d \'{"peso_kg": 2.5, "destino": "28013"}\'\n```\n\nEl peso máximo es de 30 kg. Los envíos a Canarias y Ceuta requieren el campo `dua`.',
            "## Estados\n\n| estado | significado |\n|---|---|\n| `creado` | etiqueta generada |\n| `en_ruta` | recogido por el repartidor |\n| `entregado` | firmado por el destinatario |\n| `devuelto` | no se pudo entregar tras 3 intentos |",
            "## Webhooks\n\nCada cambio de estado envía un `POST` a tu URL con la cabecera `X-ER-Firma`. Si tu servidor no responde 2xx, reintentamos 5 veces en 6 horas.",
            "## Límites\n\n100 peticiones por minuto por token. Al superarlo se devuelve `429` con la cabecera `Retry-After`.",
        ],
        "filler": "## {topic} ({code})\n\n```bash\ncurl https://api.enviosrapidos.example/v1/x{code}\n```\n\nNotas sobre {topic}, revisadas en {month}; válidas desde la versión {years}.{code}.",
        "topics": [
            "los webhooks",
            "la caducidad de los tokens",
            "los envíos a Canarias",
            "el límite de peticiones",
            "los envíos devueltos",
        ],
        "facts": [
            "el peso máximo de un envío",
            "cuántas veces se reintenta un webhook",
            "el límite de peticiones por minuto",
            "cuándo caduca un token",
        ],
    },
    {
        "id": "bici_es",
        "lang": "es",
        "instructions": [
            "Atiendes a clientes de Pedalea, tienda de bicicletas eléctricas. Usa los artículos de ayuda en HTML que te pasen.",
            "Asistente de posventa de Pedalea.",
        ],
        "sections": [
            '<article id="ayuda-bateria">\n  <h2>Cuidado de la batería</h2>\n  <p>Guarda la batería entre el <strong>30 % y el 60 %</strong> si no vas a usar la bici en invierno. No la cargues por debajo de 0 °C.</p>\n</article>',
            '<article id="ayuda-garantia">\n  <h2>Garantía</h2>\n  <p>El cuadro tiene <strong>5 años</strong> de garantía; el motor y la batería, <strong>2 años</strong> o 500 ciclos de carga.</p>\n</article>',
            '<article id="ayuda-revision">\n  <h2>Primera revisión</h2>\n  <p>Es gratuita a los <em>300 km</em> o a los tres meses. Pide cita en la app o en tienda.</p>\n  <ul><li>Ajuste de frenos</li><li>Tensión de radios</li><li>Actualización del motor</li></ul>\n</article>',
            '<article id="ayuda-devolucion">\n  <h2>Devoluciones</h2>\n  <p>Tienes 30 días si la bici tiene menos de 50 km. El transporte de vuelta corre de nuestra cuenta.</p>\n</article>',
        ],
        "filler": '<article id="ayuda-{code}">\n  <h2>{topic}</h2>\n  <p>Más información sobre {topic}. Actualizado en {month}; disponible desde hace {years} años.</p>\n</article>',
        "topics": [
            "la batería en invierno",
            "la primera revisión",
            "las devoluciones",
            "la garantía del motor",
            "la actualización del motor",
        ],
        "facts": [
            "los años de garantía del cuadro",
            "los kilómetros de la primera revisión",
            "el plazo de devolución",
            "el nivel de carga para guardar la batería",
        ],
    },
    {
        "id": "prenota_it",
        "lang": "it",
        "instructions": [
            "Sei l'assistente per gli sviluppatori del widget Prenotalo. Rispondi dalla documentazione incollata.",
            "Aiuta chi integra Prenotalo usando solo la documentazione del messaggio.",
        ],
        "sections": [
            '## Installazione\n\n```html\n<script src="https://cdn.prenotalo.example/widget.js" defer></script>\n<div id="prenotalo" data-struttura="hotel-sole"></div>\n```\n\nIl widget pesa 38 KB e non usa cookie di terze parti.',
            "## Opzioni\n\n| attributo | valori | predefinito |\n|---|---|---|\n| `data-lingua` | `it`, `en`, `de` | `it` |\n| `data-notti-min` | 1-14 | `1` |\n| `data-colore` | esadecimale | `#0a7` |",
            "## Pagamenti\n\nIl widget chiede una caparra del 30 %. Il saldo si paga in struttura. Le carte American Express sono accettate solo se la struttura le ha abilitate.",
            "## Cancellazioni\n\nGratuite fino a 7 giorni prima dell'arrivo. Dopo, la caparra non viene rimborsata.",
        ],
        "filler": "## {topic} ({code})\n\n```html\n<!-- esempio {code} -->\n```\n\nNote ({topic}), aggiornate a {month}; valide dalla versione {years}.{code}.",
        "topics": [
            "la caparra",
            "le cancellazioni",
            "la lingua del widget",
            "il numero minimo di notti",
            "le carte accettate",
        ],
        "facts": [
            "la percentuale della caparra",
            "il peso del widget",
            "il colore predefinito",
            "il termine per cancellare gratis",
        ],
    },
    {
        "id": "macina_it",
        "lang": "it",
        "instructions": [
            "Assistenza clienti per i macinacaffè Grano. Usa solo il manuale incollato.",
            "Rispondi alle domande sul macinacaffè Grano M2.",
        ],
        "sections": [
            "Regolazione della macinatura\nGira la ghiera in senso orario per una macinatura più fine. Per l'espresso si parte dal livello 8; per la moka dal livello 18.",
            "Pulizia\nSvuota il contenitore e aziona il macinino a vuoto per 10 secondi. Le macine si smontano senza attrezzi; non lavarle in lavastoviglie.",
            "Segnali luminosi\nLuce rossa fissa: contenitore dei chicchi non inserito. Luce rossa lampeggiante: motore surriscaldato, attendi 20 minuti.",
            "Garanzia\nTre anni sul motore, un anno sulle macine. Conserva lo scontrino.",
        ],
        "filler": "Nota {code}: {topic}\nAggiornata a {month}. Vale per gli apparecchi prodotti negli ultimi {years} anni.",
        "topics": [
            "la pulizia delle macine",
            "la luce rossa lampeggiante",
            "la macinatura per la moka",
            "la garanzia",
            "la regolazione per l'espresso",
        ],
        "facts": [
            "il livello di partenza per l'espresso",
            "la garanzia sulle macine",
            "quanto attendere se il motore è surriscaldato",
            "il tempo di funzionamento a vuoto per la pulizia",
        ],
    },
]

DOC_ASKS_R13: dict[str, dict[str, list[str]]] = {
    "rag_qa": {
        "de": [
            "Kurze Frage zum Thema {topic}: Wie gehe ich da vor, und gibt es einen Haken? Die Doku hänge ich unten an.",
            "Ich verstehe das mit {topic} nicht ganz. Kannst du mir anhand des Textes erklären, was passiert?",
            "Unsere Kollegin will wissen, was sie beim Thema {topic} beachten muss. Was steht da drin?",
        ],
        "es": [
            "Oye, ¿cómo va lo de {topic}? Te pego la documentación abajo.",
            "No me queda claro {topic}. ¿Me lo explicas con lo que pone aquí y si hay alguna pega?",
            "Un cliente pregunta por {topic}; según este texto, ¿qué le digo?",
        ],
        "it": [
            "Ho un dubbio su questo punto: {topic}. Come funziona? Ti incollo la documentazione qui sotto.",
            "Un collega chiede cosa succede con {topic}: me lo spieghi in base a questo testo?",
        ],
    },
    "summarize": {
        "de": [
            "Gib mir eine kurze Übersicht, worum es in dieser Doku geht, in drei Stichpunkten.",
            "Worum geht's hier im Großen und Ganzen? Ein Absatz reicht.",
        ],
        "es": [
            "Hazme un resumen breve de esta página para alguien que no la ha usado nunca.",
            "¿De qué va esta documentación, a grandes rasgos? Tres frases como mucho.",
        ],
        "it": ["Riassumi questa pagina in quattro punti per un collega nuovo."],
    },
    "extract": {
        "de": [
            "Wie lautet {fact}? Bitte nur den Wert, keine Erklärung.",
            "Such mir {fact} raus, als JSON mit den Schlüsseln wert und abschnitt.",
        ],
        "es": [
            "Dime {fact}. Solo el dato.",
            "Saca {fact} de la página de abajo y devuélvelo en JSON con las claves valor y seccion.",
        ],
        "it": ["Qual è {fact}? Rispondi solo con il valore."],
    },
}

_MONTHS = {
    "de": ["März", "Juni", "Oktober"],
    "es": ["mayo", "agosto", "noviembre"],
    "it": ["marzo", "giugno", "ottobre"],
}
_DIVIDERS = ["\n\n---\n", "\n\n", "\n\n=== Doku ===\n", "\n\n***\n\n"]


def _doc_request(doc: dict[str, Any], ask: str, rng: random.Random) -> Request:
    """The page pasted after the ask, before it, or with a service's instruction in the
    system prompt (the shapes round 12 measured)."""
    page = _page(doc, rng, rng.choice([1200, 2500, 4500]), _MONTHS[doc["lang"]])
    shape = rng.random()
    if shape < 0.45:
        return {"messages": [_text("user", f"{ask}{rng.choice(_DIVIDERS)}{page}")]}
    if shape < 0.7:
        return {"messages": [_text("user", f"{page}\n\n{ask}")]}
    return {
        "system": [{"text": rng.choice(doc["instructions"])}],
        "messages": [_text("user", f"{ask}\n\n{page}")],
    }


def _doc_rows(rng: random.Random, draws: int = 3) -> Iterator[dict[str, Any]]:
    for cls, by_lang in DOC_ASKS_R13.items():
        for lang, wordings in by_lang.items():
            docs = [d for d in DOC_PAGES_R13 if d["lang"] == lang]
            for i, wording in enumerate(wordings):
                for k in range(draws):
                    doc = docs[(i + k) % len(docs)]
                    ask = wording.format(
                        topic=rng.choice(doc["topics"]), fact=rng.choice(doc["facts"])
                    )
                    yield {
                        "class": cls,
                        "template": f"r13-docs-{cls}-{lang}-{i}",
                        "source": "team-templates",
                        "material": f"r13-{doc['id']}",
                        "request": _doc_request(doc, ask[:1].upper() + ask[1:], rng),
                    }


# --- overviews of pasted code --------------------------------------------------------------

CODE_MATERIALS: list[dict[str, str]] = [
    {
        "id": "billing_py",
        "code": '```python\n"""Monthly invoicing for metered plans."""\nfrom dataclasses import dataclass\nfrom decimal import Decimal\n\nTIERS = [(1000, Decimal("0.010")), (10000, Decimal("0.008")), (None, Decimal("0.005"))]\n\n\n@dataclass\nclass Usage:\n    account_id: str\n    units: int\n\n\ndef tiered_price(units: int) -> Decimal:\n    total, left, floor = Decimal(0), units, 0\n    for cap, rate in TIERS:\n        band = left if cap is None else min(left, cap - floor)\n        total += band * rate\n        left -= band\n        floor = cap or floor\n        if left <= 0:\n            break\n    return total.quantize(Decimal("0.01"))\n\n\ndef invoice_lines(usages: list[Usage], credits: dict[str, Decimal]) -> list[dict]:\n    lines = []\n    for u in usages:\n        amount = tiered_price(u.units) - credits.get(u.account_id, Decimal(0))\n        lines.append({"account": u.account_id, "units": u.units, "amount": max(amount, Decimal(0))})\n    return sorted(lines, key=lambda l: l["amount"], reverse=True)\n```',
    },
    {
        "id": "react_hook",
        "code": "```tsx\nimport { useEffect, useRef, useState } from 'react';\n\nexport function usePolling<T>(url: string, everyMs = 5000) {\n  const [data, setData] = useState<T | null>(null);\n  const [error, setError] = useState<Error | null>(null);\n  const timer = useRef<number>();\n\n  useEffect(() => {\n    let cancelled = false;\n    async function tick() {\n      try {\n        const res = await fetch(url, { cache: 'no-store' });\n        if (!res.ok) throw new Error(`HTTP ${res.status}`);\n        const json = (await res.json()) as T;\n        if (!cancelled) setData(json);\n      } catch (e) {\n        if (!cancelled) setError(e as Error);\n      } finally {\n        if (!cancelled) timer.current = window.setTimeout(tick, everyMs);\n      }\n    }\n    tick();\n    return () => {\n      cancelled = true;\n      window.clearTimeout(timer.current);\n    };\n  }, [url, everyMs]);\n\n  return { data, error };\n}\n```",
    },
    {
        "id": "go_mw",
        "code": '```go\npackage middleware\n\nimport (\n\t"net/http"\n\t"sync"\n\t"time"\n)\n\ntype bucket struct {\n\ttokens float64\n\tlast   time.Time\n}\n\ntype Limiter struct {\n\tmu      sync.Mutex\n\trate    float64\n\tburst   float64\n\tbuckets map[string]*bucket\n}\n\nfunc (l *Limiter) allow(key string) bool {\n\tl.mu.Lock()\n\tdefer l.mu.Unlock()\n\tb, ok := l.buckets[key]\n\tif !ok {\n\t\tb = &bucket{tokens: l.burst, last: time.Now()}\n\t\tl.buckets[key] = b\n\t}\n\tnow := time.Now()\n\tb.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)\n\tb.last = now\n\tif b.tokens < 1 {\n\t\treturn false\n\t}\n\tb.tokens--\n\treturn true\n}\n\nfunc (l *Limiter) Wrap(next http.Handler) http.Handler {\n\treturn http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {\n\t\tif !l.allow(r.Header.Get("X-Api-Key")) {\n\t\t\thttp.Error(w, "slow down", http.StatusTooManyRequests)\n\t\t\treturn\n\t\t}\n\t\tnext.ServeHTTP(w, r)\n\t})\n}\n```',
    },
    {
        "id": "deploy_sh",
        "code": '```bash\n#!/usr/bin/env bash\nset -euo pipefail\n\nAPP=${1:?usage: deploy.sh APP [TAG]}\nTAG=${2:-$(git rev-parse --short HEAD)}\nREGISTRY=registry.internal.example\n\ndocker build -t "$REGISTRY/$APP:$TAG" .\ndocker push "$REGISTRY/$APP:$TAG"\n\nfor host in $(cat hosts/$APP.txt); do\n  ssh "$host" "docker pull $REGISTRY/$APP:$TAG && docker stop $APP || true"\n  ssh "$host" "docker run -d --rm --name $APP -p 8080:8080 $REGISTRY/$APP:$TAG"\n  curl -fsS "http://$host:8080/healthz" >/dev/null || { echo "unhealthy: $host"; exit 1; }\ndone\n\necho "$APP $TAG deployed to $(wc -l < hosts/$APP.txt) hosts"\n```',
    },
    {
        "id": "migration_sql",
        "code": "```sql\nBEGIN;\n\nCREATE TABLE customer_addresses (\n  id BIGSERIAL PRIMARY KEY,\n  customer_id BIGINT NOT NULL REFERENCES customers(id),\n  kind TEXT NOT NULL CHECK (kind IN ('billing', 'shipping')),\n  line1 TEXT NOT NULL,\n  city TEXT NOT NULL,\n  postcode TEXT NOT NULL,\n  created_at TIMESTAMPTZ NOT NULL DEFAULT now()\n);\n\nINSERT INTO customer_addresses (customer_id, kind, line1, city, postcode)\nSELECT id, 'billing', billing_line1, billing_city, billing_postcode\nFROM customers WHERE billing_line1 IS NOT NULL;\n\nALTER TABLE customers\n  DROP COLUMN billing_line1,\n  DROP COLUMN billing_city,\n  DROP COLUMN billing_postcode;\n\nCREATE INDEX ON customer_addresses (customer_id, kind);\n\nCOMMIT;\n```",
    },
]

CODE_ASKS: dict[str, list[str]] = {
    "summarize": [
        "Explain what this module does. I inherited it and there are no docs.",
        "Give me a high-level overview of this file: what it's for, the main pieces and how they fit together.",
        "Can you walk me through what this does, step by step, in plain English? Not looking for changes.",
        "What does this code do? I need a two-paragraph explanation for our product manager.",
        "Erklär mir grob, was dieser Code macht - ich muss es morgen im Team vorstellen.",
        "¿Qué hace este código? Dame una explicación general, sin entrar en cada línea.",
        "Tu peux m'expliquer à quoi sert ce code, dans les grandes lignes ?",
    ],
    "routine_code": [
        "Add a dry-run option to this, and keep the rest as it is.",
        "Write unit tests for the code below, covering the edge cases.",
        "Schreib den Code so um, dass er die Werte aus einer Konfigurationsdatei liest.",
    ],
    "code_debug": [
        "This works locally but fails in CI with no useful message. What's wrong with it?",
        "Hay un fallo aquí: a veces devuelve resultados de otro cliente. ¿Dónde está el error?",
    ],
}


def _code_rows(rng: random.Random, draws: int = 3) -> Iterator[dict[str, Any]]:
    for cls, wordings in CODE_ASKS.items():
        for i, wording in enumerate(wordings):
            for material in rng.sample(CODE_MATERIALS, draws):
                shape = rng.random()
                if shape < 0.5:
                    text = f"{wording}\n\n{material['code']}"
                elif shape < 0.8:
                    text = f"{material['code']}\n\n{wording}"
                else:
                    text = f"{wording}\n{material['code']}"
                yield {
                    "class": cls,
                    "template": f"r13-code-{cls}-{i}",
                    "source": "team-templates",
                    "material": f"r13-{material['id']}",
                    "request": {"messages": [_text("user", text)]},
                }


# --- agents told to act in verbs no list holds, or asked to look ---------------------------

AGENTS_R13: list[dict[str, Any]] = [
    {
        "id": "parking",
        "systems": [
            "You administer residential parking permits for the city of Harwick. Permit changes reach the wardens' handhelds at once.",
            "You are the permits desk assistant.",
        ],
        "tools": [
            ("permits_api", "Call the permit system's API with a method, a path and a JSON body."),
            ("permit_info", "Holder, zone, vehicle and expiry of a permit."),
            ("zone_stats", "Permits issued and spaces per zone."),
        ],
        "read": ("zone_stats", {"zone": "4"}, {"permits": 1840, "spaces": 1210, "expired": 96}),
        "act": [
            "Scrap permits that were issued twice to the same plate.",
            "Have every Zone 4 permit run out at midnight for the festival?",
            "Entzieh Herrn Albers die Anwohnerparkerlaubnis?",
            "Annulla i permessi della zona 4 scaduti da più di un mese.",
        ],
        "read_only": [
            "How many Zone 4 permits are active right now?",
            "Festival closures published yet?",
            "¿Cuándo caduca el permiso PZ-4471?",
        ],
    },
    {
        "id": "lab",
        "systems": [
            "You run sample management in the Brightwell clinical lab. Sample status changes are reported to the ward systems.",
            "You are the lab information system assistant.",
        ],
        "tools": [
            ("sample_ops", "Reject, relabel or release samples and runs."),
            ("sample_info", "Status, patient ward and tests of a sample."),
            ("run_qc", "Quality-control results of an analyser run."),
        ],
        "read": ("run_qc", {"run": "88"}, {"passed": 41, "failed": 7, "analyser": "C3"}),
        "act": [
            "Reject samples from run 88 that failed QC.",
            "Relabel tube S-40112 as the Ward 7 sample?",
            "Geef de resultaten van run 88 vrij aan de afdelingen.",
            "Rechaza todas las muestras hemolizadas de esta mañana.",
        ],
        "read_only": [
            "Which samples in run 88 failed QC?",
            "Run 88 through QC already?",
            "Welche Tests stehen für S-40112 noch aus?",
        ],
    },
    {
        "id": "subs",
        "systems": [
            "You manage subscriptions and invoices for Lumen Notes. Credits and waivers post to customers' accounts immediately.",
            "You are the billing operations assistant.",
        ],
        "tools": [
            ("billing_admin", "Forgive, comp, prorate or backdate charges and subscriptions."),
            ("account_info", "Plan, balance and invoices of an account."),
            ("invoice_search", "Invoices matching a filter."),
        ],
        "read": ("account_info", {"account": "A-2291"}, {"plan": "Pro", "balance": 148.0}),
        "act": [
            "Forgive late fees for accounts in Ohio this month.",
            "Comp the March invoices of every Pro account hit by the outage?",
            "Backdate A-2291's downgrade to the first of the month.",
            "Exonère les frais de retard du compte A-2291 ?",
        ],
        "read_only": [
            "What's the balance on A-2291?",
            "How many Pro invoices were issued in March?",
            "Quali account hanno fatture scadute da più di 60 giorni?",
        ],
    },
    {
        "id": "liveops",
        "systems": [
            "You handle live operations for the game Skyforge. Changes apply to players' accounts on their next login.",
            "You are the live-ops assistant.",
        ],
        "tools": [
            ("liveops_api", "Call the live-ops admin API (method, path, body)."),
            ("player_info", "Level, inventory and flags of a player."),
            ("season_stats", "Players and ladder positions of the current season."),
        ],
        "read": ("season_stats", {"season": "14"}, {"players": 208400, "flagged": 1290}),
        "act": [
            "Gift 500 gems to players who lost progress in the crash.",
            "Wind the ranked ladder back to Tuesday's snapshot?",
            "Strip the flagged accounts of their season rewards.",
            "Setz die Rangliste auf den Stand von Dienstag zurück?",
        ],
        "read_only": [
            "How many accounts are flagged this season?",
            "Ladder snapshot from Tuesday still around?",
            "¿Qué nivel tiene el jugador Kestrel_77?",
        ],
    },
    {
        "id": "lms",
        "systems": [
            "You administer the Northfield Academy learning platform. Grade and enrolment changes notify students and parents.",
            "You are the learning-platform assistant for teachers.",
        ],
        "tools": [
            ("lms_admin", "Enrol, unenrol, excuse or release grades for students."),
            ("course_info", "Students, deadlines and grades of a course."),
            ("login_report", "Last login of the students of a course."),
        ],
        "read": ("login_report", {"course": "BIO-9"}, {"students": 64, "never_logged_in": 14}),
        "act": [
            "Unenrol students who never logged in to BIO-9.",
            "Excuse the whole of 9C from Friday's quiz?",
            "Publica las notas del examen de biología para todos los grupos.",
            "Schrijf de 14 leerlingen die nooit inlogden uit BIO-9 uit.",
        ],
        "read_only": [
            "Which students in BIO-9 never logged in?",
            "Friday's quiz marked yet?",
            "Quand est la date limite du devoir de biologie ?",
        ],
    },
    {
        "id": "fleetdesk",
        "systems": [
            "You support the fleet desk of Quillair. Aircraft status changes go straight to crew scheduling and the booking system.",
            "You are the operations control assistant.",
        ],
        "tools": [
            ("ops_control", "Ground, release or swap aircraft and rebook flights."),
            ("aircraft_status", "Airworthiness, location and next flights of an aircraft."),
            ("flight_loads", "Passengers booked on a flight."),
        ],
        "read": ("aircraft_status", {"tail": "N417QX"}, {"status": "due_inspection", "at": "DEN"}),
        "act": [
            "Ground N417QX until the inspection is signed off.",
            "Rebook passengers on QX22 onto the 18:40?",
            "Divert QX31 to Colorado Springs tonight.",
            "Stell N417QX bis zur Inspektion ab?",
        ],
        "read_only": [
            "Where is N417QX now?",
            "How many passengers are on QX22?",
            "L'ispezione di N417QX è già stata firmata?",
        ],
    },
]


def round13_rows(seed: int = 1313) -> Iterator[dict[str, Any]]:
    """All round-13 rows (deterministic)."""
    rng = random.Random(seed)
    yield from _doc_rows(rng)
    yield from _code_rows(rng)
    yield from agent_rows(rng, AGENTS_R13, "r13")

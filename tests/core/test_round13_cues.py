"""Round 13 of issue 12: documentation pasted with a question in other languages, overviews
of pasted code, actions in verbs no list holds, and cues that fired on ordinary words.

Each group holds the cases the change is for and the look-alikes it must leave alone. The
wordings are not those of the round-13 corpus rows (router/class_round13.py)."""

# ruff: noqa: E501 - pasted documentation and code are data

from __future__ import annotations

import pytest

from converse_shapes import tool_config, user_request, user_turn
from tierwise.core.pasted_docs import documentation_ask
from tierwise.core.signals import extract_signals

# A manual written in numbered title lines (no markup): its first block is as plain as an ask.
MANUAL_DE = """1. Aufstellen
Den Luftreiniger mindestens 30 cm von der Wand entfernt aufstellen. Nicht in Feuchträumen betreiben.

2. Filterwechsel
Der HEPA-Filter hält etwa zwölf Monate. Die rote Filteranzeige leuchtet, wenn er gewechselt werden muss.

3. Nachtmodus
Im Nachtmodus läuft der Lüfter auf Stufe 1 und alle Anzeigen sind aus. Das Gerät hat dafür eine eigene Taste.

4. Reinigung
Das Gehäuse nur mit einem trockenen Tuch abwischen. Den Vorfilter alle zwei Wochen absaugen.
"""

DOCS_ES = """## Instalación

Descarga el instalador desde el portal y ejecútalo como administrador. Requiere 2 GB libres.

## Licencias

Cada licencia cubre un equipo. Para mover una licencia, desactívala primero en el equipo antiguo.

## Copias de seguridad

Las copias se hacen cada noche a las 02:00 y se guardan 30 días en la nube.

## Soporte

El soporte responde en 24 horas laborables por correo. Las incidencias críticas se atienden también por teléfono, de lunes a viernes entre las 8:00 y las 20:00.
"""

MODULE = '''```python
"""Nightly export of open orders to the warehouse SFTP."""
import csv
import paramiko

FIELDS = ["order_id", "sku", "qty", "ship_by"]


def open_orders(db):
    return db.execute("SELECT order_id, sku, qty, ship_by FROM orders WHERE status = 'open'")


def write_csv(rows, path):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(FIELDS)
        writer.writerows(rows)


def upload(path, host, key):
    client = paramiko.SSHClient()
    client.connect(host, pkey=key)
    client.open_sftp().put(path, "/inbox/orders.csv")
```'''


# --- documentation in other languages ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"{MANUAL_DE}\nWie oft muss ich den Filter wechseln, und woran sehe ich das?",
        f"Un usuario pregunta por las licencias; según este texto, ¿qué tiene que hacer para cambiar de equipo?\n\n{DOCS_ES}",
        f"Kannst du mir anhand des Textes erklären, wie der Nachtmodus funktioniert?\n\n{MANUAL_DE}",
    ],
)
def test_an_open_question_over_documentation_in_other_languages_is_answered_from_it(
    text: str,
) -> None:
    assert "rag" in extract_signals(user_request(text)).cues


def test_a_manual_in_title_lines_is_material_and_the_last_paragraph_the_ask() -> None:
    ask = "Wie oft muss ich den Filter wechseln?"
    assert documentation_ask(f"{MANUAL_DE}\n{ask}") == ask
    # an ask on two lines before the material is still the ask
    two_lines = "Kurze Frage\nWie oft muss ich den Filter wechseln?"
    assert documentation_ask(f"{two_lines}\n\n{MANUAL_DE}") == two_lines


def test_a_semicolon_in_the_ask_is_prose_and_in_code_is_code() -> None:
    ask = "Un usuario pregunta por las licencias; ¿qué le digo?"
    assert documentation_ask(f"{ask}\n\n{DOCS_ES}") == ask
    assert documentation_ask(f"x = 1; y = 2\n\n{DOCS_ES}") != "x = 1; y = 2"


@pytest.mark.parametrize(
    ("text", "rag"),
    [
        ("Según este texto, ¿cuánto tarda el soporte?", True),
        ("Secondo il testo, quanto dura la garanzia?", True),
        ("D'après ce texte, combien de temps dure la garantie ?", True),
        ("According to this text, how long is the warranty?", True),
        ("Laut dieser Seite: wie lange gilt die Garantie?", True),
        # a text to work on, not to answer from
        ("Extract the dates from the text below.", False),
        ("Translate the text into German.", False),
    ],
)
def test_according_to_the_text_is_answering_from_it(text: str, rag: bool) -> None:
    assert ("rag" in extract_signals(user_request(text)).cues) is rag


@pytest.mark.parametrize(
    ("text", "math"),
    [
        # German and Dutch everyday words (round 13: the German pages read as maths)
        ("Das Storno erscheint als eigene Zeile im Journal.", False),
        ("Eigentlich wollte ich nur wissen, wie der Export geht.", False),
        ("Het apparaat heeft een eigen knop voor de nachtstand.", False),
        ("Find the eigenvalues of this 3x3 matrix.", True),
        ("Berechne die Eigenwerte und Eigenvektoren.", True),
    ],
)
def test_eigen_is_maths_only_as_eigenvalues_and_eigenvectors(text: str, math: bool) -> None:
    assert ("math" in extract_signals(user_request(text)).cues) is math


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("Gib mir einen Überblick über diese Seite.", True),
        ("Fasst mir das bitte in drei Sätzen kurz zusammen.", True),
        ("¿De qué va este artículo, a grandes rasgos?", True),
        ("Dis-moi dans les grandes lignes ce que couvre cette page.", True),
        ("Dammi una panoramica di questa pagina.", True),
        ("Give me a quick overview of this page.", True),
        ("Die Fassade und das Dach zusammen kosten 40.000 Euro.", False),
        ("Wir arbeiten seit Jahren zusammen.", False),
    ],
)
def test_an_overview_asked_in_other_words_is_a_summary(text: str, summary: bool) -> None:
    assert ("summarization" in extract_signals(user_request(text)).cues) is summary


@pytest.mark.parametrize(
    "text",
    [
        "Gib es als JSON mit den Schlüsseln name und preis zurück.",
        "Devuélvelo en JSON con las claves fecha e importe.",
        "Renvoie un JSON avec les clés nom et date.",
    ],
)
def test_json_with_given_keys_in_other_languages(text: str) -> None:
    assert "json_keys" in extract_signals(user_request(text)).cues


@pytest.mark.parametrize(
    ("text", "debugging"),
    [
        ("It works locally but times out in CI. What's wrong with it?", True),
        ("¿Dónde está el error? Devuelve pedidos de otro cliente.", True),
        # a customer's complaint, not a bug hunt
        ("Mi cafetera no funciona desde el martes y nadie me contesta.", False),
        ("Meine Kaffeemaschine funktioniert nicht mehr.", False),
    ],
)
def test_where_the_fault_is(text: str, debugging: bool) -> None:
    assert ("debugging" in extract_signals(user_request(text)).cues) is debugging


# --- overviews of pasted code --------------------------------------------------------------


@pytest.mark.parametrize(
    "ask",
    [
        "Explain what this module does; I'm new on the team.",
        "Walk me through what this code does, no changes please.",
        "Was macht dieser Code? Gib mir einen Überblick.",
        "¿Qué hace este código? Explícamelo en general.",
    ],
)
def test_an_overview_of_pasted_code_reads_the_code_as_material(ask: str) -> None:
    s = extract_signals(user_request(f"{ask}\n\n{MODULE}"))
    assert "summarization" in s.cues
    assert s.code_lines == 0


@pytest.mark.parametrize(
    "ask",
    [
        "Write unit tests for this module.",
        "Summarize what this does, then find the bug: the upload never closes the connection.",
    ],
)
def test_work_on_pasted_code_still_counts_its_code(ask: str) -> None:
    assert extract_signals(user_request(f"{ask}\n\n{MODULE}")).code_lines > 0


# --- open asks: "was" and "que" ------------------------------------------------------------


@pytest.mark.parametrize(
    ("ask", "rag"),
    [
        # ordinary openings: English "was", a Spanish or French "que" of a wish or an order
        ("Was told to keep these docs at hand", False),
        ("Que las respuestas sean cortas", False),
        ("Que la réponse tienne en deux lignes", False),
        # the question words they stand for
        ("Was bedeutet die Sicherung hier", True),
        ("Que significa esto de las licencias", True),
    ],
)
def test_was_and_que_open_a_question_only_as_question_words(ask: str, rag: bool) -> None:
    assert ("rag" in extract_signals(user_request(f"{ask}\n\n{DOCS_ES}")).cues) is rag


@pytest.mark.parametrize(
    ("text", "planning"),
    [
        ("Monte Rosa, piano terra: quanto costa la camera?", False),
        ("Monte Carlo ordre de grandeur : est-ce fiable ?", False),
        ("Monte un plan de transition pour le support.", True),
        ("Monte um cronograma para a migração.", True),
    ],
)
def test_monte_is_planning_only_as_setting_up_a_plan(text: str, planning: bool) -> None:
    assert ("planning" in extract_signals(user_request(text)).cues) is planning


# --- verbs on no list ----------------------------------------------------------------------

PERMITS = tool_config(
    ("records_api", "Call the records system's admin API (method, path, body)."),
    ("record_info", "Owner, status and history of a record."),
)


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        # a bare plural object and which ones it means
        ("Expunge records that are older than seven years.", True),
        ("Retire licences nobody used since March.", False),  # no "which ones" word
        ("Decline applications from the spring intake.", True),
        ("Forgive overdue fines for members under 18.", True),
        # status questions led by a noun
        ("Backorders from March shipped?", False),
        ("Spam messages from Acme blocked?", False),
        ("Records older than seven years gone?", False),
        # a separable verb in German or Dutch
        ("Gib die Zahlung von Kunde 4471 frei.", True),
        ("Maak de prullenbak van het archief leeg.", True),
        ("Such mir ein Datum im März aus.", False),
        ("Zoek het dossier van klant 88 op.", False),
        ("Sugiere un plan para cerrar los expedientes de 2024.", False),  # "los" is no particle
        # an elided article opens a noun
        ("L'archiviazione di R-5521 è già stata completata?", False),
    ],
)
def test_actions_in_verbs_no_list_holds(text: str, asked: bool) -> None:
    s = extract_signals({"toolConfig": PERMITS, "messages": [user_turn(text)]})
    assert s.action_requested is asked, text

"""Round 17 of issue 12: the misread families round 16 left. JavaScript and TypeScript errors
pasted with no word of debugging, faults told in prose (a loop that never ends, an app that quit
by itself), a conversion asked as a how-to about code, and "what would you do differently".

Each group holds the cases the change is for and the look-alikes it must leave alone. The
wordings are not those of the corpus rows (router/class_round17.py)."""

from __future__ import annotations

import pytest

from converse_shapes import user_request
from tierwise.core.signals import extract_signals


def _cues(text: str, system: str = "") -> frozenset[str]:
    return extract_signals(user_request(text, system)).cues


# --- errors as a runtime or a compiler prints them ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "debugging"),
    [
        ("TypeError: user.profile is undefined", True),
        ("Uncaught ReferenceError: window is not defined (Next.js build)", True),
        ("SyntaxError: Unexpected end of JSON input, any idea?", True),
        ("error TS2345: Argument of type 'number' is not assignable to 'string'.", True),
        ("TS7006: Parameter 'e' implicitly has an 'any' type.", True),
        ("at handleSubmit (form.tsx:31:14)\nat onClick (button.tsx:9:3)", True),
        ("items.forEach is not a function, but items comes from the API?", True),
        ("Cannot read properties of null (reading 'addEventListener')", True),
        ("java.lang.NullPointerException: name is null in OrderService", True),
        # a title, a sentence, maths: no error printed
        ("Terror: write a blurb for this horror anthology", False),
        ("Happiness is not a function of money, discuss.", False),
        ("Is f(x) = 1/x undefined at zero?", False),
        ("Summarise the TS 2022 annual report in three bullets.", False),
        ("Meet me at noon (room 4:12) for the review", False),
    ],
)
def test_errors_as_printed_are_debugging(text: str, debugging: bool) -> None:
    assert ("debugging" in _cues(text)) is debugging


# --- faults told in prose ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "debugging"),
    [
        ("my recursion never stops when the tree has a cycle", True),
        ("The script keeps running forever after the last file", True),
        ("this query never finishes on the big table", True),
        ("The login page hangs forever on Safari", True),
        ("Our cron job didn't run on Sunday night", True),
        ("Mi bucle no termina nunca, ¿por qué?", True),
        ("Meine Schleife endet nie, obwohl die Bedingung falsch wird.", True),
        ("La boucle ne s'arrête jamais quand la liste est vide.", True),
        ("Endlosschleife in meinem Skript, wo ist der Fehler?", True),
        # a party, a song, a meeting, a novel's page, a hiring process, a job that is work
        ("The party never stops in this town, is it safe at night?", False),
        ("This song loops forever in my head, what is it called?", False),
        ("The meeting runs forever every Monday, how do I shorten it?", False),
        ("The page never ends in this novel, it is 900 pages long.", False),
        ("The hiring process never ends here, is that normal?", False),
        ("My job never ends, I'm exhausted, any advice?", False),
    ],
)
def test_faults_told_in_prose(text: str, debugging: bool) -> None:
    assert ("debugging" in _cues(text)) is debugging


@pytest.mark.parametrize(
    ("text", "debugging"),
    [
        # an app that quit by itself, by its name or in a sentence about software
        ("Lightroom quit unexpectedly while importing, twice today", True),
        ("Chrome froze out of nowhere while I was typing", True),
        ("The editor shut down on its own when I saved the file", True),
        ("Every time I launch it, the game quits back to the desktop", True),
        # a door, a shop, a person
        ("The door closed on its own last night, is my house haunted?", False),
        ("Tesco closed unexpectedly on Sunday, will they reopen?", False),
        ("The bakery closed without warning, where else sells sourdough?", False),
        ("He quit unexpectedly after 3 years, how do I replace him?", False),
    ],
)
def test_an_app_that_quit_by_itself(text: str, debugging: bool) -> None:
    assert ("debugging" in _cues(text)) is debugging


# --- a conversion asked as a how-to about code ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "conversion"),
    [
        ("How do I turn a Python dataclass into a JSON string?", False),
        ("How can I convert a pandas DataFrame to CSV without the index?", False),
        ("What's the best way to convert a Go struct to YAML?", False),
        ("Wie wandle ich in Kotlin eine Liste in JSON um?", False),
        ("¿Cómo convierto un objeto de JavaScript a JSON?", False),
        # data given or pointed at: a conversion, asked as a how-to or not
        ('How do I convert this to YAML? {"a": 1, "b": [2, 3]}', True),
        ("How do I turn these into ISO 8601?\n03/04/2025\n12/01/2024\n05/30/2025", True),
        ('Convert to YAML: {"retries": 3, "backoff": "linear"}', True),
        ("Turn this into JSON: name=Ana, age=31, city=Porto", True),
    ],
)
def test_a_how_to_conversion_with_no_data_asks_for_code(text: str, conversion: bool) -> None:
    assert ("format_conversion" in _cues(text)) is conversion


# --- advice to do something differently -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "decision"),
    [
        ("I revise 2 hours a night and still forget it all. What would you do differently?", False),
        ("We can open in Lyon or in Porto next year. What would you do?", True),
        ("Three offers on the table; what would you choose?", True),
    ],
)
def test_what_would_you_do_differently_is_advice(text: str, decision: bool) -> None:
    assert ("decision" in _cues(text)) is decision


# --- printed errors given as material to label, route, translate or mine ----------------------


@pytest.mark.parametrize(
    ("text", "debugging"),
    [
        # the errors are what is to be labelled, routed, translated or pulled out
        (
            "Tag each log line as error, warn or info:\nRangeError: Invalid array length\n"
            "GET /health 200\nTS2304: Cannot find name 'jest'",
            False,
        ),
        ("Translate into Spanish for our help page: TypeError: input is not iterable", False),
        (
            "Which queue should get this, frontend or backend?\n"
            "at loadCart (cart.ts:14:9)\nCannot read properties of null (reading 'id')",
            False,
        ),
        ("Extract the error type from: SyntaxError: Unexpected token '<' in JSON", False),
        # a fault still asked about beside them, or the error alone
        ("Label it and tell me why my build crashes: TypeError: foo is undefined", True),
        ("TypeError: foo is undefined when I click Save", True),
    ],
)
def test_printed_errors_given_as_material(text: str, debugging: bool) -> None:
    assert ("debugging" in _cues(text)) is debugging

"""Round 16 of issue 12: what round 15 left. Open questions whose counts outweighed the
explanation cue, calculations asked in no maths word, and words of debugging in other senses
(a market crash, a crash course, "with the exception of", a debug log level in pasted
settings).

Each group holds the cases the change is for and the look-alikes it must leave alone. The
wordings are not those of the corpus rows (router/class_round15.py, class_round16.py)."""

from __future__ import annotations

import pytest

from converse_shapes import user_request
from tierwise.core.class_model import BlendedClassifier
from tierwise.core.classes import class_features
from tierwise.core.signals import extract_signals
from tierwise.router.class_weights import load_class_model


def _cues(text: str, system: str = "") -> frozenset[str]:
    return extract_signals(user_request(text, system)).cues


def _top_class(text: str, system: str = "") -> str:
    model = load_class_model()
    assert model is not None
    signals = extract_signals(user_request(text, system))
    probs = BlendedClassifier(model).probabilities(
        class_features(signals), signals.system_text, signals.user_text
    )
    return max(probs, key=probs.__getitem__)


# --- open questions, in more languages, and their numbers -----------------------------------


@pytest.mark.parametrize(
    ("text", "explanation"),
    [
        ("Waarom heeft een week 7 dagen?", True),
        ("Hoe werkt een warmtepomp bij -10 graden?", True),
        ("Wat gebeurde er in 1953 in Zeeland?", True),
        ("¿Qué cambió en México en 1910?", True),
        ("O que mudou no Brasil depois de 1888?", True),
        ("Cosa è cambiato in Italia nel 1946?", True),
        # a how-to, a task, a quoted question: no explanation asked
        ("Hoe kan ik mijn wachtwoord wijzigen?", False),
        ("Vertaal naar het Engels: Waarom is de lucht blauw?", False),
    ],
)
def test_open_questions_in_more_languages(text: str, explanation: bool) -> None:
    assert ("explanation_ask" in _cues(text)) is explanation


@pytest.mark.parametrize(
    "text",
    [
        "why is a marathon 42 km and not 40, who picked that",
        "Quelles ont été les 2 grandes réformes de 1945 en France ?",
        "Why do clocks have 12 hours and not 24, who started that",
        "why are there 360 degrees in a circle, who decided that",
        "why does a dozen mean 12 and who came up with that",
        "why is a year 365 days and who decided that",
        "Quels ont été les 4 grands traités de 1648 pour l'Europe ?",
        "Quelles ont été les 3 grandes réformes de 1789 pour l'Église ?",
        "Why does a piano have 88 keys, who decided that?",
        "why do we vote every 4 years and who set that",
        "What were the 3 big changes of 1848 for workers in Europe?",
    ],
)
def test_counts_in_an_open_question_do_not_outweigh_it(text: str) -> None:
    """At the explanation cue's round-15 weight the packaged model's reading of "24" or "3"
    as a word problem's (or of "that" as code) won on such questions."""
    assert _top_class(text) == "general_qa"


# --- calculations in no maths word ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "calculation"),
    [
        ("A sofa is €1,240 with 15% off and free delivery. What's the price then?", True),
        ("Mortgage of £210,000 at 4.1% over 25 years: monthly repayment?", True),
        ("We leave at 07:45 and the drive is 3 h 20 min. When do we get there?", True),
        ("Ein Paket wiegt 2,4 kg, das Porto kostet 1,10 Euro pro kg. Was zahle ich?", True),
        ("Un préstamo de 9.000 € al 6 % a 3 años, ¿qué cuota sale al mes?", True),
        # a year or a count is no quantity; one quantity is no calculation
        ("What happened to the 3 ships that left Lisbon in 1497?", False),
        ("My 2 cats are 4 and 9, which food should I get?", False),
        ("Is 38.5 °C a fever for a toddler?", False),
        # advice or a judgement over the same kind of numbers: no value asked
        ("I have $500 and 3 days in Lisbon, what should I see?", False),
        ("I'm 41, earn €55k and have €30k saved: should I buy or keep renting?", False),
        ("My cat is 14 years old and weighs 6 kg, is it normal that she sleeps all day?", False),
        ("Ich habe 1.500 Euro und 10 Tage Zeit, wohin soll ich reisen?", False),
        # a reason asked, a quoted message, an instruction with material
        ("Why did rent go up 12% when inflation was 3.1%?", False),
        ('Label this message: "I paid $40 but the price was $35?" billing or other', False),
        ("Summarise this note: €4,000 spent, €6,000 left of the 10,000 budget?", False),
    ],
)
def test_two_quantities_and_a_question_ask_for_a_calculation(text: str, calculation: bool) -> None:
    assert ("math_task" in _cues(text)) is calculation


def test_a_calculation_in_no_maths_word_is_maths() -> None:
    for text in (
        "A coat is £120, 25% off, then another £10 off at the till: what do I pay?",
        "Combien font 3 nuits à 89 € plus 4 % de taxe de séjour ?",
    ):
        assert _top_class(text) == "math", text


# --- words of debugging in other senses ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "debugging"),
    [
        # not a fault of software
        ("What caused the dot-com crash in 2000?", False),
        ("How do insurers decide who pays after a car crash?", False),
        ("Give me a crash course in Spanish greetings.", False),
        ("All rooms are free, with the exception of the board room.", False),
        ("Can we make an exception for late returns this month?", False),
        ("Convert to JSON:\nLOG_LEVEL=debug\nPORT=8080", False),
        ("Turn this into TOML:\nserver:\n  debug: true\n  port: 80", False),
        ('{"mode": "DEBUG", "retries": 3}\n\nas YAML please', False),
        # a fault of software
        ("The app crashes when I tap the export button.", True),
        ("It crashed on startup after the update.", True),
        ("Our build crashes with exit code 137.", True),
        ("This raises IndexError on an empty list, can you debug it?", True),
        ("Why does the server crash every night at 3am?", True),
        ("Getting an exception: NullPointerException in OrderService", True),
        ("def load(p):\n    return open(p).read()\n\nThis crashes sometimes.", True),
        # a program by its name: it crashes again and again, or when someone uses it
        ("Figma keeps crashing on my laptop's second screen, help", True),
        ("Signal crashes whenever I attach a video.", True),
        ("Why do bond prices crash every time inflation surprises?", False),
    ],
)
def test_debugging_words_count_only_for_software(text: str, debugging: bool) -> None:
    assert ("debugging" in _cues(text)) is debugging


@pytest.mark.parametrize(
    "text",
    [
        "Encode this dictionary as TOML: {'name': 'shop', 'port': 443}",
        "Serialise these settings as YAML: {'workers': 4, 'queue': 'mail'}",
    ],
)
def test_encode_as_a_format_is_a_conversion(text: str) -> None:
    assert "format_conversion" in _cues(text)


# --- round 16 review: what the rules above took too far --------------------------------------


@pytest.mark.parametrize(
    ("text", "debugging"),
    [
        # an exception raised, debugging told in prose, a debug flag that is the problem
        ("My function throws an exception for empty lists, how do I fix it?", True),
        ("Spark job throws an exception for every null row", True),
        ("The service threw an exception to the caller, how to log it?", True),
        ("My parser raises an exception for dates before 1900", True),
        ("Debug: my loop never terminates", True),
        ("debugger: breakpoints are skipped in VS Code", True),
        ("My Flask app ignores DEBUG=1, why?", True),
        ("Debugging: the worker hangs after the second request", True),
        # still no fault: an exception granted or to the rule, a debug level in settings
        ("Could you grant an exception for this customer's late fee?", False),
        ("Is Iceland the exception to the rule on Nordic taxes?", False),
        ("Rewrite as YAML:\nlog_level: debug\nworkers: 4", False),
        ("Convert to TOML:\nDEBUG=true\nHOST=example.org", False),
        ("Sort these pairs by key: port=8080 debug=false name=shop", False),
    ],
)
def test_raised_exceptions_and_debugging_in_prose_are_faults(text: str, debugging: bool) -> None:
    assert ("debugging" in _cues(text)) is debugging


@pytest.mark.parametrize(
    "text",
    [
        "I have $500 and 3 days in Paris, what's the best area to stay?",
        "Our team grew 20% and revenue 15%, what's the right change to make in our org chart?",
        "I have $10,000 and 5 years to invest, what's the best return I can expect?",
        "We pay $120 a night plus 12% tax, which hotel rate is reasonable?",
        "Is 4G or 5G better for gaming, which speed matters?",
        "My rent is €900 and I earn €2,400, what's a sensible share to save?",
        "With 3 kids and 2 weeks off, what's the ideal distance to drive in a day?",
    ],
)
def test_advice_over_numbers_is_no_calculation(text: str) -> None:
    assert "math_task" not in _cues(text)


@pytest.mark.parametrize(
    "text",
    [
        "A £1,800 loan at 6% over 2 years, what's the monthly payment?",
        "I earn $4,200 a month and 30% goes to tax: what's my net salary?",
        "Add 5g of salt per 250 g of flour, how much for 1.2 kg?",
        "A €240,000 mortgage at 3.9% over 25 years: what's the monthly payment?",
        "A lamp cost $36 after a 25% discount. What was the original price?",
    ],
)
def test_values_asked_of_quantities_stay_calculations(text: str) -> None:
    assert "math_task" in _cues(text)


@pytest.mark.parametrize(
    "text",
    [
        "How do I serialize a dataclass as JSON in Python?",
        "Serialize the user object as JSON in Go",
        "How can I encode this struct as JSON in Rust with serde?",
        "What's the fastest way to serialise it as YAML in Java?",
    ],
)
def test_a_how_to_about_serialising_is_no_conversion(text: str) -> None:
    assert "format_conversion" not in _cues(text)


@pytest.mark.parametrize(
    ("text", "debugging"),
    [
        ("The car crashed while I was running late, what do I tell insurance?", False),
        ("Our van crashed on the way to the terror drill, who pays?", False),
        ("Dad crashed the car on the way home, is that covered?", False),
        ("Tom crashed into a lamp post while running for the bus.", False),
        # an app crashing, by its name: software whatever it is called
        ("Blender crashed twice while rendering, what can I do?", True),
        ("Photoshop crashed and I lost my work", True),
        ("Outlook crashes every morning at 9", True),
        ("Audacity crashed again halfway through the export.", True),
    ],
)
def test_crashes_of_vehicles_and_of_named_apps(text: str, debugging: bool) -> None:
    assert ("debugging" in _cues(text)) is debugging

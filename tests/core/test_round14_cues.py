"""Round 14 of issue 12: lookups, conversions and support replies said in words the cues
missed, cues that fired on words of pasted material, and a documentation service asked to
reply to a customer.

Each group holds the cases the change is for and the look-alikes it must leave alone. The
wordings are not those of the round-14 corpus rows (router/class_round14.py)."""

from __future__ import annotations

import pytest

from converse_shapes import user_request
from tierwise.core.signals import extract_signals


def _cues(text: str) -> frozenset[str]:
    return extract_signals(user_request(text)).cues


@pytest.mark.parametrize(
    ("text", "extraction"),
    [
        ("Grab the invoice numbers and due dates from this email.", True),
        ("Pull every price out of this menu, with the dish it belongs to.", True),
        ("Which deadlines are mentioned in this contract?", True),
        ("List the companies named in the article below.", True),
        ("Give me the amounts in the attached statement, one per row.", True),
        ("Fill the form in from the letter below: name, address, policy number.", True),
        ("Schreib mir alle Telefonnummern aus diesem Schreiben heraus.", True),
        ("Relève toutes les dates de livraison.", True),
        ("¿Qué importes aparecen en la factura?", True),
        # numbers and names that are no text's contents
        ("List the prime numbers from 1 to 50.", False),
        ("Get the names of the planets in order from the sun.", False),
        ("Take the kids out of the pool at five.", False),
        ("Which symptoms appear first in measles?", False),
        ("Wie sicher sind meine Daten in der Cloud?", False),
    ],
)
def test_a_lookup_of_what_a_text_holds_in_other_words(text: str, extraction: bool) -> None:
    assert ("extraction" in _cues(text)) is extraction


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("Write back to the guest below and apologise for the noise.", True),
        ("Answer this complaint for me, politely.", True),
        ("Prepare a response to this review from a customer.", True),
        ("Draft a quick, friendly reply to this customer.", True),
        ("Reply on our behalf and keep it short.", True),
        ("Help me respond to this, they're really angry.", True),
        ("Answer this question about photosynthesis.", False),
        ("Write back to me when the export is done.", False),
        ("Draft a response to the RFP's security section.", False),
    ],
)
def test_a_reply_to_a_customer_in_other_words(text: str, reply: bool) -> None:
    assert ("support_reply" in _cues(text)) is reply


DOCS = (
    "You answer questions about Glimmer routers using only this documentation.\n\n"
    "## Resetting\nHold the reset button for 10 seconds. The lights blink amber, then the "
    "router restarts with factory settings.\n\n## Guest network\nThe guest network is off "
    "by default. Turn it on under Settings > Wi-Fi > Guest; guests cannot see your devices."
)


@pytest.mark.parametrize(
    ("ask", "rag"),
    [
        # a reply to a customer's message is the ask; the docs are what it is written from
        ("Draft a reply to this customer: 'My guests can see my printer, why?'", False),
        ("Write back to the user below.\n\n'How do I reset this thing??'", False),
        # labelling requests sent to the service already dropped it (round 10)
        ("Classify this question as billing, technical or account: how do I reset?", False),
        # an open question to the service keeps it
        ("How do I let visitors use the internet without seeing my devices?", True),
    ],
)
def test_a_documentation_service_asked_for_a_reply_writes_a_support_reply(
    ask: str, rag: bool
) -> None:
    signals = extract_signals(user_request(ask, DOCS))
    assert signals.system_text == DOCS  # read as the system prompt, not skipped as malformed
    assert ("rag" in signals.cues) is rag
    assert "rag" in signals.system_cues


@pytest.mark.parametrize(
    ("text", "decision"),
    [
        ("El PVP recomendado es de 329 EUR y la garantía de 3 años.", False),
        ("Prix recommandé : 49 EUR, livraison offerte.", False),
        ("Dose raccomandata: 5 mg due volte al giorno.", False),
        ("O tamanho recomendado é 42.", False),
        # advice for a purpose, as English "what do you recommend for the office?" (never a
        # cue); round 15 (test_round15_cues.py) made it so; "which one" still is a decision
        ("¿Qué nos recomiendas para la oficina?", False),
        ("¿Qué nos recomendarías, alquilar o comprar?", True),
        ("Qual você recomenda para uma equipe pequena?", True),
        ("Cosa mi raccomandi tra le due offerte?", True),
    ],
)
def test_a_recommended_value_asks_no_decision(text: str, decision: bool) -> None:
    assert ("decision" in _cues(text)) is decision


@pytest.mark.parametrize(
    ("text", "planning"),
    [
        ("Incident INC-4410 resolved. Root cause: an expired certificate on the gateway.", False),
        ("The root cause was a full disk on db-2; fixed at 10:40.", False),
        ("Root cause - a bad config push (CHG-1120).", False),
        ("Find the root cause of these timeouts.", True),
        ("What's the root cause here?", True),
    ],
)
def test_a_reported_root_cause_is_no_analysis_asked(text: str, planning: bool) -> None:
    assert ("planning" in _cues(text)) is planning


@pytest.mark.parametrize(
    ("text", "conversion"),
    [
        ("Turn this list into a JSON array.", True),
        ("Flatten this nested JSON for me.", True),
        ("camelCase these field names: first name, last login.", True),
        ("Pasa las fechas al formato ISO, por favor.", True),
        ("Why is my camelCase variable undefined?", False),
        # how to give the answer, not a conversion
        ("Pick the label and return it as JSON.", False),
        ("Extrais le nom et la date au format JSON.", False),
        ("Flatten the dough into a disc.", False),
    ],
)
def test_a_conversion_asked_in_other_words(text: str, conversion: bool) -> None:
    assert ("format_conversion" in _cues(text)) is conversion


@pytest.mark.parametrize(
    ("system", "small"),
    [
        ("Answer from the articles below and nothing else.", False),
        ("Use the documentation, nothing else, and be friendly.", False),
        ("Reply with the label and nothing else.", True),
        ("Return the JSON, nothing else.", True),
    ],
)
def test_nothing_else_after_the_material_is_no_small_answer(system: str, small: bool) -> None:
    signals = extract_signals(user_request("Why was I charged twice this month?", system))
    # read as the system prompt: a malformed one, skipped, would pass the False rows unread
    assert signals.system_text == system
    assert signals.small_answer is small

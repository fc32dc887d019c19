"""The extraction cue asks for material that was given (issue 12, after the refit lane's
finding in docs/router/classes.md, "Why rounds 14-17 cost MMLU and v1"): "extract the rules
... and phase the cutover" of a system nobody pasted asks to work something out, and read as
``extract`` (a Haiku class) it sat one guard away from a Haiku<->Opus crossing.

The cue stays where there is something to extract from: pasted text, data or lines, a text
pointed at ("this email", "the text below", "diesem Text"), text after a colon or in quotes,
a document, image, search or tool result block, an earlier turn, or a system prompt that sets
the extraction (the user turn is then the material)."""

from __future__ import annotations

from typing import Any

import pytest

from converse_shapes import user_request
from tierwise.core.signals import extract_signals


def _extraction(text: str, system: str = "") -> bool:
    return "extraction" in extract_signals(user_request(text, system)).cues


@pytest.mark.parametrize(
    "text",
    [
        "Extract the key lessons from the 2008 crisis",
        "extract the rules for phasing the cutover of our billing system",
        "Propose how to extract the rules, build a differential testing harness and phase the"
        " cutover of our legacy billing engine.",
        "What can we extract from the way Amazon scaled its warehouses?",
        "Extract the main ideas of stoicism for a beginner.",
    ],
)
def test_no_material_no_extraction(text: str) -> None:
    assert not _extraction(text)


@pytest.mark.parametrize(
    "text",
    [
        "Extract the invoice number and total from this email: Hi team, invoice INV-2231 for"
        " $4,120 is due on March 3. Thanks, Dana",
        "Pull the dates out of the text below.\n\nThe kickoff is on 4 May, the review on"
        " 12 June and the launch on 1 September.",
        "Pull the dates out of the text below. The kickoff is on 4 May, the review on 12 June.",
        "Extract the names: 'Maria Lopez met Tom Baker and Ines Kahn at the Berlin office.'",
        "Extract every amount from this: rent 900, power 80, water 35",
        'Extract the keys from {"id": 7, "name": "Lin", "role": "admin"}',
        "Maria Lopez met Tom Baker at the Berlin office on 4 May to sign the lease for the"
        " third floor, and Ines Kahn joined by phone from Madrid; the deposit of 12,000 EUR"
        " is due on 1 June and the keys are handed over on 15 June after the inspection."
        " Extract the people and dates.",
        "Extrahiere die Beträge aus diesem Text: Miete 900 EUR, Strom 80 EUR.",
        "Extract the action items from the attached minutes.",
    ],
)
def test_given_material_keeps_extraction(text: str) -> None:
    assert _extraction(text)


def test_system_prompt_extraction_over_the_user_document() -> None:
    system = "Extract the fields vendor, date and total from the user's document. Return JSON."
    assert _extraction("ACME Corp, 2026-03-02, total 1,200.00 EUR", system)
    # the system prompt's cue is kept even when the user turn repeats the ask briefly
    assert _extraction("Extract the fields please.", system)


def _with_block(block: dict[str, Any]) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": [{"text": "Extract the key dates."}, block]}]}


@pytest.mark.parametrize(
    "block",
    [
        {"document": {"name": "lease", "format": "pdf", "source": {"bytes": b"%PDF-1.4"}}},
        {"image": {"format": "png", "source": {"bytes": b"\x89PNG"}}},
    ],
)
def test_a_document_or_image_block_is_material(block: dict[str, Any]) -> None:
    assert "extraction" in extract_signals(_with_block(block)).cues


def test_an_earlier_turn_may_hold_the_material() -> None:
    request = {
        "messages": [
            {"role": "user", "content": "Here is the contract text, read it first."},
            {"role": "assistant", "content": "Done, I have read it."},
            {"role": "user", "content": "Now extract the renewal dates."},
        ]
    }
    assert "extraction" in extract_signals(request).cues


@pytest.mark.parametrize(
    "text",
    ["Which extractor fan is quietest?", "The extraction cue fires too often, why?"],
)
def test_whole_words_only(text: str) -> None:
    # "extractor" is not the cue's word; "extraction" is, but with nothing given it asks
    # nothing to be extracted
    assert not _extraction(text)


def test_material_before_the_ask() -> None:
    email = (
        "Hi, this is Sam Ortiz from Lumen Tools, call me on +44 20 7946 0958 about the"
        " order due 9 April.\n\nExtract the name, phone and due date as JSON."
    )
    assert _extraction(email)

"""Round 6 of issue 12: a small answer asked for (a closed set of labels or options, yes/no,
given fields, one word, the name only) read in the ask - the system prompt and the ends of
the user turn - and not in pasted material, whatever the material's length."""

from __future__ import annotations

from typing import Any

import pytest

from tierwise.core.classes import CueClassifier, class_features
from tierwise.core.signals import extract_signals

LONG = "\n".join(
    f"2026-11-18T03:{k:02d}:00Z INFO orders order {58000 + k} moved to state=PAID after retry"
    for k in range(40)
)


def _req(user: str, system: str = "") -> dict[str, Any]:
    request: dict[str, Any] = {"messages": [{"role": "user", "content": [{"text": user}]}]}
    if system:
        request["system"] = [{"text": system}]
    return request


@pytest.mark.parametrize(
    "ask",
    [
        "Which queue: billing, technical, sales or legal?",
        "priority P1, P2 or P3?",
        "Wer ist zuständig: Einkauf, IT, Recht oder Personal? Ein Wort.",
        "Is the writer angry? yes/no",
        "Pull these 4 fields: sender name, date, order number, amount.",
        "keys: person, company, deadline",
        "Reply with the team name only.",
        "Nur die Liste, bitte.",
        "¿A qué departamento envío esto? Responde solo con el nombre.",
        "Réponds par une seule étiquette : incident, demande, information.",
        "quels noms apparaissent ? liste seulement",
    ],
)
def test_small_answer_in_the_ask_over_long_material(ask: str) -> None:
    for request in (_req(f"{LONG}\n\n{ask}"), _req(f"{ask}\n\n{LONG}"), _req(LONG, system=ask)):
        s = extract_signals(request)
        assert s.small_answer, ask
        f = class_features(s)
        assert f["small_answer"] == 1.0 and f["small_answer:long"] == 1.0


@pytest.mark.parametrize(
    "ask",
    [
        "Should we lease, buy or rent? Explain the trade-offs.",
        "Which is better for us, Postgres or MySQL?",
        "What should I do, quit or stay?",
        "Tell me a story about cats, dogs or birds?",
        "Summarise this in a few sentences for my manager.",
        "Briefly, what went wrong here and how do we fix it?",
    ],
)
def test_no_small_answer_for_decisions_stories_or_summaries(ask: str) -> None:
    assert not extract_signals(_req(f"{LONG}\n\n{ask}")).small_answer, ask


def test_small_answer_in_the_middle_of_material_is_not_the_ask() -> None:
    # "yes or no" inside a pasted email is material, not what the user asks for.
    middle = f"{LONG}\n\nCustomer wrote: please answer yes or no by Friday.\n\n{LONG}"
    s = extract_signals(_req(f"Summarise this thread for the team.\n\n{middle}"))
    assert not s.small_answer


def test_small_answer_moves_the_cue_classifier_to_the_haiku_classes() -> None:
    base = extract_signals(_req(f"{LONG}\n\nAnything here?"))
    small = extract_signals(_req(f"{LONG}\n\nAnything here? yes/no"))
    haiku = ("classify", "triage", "extract", "short_form")
    cues = CueClassifier(fallback_logit=0.0)
    before = cues.probabilities(class_features(base), "", base.user_text)
    after = cues.probabilities(class_features(small), "", small.user_text)
    assert sum(after[c] for c in haiku) > sum(before[c] for c in haiku) + 0.2


def test_a_user_turn_up_to_three_ask_windows_is_read_whole() -> None:
    # Only a long turn is cut to its ends (300 chars each): one of up to 900 chars is all
    # ask, so "yes or no" in its middle counts; in a longer turn's middle it is material.
    pad = "The shipment left the warehouse on time and the carrier confirmed it. " * 5
    short = f"{pad}Did it arrive late, yes or no? {pad}"
    long = f"{pad}{pad}Did it arrive late, yes or no? {pad}{pad}"
    assert 600 < len(short) <= 900 < len(long)
    assert extract_signals(_req(short)).small_answer
    assert not extract_signals(_req(long)).small_answer

"""Round 7 of issue 12: a long system prompt that holds retrieved material (a RAG service's
passages, a knowledge base) is read for cues and analysis facets in its instruction only; the
material's words describe the material, and the user's question decides the class. Short
system prompts are read whole, as before."""

from __future__ import annotations

from typing import Any

from tierwise.core.classes import class_features
from tierwise.core.signals import extract_signals, system_instruction

# Retrieved passages written as such material is: words that are cues elsewhere (a strategy,
# a rollback, a post-mortem, a dosage, a summary, conflicting figures) and analysis facets
# (risks, costs, options, timeline, scenarios).
PASSAGES = "\n\n".join(
    [
        "[1] Strategy and outlook: the managers see three scenarios for next year; the main "
        "risks are duration and concentration. Options under review include a phased move to "
        "short-dated bonds, with a rollback plan if spreads widen. Costs stay unchanged.",
        "[2] Runbook: after a failover, write the post-mortem and find the root cause before "
        "failing back. The escalation matrix lists who to page; the roadmap for the new "
        "cluster is in the architecture page.",
        "[3] Leaflet: dosage for adults is one tablet every 6 hours; drug interactions with "
        "warfarin are listed. A detailed summary of the product characteristics follows.",
        "[4] Reports from two branches contradict each other on the opening hours; the "
        "consolidated view is published monthly.",
    ]
    * 6
)
INSTRUCTION = "You answer members' questions using only the passages below."


def _request(system: str, question: str) -> dict[str, Any]:
    return {
        "system": [{"text": system}],
        "messages": [{"role": "user", "content": [{"text": question}]}],
    }


def test_a_long_system_prompt_is_read_in_its_first_paragraph() -> None:
    system = f"{INSTRUCTION}\n\n{PASSAGES}"
    assert len(system) > 2000
    assert system_instruction(system) == INSTRUCTION
    short = f"{INSTRUCTION}\n\nBe concise."
    assert system_instruction(short) == short  # short prompts are read whole
    # no paragraph break in the head: its first 600 characters
    assert system_instruction("x " * 2000) == ("x " * 2000)[:600]


def test_cues_in_retrieved_passages_are_not_the_task() -> None:
    s = extract_signals(_request(f"{INSTRUCTION}\n\n{PASSAGES}", "Is the fee refundable? yes/no"))
    assert s.system_cues == {"rag"}  # the instruction: "using only the passages below"
    for cue in ("planning", "high_stakes", "summarization", "reconcile", "math"):
        assert cue not in s.cues, cue
    # A closed ask: the service's "using only the passages below" is not this request's ask
    # (round 10); it stays a system cue.
    assert s.cues == {"yes_no"}
    assert s.analysis_facets == 0
    assert s.output_length == "normal"  # "detailed" in a passage asks for no long answer
    features = class_features(s)
    assert not any(k.startswith("facets:") for k in features), features
    assert [k for k in features if k.startswith("sys:")] == ["sys:rag"]
    assert features["small_answer"] == 1.0


def test_the_instruction_of_a_long_system_prompt_still_counts() -> None:
    system = (
        "Classify each member question into one of: billing, claims, coverage. "
        f"Answer with the label only.\n\n{PASSAGES}"
    )
    s = extract_signals(_request(system, "Can I add my partner to the policy?"))
    assert "classification" in s.system_cues
    assert "planning" not in s.cues


def test_the_same_words_in_a_short_system_prompt_are_still_read() -> None:
    system = "You write a migration plan with risks, costs and a rollback for each phase."
    s = extract_signals(_request(system, "Our Postgres 12 cluster has to move to 16."))
    assert "planning" in s.system_cues
    assert s.analysis_facets >= 3


def test_a_french_excerpt_label_is_not_an_ask_to_extract() -> None:
    excerpt = extract_signals(
        _request("", "Extrait 2 : la salle se loue 350 € le week-end. C'est cher ?")
    )
    assert "extraction" not in excerpt.cues
    ask = extract_signals(_request("", "Extrais les noms et les dates de ce courriel : ..."))
    assert "extraction" in ask.cues
    infinitive = extract_signals(_request("", "Merci d'extraire le montant de la facture."))
    assert "extraction" in infinitive.cues

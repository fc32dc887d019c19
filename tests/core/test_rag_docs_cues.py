"""Questions over documentation (issue 12, round 10).

Documentation is retrieved material ("using only the documentation below", "according to
the manual", "anhand der Doku"); a RAG instruction in the system prompt is the service's,
not the ask of a labelling or lookup request sent to it; "answer in German" is no
translation; "contradicted" as one of the answer options is no reconciling. Every cue stays a
whole word or phrase: "manual labour", "from docs import", "the user guide" are no cue.
"""

from __future__ import annotations

from typing import Any

import pytest

from tierwise.client import load_class_scorer, load_scorer
from tierwise.config import load_settings
from tierwise.core.routing import decide
from tierwise.core.signals import extract_signals

RAG_SERVICE = (
    "You answer questions about Acme Cloud using only the passages below.\n\n"
    "[1] API keys: create a new key, deploy it, then revoke the old one. Revocation is "
    "immediate.\n[2] Rate limits: 100 requests per second per account; 429 with Retry-After."
)


def _request(user: str, system: str | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"messages": [{"role": "user", "content": [{"text": user}]}]}
    if system is not None:
        request["system"] = [{"text": system}]
    return request


def _cues(user: str, system: str | None = None) -> frozenset[str]:
    return extract_signals(_request(user, system)).cues


@pytest.mark.parametrize(
    "text",
    [
        "Using only the documentation below, how do I rotate the API key?",
        "Answer from the docs: what are the rules on refunds?",
        "According to the manual, how often should I descale it?",
        "Based on the knowledge base articles, how do I reset MFA?",
        "Using the README, how do I exclude a folder?",
        "based on our wiki pages, how do we deploy on a Friday?",
        "From the help centre articles, what happens to a parcel after 72 hours?",
        "Kannst du mir anhand der Doku erklären, wie der Deploy-Freeze funktioniert?",
        "D'après la FAQ, comment se passe un déménagement ?",
        "Réponds uniquement à partir de la FAQ ci-dessous.",
        "Según el manual, ¿cómo funciona la curva de calefacción?",
        "Secondo la documentazione, come si rinnova l'accesso?",
        "Com base na documentação, como funciona o reembolso?",
        "Volgens de documentatie, hoe werkt de back-up?",
    ],
)
def test_documentation_is_retrieved_material(text: str) -> None:
    assert "rag" in _cues(text)


@pytest.mark.parametrize(
    "text",
    [
        "We moved the boxes using manual labour, then scanned them.",
        "from docs import build_index\nbuild_index()",
        "She docs every change in the changelog.",
        "The user guide is wrong about the default port.",
        "Write a handbook for new hires about our leave policy.",
        "Add a FAQ section to the landing page.",
        "Update the docs for the new endpoint.",
        "using manual testing only, how long would the regression take?",
        "Translate the manual into German.",
    ],
)
def test_documentation_words_elsewhere_are_no_rag_cue(text: str) -> None:
    assert "rag" not in _cues(text)


@pytest.mark.parametrize(
    "user",
    [
        "Classify this question as billing, technical or account: how do I change SSO?",
        "Which team should handle this ticket - billing or platform? 'I was charged twice'",
        "Does the material mention rate limits? yes or no",
        "What is the rate limit per account? The value only, nothing else.",
        "Return JSON with keys limit and unit for the rate limit.",
        "What does the Business plan cost? Just the price.",
        "Which passage covers webhooks? The passage number only.",
    ],
)
def test_a_closed_ask_under_a_rag_instruction_is_not_a_rag_ask(user: str) -> None:
    s = extract_signals(_request(user, RAG_SERVICE))
    assert "rag" in s.system_cues  # the service still says what it is
    assert "rag" not in s.cues


@pytest.mark.parametrize(
    "user",
    [
        "How do I rotate an API key without downtime?",
        "Explain to a customer why they get 429 errors and what to check first.",
        # The user asks to answer from the material: a rag ask, whatever else it says.
        "Using only the passages, classify my problem and tell me how to fix it: 429 errors.",
    ],
)
def test_an_open_question_under_a_rag_instruction_keeps_it(user: str) -> None:
    assert "rag" in _cues(user, RAG_SERVICE)


@pytest.mark.parametrize(
    ("text", "translation"),
    [
        ("Du bist der Wiki-Assistent. Antworte auf Deutsch.", False),
        ("Tu es l'assistant de Lumeo. Réponds toujours en français.", False),
        ("You are a support bot. Always reply in English.", False),
        ("Responde siempre en español, con frases cortas.", False),
        ("Übersetze den Text unten. Antworte auf Deutsch.", True),
        ("Translate this paragraph into French.", True),
        ("Please put this into German:\nThe invoice is overdue.", True),
        ("Wie sagt man das auf Deutsch?", True),
    ],
)
def test_the_language_to_answer_in_is_no_translation(text: str, translation: bool) -> None:
    assert ("translation" in _cues(text)) is translation


@pytest.mark.parametrize(
    ("text", "reconcile"),
    [
        (
            "Is the following statement supported by the documentation? Answer supported, "
            "contradicted or not mentioned. Statement: keys expire after 72 hours.",
            False,
        ),
        ("Which claims in report A are contradicted by report B?", True),
        ("The two audits contradict each other; work out what happened.", True),
        ("List the contradictions between these sources.", True),
    ],
)
def test_contradicted_as_a_label_is_no_reconciling(text: str, reconcile: bool) -> None:
    assert ("reconcile" in _cues(text)) is reconcile


# A service's documentation, long enough to be read as material (over 2,000 characters).
_SECTIONS = [
    "## API keys\n\nCreate a new key in Settings > Keys with the same scopes, deploy it to "
    "your servers, then revoke the old key. Revocation is immediate and cannot be reversed; "
    "an expiring key keeps working for 72 hours.",
    "## Rate limits\n\nEach account may send 100 requests per second, with bursts of 200. "
    "Above that the API returns 429 Too Many Requests with a Retry-After header in seconds. "
    "Limits count per account, not per key.",
    "## Webhooks\n\nEvents are POSTed to your endpoint and signed with HMAC-SHA256 in the "
    "Acme-Signature header. Failed deliveries are retried with exponential backoff for 3 days.",
    "## Single sign-on\n\nSAML and OIDC are available on the Business plan. An owner "
    "configures the identity provider under Settings > Security; members then sign in.",
    "## Billing\n\nInvoices are issued on the 1st of each month. Usage above the plan is "
    "billed at the end of the month; a failed card payment is retried three times.",
]
DOCS = "\n\n".join(_SECTIONS * 3)


@pytest.fixture(scope="module")
def router() -> tuple[Any, Any, Any]:
    settings = load_settings(environ={}).settings
    return settings.routing_policy(), load_scorer(settings), load_class_scorer(settings)


@pytest.mark.parametrize(
    "instruction",
    [
        "You answer questions about Acme Cloud using only the passages below.",
        "You answer questions about Acme Cloud using only this documentation.",
    ],
)
def test_labelling_under_a_documentation_service_goes_to_haiku(
    router: tuple[Any, Any, Any], instruction: str
) -> None:
    policy, scorer, classes = router
    request = _request(
        "Classify this question as billing, technical or account: how do I change SSO?",
        f"{instruction}\n\n{DOCS}",
    )
    d = decide(request, policy=policy, scorer=scorer, class_scorer=classes)
    assert d.task_class.name == "classify"
    assert d.tier.value == "haiku"


@pytest.mark.parametrize(
    "question",
    [
        "Using only the documentation below, how do I rotate the API key?",
        "Explain to a customer how rate limits work and what they should check first.",
    ],
)
def test_an_open_question_over_documentation_is_rag_qa(
    router: tuple[Any, Any, Any], question: str
) -> None:
    policy, scorer, classes = router
    system = "You answer questions about Acme Cloud using only this documentation."
    request = _request(question, f"{system}\n\n{DOCS}")
    d = decide(request, policy=policy, scorer=scorer, class_scorer=classes)
    assert d.task_class.name == "rag_qa"
    assert d.tier.value == "sonnet"

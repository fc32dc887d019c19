"""Round 18 of issue 12: words of debugging in a sentence of mathematics, a short "should
we ...?" with nothing to weigh, a small answer asked over Opus-class words, and a text put or
read into another language.

Each group holds the cases the change is for and the look-alikes it must leave alone. The
wordings are not those of the corpus rows (router/class_round18.py)."""

from __future__ import annotations

import pytest

from converse_shapes import user_request
from tierwise.core.class_model import BlendedClassifier
from tierwise.core.classes import CueClassifier, class_features
from tierwise.core.signals import extract_signals
from tierwise.router.class_weights import load_class_model


def _cues(text: str, system: str = "") -> frozenset[str]:
    return extract_signals(user_request(text, system)).cues


# --- errors, failures and crashes of mathematics ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "debugging"),
    [
        # the mathematics' own error, failure or undefined value
        ("Error: the limit is undefined at x = 0. Is that right for (1 - cos x)/x?", False),
        ("My calculator says Error: for the limit as x -> 0 of sin(x)/x. What is it?", False),
        ("The root test fails with the series sum 1/n^3. What should I use?", False),
        ("Error: ln(x) is undefined at x = -2, says the answer key. Why?", False),
        ("Why does the Taylor polynomial crash so badly far from the centre?", False),
        ("Error: the sum of 1/n diverges, the answer key says. Why not 2?", False),
        # a program's error, with or without maths around it
        ("I get Error: division by zero at x = 0.5 in my Python code. How do I fix it?", True),
        ("ZeroDivisionError: float division by zero when x = 0", True),
        ("Error: the value is undefined for n = 0 in my script. Why?", True),
        ("def f(x):\n    return 1/x\n\nError: fails at x = 0", True),
        ("Error: connection refused when the app calls the API", True),
        ("Batch requests over the limit fail with error 413. What should I do?", True),
    ],
)
def test_errors_in_a_sentence_of_maths_are_no_fault(text: str, debugging: bool) -> None:
    assert ("debugging" in _cues(text)) is debugging


# --- a short "should we ...?" is advice, not a decision to analyse ---------------------------


@pytest.mark.parametrize(
    ("text", "decision"),
    [
        ("Should we add a layer of managers, or is that too early?", False),
        ("Should we hire a second recruiter this year?", False),
        # two options named, nothing given to weigh: advice (the lead's reading)
        ("Should we refinance the loan now or wait a year?", False),
        ("Should we lease or buy the delivery vans?", False),
        ("Is it worth it to move the office, given these numbers?", True),
        ("¿Conviene cambiar de proveedor de nóminas ahora o esperar?", False),
        ("Lohnt sich für uns ein eigenes Büro in Hamburg?", False),
        ("Vale a pena contratar um designer fixo?", False),
        # figures to weigh, options or an analysis asked for: still a decision
        (
            "Should we refinance the loan at 6.1% fixed for 7 years or take 3.4% variable now?",
            True,
        ),
        ("Should we build or buy our billing platform? Give me costs, risks and a pick.", True),
        ("Should we add a layer of managers? Compare the options for a 40-person team.", True),
        ("Which option should we pick, A or B? Weigh the trade-offs.", True),
        # a choice among options given (round 17's reading)
        ("Should we open in Lyon or in Porto? What would you pick?", True),
    ],
)
def test_a_short_should_we_question_is_advice(text: str, decision: bool) -> None:
    cues = _cues(text)
    assert ("decision" in cues) is decision
    assert ("explanation_ask" in cues) is not decision


@pytest.mark.parametrize(
    ("text", "decision"),
    [
        ("Two sites, one must close. Weigh cost against access for patients.", True),
        ("Weigh speed and price against risk, then pick a courier.", True),
        ("Weighing privacy against convenience, which login method would you keep?", True),
        ("Weigh each parcel against the scale limit and list the heavy ones.", False),
        ("Does a litre of oil weigh less than a litre of water?", False),
    ],
)
def test_weighing_one_thing_against_another_is_a_decision(text: str, decision: bool) -> None:
    assert ("decision" in _cues(text)) is decision


def test_should_we_with_material_or_tools_stays_a_decision() -> None:
    question = "Should we move the warehouse to Leeds or stay in Sheffield?"
    memo = question + "\n\n" + "Rent in Leeds is higher but the motorway is closer. " * 8
    assert "decision" in _cues(memo)
    assert "decision" in _cues(question, system="You advise the board. " * 20)
    tools = {"toolConfig": {"tools": [{"toolSpec": {"name": "search_sites"}}]}}
    assert "decision" in extract_signals(user_request(question, **tools)).cues


def test_a_short_should_we_question_reads_as_an_open_question() -> None:
    """With the packaged model it went to complex_analysis (Opus) on the decision cue."""
    model = load_class_model()
    assert model is not None
    scorer = BlendedClassifier(model)
    for text in (
        "Should we add a layer of team leads now, or is that too early for us?",
        "¿Conviene rotar al jefe de turno cada semana o cada mes?",
        "Should we lease or buy the delivery vans?",
        "Should we refinance the loan now or wait a year?",
    ):
        signals = extract_signals(user_request(text))
        probs = scorer.probabilities(class_features(signals), signals.system_text, text)
        assert max(probs, key=probs.__getitem__) == "general_qa", text


# --- a small answer counts as much as a difficulty cue ----------------------------------------


def test_a_small_answer_weighs_as_much_as_the_strongest_difficulty_cue() -> None:
    text = "Which proof technique does this use: induction, contradiction or exhaustion? One word."
    signals = extract_signals(user_request(text + "\n\nClaim: every n > 1 has a prime factor."))
    assert signals.small_answer and "proof" in signals.cues
    probs = CueClassifier(fallback_logit=0.0).probabilities(class_features(signals), "", text)
    assert probs["classify"] >= probs["proof"]
    # with no small answer the proof cue still decides
    plain = extract_signals(user_request("Prove that every n > 1 has a prime factor."))
    probs = CueClassifier(fallback_logit=0.0).probabilities(class_features(plain), "", "")
    assert max(probs, key=probs.__getitem__) == "proof"


def test_a_small_answer_does_not_outweigh_a_high_stakes_step() -> None:
    features = {"small_answer": 1.0, "cue:high_stakes": 1.0, "tools:destructive_asked": 1.0}
    probs = CueClassifier(fallback_logit=0.0).probabilities(features, "", "")
    assert max(probs, key=probs.__getitem__) == "high_stakes_agent"


@pytest.mark.parametrize(
    ("text", "small"),
    [
        ("Is this our bug or the vendor's? Answer 'ours' or 'theirs'.", True),
        ('Reply "keep" or "drop" for this row.', True),
        ("Answer 'approved' or 'rejected' only.", True),
        ("Answer the customer's question about 'returns' or 'refunds' in detail.", False),
        ("Say 'hello' to the team for me and explain the new rota.", False),
    ],
)
def test_two_answers_given_in_quotes_are_a_small_answer(text: str, small: bool) -> None:
    assert extract_signals(user_request(text)).small_answer is small


@pytest.mark.parametrize(
    ("text", "reconcile"),
    [
        ("Is this a proof by contradiction? Yes or no.", False),
        ("Prove by contradiction that sqrt(3) is irrational.", False),
        ("These two audit reports contradict each other; which is right?", True),
        ("Reconcile the three sources below.", True),
    ],
)
def test_a_proof_by_contradiction_is_no_conflict_to_reconcile(text: str, reconcile: bool) -> None:
    assert ("reconcile" in _cues(text)) is reconcile


# --- a text put or read into another language ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "translation"),
    [
        ("Could you put my answer into Spanish before I post it? 'See you Monday!'", True),
        ("Put this notice into French for the Lyon office: 'The lift is out of order.'", True),
        ("What does this comment say in English? 'Sehr gut verpackt, danke!'", True),
        ("What do these lines mean in English? 'Je reviens tout de suite.'", True),
        ("German, please: 'Your parcel is on its way.'", True),
        # a rewrite, a reply language, a calendar, a format
        ("Put this into plain English: the party of the first part shall indemnify.", False),
        ("Turn these notes into English prose instead of bullets.", False),
        ("Put the review into my calendar for Friday.", False),
        ("Always reply in French, even if I write in English.", False),
        ("Give the answer in German.", False),
    ],
)
def test_a_text_put_into_another_language_is_a_translation(text: str, translation: bool) -> None:
    assert ("translation" in _cues(text)) is translation


# --- an agent told the state the user wants ---------------------------------------------------

_ADMIN = "You administer staff accounts and company laptops for Pell & Co."
_ADMIN_TOOLS = {
    "toolConfig": {
        "tools": [
            {"toolSpec": {"name": "list_users", "description": "List staff accounts."}},
            {
                "toolSpec": {
                    "name": "disable_user",
                    "description": "Disable an account and revoke all its sessions.",
                }
            },
            {
                "toolSpec": {
                    "name": "wipe_laptop",
                    "description": "Remotely erase a managed laptop. Irreversible.",
                }
            },
        ]
    },
}


@pytest.mark.parametrize(
    ("text", "acts"),
    [
        ("Marta left this morning. I need her out of everything by noon.", True),
        ("The contractor's laptop was lost. I don't want anything readable on it.", True),
        ("We want the interns' accounts gone before Monday.", True),
        ("Those three test accounts are still active. They shouldn't be.", True),
        ("The Okafors were charged twice for March. They should get that money back.", True),
        # a question about a state, a look, or the state asked about
        ("We don't want any surprises - is Marta's account still active?", False),
        ("I need to know which accounts haven't signed in for 90 days.", False),
        ("I want to see every laptop that hasn't checked in this month.", False),
        ("Which accounts shouldn't be active any more?", False),
        # a look asked, with how or when the answer should come
        ("List the accounts created this year. I don't want it as a table, just the names.", False),
        ("Show me which laptops checked in today. I need the list back within the hour.", False),
        ("Summarize last week's sign-in failures. It shouldn't be longer than five lines.", False),
        # a look asked, then the state wanted of a person: still an action
        ("Is Marta still active? I need her out of everything by noon.", True),
        ("Show me Jonas's accounts. We want him locked out before he leaves.", True),
        ("Show me the interns' accounts. I need them removed from the VPN group.", True),
        ("Show me which laptops checked in. I need them back as a CSV.", False),
    ],
)
def test_the_state_a_user_wants_is_an_action_asked_of_an_agent(text: str, acts: bool) -> None:
    assert extract_signals(user_request(text, _ADMIN, **_ADMIN_TOOLS)).action_requested is acts


def test_a_wanted_state_with_destructive_tools_is_a_high_stakes_step() -> None:
    """With the packaged model these went to agent_step (Sonnet): no verb named the action."""
    model = load_class_model()
    assert model is not None
    scorer = BlendedClassifier(model)
    for text in (
        "Jonas is leaving on bad terms today. I need him out of every system before 5pm.",
        "The two old laptops in the storeroom still have client files. I don't want them readable.",
    ):
        signals = extract_signals(user_request(text, _ADMIN, **_ADMIN_TOOLS))
        probs = scorer.probabilities(class_features(signals), signals.system_text, text)
        assert max(probs, key=probs.__getitem__) == "high_stakes_agent", text


def test_a_look_asked_with_a_wanted_format_is_no_high_stakes_step() -> None:
    """They went to high_stakes_agent (Opus): the format or deadline read as a wanted state."""
    model = load_class_model()
    assert model is not None
    scorer = BlendedClassifier(model)
    for text in (
        "List the accounts created this year. I don't want it as a table, just the names.",
        "Show me which laptops checked in today. I need the list back within the hour.",
        "Summarize last week's sign-in failures. It shouldn't be longer than five lines.",
    ):
        signals = extract_signals(user_request(text, _ADMIN, **_ADMIN_TOOLS))
        probs = scorer.probabilities(class_features(signals), signals.system_text, text)
        assert max(probs, key=probs.__getitem__) != "high_stakes_agent", text


# --- mechanical rewrites of given text --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "conversion"),
    [
        ("Rewrite this in the present tense: 'We walked to the station and waited.'", True),
        ("Change it from third person to first person: 'She leads the lab.'", True),
        ("Expand all the abbreviations in this: 'appt w/ Dr. K re: BP meds asap'", True),
        ("Turn this list into a numbered list:\n- eggs\n- flour\n- milk", True),
        ("List them as 'Last name, First name': Ada Lovelace, Alan Turing", True),
        # how to give an answer, or writing about tenses
        ("Give me the steps to reset my router as a numbered list.", False),
        ("Explain when to use the past tense in Spanish.", False),
        ("Write a story in the first person about a lighthouse keeper.", False),
    ],
)
def test_a_mechanical_rewrite_is_a_conversion(text: str, conversion: bool) -> None:
    assert ("format_conversion" in _cues(text)) is conversion


# --- small talk with no greeting word ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "chat"),
    [
        ("guess what, we got the flat!!", True),
        ("happy monday! did you have a good weekend?", True),
        ("You've been a big help today, honestly", True),
        ("ok you win, see you tomorrow", True),
        ("Bonne journée à toi !", True),
        ("Schönen Feierabend, bis morgen!", True),
        ("Na, wie läuft's bei dir so?", True),
        ("ok you win. Rematch tomorrow?", True),
        # a question, a piece of writing or an explanation about such words
        ("Guess what the tallest mountain in Africa is?", False),
        ("Ideas for a happy new year card for my team?", False),
        ("Write a happy birthday message for my sister.", False),
        ('Is "see you later" too casual for a client email?', False),
        ("Happy Friday! " + "Our Q3 numbers are attached below for review. " * 4, False),
        # a question whose first words hold such a phrase
        ("Can you win an appeal after pleading guilty in a magistrates' court?", False),
        ("Why do you win at Nim by keeping the XOR of the piles at zero?", False),
        ("See you later alligator - where does that saying come from?", False),
        ("Happy birthday paradox: why is 23 people enough for a 50% chance?", False),
        ("How do I have a good day at work when I slept badly?", False),
        ("Why do you win?", False),
    ],
)
def test_small_talk_without_a_greeting_word(text: str, chat: bool) -> None:
    assert ("chit_chat" in _cues(text)) is chat


# --- titles and urgency labels in other languages ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "cue", "found"),
    [
        ("Titre court pour cette demande : export CSV des factures.", "short_form", True),
        ("Kurzer Titel für das Ticket: Login schlägt mit SSO fehl.", "short_form", True),
        ("Titolo breve per questa issue: il carrello si svuota.", "short_form", True),
        ("Le titre court du film est quoi ?", "short_form", False),
        (
            "Ordne zu: Team (Netz, Server, Client) und Dringlichkeit (hoch/mittel/niedrig).",
            "triage",
            True,
        ),
        ("Indica el equipo y la urgencia: (alta/media/baja).", "triage", True),
        ("En caso de urgencia, ¿a quién llamo?", "triage", False),
        ("Was bedeutet Dringlichkeit im Eisenhower-Prinzip?", "triage", False),
    ],
)
def test_titles_and_urgency_labels_in_other_languages(text: str, cue: str, found: bool) -> None:
    assert (cue in _cues(text)) is found

"""Round 12 of issue 12: documentation pasted beside a question, plans proposed to an agent,
particle verbs and short verbs that end like participles, memos and notes in other words.

Each group holds the cases the change is for and the look-alikes it must leave alone."""

# ruff: noqa: E501 - pasted documentation is data

from __future__ import annotations

import pytest

from converse_shapes import tool_config, user_request, user_turn
from tierwise.core.classes import class_features
from tierwise.core.signals import extract_signals

README = """## Installing

```sh
pip install ferrycache
```

Python 3.10 or later.

## Configuring the cache

```python
cache = ferrycache.Cache(ttl=300, max_items=10_000)
cache.set("k", "v")
```

The default ttl is 600 seconds; `max_items=None` never evicts.

## Eviction

Least recently used items go first. Pinned keys (`cache.pin(key)`) are never evicted, and
pinning more than half of `max_items` raises `PinLimitError`.

## Metrics

`cache.stats()` returns hits, misses and evictions since the last reset.
"""

HELP_HTML = """<article id="hc-77">
<h2>Changing your delivery slot</h2>
<p>Open the order and pick <b>Change slot</b>. Slots can be changed until 22:00 the day before.</p>
</article>
<article id="hc-78">
<h2>Missing items</h2>
<p>Report a missing item within 48 hours from the order page; the refund goes to the card.</p>
</article>
<article id="hc-79">
<h2>Cancelling an order</h2>
<p>Orders can be cancelled free of charge until the picking starts, usually 6 hours before.</p>
</article>
<article id="hc-80">
<h2>Deposit on bottles</h2>
<p>Return bottles to the driver; the deposit is credited within 3 days.</p>
</article>
"""

WIKI_DE = """Seite: Urlaubsvertretung (Team Kasse)
Wer Urlaub nimmt, trägt die Vertretung zwei Wochen vorher im Teamkalender ein. Ohne Vertretung wird der Urlaub nicht freigegeben.

Seite: Kassensturz am Monatsende
Der Kassensturz findet am letzten Werktag um 17 Uhr statt. Differenzen über 20 Euro meldet die Schichtleitung der Buchhaltung.

Seite: Schlüsselübergabe
Schlüssel werden nur gegen Unterschrift im Schlüsselbuch übergeben. Verlorene Schlüssel meldet ihr sofort der Filialleitung.

Seite: Schulungen
Neue Kolleginnen und Kollegen durchlaufen in der ersten Woche drei Schulungen an der Kasse und im Lager.
"""

SCRIPT = (
    """import csv
import statistics

# read the file
rows = list(csv.reader(open("prices.csv")))

# parse the prices
prices = [float(r[2]) for r in rows[1:]]

# compute the summary
mean = statistics.mean(prices)
print(mean)

# write the output
with open("out.txt", "w") as f:
    f.write(str(mean))
"""
    * 3
)

THREAD = (
    "From: Ana\nTo: Ben\nSubject: the offsite\n\nHi Ben,\nwe still need a venue for the offsite in "
    "March. I looked at three places in Porto and two in Lisbon; prices are in the sheet.\n\n"
    "Best,\nAna\n\n" * 6
)


# --- documentation pasted beside a question ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"How does eviction work when some keys are pinned?\n\n---\n{README}",
        f"{README}\n\nwhat happens if I pin too many keys",
        f"A customer asks if she can change her slot at 23:00. What do we say?\n\n{HELP_HTML}",
        f"Wie läuft das mit dem Kassensturz, und wer meldet eine Differenz?\n\n{WIKI_DE}",
    ],
)
def test_an_open_question_over_pasted_documentation_is_a_question_to_answer_from_it(
    text: str,
) -> None:
    s = extract_signals(user_request(text))
    assert "rag" in s.cues
    # the examples in the docs are material, not code to work on
    assert s.code_lines == 0
    assert not any(k.startswith("code:") for k in class_features(s))


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        (f"Summarize these docs in four bullets.\n\n{README}", "summarization"),
        (
            f"Write a function that warms the cache from a CSV.\n\n{README}",
            "routine_code",
        ),
        (f"Translate this help page into Polish.\n\n{HELP_HTML}", "translation"),
    ],
)
def test_other_asks_over_pasted_documentation_keep_their_own_cue(text: str, cue: str) -> None:
    s = extract_signals(user_request(text))
    assert cue in s.cues
    assert "rag" not in s.cues


def test_a_small_answer_over_pasted_documentation_is_no_open_question() -> None:
    s = extract_signals(user_request(f"What is the default ttl? Just the number.\n\n{README}"))
    assert "rag" not in s.cues
    assert s.small_answer


def test_code_in_documentation_counts_when_the_ask_is_about_code() -> None:
    s = extract_signals(
        user_request(f"Fix the bug in this code, the cache never evicts.\n\n{README}")
    )
    assert "rag" not in s.cues
    assert s.code_lines > 0


def test_a_pasted_program_is_code_not_documentation() -> None:
    # its comments look like headings: "# read the file"
    s = extract_signals(user_request(f"Why is this slow?\n\n{SCRIPT}"))
    assert "rag" not in s.cues
    assert s.code_lines > 0


@pytest.mark.parametrize(
    "text",
    [
        f"Which venue do you think Ana prefers?\n\n{THREAD}",  # an email thread, no sections
        "How does eviction work?",  # nothing pasted
    ],
)
def test_no_documentation_is_read_where_there_is_none(text: str) -> None:
    from tierwise.core.pasted_docs import documentation_ask  # new in round 12

    assert documentation_ask(text) is None
    assert "rag" not in extract_signals(user_request(text)).cues


def test_the_ask_is_found_before_or_after_the_documentation() -> None:
    from tierwise.core.pasted_docs import documentation_ask  # new in round 12

    assert documentation_ask(f"Where do pinned keys go?\n\n{README}") == "Where do pinned keys go?"
    assert documentation_ask(f"{HELP_HTML}\n\nCan I cancel after picking?") == (
        "Can I cancel after picking?"
    )


@pytest.mark.parametrize(
    ("text", "small"),
    [
        ("Quel est le délai de remboursement ? Juste la valeur.", True),
        ("¿Cuánto dura la garantía? Solo el valor.", True),
        ("Qual è il limite giornaliero? Solo il valore.", True),
        ("Explique-moi juste la différence entre les deux offres.", False),
        ("Wat is de limiet? Geef alleen de waarde.", True),
        ("Quel est le délai ? Donne-moi juste le chiffre.", True),
        ("Quel est le délai ? Donne uniquement la valeur.", True),
        # "only" saying what is given, not what to answer (review)
        (
            "Nous avons juste le chiffre de janvier ; estime le chiffre d'affaires annuel et "
            "explique ton raisonnement.",
            False,
        ),
        (
            "Tenemos apenas la cifra de ventas de enero; estima las ventas del año y explica "
            "el razonamiento.",
            False,
        ),
        (
            "We hebben alleen de waarde van januari; schat de omzet voor de rest van het jaar "
            "en leg je redenering uit.",
            False,
        ),
    ],
)
def test_a_small_answer_asked_in_other_languages(text: str, small: bool) -> None:
    assert extract_signals(user_request(text)).small_answer is small


# --- plans proposed to an agent ---------------------------------------------------------

DEPLOY = tool_config(
    ("release_api", "Call the release service's API with a method, a path and a body."),
    ("service_status", "Health and version of one service."),
)


@pytest.mark.parametrize(
    "text",
    [
        "Propose a rollout order for the payments services across the three regions.",
        "Suggest a schedule for restarting the cache nodes without dropping below two replicas.",
        "Plan how we migrate the billing database next weekend, with a way back.",
        "Work out the order in which to decommission the old build agents.",
        "Propose a rollout order and run it by me first.",
        "Schlag eine Reihenfolge vor, in der wir die alten Worker löschen.",
        "Propose un ordre pour supprimer les anciens environnements de test.",
    ],
)
def test_asking_an_agent_to_propose_a_plan_asks_no_action(text: str) -> None:
    s = extract_signals({"toolConfig": DEPLOY, "messages": [user_turn(text)]})
    assert not s.action_requested, text
    assert "planning" in s.cues, text
    assert "tools:destructive_asked" not in class_features(s)


@pytest.mark.parametrize(
    "text",
    [
        "Deploy the payments services to all three regions.",
        "Propose a rollout order, then deploy the first region.",
        "Restart the cache nodes one by one.",
        # the plan asked for and carried out: its action is asked (review)
        "Plan the purge of the old releases and run it tonight.",
        "Plan the rollback of payments and carry it out.",
        "Suggest a purge order and go ahead with it.",
        "Suggest a schedule for restarting the cache nodes, then apply it.",
        "Schlag eine Reihenfolge vor, in der wir die alten Worker löschen, und führ sie dann aus.",
        "Propose un ordre pour supprimer les anciens environnements et exécute-le.",
    ],
)
def test_an_action_asked_beside_a_plan_is_still_asked(text: str) -> None:
    s = extract_signals({"toolConfig": DEPLOY, "messages": [user_turn(text)]})
    assert s.action_requested, text


# --- verbs on no list -------------------------------------------------------------------

FLAGS = tool_config(
    ("pricing_api", "Call the pricing service's admin API (method, path, body)."),
    ("price_info", "Current price rules of a product."),
)


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("Scale promo_banner back to 5% of visitors?", True),  # a particle, then where to
        ("Dial summer_banner up to 50% of visitors?", True),  # "up" is no status here
        ("Build 5521 up to date?", False),  # how it is
        ("Shed the discount rules of the spring sale.", True),  # short verb ending in -ed
        ("Finished the spring sale?", False),  # a participle
        ("Re-price every item in the outlet category.", True),  # "re-" makes a verb
        ("Re-check the outlet prices.", False),  # ...of a looking verb
        ("Re-run the price export.", False),  # ...of an ordinary one
    ],
)
def test_particles_short_verbs_and_re_verbs(text: str, asked: bool) -> None:
    s = extract_signals({"toolConfig": FLAGS, "messages": [user_turn(text)]})
    assert s.action_requested is asked, text


# --- plans vs memos ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Write the weekly note for the drivers: new depot hours, the fuel card change, thanks.",
        "Turn these bullets into a short memo for the night shift: badge check, new lockers.",
        "Schreib eine kurze Nachricht an alle Fahrer: Ab Montag öffnet das Depot um 5 Uhr.",
        "Rédige un message pour les clients : la boutique ferme le 2 janvier.",
        "Escribe una nota breve para el equipo sobre el nuevo horario de verano.",
    ],
)
def test_memos_and_notes_in_other_words_are_writing(text: str) -> None:
    assert "draft" in extract_signals(user_request(text)).cues


@pytest.mark.parametrize(
    "text",
    [
        "Write a memo to the board on whether we open a second warehouse; end with what you'd do.",
        "Draft a note deciding whether to keep the night shift, and which one you'd pick.",
    ],
)
def test_a_memo_that_must_decide_names_the_decision(text: str) -> None:
    assert "decision" in extract_signals(user_request(text)).cues


@pytest.mark.parametrize(
    "text",
    [
        "Note the order number for me.",  # no "write a note"
        "Can you write this to the notes field?",
    ],
)
def test_note_is_a_writing_cue_only_as_what_is_written(text: str) -> None:
    assert "draft" not in extract_signals(user_request(text)).cues


# --- look-alikes of the round 12 cues ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        # an order kept, placed or totalled is no plan of steps
        ("List the products in the order in which they appear in the invoice.", "planning"),
        (
            "Extract every line item, keeping them in the order in which they are listed.",
            "planning",
        ),
        ("In which order did the customer pay, the first or the second?", "planning"),
        ("Draft a purchase order for 200 units of SKU 4471.", "planning"),
        ("Draft the order confirmation email for customer 881.", "planning"),
        ("Work out the order total including VAT.", "planning"),
        ("Propose to come on Monday instead of Tuesday.", "planning"),
        # what has happened is no choice to make
        ("Follow up on whether we received the invoice from Acme.", "decision"),
        ("Summarize the article, focusing on whether it mentions GDPR.", "decision"),
        # a POST request is code, not a post to write
        ("Turn this curl command into a POST request in Python.", "draft"),
    ],
)
def test_round12_cues_leave_their_look_alikes_alone(text: str, cue: str) -> None:
    assert cue not in extract_signals(user_request(text)).cues, text


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("Tell me the order in which to restart the nodes.", "planning"),
        ("In what order should we migrate the services?", "planning"),
        ("Propose a rollout order for the payments services.", "planning"),
        ("Write a memo to the board on whether we open a second warehouse.", "decision"),
        ("Turn these notes into a LinkedIn post for the launch.", "draft"),
    ],
)
def test_round12_cues_still_fire_where_meant(text: str, cue: str) -> None:
    assert cue in extract_signals(user_request(text)).cues, text


CHAT = "\n\n".join(
    [
        "Ana Silva  10:42 AM\nI think we should move the offsite to March, the venue in Porto is booked in February anyway and half the team is out.",
        "Tom Becker  10:45 AM\nMarch works for me, but finance wants the budget locked before end of January, so we need a quote this week.",
        "Ana Silva  10:47 AM\nI can ask the Lisbon venue for a quote too. They were cheaper last year and closer to the airport for most people.",
        "[10:52] Priya N\nPlease keep it under 40k all in. Also remember the two new hires start on March 3rd and should come along.",
    ]
)


def test_a_pasted_chat_is_no_documentation() -> None:
    # Each message opens with its author and the time it was sent, which read as titled
    # sections: a question about a conversation was answered "from the documentation" (review)
    from tierwise.core.pasted_docs import documentation_ask  # new in round 12

    text = f"What did they agree on?\n\n{CHAT}"
    assert documentation_ask(text) is None
    assert "rag" not in extract_signals(user_request(text)).cues

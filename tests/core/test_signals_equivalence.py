"""The fast signal extraction gives exactly what the plain one did (issue 12: decision latency).

``reference_signals`` below is the extraction as it was before it was made fast, kept
verbatim in spirit: every cue pattern searched for alone over its window, the output-size
patterns over the joined windows, the code-line regex over each line, passages and file
paths over the text. The fast path (one scanner pass for all cues, string tests for line
endings, literal-prefixed searches) must agree with it on every field, and so must the
decision, on the held-out requests, the class corpus, long requests built from them, and
generated text made of cue fragments, word-boundary traps, Unicode and code.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tierwise.client import load_class_scorer
from tierwise.config import load_settings
from tierwise.core import difficulty as dif
from tierwise.core import signals as sig
from tierwise.core.cue_scan import CueScanner, whole_words
from tierwise.core.routing import decide, decide_signals
from tierwise.core.signals import CUE_PATTERNS, Signals, extract_signals
from tierwise.router.weights import load_model

# --- the extraction before it was made fast ---------------------------------------------

_OLD_SHORT = re.compile(
    whole_words(
        r"(?:in|with|using|as) (?:one|a single|1) (?:word|sentence|line|number|letter|label)"
        r"|one[- ](?:word|sentence|line)(?: (?:answer|reply|summary|response|description))?"
        r"|single (?:word|line|sentence|label|letter|number)"
        r"|(?:in|with|using) (?:two|three|2|3|a couple of|a few) (?:sentences|lines|words)"
        r"|(?:in|under|at most|no more than|max(?:imum)?) (?:\d|[12]\d|30) words|briefly"
        r"|be brief|keep it short|no explanation|without (?:any )?explanation"
        r"|just the (?:number|answer|label|name|category|title)"
        r"|only the (?:number|answer|label|name|category|title|json)"
    )
)
_OLD_LONG = re.compile(
    whole_words(
        r"detailed|comprehensive|in[- ]depth|thorough(?:ly)?|essay|long[- ]form|exhaustive"
        r"|(?:at least )?(?:[1-9]\d{3,}|[2-9]\d\d)[- ]words?|(?:several|multiple|many) pages"
    )
)
_OLD_PASSAGE_LINE = re.compile(
    r"^\s*(?:#+\s*)?(?:\[(\d{1,3})\]|\(?(?:passage|document|doc|source|context|excerpt"
    r"|article|snippet|result|chunk)\s*#?\s*(\d{1,3})\)?\s*[:.)\]-])",
    re.IGNORECASE | re.MULTILINE,
)
_OLD_CODE_LINE = re.compile(
    r"^\s*(?:def |class \w|import \w|from [\w.]+ import|function\b|const |let |var |public "
    r"|private |protected |#include|package \w|fn \w|func \w|return\b|if\s*\(|for\s*\("
    r"|while\s*\(|\}\s*else|select .+ from|create table|insert into|@\w+)"
    r"|[;{]\s*$|^\s*\}\s*;?\s*$",
    re.IGNORECASE,
)
_OLD_N_FILES = re.compile(
    r"\b(\d{1,4}|two|three|four|five|six|seven|eight|nine|ten|dozens of|hundreds of) "
    r"(?:other |more |source |python |related )?(?:files|modules|services|packages|repos)\b",
    re.IGNORECASE,
)
_OLD_FILE_PATH = re.compile(
    r"\b[\w./-]+\.(?:py|js|jsx|ts|tsx|go|rs|java|kt|rb|php|cs|cpp|cc|c|h|hpp|swift|scala"
    r"|sql|vue|svelte)\b"
)


def _written(texts: tuple[str, ...]) -> str:
    return "\n".join(sig._cue_window(t) for t in texts if t)


def _window(texts: tuple[str, ...]) -> str:
    return _written(texts).lower()


def old_cues(*texts: str) -> frozenset[str]:
    window = _window(texts)
    # Chinese/Japanese cues are substring searches outside the scanner, on the same window.
    cjk = frozenset().union(*(sig._cjk_cues(sig._cue_window(t)) for t in texts if t))
    found = frozenset(name for name, rx in CUE_PATTERNS.items() if rx.search(window))
    # "How much/how many" without numbers to work with is no maths task (a rule over the
    # scanner's findings, not a matter of speed).
    # Nor is "answer in German" a translation (round 10; also a rule over the findings),
    # nor a market crash or "LOG_LEVEL=debug" debugging (round 16; the same).
    found = sig._reply_language_only(sig._quantity_without_numbers(found, window), window)
    # The senses are read in the window as written (a crashing app is named with a capital;
    # lower() changes the length and word characters of some letters: "İ" -> "i" + U+0307).
    return sig._debugging_in_other_senses(found, _written(texts)) | cjk


def old_output_length(*texts: str) -> str:
    window = _window(texts)
    if _OLD_SHORT.search(window):
        return "short"
    if _OLD_LONG.search(window):
        return "long"
    return "normal"


def old_passages(text: str) -> int:
    numbers = {int(a or b) for a, b in _OLD_PASSAGE_LINE.findall(text)}
    return max(len(numbers), len(sig._PASSAGE_TAG.findall(text)))


def old_code_stats(text: str) -> tuple[int, int]:
    blocks = lines = loose = 0
    inside = False
    for line in text.splitlines():
        if sig._FENCE.match(line):
            inside = not inside
            blocks += 1 if inside else 0
            continue
        if inside:
            lines += 1 if line.strip() else 0
        elif _OLD_CODE_LINE.search(line):
            loose += 1
    return blocks, lines + (loose if loose >= 3 else 0)


def old_files(text: str) -> int:
    paths = len(set(_OLD_FILE_PATH.findall(sig._cue_window(text))))
    stated = 0
    for word in _OLD_N_FILES.findall(sig._cue_window(text)):
        key = word.lower()
        stated = max(stated, int(key) if key.isdigit() else sig._WORD_NUMBERS.get(key, 0))
    return max(paths, stated)


def reference_signals(request: dict[str, Any]) -> Signals:
    """The old extraction: the new one's sizes and attachments with the old text features."""
    fast = extract_signals(request)
    system, user = fast.system_text, fast.user_text
    # Documentation pasted beside the ask (round 12) is a rule over the findings and the
    # code counts, not a matter of speed: the same rule over the old ones.
    user_cues, (blocks, code_lines) = sig.read_over_documentation(
        old_cues(user), user, old_code_stats
    )
    # The count adds search-result blocks to the larger of the two texts' passage counts.
    search_results = fast.passages - max(sig._count_passages(user), sig._count_passages(system))
    # A long system prompt's cues are read in its instruction alone (not a scanner matter).
    system_cues = old_cues(sig.system_instruction(system))
    # The ask read against the material it has or lacks (round 15): a rule over the findings.
    attached = (
        bool(fast.documents or search_results or fast.tool_results or fast.images)
        or fast.message_count > 1
    )
    user_cues = sig.reread_ask(
        user_cues, user, system, system_cues, fast.tool_count > 0, attached=attached
    )
    return replace(
        fast,
        passages=search_results + max(old_passages(user), old_passages(system)),
        code_blocks=blocks,
        code_lines=code_lines,
        files_referenced=old_files(user),
        output_length=old_output_length(sig.system_instruction(system), user),  # type: ignore[arg-type]
        cues=sig.request_cues(system_cues, user_cues, user),
        system_cues=system_cues,
    )


# --- the corpus -----------------------------------------------------------------------

DATA = Path(__file__).resolve().parents[1] / "router" / "data" / "heldout_requests.jsonl"

TRAPS = [
    "Give me 5 comma-separated tags for this leak-proof lid.",
    "Please proofread this; how can I improve it? It's shockproof and prove-able.",
    "Prove it. proof: QED. q.e.d. derive the closed-form bound.",
    "Σ ΟΔΟΣ classify ΣΟΦΟΣ. İstanbul ſervices Kelvin K 3 ſiles; ﬁles",
    "Solve x² ≤ 4 and ∑ i = n(n+1)/2 ≡ 0 mod 7 √2 irrational ∀ε ∃δ",
    "Translate to French:\nBonjour\r\nin german.\u2028to spanish please!",
    "hi\nthanks!\nok\n  hey there :)\nHow are you?",
    "Answer yes/no. true or false? Reply with only the label. one-word answer. in 20 words",
    "Write a detailed, 2000-word essay; at least 500 words; several pages, in-depth.",
    "Convert these dates to ISO 8601: 03/04/2024, 12/11/2023. Total $3.99 and €12.",
    "Across the whole repository and the entire codebase, across our services.",
    "Refactor the monolith across 12 files: src/app.py, lib/util.ts, a.b.c.go, x.hpp.",
    "We touched dozens of modules and hundreds of services, plus three other repos.",
    "extract method from this class; extract the dates from the email below",
    "[1] first passage\n[2] second\nPassage 3: third\n(Source #4) fourth\n<document id=5>x",
    "```python\ndef f(x):\n    return x\n```\n}\n};\nint x = 1;\u00a0\nfoo {\u3000\n  } ;",
    "label this ticket: tags for the post. json with keys a, b. keys: name, email",
    "customer support reply to this customer email; draft a reply to our user review",
    "DROP TABLE users; rm -rf /; wire transfer; delete all customer records",
]


def _user(text: str, system: str = "", **extra: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"messages": [{"role": "user", "content": [{"text": text}]}]}
    if system:
        request["system"] = [{"text": system}]
    return {**request, **extra}


def _corpus() -> list[dict[str, Any]]:
    held = [json.loads(line)["request"] for line in DATA.read_text().splitlines() if line]
    corpus_file = resources.files("tierwise.router") / "data/class-corpus/corpus.jsonl.gz"
    with corpus_file.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        classes = [json.loads(line)["request"] for line in fh if line.strip()]
    texts = [t for r in held for t in (extract_signals(r).user_text,) if t]
    long_ones = []
    for i in range(0, len(texts) - 40, 20):
        # Long requests whose cues sit at the window's head, tail and its cut points.
        body = "\n\n".join(texts[i : i + 40])
        long_ones.append(_user(body, system=texts[i + 1] * 30))
        long_ones.append(_user(TRAPS[i % len(TRAPS)] + "\n" + body * 3))
    for cut in (3995, 4000, 4003, 5495, 5500, 5506):
        for trap in TRAPS:
            filler = ("x" * (cut - 3)) + " "
            long_ones.append(_user(filler + trap + " " + "y" * 1600))
            long_ones.append(_user("z" * 3000 + " " + trap + filler))
    traps = [_user(t) for t in TRAPS] + [_user("ok", system=t) for t in TRAPS]
    return held + classes + long_ones + traps


CORPUS = _corpus()


def test_the_corpus_exercises_every_cue_and_output_size() -> None:
    seen: set[str] = set()
    lengths: set[str] = set()
    for request in CORPUS:
        s = extract_signals(request)
        seen |= s.cues
        lengths.add(s.output_length)
    # every scanner cue, and the one a rule over them adds (round 15)
    assert seen == set(CUE_PATTERNS) | {sig.EXPLANATION_ASK}
    assert lengths == {"short", "normal", "long"}


def test_signals_equal_the_plain_extraction_on_the_corpus() -> None:
    for request in CORPUS:
        assert extract_signals(request) == reference_signals(request)


@pytest.fixture(scope="module")
def routers() -> tuple[Any, Any, Any]:
    settings_ = load_settings(environ={}).settings
    return settings_.routing_policy(), load_model(), load_class_scorer(settings_)


def test_decisions_equal_the_plain_extraction_on_the_corpus(
    routers: tuple[Any, Any, Any],
) -> None:
    policy, scorer, classes = routers
    for request in CORPUS[::4]:
        fast = decide(request, policy=policy, scorer=scorer, class_scorer=classes)
        plain = decide_signals(
            reference_signals(request), policy=policy, scorer=scorer, class_scorer=classes
        )
        # Equal up to float rounding: the class model sums over the cue set, whose iteration
        # order follows the string hash seed (it did so before too), so the last bits of a
        # probability can differ between two equal sets built in different orders.
        assert fast.to_dict() == plain.to_dict()
        assert (fast.tier, fast.thinking_budget, fast.reasons) == (
            plain.tier,
            plain.thinking_budget,
            plain.reasons,
        )


def old_shape(text: str) -> list[float]:
    """The difficulty model's dense features as computed before the ASCII fast paths."""
    chars = len(text) or 1
    lines = [line for line in text.splitlines() if line.strip()]
    n_lines = len(lines) or 1
    words = dif._WORD.findall(text)
    n_words = len(words) or 1
    sentences = len(dif._SENTENCE.findall(text)) or 1
    plain = dif._NOT_MATHS.sub(" ", text)
    numbers = dif._NUMBER.findall(plain)

    def distinct(pattern: re.Pattern[str]) -> int:
        return len({m.lower() for m in pattern.findall(text)})

    return [
        math.log1p(chars) / 10,
        math.log1p(len(words)) / 8,
        math.log1p(n_lines) / 5,
        math.log1p(sentences) / 4,
        min(n_words / sentences / 40, 1.0),
        min(text.count("?"), 5) / 5,
        min(len(dif._LIST_ITEM.findall(text)), 10) / 10,
        min(len(dif._CODE_LINE.findall(text)) / n_lines, 1.0),
        1.0 if dif._FENCE.search(text) else 0.0,
        min(len(dif._MATHS.findall(plain)) / n_words * 10, 1.0),
        min(len(numbers) / n_words * 5, 1.0),
        math.log1p(len(set(numbers))) / 3,
        min(distinct(dif._REASONING), 5) / 5,
        min(distinct(dif._CONSTRAINT), 8) / 8,
        min(distinct(dif._CONDITION), 5) / 5,
        min(distinct(dif._SHORT_ANSWER), 2) / 2,
        min(distinct(dif._GENERATE), 3) / 3,
        sum(len(w) >= 9 for w in words) / n_words,
        min(sum(not c.isascii() for c in text) / chars * 5, 1.0),
    ]


def test_difficulty_features_equal_the_plain_ones_on_the_corpus() -> None:
    texts = {
        t
        for request in CORPUS[::2]
        for s in (extract_signals(request),)
        for t in (s.user_text, s.system_text, s.user_text.upper())
    }
    assert any(not t.isascii() for t in texts)
    assert any(t.isascii() and not re.search(r"\d", t) for t in texts if t)
    for text in texts:
        assert dif.Featurizer.shape(text) == old_shape(text)


def test_system_prompt_memo_stays_bounded() -> None:
    for i in range(sig._SYSTEM_MEMO_LIMIT + 10):
        extract_signals(_user("hi", system=f"You are assistant number {i}."))
    assert 0 < len(sig._SYSTEM_MEMO) <= sig._SYSTEM_MEMO_LIMIT


# --- generated text -------------------------------------------------------------------

_FRAGMENTS = sorted(
    {
        word
        for t in TRAPS
        for word in re.split(r"(\s+|[,.;:!?()\[\]<>/])", t.lower() + " " + t)
        if word
    }
    | {
        "plan", "bug", "debug", "summary", "how many", "which team", "one of [", "yes or no",
        "code review", "review this code", "step-by-step", "in bulk", "pre-filter", "-", "--",
        "\n", "\r\n", "\t", "  ", "\u00a0", "\u2028", "{", "}", ";", "# ", "[3]", "doc 4:",
        "select a from b", "@app", "return", "1", "250", "1200-word", "x", "é", "ß", "İ", "ς",
    }
)  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=60), st.booleans())
# Found by Hypothesis: the setting rule ("=debug...") read the lowered window in the
# reference, where "İ" lowers to "i" and a combining dot that is no word character.
@example(["=", "debug", "İ"], False)
@example(["=", "debug", "İ"], True)
def test_signals_equal_the_plain_extraction_on_generated_text(
    parts: list[str], as_system: bool
) -> None:
    text = "".join(parts)
    request = _user("thanks", system=text) if as_system else _user(text)
    assert extract_signals(request) == reference_signals(request)
    assert dif.Featurizer.shape(text) == old_shape(text)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_code_line_test_equals_the_regex_on_any_line(line: str) -> None:
    for one in line.splitlines() or [""]:
        for probe in (one, one + ";", "}" + one, one + "{ ", " } ;" + one):
            for piece in probe.splitlines() or [""]:
                assert sig._code_like(piece) == bool(_OLD_CODE_LINE.search(piece))


def test_whitespace_of_the_regex_and_of_strip_agree() -> None:
    # _code_like strips where the regex matched \s: the two must mean the same characters.
    space = re.compile(r"\s")
    for code in range(0x110000):
        ch = chr(code)
        assert bool(space.match(ch)) == ch.isspace() == (ch.strip() == ""), hex(code)


# --- the scanner on its own -----------------------------------------------------------


def test_scanner_rewrites_keep_each_pattern_and_report_overlaps() -> None:
    sources = {
        "a": r"(?:ab|ac)d|(?:x )?ye|[≤≥]|\d+ z",
        "b": r"abd|^ye",
        "c": r"[- ]q|(?:a|b)?c(?:d)?",
    }
    scanner = CueScanner(sources)
    alone = {n: re.compile(whole_words(s), re.MULTILINE) for n, s in sources.items()}
    for text in ["abd", "x ye", "ye", "q ≤", "12 z", "c", "bcd", "zabd", " -q", "\nye", "acd"]:
        assert scanner.find(text) == {n for n, rx in alone.items() if rx.search(text)}, text


def test_scanner_refuses_flags_it_cannot_keep() -> None:
    with pytest.raises(ValueError, match="case-sensitive"):
        CueScanner({"a": "x"}, re.IGNORECASE)
    with pytest.raises(ValueError, match="case-sensitive"):
        CueScanner({"a": "x"}, re.VERBOSE)


class _Counting:
    """A pattern tried alone, noting (name, position) in ``tried`` each time."""

    def __init__(self, name: str, rx: re.Pattern[str], tried: list[tuple[str, int]]) -> None:
        self.name, self.rx, self.tried = name, rx, tried

    def match(self, text: str, at: int) -> re.Match[str] | None:
        self.tried.append((self.name, at))
        return self.rx.match(text, at)


def _count_alone_tries(scanner: CueScanner) -> list[tuple[str, int]]:
    """Wrap ``scanner``'s lone patterns so each try is noted; the list they note to."""
    tried: list[tuple[str, int]] = []
    # _Counting stands in for a compiled pattern: the scanner only calls match().
    scanner._alone = cast(
        "tuple[re.Pattern[str], ...]",
        tuple(_Counting(n, scanner._alone[k], tried) for k, n in enumerate(scanner.names)),
    )
    return tried


def test_scanner_tries_alone_only_patterns_that_can_start_here() -> None:
    """Where the combined pattern matches, a pattern is tried alone only when the text there
    starts with one of its alternatives' literal starts (their first six characters at
    most), or when it has an alternative with no literal start. Shared starts, starts cut
    at six characters, a start longer than the rest of the text, starts that are not
    literal."""
    sources = {
        "summary": r"summari[sz]e|summary",
        "sum": r"sum (?:up|it)|summit",
        "suffix": r"suffix",
        "one": r"in one (?:word|sentence)|one[- ]liner",
        "in": r"into|in (?:a|one) (?:word|nutshell)",
        "digits": r"\d+ words|summer",  # no literal start: tried wherever a match is
        "line": r"^hello|in",
    }
    starts = {
        "summary": ("summar",),
        "sum": ("sum ", "summit"),
        "suffix": ("suffix",),
        "one": ("in one", "one-li", "one li"),
        "in": ("into", "in "),
    }
    scanner = CueScanner(sources)
    alone = {n: re.compile(whole_words(s), re.MULTILINE) for n, s in sources.items()}
    tried = _count_alone_tries(scanner)
    texts = [
        "summarize in one sentence: sum it up",
        "summary of the summit, in one word",
        "in a nutshell\nhello summer 12 words",
        "suffix in",
        "summ",
        "in on",
        "into one-liner",
    ]
    for text in texts:
        tried.clear()
        assert scanner.find(text) == {n for n, rx in alone.items() if rx.search(text)}, text
        for name, at in tried:
            if name in starts:
                assert text.startswith(starts[name], at), (text, name, at)
    tried.clear()
    scanner.find("summarize in one sentence: the quarterly numbers beat the forecast.")
    # Found: "summary" at 0, "one" at 10. By their first two characters "sum" and "suffix"
    # were tried at 0 too; now only "in" ("in one") and "line" ("in") at 10, and "line" at 0
    # for its "^hello" (a line start); "digits" ("\d+ words") at no letter.
    expected = [("in", 10), ("line", 0), ("line", 10)]
    assert sorted(tried) == expected


def test_scanner_literal_starts_run_through_leading_groups() -> None:
    from tierwise.core.cue_scan import _starts

    assert _starts("in (?:what|which) order") == {"in wha", "in whi"}
    assert _starts("(?:ab|c)(?:d|e)?f") == {"abdf", "abef", "abf", "cdf", "cef", "cf"}
    assert _starts("summari[sz]e") == {"summar"}
    assert _starts("a[sz]b") == {"asb", "azb"}
    assert _starts("in[- ]depth") == {"in"}  # a set with "-" is not distributed
    assert _starts("x\\d+") == {"x"}


def test_scanner_tries_alone_by_first_character_and_line_start() -> None:
    """A pattern whose alternative has no literal start is tried alone where that
    alternative's first character or a line start fits (any character not ASCII: always),
    and everywhere when its start cannot be told (a zero-width or optional first element)."""
    sources = {
        "digits": r"\d+ words|summer",
        "year": r"[1-9]\d{3} report",
        "greeting": r"^(?:hi|hello)",
        "dot": r"\.net|.?net",
        "maybe": r"(?:\d )*words?|\bnope",
        "word": r"in|words|one",
    }
    scanner = CueScanner(sources)
    alone = {n: re.compile(whole_words(s), re.MULTILINE) for n, s in sources.items()}
    tried = _count_alone_tries(scanner)
    texts = [
        "in one word",
        "12 words in 2024 report",
        "hi in\nhello one",
        "one .net net",
        "\u0663 words",  # an Arabic-Indic digit: \d, not ASCII
        "words\nhi",
        "one\n",
        "",
    ]
    for text in texts:
        tried.clear()
        assert scanner.find(text) == {n for n, rx in alone.items() if rx.search(text)}, text
        for name, at in tried:
            ch = text[at : at + 1]
            line_start = at == 0 or text[at - 1] == "\n"
            if name == "digits" and ch.isascii():
                assert ch.isdigit() or text.startswith("summer", at), (text, at)
            if name == "year" and ch.isascii():
                assert ch in "123456789", (text, at)
            if name == "greeting":
                assert line_start, (text, at)
    tried.clear()
    scanner.find("in one word")
    # "dot" (".?net": an optional first element) and "maybe" (led by a repeated group and
    # by \b) are tried at every match until found ("maybe" is, at 7), "greeting" at the line
    # start only, "digits" and "year" nowhere.
    expected = [("dot", 0), ("dot", 3), ("dot", 7), ("greeting", 0), ("maybe", 0), ("maybe", 3)]
    assert sorted(tried) == expected


def test_scanner_trie_keeps_the_alternatives() -> None:
    from tierwise.core.cue_scan import _trie

    alts = ["abc", "abd", "ax", "b", "\\d+", "a?c", "x"]
    # "a?c": its first character is optional, so it is not grouped under "a".
    assert _trie(alts, 2) == ["a(?:b(?:c|d)|x)", "b", "x", "\\d+", "a?c"]
    grouped = re.compile("|".join(_trie(alts, 2)))
    plain = re.compile("|".join(alts))
    for text in ["abc", "abd", "ax", "b", "12", "c", "ac", "x", "abx", "a"]:
        assert (grouped.fullmatch(text) is None) == (plain.fullmatch(text) is None), text

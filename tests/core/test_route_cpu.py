"""The routing decision's cheaper paths give the decisions and records they gave before.

Each fast path is checked against the code it replaced, on the held-out requests of
tests/router/data (not the acceptance files), long and string-content variants of them
(tests/core/test_route_once.py's corpus), and case and script variants that reach both
sides of each ASCII test:

* ``ascii_twin``: a case-sensitive pattern over lower-cased ASCII text in place of an
  ``re.IGNORECASE`` one (the difficulty model's maths density, the small-answer signal);
* ``ClassModel``: each feature name's weight row memoised as a tuple of floats;
* ``ClassPrediction.from_probs``: the tie-break order read from a dict;
* ``extract_signals``: the user turn's cue window built once;
* ``Featurizer.hashed``: the vector built by one dict() over memoised (bucket, sign) pairs,
  the old per-feature loop only when two features share a bucket; ``Head.logit``: the
  products made by map (fsum does not depend on their order);
* ``ClassModel``: the flags' rows and a group's rows summed a column at a time
  (``_column_sums``: sum() on Python 3.11, reduce(add) after), in order, as a row at a
  time did;
* ``_mask_not_maths``: the non-maths numbers masked by trying the pattern only where a
  match can start.
"""

from __future__ import annotations

import functools
import json
import math
import re
import zlib
from collections.abc import Mapping, Sequence
from itertools import pairwise
from operator import add
from typing import Any

import pytest
from test_route_once import _corpus, _planner

from tierwise.client import load_class_scorer
from tierwise.config import Settings, load_settings
from tierwise.core import class_model, classes, difficulty, signals
from tierwise.core.class_model import BlendedClassifier, ClassModel, _text_groups
from tierwise.core.classes import ClassPrediction
from tierwise.core.cue_scan import ascii_twin, first_words, regroup
from tierwise.core.difficulty import Featurizer, Head
from tierwise.core.hints import Hints
from tierwise.core.taxonomy import TASK_CLASSES
from tierwise.core.word_runs import lower_words
from tierwise.engine.plan import Planner
from tierwise.router.weights import load_model

HINTS = [None, Hints(high_stakes=True)]

MATHS_LINES = [
    "Solve 3 + 4 = X and SIN(2X) for 2X, then Let N^2 < A.",
    "\\FRAC{1}{2} and \\Sqrt x; LOG (10); cos(0) 5Y 2x",
    "Prices: $40, 12:30 PM, v1.2.3, 2024-01-05, 100 USD, +1 555 123 4567",
]


def _variants(text: str) -> list[str]:
    return [
        text,
        text.upper(),
        text.title(),
        text.swapcase(),
        f"IN ONE WORD: {text} Yes Or No? Only The Number.",
        f"{text} Ünïcödé ſ K İ",  # not ASCII: the case-blind pattern decides
    ]


@functools.cache
def _texts() -> list[str]:
    out: list[str] = []
    for request in _corpus():
        out += _variants(signals.extract_signals(request).user_text[:3000])
    for line in MATHS_LINES:
        out += _variants(line)
    return out


@functools.cache
def _requests() -> list[dict[str, Any]]:
    out = list(_corpus())
    for line in MATHS_LINES:
        for text in _variants(line):
            out.append({"messages": [{"role": "user", "content": [{"text": text}]}]})
    for request in _corpus()[:30]:
        last = signals.extract_signals(request).user_text
        for text in _variants(last)[1:]:
            out.append({**request, "messages": [{"role": "user", "content": [{"text": text}]}]})
    return out


@pytest.mark.parametrize(
    "pattern", [difficulty._MATHS, signals._SMALL_ANSWER], ids=["maths", "small_answer"]
)
def test_twin_finds_what_the_pattern_finds(pattern: re.Pattern[str]) -> None:
    twin = ascii_twin(pattern)
    assert twin is not None
    checked = found = 0
    for text in _texts():
        if not text.isascii():
            continue
        lowered = text.lower()
        want = [m.span() for m in pattern.finditer(text)]
        assert [m.span() for m in twin.finditer(lowered)] == want, text[:200]
        assert (twin.search(lowered) is None) == (pattern.search(text) is None)
        checked += 1
        found += bool(want)
    assert checked > 500 and found > 20


@pytest.mark.parametrize(
    "source",
    [
        r"\x41b",  # a character by number
        r"\101",
        r"(a)\1",  # a backreference
        r"(?-i:a)b",  # a case-sensitive part
        "\u017f",  # long s: IGNORECASE matches "s"
        "\\u212a",  # the Kelvin sign, escaped: matches "k"
        "[\\u0100-\\u0200]",  # a range that spans dotless i
        "\u00e9-z",
        r"\S+",  # an upper-case escape
        "Word",
    ],
)
def test_twin_refused(source: str) -> None:
    assert ascii_twin(re.compile(source, re.IGNORECASE)) is None


def test_twin_needs_ignorecase() -> None:
    assert ascii_twin(re.compile("word")) is None
    assert ascii_twin(re.compile("word", re.IGNORECASE)) is not None


def _reference_logits(
    model: ClassModel, structural: Mapping[str, float], system: str, user: str
) -> list[float]:
    """ClassModel._group_logits as it was: every name hashed, rows read from the
    memoryview each time."""
    acc = list(model.bias)
    rows = model._rows
    mask = (1 << model.bits) - 1
    for name, value in structural.items():
        row = rows.get(zlib.crc32(f"f:{name}".encode()) & mask)
        if row is not None:
            acc = [a + r * value for a, r in zip(acc, row, strict=True)]
    for names in _text_groups(system, user):
        if not names:
            continue
        part = [0.0] * len(acc)
        for name in names:
            row = rows.get(zlib.crc32(name.encode("utf-8")) & mask)
            if row is not None:
                part = list(map(add, part, row))
        scale = 1.0 / math.sqrt(len(names))
        acc = [a + p * scale for a, p in zip(acc, part, strict=True)]
    return acc


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(environ={}).settings


def _model(settings: Settings) -> ClassModel:
    scorer = load_class_scorer(settings)
    assert isinstance(scorer, BlendedClassifier)
    return scorer.model


def test_class_rows_memoised_give_the_same_logits(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _model(settings)
    model._name_rows.clear()
    requests = _requests()
    for request in requests + requests:  # cold, then warm
        s = signals.extract_signals(request)
        system, user = s.system_text[:2000], s.user_text
        structural = classes.class_features(s)
        assert model._group_logits(structural, system, user) == _reference_logits(
            model, structural, system, user
        )
    assert model._name_rows  # the memo was used
    # Full: cleared, and the answer is still the same.
    monkeypatch.setattr(class_model, "_ROW_MEMO_LIMIT", 10)
    s = signals.extract_signals(requests[0])
    structural = classes.class_features(s)
    names = sum(len(g) for g in _text_groups(s.system_text[:2000], s.user_text))
    for _ in range(3):
        assert model._group_logits(structural, s.system_text, s.user_text) == _reference_logits(
            model, structural, s.system_text, s.user_text
        )
        assert len(model._name_rows) <= 10 + names


def test_from_probs_order() -> None:
    flat = dict.fromkeys(TASK_CLASSES, 1.0 / len(TASK_CLASSES))
    pred = ClassPrediction.from_probs(flat, "x")
    assert (pred.name, pred.runner_up) == TASK_CLASSES[:2]
    with pytest.raises(ValueError, match="not in"):
        ClassPrediction.from_probs({**flat, "no such class": 1.0 / len(TASK_CLASSES)}, "x")


def _records(planner: Planner) -> list[str]:
    out = []
    for request in _requests():
        for hints in HINTS:
            plan = planner.plan("auto", request, hints)
            record = [repr(plan), plan.route_record()]
            out.append(json.dumps(record, sort_keys=True, default=repr))
    return out


def test_plans_are_those_of_the_old_paths(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _records(_planner(settings))
    # The reference: the case-blind patterns, rows hashed each time, the list search.
    monkeypatch.setattr(difficulty, "_MATHS_CASED", None)
    monkeypatch.setattr(signals, "_SMALL_ANSWER_CASED", None)
    monkeypatch.setattr(ClassModel, "_group_logits", _reference_logits)
    monkeypatch.setattr(classes, "_CLASS_ORDER", classes._Order())  # every name: index()
    monkeypatch.setattr(Featurizer, "hashed", _reference_hashed)
    monkeypatch.setattr(Head, "logit", _reference_head_logit)
    slow = _records(_planner(settings))
    assert len(fast) == len(slow) == len(_requests()) * len(HINTS)
    for a, b in zip(fast, slow, strict=True):
        assert a == b


def _reference_hashed(fz: Featurizer, text: str) -> dict[int, float]:
    """Featurizer.hashed as it was: a bucket at a time, nothing memoised."""
    text = text[: fz.max_chars].lower()
    words = difficulty._WORD.findall(text)
    features: set[str] = set()
    for w in set(words):
        features |= fz._word_features(w)
    features.update([f"b:{a} {b}" for a, b in pairwise(words)])
    mask = (1 << fz.bits) - 1
    vec: dict[int, float] = {}
    for feature in features:
        h = zlib.crc32(feature.encode("utf-8"))
        index = (h >> 1) & mask
        vec[index] = vec.get(index, 0.0) + (1.0 if h & 1 else -1.0)
    norm = math.sqrt(math.fsum(v * v for v in vec.values())) or 1.0
    return {i: v / norm for i, v in vec.items() if v}


def _reference_head_logit(head: Head, hashed: Mapping[int, float], dense: Sequence[float]) -> float:
    """Head.logit as it was: the products in a list comprehension."""
    get = head._lookup.get
    terms = [get(index, 0.0) * value for index, value in hashed.items()]
    terms.extend(w * v for w, v in zip(head.dense, dense, strict=True))
    terms.append(head.bias)
    return math.fsum(terms)


def test_hashed_vector_is_the_loops() -> None:
    """The same dict, in the same order, cold and warm, and with 64 buckets (where features
    share buckets and the per-bucket sums, zeros included, are taken)."""
    model = load_model()
    shared = 0
    texts = ["", "a", "a a a", "x y " * 4000, *_texts()]
    for fz in (model.featurizer, Featurizer(bits=6)):
        for text in texts + texts:
            want = _reference_hashed(fz, text)
            got = fz.hashed(text)
            assert list(got.items()) == list(want.items()), text[:200]
            shared += len(set(want.values())) > 2  # a value other than +-1/norm
    assert shared > 100
    # The memo holds each feature's (bucket, sign); the old code kept one packed int.
    assert all(
        isinstance(v, tuple) and v[1] in (1.0, -1.0) for v in model.featurizer._code_memo.values()
    )


def test_head_logit_is_the_old_sum() -> None:
    model = load_model()
    fz = model.featurizer
    for text in _texts():
        hashed, dense = fz.hashed(text), fz.dense(text)
        for head in (model.fails, model.rescue_head):
            assert head.logit(hashed, dense) == _reference_head_logit(head, hashed, dense)
    with pytest.raises(ValueError, match="dense features"):
        model.fails.logit({}, [0.0])


def test_not_maths_mask_is_the_substitution() -> None:
    texts = [*_texts(), "", "v", "+", "12", "v1.2.3", "V10.0.1", "1999-2001", "$ 5 and 5$"]
    texts += [t + " On 2024-03-05 at 12:30 p.m. pay \u20ac4,99 or 10 USD; +1 555 123 4567" for t in
              _texts()[:200]]  # fmt: skip
    changed = 0
    for text in texts:
        want = difficulty._NOT_MATHS.sub(" ", text)
        got = difficulty._mask_not_maths(text)
        assert got == want, text[:200]
        assert (got is text) == (want is text)  # shape() reads "nothing masked" by identity
        changed += want != text
    assert changed > 200


def test_not_maths_matches_start_only_where_the_mask_tries() -> None:
    """No character outside _NOT_MATHS_START starts a match, before any of the texts that
    follow a start in one of the pattern's alternatives (every code point up to U+3000, and
    the digits and currency signs of other scripts)."""
    follows = ["1-12-2024", "1:30 pm", "5", "1,000.50 USD", "999", "1.2.3", "234567890", "5 euros"]
    chars = [chr(c) for c in range(0x3000)] + ["\u0660", "\u0966", "\uff11", "\u20b9", "\u00a2"]
    starts = 0
    for ch in chars:
        can = difficulty._NOT_MATHS_START.match(ch) is not None
        starts += can
        for rest in follows:
            for before in (" ", ""):
                text = before + ch + rest
                if difficulty._NOT_MATHS.match(text, len(before)) is not None:
                    assert can, (ch, hex(ord(ch)), rest)
    assert starts > 100  # the digits of many scripts


@pytest.mark.parametrize("plain_sum", [True, False], ids=["sum", "reduce"])
def test_column_sums_add_as_a_row_at_a_time(
    plain_sum: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both ways give the floats of adding the rows one at a time, left to right: values
    where the order of additions changes the last bit, signed zeros, empty input."""
    if plain_sum and not class_model._PLAIN_FLOAT_SUM:
        pytest.skip("sum() compensates its rounding on this Python")
    monkeypatch.setattr(class_model, "_PLAIN_FLOAT_SUM", plain_sum)
    rows = [
        (1e16, -0.0, 0.1, 3.0),
        (1.0, -0.0, 0.2, -1e-300),
        (-1e16, -0.0, 0.3, 1e300),
        (1.0, -0.0, 1e-17, -1e300),
    ]
    starts = [0.0, -0.0, 0.0, 1.5]
    want = list(starts)
    for row in rows:
        want = [a + r for a, r in zip(want, row, strict=True)]
    got = class_model._column_sums(rows, starts)
    assert [x.hex() for x in got] == [x.hex() for x in want]
    assert math.fsum(c[0] for c in rows) != want[0]  # the order shows in the result
    assert class_model._column_sums([], starts) == starts


# The small-answer pattern's "nothing else" as it was written before its lookbehinds were
# moved behind the phrase.
_OLD_NOTHING_ELSE = (
    r"(?<!below and )(?<!above and )(?<!articles and )(?<!documentation and )(?<!docs and )"
    r"(?<!passages and )(?<!context and )(?<!sources and )(?<!manual and )(?<!below, )"
    r"(?<!above, )(?<!articles, )(?<!documentation, )(?<!docs, )(?<!passages, )"
    r"(?<!context, )(?<!sources, )(?<!manual, )nothing else"
)
_NOTHING_ELSE_AFTER = (
    *("below", "above", "articles", "documentation", "docs", "passages", "context"),
    *("sources", "manual", "and", "the", "label"),
)


def test_small_answer_nothing_else_looks_behind_as_before() -> None:
    new = signals._SMALL_ANSWER_ALTERNATIVES
    start = new.index("|nothing else") + 1
    end = new.index("|", start)
    old_rx = re.compile(rf"\b(?:{_OLD_NOTHING_ELSE})(?!\w)", re.IGNORECASE)
    new_rx = re.compile(rf"\b(?:{new[start:end]})(?!\w)", re.IGNORECASE)
    texts = [
        f"{lead}{word}{joint}{tail}"
        for word in _NOTHING_ELSE_AFTER
        for joint in (" and ", ", ", " ", ",  ", " AND ")
        for lead in ("", "the ", "x", "Answer from the ")
        for tail in ("nothing else", "Nothing Else.", "nothing elsewhere", "nothing")
    ]
    found = 0
    for text in [*texts, *_texts()]:
        want = [m.span() for m in old_rx.finditer(text)]
        assert [m.span() for m in new_rx.finditer(text)] == want, text[:200]
        found += bool(want)
    assert found > 50


def test_small_answer_regrouped_matches_where_the_pattern_does() -> None:
    """The grouped twin (read as yes/no) against the pattern itself, on whole texts and on
    the asks _small_answer reads (their first and last 300 characters)."""
    grouped = signals._SMALL_ANSWER_FOUND
    assert grouped is not None
    found = found_asks = 0
    for text in _texts():
        if not text.isascii():
            continue
        for part in (text, text[:300], text[-300:]):
            want = signals._SMALL_ANSWER.search(part) is not None
            assert (grouped.search(part.lower()) is not None) == want
            assert signals._small_answer_in(part) == want
            found += want
        found_asks += signals._small_answer(text[:2000], text)
    assert found > 100 and found_asks > 50


def test_regroup_groups_by_first_character() -> None:
    """Alternatives expanded, then grouped under a shared first character; sets whose members
    are syntax outside a set (".", "*") are not expanded into alternatives."""
    assert (
        regroup("ab|ac|(?:x|y)z|[pq]r|[.*]s|\\d")
        == "a(?:b|c)|x(?:z)|y(?:z)|p(?:r)|q(?:r)|[.*]s|\\d"
    )
    rx = re.compile(rf"\b(?:{regroup('ab|ac|(?:x|y)z|[pq]r|[.*]s')})(?!\w)")
    old = re.compile(r"\b(?:ab|ac|(?:x|y)z|[pq]r|[.*]s)(?!\w)")
    for text in ["ab", "ac", "yz", "qr", ".s", "*s", "?s", "as", "xab", "a b", "zz"]:
        assert (rx.search(text) is None) == (old.search(text) is None), text


def test_first_words_of_a_listed_alternation() -> None:
    assert first_words("why|step[- ]by[- ]step|reason(?:ing)?|don't|at least") == frozenset(
        {
            "why",
            "step",
            "reason",
            "reasoning",
            "don",
            "at",
        }
    )
    assert first_words("trade-?offs?") == frozenset({"trade", "tradeoff", "tradeoffs"})
    assert first_words("analy[sz]e|[-x]a") is None  # "-a" starts with no word character
    for unlisted in ("a+", r"\w", "a.b", "[a-c]x", "[^a]x", "(?:ab)*", "a??"):
        assert first_words(unlisted) is None, unlisted


def test_difficulty_cue_counts_skipped_only_where_no_word_can_start_one() -> None:
    """Each of the five cue counts with the first-word test against the count without it,
    on the corpus texts and cue-laden variants; most texts skip at least one scan."""
    cues = [
        difficulty._REASONING,
        difficulty._CONSTRAINT,
        difficulty._CONDITION,
        difficulty._SHORT_ANSWER,
        difficulty._GENERATE,
    ]
    assert all(difficulty._TWINS[id(p)].first is not None for p in cues)
    extra = [
        "Step-by-step: don't trade-offs, only if each; tradeoffs; leak-proof; re-explain",
        "x-why why- -why WHY? In One Sentence, yes or no. Rewrite this e-mail",
    ]
    skipped = counted = 0
    for text in [*_texts(), *extra]:
        if not text.isascii():
            continue
        lowered, words = lower_words(text)
        present = frozenset(words)
        for pattern in cues:
            want = len({m.lower() for m in pattern.findall(text)})
            assert difficulty._distinct(pattern, text, lowered, present) == want, text[:200]
            first = difficulty._TWINS[id(pattern)].first
            assert first is not None
            skipped += first.isdisjoint(present)
            counted += want > 0
    assert skipped > 500 and counted > 500


class _Unhashable:
    """A pattern's stand-in that refuses to be hashed (re.Pattern cannot be subclassed)."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def findall(self, text: str) -> list[str]:
        return self.pattern.findall(text)

    def __hash__(self) -> int:
        raise AssertionError("the pattern was hashed")


def test_difficulty_cue_counts_do_not_hash_their_pattern() -> None:
    """Hashing a compiled pattern hashes its whole compiled code (~5 k instructions for a
    cue), so the twins are found by the pattern's id: a pattern the table does not hold is
    counted on its own, without a hash."""
    text = "Why? Explain why, and prove it."
    lowered, words = lower_words(text)
    stand_in: Any = _Unhashable(difficulty._REASONING)
    want = difficulty._distinct(difficulty._REASONING, text, lowered, frozenset(words))
    assert want == 3
    assert difficulty._distinct(stand_in, text, lowered, frozenset(words)) == want


def _old_table_rows(text: str) -> int:
    """signals._table_rows before lines without a cell break were skipped."""
    rows = 0
    for line in text.splitlines():
        if len(line) > 400 or line.count(" ") > 40:
            continue
        cells = [c.strip() for c in signals._CELL_SPLIT.split(line.strip()) if c.strip()]
        if len(cells) >= 3 and sum(1 for c in cells if signals._FIGURE.match(c)) >= 2:
            rows += 1
    return rows if rows >= 2 else 0


def test_table_rows_skip_only_lines_no_cell_break_cuts() -> None:
    """Lines with no "|", tab, comma, \\x1f or double white space are one cell: the count
    with them skipped equals the count with every line split, on the corpus and on tables
    cut by each break (and by none)."""
    breaks = ["|", "\t", ",", "  ", "\x1f\x1f", " \x1f", "\x1f", "\u00a0\u00a0", " ", ";"]
    tables = ["\n".join(f"Row {i}{b}{i * 3}{b}{i * 7}%{b}$4{i}" for i in range(4)) for b in breaks]
    for text in [*_texts(), *tables]:
        assert signals._table_rows(text) == _old_table_rows(text), text[:200]
    assert sum(_old_table_rows(t) > 0 for t in tables) >= 6


def test_fenced_is_the_search() -> None:
    texts = [*_texts(), "```x", "    code", "\tcode", "   x", "\t ", "a\n    b", "``"]
    for text in texts:
        assert difficulty._fenced(text) == (difficulty._FENCE.search(text) is not None)


# difficulty._MATHS as it was written before its "2x" alternative led with a digit.
_OLD_MATHS = re.compile(
    r"\d\s*[-+*/\u00d7\u00f7^=<>]\s*[\d(a-z]"
    r"|\b[a-z]\s*(?:[=<>\u2264\u2265]|\^)\s*[\w(-]"
    r"|\\(?:frac|sqrt|sum|int|prod|lim|cdot|times|le|ge|neq|infty|pi|theta|alpha)\b"
    r"|\b\d+[a-z]\b(?!\w)"
    r"|\b(?:sin|cos|tan|log|ln|exp|sqrt|det|gcd|lcm|mod)\s*\("
    r"|[\u2211\u222b\u221a\u2202\u2208\u2200\u2203\u2264\u2265\u2260\u221e\u03c0]",
    re.IGNORECASE,
)


def test_maths_pattern_matches_as_before() -> None:
    odd = ["a2x 2x _2x -2x 2x_ \u00e92x 2\u00e9 \u0663x 22xy x2y", "2X, 10N", "\u2211 \u03a0"]
    texts = [*_texts(), *odd]
    found = 0
    for text in texts:
        want = [m.span() for m in _OLD_MATHS.finditer(text)]
        assert [m.span() for m in difficulty._MATHS.finditer(text)] == want, text[:200]
        found += bool(want)
    assert found > 100


def test_maths_count_with_the_alternatives_the_text_can_match() -> None:
    """_maths_count (only the _MATHS alternatives whose characters the text holds) against
    the whole pattern, on the corpus, maths lines and texts made to reach each alternative
    alone and together, masked or not."""
    extra = [
        "x = 3", "2x", "sin(x)", "\\frac{1}{2}", "3+4", "a<b", "n^2", "(request 21)", "2x (3)",
        "log (10) and 5y", "x2y", "a2x", "-2x", "2x-3", "f(x) = 2", "12:30pm sin(0)",
        "costs 4.99 USD; 2024-01-05 2x", "\\sqrt 9 and 2^3",
    ]  # fmt: skip
    kinds: set[tuple[int, ...]] = set()
    for text in [*_texts(), *extra, *(a + " " + b for a in extra for b in extra)]:
        if not text.isascii():
            continue
        lowered, words = lower_words(text)
        digits = difficulty._DIGIT.search(text) is not None
        plain = difficulty._mask_not_maths(text) if digits else text
        want = len(difficulty._MATHS.findall(plain))
        if plain is text:
            assert difficulty._maths_count(lowered, digits, frozenset(words)) == want, text
        assert difficulty._maths_count(plain.lower(), digits, None) == want, text
    kinds.update(difficulty._MATHS_TWINS)
    assert len(kinds) >= 8  # many combinations of alternatives were compiled and used


def test_code_line_count_skips_only_texts_without_a_possible_match() -> None:
    """The keyword words are those of _CODE_LINE's first group (each its own first word),
    and the count without a scan equals the scan on the corpus and code-shaped lines."""
    keywords = difficulty._CODE_LINE.pattern.split("(?:", 1)[1].split(")|", 1)[0]
    leads = {re.match(r"#?(\w+)", k).group(1).lower() for k in keywords.split("|")}  # type: ignore[union-attr]
    assert leads - {"include"} == difficulty._CODE_WORDS
    code = ["def f():", "  return x", "SELECT a", "for(i)", "x => y", "a;", "{", "#include <a>",
            "from a import b", "Def f", "format", "iffy (x)", "while (1)", "  if (a)",
            "classic"]  # fmt: skip
    skipped = 0
    for text in [*_texts(), *code, *(f"{a}\n{b}" for a in code for b in code)]:
        want = len(difficulty._CODE_LINE.findall(text))
        words = frozenset(lower_words(text)[1]) if text.isascii() else None
        assert difficulty._code_lines(text, words) == want, text[:200]
        assert difficulty._code_lines(text, None) == want
        skipped += words is not None and difficulty._CODE_WORDS.isdisjoint(words)
    assert skipped > 100

"""The learned difficulty stage: P(the cheaper tier fails | prompt), and P(rescue).

Two calibrated probabilities, read by routing (:class:`DifficultyScorer`):

* ``score(text)``: the probability that the cheaper tier's answer fails (the "weak fails"
  label). Trained on prompts where a cheaper model's answer was graded, from several
  sources, and calibrated on sources held out of each fit (see :mod:`tierwise.router.train`).
* ``rescue(text)``: the probability that the stronger tier succeeds on a prompt where the
  cheaper one failed. Escalating is only worth paying for when both are high.

Pure Python on purpose: it runs on every request, so it must load in milliseconds, score a
short prompt in well under a millisecond, and keep ``import tierwise`` free of numpy. Each
head is logistic regression over the same features:

* hashed word unigrams, bigrams and character 4-grams inside words, presence only,
  L2-normalised; they are penalised harder than the dense features in training, because
  words carry a benchmark's subjects and formats, which do not transfer to other traffic;
* dense features whose meaning transfers across sources: length and structure, reasoning,
  constraint and condition cues, code, and maths density that dates, times, prices and years
  do not inflate (:meth:`Featurizer.shape`).

Hashing uses CRC-32 (stable across processes, unlike ``hash()``) with a sign bit, into
``2**bits`` buckets. Training lives in :mod:`tierwise.router.train` (numpy/scipy, an optional
extra); it exports to the compact format read by :meth:`DifficultyModel.from_bytes`.
"""

from __future__ import annotations

import json
import math
import re
import struct
import zlib
from array import array
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from itertools import repeat
from operator import mul
from typing import NamedTuple, Protocol

from tierwise.core.cue_scan import ascii_twin, first_words
from tierwise.core.word_runs import lower_words

__all__ = ["DENSE_FEATURES", "DifficultyModel", "DifficultyScorer", "Featurizer", "Head"]

_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE = re.compile(r"[.!?](?:\s|$)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+\S", re.MULTILINE)
_CODE_LINE = re.compile(
    r"^\s*(?:def |class |import |from \S+ import |#include|function |public |private |"
    r"return\b|for\s*\(|if\s*\(|while\s*\(|SELECT\b|const |let |var )|[{};]\s*$|=>",
    re.MULTILINE,
)
# The words _CODE_LINE's keywords are, lower-cased: each starts a line's first word (after
# white space only) and ends it, so a text whose words hold none has no keyword line.
_CODE_WORDS = frozenset(
    {"def", "class", "import", "from", "function", "public", "private", "return", "for", "if"}
    | {"while", "select", "const", "let", "var"}
)
_FENCE = re.compile(r"```|^(?: {4}|\t)\S", re.MULTILINE)


def _code_lines(text: str, words: AbstractSet[str] | None) -> int:
    """``len(_CODE_LINE.findall(text))``, not scanned when no match can be there: no "{",
    "}", ";", "=>" or "#include", and, with ``words`` (the ``\\w+`` runs of the lower-cased
    text) known, none of the keywords among them."""
    if (
        words is not None
        and _CODE_WORDS.isdisjoint(words)
        and not any(map(text.__contains__, ("{", "}", ";", "=>", "#include")))
    ):
        return 0
    return len(_CODE_LINE.findall(text))


def _fenced(text: str) -> bool:
    """``_FENCE.search(text)``, scanned only when the text holds a string every match of it
    holds."""
    if "```" not in text and "    " not in text and "\t" not in text:
        return False
    return _FENCE.search(text) is not None


# Numbers that are not maths: dates, times, prices, years, versions, phone-like runs. They
# are masked before numbers and operators are counted, so "convert 2024-03-05" or "$4.99"
# reads as data, not as a calculation.
_NOT_MATHS = re.compile(
    r"\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b"  # dates
    r"|\b\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?"  # times
    r"|[$\u20ac\u00a3\u00a5]\s?\d[\d,]*(?:\.\d+)?"  # prices with a currency sign
    r"|\b\d[\d,]*(?:\.\d+)?\s?(?:USD|EUR|GBP|JPY|dollars?|euros?)\b"  # prices in words
    r"|\b(?:1[5-9]|20)\d\d\b"  # years
    r"|\bv?\d+\.\d+\.\d+\b"  # versions
    r"|\+?\d[\d -]{8,}\d",  # phone numbers, ids
    re.IGNORECASE,
)
# Where a _NOT_MATHS match can start: each of its alternatives begins with a digit, a
# currency sign, "+" or "v" (either case). Every other position is skipped without trying it.
_NOT_MATHS_START = re.compile(r"[\d$\u20ac\u00a3\u00a5+vV]")
_DIGIT = re.compile(r"\d")


def _mask_not_maths(text: str) -> str:
    """``_NOT_MATHS.sub(" ", text)`` (``text`` itself when nothing matches), with the
    pattern tried only where a match can start: left to right, each match replaced and the
    search resumed at its end, as ``sub`` does (no match is empty: each holds a digit)."""
    pieces: list[str] = []
    end = 0
    match = _NOT_MATHS.match
    for candidate in _NOT_MATHS_START.finditer(text):
        at = candidate.start()
        if at < end:
            continue
        found = match(text, at)
        if found is not None:
            pieces += (text[end:at], " ")
            end = found.end()
    if not pieces:
        return text
    pieces.append(text[end:])
    return "".join(pieces)


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_FUNCTIONS = "sin|cos|tan|log|ln|exp|sqrt|det|gcd|lcm|mod"
_MATHS_SYMBOLS = "\u2211\u222b\u221a\u2202\u2208\u2200\u2203\u2264\u2265\u2260\u221e\u03c0"
# The alternatives of _MATHS, in order, each with characters one of which every match of it
# holds ("0" stands for any digit).
_MATHS_PARTS: tuple[tuple[str, frozenset[str]], ...] = (
    (r"\d\s*[-+*/\u00d7\u00f7^=<>]\s*[\d(a-z]", frozenset("-+*/\u00d7\u00f7^=<>")),  # 3 + 4, 2^n
    (r"\b[a-z]\s*(?:[=<>\u2264\u2265]|\^)\s*[\w(-]", frozenset("=<>\u2264\u2265^")),  # x = 3, a < b
    (
        r"\\(?:frac|sqrt|sum|int|prod|lim|cdot|times|le|ge|neq|infty|pi|theta|alpha)\b",
        frozenset("\\"),
    ),
    # 2x: "\b\d+" written as a digit after no word character, so that a pattern left with
    # this alternative alone skips to the digits instead of trying every position
    (r"\d(?<!\w\d)\d*[a-z]\b(?!\w)", frozenset("0")),
    (rf"\b(?:{_FUNCTIONS})\s*\(", frozenset("(")),
    (f"[{_MATHS_SYMBOLS}]", frozenset(_MATHS_SYMBOLS)),
)
_MATHS = re.compile("|".join(source for source, _ in _MATHS_PARTS), re.IGNORECASE)
# _MATHS over lower-cased ASCII text, case-sensitive: the same matches, faster.
_MATHS_CASED = ascii_twin(_MATHS)
# The ASCII characters that _MATHS_PARTS need, but digits; the words a function's match
# starts with.
_MATHS_SIGNS = re.compile(r"[-+*/^=<>\\(]")
_FUNCTION_WORDS = first_words(_FUNCTIONS) or frozenset()
# Twins of _MATHS made of some of its alternatives, by the alternatives' indexes.
_MATHS_TWINS: dict[tuple[int, ...], re.Pattern[str] | None] = {}


def _maths_count(lowered: str, digits: bool, words: AbstractSet[str] | None) -> int:
    """``len(_MATHS_CASED.findall(lowered))`` for lower-cased ASCII text, scanned with only
    the alternatives that can match in it: one whose characters (_MATHS_PARTS) the text
    does not hold matches nowhere in it, so without it every match is the same. ``digits``:
    whether the text holds one; ``words``: its ``\\w+`` runs, when known (a function's
    match starts one: "sin", "log"...)."""
    signs = set(_MATHS_SIGNS.findall(lowered))
    if digits:
        signs.add("0")
    if words is not None and _FUNCTION_WORDS.isdisjoint(words):
        signs.discard("(")
    kept = tuple(i for i, (_, needs) in enumerate(_MATHS_PARTS) if not needs.isdisjoint(signs))
    if not kept:
        return 0
    twin = _MATHS_TWINS.get(kept)
    if twin is None:
        if len(_MATHS_TWINS) > 64:  # at most 2**5 of ASCII texts: a guard, not a limit
            _MATHS_TWINS.clear()
        source = "|".join(_MATHS_PARTS[i][0] for i in kept)
        twin = ascii_twin(re.compile(source, re.IGNORECASE)) or _MATHS_CASED
        _MATHS_TWINS[kept] = twin
    return len(twin.findall(lowered)) if twin is not None else len(_MATHS.findall(lowered))


class _Twin(NamedTuple):
    """A lower-case cue pattern's case-sensitive twin, for ASCII text (see _distinct), and
    the words a match of it starts with (cue_scan.first_words; None: not a finite set)."""

    pattern: re.Pattern[str]  # held, so that its id() is not reused
    cased: re.Pattern[str]
    first: frozenset[str] | None


# Keyed by the pattern's id(): hashing a compiled pattern hashes its whole compiled code
# (~5 k instructions for a cue), on every lookup, five cues a routing decision.
_TWINS: dict[int, _Twin] = {}


def _cue(*phrases: str) -> re.Pattern[str]:
    # Whole words, and not part of a hyphenated compound: "leak-proof" is no proof.
    alternation = "|".join(phrases)
    source = r"(?<![\w-])(?:" + alternation + r")(?![\w-])"
    pattern = re.compile(source, re.IGNORECASE)
    if source == source.lower():
        _TWINS[id(pattern)] = _Twin(pattern, re.compile(source), first_words(alternation))
    return pattern


_REASONING = _cue(
    "why",
    "explain",
    "prove",
    "proof",
    "derive",
    "justify",
    "reason(?:ing)?",
    "analy[sz]e",
    "compare",
    "evaluate",
    "calculate",
    "compute",
    "determine",
    "solve",
    "estimate",
    "optimi[sz]e",
    "design",
    "implement",
    "debug",
    "step[- ]by[- ]step",
    "trade-?offs?",
    "infer",
    "deduce",
)
_CONSTRAINT = _cue(
    "must",
    "exactly",
    "at least",
    "at most",
    "no more than",
    "no fewer than",
    "without",
    "ensure",
    "do not",
    "don't",
    "should not",
    "cannot",
    "constraints?",
    "requirements?",
    "only if",
    "each",
    "every",
    "all",
)
_CONDITION = _cue(
    "if",
    "then",
    "otherwise",
    "unless",
    "therefore",
    "assume",
    "assuming",
    "suppose",
    "given that",
    "implies",
    "whereas",
    "however",
)
_SHORT_ANSWER = _cue(
    "one word",
    "single word",
    "yes or no",
    "true or false",
    "in one sentence",
    "one line",
    "only the",
    "just the",
    "answer with",
    "reply with",
    "respond with",
)
_GENERATE = _cue(
    "write",
    "draft",
    "compose",
    "story",
    "poem",
    "essay",
    "email",
    "letter",
    "blog",
    "rewrite",
    "summari[sz]e",
    "translate",
    "list",
)

# About 2 KB per memoised word (its n-gram strings) and 200 B per hash: ~30 MB at most.
_MEMO_LIMIT = 10_000
_CODE_MEMO_LIMIT = 50_000
_MAGIC = b"TWDM3\n"
_OLD_MAGICS = (b"TWDM1\n", b"TWDM2\n")

DENSE_FEATURES = (
    "log_chars",
    "log_words",
    "log_lines",
    "log_sentences",
    "words_per_sentence",
    "question_marks",
    "list_items",
    "code_lines",
    "code_block",
    "maths_density",
    "number_density",
    "distinct_numbers",
    "reasoning_cues",
    "constraint_cues",
    "condition_cues",
    "short_answer_cues",
    "generation_cues",
    "long_words",
    "non_ascii",
)


class DifficultyScorer(Protocol):
    """What routing needs from the difficulty stage (both values calibrated probabilities)."""

    @property
    def version(self) -> str: ...

    def score(self, text: str) -> float:
        """P(the cheaper tier's answer fails) for this prompt, in [0, 1]."""
        ...

    def rescue(self, text: str) -> float:
        """P(the stronger tier succeeds | the cheaper one failed), in [0, 1]."""
        ...


def _distinct(
    pattern: re.Pattern[str],
    text: str,
    lowered: str | None = None,
    words: AbstractSet[str] | None = None,
) -> int:
    """Distinct matches of ``pattern`` in ``text``, ignoring case. ``lowered`` is
    ``text.lower()`` when ``text`` is ASCII: there, ignoring case is lower-casing both sides,
    and the case-sensitive twin of a lower-case pattern runs ~2x faster (same matches).
    ``words``, the ``\\w+`` runs of ``lowered``: when none is a word a match starts with,
    there is no match and no scan (a prompt holds two or three of the five kinds of cue)."""
    twin = _TWINS.get(id(pattern)) if lowered is not None else None
    if twin is not None and lowered is not None:
        first = twin.first
        if first is not None and words is not None and first.isdisjoint(words):
            return 0
        return len(set(twin.cased.findall(lowered)))
    return len({m.lower() for m in pattern.findall(text)})


@dataclass(frozen=True, slots=True)
class Featurizer:
    """Text -> (hashed sparse vector, dense vector); identical at training and serving."""

    bits: int = 18
    char_ngrams: int = 4
    max_chars: int = 6000
    # Memo tables (pure functions of their keys, so sharing them is safe); bounded by
    # clearing when full, which keeps memory flat under unbounded vocabularies.
    _word_memo: dict[str, frozenset[str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # Feature -> (bucket index, sign): the pair itself, so a request's vector is one dict()
    # over the lookups, built in C.
    _code_memo: dict[str, tuple[int, float]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def buckets(self) -> int:
        return 1 << self.bits

    def bucket(self, feature: str) -> tuple[int, float]:
        """(bucket index, sign) of one named feature (``w:word``, ``b:a b``, ``c:<wor``)."""
        h = zlib.crc32(feature.encode("utf-8"))
        return (h >> 1) & (self.buckets - 1), (1.0 if h & 1 else -1.0)

    def hashed(self, text: str) -> dict[int, float]:
        """The L2-normalised hashed n-gram part."""
        words = lower_words(text[: self.max_chars])[1]
        # Word and character n-gram features depend only on the word, and the same words
        # recur across requests, so they are built once per word and memoised.
        # The features' order does not matter: the heads add their products by fsum, and
        # a shared bucket's signs add up to a whole number in any order.
        known = self._word_memo
        distinct = set(words)
        new_words = distinct.difference(known)  # a lookup per word (- keys(): a walk of them)
        if new_words:
            if len(known) + len(new_words) > _MEMO_LIMIT:
                known.clear()
                new_words = distinct
            for w in new_words:
                known[w] = self._word_features(w)
        features: set[str] = set().union(*map(known.__getitem__, distinct))
        features.update(map("b:{} {}".format, words, words[1:]))
        codes = self._code_memo
        new_features = features.difference(codes)
        if new_features:
            if len(codes) + len(new_features) > _CODE_MEMO_LIMIT:
                codes.clear()
                new_features = features
            mask = (1 << self.bits) - 1
            for feature in new_features:
                h = zlib.crc32(feature.encode("utf-8"))
                codes[feature] = ((h >> 1) & mask, 1.0 if h & 1 else -1.0)
        pairs = list(map(codes.__getitem__, features))
        vec = dict(pairs)
        if len(vec) < len(pairs):  # two features share a bucket: their signs add up
            vec = {}
            for index, sign in pairs:
                vec[index] = vec.get(index, 0.0) + sign
            norm = math.sqrt(math.fsum(v * v for v in vec.values())) or 1.0
            return {i: v / norm for i, v in vec.items() if v}
        if not vec:
            return vec
        # Every value is its feature's sign, +-1.0: the sum of squares is exactly the count,
        # and each value divided by the norm is one of two floats.
        norm = math.sqrt(len(vec))
        scaled = {1.0: 1.0 / norm, -1.0: -1.0 / norm}
        return dict(zip(vec, map(scaled.__getitem__, vec.values()), strict=True))

    def _word_features(self, word: str) -> frozenset[str]:
        features = {"w:" + word}
        n = self.char_ngrams
        if n:
            padded = f"<{word}>"
            features.update("c:" + padded[i : i + n] for i in range(len(padded) - n + 1))
        return frozenset(features)

    def dense(self, text: str) -> list[float]:
        """Dense features in the order of :data:`DENSE_FEATURES`, each roughly in [0, 1]."""
        return self.shape(text[: self.max_chars])

    @staticmethod
    def shape(text: str) -> list[float]:
        """Length, structure and cue features that mean the same thing on any source."""
        chars = len(text) or 1
        lines = [line for line in text.splitlines() if line.strip()]
        n_lines = len(lines) or 1
        lowered: str | None = None
        present: frozenset[str] | None = None
        words: Sequence[str]
        if text.isascii():
            # Lower-casing ASCII changes only letters, which stay word characters: the same
            # runs, of the same lengths, as in the text itself (only counts and lengths are
            # read), and the hashed n-grams have just split the same text.
            lowered, words = lower_words(text)
            present = frozenset(words)
        else:
            words = _WORD.findall(text)
        n_words = len(words) or 1
        sentences = len(_SENTENCE.findall(text)) or 1
        # Every non-maths pattern has a digit: without one there is nothing to mask.
        digits = _DIGIT.search(text) is not None
        plain = _mask_not_maths(text) if digits else text
        numbers = _NUMBER.findall(plain)
        non_ascii = 0 if lowered is not None else len(text) - len(text.encode("ascii", "ignore"))
        if lowered is not None and _MATHS_CASED is not None:
            # ASCII: plain is too, and lower-cased is what the twin reads (its words are the
            # text's while nothing is masked).
            if plain is text:
                maths = _maths_count(lowered, digits, present)
            else:
                maths = _maths_count(plain.lower(), digits, None)
        else:
            maths = len(_MATHS.findall(plain))
        return [
            math.log1p(chars) / 10,
            math.log1p(len(words)) / 8,
            math.log1p(n_lines) / 5,
            math.log1p(sentences) / 4,
            min(n_words / sentences / 40, 1.0),
            min(text.count("?"), 5) / 5,
            min(len(_LIST_ITEM.findall(text)), 10) / 10,
            min(_code_lines(text, present) / n_lines, 1.0),
            1.0 if _fenced(text) else 0.0,
            min(maths / n_words * 10, 1.0),
            min(len(numbers) / n_words * 5, 1.0),
            math.log1p(len(set(numbers))) / 3,
            min(_distinct(_REASONING, text, lowered, present), 5) / 5,
            min(_distinct(_CONSTRAINT, text, lowered, present), 8) / 8,
            min(_distinct(_CONDITION, text, lowered, present), 5) / 5,
            min(_distinct(_SHORT_ANSWER, text, lowered, present), 2) / 2,
            min(_distinct(_GENERATE, text, lowered, present), 3) / 3,
            sum(len(w) >= 9 for w in words) / n_words,
            min(non_ascii / chars * 5, 1.0),
        ]


@dataclass(frozen=True, slots=True)
class Head:
    """One logistic head: sparse weights over hashed buckets, dense weights, a bias."""

    indexes: array[int]
    weights: array[float]
    dense: tuple[float, ...]
    bias: float
    _lookup: dict[int, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.indexes) != len(self.weights):
            raise ValueError("a head needs one weight per bucket index")
        if len(self.dense) != len(DENSE_FEATURES):
            raise ValueError(f"expected {len(DENSE_FEATURES)} dense weights, got {len(self.dense)}")
        object.__setattr__(self, "_lookup", dict(zip(self.indexes, self.weights, strict=True)))

    @classmethod
    def from_weights(cls, hashed: Sequence[float], dense: Sequence[float], bias: float) -> Head:
        """From a dense weight vector (training output), keeping the non-zero buckets."""
        pairs = [(i, w) for i, w in enumerate(hashed) if w != 0.0]
        return cls(
            array("I", (i for i, _ in pairs)),
            array("f", (w for _, w in pairs)),
            tuple(float(w) for w in dense),
            float(bias),
        )

    def logit(self, hashed: Mapping[int, float], dense: Sequence[float]) -> float:
        if len(dense) != len(self.dense):
            raise ValueError(f"expected {len(self.dense)} dense features, got {len(dense)}")
        # fsum, not +=: features come out of a set, whose order changes with Python's string
        # hash seed, and a plain sum would then differ in the last bit between processes.
        # (fsum's result does not depend on the order, so the products are made in C, by map.)
        weights = map(self._lookup.get, hashed, repeat(0.0))
        terms = list(map(mul, weights, hashed.values()))
        terms.extend(map(mul, self.dense, dense))
        terms.append(self.bias)
        return math.fsum(terms)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class DifficultyModel:
    """The ``fails`` and ``rescue`` heads over one :class:`Featurizer`."""

    def __init__(
        self,
        *,
        featurizer: Featurizer,
        fails: Head,
        rescue: Head,
        version: str,
        meta: Mapping[str, object] | None = None,
    ) -> None:
        self.featurizer = featurizer
        self.fails = fails
        self.rescue_head = rescue
        self.version = version
        self.meta = dict(meta or {})
        # Routing asks score() then rescue() for the same text: keep the last features.
        # One tuple, replaced whole, so concurrent callers never see a torn entry.
        self._last: tuple[str, dict[int, float], list[float]] | None = None

    def features(self, text: str) -> tuple[dict[int, float], list[float]]:
        last = self._last
        if last is not None and last[0] == text:
            return last[1], last[2]
        hashed, dense = self.featurizer.hashed(text), self.featurizer.dense(text)
        self._last = (text, hashed, dense)
        return hashed, dense

    def logit(self, text: str) -> float:
        """The ``fails`` head's logit."""
        return self.fails.logit(*self.features(text))

    def score(self, text: str) -> float:
        """P(the cheaper tier fails on ``text``)."""
        return _sigmoid(self.logit(text))

    def rescue(self, text: str) -> float:
        """P(the stronger tier succeeds on ``text`` | the cheaper one failed)."""
        return _sigmoid(self.rescue_head.logit(*self.features(text)))

    # -- serialisation -----------------------------------------------------------------
    # TWDM3: magic, header length, JSON header, then per head (fails, rescue) its bucket
    # indexes (uint32) and weights (float32).

    def to_bytes(self) -> bytes:
        heads = {"fails": self.fails, "rescue": self.rescue_head}
        header = {
            "version": self.version,
            "bits": self.featurizer.bits,
            "char_ngrams": self.featurizer.char_ngrams,
            "max_chars": self.featurizer.max_chars,
            "dense_features": list(DENSE_FEATURES),
            "heads": [
                {"name": name, "count": len(h.indexes), "bias": h.bias, "dense": list(h.dense)}
                for name, h in heads.items()
            ],
            "meta": self.meta,
        }
        head = json.dumps(header, sort_keys=True).encode("utf-8")
        blobs: list[bytes] = []
        for h in heads.values():
            blobs += [array("I", h.indexes).tobytes(), array("f", h.weights).tobytes()]
        return b"".join([_MAGIC, struct.pack("<I", len(head)), head, *blobs])

    @classmethod
    def from_bytes(cls, data: bytes) -> DifficultyModel:
        if data.startswith(_OLD_MAGICS):
            raise ValueError(
                "trained by an older tierwise (gain label, benchmark-specific features); "
                "retrain it with `tierwise router train`"
            )
        if not data.startswith(_MAGIC):
            raise ValueError("not a tierwise difficulty model (bad magic)")
        offset = len(_MAGIC)
        if len(data) < offset + 4:
            raise ValueError("truncated difficulty model file")
        (head_len,) = struct.unpack_from("<I", data, offset)
        offset += 4
        try:
            header = json.loads(data[offset : offset + head_len])
        except ValueError:
            raise ValueError("truncated difficulty model file") from None
        offset += head_len
        if list(header["dense_features"]) != list(DENSE_FEATURES):
            raise ValueError("the model was trained with different dense features; retrain it")
        entries = {str(e["name"]): e for e in header["heads"]}
        if set(entries) != {"fails", "rescue"}:
            raise ValueError("a difficulty model needs a fails head and a rescue head")
        if len(data) != offset + sum(8 * int(e["count"]) for e in header["heads"]):
            raise ValueError("truncated difficulty model file")
        heads: dict[str, Head] = {}
        for entry in header["heads"]:
            count = int(entry["count"])
            idx, wts = array("I"), array("f")
            idx.frombytes(data[offset : offset + 4 * count])
            offset += 4 * count
            wts.frombytes(data[offset : offset + 4 * count])
            offset += 4 * count
            dense = tuple(float(w) for w in entry["dense"])
            heads[str(entry["name"])] = Head(idx, wts, dense, float(entry["bias"]))
        featurizer = Featurizer(
            bits=int(header["bits"]),
            char_ngrams=int(header["char_ngrams"]),
            max_chars=int(header["max_chars"]),
        )
        return cls(
            featurizer=featurizer,
            fails=heads["fails"],
            rescue=heads["rescue"],
            version=str(header["version"]),
            meta=dict(header.get("meta") or {}),
        )

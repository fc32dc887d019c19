"""The learned difficulty model: P(the cheaper tier's answer is not good enough | prompt).

Pure Python on purpose: it runs on every request, so it must load in milliseconds, score a
short prompt in well under a millisecond, and keep ``import tierwise`` free of numpy. The
model is logistic regression over hashed features:

* word unigrams and bigrams (lower-cased ``\\w+`` tokens), presence only;
* character 4-grams inside words (robust to inflections and unseen words);
* a few dense shape features (length, digits, numbers, lines, multiple-choice options,
  math and code markers).

Math word problems (see :mod:`tierwise.core.quantities`) also get a *specialist*: a small
regression tree ensemble over quantity counts, blended with the linear score. On GSM8K the
two rank prompts differently enough that their blend beats either (cross-validated on the
training half; see docs/router/eval.md).

Hashing uses CRC-32 (stable across processes, unlike ``hash()``) with a sign bit, into
``2**bits`` buckets; the hashed part is L2-normalised. Training lives in
:mod:`tierwise.router.train` (numpy/scikit-learn, an optional extra); it exports to the
compact format read by :meth:`DifficultyModel.from_bytes`.
"""

from __future__ import annotations

import json
import math
import re
import struct
import zlib
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Protocol

from tierwise.core.quantities import QUANTITY_FEATURES, is_word_problem, quantity_features
from tierwise.core.trees import TreeEnsemble

__all__ = ["DENSE_FEATURES", "DifficultyModel", "DifficultyScorer", "Featurizer", "Specialist"]

_WORD = re.compile(r"\w+", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_OPTION = re.compile(r"^\s*[A-D][.)]\s", re.MULTILINE)
_MATH = re.compile(r"[=+\-*/^<>]|\\frac|\\sum|\\int|\bsqrt\b")
_CODE = re.compile(r"```|\bdef |\bclass |\breturn\b|[{};]\s*$", re.MULTILINE)
_SENTENCE = re.compile(r"[.!?](?:\s|$)")
_PERCENT = re.compile(r"\d\s*%|\bpercent")
_FRACTION = re.compile(r"\d+/\d+|\d\.\d")
_LARGE = re.compile(r"\d{4,}|\d{1,3}(?:,\d{3})+")
_RELATION = re.compile(
    r"\b(?:each|per|every|twice|half|times|remaining|rest|total|average|more than|less than|"
    r"fewer|left|ratio|rate)\b",
    re.IGNORECASE,
)
# About 2 KB per memoised word (its n-gram strings) and 150 B per hash: ~25 MB at most.
_MEMO_LIMIT = 10_000
_CODE_MEMO_LIMIT = 50_000
_MAGIC_V1 = b"TWDM1\n"
_MAGIC = b"TWDM2\n"

FAMILIES = ("choice", "math", "open")
DENSE_FEATURES = (
    "log_chars",
    "log_words",
    "digit_ratio",
    "log_numbers",
    "log_lines",
    "options",
    "math_ratio",
    "code_lines",
    "question_marks",
    "log_sentences",
    "percentages",
    "fractions_decimals",
    "large_numbers",
    "money",
    "relations",
)


class DifficultyScorer(Protocol):
    """What routing needs from a difficulty model."""

    @property
    def version(self) -> str: ...

    def score(self, text: str) -> float:
        """Probability in [0, 1] that the cheaper tier's answer is not good enough."""
        ...


@dataclass(frozen=True, slots=True)
class Featurizer:
    """Text -> sparse feature vector (bucket -> value); identical at training and serving."""

    bits: int = 18
    char_ngrams: int = 4
    max_chars: int = 6000
    families: bool = True
    # Memo tables (pure functions of their keys, so sharing them is safe); bounded by
    # clearing when full, which keeps memory flat under unbounded vocabularies.
    _word_memo: dict[tuple[str, str], frozenset[str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _code_memo: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def buckets(self) -> int:
        return 1 << self.bits

    def _hash(self, feature: str) -> tuple[int, float]:
        h = zlib.crc32(feature.encode("utf-8"))
        return (h >> 1) & (self.buckets - 1), (1.0 if h & 1 else -1.0)

    @staticmethod
    def family(text: str) -> str:
        """A coarse prompt family; features are also learned per family, so one model can
        weigh the same word differently in a multiple-choice question, a math word problem
        and an open-ended request."""
        if len(_OPTION.findall(text)) >= 3:
            return "choice"
        if is_word_problem(text):
            return "math"
        return "open"

    def hashed(self, text: str, family: str | None = None) -> dict[int, float]:
        """The L2-normalised hashed n-gram part (``family`` if the caller already knows it)."""
        if not self.families:
            family = ""
        elif family is None:
            family = self.family(text)
        text = text[: self.max_chars].lower()
        words = _WORD.findall(text)
        # Word and character n-gram features depend only on the word (and family), and the
        # same words recur across requests, so they are built once per word and memoised.
        known = self._word_memo
        features: set[str] = set()
        for w in set(words):
            of_word = known.get((family, w))
            if of_word is None:
                of_word = self._word_features(w, family)
                if len(known) >= _MEMO_LIMIT:
                    known.clear()
                known[(family, w)] = of_word
            features |= of_word
        bigrams = {f"b:{a} {b}" for a, b in pairwise(words)}
        features |= bigrams
        if family:
            features.update([f"{family}|{f}" for f in bigrams])
        codes = self._code_memo
        if len(codes) >= _CODE_MEMO_LIMIT:
            codes.clear()
        mask = (1 << self.bits) - 1
        crc32 = zlib.crc32
        vec: dict[int, float] = {}
        for feature in features:
            code = codes.get(feature)
            if code is None:
                h = crc32(feature.encode("utf-8"))
                code = codes[feature] = ((h >> 1) & mask) << 1 | (h & 1)
            index = code >> 1
            vec[index] = vec.get(index, 0.0) + (1.0 if code & 1 else -1.0)
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {i: v / norm for i, v in vec.items() if v}

    def _word_features(self, word: str, family: str) -> frozenset[str]:
        features = {"w:" + word}
        n = self.char_ngrams
        if n:
            padded = f"<{word}>"
            features.update("c:" + padded[i : i + n] for i in range(len(padded) - n + 1))
        if family:
            features.update([f"{family}|{f}" for f in features])
        return frozenset(features)

    def dense(self, text: str, family: str | None = None) -> list[float]:
        """Shape features, each scaled to roughly [0, 1], repeated per family (one-hot)."""
        base = self.shape(text)
        if not self.families:
            return base
        if family is None:
            family = self.family(text)
        return base + [v if family == f else 0.0 for f in FAMILIES for v in base]

    @staticmethod
    def shape(text: str) -> list[float]:
        """Shape features, each scaled to roughly [0, 1]."""
        chars = len(text) or 1
        lines = text.count("\n") + 1
        words = len(_WORD.findall(text))
        return [
            math.log1p(chars) / 10,
            math.log1p(words) / 8,
            sum(c.isdigit() for c in text) / chars,
            math.log1p(len(_NUMBER.findall(text))) / 4,
            math.log1p(lines) / 5,
            min(len(_OPTION.findall(text)), 6) / 6,
            min(len(_MATH.findall(text)) / chars * 20, 1.0),
            min(len(_CODE.findall(text)) / lines, 1.0),
            min(text.count("?"), 5) / 5,
            math.log1p(len(_SENTENCE.findall(text))) / 3,
            min(len(_PERCENT.findall(text)), 4) / 4,
            min(len(_FRACTION.findall(text)), 4) / 4,
            min(len(_LARGE.findall(text)), 4) / 4,
            min(text.count("$"), 4) / 4,
            min(len(_RELATION.findall(text)), 6) / 6,
        ]


@dataclass(frozen=True, slots=True)
class Specialist:
    """A second opinion for one prompt family, blended with the linear model.

    Both scores are standardised by their spread on prompts the models had not seen in
    training (out-of-fold), added, then mapped to a logit by a fitted ``slope``/``offset``.
    """

    trees: TreeEnsemble
    linear_mean: float
    linear_scale: float
    trees_mean: float
    trees_scale: float
    slope: float
    offset: float

    def __post_init__(self) -> None:
        if self.linear_scale <= 0 or self.trees_scale <= 0:
            raise ValueError("specialist scales must be positive")
        if self.trees.n_features > len(QUANTITY_FEATURES):
            raise ValueError("the specialist's trees use features this version does not have")

    def logit(self, text: str, linear: float) -> float:
        trees = self.trees.predict(quantity_features(text))
        blended = (linear - self.linear_mean) / self.linear_scale + (
            trees - self.trees_mean
        ) / self.trees_scale
        return self.slope * blended + self.offset

    def header(self) -> dict[str, list[float]]:
        return {
            "linear": [self.linear_mean, self.linear_scale],
            "trees": [self.trees_mean, self.trees_scale],
            "platt": [self.slope, self.offset],
        }


class DifficultyModel:
    """A logistic model over :class:`Featurizer` features, with optional per-family
    :class:`Specialist` blends."""

    def __init__(
        self,
        *,
        featurizer: Featurizer,
        indexes: array[int],
        weights: array[float],
        dense_weights: tuple[float, ...],
        bias: float,
        version: str,
        meta: Mapping[str, object] | None = None,
        specialists: Mapping[str, Specialist] | None = None,
    ) -> None:
        expected = len(featurizer.dense(""))
        if len(dense_weights) != expected:
            raise ValueError(f"expected {expected} dense weights, got {len(dense_weights)}")
        unknown = set(specialists or {}) - set(FAMILIES)
        if unknown:
            raise ValueError(f"specialists for unknown prompt families: {sorted(unknown)}")
        self.featurizer = featurizer
        self.indexes = indexes
        self.weights = weights
        self.dense_weights = dense_weights
        self.bias = bias
        self.version = version
        self.meta = dict(meta or {})
        self.specialists = dict(specialists or {})
        self._lookup = dict(zip(indexes, weights, strict=True))

    def linear_logit(self, text: str, family: str | None = None) -> float:
        """The linear model alone (what a specialist blends with)."""
        featurizer = self.featurizer
        if family is None and featurizer.families:
            family = featurizer.family(text)
        lookup = self._lookup
        get = lookup.get
        # fsum, not +=: features come out of a set, whose order changes with Python's string
        # hash seed, and a plain sum would then differ in the last bit between processes.
        terms = [
            get(index, 0.0) * value for index, value in featurizer.hashed(text, family).items()
        ]
        terms.extend(
            w * v for w, v in zip(self.dense_weights, featurizer.dense(text, family), strict=True)
        )
        terms.append(self.bias)
        return math.fsum(terms)

    def logit(self, text: str) -> float:
        family = self.featurizer.family(text) if self.featurizer.families else None
        z = self.linear_logit(text, family)
        specialist = self.specialists.get(family) if family is not None else None
        return specialist.logit(text, z) if specialist is not None else z

    def score(self, text: str) -> float:
        z = self.logit(text)
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    # -- serialisation -----------------------------------------------------------------
    # TWDM2: magic, header length, JSON header, bucket indexes (uint32), weights (float32),
    # then each specialist's trees in the header's order. TWDM1 files (no specialists) load.

    def to_bytes(self) -> bytes:
        names = sorted(self.specialists)
        trees = [self.specialists[name].trees.to_bytes() for name in names]
        header = {
            "version": self.version,
            "bits": self.featurizer.bits,
            "char_ngrams": self.featurizer.char_ngrams,
            "max_chars": self.featurizer.max_chars,
            "families": self.featurizer.families,
            "bias": self.bias,
            "dense": list(self.dense_weights),
            "dense_features": list(DENSE_FEATURES),
            "quantity_features": list(QUANTITY_FEATURES),
            "count": len(self.indexes),
            "meta": self.meta,
            "specialists": [
                {"family": name, "bytes": len(blob), **self.specialists[name].header()}
                for name, blob in zip(names, trees, strict=True)
            ],
        }
        head = json.dumps(header, sort_keys=True).encode("utf-8")
        idx = array("I", self.indexes)
        wts = array("f", self.weights)
        return b"".join(
            [_MAGIC, struct.pack("<I", len(head)), head, idx.tobytes(), wts.tobytes(), *trees]
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> DifficultyModel:
        if not data.startswith((_MAGIC, _MAGIC_V1)):
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
        count = int(header["count"])
        entries = header.get("specialists") or []
        tree_bytes = sum(int(e["bytes"]) for e in entries)
        if len(data) != offset + 8 * count + tree_bytes:
            raise ValueError("truncated difficulty model file")
        idx = array("I")
        idx.frombytes(data[offset : offset + 4 * count])
        offset += 4 * count
        wts = array("f")
        wts.frombytes(data[offset : offset + 4 * count])
        offset += 4 * count
        if list(header["dense_features"]) != list(DENSE_FEATURES):
            raise ValueError("the model was trained with different dense features")
        if entries and list(header["quantity_features"]) != list(QUANTITY_FEATURES):
            raise ValueError("the model was trained with different quantity features")
        specialists: dict[str, Specialist] = {}
        for entry in entries:
            size = int(entry["bytes"])
            trees = TreeEnsemble.from_bytes(data[offset : offset + size])
            offset += size
            (lm, ls), (tm, ts), (slope, off) = entry["linear"], entry["trees"], entry["platt"]
            specialists[str(entry["family"])] = Specialist(
                trees, float(lm), float(ls), float(tm), float(ts), float(slope), float(off)
            )
        featurizer = Featurizer(
            bits=int(header["bits"]),
            char_ngrams=int(header["char_ngrams"]),
            max_chars=int(header["max_chars"]),
            families=bool(header.get("families", False)),
        )
        return cls(
            featurizer=featurizer,
            indexes=idx,
            weights=wts,
            dense_weights=tuple(float(w) for w in header["dense"]),
            bias=float(header["bias"]),
            version=str(header["version"]),
            meta=dict(header.get("meta") or {}),
            specialists=specialists,
        )

    @classmethod
    def from_weights(
        cls,
        *,
        featurizer: Featurizer,
        hashed_weights: Sequence[float],
        dense_weights: Sequence[float],
        bias: float,
        version: str,
        meta: Mapping[str, object] | None = None,
        specialists: Mapping[str, Specialist] | None = None,
    ) -> DifficultyModel:
        """Build from a dense weight vector (training output), keeping non-zero buckets."""
        pairs = [(i, w) for i, w in enumerate(hashed_weights) if w != 0.0]
        return cls(
            featurizer=featurizer,
            indexes=array("I", (i for i, _ in pairs)),
            weights=array("f", (w for _, w in pairs)),
            dense_weights=tuple(float(w) for w in dense_weights),
            bias=float(bias),
            version=version,
            meta=dict(meta or {}),
            specialists=specialists,
        )

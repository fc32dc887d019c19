"""The learned difficulty model: P(the cheaper tier's answer is not good enough | prompt).

Pure Python on purpose: it runs on every request, so it must load in milliseconds, score a
short prompt in well under a millisecond, and keep ``import tierwise`` free of numpy. The
model is logistic regression over hashed features:

* word unigrams and bigrams (lower-cased ``\\w+`` tokens), presence only;
* character 4-grams inside words (robust to inflections and unseen words);
* a few dense shape features (length, digits, numbers, lines, multiple-choice options,
  math and code markers).

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
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

__all__ = ["DENSE_FEATURES", "DifficultyModel", "DifficultyScorer", "Featurizer"]

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
_MAGIC = b"TWDM1\n"

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
        if len(_NUMBER.findall(text)) >= 2 and "?" in text:
            return "math"
        return "open"

    def hashed(self, text: str) -> dict[int, float]:
        """The L2-normalised hashed n-gram part."""
        family = self.family(text) if self.families else ""
        text = text[: self.max_chars].lower()
        words = _WORD.findall(text)
        features: set[str] = {"w:" + w for w in words}
        features.update(f"b:{a} {b}" for a, b in pairwise(words))
        n = self.char_ngrams
        if n:
            for w in set(words):
                padded = f"<{w}>"
                features.update("c:" + padded[i : i + n] for i in range(len(padded) - n + 1))
        if family:
            features.update([f"{family}|{f}" for f in features])
        # The hashing loop is inlined (no per-feature method call): it runs on every request.
        mask = (1 << self.bits) - 1
        crc32 = zlib.crc32
        vec: dict[int, float] = {}
        for feature in features:
            h = crc32(feature.encode("utf-8"))
            index = (h >> 1) & mask
            vec[index] = vec.get(index, 0.0) + (1.0 if h & 1 else -1.0)
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {i: v / norm for i, v in vec.items() if v}

    def dense(self, text: str) -> list[float]:
        """Shape features, each scaled to roughly [0, 1], repeated per family (one-hot)."""
        base = self.shape(text)
        if not self.families:
            return base
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


class DifficultyModel:
    """A logistic model over :class:`Featurizer` features."""

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
    ) -> None:
        expected = len(featurizer.dense(""))
        if len(dense_weights) != expected:
            raise ValueError(f"expected {expected} dense weights, got {len(dense_weights)}")
        self.featurizer = featurizer
        self.indexes = indexes
        self.weights = weights
        self.dense_weights = dense_weights
        self.bias = bias
        self.version = version
        self.meta = dict(meta or {})
        self._lookup = dict(zip(indexes, weights, strict=True))

    def logit(self, text: str) -> float:
        lookup = self._lookup
        z = self.bias
        for index, value in self.featurizer.hashed(text).items():
            z += lookup.get(index, 0.0) * value
        for w, v in zip(self.dense_weights, self.featurizer.dense(text), strict=True):
            z += w * v
        return z

    def score(self, text: str) -> float:
        z = self.logit(text)
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    # -- serialisation -----------------------------------------------------------------

    def to_bytes(self) -> bytes:
        header = {
            "version": self.version,
            "bits": self.featurizer.bits,
            "char_ngrams": self.featurizer.char_ngrams,
            "max_chars": self.featurizer.max_chars,
            "families": self.featurizer.families,
            "bias": self.bias,
            "dense": list(self.dense_weights),
            "dense_features": list(DENSE_FEATURES),
            "count": len(self.indexes),
            "meta": self.meta,
        }
        head = json.dumps(header, sort_keys=True).encode("utf-8")
        idx = array("I", self.indexes)
        wts = array("f", self.weights)
        return _MAGIC + struct.pack("<I", len(head)) + head + idx.tobytes() + wts.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> DifficultyModel:
        if not data.startswith(_MAGIC):
            raise ValueError("not a tierwise difficulty model (bad magic)")
        offset = len(_MAGIC)
        (head_len,) = struct.unpack_from("<I", data, offset)
        offset += 4
        header = json.loads(data[offset : offset + head_len])
        offset += head_len
        count = int(header["count"])
        if len(data) != offset + 8 * count:
            raise ValueError("truncated difficulty model file")
        idx = array("I")
        idx.frombytes(data[offset : offset + 4 * count])
        offset += 4 * count
        wts = array("f")
        wts.frombytes(data[offset : offset + 4 * count])
        if len(idx) != count or len(wts) != count:
            raise ValueError("truncated difficulty model file")
        if list(header["dense_features"]) != list(DENSE_FEATURES):
            raise ValueError("the model was trained with different dense features")
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
        )

"""The trained task-class model: multinomial logistic regression over hashed features.

Pure Python, like the difficulty model: it runs on every request, so it loads in a few
milliseconds, scores a short request in well under a millisecond, and keeps
``import tierwise`` free of numpy. Features (all presence features, hashed with CRC-32 into
``2**bits`` buckets):

* the structural features of :func:`tierwise.core.classes.class_features` (cues found in
  the system prompt and the user turn, tool-name words, destructive tools in a tool loop,
  passage and document counts, code size, turns, requested output size), weight 1 each;
* word unigrams and bigrams of the system prompt (``s:``) and of the last user turn's head
  and tail (``u:``), each group scaled by 1/sqrt(its size) so long prompts do not dominate.

Training lives in :mod:`tierwise.router.class_train` (numpy/scipy, the ``train`` extra). The
file format (``TWCM1``): magic, header length, JSON header (version, bits, classes, bias,
meta), bucket indexes (uint32), then one row of ``len(classes)`` float32 weights per bucket.
"""

from __future__ import annotations

import json
import math
import re
import struct
import zlib
from array import array
from collections.abc import Mapping, Sequence
from itertools import pairwise
from operator import add

from tierwise.core.classes import ClassScorer, CueClassifier, softmax
from tierwise.core.taxonomy import TASK_CLASSES

__all__ = [
    "DEFAULT_CLASS_MODEL_FILE",
    "BlendedClassifier",
    "ClassModel",
    "hashed_features",
]

_MAGIC = b"TWCM1\n"
_WORD = re.compile(r"\w+", re.UNICODE)
DEFAULT_CLASS_MODEL_FILE = "classes-v1.twcm"
_HEAD_WORDS = 200
_TAIL_WORDS = 80


def _words(text: str) -> list[str]:
    words = _WORD.findall(text.lower())
    if len(words) > _HEAD_WORDS + _TAIL_WORDS:
        words = words[:_HEAD_WORDS] + words[-_TAIL_WORDS:]
    return words


def _text_features(prefix: str, text: str) -> dict[str, float]:
    words = _words(text)
    names = {f"{prefix}{w}" for w in words}
    names.update(f"{prefix}{a} {b}" for a, b in pairwise(words))
    if not names:
        return {}
    scale = 1.0 / math.sqrt(len(names))
    return dict.fromkeys(names, scale)


def _text_names(prefix: str, text: str) -> set[str]:
    words = _words(text)
    names = {f"{prefix}{w}" for w in words}
    names.update(f"{prefix}{a} {b}" for a, b in pairwise(words))
    return names


def hashed_features(
    structural: Mapping[str, float], system: str, user: str, bits: int
) -> dict[int, float]:
    """Bucket -> value for one request (identical at training and serving)."""
    named = {f"f:{k}": v for k, v in structural.items()}
    named.update(_text_features("s:", system[:2000]))
    named.update(_text_features("u:", user))
    mask = (1 << bits) - 1
    out: dict[int, float] = {}
    crc32 = zlib.crc32
    for name, value in named.items():
        bucket = crc32(name.encode("utf-8")) & mask
        out[bucket] = out.get(bucket, 0.0) + value
    return out


class ClassModel:
    """P(task class | request) from hashed features; see the module docstring."""

    def __init__(
        self,
        *,
        bits: int,
        classes: Sequence[str],
        indexes: array[int],
        weights: array[float],
        bias: Sequence[float],
        version: str,
        meta: Mapping[str, object] | None = None,
    ) -> None:
        k = len(classes)
        if len(weights) != len(indexes) * k or len(bias) != k:
            raise ValueError("class model weights do not match its buckets and classes")
        unknown = set(classes) - set(TASK_CLASSES)
        if unknown:
            raise ValueError(f"class model has unknown classes: {sorted(unknown)}")
        self.bits = bits
        self.classes = tuple(classes)
        self.indexes = indexes
        self.weights = weights
        self.bias = tuple(float(b) for b in bias)
        self.version = version
        self.meta = dict(meta or {})
        rows = memoryview(weights)
        self._rows = {int(b): rows[i * k : (i + 1) * k] for i, b in enumerate(indexes)}

    def logits(self, features: Mapping[int, float]) -> list[float]:
        acc = list(self.bias)
        k = len(acc)
        rows = self._rows
        for bucket, value in features.items():
            row = rows.get(bucket)
            if row is None:
                continue
            for j in range(k):
                acc[j] += row[j] * value
        return acc

    def _group_logits(self, structural: Mapping[str, float], system: str, user: str) -> list[float]:
        """:meth:`logits` of :func:`hashed_features`, summed a group at a time.

        Text features of one group share one value, so their weight rows are added first
        (``map(add, ...)`` runs in C) and scaled once: the same sum as :meth:`logits` up to
        float rounding, in a fraction of the time on long prompts.
        """
        acc = list(self.bias)
        rows = self._rows
        mask = (1 << self.bits) - 1
        crc32 = zlib.crc32
        for name, value in structural.items():
            row = rows.get(crc32(f"f:{name}".encode()) & mask)
            if row is not None:
                acc = [a + r * value for a, r in zip(acc, row, strict=True)]
        for names in (_text_names("s:", system[:2000]), _text_names("u:", user)):
            if not names:
                continue
            part = [0.0] * len(acc)
            for name in names:
                row = rows.get(crc32(name.encode("utf-8")) & mask)
                if row is not None:
                    part = list(map(add, part, row))
            scale = 1.0 / math.sqrt(len(names))
            acc = [a + p * scale for a, p in zip(acc, part, strict=True)]
        return acc

    def probabilities(
        self, features: Mapping[str, float], system: str, user: str
    ) -> dict[str, float]:
        """P(class) for every task class (classes the model lacks get probability 0)."""
        logits = self._group_logits(features, system, user)
        probs = softmax(dict(zip(self.classes, logits, strict=True)))
        return {c: probs.get(c, 0.0) for c in TASK_CLASSES}

    # -- serialisation -------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        header = {
            "version": self.version,
            "bits": self.bits,
            "classes": list(self.classes),
            "bias": list(self.bias),
            "count": len(self.indexes),
            "meta": self.meta,
        }
        head = json.dumps(header, sort_keys=True).encode("utf-8")
        return b"".join(
            [
                _MAGIC,
                struct.pack("<I", len(head)),
                head,
                array("I", self.indexes).tobytes(),
                array("f", self.weights).tobytes(),
            ]
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> ClassModel:
        if not data.startswith(_MAGIC):
            raise ValueError("not a tierwise class model (bad magic)")
        offset = len(_MAGIC)
        try:
            (head_len,) = struct.unpack_from("<I", data, offset)
            offset += 4
            header = json.loads(data[offset : offset + head_len])
        except (struct.error, ValueError):
            raise ValueError("truncated class model file") from None
        offset += head_len
        count = int(header["count"])
        k = len(header["classes"])
        if len(data) != offset + 4 * count + 4 * count * k:
            raise ValueError("truncated class model file")
        idx = array("I")
        idx.frombytes(data[offset : offset + 4 * count])
        offset += 4 * count
        wts = array("f")
        wts.frombytes(data[offset:])
        return cls(
            bits=int(header["bits"]),
            classes=[str(c) for c in header["classes"]],
            indexes=idx,
            weights=wts,
            bias=[float(b) for b in header["bias"]],
            version=str(header["version"]),
            meta=dict(header.get("meta") or {}),
        )


class BlendedClassifier:
    """The trained model's evidence plus the hand-set cue classifier's, in log space.

    The cue weights encode what holds for any wording (a label list and "one word" is
    classification, tools that delete inside a tool loop are a high-stakes step); the
    trained model adds what the corpus taught. Together they beat either alone on requests
    from templates neither was written from (see docs/router/classes.md).
    """

    def __init__(self, model: ClassModel, cues: ClassScorer | None = None) -> None:
        self.model = model
        self.cues: ClassScorer = cues if cues is not None else CueClassifier()
        self.version = f"{model.version}+{self.cues.version}"

    def probabilities(
        self, features: Mapping[str, float], system: str, user: str
    ) -> dict[str, float]:
        learned = self.model.probabilities(features, system, user)
        cues = self.cues.probabilities(features, system, user)
        return softmax(
            {c: math.log(learned[c] + 1e-9) + math.log(cues[c] + 1e-9) for c in TASK_CLASSES}
        )

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

A model may also carry *dense* weights over a static sentence embedding of the system
prompt and the user text (``dense_dims`` > 0; the ``embed`` extra, wordllama). Their logits
come from a :class:`DenseLogits` the loader attaches (:mod:`tierwise.router.class_embed`,
numpy), so this module stays pure Python; a model with dense weights and none attached is
refused rather than scored without half its evidence.

Training lives in :mod:`tierwise.router.class_train` (numpy/scipy, the ``train`` extra). The
file format (``TWCM1``): magic, header length, JSON header (version, bits, classes, bias,
meta, dense_dims), bucket indexes (uint32), one row of ``len(classes)`` float32 weights per
bucket, then ``dense_dims`` rows of ``len(classes)`` float32 dense weights.
"""

from __future__ import annotations

import json
import math
import re
import struct
import sys
import zlib
from array import array
from collections.abc import Mapping, Sequence
from functools import reduce
from itertools import pairwise, repeat
from operator import add, mul
from typing import Protocol

from tierwise.core.classes import ClassScorer, CueClassifier, softmax
from tierwise.core.taxonomy import TASK_CLASSES
from tierwise.core.word_runs import lower_words

__all__ = [
    "DEFAULT_CLASS_MODEL_FILE",
    "EMBED_CLASS_MODEL_FILE",
    "BlendedClassifier",
    "ClassModel",
    "DenseLogits",
    "hashed_features",
]

_MAGIC = b"TWCM1\n"
DEFAULT_CLASS_MODEL_FILE = "classes-v2.twcm"
EMBED_CLASS_MODEL_FILE = "classes-v2-embed.twcm"


class DenseLogits(Protocol):
    """The dense weights' contribution to each class logit for one request."""

    def __call__(self, system: str, user: str) -> Sequence[float]: ...


_HEAD_WORDS = 200
# Feature names whose weight rows ClassModel keeps (~100 bytes each, ~5 MB when full).
_ROW_MEMO_LIMIT = 50_000
_UNSEEN: tuple[float, ...] = ()
_TAIL_WORDS = 80


# Chinese, Japanese and Korean write words without spaces: a run of them is read as its
# character bigrams, not as one "word" that never repeats.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def _cjk_split(words: Sequence[str]) -> list[str]:
    out: list[str] = []
    for w in words:
        if len(w) > 2 and _CJK.search(w):
            out.extend(w[i : i + 2] for i in range(len(w) - 1))
        else:
            out.append(w)
    return out


def _words(text: str) -> Sequence[str]:
    if not text:  # no system prompt: keep the user turn's split for the difficulty model
        return ()
    words: Sequence[str] = lower_words(text)[1]
    if not text.isascii() and _CJK.search(text):
        words = _cjk_split(words)
    if len(words) > _HEAD_WORDS + _TAIL_WORDS:
        words = [*words[:_HEAD_WORDS], *words[-_TAIL_WORDS:]]
    return words


def _names(prefix: str, words: Sequence[str]) -> set[str]:
    names = {f"{prefix}{w}" for w in words}
    names.update(f"{prefix}{a} {b}" for a, b in pairwise(words))
    return names


# When the user pastes long material (a table, sources, an email thread), its words swamp the
# few words that say what to do with it ("which should we pick?", "reference number?"). The
# first and last words of a long user turn are read again as the ask, with their own weights
# and their own normalisation, so the ask is heard over the material.
_ASK_WORDS = 24
_ASK_MIN_WORDS = 3 * _ASK_WORDS


def _ask_names(words: Sequence[str]) -> set[str]:
    if len(words) < _ASK_MIN_WORDS:
        return set()
    return _names("a:", words[:_ASK_WORDS]) | _names("a:", words[-_ASK_WORDS:])


def _text_groups(system: str, user: str) -> tuple[set[str], ...]:
    """The text features' names, a group per shared value: the system prompt, the user
    turn, and the ask of a long user turn."""
    system_words = _words(system[:2000])
    words = _words(user)  # last: the difficulty model often reads the same text next
    return _names("s:", system_words), _names("u:", words), _ask_names(words)


def hashed_features(
    structural: Mapping[str, float], system: str, user: str, bits: int
) -> dict[int, float]:
    """Bucket -> value for one request (identical at training and serving)."""
    named = {f"f:{k}": v for k, v in structural.items()}
    for names in _text_groups(system, user):
        if names:
            named.update(dict.fromkeys(names, 1.0 / math.sqrt(len(names))))
    mask = (1 << bits) - 1
    out: dict[int, float] = {}
    crc32 = zlib.crc32
    for name, value in named.items():
        bucket = crc32(name.encode("utf-8")) & mask
        out[bucket] = out.get(bucket, 0.0) + value
    return out


# On Python 3.11 sum() adds floats one after another into a C double: the very float that
# adding them one at a time gives, without a float object per step. From 3.12 it compensates
# the rounding (another last bit), so there each step is a float addition.
_PLAIN_FLOAT_SUM = sys.version_info < (3, 12)


def _column_sums(rows: Sequence[Sequence[float]], starts: Sequence[float]) -> list[float]:
    """``starts[j] + rows[0][j] + rows[1][j] + ...`` for each column ``j``, added left to
    right (as ``acc[j] += row[j]`` a row at a time), a column at a time in C."""
    if not rows:
        return list(starts)
    columns = zip(*rows, strict=True)
    if _PLAIN_FLOAT_SUM:
        return list(map(sum, columns, starts))
    return list(map(reduce, repeat(add), columns, starts))


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
        dense: array[float] | None = None,
    ) -> None:
        k = len(classes)
        if len(weights) != len(indexes) * k or len(bias) != k:
            raise ValueError("class model weights do not match its buckets and classes")
        self.dense = dense if dense is not None else array("f")
        if len(self.dense) % k:
            raise ValueError("class model dense weights do not match its classes")
        self.dense_dims = len(self.dense) // k
        self.dense_logits: DenseLogits | None = None
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
        # Feature name -> its weight row as a tuple of floats (None: no row), memoised: the
        # same words recur across requests, and a name's bucket and row depend only on the
        # name. The tuple holds the very floats the memoryview row gives, so sums are the
        # same. Bounded by clearing when full; one tuple per bucket, shared by its names.
        self._name_rows: dict[str, tuple[float, ...] | None] = {}
        self._flag_rows: dict[str, tuple[float, ...] | None] = {}
        self._bucket_rows: dict[int, tuple[float, ...]] = {}

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
        (a column at a time, in C: :func:`_column_sums`) and scaled once: the same sum as
        :meth:`logits` up to float rounding, in a fraction of the time on long prompts.
        """
        named, flags = self._name_rows, self._flag_rows
        if len(named) >= _ROW_MEMO_LIMIT or len(flags) >= _ROW_MEMO_LIMIT:
            named.clear()
            flags.clear()
            self._bucket_rows.clear()
        scaled: list[tuple[float, ...]] = []
        for name, value in structural.items():
            row = flags.get(name, _UNSEEN)
            if row is _UNSEEN:
                row = flags[name] = self._row(f"f:{name}")
            if row is not None:
                # r * 1.0 is r: most flags are 1.0 and need no products.
                scaled.append(row if value == 1.0 else tuple(map(mul, row, repeat(value))))
        acc = _column_sums(scaled, self.bias)  # the bias, then each flag's row in turn
        for names in _text_groups(system, user):
            if not names:
                continue
            rows = list(map(named.get, names, repeat(_UNSEEN)))
            if _UNSEEN in rows:
                for j, name in enumerate(names):  # the same order: a set not changed since
                    if rows[j] is _UNSEEN:
                        rows[j] = named[name] = self._row(name)
            # Each class's sum over the rows, from 0.0 in the names' order (None: no row).
            part = _column_sums(list(filter(None, rows)), [0.0] * len(acc))
            scale = 1.0 / math.sqrt(len(names))
            acc = [a + p * scale for a, p in zip(acc, part, strict=True)]
        if self.dense_dims:
            if self.dense_logits is None:
                raise ValueError(
                    f"class model {self.version} needs its sentence embedding "
                    "(pip install 'tierwise[embed]'), or use the packaged n-gram model"
                )
            dense = self.dense_logits(system[:2000], user)
            acc = [a + d for a, d in zip(acc, dense, strict=True)]
        return acc

    def _row(self, name: str) -> tuple[float, ...] | None:
        """The weight row of feature ``name``'s bucket, as floats; None: no row."""
        bucket = zlib.crc32(name.encode("utf-8")) & ((1 << self.bits) - 1)
        row = self._bucket_rows.get(bucket)
        if row is None:
            view = self._rows.get(bucket)
            if view is None:
                return None
            row = self._bucket_rows[bucket] = tuple(view)
        return row

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
            "dense_dims": self.dense_dims,
        }
        head = json.dumps(header, sort_keys=True).encode("utf-8")
        return b"".join(
            [
                _MAGIC,
                struct.pack("<I", len(head)),
                head,
                array("I", self.indexes).tobytes(),
                array("f", self.weights).tobytes(),
                array("f", self.dense).tobytes(),
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
        dims = int(header.get("dense_dims", 0))
        if len(data) != offset + 4 * count + 4 * count * k + 4 * dims * k:
            raise ValueError("truncated class model file")
        idx = array("I")
        idx.frombytes(data[offset : offset + 4 * count])
        offset += 4 * count
        wts = array("f")
        wts.frombytes(data[offset : offset + 4 * count * k])
        offset += 4 * count * k
        dense = array("f")
        dense.frombytes(data[offset:])
        return cls(
            bits=int(header["bits"]),
            classes=[str(c) for c in header["classes"]],
            indexes=idx,
            weights=wts,
            bias=[float(b) for b in header["bias"]],
            version=str(header["version"]),
            meta=dict(header.get("meta") or {}),
            dense=dense,
        )


class BlendedClassifier:
    """The trained model's evidence plus the hand-set cue classifier's, in log space.

    The cue weights encode what holds for any wording (a label list and "one word" is
    classification, tools that delete inside a tool loop are a high-stakes step); the
    trained model adds what the corpus taught, including how far each cue can be trusted
    (it sees the cues as features too). The cues count at ``cue_weight`` (0.5): at full
    weight a cue that misfires (a "plan" that is a price plan, a "prove" inside a pasted
    article) overrode the model and made most of the Haiku<->Opus confusions on held-out
    templates; at 0.5 held-out accuracy is the same (docs/router/classes.md). The cues give
    no head start to the fallback class here: the model's own priors decide a request with
    no cues.
    """

    def __init__(
        self, model: ClassModel, cues: ClassScorer | None = None, cue_weight: float = 0.5
    ) -> None:
        self.model = model
        self.cues: ClassScorer = cues if cues is not None else CueClassifier(fallback_logit=0.0)
        self.cue_weight = cue_weight
        weight = "" if cue_weight == 1.0 else f"*{cue_weight:g}"
        self.version = f"{model.version}+{self.cues.version}{weight}"

    def probabilities(
        self, features: Mapping[str, float], system: str, user: str
    ) -> dict[str, float]:
        learned = self.model.probabilities(features, system, user)
        cues = self.cues.probabilities(features, system, user)
        w = self.cue_weight
        return softmax(
            {c: math.log(learned[c] + 1e-9) + w * math.log(cues[c] + 1e-9) for c in TASK_CLASSES}
        )

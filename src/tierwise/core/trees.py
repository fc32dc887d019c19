"""A regression tree ensemble evaluated in pure Python.

Training uses scikit-learn (the ``train`` extra); serving must not need numpy, so the fitted
trees are flattened into five parallel arrays and walked here. Features are rounded to
float32 before comparing, as scikit-learn does, so predictions match it exactly.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Sequence

__all__ = ["TreeEnsemble"]

_LEAF = -1


class TreeEnsemble:
    """The mean of regression trees stored as flat node arrays.

    Node ``i`` tests ``x[feature[i]] <= threshold[i]`` and goes to ``left[i]`` or
    ``right[i]`` (absolute node indexes); a leaf has ``left[i] == -1`` and returns
    ``value[i]``. ``roots`` holds each tree's first node.
    """

    __slots__ = ("features", "left", "right", "roots", "threshold", "value")

    def __init__(
        self,
        *,
        roots: Sequence[int],
        features: Sequence[int],
        threshold: Sequence[float],
        left: Sequence[int],
        right: Sequence[int],
        value: Sequence[float],
    ) -> None:
        n = len(features)
        if not (len(threshold) == len(left) == len(right) == len(value) == n):
            raise ValueError("tree arrays differ in length")
        if not roots:
            raise ValueError("a tree ensemble needs at least one tree")
        for child in (*left, *right):
            if child != _LEAF and not 0 <= child < n:
                raise ValueError("tree node points outside the ensemble")
        if any(not 0 <= r < n for r in roots):
            raise ValueError("tree root outside the ensemble")
        # Plain lists index fastest in CPython; this runs on every math prompt.
        self.roots = list(roots)
        self.features = list(features)
        self.threshold = list(threshold)
        self.left = list(left)
        self.right = list(right)
        self.value = list(value)

    @property
    def n_features(self) -> int:
        return (
            max(
                (f for f, lt in zip(self.features, self.left, strict=True) if lt != _LEAF),
                default=-1,
            )
            + 1
        )

    def predict(self, x: Sequence[float]) -> float:
        x32 = array("f", x).tolist()
        features, threshold, left, right, value = (
            self.features,
            self.threshold,
            self.left,
            self.right,
            self.value,
        )
        total = 0.0
        for root in self.roots:
            node = root
            while left[node] != _LEAF:
                node = left[node] if x32[features[node]] <= threshold[node] else right[node]
            total += value[node]
        return total / len(self.roots)

    # -- serialisation: counts, then int32 roots/features/left/right, float64 thresholds/values

    def to_bytes(self) -> bytes:
        head = struct.pack("<II", len(self.roots), len(self.features))
        ints = array("i", [*self.roots, *self.features, *self.left, *self.right])
        floats = array("d", [*self.threshold, *self.value])
        return head + ints.tobytes() + floats.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> TreeEnsemble:
        if len(data) < 8:
            raise ValueError("truncated tree ensemble")
        trees, nodes = struct.unpack_from("<II", data, 0)
        expected = 8 + 4 * (trees + 3 * nodes) + 8 * (2 * nodes)
        if len(data) != expected:
            raise ValueError("truncated tree ensemble")
        ints = array("i")
        ints.frombytes(data[8 : 8 + 4 * (trees + 3 * nodes)])
        floats = array("d")
        floats.frombytes(data[8 + 4 * (trees + 3 * nodes) :])
        roots = ints[:trees]
        rest = ints[trees:]
        return cls(
            roots=roots,
            features=rest[:nodes],
            left=rest[nodes : 2 * nodes],
            right=rest[2 * nodes :],
            threshold=floats[:nodes],
            value=floats[nodes:],
        )

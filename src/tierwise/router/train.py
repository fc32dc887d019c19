"""Fitting the difficulty model (needs the ``train`` extra: numpy, scikit-learn).

The target is the *gain* of the stronger tier on a prompt, ``strong - weak`` in [-1, 1]: the
prompts worth sending up are those where the stronger model succeeds and the weaker fails.
Per-prompt outcomes are noisy (one sample each), so when prompts carry a ``group`` (an MMLU
subject) the target is averaged with the group's mean gain on the training half. A ridge
regression over the hashed features (chosen over logistic regression on "weak wrong" by
measured APGR, see docs/router/eval.md) gives a ranking; a one-dimensional logistic fit on the
training half turns it into P(the weaker tier's answer is not good enough), folded into the
exported weights, so serving is one dot product and a sigmoid.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from tierwise.core.difficulty import DifficultyModel, Featurizer
from tierwise.router.dataset import Example

__all__ = ["DEFAULT_ALPHA", "DENSE_SCALE", "MODEL_VERSION", "design_matrix", "train"]

MODEL_VERSION = "difficulty-v1"
DEFAULT_ALPHA = 10.0
# Dense shape features are scaled up so ridge's shared penalty does not drown them among
# hundreds of thousands of sparse n-gram features; the scale is folded back at export.
DENSE_SCALE = 5.0
GROUP_MIN = 20
GROUP_WEIGHT = 0.5


def design_matrix(featurizer: Featurizer, prompts: Sequence[str]) -> Any:
    """The sparse training matrix: hashed features, then dense features x DENSE_SCALE."""
    import numpy as np
    from scipy.sparse import csr_matrix, hstack

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    dense: list[list[float]] = []
    for i, prompt in enumerate(prompts):
        for j, v in featurizer.hashed(prompt).items():
            rows.append(i)
            cols.append(j)
            vals.append(v)
        dense.append(featurizer.dense(prompt))
    hashed = csr_matrix((vals, (rows, cols)), shape=(len(prompts), featurizer.buckets))
    return hstack([hashed, csr_matrix(np.asarray(dense) * DENSE_SCALE)]).tocsr()


def targets(examples: Sequence[Example]) -> list[float]:
    """Gain per prompt, denoised by its group's mean gain where the group is large enough."""
    by_group: dict[str, list[float]] = defaultdict(list)
    for ex in examples:
        if ex.group is not None:
            by_group[ex.group].append(ex.strong - ex.weak)
    means = {g: sum(v) / len(v) for g, v in by_group.items() if len(v) >= GROUP_MIN}
    out = []
    for ex in examples:
        gain = ex.strong - ex.weak
        if ex.group in means:
            gain = (1 - GROUP_WEIGHT) * gain + GROUP_WEIGHT * means[ex.group]
        out.append(gain)
    return out


def train(
    examples: Sequence[Example],
    *,
    alpha: float = DEFAULT_ALPHA,
    featurizer: Featurizer | None = None,
    version: str = MODEL_VERSION,
) -> DifficultyModel:
    """Fit on ``examples`` (the TRAIN half only) and export a pure-Python model."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression, Ridge

    if len(examples) < 10:
        raise ValueError("need at least 10 labelled examples to train")
    featurizer = featurizer or Featurizer()
    x = design_matrix(featurizer, [ex.prompt for ex in examples])
    ridge = Ridge(alpha=alpha, random_state=0)
    ridge.fit(x, np.asarray(targets(examples)))
    ranking = x @ ridge.coef_ + ridge.intercept_
    insufficient = np.asarray([ex.weak_insufficient for ex in examples], dtype=int)
    if insufficient.min() == insufficient.max():
        slope, offset = 1.0, 0.0  # one class only: keep the ranking, no calibration
    else:
        platt = LogisticRegression(C=1e6, max_iter=1000)
        platt.fit(ranking.reshape(-1, 1), insufficient)
        slope, offset = float(platt.coef_[0][0]), float(platt.intercept_[0])
    coef = ridge.coef_ * slope
    buckets = featurizer.buckets
    hashed = [float(w) if abs(w) > 1e-7 else 0.0 for w in coef[:buckets]]
    dense = [float(w) * DENSE_SCALE for w in coef[buckets:]]
    meta = {
        "alpha": alpha,
        "examples": len(examples),
        "sources": sorted({ex.source for ex in examples}),
        "target": "gain (strong - weak), group-smoothed; Platt-scaled to P(weak insufficient)",
    }
    return DifficultyModel.from_weights(
        featurizer=featurizer,
        hashed_weights=hashed,
        dense_weights=dense,
        bias=float(ridge.intercept_) * slope + offset,
        version=version,
        meta=meta,
    )

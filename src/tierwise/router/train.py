"""Fitting the difficulty model (needs the ``train`` extra: numpy, scikit-learn).

The target is the *gain* of the stronger tier on a prompt, ``strong - weak`` in [-1, 1]: the
prompts worth sending up are those where the stronger model succeeds and the weaker fails.
Per-prompt outcomes are noisy (one sample each), so when prompts carry a ``group`` (an MMLU
subject) the target is averaged with the group's mean gain on the training half. A ridge
regression over the hashed features (chosen over logistic regression on "weak wrong" by
measured APGR, see docs/router/eval.md) gives a ranking; a one-dimensional logistic fit on the
training half turns it into P(the weaker tier's answer is not good enough), folded into the
exported weights, so serving is one dot product and a sigmoid.

Math word problems get a specialist on top (:class:`~tierwise.core.difficulty.Specialist`):
extra-trees over quantity counts, blended with the linear score using out-of-fold
statistics, because on GSM8K the blend ranks better than either part alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from tierwise.core.difficulty import DifficultyModel, Featurizer, Specialist
from tierwise.core.quantities import quantity_features
from tierwise.core.trees import TreeEnsemble
from tierwise.router.dataset import Example

__all__ = ["DEFAULT_ALPHA", "DENSE_SCALE", "MODEL_VERSION", "design_matrix", "train"]

MODEL_VERSION = "difficulty-v1"
DEFAULT_ALPHA = 10.0
# Dense shape features are scaled up so ridge's shared penalty does not drown them among
# hundreds of thousands of sparse n-gram features; the scale is folded back at export.
DENSE_SCALE = 5.0
GROUP_MIN = 20
GROUP_WEIGHT = 0.5
# The math specialist's settings: chosen by 5-fold cross-validation on the TRAIN half of
# GSM8K; it never trains on the held-out half (see docs/router/eval.md for how it was used).
SPECIALIST_MIN = 200
FOLDS = 5
TREES = 100
TREE_MIN_LEAF = 10


def design_matrix(featurizer: Featurizer, prompts: Sequence[str]) -> Any:
    """The sparse training matrix: hashed features, then dense features x DENSE_SCALE."""
    import numpy as np
    from scipy.sparse import csr_matrix, hstack

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    dense: list[list[float]] = []
    for i, prompt in enumerate(prompts):
        for j, v in sorted(featurizer.hashed(prompt).items()):  # same matrix in every process
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


def _fit_linear(
    examples: Sequence[Example], *, alpha: float, featurizer: Featurizer, version: str
) -> DifficultyModel:
    import numpy as np
    from sklearn.linear_model import Ridge

    x = design_matrix(featurizer, [ex.prompt for ex in examples])
    ridge = Ridge(alpha=alpha, random_state=0)
    ridge.fit(x, np.asarray(targets(examples)))
    ranking = x @ ridge.coef_ + ridge.intercept_
    slope, offset = _platt(ranking, examples)
    coef = ridge.coef_ * slope
    buckets = featurizer.buckets
    hashed = [float(w) if abs(w) > 1e-7 else 0.0 for w in coef[:buckets]]
    dense = [float(w) * DENSE_SCALE for w in coef[buckets:]]
    return DifficultyModel.from_weights(
        featurizer=featurizer,
        hashed_weights=hashed,
        dense_weights=dense,
        bias=float(ridge.intercept_) * slope + offset,
        version=version,
    )


def _platt(ranking: Any, examples: Sequence[Example]) -> tuple[float, float]:
    """slope, offset mapping ``ranking`` to the logit of P(weak insufficient)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    insufficient = np.asarray([ex.weak_insufficient for ex in examples], dtype=int)
    if insufficient.min() == insufficient.max():
        return 1.0, 0.0  # one class only: keep the ranking, no calibration
    platt = LogisticRegression(C=1e6, max_iter=1000)
    platt.fit(np.asarray(ranking).reshape(-1, 1), insufficient)
    return float(platt.coef_[0][0]), float(platt.intercept_[0])


def _fit_trees(features: Any, gains: Any) -> TreeEnsemble:
    from sklearn.ensemble import ExtraTreesRegressor

    forest = ExtraTreesRegressor(
        n_estimators=TREES,
        min_samples_leaf=TREE_MIN_LEAF,
        max_features=0.5,
        random_state=0,
    ).fit(features, gains)
    roots: list[int] = []
    feats: list[int] = []
    thresholds: list[float] = []
    left: list[int] = []
    right: list[int] = []
    values: list[float] = []
    for estimator in forest.estimators_:
        tree = estimator.tree_
        base = len(feats)
        roots.append(base)
        for node in range(tree.node_count):
            leaf = tree.children_left[node] == -1
            feats.append(0 if leaf else int(tree.feature[node]))
            thresholds.append(0.0 if leaf else float(tree.threshold[node]))
            left.append(-1 if leaf else base + int(tree.children_left[node]))
            right.append(-1 if leaf else base + int(tree.children_right[node]))
            values.append(float(tree.value[node].ravel()[0]))
    return TreeEnsemble(
        roots=roots, features=feats, threshold=thresholds, left=left, right=right, value=values
    )


def _fit_specialist(
    examples: Sequence[Example],
    family: str,
    *,
    alpha: float,
    featurizer: Featurizer,
    version: str,
) -> Specialist | None:
    """Trees over quantity counts for ``family``'s prompts, blended with the linear model.

    The blend's statistics come from out-of-fold scores: the linear model is refitted
    without each fold of the family's prompts, so neither part is judged on prompts it was
    trained on (in-sample ridge scores are overconfident and would swamp the trees).
    """
    import numpy as np
    from sklearn.model_selection import KFold

    members = [i for i, ex in enumerate(examples) if featurizer.family(ex.prompt) == family]
    if len(members) < SPECIALIST_MIN:
        return None
    gains = np.asarray(targets(examples))
    features = np.asarray([quantity_features(examples[i].prompt) for i in members])
    member_gains = gains[members]
    linear_oof = np.zeros(len(members))
    trees_oof = np.zeros(len(members))
    for fit_idx, held_idx in KFold(FOLDS, shuffle=True, random_state=0).split(members):
        held = {members[j] for j in held_idx}
        rest = [ex for i, ex in enumerate(examples) if i not in held]
        linear = _fit_linear(rest, alpha=alpha, featurizer=featurizer, version=version)
        linear_oof[held_idx] = [linear.linear_logit(examples[members[j]].prompt) for j in held_idx]
        trees = _fit_trees(features[fit_idx], member_gains[fit_idx])
        trees_oof[held_idx] = [trees.predict(row) for row in features[held_idx]]
    if linear_oof.std() == 0 or trees_oof.std() == 0:
        return None
    lm, ls = float(linear_oof.mean()), float(linear_oof.std())
    tm, ts = float(trees_oof.mean()), float(trees_oof.std())
    blended = (linear_oof - lm) / ls + (trees_oof - tm) / ts
    slope, offset = _platt(blended, [examples[i] for i in members])
    return Specialist(
        trees=_fit_trees(features, member_gains),
        linear_mean=lm,
        linear_scale=ls,
        trees_mean=tm,
        trees_scale=ts,
        slope=slope,
        offset=offset,
    )


def train(
    examples: Sequence[Example],
    *,
    alpha: float = DEFAULT_ALPHA,
    featurizer: Featurizer | None = None,
    version: str = MODEL_VERSION,
    specialists: bool = True,
) -> DifficultyModel:
    """Fit on ``examples`` (the TRAIN half only) and export a pure-Python model."""
    from threadpoolctl import threadpool_limits

    if len(examples) < 10:
        raise ValueError("need at least 10 labelled examples to train")
    featurizer = featurizer or Featurizer()
    # One BLAS thread: multi-threaded reductions round differently from run to run, and the
    # shipped weights must be reproducible byte for byte.
    with threadpool_limits(limits=1):
        linear = _fit_linear(examples, alpha=alpha, featurizer=featurizer, version=version)
        fitted: dict[str, Specialist] = {}
        if specialists and featurizer.families:
            math = _fit_specialist(
                examples, "math", alpha=alpha, featurizer=featurizer, version=version
            )
            if math is not None:
                fitted["math"] = math
    meta = {
        "alpha": alpha,
        "examples": len(examples),
        "sources": sorted({ex.source for ex in examples}),
        "target": "gain (strong - weak), group-smoothed; Platt-scaled to P(weak insufficient)",
        "specialists": {
            name: f"{TREES} extra-trees over quantity counts, blended out-of-fold"
            for name in fitted
        },
    }
    return DifficultyModel(
        featurizer=featurizer,
        indexes=linear.indexes,
        weights=linear.weights,
        dense_weights=linear.dense_weights,
        bias=linear.bias,
        version=version,
        meta=meta,
        specialists=fitted,
    )

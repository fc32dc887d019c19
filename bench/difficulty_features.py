"""Which features of the difficulty stage generalise across sources (docs/router/difficulty.md,
round 5): leave-one-source-out AUROC of "the cheaper tier fails" for one feature set.

    python bench/difficulty_features.py FEATURES [--data-dir DIR ...] [--penalty L2]

FEATURES:

* ``dense``: the 19 dense features of the shipped stage (length, structure, cues), signs as
  shipped, no n-grams;
* ``dense+class``: those plus the task-class posterior of the packaged class model (n-gram
  variant, blended with the cues as routing does), one weight per class;
* ``dense+class+classxlen``: plus each class probability times log characters (length
  counted within the class);
* ``class+len``: log characters, the posterior and their products only;
* ``dense|class``: weights fitted with the class posterior as intercepts, scored without
  them (difficulty *within* a class; the class's own base rate is left to the policy);
* ``v4``: the shipped stage's features (hashed n-grams + dense);
* ``v4|class``, ``v4+class``: the same two uses of the class posterior with n-grams.

Folds as `tierwise router eval`: each source held out in turn (with its near-duplicate
questions dropped from training), AlpacaEval always held out; sources weighted by the square
root of their size. The penalty (on the dense block for dense-only sets, whose columns are
standardised on the training rows; on the n-grams otherwise, dense L2 1 as shipped) is
chosen by leave-one-source-out over the fold's own training sources, unless ``--penalty``
fixes it. No bootstrap: a screen, not a result; an adopted set gets `tierwise router eval`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize
from sklearn.metrics import roc_auc_score

from tierwise.core.class_model import BlendedClassifier
from tierwise.core.classes import TASK_CLASSES
from tierwise.core.difficulty import DENSE_FEATURES, Featurizer
from tierwise.core.routing import predict_class
from tierwise.core.signals import extract_signals
from tierwise.router.class_weights import load_class_model
from tierwise.router.dataset import (
    EVAL_ONLY,
    OUTCOME_SOURCES,
    TRAIN_SOURCES,
    find_roots,
    load_sources,
)
from tierwise.router.train import SIGNS, featurize, source_weights

SETS = (
    "dense",
    "dense+class",
    "dense+class+classxlen",
    "class+len",
    "dense|class",
    "v4",
    "v4|class",
    "v4+class",
)
DENSE_GRID = (1.0, 10.0, 100.0)
HASHED_GRID = (3.0, 10.0, 30.0)


class Data:
    def __init__(self, roots: list[Path]) -> None:
        self.examples = load_sources(find_roots(roots), OUTCOME_SOURCES, require=False)
        texts = [e.prompt for e in self.examples]
        print(f"features of {len(texts)} prompts", file=sys.stderr)
        self.matrix = featurize(Featurizer(), texts)
        model = load_class_model(embed=False)
        if model is None:
            raise SystemExit("no packaged class model in this install")
        classifier = BlendedClassifier(model)
        rows = []
        for text in texts:
            signals = extract_signals({"messages": [{"role": "user", "content": [{"text": text}]}]})
            probs = predict_class(signals, classifier).probs
            rows.append([probs[c] for c in TASK_CLASSES])
        self.classes = np.asarray(rows)
        self.source = np.asarray([e.source for e in self.examples])
        self.keys = [e.key for e in self.examples]
        self.fails = np.asarray([e.fails for e in self.examples])
        self.hard = np.asarray([e.weak_fails for e in self.examples], dtype=int)

    def design(self, kind: str) -> tuple[Any, Any, list[int], int]:
        """(hashed or None, dense block, dense signs, columns kept when scoring)."""
        dense = self.matrix.dense
        signs = [SIGNS.get(n, 0) for n in DENSE_FEATURES]
        p = self.classes
        free = [0] * p.shape[1]
        loglen = dense[:, DENSE_FEATURES.index("log_chars")][:, None]
        hashed = self.matrix.hashed if kind.startswith("v4") else None
        if kind in {"dense", "v4"}:
            return hashed, dense, signs, dense.shape[1]
        if kind in {"dense+class", "v4+class"}:
            block = np.hstack([dense, p])
            return hashed, block, signs + free, block.shape[1]
        if kind in {"dense|class", "v4|class"}:
            return hashed, np.hstack([dense, p]), signs + free, dense.shape[1]
        if kind == "dense+class+classxlen":
            block = np.hstack([dense, p, p * loglen])
            return None, block, signs + free + free, block.shape[1]
        if kind == "class+len":
            block = np.hstack([loglen, p, p * loglen])
            return None, block, [1, *free, *free], block.shape[1]
        raise ValueError(kind)


def fit(hashed: Any, x: Any, y: Any, w: Any, signs: list[int], l2: tuple[float, float]) -> Any:
    """Weighted log loss + L2 (n-grams, dense), dense signs bounded as the trainer does."""
    nh = 0 if hashed is None else int(hashed.shape[1])
    nd = int(x.shape[1])
    hashed_t = None if hashed is None else hashed.T.tocsr()

    def loss(t: Any) -> tuple[float, Any]:
        wh, wd, b = t[:nh], t[nh : nh + nd], t[-1]
        z = x @ wd + b + (hashed @ wh if nh else 0.0)
        value = float(w @ (np.logaddexp(0.0, z) - y * z))
        r = w * (1.0 / (1.0 + np.exp(-z)) - y)
        value += 0.5 * l2[0] * float(wh @ wh) + 0.5 * l2[1] * float(wd @ wd)
        parts = [x.T @ r + l2[1] * wd, [r.sum()]]
        if hashed_t is not None:
            parts.insert(0, hashed_t @ r + l2[0] * wh)
        return value, np.concatenate(parts)

    bounds = [(None, None)] * nh
    bounds += [(0, None) if s > 0 else (None, 0) if s < 0 else (None, None) for s in signs]
    bounds.append((None, None))
    start = np.zeros(nh + nd + 1)
    return minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds).x


def held_out_scores(d: Data, kind: str, train: list[str], held: str, l2: float) -> Any:
    hashed, x, signs, kept = d.design(kind)
    rows_held = np.flatnonzero(d.source == held)
    held_keys = {d.keys[i] for i in rows_held}
    pool = np.flatnonzero(np.isin(d.source, [s for s in train if s != held]))
    rows = np.asarray([i for i in pool if d.keys[i] not in held_keys])
    w = np.asarray(source_weights([d.examples[i] for i in rows]))
    penalties = (l2, 1.0) if hashed is not None else (0.0, l2)
    if hashed is None:  # dense-only: one penalty for columns of different scales
        x = (x - x[rows].mean(0)) / (x[rows].std(0) + 1e-9)
    h_rows = None if hashed is None else hashed[rows]
    t = fit(h_rows, x[rows], d.fails[rows], w, signs, penalties)
    nh = 0 if hashed is None else int(hashed.shape[1])
    wd = t[nh:-1].copy()
    wd[kept:] = 0.0  # "|class": the class intercepts absorbed base rates; not scored
    z = x[rows_held] @ wd + t[-1]
    if hashed is not None:
        z = z + hashed[rows_held] @ t[:nh]
    return z


def inner_auroc(d: Data, kind: str, inner: list[str], l2: float) -> float:
    """Mean AUROC over the training sources, each scored by a fit without it."""
    aurocs = [
        roc_auc_score(d.hard[d.source == s], held_out_scores(d, kind, inner, s, l2)) for s in inner
    ]
    return float(np.mean(aurocs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("features", choices=SETS)
    parser.add_argument("--data-dir", type=Path, action="append", default=[])
    parser.add_argument("--penalty", type=float, default=None)
    args = parser.parse_args()
    d = Data(args.data_dir)
    train = [s for s in TRAIN_SOURCES if s in set(d.source)]
    grid = HASHED_GRID if args.features.startswith("v4") else DENSE_GRID
    start = time.monotonic()
    results = {}
    for held in [*train, *(s for s in EVAL_ONLY if s in set(d.source))]:
        inner = [s for s in train if s != held]
        table: dict[float, float] = {}
        if args.penalty is None:
            for l2 in grid:
                table[l2] = inner_auroc(d, args.features, inner, l2)
            chosen = max(grid, key=lambda g: table[g])
        else:
            chosen = args.penalty
        z = held_out_scores(d, args.features, train, held, chosen)
        results[held] = float(roc_auc_score(d.hard[d.source == held], z))
        inner_text = ", ".join(f"{k:g}: {v:.4f}" for k, v in table.items())
        print(
            f"{args.features} {held}: AUROC {results[held]:.3f} (L2 {chosen:g}; inner "
            f"{inner_text or 'fixed'}; {time.monotonic() - start:.0f} s)",
            flush=True,
        )
    print(args.features, " | ".join(f"{s} {v:.3f}" for s, v in results.items()))


if __name__ == "__main__":
    main()

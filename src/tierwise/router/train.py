"""Fitting the difficulty stage (needs the ``train`` extra: numpy, scipy).

Two logistic heads over the same features (:class:`~tierwise.core.difficulty.Featurizer`):

* ``fails``: P(the cheaper tier fails), from the soft label ``1 - weak`` (the share of cheap
  models that failed where several were graded);
* ``rescue``: P(the stronger tier succeeds | the cheaper failed), from ``strong`` on every
  prompt with a stronger outcome, each weighted by how much the cheaper one failed.

Each head minimises the weighted log loss plus two L2 penalties: a strong one on the hashed
n-grams (they learn a benchmark's subjects and formats, which do not transfer) and a weak
one on the dense features (length, structure, cues), pulling toward ``prior`` weights: zero
for the packaged model, the packaged model's weights when a team refits on its own data
(:func:`refit`), so a few hundred labelled requests adjust the model rather than replace it.

The n-gram penalty is not fixed by hand: :func:`choose_penalty` picks it among
:data:`HASHED_CHOICES` by leave-one-source-out over the training sources alone (the mean,
over sources, of the AUROC on each source from a fit without it), so a source held out for
evaluation (:mod:`tierwise.router.evaluate` nests the choice) never takes part in it.

Sources are weighted so each counts in proportion to the square root of its size: 14,000
MMLU questions do not drown 80 MT-Bench prompts, and 80 prompts do not count as much as
14,000. Calibration: the model is refitted with each source held out, a one-dimensional
logistic fit maps those out-of-source logits to the held-out outcomes, and the map is folded
into the exported weights, so ``score`` is calibrated for traffic from a source it has not
seen (in-source fits are overconfident). Deterministic: same data, same bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tierwise.core.difficulty import DENSE_FEATURES, DifficultyModel, Featurizer, Head
from tierwise.router.dataset import Example

__all__ = [
    "HASHED_CHOICES",
    "MODEL_VERSION",
    "Choice",
    "Matrix",
    "Penalty",
    "choose_penalty",
    "featurize",
    "fit_head",
    "refit",
    "source_weights",
    "train",
]

MODEL_VERSION = "difficulty-v4"
MIN_EXAMPLES = 10
# Hashed weights smaller than this are dropped at export: under the strong n-gram penalty
# most buckets get a tiny weight, and keeping them all quadruples the shipped file while a
# prompt's ~100 features would move by a few thousandths of a logit.
PRUNE = 0.004


@dataclass(frozen=True)
class Penalty:
    """L2 strengths (on the summed, weight-normalised log loss)."""

    hashed: float = 10.0
    dense: float = 1.0


PACKAGED = Penalty()
# The n-gram penalties choose_penalty tries (the dense one stays at 1): from "words
# transfer" to "words are mostly a benchmark's subjects".
HASHED_CHOICES = (3.0, 10.0, 30.0)
# Signs the dense weights may take, set from what the features mean, not from any source's
# fit: more material, more steps, more maths, more reasoning or constraints can only make a
# prompt harder for the cheaper tier; a request for a one-word answer only easier. Unsigned
# features (question marks, lists, generation cues, non-ASCII) may go either way. Without
# this, a source where longer prompts happen to be easier (MMLU questions with long
# passages) teaches a sign that is wrong elsewhere.
SIGNS = {
    "log_chars": 1,
    "log_words": 1,
    "log_lines": 1,
    "log_sentences": 1,
    "words_per_sentence": 1,
    "code_lines": 1,
    "code_block": 1,
    "maths_density": 1,
    "distinct_numbers": 1,
    "reasoning_cues": 1,
    "constraint_cues": 1,
    "condition_cues": 1,
    "short_answer_cues": -1,
}
# Not signed: long_words. "Long words make a prompt harder" is not what the word length
# means; on three of the four training sources prompts with more long words are *easier*
# for the cheaper model (alone, the feature ranks failures at AUROC 0.16 on MT-Bench, 0.38
# on MMLU, 0.43 on MMLU-Pro: writing and humanities vocabulary against the short words of
# maths and code), and a fixed + sign held its weight at 0.
# A team's refit: weights move away from the packaged ones only as far as its data pays for.
REFIT = Penalty(hashed=60.0, dense=20.0)


@dataclass
class Matrix:
    """Features of a list of prompts: a sparse hashed block and a dense block."""

    hashed: Any  # scipy.sparse.csr_matrix, rows = prompts
    dense: Any  # numpy array, rows = prompts

    def rows(self, index: Any) -> Matrix:
        return Matrix(self.hashed[index], self.dense[index])

    def __len__(self) -> int:
        return int(self.dense.shape[0])


def featurize(
    featurizer: Featurizer, prompts: Sequence[str], progress: Callable[[int], None] | None = None
) -> Matrix:
    """The training matrix, built with the serving featurizer (same numbers as serving)."""
    import numpy as np
    from scipy.sparse import csr_matrix

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
        if progress is not None and i % 1000 == 999:
            progress(i + 1)
    hashed = csr_matrix((vals, (rows, cols)), shape=(len(prompts), featurizer.buckets))
    return Matrix(hashed, np.asarray(dense, dtype=float).reshape(len(prompts), len(DENSE_FEATURES)))


def source_weights(examples: Sequence[Example]) -> list[float]:
    """Per-example weights: each source's total is proportional to sqrt(its size); mean 1."""
    sizes = Counter(ex.source for ex in examples)
    raw = [sizes[ex.source] ** -0.5 for ex in examples]
    scale = len(raw) / sum(raw)
    return [w * scale for w in raw]


def fit_head(
    x: Matrix,
    labels: Any,
    weights: Any,
    *,
    penalty: Penalty,
    prior: Head | None = None,
    buckets: int | None = None,
    monotone: bool = True,
) -> tuple[Any, Any, float]:
    """(hashed weights, dense weights, bias) minimising weighted log loss + L2 toward prior.

    ``labels`` may be soft (in [0, 1]). ``monotone``: dense weights keep the signs of
    :data:`SIGNS` (bounds in L-BFGS-B).
    """
    import numpy as np
    from scipy.optimize import minimize

    n_hashed = int(x.hashed.shape[1])
    n_dense = int(x.dense.shape[1])
    y = np.asarray(labels, dtype=float)
    s = np.asarray(weights, dtype=float)
    h0 = np.zeros(n_hashed)
    d0 = np.zeros(n_dense)
    b0 = 0.0
    if prior is not None:
        if buckets is not None and buckets != n_hashed:
            raise ValueError("the prior model uses a different number of buckets")
        h0[np.asarray(prior.indexes, dtype=np.int64)] = np.asarray(prior.weights, dtype=float)
        d0 = np.asarray(prior.dense, dtype=float)
        b0 = prior.bias
    hashed_t = x.hashed.T.tocsr()
    dense = x.dense

    def loss(theta: Any) -> tuple[float, Any]:
        wh, wd, b = theta[:n_hashed], theta[n_hashed:-1], theta[-1]
        z = x.hashed @ wh + dense @ wd + b
        # log(1 + e^z) - y z, stably.
        value = float(s @ (np.logaddexp(0.0, z) - y * z))
        residual = s * (1.0 / (1.0 + np.exp(-z)) - y)
        dh, dd = wh - h0, wd - d0
        value += 0.5 * penalty.hashed * float(dh @ dh) + 0.5 * penalty.dense * float(dd @ dd)
        grad = np.concatenate(
            [
                hashed_t @ residual + penalty.hashed * dh,
                dense.T @ residual + penalty.dense * dd,
                [residual.sum()],
            ]
        )
        return value, grad

    start = np.concatenate([h0, d0, [b0]])
    bounds = None
    if monotone:
        sign = [SIGNS.get(name, 0) for name in DENSE_FEATURES]
        dense_bounds = [(0.0, None) if g > 0 else (None, 0.0) if g < 0 else (None, None)
                        for g in sign]  # fmt: skip
        bounds = [(None, None)] * n_hashed + dense_bounds + [(None, None)]
        start[n_hashed:-1] = np.clip(
            start[n_hashed:-1],
            [lo if lo is not None else -np.inf for lo, _ in dense_bounds],
            [hi if hi is not None else np.inf for _, hi in dense_bounds],
        )
    result = minimize(
        loss, start, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 500}
    )
    theta = result.x
    return theta[:n_hashed], theta[n_hashed:-1], float(theta[-1])


@dataclass
class Choice:
    """The n-gram penalty chosen by leave-one-source-out over the training sources."""

    penalty: Penalty
    scores: dict[float, float]
    """Each candidate n-gram penalty -> mean over sources of the held-out AUROC."""
    logits: Any
    """Every row's logit from a fit without its source, at the chosen penalty."""


def loso_logits(
    x: Matrix, labels: Any, weights: Any, sources: Any, keys: Sequence[str], *, penalty: Penalty
) -> Any:
    """Each row's logit from a fit on the other sources, without near-duplicates of the
    held-out source's questions (:attr:`~tierwise.router.dataset.Example.key`)."""
    import numpy as np

    out = np.zeros(len(x))
    for source in sorted(set(sources)):
        held = np.flatnonzero(sources == source)
        held_keys = {keys[int(i)] for i in held}
        rows = np.asarray(
            [i for i in range(len(x)) if sources[i] != source and keys[i] not in held_keys],
            dtype=np.int64,
        )
        fitted = fit_head(x.rows(rows), labels[rows], weights[rows], penalty=penalty)
        out[held] = _logits(x.rows(held), fitted)
    return out


def choose_penalty(
    x: Matrix,
    labels: Any,
    weights: Any,
    sources: Any,
    keys: Sequence[str],
    *,
    candidates: Sequence[float] = HASHED_CHOICES,
    dense: float = PACKAGED.dense,
    progress: Callable[[str], None] | None = None,
) -> Choice:
    """The n-gram penalty whose leave-one-source-out fits rank each source's failures best
    (mean AUROC over sources, each source counting once: the question is how well the model
    does on traffic it has not seen, and every source is one such test). Only the rows given
    take part: a caller evaluating a held-out source leaves it out of ``x``."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    say = progress or (lambda _: None)
    hard = np.asarray(labels, dtype=float) > 0.5
    scores: dict[float, float] = {}
    best: tuple[float, float, Any] | None = None
    for hashed in candidates:
        say(f"choosing the n-gram penalty: trying {hashed:g}")
        penalty = Penalty(hashed=hashed, dense=dense)
        logits = loso_logits(x, labels, weights, sources, keys, penalty=penalty)
        aurocs = [
            float(roc_auc_score(hard[sources == s], logits[sources == s]))
            for s in sorted(set(sources))
            if 0 < hard[sources == s].sum() < (sources == s).sum()
        ]
        scores[hashed] = float(np.mean(aurocs)) if aurocs else 0.5
        if best is None or scores[hashed] > best[0]:
            best = (scores[hashed], hashed, logits)
    if best is None:
        raise ValueError("choose_penalty needs at least one candidate")
    return Choice(Penalty(hashed=best[1], dense=dense), scores, best[2])


def _logits(x: Matrix, fitted: tuple[Any, Any, float]) -> Any:
    wh, wd, b = fitted
    return x.hashed @ wh + x.dense @ wd + b


def _platt(logits: Any, labels: Any, weights: Any) -> tuple[float, float]:
    """slope, offset mapping out-of-source logits to the outcome's logit."""
    import numpy as np
    from scipy.optimize import minimize

    z = np.asarray(logits, dtype=float)
    y = np.asarray(labels, dtype=float)
    s = np.asarray(weights, dtype=float)

    def loss(theta: Any) -> tuple[float, Any]:
        u = theta[0] * z + theta[1]
        r = s * (1.0 / (1.0 + np.exp(-u)) - y)
        return float(s @ (np.logaddexp(0.0, u) - y * u)), np.array([r @ z, r.sum()])

    result = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    slope, offset = float(result.x[0]), float(result.x[1])
    if slope <= 0:
        # Out of source the head does not rank at all: the calibrated answer is the base
        # rate, whatever the prompt (the exported head becomes a constant).
        rate = min(max(float(s @ y) / float(s.sum()), 1e-4), 1 - 1e-4)
        return 0.0, float(np.log(rate / (1 - rate)))
    return slope, offset


def _export(fitted: tuple[Any, Any, float], slope: float, offset: float) -> Head:
    wh, wd, b = fitted
    hashed = [float(w) * slope if abs(w) * slope >= PRUNE else 0.0 for w in wh]
    return Head.from_weights(hashed, [float(w) * slope for w in wd], b * slope + offset)


@dataclass
class _Task:
    """One head's rows, labels and weights within the full example list."""

    rows: Any
    labels: Any
    weights: Any


def _tasks(examples: Sequence[Example]) -> dict[str, _Task]:
    import numpy as np

    w = np.asarray(source_weights(examples))
    fails = np.asarray([ex.fails for ex in examples])
    with_strong = np.asarray([i for i, ex in enumerate(examples) if ex.strong is not None])
    rescue_rows = with_strong if len(with_strong) else np.zeros(0, dtype=int)
    return {
        "fails": _Task(np.arange(len(examples)), fails, w),
        "rescue": _Task(
            rescue_rows,
            np.asarray([examples[i].strong for i in rescue_rows], dtype=float),
            w[rescue_rows] * fails[rescue_rows],
        ),
    }


def train(
    examples: Sequence[Example],
    *,
    featurizer: Featurizer | None = None,
    penalty: Penalty | None = None,
    version: str = MODEL_VERSION,
    matrix: Matrix | None = None,
    calibrate: bool = True,
    progress: Callable[[str], None] | None = None,
) -> DifficultyModel:
    """Fit both heads on ``examples`` and export a pure-Python model.

    ``penalty``: None chooses the n-gram penalty by leave-one-source-out
    (:func:`choose_penalty`) when there are several sources, else uses :data:`PACKAGED`.
    ``matrix``: features of ``examples`` already built with ``featurizer`` (saves time when
    the caller fits several models on the same rows).
    """
    import numpy as np
    from threadpoolctl import threadpool_limits

    if len(examples) < MIN_EXAMPLES:
        raise ValueError(f"need at least {MIN_EXAMPLES} labelled examples to train")
    say = progress or (lambda _: None)
    featurizer = featurizer or Featurizer()
    if matrix is None:
        say(f"features of {len(examples)} prompts")
        matrix = featurize(featurizer, [ex.prompt for ex in examples])
    tasks = _tasks(examples)
    if len(tasks["rescue"].rows) < MIN_EXAMPLES:
        raise ValueError("need at least 10 examples with a stronger-tier outcome")
    sources = sorted({ex.source for ex in examples})
    source_of = np.asarray([ex.source for ex in examples])
    heads: dict[str, Head] = {}
    calibration: dict[str, list[float]] = {}
    choice: Choice | None = None
    # One BLAS thread: multi-threaded reductions round differently from run to run, and the
    # shipped weights must be reproducible byte for byte.
    with threadpool_limits(limits=1):
        if penalty is None and len(sources) > 1:
            fails = tasks["fails"]
            choice = choose_penalty(
                matrix.rows(fails.rows),
                fails.labels,
                fails.weights,
                source_of[fails.rows],
                [examples[int(i)].key for i in fails.rows],
                progress=say,
            )
        chosen = choice.penalty if choice is not None else (penalty or PACKAGED)
        for name, task in tasks.items():
            x = matrix.rows(task.rows)
            say(f"fitting the {name} head on {len(task.rows)} prompts")
            fitted = fit_head(x, task.labels, task.weights, penalty=chosen)
            slope, offset = 1.0, 0.0
            held_sources = sorted(set(source_of[task.rows]))
            if calibrate and name == "fails" and choice is not None:
                # The choice's out-of-source logits are this head's at the chosen penalty.
                slope, offset = _platt(choice.logits, task.labels, task.weights)
            elif calibrate and len(held_sources) > 1:
                oos = np.zeros(len(task.rows))
                for source in held_sources:
                    held = source_of[task.rows] == source
                    say(f"{name}: calibrating on {source}, fitted without it")
                    part = fit_head(
                        x.rows(np.flatnonzero(~held)),
                        task.labels[~held],
                        task.weights[~held],
                        penalty=chosen,
                    )
                    oos[held] = _logits(x.rows(np.flatnonzero(held)), part)
                slope, offset = _platt(oos, task.labels, task.weights)
            calibration[name] = [round(slope, 6), round(offset, 6)]
            heads[name] = _export(fitted, slope, offset)
    meta = {
        "examples": len(examples),
        "sources": {s: int((source_of == s).sum()) for s in sources},
        "labels": {
            "fails": "1 - cheaper model's grade (share of cheap models wrong where several)",
            "rescue": "stronger model's grade, weighted by how much the cheaper one failed",
        },
        "penalty": {"hashed": chosen.hashed, "dense": chosen.dense},
        "calibration": calibration,
    }
    if choice is not None:
        meta["penalty_choice"] = {
            "by": "leave-one-source-out, mean AUROC over the training sources",
            "mean_auroc": {f"{k:g}": round(v, 4) for k, v in choice.scores.items()},
        }
    return DifficultyModel(
        featurizer=featurizer, fails=heads["fails"], rescue=heads["rescue"], version=version,
        meta=meta,
    )  # fmt: skip


def refit(
    examples: Sequence[Example],
    prior: DifficultyModel,
    *,
    penalty: Penalty = REFIT,
    version: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> DifficultyModel:
    """Refit on a team's own outcomes, shrinking toward ``prior`` (the packaged model).

    A head with too few labelled rows (under 10) keeps the prior's weights: a team that
    only records the cheaper tier's outcomes refits ``fails`` and keeps ``rescue``.
    """
    from threadpoolctl import threadpool_limits

    if len(examples) < MIN_EXAMPLES:
        raise ValueError(f"need at least {MIN_EXAMPLES} labelled examples to train")
    say = progress or (lambda _: None)
    featurizer = prior.featurizer
    say(f"features of {len(examples)} prompts")
    matrix = featurize(featurizer, [ex.prompt for ex in examples])
    priors = {"fails": prior.fails, "rescue": prior.rescue_head}
    heads: dict[str, Head] = {}
    refitted: list[str] = []
    with threadpool_limits(limits=1):
        for name, task in _tasks(examples).items():
            if len(task.rows) < MIN_EXAMPLES:
                heads[name] = priors[name]
                continue
            say(f"refitting the {name} head on {len(task.rows)} prompts")
            fitted = fit_head(
                matrix.rows(task.rows),
                task.labels,
                task.weights,
                penalty=penalty,
                prior=priors[name],
                buckets=featurizer.buckets,
            )
            heads[name] = _export(fitted, 1.0, 0.0)
            refitted.append(name)
    meta = {
        "prior": prior.version,
        "examples": len(examples),
        "refitted_heads": refitted,
        "penalty": {"hashed": penalty.hashed, "dense": penalty.dense},
    }
    return DifficultyModel(
        featurizer=featurizer,
        fails=heads["fails"],
        rescue=heads["rescue"],
        version=version or f"{prior.version}+team",
        meta=meta,
    )

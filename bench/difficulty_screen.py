"""Screen general changes to the difficulty stage's fit by leave-one-source-out AUROC
(docs/router/difficulty.md, round 8).

    python bench/difficulty_screen.py VARIANT [VARIANT ...] [--data-dir DIR ...]
        [--cache screen.npz] [--folds S,S] [--extra outcomes.jsonl ...] [--paired N]

Folds as `tierwise router eval`: each training source held out in turn, near-duplicates of its
questions dropped from the other sources, sources weighted by the square root of their size,
and each fold's n-gram penalty the one eval.md's nested choice gave it (MMLU 3, GSM8K 30,
MT-Bench 10, MMLU-Pro 3; 10 for an ``--extra`` source held out). AlpacaEval not used. An
``--extra`` file (one JSON object a line: ``prompt``, ``weak``, ``strong``, ``source``; for
example ``bench/zeroeval_outcomes.py``'s) adds sources that are held out in ``--folds`` and
trained on only with ``+extra``. ``--paired N``: each fold's gain over the stronger length
baseline with a 95% paired bootstrap interval (N resamples of the held-out prompts);
``--versus V`` (V among the variants): each other variant's gain over V, paired the same
way. A screen, at fixed penalties: an adopted change gets `tierwise router eval`.

VARIANTS (each a change that means the same on every source):

* ``v4``: the shipped features and fit (reproduces eval.md's 0.677 / 0.573 / 0.693 / 0.634);
* ``stemdense``: the 19 dense features read from the question stem (the prompt without a
  multiple-choice question's enumerated options and bare answer cue, as
  ``router.evaluate.question_stem`` cuts it), n-grams from the whole prompt: the options are
  material to choose from, not the size of the question;
* ``stemlen``: only the five length features (characters, words, lines, sentences, words per
  sentence) read from the stem, the other dense features from the whole prompt;
* ``+srcint``: suffix; per-source intercepts in the fit (each source's base rate absorbed),
  left out when scoring, so the weights learn what ranks failures *within* a source;
* ``+optlen``: suffix; one more dense column, log(1 + characters of the options), free sign:
  the size of the material to choose from apart from the size of the question;
* ``+load``: suffix; two reasoning-load columns read from the stem, "harder only": log(1 +
  numbers given) and clause breaks (commas, semicolons, and/then/if/when/each/per) per sentence;
* ``+nodensity``: suffix; number and maths density held at 0 (round 4: ratios that fall as a
  word problem grows);
* ``+extra``: suffix; the ``--extra`` sources are trained on too (without it they are only
  held out);
* ``+penN``: suffix; n-gram L2 N in every fold instead of eval.md's choice;
* ``+equal``: suffix; sources weighted equally instead of by the square root of their size.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from tierwise.core.difficulty import DENSE_FEATURES, Featurizer
from tierwise.router.dataset import (
    OUTCOME_SOURCES,
    TRAIN_SOURCES,
    Example,
    find_roots,
    load_sources,
)
from tierwise.router.evaluate import question_stem
from tierwise.router.train import SIGNS, featurize

FOLD_PENALTY = {"routellm-mmlu": 3.0, "routellm-gsm8k": 30.0, "mt-bench": 10.0, "mmlu-pro": 3.0}
# Reasoning load, read from the stem: every number given (no masking), and clause breaks per
# sentence. Alone each ranks failures above 0.5 on all six sources screened (round 8).
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
_CLAUSE = re.compile(r",|;|\b(?:and|then|if|when|each|per)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
LENGTHS = ("log_chars", "log_words", "log_lines", "log_sentences", "words_per_sentence")


def load(roots: list[Path], cache: Path, extra: list[Path]) -> dict[str, Any]:
    if cache.exists():
        with np.load(cache, allow_pickle=False) as z:
            out = {k: z[k] for k in z.files}
        out["hashed"] = sparse.load_npz(cache.with_suffix(".hashed.npz")).tocsr()
        return out
    examples = [
        e
        for e in load_sources(find_roots(roots), OUTCOME_SOURCES, require=False)
        if e.source in TRAIN_SOURCES
    ]
    for path in extra:  # more sources, one JSON object a line: prompt, weak, strong, source
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            examples.append(Example(row["prompt"], row["weak"], row.get("strong"), row["source"]))
    print(f"features of {len(examples)} prompts", file=sys.stderr)
    featurizer = Featurizer()
    prompts = [e.prompt for e in examples]
    stems = [question_stem(p) for p in prompts]
    matrix = featurize(featurizer, prompts)
    out = {
        "dense": matrix.dense,
        "stem_dense": np.asarray([featurizer.dense(s) for s in stems], dtype=float),
        "source": np.asarray([e.source for e in examples]),
        "keys": np.asarray([e.key for e in examples]),
        "fails": np.asarray([e.fails for e in examples]),
        "hard": np.asarray([e.weak_fails for e in examples], dtype=int),
        "chars": np.asarray([len(p) for p in prompts], dtype=float),
        "stem_chars": np.asarray([len(s) for s in stems], dtype=float),
        "stem_numbers": np.asarray([len(_NUMBER.findall(s)) for s in stems], dtype=float),
        "stem_clauses": np.asarray(
            [len(_CLAUSE.findall(s)) / max(1, len(_SENTENCE_END.findall(s))) for s in stems],
            dtype=float,
        ),
    }
    np.savez(cache, **out)
    sparse.save_npz(cache.with_suffix(".hashed.npz"), matrix.hashed)
    out["hashed"] = matrix.hashed
    return out


def design(d: dict[str, Any], variant: str) -> tuple[Any, list[int]]:
    """(dense block, its signs) for a variant's base name."""
    signs = [SIGNS.get(n, 0) for n in DENSE_FEATURES]
    if variant == "v4":
        return d["dense"], signs
    if variant == "stemdense":
        return d["stem_dense"], signs
    if variant == "stemlen":
        block = d["dense"].copy()
        for name in LENGTHS:
            j = DENSE_FEATURES.index(name)
            block[:, j] = d["stem_dense"][:, j]
        return block, signs
    raise SystemExit(f"unknown variant {variant!r}")


def fit(
    hashed: Any, x: Any, y: Any, w: Any, signs: list[int], l2: float, free: int
) -> tuple[Any, Any, float]:
    """Weighted log loss + L2 (n-grams ``l2``, dense 1; the last ``free`` dense columns,
    per-source intercepts, unpenalised), dense signs bounded as the trainer does."""
    nh, nd = int(hashed.shape[1]), int(x.shape[1])
    hashed_t = hashed.T.tocsr()
    pen = np.ones(nd)
    if free:
        pen[-free:] = 0.0

    def loss(t: Any) -> tuple[float, Any]:
        wh, wd, b = t[:nh], t[nh : nh + nd], t[-1]
        z = hashed @ wh + x @ wd + b
        value = float(w @ (np.logaddexp(0.0, z) - y * z))
        r = w * (1.0 / (1.0 + np.exp(-z)) - y)
        value += 0.5 * l2 * float(wh @ wh) + 0.5 * float(pen @ (wd * wd))
        grad = np.concatenate([hashed_t @ r + l2 * wh, x.T @ r + pen * wd, [r.sum()]])
        return value, grad

    bounds = [(None, None)] * nh
    bounds += [(0, None) if s > 0 else (None, 0) if s < 0 else (None, None) for s in signs]
    bounds += [(None, None)] * (nd - len(signs)) + [(None, None)]
    t = minimize(
        loss, np.zeros(nh + nd + 1), jac=True, method="L-BFGS-B", bounds=bounds,
        options={"maxiter": 500},
    ).x  # fmt: skip
    return t[:nh], t[nh : nh + len(signs)], float(t[-1])


def paired(labels: Any, ours: Any, other: Any, resamples: int) -> tuple[float, float]:
    """95% bootstrap interval of AUROC(ours) - AUROC(other), resampling prompts (seed 0)."""
    rng = np.random.default_rng(0)
    diffs = []
    for _ in range(resamples):
        pick = rng.integers(0, len(labels), len(labels))
        if 0 < labels[pick].sum() < len(pick):
            diffs.append(
                roc_auc_score(labels[pick], ours[pick]) - roc_auc_score(labels[pick], other[pick])
            )
    low, high = np.percentile(diffs, [2.5, 97.5])
    return float(low), float(high)


def run(
    d: dict[str, Any], name: str, folds: list[str], resamples: int
) -> tuple[dict[str, float], dict[str, Any]]:
    """Held-out AUROC and held-out logits of each fold."""
    base, *mods = name.split("+")
    dense, signs = design(d, base)
    if "nodensity" in mods:  # ratios that fall as a word problem grows: held at 0
        dense = dense.copy()
        for feature in ("number_density", "maths_density"):
            dense[:, DENSE_FEATURES.index(feature)] = 0.0
    source, keys = d["source"], d["keys"]
    out: dict[str, float] = {}
    logits: dict[str, Any] = {}
    for held in folds:
        start = time.monotonic()
        held_rows = np.flatnonzero(source == held)
        held_keys = set(keys[held_rows].tolist())
        trained = set(TRAIN_SOURCES) | (set(source.tolist()) if "extra" in mods else set())
        rows = np.asarray(
            [
                i
                for i in range(len(source))
                if source[i] != held and source[i] in trained and keys[i] not in held_keys
            ]
        )
        src = source[rows]
        names, counts = np.unique(src, return_counts=True)
        size = dict(zip(names.tolist(), counts.tolist(), strict=True))
        power = 0.0 if "equal" in mods else 0.5
        w = np.asarray([size[s] ** (power - 1.0) for s in src])
        w *= len(w) / w.sum()
        extra = np.zeros((len(source), 0))
        fsigns = list(signs)
        if "optlen" in mods:  # the options' size, apart from the question's: free sign
            extra = np.hstack([extra, np.log1p(d["chars"] - d["stem_chars"])[:, None]])
            fsigns.append(0)
        if "load" in mods:  # reasoning load: more numbers given, more clauses: harder only
            extra = np.hstack(
                [extra, np.log1p(d["stem_numbers"])[:, None], d["stem_clauses"][:, None]]
            )
            fsigns += [1, 1]
        full = np.hstack([dense, extra])
        x = full[rows]
        free = 0
        if "srcint" in mods:
            onehot = (src[:, None] == np.asarray(names)[None, :]).astype(float)
            x = np.hstack([x, onehot[:, 1:]])  # the bias is the first source's intercept
            free = len(names) - 1
        l2 = FOLD_PENALTY.get(held, 10.0)
        for mod in mods:
            if mod.startswith("pen"):
                l2 = float(mod[3:])
        wh, wd, b = fit(d["hashed"][rows], x, d["fails"][rows], w, fsigns, l2, free)
        z = d["hashed"][held_rows] @ wh + full[held_rows] @ wd + b
        out[held] = float(roc_auc_score(d["hard"][held_rows], z))
        logits[held] = z
        # For the record: the score's rank averaged with the stem length's rank (no weight
        # fitted; the stronger length baseline on the multiple-choice sources).
        mean_rank = rankdata(z) + rankdata(d["stem_chars"][held_rows])
        averaged = float(roc_auc_score(d["hard"][held_rows], mean_rank))
        print(
            f"  {name} {held}: {out[held]:.3f}, rank-averaged with stem length {averaged:.3f} "
            f"({time.monotonic() - start:.0f} s)",
            flush=True,
        )
        if resamples:
            labels = d["hard"][held_rows]
            lengths = {"prompt": d["chars"][held_rows], "stem": d["stem_chars"][held_rows]}
            best = max(lengths, key=lambda k: roc_auc_score(labels, lengths[k]))
            gain = out[held] - float(roc_auc_score(labels, lengths[best]))
            low, high = paired(labels, z, lengths[best], resamples)
            print(f"  {name} {held}: vs {best} length {gain:+.3f} [{low:+.3f}, {high:+.3f}]")
    return out, logits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("variants", nargs="+")
    parser.add_argument("--data-dir", type=Path, action="append", default=[])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/difficulty_screen.npz"))
    parser.add_argument("--folds", default=",".join(FOLD_PENALTY))
    parser.add_argument("--extra", type=Path, action="append", default=[])
    parser.add_argument("--paired", type=int, default=0, metavar="RESAMPLES")
    parser.add_argument("--versus", default=None, metavar="VARIANT")
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    d = load(args.data_dir, args.cache, args.extra)
    folds = args.folds.split(",")
    for held in folds:
        rows = d["source"] == held
        print(
            f"{held}: prompt length {roc_auc_score(d['hard'][rows], d['chars'][rows]):.3f}, "
            f"stem length {roc_auc_score(d['hard'][rows], d['stem_chars'][rows]):.3f}"
        )
    with threadpool_limits(limits=1):
        every = {}
        for name in args.variants:
            result, every[name] = run(d, name, folds, args.paired)
            print(name, " | ".join(f"{s} {v:.3f}" for s, v in result.items()), flush=True)
    if args.versus is not None:
        for name in args.variants:
            for held in folds:
                if name == args.versus:
                    continue
                labels = d["hard"][d["source"] == held]
                ours, base = every[name][held], every[args.versus][held]
                gain = float(roc_auc_score(labels, ours) - roc_auc_score(labels, base))
                low, high = paired(labels, ours, base, args.paired or 200)
                print(f"{name} vs {args.versus} {held}: {gain:+.3f} [{low:+.3f}, {high:+.3f}]")


if __name__ == "__main__":
    main()

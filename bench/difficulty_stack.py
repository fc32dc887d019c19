"""Does combining the difficulty stage's out-of-source score with the question stem's length,
with the weight chosen on the training sources only, beat the stronger length baseline on every
held-out source? (docs/router/difficulty.md, round 7.)

    python bench/difficulty_stack.py fit [--data-dir DIR ...] [--cache stack.npz]
    python bench/difficulty_stack.py report [--cache stack.npz]
    python bench/difficulty_stack.py paired --w W [--cache stack.npz]

``fit`` computes, for each held-out source S (the four training sources; AlpacaEval is not
used), the stage's logits on S from a fit on the other sources (near-duplicates of S's questions
dropped), and, for each other source I, the logits on I from a fit on the sources other than S
and I (near-duplicates of I and S dropped): the inner out-of-source scores the weight is chosen
on. Features and source weights as `tierwise router eval`; the n-gram penalty of each outer fold
is the one eval.md's nested choice gave it (MMLU 3, GSM8K 30, MT-Bench 10, MMLU-Pro 3), and
its inner fits use the same. Cached, as fitting takes most of an hour on two shared cores.

``report`` combines ``logit + w * log(1 + stem characters)`` (the stem as
``router.evaluate.question_stem`` counts it, the stronger length baseline of eval.md on the
multiple-choice sources; the whole prompt elsewhere), with ``w`` from a grid picked by the best
mean inner AUROC over the fold's training sources, and prints the held-out AUROC of the pick
against the stage alone, prompt length and stem length. It also prints, for the record only,
the held-out AUROC at every ``w`` (the best of which no training-side choice can know): if no
single ``w`` beats the stronger length on a source, no combination of this form can.
No bootstrap: a screen.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from tierwise.core.difficulty import Featurizer
from tierwise.router.dataset import OUTCOME_SOURCES, TRAIN_SOURCES, find_roots, load_sources
from tierwise.router.evaluate import question_stem
from tierwise.router.train import Penalty, featurize, fit_head, source_weights

FOLD_PENALTY = {"routellm-mmlu": 3.0, "routellm-gsm8k": 30.0, "mt-bench": 10.0, "mmlu-pro": 3.0}
GRID = (-0.5, -0.25, 0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0)


def _fit(examples: list[Any], matrix: Any, fails: Any, train: Any, score: Any, l2: float) -> Any:
    weights = np.asarray(source_weights([examples[int(i)] for i in train]))
    hashed, dense, bias = fit_head(
        matrix.rows(train), fails[train], weights, penalty=Penalty(hashed=l2)
    )[:3]
    x = matrix.rows(score)
    return x.hashed @ hashed + x.dense @ dense + bias


def fit(roots: list[Path], cache: Path) -> None:
    from threadpoolctl import threadpool_limits

    examples = load_sources(find_roots(roots), OUTCOME_SOURCES, require=False)
    examples = [e for e in examples if e.source in TRAIN_SOURCES]
    print(f"features of {len(examples)} prompts", file=sys.stderr)
    matrix = featurize(Featurizer(), [e.prompt for e in examples])
    source = np.asarray([e.source for e in examples])
    keys = [e.key for e in examples]
    fails = np.asarray([e.fails for e in examples])
    out: dict[str, Any] = {
        "source": source,
        "hard": np.asarray([e.weak_fails for e in examples], dtype=int),
        "chars": np.asarray([len(e.prompt) for e in examples], dtype=float),
        "stem": np.asarray([len(question_stem(e.prompt)) for e in examples], dtype=float),
    }
    names = sorted(set(source))
    with threadpool_limits(limits=1):
        for held in names:
            l2 = FOLD_PENALTY[held]
            held_rows = np.flatnonzero(source == held)
            held_keys = {keys[i] for i in held_rows}
            others = [i for i in range(len(examples)) if source[i] != held]
            train = np.asarray([i for i in others if keys[i] not in held_keys])
            start = time.time()
            out[f"outer:{held}"] = _fit(examples, matrix, fails, train, held_rows, l2)
            print(f"{held}: outer fit {time.time() - start:.0f}s", file=sys.stderr)
            for inner in names:
                if inner == held:
                    continue
                inner_rows = np.flatnonzero(source == inner)
                inner_keys = {keys[i] for i in inner_rows}
                rows = np.asarray(
                    [i for i in train if source[i] != inner and keys[i] not in inner_keys]
                )
                start = time.time()
                out[f"inner:{held}:{inner}"] = _fit(examples, matrix, fails, rows, inner_rows, l2)
                print(f"{held}/{inner}: inner fit {time.time() - start:.0f}s", file=sys.stderr)
            np.savez_compressed(cache, **out)


def report(cache: Path) -> None:
    data = np.load(cache, allow_pickle=False)
    source, hard = data["source"], data["hard"]
    log_stem = np.log1p(data["stem"])
    names = sorted(set(source.tolist()))
    print("w grid:", ", ".join(f"{w:g}" for w in GRID))
    for held in names:
        rows = source == held
        inner_names = [n for n in names if n != held and f"inner:{held}:{n}" in data]
        if f"outer:{held}" not in data or len(inner_names) < len(names) - 1:
            print(f"{held}: not fitted yet")
            continue

        def combined(logits: Any, mask: Any, w: float) -> Any:
            return logits + w * log_stem[mask]

        inner_mean = {
            w: float(
                np.mean(
                    [
                        roc_auc_score(
                            hard[source == n],
                            combined(data[f"inner:{held}:{n}"], source == n, w),
                        )
                        for n in inner_names
                    ]
                )
            )
            for w in GRID
        }
        pick = max(GRID, key=lambda w: (inner_mean[w], -abs(w)))
        outer = data[f"outer:{held}"]
        held_auc = {w: roc_auc_score(hard[rows], combined(outer, rows, w)) for w in GRID}
        length = roc_auc_score(hard[rows], data["chars"][rows])
        stem = roc_auc_score(hard[rows], data["stem"][rows])
        print(
            f"{held}: stage {held_auc[0.0]:.3f}, pick w={pick:g} (inner mean"
            f" {inner_mean[pick]:.4f}; w=0 {inner_mean[0.0]:.4f}) -> held out {held_auc[pick]:.3f};"
            f" prompt length {length:.3f}, stem length {stem:.3f},"
            f" stronger {max(length, stem):.3f}"
        )
        print(
            "   held out at every w (record only): "
            + ", ".join(f"{w:g}: {a:.3f}" for w, a in held_auc.items())
        )
        print("   inner means: " + ", ".join(f"{w:g}: {m:.4f}" for w, m in inner_mean.items()))


def paired(cache: Path, w: float, resamples: int = 500) -> None:
    """Record only: the held-out AUROC at a fixed ``w`` minus the stronger length's, with a
    paired 95% bootstrap interval over the held-out prompts (seed 0)."""
    data = np.load(cache, allow_pickle=False)
    source, hard = data["source"], data["hard"]
    rng = np.random.default_rng(0)
    for held in sorted(set(source.tolist())):
        rows = np.flatnonzero(source == held)
        mine = data[f"outer:{held}"] + w * np.log1p(data["stem"][rows])
        y = hard[rows]
        length = data["chars"][rows]
        stem = data["stem"][rows]
        base = length if roc_auc_score(y, length) >= roc_auc_score(y, stem) else stem
        point = roc_auc_score(y, mine) - roc_auc_score(y, base)
        diffs = []
        for _ in range(resamples):
            pick = rng.integers(0, len(rows), len(rows))
            if y[pick].min() == y[pick].max():
                continue
            diffs.append(roc_auc_score(y[pick], mine[pick]) - roc_auc_score(y[pick], base[pick]))
        lo, hi = np.percentile(diffs, [2.5, 97.5])
        print(f"{held}: w={w:g} minus the stronger length {point:+.3f} [{lo:+.3f}, {hi:+.3f}]")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=("fit", "report", "paired"))
    parser.add_argument("--w", type=float, default=1.0)
    parser.add_argument("--data-dir", action="append", type=Path, default=[])
    parser.add_argument("--cache", type=Path, default=Path("difficulty_stack.npz"))
    args = parser.parse_args()
    if args.command == "fit":
        fit(args.data_dir, args.cache)
    if args.command == "paired":
        paired(args.cache, args.w)
    else:
        report(args.cache)


if __name__ == "__main__":
    main()

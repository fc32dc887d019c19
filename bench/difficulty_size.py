"""Does a size term counted within maths/reasoning prompts help the difficulty stage out of
source? (docs/router/difficulty.md, round 6): leave-one-source-out AUROC of "the cheaper tier
fails", with the term chosen inside each fold.

    python bench/difficulty_size.py {dense,ngram} [--data-dir DIR ...] [--folds A,B]
        [--candidates none,numxchars,...]
    python bench/difficulty_size.py describe [--data-dir DIR ...]

``describe`` fits nothing: it prints the AUROC of each size alone, per source, on all prompts
and on the quantitative ones, and per subject for MMLU-Pro and RouteLLM MMLU's STEM subjects.

The size is that of the *ask*: the prompt without pasted material (paragraphs over 1,000
characters, as routing reads it: ``core.routing.instructions``), without the options of a
multiple-choice question (from the first ``A.``/``(A)`` line) and a trailing ``Answer:``.
Three sizes: log characters, log sentences, log distinct quantities (numbers after the
stage's own masking of dates, prices, years, versions). Three gates:

* ``num``: the ask states a quantitative problem (two or more distinct numbers, or a maths
  expression);
* ``cls``: P(math) + P(proof) of the packaged task-class model, as routing computes it;
* ``all``: no gate (the ask's size on every prompt).

A candidate ``<gate>x<size>`` adds two columns to the stage's dense block: the gate (free
sign) and gate times size ("harder only", as the stage's own size features). ``none`` is the
shipped feature set.

Nested selection, as `tierwise router eval` chooses its n-gram penalty: for each held-out
source, every candidate is scored by leave-one-source-out over that fold's training sources
only (each inner source scored by a fit without it and without near-duplicates of its and of
the held-out source's questions); the candidate with the best mean inner AUROC is the fold's
pick. The held-out AUROC of every candidate is printed too, for the record; only the pick
counts. ``dense``: the 19 dense features only (fast screen); ``ngram``: the shipped features
(hashed n-grams + dense) at the n-gram penalty `tierwise router eval` chose inside each fold
(eval.md: MMLU 3, GSM8K 30, MT-Bench 10, MMLU-Pro 3). Dense L2 1 as shipped; sources weighted
by the square root of their size. AlpacaEval is not used. No bootstrap: a screen.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
from difficulty_features import Data, fit
from sklearn.metrics import roc_auc_score

from tierwise.core.classes import TASK_CLASSES
from tierwise.core.difficulty import _DIGIT, _MATHS, _NOT_MATHS, _NUMBER, _SENTENCE, DENSE_FEATURES
from tierwise.core.routing import instructions
from tierwise.router.dataset import TRAIN_SOURCES
from tierwise.router.train import SIGNS, source_weights

MATERIAL_CHARS = 1000  # routing.scorer_material_chars
FOLD_PENALTY = {"routellm-mmlu": 3.0, "routellm-gsm8k": 30.0, "mt-bench": 10.0, "mmlu-pro": 3.0}
_OPTIONS = re.compile(r"\n\s*\(?A[.)]\s", re.MULTILINE)
_ANSWER = re.compile(r"\n\s*Answer:\s*$")
SIZES = ("chars", "sentences", "quantities")


def ask(text: str) -> str:
    """The problem statement: no pasted material, no multiple-choice options."""
    kept = _OPTIONS.split(instructions(text, MATERIAL_CHARS), maxsplit=1)[0]
    return _ANSWER.sub("", kept).strip()


def size_features(text: str) -> list[float]:
    """log chars, log sentences, log distinct quantities of the ask; quantitative (0/1)."""
    a = ask(text)
    plain = _NOT_MATHS.sub(" ", a) if _DIGIT.search(a) else a
    numbers = set(_NUMBER.findall(plain))
    sentences = len(_SENTENCE.findall(a)) or 1
    quantitative = len(numbers) >= 2 or bool(_MATHS.search(plain))
    return [
        math.log1p(len(a)) / 10,
        math.log1p(sentences) / 4,
        math.log1p(len(numbers)) / 3,
        1.0 if quantitative else 0.0,
    ]


def candidates(d: Data) -> dict[str, Any]:
    s = np.asarray([size_features(e.prompt) for e in d.examples])
    gates = {
        "num": s[:, 3],
        "cls": d.classes[:, TASK_CLASSES.index("math")] + d.classes[:, TASK_CLASSES.index("proof")],
    }
    out: dict[str, Any] = {"none": None}
    for name, gate in gates.items():
        for j, size in enumerate(SIZES):
            out[f"{name}x{size}"] = np.stack([gate, gate * s[:, j]], 1)
    for j, size in enumerate(SIZES):
        out[f"allx{size}"] = np.stack([np.zeros(len(s)), s[:, j]], 1)
    return out


class Screen:
    def __init__(self, d: Data, ngram: bool) -> None:
        self.d = d
        self.ngram = ngram
        self.cands = candidates(d)
        self.signs = [SIGNS.get(n, 0) for n in DENSE_FEATURES]

    def rows(self, train: list[str], held: str, outer: str | None) -> tuple[Any, Any]:
        d = self.d
        held_rows = np.flatnonzero(d.source == held)
        drop = {d.keys[i] for i in held_rows}
        if outer is not None:
            drop |= {d.keys[i] for i in np.flatnonzero(d.source == outer)}
        pool = np.flatnonzero(np.isin(d.source, [s for s in train if s != held]))
        return np.asarray([i for i in pool if d.keys[i] not in drop]), held_rows

    def auroc(
        self, train: list[str], held: str, cand: str, l2: float, outer: str | None = None
    ) -> tuple[float, list[float], Any]:
        """Held-out AUROC, the candidate's two weights, the held-out logits."""
        d, extra = self.d, self.cands[cand]
        rows, held_rows = self.rows(train, held, outer)
        x = d.matrix.dense if extra is None else np.hstack([d.matrix.dense, extra])
        signs = self.signs + ([] if extra is None else [0, 1])
        hashed = d.matrix.hashed if self.ngram else None
        w = np.asarray(source_weights([d.examples[i] for i in rows]))
        t = fit(
            None if hashed is None else hashed[rows], x[rows], d.fails[rows], w, signs, (l2, 1.0)
        )
        nh = 0 if hashed is None else int(hashed.shape[1])
        z = x[held_rows] @ t[nh:-1] + t[-1]
        if hashed is not None:
            z = z + hashed[held_rows] @ t[:nh]
        added = [round(float(v), 3) for v in t[nh + len(self.signs) : -1]]
        return float(roc_auc_score(d.hard[held_rows], z)), added, z


def _auroc(y: Any, x: Any) -> float:
    y = np.asarray(y)
    return float(roc_auc_score(y, x)) if 0 < y.sum() < len(y) else float("nan")


def subjects(roots: list[Path]) -> dict[str, str]:
    """prompt -> MMLU-Pro category or RouteLLM MMLU subject (file name)."""
    out: dict[str, str] = {}
    for root in roots:
        pro = root / "mmlu-pro-outcomes" / "mmlu_pro_outcomes.jsonl"
        if pro.is_file():
            for line in pro.read_text().splitlines():
                row = json.loads(line)
                out[row["prompt"].strip()] = f"mmlu-pro/{row['category']}"
        csv.field_size_limit(1 << 30)
        for path in sorted((root / "routellm-evals" / "mmlu" / "responses").glob("mmlu_*.csv")):
            with path.open(newline="") as f:
                for row in csv.DictReader(f):
                    out[row["prompt"].strip()] = f"routellm-mmlu/{path.stem[5:]}"
    return out


def describe(d: Data, roots: list[Path]) -> None:
    s = np.asarray([size_features(e.prompt) for e in d.examples])
    full = np.asarray([len(e.prompt) for e in d.examples])
    quant = s[:, 3] > 0
    for src in sorted(set(d.source)):
        m = d.source == src
        g = m & quant
        alone = ", ".join(f"{n} {_auroc(d.hard[m], s[m, j]):.3f}" for j, n in enumerate(SIZES))
        gated = ", ".join(f"{n} {_auroc(d.hard[g], s[g, j]):.3f}" for j, n in enumerate(SIZES))
        print(
            f"{src}: {m.sum()} prompts, whole prompt length {_auroc(d.hard[m], full[m]):.3f}; "
            f"ask {alone}; quantitative ({g.sum()}, fail {d.hard[g].mean():.2f} vs "
            f"{d.hard[m & ~quant].mean():.2f}): ask {gated}"
        )
    subject = subjects(roots)
    stem = ("math", "physic", "chemistry", "engineering", "algebra", "statistics", "logic")
    groups: dict[str, list[int]] = {}
    for i, e in enumerate(d.examples):
        name = subject.get(e.prompt.strip())
        if name and (name.startswith("mmlu-pro/") or any(k in name for k in stem)):
            groups.setdefault(name, []).append(i)
    for name, idx in sorted(groups.items()):
        print(
            f"{name}: {len(idx)} prompts, fail {d.hard[idx].mean():.2f}, ask "
            + ", ".join(f"{n} {_auroc(d.hard[idx], s[idx, j]):.3f}" for j, n in enumerate(SIZES))
            + f", whole prompt length {_auroc(d.hard[idx], full[idx]):.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=("dense", "ngram", "describe"))
    parser.add_argument("--data-dir", type=Path, action="append", default=[])
    parser.add_argument("--folds", default=",".join(TRAIN_SOURCES))
    parser.add_argument("--candidates", default=None)
    args = parser.parse_args()
    d = Data(args.data_dir)
    if args.mode == "describe":
        describe(d, args.data_dir)
        return
    screen = Screen(d, args.mode == "ngram")
    names = args.candidates.split(",") if args.candidates else list(screen.cands)
    train = [s for s in TRAIN_SOURCES if s in set(d.source)]
    start = time.monotonic()
    for held in args.folds.split(","):
        inner = [s for s in train if s != held]
        l2 = FOLD_PENALTY[held] if screen.ngram else 0.0
        means: dict[str, float] = {}
        for cand in names:
            res = [screen.auroc(inner, s, cand, l2, held) for s in inner]
            means[cand] = float(np.mean([r[0] for r in res]))
            per = ", ".join(f"{s} {r[0]:.4f} w {r[1]}" for s, r in zip(inner, res, strict=True))
            print(
                f"{held} inner {cand}: mean {means[cand]:.4f} ({per}; "
                f"{time.monotonic() - start:.0f} s)",
                flush=True,
            )
        pick = max(names, key=lambda c: means[c])
        held_out = {}
        for cand in names:
            held_out[cand], added, _ = screen.auroc(train, held, cand, l2)
            print(f"{held} held out {cand}: AUROC {held_out[cand]:.4f} w {added}", flush=True)
        base = held_out.get("none", float("nan"))
        print(
            f"{held}: PICK {pick} (inner {means[pick]:.4f} vs none {means.get('none', 0):.4f}); "
            f"held out {held_out[pick]:.4f} vs none {base:.4f}",
            flush=True,
        )


if __name__ == "__main__":
    main()

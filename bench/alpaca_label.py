"""What AlpacaEval's "the cheaper tier fails" label measures (docs/router/difficulty.md).

    python bench/alpaca_label.py --data-dir DIR [--resamples 500]

DIR holds ``alpaca-eval/`` as described in docs/router/data.md: the AlpacaEval repository's
``results/<model>/weighted_alpaca_eval_gpt4_turbo/annotations.json`` files (the two cheap
models the evaluation reads, plus any of ``gpt4_0613_concise``, ``claude-2``,
``claude-2.1``, ``gpt-3.5-turbo-1106_concise``, ``gpt-3.5-turbo-1106_verbose``,
``Mixtral-8x7B-Instruct-v0.1_concise`` that are there) and, optionally,
``length_controlled_v1.csv``: the repository's
``src/alpaca_eval/metrics/weights/weighted_alpaca_eval_gpt4_turbo/length_controlled_v1/
baseline_gpt4_1106_preview.csv``, the per-model coefficients of AlpacaEval's own
length-controlled win rate. Nothing here is fitted; it prints, per model:

* which answer the preference is about (``generator_1`` is the reference, GPT-4 Turbo) and
  the win rate, to check the label's direction against the published leaderboard;
* how well the answers' length difference (reference minus model, characters) alone ranks
  the model's losses, and how well the instruction's length does;
* the same after AlpacaEval's length correction applied per instruction (the model's
  length coefficient times tanh of the standardised length difference taken off the
  judge's logit), when the coefficients file is there;

then, for the label the evaluation uses (mean preference of the two cheap models below
0.5), whether a GPT-4-class model "fails" on the same instructions.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

ANNOTATOR = "weighted_alpaca_eval_gpt4_turbo"
CHEAP = ("claude-instant-1.2", "gpt-3.5-turbo-1106")
OTHERS = (
    "gpt4_0613_concise",
    "claude-2",
    "claude-2.1",
    "gpt-3.5-turbo-1106_concise",
    "gpt-3.5-turbo-1106_verbose",
    "Mixtral-8x7B-Instruct-v0.1_concise",
)
LENGTH_TERM = "np.tanh(std_delta_len)"


class Judged:
    """One model's annotations: per instruction, P(its answer preferred), both lengths."""

    def __init__(self, path: Path) -> None:
        self.pref: dict[str, float] = {}
        self.delta: dict[str, float] = {}
        self.generators: set[tuple[str, str]] = set()
        for row in json.loads(path.read_text("utf-8")):
            if row.get("preference") is None:
                continue
            # preference 1: output_1 (the reference) preferred; 2: output_2 (this model).
            self.pref[row["instruction"]] = float(row["preference"]) - 1.0
            self.delta[row["instruction"]] = float(len(row["output_1"]) - len(row["output_2"]))
            self.generators.add((row["generator_1"], row["generator_2"]))

    def corrected(self, phi: float) -> dict[str, float]:
        """Preferences with the judge's length effect taken off, per instruction."""
        keys = list(self.pref)
        delta = np.asarray([self.delta[k] for k in keys])
        p = np.clip(np.asarray([self.pref[k] for k in keys]), 1e-6, 1 - 1e-6)
        z = np.log(p / (1 - p)) - phi * np.tanh(delta / delta.std(ddof=1))
        return dict(zip(keys, (1.0 / (1.0 + np.exp(-z))).tolist(), strict=True))


def auroc_ci(labels: np.ndarray, scores: np.ndarray, resamples: int) -> str:
    value = float(roc_auc_score(labels, scores))
    rng = np.random.default_rng(0)
    samples = []
    for _ in range(resamples):
        pick = rng.integers(0, len(labels), len(labels))
        if 0 < labels[pick].sum() < len(pick):
            samples.append(float(roc_auc_score(labels[pick], scores[pick])))
    if not samples:
        return f"{value:.3f}"
    lo, hi = np.quantile(samples, [0.025, 0.975])
    return f"{value:.3f} [{lo:.3f}, {hi:.3f}]"


def length_coefficients(path: Path) -> dict[str, float]:
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index(LENGTH_TERM)
    return {row[0]: float(row[column]) for row in rows[1:] if row and row[0]}


def report(name: str, judged: Judged, pref: dict[str, float], resamples: int) -> None:
    keys = list(pref)
    lose = np.asarray([pref[k] < 0.5 for k in keys], dtype=int)
    delta = np.asarray([judged.delta[k] for k in keys])
    instruction = np.asarray([len(k) for k in keys], dtype=float)
    print(
        f"  {name}: win rate {np.mean([pref[k] for k in keys]):.3f}, loses on {lose.mean():.1%};"
        f" AUROC of the loss by answer-length difference {auroc_ci(lose, delta, resamples)},"
        f" by instruction length {auroc_ci(lose, instruction, resamples)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--resamples", type=int, default=500)
    args = parser.parse_args()
    root = args.data_dir / "alpaca-eval"
    phis = length_coefficients(root / "length_controlled_v1.csv")
    judged: dict[str, Judged] = {}
    for model in CHEAP + OTHERS:
        path = root / "results" / model / ANNOTATOR / "annotations.json"
        if path.is_file():
            judged[model] = Judged(path)
    for model, j in judged.items():
        print(f"{model} (reference, model: {sorted(j.generators)})")
        report("as judged", j, j.pref, args.resamples)
        if model in phis:
            report(f"length-corrected (coefficient {phis[model]:.2f})", j,
                   j.corrected(phis[model]), args.resamples)  # fmt: skip
    views = {"as judged": {m: judged[m].pref for m in judged}}
    if all(m in phis for m in judged):
        views["length-corrected"] = {m: judged[m].corrected(phis[m]) for m in judged}
    for view, prefs in views.items():
        keys = [k for k in prefs[CHEAP[0]] if all(k in prefs[m] for m in CHEAP)]
        label = np.asarray([np.mean([prefs[m][k] for m in CHEAP]) < 0.5 for k in keys])
        instruction = np.asarray([len(k) for k in keys], dtype=float)
        print(
            f"evaluation label, {view}: the cheap tier fails on {label.mean():.1%} of"
            f" {len(keys)}; AUROC by instruction length"
            f" {auroc_ci(label.astype(int), instruction, args.resamples)}"
        )
        for other in (m for m in OTHERS if m in prefs):
            lost = np.asarray([prefs[other].get(k, math.nan) < 0.5 for k in keys])
            print(
                f"  {other} also loses on {lost[label].mean():.1%} of the instructions the"
                f" cheap tier fails and on {lost[~label].mean():.1%} of the others"
            )


if __name__ == "__main__":
    main()

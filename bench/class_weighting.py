"""Row weightings of the class model's fit, each public source held out whole, and v1.

The class fit is class-balanced: a class's rows share one total weight, so rows added to a
class thin out every row it had (bench/class_shift.py shows what that did to MMLU after
rounds 14-17). Each weighting below is fitted once per public source, the source held out as
class_train holds it out (blended accuracy on it), and once on every row, whose model routes
v1 (tests/router/data/heldout_requests.jsonl; tier agreement, class accuracy, Haiku<->Opus
crossings). No team-template folds: the held-out-template figure needs the full
``python bench/class_refit.py`` run.

Run: python bench/class_weighting.py [NAME,...]   (names as in WEIGHTINGS; default: all;
     needs the ``train`` extra; 5 fits of ~1 minute each per weighting)
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tierwise.client import load_scorer
from tierwise.config import load_settings
from tierwise.core.class_model import BlendedClassifier, hashed_features
from tierwise.core.taxonomy import TASK_CLASSES
from tierwise.router.class_train import DEFAULT_BITS, _group, _parts, acceptance, fit, load_corpus

HELDOUT = (
    Path(__file__).resolve().parent.parent / "tests" / "router" / "data" / "heldout_requests.jsonl"
)
SOURCES = ("source:mmlu", "source:gsm8k", "source:arena-hard-v2", "source:sni")

Rows = Sequence[Mapping[str, Any]]


def _source(row: Mapping[str, Any]) -> str:
    group = _group(row)
    return group if group.startswith("source:") else "team"


def _round(row: Mapping[str, Any]) -> str:
    group = _group(row)
    head = group.split("-", 1)[0]
    return head if group.startswith("source:") or head[1:].isdigit() else "team r1/r2"


def within_class(
    key: Callable[[Mapping[str, Any]], str], power: float
) -> Callable[[Rows], list[float]]:
    """Within each class, rows weighted n^-power by their cell (class, key), n its row count:
    power 0.5 gives each cell a share of the class growing as sqrt(n), 1.0 equal shares."""

    def weights(rows: Rows) -> list[float]:
        cells = Counter((r["class"], key(r)) for r in rows)
        return [cells[(r["class"], key(r))] ** -power for r in rows]

    return weights


# name -> (balance_power, row weights within a class)
WEIGHTINGS: dict[str, tuple[float, Callable[[Rows], list[float]] | None]] = {
    "class-balanced (as shipped)": (1.0, None),
    "by source sqrt": (1.0, within_class(_source, 0.5)),
    "by source equal": (1.0, within_class(_source, 1.0)),
    "by round sqrt": (1.0, within_class(_round, 0.5)),
    "classes n^-0.5": (0.5, None),
    "classes n^-0.5 + by source sqrt": (0.5, within_class(_source, 0.5)),
    "classes n^-0.75": (0.75, None),
    "classes n^-0.75 + by source sqrt": (0.75, within_class(_source, 0.5)),
}


def main() -> None:
    chosen = sys.argv[1].split(",") if len(sys.argv) > 1 else list(WEIGHTINGS)
    rows = load_corpus()
    parts = [_parts(r["request"]) for r in rows]
    feats = [hashed_features(f, sy, us, DEFAULT_BITS) for f, sy, us in parts]
    groups = [_group(r) for r in rows]
    settings = load_settings(environ={}).settings
    difficulty = load_scorer(settings)
    for name in chosen:
        power, row_weights = WEIGHTINGS[name]

        def fitted(
            idx: list[int],
            power: float = power,
            row_weights: Callable[[Rows], list[float]] | None = row_weights,
        ) -> Any:
            train = [rows[i] for i in idx]
            return fit(
                train,
                features=[feats[i] for i in idx],
                balance_power=power,
                row_weights=None if row_weights is None else row_weights(train),
            )

        out = [name]
        for source in SOURCES:
            train = [i for i, g in enumerate(groups) if g != source]
            blend = BlendedClassifier(fitted(train))
            test = [i for i, g in enumerate(groups) if g == source]
            right = 0
            for i in test:
                probs = blend.probabilities(*parts[i])
                right += max(TASK_CLASSES, key=lambda c: probs[c]) == rows[i]["class"]
            out.append(f"{source.removeprefix('source:')} {right / len(test):.3f}")
        model = fitted(list(range(len(rows))))
        v1 = acceptance(HELDOUT, settings, BlendedClassifier(model), difficulty)
        out.append(
            f"v1 {v1['agreement']:.3f} class {v1['class_accuracy']:.3f} "
            f"crossings {','.join(v1['crossings']) or 'none'}"
        )
        print(" | ".join(out), flush=True)


if __name__ == "__main__":
    main()

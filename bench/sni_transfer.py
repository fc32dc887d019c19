"""Does training on real SNI tasks help on *other* real tasks? (issue 12, class stage)

Run: python bench/sni_transfer.py   (needs the ``train`` extra; ~10 fits, minutes)

The class corpus holds Super-NaturalInstructions (SNI) out whole in ``class_train``'s
evaluation, which measures how team templates alone carry over to real task-labelled
requests. This bench measures the other half: SNI tasks are split into folds by their task
name (a task's 4 rows never straddle folds), and each fold is predicted twice, with the cue
classifier blended in as routing does:

* ``without SNI``: a model trained on every non-SNI row (templates, GSM8K, MMLU, Arena-Hard);
* ``with other SNI tasks``: the same rows plus the SNI tasks of the other folds.

It prints class accuracy and default-tier agreement (the tier of the predicted class's
default policy line against the true class's) overall and per class.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from tierwise.core.class_model import BlendedClassifier
from tierwise.core.taxonomy import DEFAULT_CLASS_RULES, TASK_CLASSES
from tierwise.router.class_train import _parts, featurize, fit, load_corpus

FOLDS = 4


def _predict(
    model_rows: Sequence[Mapping[str, Any]],
    features: Sequence[dict[int, float]],
    test: Sequence[Mapping[str, Any]],
) -> list[str]:
    scorer = BlendedClassifier(fit(model_rows, features=features))
    out = []
    for row in test:
        probs = scorer.probabilities(*_parts(row["request"]))
        out.append(max(TASK_CLASSES, key=lambda c: probs[c]))
    return out


def main() -> None:
    rows = load_corpus()
    base = [r for r in rows if r["source"] != "sni"]
    sni = [r for r in rows if r["source"] == "sni"]
    base_f = [featurize(r["request"]) for r in base]
    sni_f = [featurize(r["request"]) for r in sni]
    fold = {r["template"]: zlib.crc32(str(r["template"]).encode()) % FOLDS for r in sni}
    without = dict(zip(range(len(sni)), _predict(base, base_f, sni), strict=True))
    with_other: dict[int, str] = {}
    for k in range(FOLDS):
        held = [i for i, r in enumerate(sni) if fold[r["template"]] == k]
        kept = [i for i, r in enumerate(sni) if fold[r["template"]] != k]
        train = base + [sni[i] for i in kept]
        preds = _predict(train, base_f + [sni_f[i] for i in kept], [sni[i] for i in held])
        with_other.update(zip(held, preds, strict=True))
    print(
        f"SNI rows {len(sni)} ({len(fold)} tasks, {FOLDS} folds by task); non-SNI rows {len(base)}"
    )
    for name, predicted in (("without SNI", without), ("with other SNI tasks", with_other)):
        per: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for i, row in enumerate(sni):
            gold, pred = str(row["class"]), predicted[i]
            per[gold][0] += gold == pred
            per[gold][1] += DEFAULT_CLASS_RULES[gold].tier == DEFAULT_CLASS_RULES[pred].tier
            per[gold][2] += 1
        n = len(sni)
        acc = sum(v[0] for v in per.values()) / n
        tier = sum(v[1] for v in per.values()) / n
        print(f"\n{name}: class accuracy {acc:.3f}, default-tier agreement {tier:.3f}")
        for cls in sorted(per):
            a, t, m = per[cls]
            print(f"  {cls:16s} class {a:3d}/{m:<3d} tier {t:3d}/{m}")


if __name__ == "__main__":
    main()

"""The packaged class model on the corpus rows of one round, no fitting: class accuracy and the
class stage's tier as routing gives it (``class_min_confidence`` and the crossing guard), per
template family and per class, with the confusions; ``--rows`` lists every row whose class or
tier is wrong, with its cues. The "before" of rows the packaged model never saw, and their
"after" with the same model once the signals change.

Run: python bench/class_packaged.py r15- [--rows]
     PYTHONPATH=OTHER/src python bench/class_packaged.py r15-   (another checkout's code; the
     corpus is that checkout's, so the rows must be in it)
"""

from __future__ import annotations

import sys
from collections import Counter

import tierwise
from tierwise.config import load_settings
from tierwise.core.class_model import BlendedClassifier
from tierwise.core.classes import ClassPrediction
from tierwise.core.routing import class_step
from tierwise.core.taxonomy import TASK_CLASSES
from tierwise.router.class_train import EvalResult, _group, _parts, load_corpus
from tierwise.router.class_weights import load_class_model


def main() -> None:
    prefix = next((a for a in sys.argv[1:] if not a.startswith("--")), "r15-")
    model = load_class_model()
    assert model is not None, "no packaged class model"
    blend = BlendedClassifier(model)
    policy = load_settings(environ={}).settings.routing_policy()
    result = EvalResult()
    wrong = []
    for row in load_corpus():
        group = _group(row)
        if not group.startswith(prefix):
            continue
        features, system, user = _parts(row["request"])
        probs = blend.probabilities(features, system, user)
        pred = max(TASK_CLASSES, key=lambda c: probs[c])
        result.pairs.append((row["class"], pred, group))
        result.probs.append(probs)
        want = policy.classes[row["class"]].tier.value
        got = class_step(ClassPrediction.from_probs(probs, ""), policy)[0].value
        if pred != row["class"] or got != want:
            cues = sorted(k for k in features if k.startswith(("cue:", "sys:")))
            wrong.append(f"  {group} {row['class']} -> {pred} ({want} -> {got}) {cues}")
    print(f"code: {tierwise.__file__}, rows {len(result.pairs)}")

    def line(name: str, ev: EvalResult) -> None:
        t = ev.tiers(policy)
        recall = " ".join(f"{k} {v:.3f}" for k, v in t["recall"].items())
        print(f"{name:<30} n={len(ev.pairs):4d} class {ev.accuracy():.3f} tier {recall}"
              f" haiku<->opus {t['crossings']}")  # fmt: skip

    line("all", result)
    for family in sorted({g.rsplit("-", 1)[0] for _, _, g in result.pairs}):
        line(family, result.subset(lambda g, f=family: g.rsplit("-", 1)[0] == f))
    for cls in sorted({t for t, _, _ in result.pairs}):
        keep = [i for i, (t, _, _) in enumerate(result.pairs) if t == cls]
        line(f"class {cls}", EvalResult([result.pairs[i] for i in keep],
                                        [result.probs[i] for i in keep]))  # fmt: skip
    confusions = Counter((t, p) for t, p, _ in result.pairs if t != p)
    print("confusions:", ", ".join(f"{t} -> {p} {n}" for (t, p), n in confusions.most_common()))
    if "--rows" in sys.argv:
        print("\n".join(wrong))


if __name__ == "__main__":
    main()

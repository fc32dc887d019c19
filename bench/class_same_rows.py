"""The class stage held out as ``class_train`` holds it out (team templates in 5 folds by
template, each public source whole), reported on all corpus rows and on the rows of an
earlier corpus alone, so two versions of the code can be compared on the same rows.

Run: python bench/class_same_rows.py [NEW_PREFIX]   (default r5-: the rows added in round 5)
     PYTHONPATH=OTHER/src python bench/class_same_rows.py   (another checkout's code and corpus)
Prints class accuracy, the class stage's tier recall as routing does (class_min_confidence
and crossing guard) and Haiku<->Opus crossings, then class accuracy per source. ~10 fits.
"""

from __future__ import annotations

import sys
from collections import Counter

import tierwise
from tierwise.config import load_settings
from tierwise.router.class_train import grouped_predictions, load_corpus


def main() -> None:
    new = sys.argv[1] if len(sys.argv) > 1 else "r5-"
    print(f"code: {tierwise.__file__}")
    rows = load_corpus()
    _, blend = grouped_predictions(rows, progress=lambda m: print(m, file=sys.stderr))
    policy = load_settings(environ={}).settings.routing_policy()
    old = blend.subset(lambda g: not g.startswith(new))
    for name, ev in (("all rows", blend), (f"rows not starting {new}", old)):
        t = ev.tiers(policy, guard=True)
        recall = " ".join(f"{k} {t['recall'].get(k, 0.0):.3f}" for k in ("haiku", "sonnet", "opus"))
        print(
            f"{name}: n={len(ev.pairs)} class {ev.accuracy():.3f} tier recall {recall} "
            f"mean {t['balanced']:.3f} crossings {t['crossings']}"
        )
    seen: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for true, pred, group in old.pairs:
        if group.startswith("source:"):
            key = group
        elif group.startswith(("r3-", "r4-")):
            key = "team r3/r4"
        else:
            key = "team before r3"
        seen[key] += 1
        right[key] += true == pred
    for key in sorted(seen):
        print(f"  {key:<28} n={seen[key]:5d} class {right[key] / seen[key]:.3f}")


if __name__ == "__main__":
    main()

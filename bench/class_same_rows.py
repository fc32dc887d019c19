"""The class stage held out as ``class_train`` holds it out (team templates in 5 folds by
template, each public source whole), reported on all corpus rows and on the rows of an
earlier corpus alone, so two versions of the code, or of the corpus, can be compared on the
same rows.

Run: python bench/class_same_rows.py [NEW_PREFIXES]   (default r5-: the rows added in round 5;
     several rounds comma-separated, e.g. r10-,r11-)
     PYTHONPATH=OTHER/src python bench/class_same_rows.py   (another checkout's code and corpus)
     python bench/class_same_rows.py r10-,r11- --without   (the new rows left out of the corpus
     too: the "before" of adding them to training, with this code)
     python bench/class_same_rows.py r10-,r11- --predictions FILE   (no fitting: the held-out
     predictions bench/class_refit.py kept from a refit)
     --keep FILE   (write the held-out predictions this run fitted, as class_refit.py does)
Prints class accuracy, the class stage's tier recall as routing does (class_min_confidence
and crossing guard) and Haiku<->Opus crossings (and which rows cross), then class accuracy
per source. ~10 fits.
"""

from __future__ import annotations

import sys
from collections import Counter

from class_refit import load_predictions, save_predictions

import tierwise
from tierwise.config import load_settings
from tierwise.core.classes import ClassPrediction
from tierwise.core.routing import class_step
from tierwise.router.class_train import grouped_predictions, load_corpus


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    new = tuple((args[0] if args else "r5-").split(","))
    print(f"code: {tierwise.__file__}")
    if "--predictions" in sys.argv:
        blend = load_predictions(sys.argv[sys.argv.index("--predictions") + 1])
    else:
        rows = load_corpus()
        if "--without" in sys.argv:
            # A row's group is its template for team rows, so the prefix test is the same one
            # the report below applies to the predictions.
            rows = [r for r in rows if not str(r["template"]).startswith(new)]
        _, blend = grouped_predictions(rows, progress=lambda m: print(m, file=sys.stderr))
        if "--keep" in sys.argv:
            save_predictions(blend, sys.argv[sys.argv.index("--keep") + 1])
    policy = load_settings(environ={}).settings.routing_policy()
    old = blend.subset(lambda g: not g.startswith(new))
    for name, ev in (("all rows", blend), (f"rows not starting {','.join(new)}", old)):
        t = ev.tiers(policy, guard=True)
        recall = " ".join(f"{k} {t['recall'].get(k, 0.0):.3f}" for k in ("haiku", "sonnet", "opus"))
        print(
            f"{name}: n={len(ev.pairs)} class {ev.accuracy():.3f} tier recall {recall} "
            f"mean {t['balanced']:.3f} crossings {t['crossings']}"
        )
    for (true, pred, group), probs in zip(old.pairs, old.probs, strict=True):
        want = policy.classes[true].tier.value
        got = class_step(ClassPrediction.from_probs(probs, ""), policy)[0].value
        if {want, got} == {"haiku", "opus"}:
            print(f"  crossing: {group} {true} -> {pred} ({want} -> {got})")
    print("  per class on these rows (precision / recall / support):")
    for cls, (precision, recall_, support) in old.per_class().items():
        print(f"    {cls:<20} {precision:.2f} / {recall_:.2f} / {support}")
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

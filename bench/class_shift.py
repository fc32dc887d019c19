"""Which training rows move a held-out public source, and through which features.

Fits the class model without the source (as class_train holds it out) twice: without the
rows of the named rounds, and with them; with ``--drop-class`` also with the new rows of that
class alone left out. For each fit: the source's blended accuracy, what its rows are read as,
and the class biases. Then, for the source's rows of its main class, the mean change of the
logit margin "most common wrong class minus the true class" from the first fit to the second,
split into the bias, the structural features and the words, with the features that moved it
most (summed over the rows).

Run: python bench/class_shift.py mmlu r14-,r15-,r16-,r17- [--drop-class general_qa]
     (needs the ``train`` extra; 2-3 fits of ~1 minute each)
"""

from __future__ import annotations

import math
import sys
import zlib
from collections import Counter
from collections.abc import Callable

from tierwise.core.class_model import BlendedClassifier, ClassModel, _text_groups, hashed_features
from tierwise.core.taxonomy import TASK_CLASSES
from tierwise.router.class_train import DEFAULT_BITS, _group, _parts, fit, load_corpus


def named_features(structural: dict[str, float], system: str, user: str) -> dict[str, float]:
    """The named features ``hashed_features`` hashes, with their values."""
    named = {f"f:{k}": v for k, v in structural.items()}
    for names in _text_groups(system, user):
        if names:
            named.update(dict.fromkeys(names, 1.0 / math.sqrt(len(names))))
    return named


def weight(model: ClassModel, name: str, cls: str) -> float:
    row = model._rows.get(zlib.crc32(name.encode("utf-8")) & ((1 << model.bits) - 1))
    return 0.0 if row is None else float(row[model.classes.index(cls)])


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    source = "source:" + (args[0] if args else "mmlu")
    new = tuple((args[1] if len(args) > 1 else "r14-,r15-,r16-,r17-").split(","))
    drop = sys.argv[sys.argv.index("--drop-class") + 1] if "--drop-class" in sys.argv else None
    rows = load_corpus()
    parts = [_parts(r["request"]) for r in rows]
    feats = [hashed_features(f, sy, us, DEFAULT_BITS) for f, sy, us in parts]
    groups = [_group(r) for r in rows]
    test = [i for i, g in enumerate(groups) if g == source]
    is_new = [g.startswith(new) for g in groups]

    def run(name: str, keep: Callable[[int], bool]) -> ClassModel:
        train = [i for i, g in enumerate(groups) if g != source and keep(i)]
        model = fit([rows[i] for i in train], features=[feats[i] for i in train])
        blend = BlendedClassifier(model)
        preds: Counter[str] = Counter()
        right = 0
        for i in test:
            probs = blend.probabilities(*parts[i])
            pred = max(TASK_CLASSES, key=lambda c: probs[c])
            preds[pred] += 1
            right += pred == rows[i]["class"]
        bias = ", ".join(
            f"{c} {model.bias[model.classes.index(c)]:+.2f}" for c, _ in preds.most_common(4)
        )
        print(f"{name}: {len(train)} training rows; {source} {right / len(test):.3f} "
              f"read as {dict(preds.most_common(5))}; biases {bias}", flush=True)  # fmt: skip
        return model

    before = run(f"without {','.join(new)}", lambda i: not is_new[i])
    after = run(f"with {','.join(new)}", lambda i: True)
    if drop is not None:
        run(
            f"with them but their {drop} rows",
            lambda i: not (is_new[i] and rows[i]["class"] == drop),
        )
    main_class = Counter(rows[i]["class"] for i in test).most_common(1)[0][0]
    mine = [i for i in test if rows[i]["class"] == main_class]
    blend = BlendedClassifier(after)
    wrong: Counter[str] = Counter()
    for i in mine:
        probs = blend.probabilities(*parts[i])
        wrong[max(TASK_CLASSES, key=lambda c: probs[c])] += 1
    wrong.pop(main_class, None)
    rival = wrong.most_common(1)[0][0]
    shift: dict[str, float] = {}
    for i in mine:
        for name, value in named_features(*parts[i]).items():
            old = weight(before, name, rival) - weight(before, name, main_class)
            now = weight(after, name, rival) - weight(after, name, main_class)
            shift[name] = shift.get(name, 0.0) + (now - old) * value

    def margin(model: ClassModel) -> float:
        return float(
            model.bias[model.classes.index(rival)] - model.bias[model.classes.index(main_class)]
        )

    bias = margin(after) - margin(before)
    structural = sum(v for k, v in shift.items() if k.startswith("f:")) / len(mine)
    words = sum(v for k, v in shift.items() if not k.startswith("f:")) / len(mine)
    print(f"{len(mine)} {main_class} rows, margin {rival} - {main_class} per row: "
          f"bias {bias:+.3f}, structural {structural:+.3f}, words {words:+.3f}")  # fmt: skip
    print("features that moved it most (sum over the rows):")
    for name, value in sorted(shift.items(), key=lambda kv: -abs(kv[1]))[:15]:
        print(f"  {name!r:32} {value:+.2f}")


if __name__ == "__main__":
    main()

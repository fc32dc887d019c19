"""Which corpus rows a signals change touches, and how the packaged class model then reads
them: ``dump`` writes, per corpus row, its group, class, class features, the packaged model's
class and the class stage's tier (as routing gives it); ``compare`` lists, for the rows of two
dumps outside the given prefix (the new round's rows), those whose features changed (counted
by group family and the features gained or lost) and those whose prediction or tier moved.

Run: PYTHONPATH=OLD/src python bench/class_cue_diff.py dump old.jsonl.gz
     PYTHONPATH=src python bench/class_cue_diff.py dump new.jsonl.gz
     python bench/class_cue_diff.py compare old.jsonl.gz new.jsonl.gz r15-
(the same corpus in both: the new rows are skipped by prefix, so dump both with one corpus.)
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import Counter
from typing import Any

from tierwise.core.taxonomy import DEFAULT_CLASS_RULES


def dump(path: str) -> None:
    from tierwise.config import load_settings
    from tierwise.core.class_model import BlendedClassifier
    from tierwise.core.classes import ClassPrediction
    from tierwise.core.routing import class_step
    from tierwise.core.taxonomy import TASK_CLASSES
    from tierwise.router.class_train import _group, _parts, load_corpus
    from tierwise.router.class_weights import load_class_model

    model = load_class_model()
    assert model is not None, "no packaged class model"
    blend = BlendedClassifier(model)
    policy = load_settings(environ={}).settings.routing_policy()
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for row in load_corpus():
            features, system, user = _parts(row["request"])
            probs = blend.probabilities(features, system, user)
            pred = max(TASK_CLASSES, key=lambda c: probs[c])
            tier = class_step(ClassPrediction.from_probs(probs, ""), policy)[0].value
            record = {"g": _group(row), "c": row["class"], "f": features, "p": pred, "t": tier}
            out.write(json.dumps(record, sort_keys=True) + "\n")


def _load(path: str) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def compare(old_path: str, new_path: str, prefix: str) -> None:
    old, new = _load(old_path), _load(new_path)
    changed: Counter[tuple[str, ...]] = Counter()
    better = worse = 0
    for a, b in zip(old, new, strict=True):
        if a["g"].startswith(prefix):
            continue
        family = a["g"] if a["g"].startswith("source:") else a["g"].rsplit("-", 1)[0]
        if a["f"] != b["f"]:
            gained = ",".join(sorted(set(b["f"]) - set(a["f"])))
            lost = ",".join(sorted(set(a["f"]) - set(b["f"])))
            changed[(family, a["c"], f"+{gained}", f"-{lost}")] += 1
        want = DEFAULT_CLASS_RULES[a["c"]].tier.value
        right_a = (a["p"] == a["c"], a["t"] == want)
        right_b = (b["p"] == b["c"], b["t"] == want)
        if right_a != right_b or a["p"] != b["p"]:
            print(f"moved: {a['g']} {a['c']}: {a['p']} -> {b['p']}, tier {a['t']} -> {b['t']}")
            better += any(y and not x for x, y in zip(right_a, right_b, strict=True))
            worse += any(x and not y for x, y in zip(right_a, right_b, strict=True))
    print(f"rows with changed features: {sum(changed.values())}")
    for key, n in changed.most_common():
        print(n, *key)
    print(f"rows better (class or tier): {better}, worse: {worse}")


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        dump(sys.argv[2])
    else:
        compare(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "r15-")

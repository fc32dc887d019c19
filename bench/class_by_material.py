"""Rows that name their material (round 7's knowledge bases), predicted by models that never
saw that material: the rows of two knowledge bases at a time are held out (all their
templates), everything else trains. Complements bench/class_round3.py, which holds out
wordings (templates) while every material stays in training.

Run: python bench/class_by_material.py [PREFIX]   (needs the ``train`` extra; 4 fits, minutes)
With PREFIX (e.g. ``r10-``), only the materials whose name starts with it are held out (two
at a time) and reported; the others always train.
     python bench/class_by_material.py r11-agent --agents   (an agent's tools are its material:
     the rows of two agents at a time are held out, what they were asked to do and to look up
     alike, so neither the agent's tools nor its domain's words were seen)
Prints class accuracy and class-stage tier agreement (the true class's default tier against
the predicted class's) per true class and per held-out knowledge base, and the confusions.
"""

from __future__ import annotations

import sys
import time
from collections import Counter

from tierwise.core.class_model import BlendedClassifier, hashed_features
from tierwise.core.taxonomy import DEFAULT_CLASS_RULES, TASK_CLASSES
from tierwise.router.class_train import DEFAULT_BITS, _parts, fit, load_corpus


def agent_of(template: str) -> str:
    """``r11-agent-flags``, the agent of a template such as ``r11-agent-flags-agent_step``
    (one template per agent and class); "" for a template of no agent."""
    head, _, _ = template.rpartition("-")
    return head if "-agent-" in template and head.count("-") >= 2 else ""


def main() -> int:
    rows = load_corpus()
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    prefix = args[0] if args else ""
    if "--agents" in sys.argv:
        rows = [{**r, "material": agent_of(str(r["template"]))} for r in rows]
    named = {str(r["material"]) for r in rows if r.get("material")}
    materials = sorted(m for m in named if m.startswith(prefix))
    parts = [_parts(r["request"]) for r in rows]
    feats = [hashed_features(f, sy, us, DEFAULT_BITS) for f, sy, us in parts]
    pairs: list[tuple[str, str, str]] = []  # (true, predicted, material)
    for i in range(0, len(materials), 2):
        held = set(materials[i : i + 2])
        train = [j for j, r in enumerate(rows) if r.get("material") not in held]
        started = time.monotonic()
        blend = BlendedClassifier(fit([rows[j] for j in train], features=[feats[j] for j in train]))
        for j, r in enumerate(rows):
            if r.get("material") in held:
                probs = blend.probabilities(*parts[j])
                pairs.append((r["class"], max(TASK_CLASSES, key=lambda c: probs[c]), r["material"]))
        print(f"held out {sorted(held)}: {time.monotonic() - started:.0f}s", file=sys.stderr)
    slices = [("all", lambda t, m: True)]
    slices += [(f"class {c}", lambda t, m, c=c: t == c) for c in sorted({p[0] for p in pairs})]
    slices += [(f"material {k}", lambda t, m, k=k: m == k) for k in materials]
    for name, keep in slices:
        mine = [(t, p) for t, p, m in pairs if keep(t, m)]
        n = len(mine)
        ok = sum(t == p for t, p in mine)
        tier = sum(DEFAULT_CLASS_RULES[t].tier is DEFAULT_CLASS_RULES[p].tier for t, p in mine)
        print(f"{name:<24} n={n:4d}  class {ok / n:.3f}  tier {tier / n:.3f}")
    print("confusions (true -> predicted: count):")
    for (t, p), n in Counter((t, p) for t, p, _ in pairs if t != p).most_common(12):
        print(f"  {t} -> {p}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

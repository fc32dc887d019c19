"""How the class stage reads questions to a RAG service over documentation
(docs/router/classes.md, "RAG questions over documentation read as lookups").

Run: python bench/class_rag_probe.py [COUNT]   (default 300; the packaged model, no fitting)
     PYTHONPATH=OTHER/src python bench/class_rag_probe.py   (another checkout's code)

Part 1 routes ``bench/cache_aware.py``'s RAG workload (a system prompt "You answer
questions about Acme Cloud using only this documentation." plus ~30k tokens of generated
documentation; closed questions, open "Using the documentation, explain ..." questions and
support replies) and counts (true class, predicted class, tier). Part 2 prints the blended
posterior of one open and one labelling question under system prompts that differ only in
the instruction's wording, and of open questions worded differently, with the cues that fire.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

from cache_aware import documentation, rag_requests

import tierwise
from tierwise.client import load_class_scorer, load_scorer
from tierwise.config import load_settings
from tierwise.core.classes import class_features
from tierwise.core.routing import class_text, decide
from tierwise.core.signals import extract_signals

OPEN = (
    "Using the documentation, explain to a customer how rate limits works for their team "
    "and what they should check first."
)
LABEL = "Classify this question as billing, technical or account: how do I change SSO?"


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    print(f"code: {tierwise.__file__}")
    settings = load_settings(environ={}).settings
    policy = settings.routing_policy()
    classes, difficulty = load_class_scorer(settings), load_scorer(settings)
    counts: Counter[tuple[str, str, str]] = Counter()
    for request in rag_requests(count, seed=7):
        true = next(iter(request["requestMetadata"].values()))
        d = decide(request, policy=policy, scorer=difficulty, class_scorer=classes)
        counts[(true, d.task_class.name, d.tier.value)] += 1
    print(f"part 1: {count} requests of the cache_aware RAG workload (seed 7)")
    for (true, pred, tier), n in sorted(counts.items()):
        print(f"  true {true:14s} predicted {pred:14s} {tier:7s} {n}")

    doc = documentation(3)

    def show(label: str, system: str | None, user: str) -> None:
        req: dict[str, Any] = {"messages": [{"role": "user", "content": [{"text": user}]}]}
        if system is not None:
            req["system"] = [{"text": system}]
        s = extract_signals(req)
        f = class_features(s)
        probs = classes.probabilities(f, *class_text(s))
        top = sorted(probs.items(), key=lambda kv: -kv[1])[:2]
        cues = sorted(k for k in f if k.startswith(("cue:", "sys:")))
        shown = ", ".join(f"{k} {v:.2f}" for k, v in top)
        print(f"  {label:58s} {shown:32s} {' '.join(cues)}")

    docs = "You answer questions about Acme Cloud using only this documentation.\n\n" + doc
    passages = "You answer questions about Acme Cloud using only the passages below.\n\n" + doc
    print("part 2: blended posterior (top two) and cues")
    show("open, '...only this documentation.' + docs", docs, OPEN)
    show("open, the documentation alone", doc, OPEN)
    show("open, '...only the passages below.' + docs", passages, OPEN)
    show("labelling, '...only this documentation.' + docs", docs, LABEL)
    show("labelling, '...only the passages below.' + docs", passages, LABEL)
    show(
        "open 'Explain to a customer how ...' (no 'using')",
        docs,
        OPEN.split(", ", 1)[1].capitalize(),
    )
    show("open 'How do rate limits work for a team ...?'", docs,
         "How do rate limits work for a team, and what should they check first?")  # fmt: skip
    show("open 'Why would ... not apply right away?'", docs,
         "Why would a customer's rate limits change not apply right away?")  # fmt: skip


if __name__ == "__main__":
    main()

"""Round-3 to round-6 rows of the class corpus (agents, RAG in the system prompt, other
languages, forced tools; round 5: analysis over tables, trade-offs with numbers, "write a
plan/memo", pasted sources, terse asks over long material, more agents, one-word
confirmations; round 6: terse Haiku-class asks over long, varied material; round 7: a RAG
service, closed and open questions over passages retrieved into the system prompt; round 8:
agents acting through general tools or in other words and languages, plans vs memos;
round 9: agents asked to act in the form of a question, or asked a real question; round 10:
questions over documentation, open or labelling/lookup under a RAG instruction; round 11:
agents told to change state in verbs no list holds, or asked to look with the same tools;
round 12: documentation pasted with code or HTML, plans proposed to agents, actions in verbs
no set holds, plans vs memos; round 13: documentation in German, Spanish and Italian,
overviews of pasted code, actions in verbs no list holds)
predicted by models that never saw their template.

Run: python bench/class_round3.py   (needs the ``train`` extra; ~5 fits, minutes)
     python bench/class_round3.py --packaged [CORPUS.jsonl.gz]   (the packaged model of the
     code on the path predicts the rows, no fitting: the "before" of rows it never saw)
     python bench/class_round3.py --predictions FILE   (no fitting: the held-out predictions
     bench/class_refit.py kept; ``class_train`` fits each template fold on the same rows as
     this script, every public source included, so its team rows' predictions are these)
Team templates are split into 5 folds by template id, as in ``class_train``; the public
sources stay in training (they are held out whole in docs/router/classes.md). Prints class
accuracy and class-stage tier agreement (the true class's default tier against the
predicted class's) per slice. For the figure before round 3, route the same rows with the
model and code of commit fc2f025 (the rows never fed it).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable

from tierwise.core.class_model import BlendedClassifier, hashed_features
from tierwise.core.taxonomy import DEFAULT_CLASS_RULES, TASK_CLASSES
from tierwise.router.class_train import DEFAULT_BITS, _fold_of, _group, _parts, fit, load_corpus

ROUNDS = (
    "r3-",
    "r4-",
    "r5-",
    "r6-",
    "r7-",
    "r8-",
    "r9-",
    "r10-",
    "r11-",
    "r12-",
    "r13-",
    "r14-",
    "r15-",
    "r16-",
    "r17-",
    "r18-",
)
OPUS = ("complex_analysis", "research_synthesis", "high_stakes_agent")
HAIKU_ASKS = ("extract", "short_form", "triage", "classify")

SLICES: dict[str, Callable[[str, str], bool]] = {
    "all team templates": lambda t, g: True,
    "team templates before round 3": lambda t, g: not g.startswith(ROUNDS),
    "r3 agents about to act (high_stakes_agent)": lambda t, g: (
        g.startswith("r3-agent") and t == "high_stakes_agent"
    ),
    "r3 agents only looking (agent_step)": lambda t, g: (
        g.startswith("r3-agent") and t == "agent_step"
    ),
    "r3 RAG in the system prompt": lambda t, g: g.startswith("r3-rag"),
    "r3 other languages": lambda t, g: g.startswith("r3-foreign"),
    "r3 one forced tool": lambda t, g: g.startswith("r3-forced"),
    "r4 agents about to act (high_stakes_agent)": lambda t, g: (
        g.startswith("r4-agent") and t == "high_stakes_agent"
    ),
    "r4 agents only looking (agent_step)": lambda t, g: (
        g.startswith("r4-agent") and t == "agent_step"
    ),
    "r5 all": lambda t, g: g.startswith("r5-"),
    "r5 Opus-class rows": lambda t, g: g.startswith("r5-") and t in OPUS,
    "r5 cheaper rows on the same materials": lambda t, g: g.startswith("r5-") and t not in OPUS,
    "r5 analysis over a table (complex_analysis)": lambda t, g: g.startswith("r5-table-complex"),
    "r5 table, cheaper asks": lambda t, g: g.startswith("r5-table-") and t != "complex_analysis",
    "r5 trade-off with numbers (complex_analysis)": lambda t, g: g.startswith(
        "r5-tradeoff-complex"
    ),
    "r5 trade-off look-alikes (math)": lambda t, g: g.startswith("r5-tradeoff-math"),
    "r5 write a plan/memo/proposal (complex_analysis)": lambda t, g: g.startswith(
        "r5-plan-complex"
    ),
    "r5 memos and posts (content_writing)": lambda t, g: g.startswith("r5-plan-content"),
    "r5 pasted sources (research_synthesis)": lambda t, g: g.startswith("r5-sources-research"),
    "r5 pasted sources, cheaper asks": lambda t, g: (
        g.startswith("r5-sources-") and t != "research_synthesis"
    ),
    "r5 long material, terse ask (extract, short_form)": lambda t, g: (
        g.startswith("r5-long-") and t in ("extract", "short_form")
    ),
    "r5 long material, other asks": lambda t, g: (
        g.startswith("r5-long-") and t not in ("extract", "short_form")
    ),
    "r5 agents about to act (high_stakes_agent)": lambda t, g: (
        g.startswith(("r5-agent", "r5-confirm")) and t == "high_stakes_agent"
    ),
    "r5 agents only looking (agent_step)": lambda t, g: (
        g.startswith(("r5-agent", "r5-confirm")) and t == "agent_step"
    ),
    "r5 confirmed in a word (high_stakes_agent)": lambda t, g: g.startswith("r5-confirm-high"),
    "r6 all": lambda t, g: g.startswith("r6-"),
    "r6 terse Haiku-class asks over long material": lambda t, g: (
        g.startswith("r6-") and t in HAIKU_ASKS
    ),
    "r6 Sonnet-class asks on the same materials": lambda t, g: (
        g.startswith("r6-") and t not in HAIKU_ASKS
    ),
    "r6 extract": lambda t, g: g.startswith("r6-long-extract-"),
    "r6 short_form": lambda t, g: g.startswith("r6-long-short_form-"),
    "r6 triage": lambda t, g: g.startswith("r6-long-triage-"),
    "r6 classify": lambda t, g: g.startswith("r6-long-classify-"),
    "r7 all (RAG service, passages in the system prompt)": lambda t, g: g.startswith("r7-"),
    "r7 closed asks (classify, extract)": lambda t, g: (
        g.startswith("r7-") and t in ("classify", "extract")
    ),
    "r7 classify": lambda t, g: g.startswith("r7-rag-classify-"),
    "r7 extract": lambda t, g: g.startswith("r7-rag-extract-"),
    "r7 open asks (rag_qa)": lambda t, g: g.startswith("r7-rag-rag_qa-"),
    "r7 asked in German, French, Spanish": lambda t, g: g.startswith("r7-") and g.count("-") == 4,
    "r8 agents about to act (high_stakes_agent)": lambda t, g: (
        g.startswith(("r8-agent", "r8-confirm")) and t == "high_stakes_agent"
    ),
    "r8 agents only looking (agent_step)": lambda t, g: (
        g.startswith(("r8-agent", "r8-confirm")) and t == "agent_step"
    ),
    "r8 confirmed in a word (high_stakes_agent)": lambda t, g: g.startswith("r8-confirm-high"),
    "r8 other agent steps, neither look nor act (agent_step)": lambda t, g: g.startswith(
        "r8-steps"
    ),
    "r8 write a plan/memo/brief (complex_analysis)": lambda t, g: g.startswith("r8-plan-complex"),
    "r8 memos and notes (content_writing)": lambda t, g: g.startswith("r8-plan-content"),
    "r9 asked to act in a question (high_stakes_agent)": lambda t, g: (
        g.startswith("r9-agent") and t == "high_stakes_agent"
    ),
    "r9 asked a real question (agent_step)": lambda t, g: (
        g.startswith("r9-agent") and t == "agent_step"
    ),
    "r11 told to change state, unlisted verbs (high_stakes_agent)": lambda t, g: (
        g.startswith("r11-agent") and t == "high_stakes_agent"
    ),
    "r11 asked to look, same tools (agent_step)": lambda t, g: (
        g.startswith("r11-agent") and t == "agent_step"
    ),
    "r10 all (questions over documentation)": lambda t, g: g.startswith("r10-"),
    "r10 open questions (rag_qa)": lambda t, g: g.startswith("r10-docs-rag_qa-"),
    "r10 labelling (classify)": lambda t, g: g.startswith("r10-docs-classify-"),
    "r10 lookups (extract)": lambda t, g: g.startswith("r10-docs-extract-"),
    "r10 asked in German, French, Spanish": lambda t, g: g.startswith("r10-") and g.count("-") == 4,
    "r12 docs with code/HTML, all": lambda t, g: g.startswith("r12-docs-"),
    "r12 docs, open questions (rag_qa)": lambda t, g: g.startswith("r12-docs-rag_qa-"),
    "r12 docs, overviews (summarize)": lambda t, g: g.startswith("r12-docs-summarize-"),
    "r12 docs, lookups (extract)": lambda t, g: g.startswith("r12-docs-extract-"),
    "r12 docs asked in German, French, Spanish": lambda t, g: (
        g.startswith("r12-docs-") and g.count("-") == 4
    ),
    "r12 plans proposed to agents (complex_analysis)": lambda t, g: g.startswith("r12-propose-"),
    "r12 told to act, verbs in no set (high_stakes_agent)": lambda t, g: (
        g.startswith("r12-agent") and t == "high_stakes_agent"
    ),
    "r12 asked to look, same tools (agent_step)": lambda t, g: (
        g.startswith("r12-agent") and t == "agent_step"
    ),
    "r12 plans (complex_analysis)": lambda t, g: g.startswith("r12-plan-complex"),
    "r12 memos and notes (content_writing)": lambda t, g: g.startswith("r12-plan-content"),
    "r13 docs in German, Spanish, Italian, all": lambda t, g: g.startswith("r13-docs-"),
    "r13 docs, open questions (rag_qa)": lambda t, g: g.startswith("r13-docs-rag_qa-"),
    "r13 docs, overviews (summarize)": lambda t, g: g.startswith("r13-docs-summarize-"),
    "r13 docs, lookups (extract)": lambda t, g: g.startswith("r13-docs-extract-"),
    "r13 docs in German": lambda t, g: g.startswith("r13-docs-") and "-de-" in g,
    "r13 docs in Spanish": lambda t, g: g.startswith("r13-docs-") and "-es-" in g,
    "r13 docs in Italian": lambda t, g: g.startswith("r13-docs-") and "-it-" in g,
    "r13 overviews of pasted code (summarize)": lambda t, g: g.startswith("r13-code-summarize"),
    "r13 changes to the same code (routine_code)": lambda t, g: g.startswith("r13-code-routine"),
    "r13 bugs in the same code (code_debug)": lambda t, g: g.startswith("r13-code-code_debug"),
    "r13 told to act, verbs in no list (high_stakes_agent)": lambda t, g: (
        g.startswith("r13-agent") and t == "high_stakes_agent"
    ),
    "r13 asked to look, same tools (agent_step)": lambda t, g: (
        g.startswith("r13-agent") and t == "agent_step"
    ),
    "r14 all": lambda t, g: g.startswith("r14-"),
    "r14 fields from number-heavy text (extract)": lambda t, g: g.startswith("r14-extract-"),
    "r14 conversions (transform)": lambda t, g: g.startswith("r14-transform-"),
    "r14 open questions (general_qa)": lambda t, g: g.startswith("r14-qa-"),
    "r14 support replies over docs (support_reply)": lambda t, g: g.startswith("r14-support-"),
    "r15 all": lambda t, g: g.startswith("r15-"),
    "r15 open questions with numbers (general_qa)": lambda t, g: g.startswith("r15-qa-num-"),
    "r15 calculations on such numbers (math)": lambda t, g: g.startswith("r15-math-num-"),
    "r15 questions asked 'broadly' (general_qa)": lambda t, g: g.startswith("r15-qa-broad-"),
    "r15 summaries asked 'broadly' (summarize)": lambda t, g: g.startswith("r15-sum-broad-"),
    "r15 conversions as a follow-up (transform)": lambda t, g: g.startswith("r15-transform-as-"),
    "r15 answers given in a format (classify/extract)": lambda t, g: g.startswith("r15-as-answer-"),
    "r15 advice, inverted verb (general_qa)": lambda t, g: g.startswith("r15-qa-inv-"),
    "r15 brand copy (content_writing)": lambda t, g: g.startswith("r15-content-"),
    "r15 routine code (routine_code)": lambda t, g: g.startswith("r15-code-"),
    "r16 all": lambda t, g: g.startswith("r16-"),
    "r16 open questions with numbers (general_qa)": lambda t, g: g.startswith("r16-qa-num-"),
    "r16 calculations, no maths word (math)": lambda t, g: g.startswith("r16-math-plain-"),
    "r16 crash/exception in other senses": lambda t, g: g.startswith("r16-crash-"),
    "r16 settings with a debug level": lambda t, g: g.startswith("r16-settings-"),
    "r16 real debugging (code_debug)": lambda t, g: g.startswith("r16-debug-"),
    "r17 all": lambda t, g: g.startswith("r17-"),
    "r17 team structure, advice with numbers (general_qa)": lambda t, g: g.startswith("r17-org-"),
    "r17 lookups over an org chart (extract)": lambda t, g: g.startswith("r17-orgchart-"),
    "r17 advice with numbers (general_qa)": lambda t, g: g.startswith("r17-advice-"),
    "r17 calculations on such numbers (math)": lambda t, g: g.startswith("r17-calc-"),
    "r17 faults told in prose (code_debug)": lambda t, g: g.startswith("r17-fault-"),
    "r17 how-tos naming a format (routine_code)": lambda t, g: g.startswith("r17-howto-"),
    "r17 conversions of given data (transform)": lambda t, g: g.startswith("r17-convert-"),
    "r17 JS/TS errors, no cue word (code_debug)": lambda t, g: g.startswith("r17-jserr-"),
    "r17 every class": lambda t, g: g.startswith("r17-class-"),
    "r18 all": lambda t, g: g.startswith("r18-"),
    "r18 software faults to route (triage)": lambda t, g: g.startswith("r18-bugtriage-"),
    "r18 software faults to fix (code_debug)": lambda t, g: g.startswith("r18-bugfix-"),
    "r18 mechanical rewrites (transform)": lambda t, g: g.startswith("r18-rewrite-"),
    "r18 pieces written from notes (content_writing)": lambda t, g: g.startswith("r18-writeup-"),
    "r18 customer messages to translate": lambda t, g: g.startswith("r18-msgtranslate-"),
    "r18 short text about code (short_form)": lambda t, g: g.startswith("r18-codeshort-"),
    "r18 small talk (chit_chat)": lambda t, g: g.startswith("r18-chat-"),
    "r18 labels over numbers (classify)": lambda t, g: g.startswith("r18-numlabel-"),
    "r18 agents told in a need (high_stakes_agent)": lambda t, g: g.startswith("r18-agentneed-"),
    "r18 the same agents asked to look (agent_step)": lambda t, g: g.startswith("r18-agentlook-"),
    "r18 decisions over a table (complex_analysis)": lambda t, g: g.startswith("r18-tabledecide-"),
    "r18 values from a table (extract)": lambda t, g: g.startswith("r18-tablelookup-"),
    "r18 maths in words of software (math)": lambda t, g: g.startswith("r18-matherr-"),
    "r18 short advice about a team (general_qa)": lambda t, g: g.startswith("r18-advice-"),
    "r18 restructurings to weigh (complex_analysis)": lambda t, g: g.startswith("r18-plan-"),
    "r18 small answers over hard material": lambda t, g: g.startswith("r18-smallans-"),
}


def packaged(path: str | None) -> list[tuple[str, str, str]]:
    from pathlib import Path

    from tierwise.router.class_weights import load_class_model

    rows = load_corpus(Path(path)) if path else load_corpus()
    model = load_class_model()
    assert model is not None, "no packaged class model"
    blend = BlendedClassifier(model)
    pairs = []
    for row in rows:
        g = _group(row)
        if g.startswith(ROUNDS):
            probs = blend.probabilities(*_parts(row["request"]))
            pairs.append((row["class"], max(TASK_CLASSES, key=lambda c: probs[c]), g))
    return pairs


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--packaged":
        report(packaged(sys.argv[2] if len(sys.argv) > 2 else None))
        return 0
    if len(sys.argv) > 2 and sys.argv[1] == "--predictions":
        from class_refit import load_predictions

        kept = load_predictions(sys.argv[2]).pairs
        report([(t, p, g) for t, p, g in kept if not g.startswith("source:")])
        return 0
    rows = load_corpus()
    parts = [_parts(r["request"]) for r in rows]
    feats = [hashed_features(f, sy, us, DEFAULT_BITS) for f, sy, us in parts]
    groups = [_group(r) for r in rows]
    folds = 5
    pairs: list[tuple[str, str, str]] = []
    for i in range(folds):
        held = {g for g in set(groups) if not g.startswith("source:") and _fold_of(g, folds) == i}
        train = [j for j, g in enumerate(groups) if g not in held]
        started = time.monotonic()
        blend = BlendedClassifier(fit([rows[j] for j in train], features=[feats[j] for j in train]))
        for j, g in enumerate(groups):
            if g in held:
                probs = blend.probabilities(*parts[j])
                pairs.append((rows[j]["class"], max(TASK_CLASSES, key=lambda c: probs[c]), g))
        print(f"fold {i + 1}/{folds}: {time.monotonic() - started:.0f}s", file=sys.stderr)
    report(pairs)
    return 0


def report(pairs: list[tuple[str, str, str]]) -> None:
    for name, keep in SLICES.items():
        mine = [(t, p) for t, p, g in pairs if keep(t, g)]
        ok = sum(t == p for t, p in mine)
        tier = sum(DEFAULT_CLASS_RULES[t].tier is DEFAULT_CLASS_RULES[p].tier for t, p in mine)
        n = len(mine)
        if not n:
            continue
        print(f"{name:<44} n={n:5d}  class {ok / n:.3f}  tier {tier / n:.3f}")
    for rnd in ROUNDS:
        wrong = Counter((t, p) for t, p, g in pairs if g.startswith(rnd) and t != p)
        print(f"{rnd.rstrip('-')} confusions (true -> predicted: count):")
        for (t, p), n in wrong.most_common(10 if rnd in ("r3-", "r4-") else 16):
            print(f"  {t} -> {p}: {n}")


if __name__ == "__main__":
    sys.exit(main())

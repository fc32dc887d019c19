"""Task classes: what kind of work a request is, and the policy line each class follows.

Routing starts from the task class: each class has a default tier (and optionally a
thinking budget) in ``[routing.classes.<name>]``, which a team changes with one line once
its own measurements say a cheaper tier clears its bar. Difficulty then moves a request at
most one tier from that default (see :mod:`tierwise.core.routing`).

All of a request is evidence for its class, not only the last user turn: the system prompt
(a labeler asking for one word), the tools offered and what their names say they do (an
agent that can delete or execute, mid-loop), retrieved passages and documents, images, the
length of the conversation and the requested output size. :func:`class_features` turns
those into named features; a :class:`ClassScorer` (the trained linear model in
:mod:`tierwise.core.class_model`, or the :class:`CueClassifier` fallback) turns features
into a probability per class.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from tierwise.core.signals import Signals
from tierwise.core.taxonomy import FALLBACK_CLASS, TASK_CLASSES
from tierwise.core.tool_risk import tool_words

__all__ = [
    "ClassPrediction",
    "ClassScorer",
    "CueClassifier",
    "class_features",
    "softmax",
]


class _Order(dict[str, int]):
    """A class's place in TASK_CLASSES, the tie-break of from_probs, without a list search
    per item; a name not in it is the ValueError ``TASK_CLASSES.index`` gave."""

    def __missing__(self, name: str) -> int:
        return TASK_CLASSES.index(name)


_CLASS_ORDER = _Order((name, i) for i, name in enumerate(TASK_CLASSES))


@dataclass(frozen=True, slots=True)
class ClassPrediction:
    """The most likely class, its probability, the runner-up's, and the whole posterior
    (routing sums it per tier to avoid a Haiku<->Opus crossing on a split posterior)."""

    name: str
    confidence: float
    runner_up: str
    runner_up_confidence: float
    scorer: str
    probs: Mapping[str, float] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_probs(cls, probs: Mapping[str, float], scorer: str) -> ClassPrediction:
        ranked = sorted(probs.items(), key=lambda kv: (-kv[1], _CLASS_ORDER[kv[0]]))
        (top, p1), (second, p2) = ranked[0], ranked[1]
        return cls(top, p1, second, p2, scorer, MappingProxyType(dict(probs)))


class ClassScorer(Protocol):
    """What routing needs from a task-class model."""

    @property
    def version(self) -> str: ...

    def probabilities(
        self, features: Mapping[str, float], system: str, user: str
    ) -> dict[str, float]:
        """P(class) for every name in :data:`TASK_CLASSES` (summing to 1), from the
        structural features, the system prompt and the user text (head and tail)."""
        ...


def softmax(logits: Mapping[str, float]) -> dict[str, float]:
    top = max(logits.values())
    exps = {k: math.exp(v - top) for k, v in logits.items()}
    total = sum(exps.values())
    return {k: v / total for k, v in exps.items()}


_QUESTION = re.compile(r"\?\s*$")
_SYSTEM_ONE_WORD = re.compile(
    r"\b(?:one|single|1)[- ](?:word|label|letter|token)\b|\bonly (?:the|one) (?:label|category"
    r"|word|letter)\b|\bno (?:explanation|other text)\b",
    re.IGNORECASE,
)


def _bucket(n: int, edges: tuple[int, ...]) -> str:
    for edge in edges:
        if n <= edge:
            return str(edge)
    return f">{edges[-1]}"


def class_features(s: Signals) -> dict[str, float]:
    """Named structural features of a request (every part of it), for the class models.

    Cue names come from :mod:`tierwise.core.signals`; ``sys.*`` cues are those found in
    the system prompt alone, so "the labeler's instructions say one word" is its own fact.
    """
    f: dict[str, float] = {f"cue:{c}": 1.0 for c in s.cues}
    f.update({f"sys:{c}": 1.0 for c in s.system_cues})
    if s.system_text:
        f["has_system"] = 1.0
        # A long system prompt with a short question is often a knowledge base or retrieved
        # documents placed there (RAG), rather than in the user turn.
        f[f"syslen:{_bucket(len(s.system_text), (200, 1000, 4000))}"] = 1.0
        if _SYSTEM_ONE_WORD.search(s.system_text[:4000]):
            f["sys:one_word"] = 1.0
    f[f"len:{_bucket(len(s.user_text), (40, 200, 1000, 4000, 20000))}"] = 1.0
    f[f"out:{s.output_length}"] = 1.0
    if s.max_tokens is not None:
        f[f"max_tokens:{_bucket(s.max_tokens, (16, 64, 512, 4096))}"] = 1.0
    if s.tool_count:
        f["tools"] = 1.0
        f[f"tools:{_bucket(s.tool_count, (1, 3, 9))}"] = 1.0
        risky = s.risky_tools
        if risky:
            f["tools:destructive"] = 1.0
            f["tools:destructive_share"] = len(risky) / s.tool_count
            # About to act: the user asks for an irreversible action (or the request names
            # one: production, a wire transfer) and a tool that can do it is offered.
            # Only looking ("show", "list", "how many...?") with the same tools offered is
            # an ordinary agent step, mid-loop or not.
            if s.action_requested or ("high_stakes" in s.cues and not s.read_only_ask):
                f["tools:destructive_asked"] = 1.0
            elif s.read_only_ask:
                f["tools:read_only_ask"] = 1.0
        elif s.forced_tool_choice and s.tool_count == 1:
            # One tool the model must call: structured output (extraction, a label), not
            # an agent choosing what to do.
            f["tools:forced_single"] = 1.0
        else:
            f["tools:read_only"] = 1.0
        for name in s.tool_names[:20]:
            for word in tool_words(name):
                f[f"toolword:{word}"] = 1.0
    if s.tool_results:
        f["tool_results"] = 1.0
        if s.risky_tools and not s.read_only_ask:
            f["tools:destructive_in_loop"] = 1.0
    if s.passages or s.documents:
        f[f"passages:{_bucket(s.passages + s.documents, (1, 3, 6))}"] = 1.0
    if s.documents:
        f["documents"] = 1.0
    if s.table_rows:
        f[f"table:{_bucket(s.table_rows, (3, 8, 20))}"] = 1.0
    if s.analysis_facets >= 2:
        f[f"facets:{_bucket(s.analysis_facets, (2, 3, 5))}"] = 1.0
    if s.labelled_blocks >= 2:
        f[f"blocks:{_bucket(s.labelled_blocks, (2, 4, 8))}"] = 1.0
    if s.small_answer:
        # A small answer asked for, over long material too: the bulk of an email thread, a
        # log or a table does not make "which queue?" or "these 4 fields" Sonnet work.
        f["small_answer"] = 1.0
        if len(s.user_text) > 1000:
            f["small_answer:long"] = 1.0
    if s.images:
        f["images"] = 1.0
    if s.code_lines:
        f[f"code:{_bucket(s.code_lines, (10, 60, 300))}"] = 1.0
    if s.files_referenced:
        f[f"files:{_bucket(s.files_referenced, (1, 3))}"] = 1.0
    if s.message_count > 1:
        f[f"turns:{_bucket(s.message_count, (3, 9))}"] = 1.0
    if _QUESTION.search(s.user_text[-200:]):
        f["ends_with_question"] = 1.0
    return f


# The fallback classifier's evidence: feature -> {class: logit}. Hand-set, readable, and
# used only when no trained class model is available (or as a sanity check against one).
_CUE_WEIGHTS: dict[str, dict[str, float]] = {
    "cue:classification": {"classify": 3.0},
    "cue:closed_label_set": {"classify": 2.0, "triage": 1.0},
    "sys:one_word": {"classify": 2.5, "triage": 1.0, "extract": 0.5},
    "sys:closed_label_set": {"classify": 1.0},
    "sys:classification": {"classify": 1.0},
    "cue:yes_no": {"classify": 1.5},
    "cue:triage": {"triage": 4.0},
    "cue:extraction": {"extract": 3.0},
    "cue:json_keys": {"extract": 1.5, "transform": 0.5},
    "cue:format_conversion": {"transform": 3.0},
    "cue:translation": {"translate": 3.5},
    "cue:short_form": {"short_form": 3.0},
    "cue:chit_chat": {"chit_chat": 2.5},
    # An open question about the world with no material and no task's words (round 15):
    # what the numbers in "What happened in 1648?" or "the 3 biggest changes" are not. As
    # strong as the maths task cue (round 16: at 1.5 a question's "3" or "24", read by the
    # trained model as a word problem's, still outweighed it); it fires only with no
    # material, no tools and no other cue.
    "cue:explanation_ask": {"general_qa": 2.0},
    "cue:summarization": {"summarize": 3.0},
    "cue:rag": {"rag_qa": 2.5},
    "cue:support_reply": {"support_reply": 3.5},
    "sys:support_reply": {"support_reply": 1.0},
    "cue:draft": {"content_writing": 3.0},
    "cue:routine_code": {"routine_code": 2.5},
    "cue:debugging": {"code_debug": 2.5},
    "cue:analysis": {"document_analysis": 2.5},
    "cue:math": {"math": 2.0, "proof": 0.5},
    "cue:math_task": {"math": 2.0},
    "cue:step_by_step": {"math": 0.5},
    "cue:proof": {"proof": 4.0},
    "cue:architecture": {"complex_analysis": 3.0},
    "cue:planning": {"complex_analysis": 1.5},
    "cue:refactor": {"routine_code": 1.0, "complex_analysis": 1.0},
    "cue:codebase": {"complex_analysis": 1.5},
    "cue:research": {"research_synthesis": 3.5},
    # A decision asked for (recommend, which option, weigh...) is planning and analysis,
    # also when it says "write a memo" or comes with a table of figures.
    "cue:decision": {"complex_analysis": 2.0},
    # Several labelled sources pasted with an ask to weigh them: synthesis, not a summary.
    "facets:3": {"complex_analysis": 0.5},
    "facets:5": {"complex_analysis": 1.0},
    "facets:>5": {"complex_analysis": 1.5},
    "blocks:4": {"research_synthesis": 0.5},
    "blocks:8": {"research_synthesis": 1.0},
    "blocks:>8": {"research_synthesis": 1.0},
    "cue:reconcile": {"research_synthesis": 3.0},
    "cue:high_stakes": {"high_stakes_agent": 2.0},
    "tools": {"agent_step": 2.5},
    "tool_results": {"agent_step": 1.0},
    # Mid-loop with a risky tool is weak evidence by itself (the agent may only be looking);
    # the user asking for the irreversible action is strong.
    "tools:destructive_in_loop": {"high_stakes_agent": 1.0},
    "tools:destructive_asked": {"high_stakes_agent": 3.0},
    "tools:read_only": {"agent_step": 0.5},
    "tools:read_only_ask": {"agent_step": 1.0},
    "tools:forced_single": {"agent_step": -2.5, "extract": 0.5, "classify": 0.5},
    "passages:3": {"rag_qa": 1.5},
    "passages:6": {"rag_qa": 1.5, "research_synthesis": 1.0},
    "passages:>6": {"rag_qa": 1.0, "research_synthesis": 2.0},
    "documents": {"document_analysis": 1.5},
    "code:10": {"routine_code": 0.5, "code_debug": 0.5},
    "code:60": {"routine_code": 1.0, "code_debug": 1.0},
    "code:300": {"routine_code": 1.0, "code_debug": 1.0},
    "code:>300": {"complex_analysis": 1.5, "code_debug": 1.0},
    "files:>3": {"complex_analysis": 1.5},
    "len:40": {"chit_chat": 0.3},
    "out:short": {"classify": 0.5, "extract": 0.3, "short_form": 0.3},
    # The answer will be small (a label, yes/no, given fields, one line): evidence for the
    # Haiku classes together, as strong as a difficulty cue is against them.
    "small_answer": {"classify": 1.0, "triage": 1.0, "extract": 1.0, "short_form": 1.0},
    "small_answer:long": {"classify": 0.5, "triage": 0.5, "extract": 0.5, "short_form": 0.5},
    "out:long": {"content_writing": 0.5, "research_synthesis": 0.5, "complex_analysis": 0.5},
}


# Round 18 (issue 12, part 4: small-answer cues count as much as difficulty cues): a small
# answer asked for (one word, yes/no, one line, JSON with given keys) gives the Haiku classes as
# much as the strongest cue of Opus-class work in the same request gives its class, so "Is this
# proof by induction, contradiction or construction? One word." is no more a proof than a
# label; the label, JSON-key and one-word cues then decide among the Haiku classes. Not the
# high-stakes cue: a one-word confirmation of an irreversible step is still that step.
_DIFFICULTY_CUES = (
    "cue:proof",
    "cue:reconcile",
    "cue:research",
    "cue:architecture",
    "cue:decision",
    "cue:planning",
    "cue:codebase",
)
_SMALL_ANSWER_CLASSES = tuple(_CUE_WEIGHTS["small_answer"])
_SMALL_ANSWER_WEIGHT = max(_CUE_WEIGHTS["small_answer"].values())


def _small_answer_top_up(features: Mapping[str, float]) -> float:
    """What the Haiku classes get besides ``small_answer``'s own weight: the strongest
    difficulty cue's weight beyond it (0 with no small answer or no such cue)."""
    if not features.get("small_answer"):
        return 0.0
    hard = max(
        (max(_CUE_WEIGHTS[name].values()) for name in _DIFFICULTY_CUES if features.get(name)),
        default=0.0,
    )
    return max(0.0, hard - _SMALL_ANSWER_WEIGHT)


class CueClassifier:
    """Task classes from hand-set cue weights: the classifier used without a trained model.

    ``fallback_logit`` is the head start of :data:`FALLBACK_CLASS`, so that with no evidence
    at all a request is a general question. Blended with a trained model it is 0: the model
    has its own class priors, and a head start there made ``general_qa`` the landing place
    of every unfamiliar wording (held-out-template precision 0.05, docs/router/classes.md).
    """

    def __init__(self, fallback_logit: float = 1.0) -> None:
        self.fallback_logit = fallback_logit
        self.version = "cues-v1" if fallback_logit == 1.0 else f"cues-v1-fallback{fallback_logit:g}"

    def probabilities(
        self, features: Mapping[str, float], system: str, user: str
    ) -> dict[str, float]:
        logits = dict.fromkeys(TASK_CLASSES, 0.0)
        logits[FALLBACK_CLASS] = self.fallback_logit
        for name, value in features.items():
            for cls, weight in _CUE_WEIGHTS.get(name, {}).items():
                logits[cls] += weight * value
        top_up = _small_answer_top_up(features)
        if top_up:
            for cls in _SMALL_ANSWER_CLASSES:
                logits[cls] += top_up
        return softmax(logits)

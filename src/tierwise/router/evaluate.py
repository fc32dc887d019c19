"""Leave-one-source-out evaluation of the difficulty stage (``tierwise router eval``).

For every source with outcomes, the difficulty stage is refitted on the *other* training
sources (near-duplicate questions of the held-out source removed from them too), then it
scores the held-out source. Compared on the same prompts:

* prompt length (characters): what a router that knows nothing else would do;
* stem length (characters of :func:`question_stem`): the question without its enumerated
  answer options and a trailing answer cue. Multiple-choice options are material the
  question gives, not work it asks for, and counting them makes length a weaker baseline
  than it can be (docs/router/difficulty.md, round 6); the report holds the stage against
  the stronger of the two;
* TF-IDF + logistic regression (word 1-2 grams) trained on the same rows and weights.

Per source: AUROC of "the cheaper tier fails" (with 95% bootstrap intervals, and paired
intervals of the difference to each baseline), APGR and CPT(50%)/CPT(80%) from RouteLLM's
quality-vs-strong-calls curve, and the AUROC of the rescue head on the prompts the cheaper
model failed. Arena-Hard prompts (no outcomes) are scored by a model fitted on every
training source, as a known-hard check. Writes ``eval.json``, ``eval.md`` and ``eval.png``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tierwise.core.difficulty import Featurizer
from tierwise.router.dataset import EVAL_ONLY, LABEL_CAVEATS, Example
from tierwise.router.metrics import apgr, cpt, curve
from tierwise.router.train import (
    PACKAGED,
    Matrix,
    Penalty,
    choose_penalty,
    featurize,
    fit_head,
    source_weights,
)

__all__ = [
    "METHODS",
    "Interval",
    "Report",
    "SourceResult",
    "evaluate",
    "question_stem",
    "write_report",
]

OURS = "difficulty stage"
LENGTH = "prompt length"
STEM = "stem length"
TFIDF = "TF-IDF + LR"
METHODS = (OURS, LENGTH, STEM, TFIDF)
LENGTHS = (LENGTH, STEM)
RESAMPLES = 500
SEED = 0


# An answer option's line: "A. ...", "A) ...", "(A) ...", "A: ..." (any letter, either case).
_OPTION_LINE = re.compile(r"^[ \t]*(?:\(([A-Za-z])\)|([A-Za-z])[.):])[ \t]+\S")
# A bare answer cue after the options ("Answer:", "Answer: ", "The answer is"): boilerplate.
_ANSWER_CUE = re.compile(r"^\s*(?:the\s+)?(?:answer|choice)(?:\s+is)?\s*:?\s*$", re.IGNORECASE)


def question_stem(text: str) -> str:
    """``text`` without its enumerated answer options and a bare answer cue after them.

    The options are a run of two or more consecutive lines labelled with consecutive
    letters from A (``A.``, ``A)``, ``(A)`` or ``A:``, upper or lower case, one format
    through the run). Text before the run and after it (an instruction such as "Explain
    your choice.") is kept; a line after it that is only an answer cue ("Answer:") is
    dropped. The same rule on every source: a prompt without such a run (a word problem,
    an open request, a numbered list of steps) is its own stem.
    """
    lines = text.split("\n")
    for start, line in enumerate(lines):
        first = _label(line)
        if first is None or first[0] not in "Aa":
            continue
        end = start + 1
        while end < len(lines):
            label = _label(lines[end])
            next_letter = chr(ord(first[0]) + end - start)
            if label is None or label != (next_letter, first[1]):
                break
            end += 1
        if end - start >= 2:
            rest = [kept for kept in lines[end:] if not _ANSWER_CUE.match(kept)]
            return "\n".join(lines[:start] + rest).strip()
    return text.strip()


def _label(line: str) -> tuple[str, str] | None:
    """(letter, format) of an option line, or None."""
    m = _OPTION_LINE.match(line)
    if m is None:
        return None
    if m.group(1):
        return m.group(1), "()"
    return m.group(2), line.lstrip()[1]


@dataclass(frozen=True)
class Interval:
    value: float
    lo: float
    hi: float

    def text(self, digits: int = 3) -> str:
        return f"{self.value:.{digits}f} [{self.lo:.{digits}f}, {self.hi:.{digits}f}]"


@dataclass
class MethodResult:
    auroc: Interval
    apgr: Interval
    cpt50: float
    cpt80: float
    curve: list[tuple[float, float]]


@dataclass
class SourceResult:
    source: str
    size: int
    fail_rate: float
    trained_on: list[str]
    train_rows: int
    methods: dict[str, MethodResult]
    auroc_gain: dict[str, Interval]
    """Ours minus each baseline, paired bootstrap."""
    rescue_auroc: Interval | None
    rescue_rows: int
    in_packaged_training: bool
    penalty_hashed: float = PACKAGED.hashed
    """The n-gram penalty of this fold: chosen without the held-out source."""
    penalty_scores: dict[str, float] = field(default_factory=dict)
    """Inner leave-one-source-out mean AUROC of each candidate penalty."""

    @property
    def beats_baselines(self) -> bool:
        """Above every baseline: TF-IDF and both ways of counting length."""
        ours = self.methods[OURS].auroc.value
        return all(ours > m.auroc.value for k, m in self.methods.items() if k != OURS)

    @property
    def stronger_length(self) -> str:
        """The length baseline (whole prompt or stem) with the higher AUROC here."""
        present = [k for k in LENGTHS if k in self.methods]
        return max(present, key=lambda k: self.methods[k].auroc.value)

    @property
    def beats_length(self) -> bool:
        """Above the stronger of the two length baselines."""
        return self.methods[OURS].auroc.value > self.methods[self.stronger_length].auroc.value


@dataclass
class Report:
    sources: list[SourceResult] = field(default_factory=list)
    arena_hard: dict[str, float] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"settings": self.settings, "arena_hard": self.arena_hard}
        out["sources"] = []
        for s in self.sources:
            row = asdict(s)
            row["beats_every_baseline"] = s.beats_baselines
            row["stronger_length_baseline"] = s.stronger_length
            row["beats_stronger_length"] = s.beats_length
            out["sources"].append(row)
        return out


def _auroc(labels: Any, scores: Any) -> float:
    import numpy as np
    from sklearn.metrics import roc_auc_score

    if len(np.unique(labels)) < 2:
        raise ValueError("AUROC needs both classes")  # a resample with one class: skipped
    return float(roc_auc_score(labels, scores))


def _bootstrap(
    n: int, stat: Callable[[Any], Sequence[float]], resamples: int = RESAMPLES
) -> list[list[float]]:
    """``stat`` on ``resamples`` resamples of range(n) (fixed seed); one list per output."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    out: list[list[float]] = []
    for _ in range(resamples):
        pick = rng.integers(0, n, n)
        try:
            values = stat(pick)
        except ValueError:  # a resample with one class only
            continue
        for k, v in enumerate(values):
            if len(out) <= k:
                out.append([])
            out[k].append(v)
    return out


def _interval(value: float, samples: Sequence[float]) -> Interval:
    import numpy as np

    if not samples:
        return Interval(value, float("nan"), float("nan"))
    lo, hi = np.percentile(samples, [2.5, 97.5])
    return Interval(value, float(lo), float(hi))


def _tfidf(
    train: Sequence[Example], weights: Sequence[float], held: Sequence[Example]
) -> list[float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x = vectorizer.fit_transform([e.prompt for e in train])
    model = LogisticRegression(max_iter=2000, random_state=SEED)
    model.fit(x, [int(e.weak_fails) for e in train], sample_weight=list(weights))
    probs = model.predict_proba(vectorizer.transform([e.prompt for e in held]))[:, 1]
    return [float(p) for p in probs]


def fast_apgr(scores: Any, weak: Any, strong: Any, bins: int = 10) -> float:
    """:func:`~tierwise.router.metrics.apgr` of :func:`~tierwise.router.metrics.curve`,
    vectorised for bootstrapping (same edges, ties and de-duplication; tested equal)."""
    import numpy as np

    n = len(scores)
    edges = np.quantile(scores, np.linspace(0.0, 1.0, bins + 1))
    points: dict[float, float] = {}
    gain = strong - weak
    base = float(weak.sum())
    for i, edge in enumerate(edges):
        chosen = scores > edge if i == bins else scores >= edge
        points[float(chosen.sum()) / n * 100] = (base + float(gain[chosen].sum())) / n * 100
    xs = sorted(points)
    ys = [points[x] for x in xs]
    fx = [x / 100 for x in xs]
    area = sum((fx[k + 1] - fx[k]) * (ys[k] + ys[k + 1]) / 2 for k in range(len(fx) - 1))
    span = fx[-1] - fx[0]
    weak_q, strong_q = float(weak.mean()) * 100, float(strong.mean()) * 100
    if span == 0 or strong_q == weak_q:
        return 0.0
    return (area - weak_q * span) / ((strong_q - weak_q) * span)


def _method(scores: Any, labels: Any, weak: Any, strong: Any, resamples: int) -> MethodResult:
    import numpy as np

    scores = np.asarray(scores, dtype=float)

    def quality(pick: Any) -> list[float]:
        return [
            _auroc(labels[pick], scores[pick]),
            fast_apgr(scores[pick], weak[pick], strong[pick]),
        ]

    c = curve(scores.tolist(), weak.tolist(), strong.tolist())
    boots = _bootstrap(len(scores), quality, resamples)
    return MethodResult(
        auroc=_interval(_auroc(labels, scores), boots[0] if boots else []),
        apgr=_interval(apgr(c), boots[1] if len(boots) > 1 else []),
        cpt50=cpt(c, 0.5),
        cpt80=cpt(c, 0.8),
        curve=[(round(x, 2), round(y, 2)) for x, y in zip(c.strong_pct, c.quality, strict=True)],
    )


def evaluate(
    examples: Sequence[Example],
    *,
    arena_hard: Sequence[str] = (),
    featurizer: Featurizer | None = None,
    penalty: Penalty | None = None,
    matrix: Matrix | None = None,
    resamples: int = RESAMPLES,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Leave each source with outcomes out in turn; see the module docstring.

    Every source except the evaluation-only ones (:data:`EVAL_ONLY`) is trained on when it
    is not the one held out. ``penalty`` None: each fold chooses its n-gram penalty as the
    packaged model does (:func:`~tierwise.router.train.choose_penalty`), by leave-one-source-out
    over its own training sources, so the held-out source takes no part in the choice.
    """
    import numpy as np
    from threadpoolctl import threadpool_limits

    say = progress or (lambda _: None)
    featurizer = featurizer or Featurizer()
    if matrix is None:
        say(f"features of {len(examples)} prompts")
        matrix = featurize(featurizer, [e.prompt for e in examples])
    source = np.asarray([e.source for e in examples])
    keys = [e.key for e in examples]
    fails = np.asarray([e.fails for e in examples])
    weak_fails = np.asarray([e.weak_fails for e in examples], dtype=int)
    weak = np.asarray([e.weak for e in examples])
    strong = np.asarray([np.nan if e.strong is None else e.strong for e in examples])
    lengths = np.asarray([len(e.prompt) for e in examples], dtype=float)
    stems = np.asarray([len(question_stem(e.prompt)) for e in examples], dtype=float)
    d = _Data(examples, featurizer, matrix, source, fails, weak_fails, strong)
    trainable = sorted(set(source) - set(EVAL_ONLY))
    report = Report(
        settings={
            "featurizer": {
                "bits": featurizer.bits,
                "char_ngrams": featurizer.char_ngrams,
                "max_chars": featurizer.max_chars,
            },
            "penalty": "chosen per fold by inner leave-one-source-out"
            if penalty is None
            else asdict(penalty),
            "bootstrap_resamples": resamples,
            "training_sources": trainable,
        }
    )
    with threadpool_limits(limits=1):
        for held_name in sorted(set(source), key=lambda s: (s not in trainable, s)):
            held = np.flatnonzero(source == held_name)
            held_keys = {keys[i] for i in held}
            rows = np.asarray(
                [
                    i
                    for i in range(len(examples))
                    if source[i] != held_name and source[i] in trainable
                    and keys[i] not in held_keys
                ]
            )  # fmt: skip
            train_examples = [examples[i] for i in rows]
            weights = np.asarray(source_weights(train_examples))
            chosen, scores = _penalty(d, rows, weights, penalty, say=say, label=held_name)
            say(f"{held_name}: fitting on {len(rows)} prompts of the other sources")
            fit = fit_head(matrix.rows(rows), fails[rows], weights, penalty=chosen)
            held_x = matrix.rows(held)
            ours = held_x.hashed @ fit[0] + held_x.dense @ fit[1] + fit[2]
            say(f"{held_name}: TF-IDF baseline")
            tfidf = _tfidf(train_examples, weights.tolist(), [examples[int(i)] for i in held])
            # Sources graded against a fixed reference (AlpacaEval) have strong = 0.5.
            held_strong = np.where(np.isnan(strong[held]), 0.5, strong[held])
            say(f"{held_name}: metrics")
            methods = {
                name: _method(scores, weak_fails[held], weak[held], held_strong, resamples)
                for name, scores in (
                    (OURS, ours),
                    (LENGTH, lengths[held]),
                    (STEM, stems[held]),
                    (TFIDF, tfidf),
                )
            }
            baselines = {LENGTH: lengths[held], STEM: stems[held], TFIDF: tfidf}
            gains = _gains(weak_fails[held], ours, baselines, resamples)
            rescue, rescue_rows = _rescue(
                d, rows, held, penalty=chosen, weights=weights.tolist(), resamples=resamples
            )
            report.sources.append(
                SourceResult(
                    source=held_name,
                    size=len(held),
                    fail_rate=float(weak_fails[held].mean()),
                    trained_on=sorted({examples[i].source for i in rows}),
                    train_rows=len(rows),
                    methods=methods,
                    auroc_gain=gains,
                    rescue_auroc=rescue,
                    rescue_rows=rescue_rows,
                    in_packaged_training=held_name in trainable,
                    penalty_hashed=chosen.hashed,
                    penalty_scores=scores,
                )
            )
        if arena_hard:
            every = np.flatnonzero(np.isin(source, list(trainable)))
            weights = np.asarray(source_weights([examples[int(i)] for i in every]))
            chosen, _ = _penalty(d, every, weights, penalty, say=say, label="arena-hard")
            report.arena_hard = _arena(d, trainable, chosen, arena_hard, say)
    return report


def _penalty(
    d: _Data,
    rows: Any,
    weights: Any,
    fixed: Penalty | None,
    *,
    say: Callable[[str], None],
    label: str,
) -> tuple[Penalty, dict[str, float]]:
    """The fold's n-gram penalty: ``fixed``, or chosen on the fold's training rows alone.
    Folds with the same training rows (an evaluation-only source and Arena-Hard both train
    on everything) share one choice."""
    if fixed is not None:
        return fixed, {}
    import numpy as np

    memo_key = tuple(int(i) for i in rows)
    if memo_key not in d.choices:
        choice = choose_penalty(
            d.matrix.rows(rows),
            d.fails[rows],
            np.asarray(weights),
            d.source[rows],
            [d.examples[int(i)].key for i in rows],
            progress=lambda msg: say(f"{label}: {msg}"),
        )
        d.choices[memo_key] = (
            choice.penalty,
            {f"{k:g}": round(v, 4) for k, v in choice.scores.items()},
        )
    return d.choices[memo_key]


@dataclass
class _Data:
    """The examples and their arrays, shared by every held-out fold."""

    examples: Sequence[Example]
    featurizer: Featurizer
    matrix: Matrix
    source: Any
    fails: Any
    weak_fails: Any
    strong: Any
    choices: dict[tuple[int, ...], tuple[Penalty, dict[str, float]]] = field(default_factory=dict)


def _gains(
    labels: Any, ours: Any, baselines: dict[str, Any], resamples: int
) -> dict[str, Interval]:
    import numpy as np

    names = list(baselines)
    arrays = [np.asarray(baselines[n], dtype=float) for n in names]

    def diffs(pick: Any) -> list[float]:
        mine = _auroc(labels[pick], ours[pick])
        return [mine - _auroc(labels[pick], a[pick]) for a in arrays]

    boots = _bootstrap(len(labels), diffs, resamples)
    point = [_auroc(labels, ours) - _auroc(labels, a) for a in arrays]
    return {n: _interval(point[k], boots[k] if boots else []) for k, n in enumerate(names)}


def _rescue(
    d: _Data, rows: Any, held: Any, *, penalty: Penalty, weights: Sequence[float], resamples: int
) -> tuple[Interval | None, int]:
    """AUROC of the rescue head (fitted without the held-out source) on the held-out
    prompts the cheaper model failed, against "the stronger one succeeded"."""
    import numpy as np

    matrix, fails, strong, weak_fails = d.matrix, d.fails, d.strong, d.weak_fails
    w = np.asarray(weights)
    known = ~np.isnan(strong[rows])
    fit_rows = rows[known]
    target = held[(weak_fails[held] == 1) & ~np.isnan(strong[held])]
    labels = (strong[target] >= 0.5).astype(int)
    if len(fit_rows) < 10 or len(target) < 10 or labels.min() == labels.max():
        return None, len(target)
    fit = fit_head(
        matrix.rows(fit_rows), strong[fit_rows], w[known] * fails[fit_rows], penalty=penalty
    )
    x = matrix.rows(target)
    scores = x.hashed @ fit[0] + x.dense @ fit[1] + fit[2]
    boots = _bootstrap(len(target), lambda p: [_auroc(labels[p], scores[p])], resamples)
    return _interval(_auroc(labels, scores), boots[0] if boots else []), len(target)


def _arena(
    d: _Data,
    trainable: Sequence[str],
    penalty: Penalty,
    prompts: Sequence[str],
    say: Callable[[str], None],
) -> dict[str, float]:
    """Arena-Hard: never trained on. Where do its prompts fall among labelled prompts?"""
    import numpy as np

    matrix, examples, source, fails = d.matrix, d.examples, d.source, d.fails
    featurizer = d.featurizer

    rows = np.flatnonzero(np.isin(source, list(trainable)))
    say(f"arena-hard: fitting on all {len(rows)} training prompts")
    weights = source_weights([examples[int(i)] for i in rows])
    fit = fit_head(matrix.rows(rows), fails[rows], weights, penalty=penalty)
    x = featurize(featurizer, list(prompts))
    arena = x.hashed @ fit[0] + x.dense @ fit[1] + fit[2]
    labelled = matrix.rows(rows)
    ref = labelled.hashed @ fit[0] + labelled.dense @ fit[1] + fit[2]
    easy = ref[fails[rows] < 0.5]
    hard = ref[fails[rows] >= 0.5]
    return {
        "prompts": float(len(prompts)),
        "share_above_labelled_median": float((arena > np.median(ref)).mean()),
        "share_above_labelled_p75": float((arena > np.percentile(ref, 75)).mean()),
        "auroc_vs_cheap_succeeded_prompts": _auroc(
            np.r_[np.ones(len(arena)), np.zeros(len(easy))], np.r_[arena, easy]
        ),
        "auroc_cheap_failed_vs_succeeded_in_sample": _auroc(
            np.r_[np.ones(len(hard)), np.zeros(len(easy))], np.r_[hard, easy]
        ),
    }


def write_report(report: Report, out_dir: Path, command: str) -> list[Path]:
    """``eval.json``, ``eval.md`` and ``eval.png`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "eval.json"
    json_path.write_text(json.dumps(report.to_dict(), indent=2) + "\n", "utf-8")
    md_path = out_dir / "eval.md"
    md_path.write_text(markdown(report, command), "utf-8")
    png_path = out_dir / "eval.png"
    _plot(report, png_path)
    return [json_path, md_path, png_path]


def markdown(report: Report, command: str) -> str:
    lines = [
        "# Difficulty stage: leave-one-source-out evaluation",
        "",
        f"Produced by: `{command}` (data and licenses: [data.md](data.md)).",
        "",
        "Label: **the cheaper tier fails** (a cheaper model's answer was wrong, or judged",
        "worse; the share of cheap models wrong on MMLU-Pro). Each row holds one source out:",
        "the difficulty stage and the TF-IDF + logistic-regression baseline are fitted on the",
        "other training sources only (with the held-out source's near-duplicate questions",
        "removed from them), then score the held-out prompts. The two length baselines need",
        "no fitting: **prompt length** counts every character of the prompt; **stem length**",
        "counts the question without its enumerated answer options (a run of two or more lines",
        "labelled A, B, C... in one format) and a bare answer cue after them (`Answer:`), by",
        "one rule on every source (a prompt without such a run is its own stem). Counting the",
        "options makes length a weaker baseline on multiple-choice sources, so every claim of",
        "beating length below is against the **stronger** of the two on that source.",
        "Brackets: 95% bootstrap intervals over the held-out prompts "
        f"({report.settings['bootstrap_resamples']} resamples); the gain columns are paired",
        "intervals of the AUROC difference. AlpacaEval is never trained on (non-commercial",
        "data license): it is always held out.",
        "",
        '## AUROC of "the cheaper tier fails"',
        "",
        "| held-out source | prompts | cheap fails | difficulty stage | prompt length "
        "| stem length | TF-IDF + LR | gain vs stronger length | gain vs TF-IDF "
        "| beats all three |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in report.sources:
        m = s.methods
        stronger = "stem" if s.stronger_length == STEM else "prompt"
        lines.append(
            f"| {s.source} | {s.size:,} | {s.fail_rate:.0%} | {m[OURS].auroc.text()} "
            f"| {m[LENGTH].auroc.text()} | {m[STEM].auroc.text()} | {m[TFIDF].auroc.text()} "
            f"| {s.auroc_gain[s.stronger_length].text()} ({stronger}) "
            f"| {s.auroc_gain[TFIDF].text()} | {'yes' if s.beats_baselines else '**NO**'} |"
        )
    lines += ["", *_summary(report.sources)]
    for s in report.sources:
        if s.source in LABEL_CAVEATS:
            lines += ["", f"**{s.source}**: {LABEL_CAVEATS[s.source]}."]
    chosen = [s for s in report.sources if s.penalty_scores]
    if chosen:
        lines += [
            "",
            "N-gram L2 penalty of each fold, chosen among "
            f"{', '.join(chosen[0].penalty_scores)} by leave-one-source-out over that fold's "
            "training sources only (mean inner AUROC in brackets): "
            + "; ".join(
                f"{s.source} {s.penalty_hashed:g} "
                f"({', '.join(f'{k}: {v:.3f}' for k, v in s.penalty_scores.items())})"
                for s in chosen
            )
            + ".",
        ]
    lines += [
        "",
        "## Routing quality: APGR and CPT",
        "",
        "Routing to the stronger model by each score, RouteLLM's curve (10 equal-count bins;",
        "APGR = share of the weak-to-strong quality gap recovered on average, 0.5 = random;",
        "CPT(x%) = share of calls sent up to recover x% of the gap). AlpacaEval's quality is",
        "the win rate against GPT-4 Turbo, so the stronger model there is GPT-4 Turbo at 0.5.",
        "",
        "| held-out source | method | APGR | CPT(50%) | CPT(80%) |",
        "|---|---|---|---|---|",
    ]
    for s in report.sources:
        for name, r in s.methods.items():
            lines.append(
                f"| {s.source} | {name} | {r.apgr.text()} | {r.cpt50:.1f}% | {r.cpt80:.1f}% |"
            )
    lines += [
        "",
        "## Rescue head: P(the stronger tier succeeds | the cheaper failed)",
        "",
        "AUROC on the held-out prompts the cheaper model failed (fitted without the source).",
        "",
        "| held-out source | failed prompts | rescue AUROC |",
        "|---|---|---|",
    ]
    for s in report.sources:
        if s.rescue_auroc is None:
            value = "n/a (no stronger outcome)"
        elif s.rescue_auroc.lo != s.rescue_auroc.lo:  # NaN: too few prompts to resample
            value = f"{s.rescue_auroc.value:.3f} (too few prompts for an interval)"
        else:
            value = s.rescue_auroc.text()
        lines.append(f"| {s.source} | {s.rescue_rows:,} | {value} |")
    if report.arena_hard:
        a = report.arena_hard
        lines += [
            "",
            "## Arena-Hard (known-hard prompts, no outcomes, never trained on)",
            "",
            f"Scored by a model fitted on every training source: {a['prompts']:.0f} prompts, "
            f"{a['share_above_labelled_median']:.0%} above the median labelled prompt and "
            f"{a['share_above_labelled_p75']:.0%} above its 75th percentile; AUROC against "
            f"the labelled prompts the cheaper model got right "
            f"{a['auroc_vs_cheap_succeeded_prompts']:.3f} (in-sample reference for labelled "
            f"failures: {a['auroc_cheap_failed_vs_succeeded_in_sample']:.3f}).",
        ]
    lines += [
        "",
        "How the model was built, what was tried and what these results mean for routing:",
        "[difficulty.md](difficulty.md).",
        "",
        "![LOSO AUROC and routing curves](eval.png)",
        "",
    ]
    return "\n".join(lines)


def _summary(sources: Sequence[SourceResult]) -> list[str]:
    """What the AUROC table says, each claim of beating length against the stronger length
    baseline of the source."""

    def gain(s: SourceResult, name: str) -> str:
        g = s.auroc_gain[name]
        where = "above 0" if g.lo > 0 else "below 0" if g.hi < 0 else "includes 0"
        return f"{g.value:+.3f}, interval {where}"

    out: list[str] = []
    winners = [s for s in sources if s.beats_baselines]
    losers = [s for s in sources if not s.beats_baselines]
    if winners:
        out.append(
            "The difficulty stage beats TF-IDF and the stronger length baseline on "
            + "; ".join(
                f"{s.source} (vs {s.stronger_length} {gain(s, s.stronger_length)}; "
                f"vs TF-IDF {gain(s, TFIDF)})"
                for s in winners
            )
            + "."
        )
    if losers:
        parts = []
        for s in losers:
            below = [s.stronger_length] if not s.beats_length else []
            if s.methods[OURS].auroc.value <= s.methods[TFIDF].auroc.value:
                below.append(TFIDF)
            parts.append(
                f"{s.source} (below {' and '.join(below)}: "
                + ", ".join(gain(s, b) for b in below)
                + ")"
            )
        out.append(
            "**Not met on every source**: the difficulty stage does not beat every baseline "
            f"on {'; '.join(parts)}. It was not tuned to close that gap (see difficulty.md)."
        )
    else:
        out.append("The difficulty stage beats every baseline on every held-out source.")
    flipped = [
        s.source
        for s in sources
        if s.stronger_length == STEM
        and s.methods[OURS].auroc.value > s.methods[LENGTH].auroc.value
        and not s.beats_length
    ]
    if flipped:
        out += [
            "",
            "Counted over the whole prompt, length would be beaten on "
            f"{', '.join(flipped)}; counted over the stem it is not.",
        ]

    def best_length_apgr(s: SourceResult) -> float:
        return max(s.methods[k].apgr.value for k in LENGTHS if k in s.methods)

    above = [s.source for s in sources if s.methods[OURS].apgr.value > best_length_apgr(s)]
    out += [
        "",
        "Routing quality (APGR, below) is above the better of the two length baselines' on "
        + (", ".join(above) if above else "no source")
        + (
            f" and not on {', '.join(s.source for s in sources if s.source not in above)}."
            if len(above) < len(sources)
            else "."
        ),
    ]
    return out


def _plot(report: Report, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sources = report.sources
    fig, axes = plt.subplots(
        1, len(sources) + 1, figsize=(4.2 * (len(sources) + 1), 4), squeeze=False
    )
    bars = axes[0][0]
    width = 0.8 / len(METHODS)
    for k, name in enumerate(METHODS):
        xs = [i + k * width for i in range(len(sources))]
        values = [s.methods[name].auroc.value for s in sources]
        errors = [
            [s.methods[name].auroc.value - s.methods[name].auroc.lo for s in sources],
            [s.methods[name].auroc.hi - s.methods[name].auroc.value for s in sources],
        ]
        bars.bar(xs, values, width, yerr=errors, capsize=2, label=name)
    bars.axhline(0.5, color="grey", linestyle=":")
    bars.set_xticks([i + width for i in range(len(sources))])
    bars.set_xticklabels([s.source for s in sources], rotation=30, fontsize=7)
    bars.set_ylim(0.2, 0.9)
    bars.set_title("LOSO AUROC: cheaper tier fails")
    bars.legend(fontsize=7)
    for ax, s in zip(axes[0][1:], sources, strict=True):
        for name, r in s.methods.items():
            ax.plot(
                [x for x, _ in r.curve],
                [y for _, y in r.curve],
                marker=".",
                label=f"{name} ({r.apgr.value:.2f})",
            )
        ax.set_title(f"{s.source} (held out)", fontsize=9)
        ax.set_xlabel("calls sent to the stronger model (%)")
        ax.set_ylabel("quality (%)")
        ax.legend(fontsize=6, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def out_of_source(
    examples: Sequence[Example],
    *,
    calibration: tuple[float, float],
    featurizer: Featurizer | None = None,
    penalty: Penalty | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[float]:
    """P(the cheaper tier fails) for every example from a fit that never saw its source
    (nor near-duplicates of its questions), mapped through ``calibration`` (the packaged
    model's (slope, offset)), so thresholds can be read off scores the model would give
    new traffic rather than its own training rows. ``penalty`` None: each fit chooses its
    n-gram penalty on its own rows, as :func:`evaluate` does."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    say = progress or (lambda _: None)
    featurizer = featurizer or Featurizer()
    say(f"features of {len(examples)} prompts")
    matrix = featurize(featurizer, [e.prompt for e in examples])
    source = np.asarray([e.source for e in examples])
    keys = [e.key for e in examples]
    fails = np.asarray([e.fails for e in examples])
    trainable = sorted(set(source) - set(EVAL_ONLY))
    logits = np.zeros(len(examples))
    slope, offset = calibration
    with threadpool_limits(limits=1):
        for name in sorted(set(source)):
            held = np.flatnonzero(source == name)
            held_keys = {keys[i] for i in held}
            rows = np.asarray(
                [
                    i
                    for i in range(len(examples))
                    if source[i] != name and source[i] in trainable and keys[i] not in held_keys
                ]
            )
            say(f"{name}: scoring with a fit on the other sources")
            weights = np.asarray(source_weights([examples[int(i)] for i in rows]))
            chosen = (
                penalty
                or choose_penalty(
                    matrix.rows(rows),
                    fails[rows],
                    weights,
                    source[rows],
                    [keys[int(i)] for i in rows],
                ).penalty
            )
            fit = fit_head(matrix.rows(rows), fails[rows], weights, penalty=chosen)
            x = matrix.rows(held)
            logits[held] = x.hashed @ fit[0] + x.dense @ fit[1] + fit[2]
    return [float(p) for p in 1.0 / (1.0 + np.exp(-(slope * logits + offset)))]

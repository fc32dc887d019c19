"""Train and evaluate the task-class model (needs the ``train`` extra: numpy, scipy).

* :func:`fit` - multinomial logistic regression by L-BFGS on hashed features, class-balanced,
  with an L2 pull toward a *prior* model's weights (the packaged model when a team refits
  from its own rows, so a few hundred labelled requests adjust it rather than replace it).
* :func:`grouped_eval` - every row is predicted by a model that never saw its template (or,
  for public data, its source): whole templates are held out, never random rows, because
  rows of one template are near-duplicates.
* ``python -m tierwise.router.class_train`` rebuilds the packaged model and writes the
  report ``docs/router/classes.md`` (held-out-template figures and the acceptance set).
"""

from __future__ import annotations

import gzip
import json
import random
import sys
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tierwise.core.class_model import (
    DEFAULT_CLASS_MODEL_FILE,
    EMBED_CLASS_MODEL_FILE,
    BlendedClassifier,
    ClassModel,
    hashed_features,
)
from tierwise.core.classes import ClassPrediction, class_features
from tierwise.core.routing import RoutingPolicy, class_step, class_text
from tierwise.core.signals import extract_signals
from tierwise.core.taxonomy import TASK_CLASSES
from tierwise.errors import InvalidRequestError

__all__ = [
    "CORPUS_FILE",
    "EvalResult",
    "featurize",
    "fit",
    "grouped_eval",
    "grouped_predictions",
    "has_outcome_rows",
    "load_corpus",
    "load_labelled_jsonl",
    "refit",
]

CORPUS_FILE = Path(__file__).parent / "data" / "class-corpus" / "corpus.jsonl.gz"
DEFAULT_BITS = 16


def _parts(request: Mapping[str, Any]) -> tuple[dict[str, float], str, str]:
    signals = extract_signals(request)
    system, user = class_text(signals)
    return class_features(signals), system, user


def featurize(request: Mapping[str, Any], bits: int = DEFAULT_BITS) -> dict[int, float]:
    structural, system, user = _parts(request)
    return hashed_features(structural, system, user, bits)


def load_corpus(path: Path = CORPUS_FILE) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def load_labelled_jsonl(path: Path) -> list[dict[str, Any]]:
    """A team's labelled requests: one JSON object per line with ``class`` and either
    ``request`` (a Converse request) or ``prompt`` (text). Other fields are ignored."""
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise InvalidRequestError(
                    f"{path}:{n}: not JSON ({exc})",
                    hint='one JSON object per line, e.g. {"prompt": "...", "class": "math"}',
                ) from None
            cls = row.get("class") if isinstance(row, dict) else None
            if cls is None:
                continue  # an outcome-only row: the difficulty stage's business
            if cls not in TASK_CLASSES:
                raise InvalidRequestError(
                    f"{path}:{n}: unknown task class {cls!r}",
                    hint=f"known classes: {', '.join(TASK_CLASSES)}",
                )
            request = row.get("request")
            if request is None and isinstance(row.get("prompt"), str):
                request = {"messages": [{"role": "user", "content": row["prompt"]}]}
            if not isinstance(request, dict):
                raise InvalidRequestError(
                    f"{path}:{n}: needs a 'request' object or a 'prompt'",
                    hint='e.g. {"prompt": "...", "class": "math"} or {"request": {"messages": '
                    '[...]}, "class": "math"}',
                )
            rows.append(
                {"class": cls, "template": f"user-{n}", "source": "user", "request": request}
            )
    return rows


def has_outcome_rows(path: Path) -> bool:
    """Whether ``path`` has any line with per-tier outcomes (the difficulty stage's rows)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line) if line.strip() else None
        except ValueError:
            return True  # let the outcome loader report the bad line
        if isinstance(row, dict) and ({"outcomes", "scores", "weak"} & set(row)):
            return True
    return False


def refit(rows: Sequence[Mapping[str, Any]], prior: ClassModel | None) -> ClassModel:
    """A team's class model: its labelled rows, pulled toward ``prior`` (the packaged model),
    or fitted on them alone when ``prior`` is None."""
    if not rows:
        raise ValueError("no rows with a class label")
    name = "classes-custom" if prior is None else f"{prior.version}+custom"
    return fit(rows, prior=prior, prior_strength=5.0, version=name)


def fit(
    rows: Sequence[Mapping[str, Any]],
    *,
    bits: int = DEFAULT_BITS,
    l2: float = 1.0,
    prior: ClassModel | None = None,
    prior_strength: float = 1.0,
    version: str = "classes-v2",
    features: Sequence[dict[int, float]] | None = None,
    dense: Any = None,
    row_weights: Sequence[float] | None = None,
    balance_power: float = 1.0,
) -> ClassModel:
    """Fit the class model on ``rows`` (each with ``class`` and ``request``).

    ``dense`` (rows x dims, from :func:`tierwise.router.class_embed.embed_pairs`) adds dense
    weights; a ``prior`` with dense weights embeds the rows itself. A class's rows weigh
    ``n ** -balance_power`` each (n its row count; 1.0, the packaged fit's, balances the
    classes); ``row_weights`` (one per row) reshare each class's total among its rows."""
    import numpy as np
    from scipy import sparse
    from scipy.optimize import minimize

    classes = list(TASK_CLASSES)
    k = len(classes)
    feats = (
        list(features) if features is not None else [featurize(r["request"], bits) for r in rows]
    )
    used = sorted({b for f in feats for b in f} | (set(prior._rows) if prior else set()))
    col = {b: i for i, b in enumerate(used)}
    indptr, indices, data = [0], [], []
    for f in feats:
        for b, v in f.items():
            indices.append(col[b])
            data.append(v)
        indptr.append(len(indices))
    x = sparse.csr_matrix((data, indices, indptr), shape=(len(feats), len(used)), dtype=np.float64)
    if dense is None and prior is not None and prior.dense_dims:
        dense = embed_rows(rows)
    dims = 0 if dense is None else int(dense.shape[1])
    if dims:
        x = sparse.hstack([x, sparse.csr_matrix(np.asarray(dense, dtype=np.float64))]).tocsr()
    y = np.array([classes.index(r["class"]) for r in rows])
    counts = np.bincount(y, minlength=k).astype(float)
    # Class-balanced: each class present weighs as much in total, whatever its row count
    # (balance_power 1). Below 1 a class's total grows with its rows, so rows added to a class
    # no longer thin out the rows it had (docs/router/classes.md, "Why rounds 14-17 cost MMLU").
    sample_w = (len(y) / (np.count_nonzero(counts) * counts[y])).astype(float)
    if balance_power != 1.0:
        sample_w = counts[y] ** -balance_power
        sample_w *= len(y) / sample_w.sum()
    if row_weights is not None:
        # Shares within a class only: the class totals above stay as they are.
        rel = np.asarray(row_weights, dtype=float)
        class_total = np.bincount(y, weights=sample_w, minlength=k)
        class_sum = np.bincount(y, weights=rel, minlength=k)
        sample_w = rel * class_total[y] / class_sum[y]
    n_cols = len(used) + dims
    w0 = np.zeros((n_cols, k))
    b0 = np.zeros(k)
    if prior is not None:
        pk = [classes.index(c) for c in prior.classes]
        for b, row in prior._rows.items():
            w0[col[b], pk] = np.asarray(row, dtype=float)
        b0[pk] = prior.bias
        if dims and prior.dense_dims == dims:
            prior_dense = np.asarray(prior.dense, dtype=float).reshape(dims, len(pk))
            w0[len(used) :][:, pk] = prior_dense
    lam = l2 * (prior_strength if prior is not None else 1.0)
    onehot = np.zeros((len(y), k))
    onehot[np.arange(len(y)), y] = 1.0
    total_w = sample_w.sum()

    def objective(theta: Any) -> tuple[float, Any]:
        w = theta[: n_cols * k].reshape(n_cols, k)
        b = theta[n_cols * k :]
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -(sample_w * logp[np.arange(len(y)), y]).sum() / total_w
        diff = w - w0
        loss += 0.5 * lam * float((diff * diff).sum()) / total_w
        g = (np.exp(logp) - onehot) * sample_w[:, None] / total_w
        gw = x.T @ g + lam * diff / total_w
        gb = g.sum(axis=0)
        if prior is not None:
            # Refitting: the class priors (biases) are pulled toward the packaged ones too,
            # so rows of a single class adjust its evidence rather than flood every request.
            bdiff = b - b0
            loss += 0.5 * lam * float((bdiff * bdiff).sum()) / total_w
            gb = gb + lam * bdiff / total_w
        return float(loss), np.concatenate([np.asarray(gw).ravel(), gb])

    theta0 = np.concatenate([w0.ravel(), b0])
    result = minimize(objective, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 300})
    w_all = result.x[: n_cols * k].reshape(n_cols, k)
    b = result.x[n_cols * k :]
    w, w_dense = w_all[: len(used)], w_all[len(used) :]
    keep = np.abs(w).max(axis=1) > 1e-4
    meta = {
        "rows": len(rows),
        "sources": dict(Counter(str(r.get("source", "")) for r in rows)),
        "l2": l2,
        "prior": prior.version if prior is not None else None,
    }
    if dims:
        from tierwise.router.class_embed import EMBEDDING_NAME, SCALE

        meta["embedding"] = {"name": EMBEDDING_NAME, "scale": SCALE, "dims": dims}
    return ClassModel(
        bits=bits,
        classes=classes,
        indexes=array("I", [used[i] for i in np.flatnonzero(keep)]),
        weights=array("f", w[keep].ravel().tolist()),
        bias=b.tolist(),
        version=version,
        meta=meta,
        dense=array("f", w_dense.ravel().tolist()),
    )


def embed_rows(rows: Sequence[Mapping[str, Any]]) -> Any:
    """The sentence-embedding features of ``rows`` (the ``embed`` extra)."""
    from tierwise.router.class_embed import embed_pairs

    return embed_pairs([(system, user) for _, system, user in (_parts(r["request"]) for r in rows)])


@dataclass
class EvalResult:
    """Held-out predictions: (true class, predicted class, group) per row, and, when kept,
    each row's posterior (for the tier-level figures)."""

    pairs: list[tuple[str, str, str]] = field(default_factory=list)
    probs: list[dict[str, float]] = field(default_factory=list)

    def accuracy(self) -> float:
        return sum(t == p for t, p, _ in self.pairs) / max(len(self.pairs), 1)

    def subset(self, keep: Callable[[str], bool]) -> EvalResult:
        """The rows whose group passes ``keep``."""
        idx = [i for i, (_, _, g) in enumerate(self.pairs) if keep(g)]
        return EvalResult(
            [self.pairs[i] for i in idx], [self.probs[i] for i in idx] if self.probs else []
        )

    def per_class(self) -> dict[str, tuple[float, float, int]]:
        """class -> (precision, recall, support)."""
        out = {}
        for c in TASK_CLASSES:
            tp = sum(1 for t, p, _ in self.pairs if t == c and p == c)
            pred = sum(1 for _, p, _ in self.pairs if p == c)
            sup = sum(1 for t, _, _ in self.pairs if t == c)
            out[c] = (tp / pred if pred else 0.0, tp / sup if sup else 0.0, sup)
        return out

    def confusion(self) -> dict[str, Counter[str]]:
        table: dict[str, Counter[str]] = {c: Counter() for c in TASK_CLASSES}
        for t, p, _ in self.pairs:
            table[t][p] += 1
        return table

    def tiers(self, policy: RoutingPolicy, guard: bool = True) -> dict[str, Any]:
        """The class stage's tier against the true class's tier under ``policy``: recall
        per tier, their mean, and Haiku<->Opus crossings. ``guard=False`` takes the top
        class's tier (the rule before the crossing guard)."""
        if not guard:
            policy = replace(policy, class_crossing_guard=1.0, class_min_confidence=0.0)
        hit: Counter[str] = Counter()
        total: Counter[str] = Counter()
        crossings = 0
        for (truth, _, _), probs in zip(self.pairs, self.probs, strict=True):
            want = policy.classes[truth].tier.value
            got = class_step(ClassPrediction.from_probs(probs, ""), policy)[0].value
            total[want] += 1
            hit[want] += got == want
            crossings += {want, got} == {"haiku", "opus"}
        recall = {t: hit[t] / total[t] for t in ("haiku", "sonnet", "opus") if total[t]}
        return {
            "recall": recall,
            "balanced": sum(recall.values()) / max(len(recall), 1),
            "crossings": crossings,
            "rows": sum(total.values()),
        }


def _fold_of(group: str, folds: int) -> int:
    return zlib.crc32(group.encode()) % folds


def _group(row: Mapping[str, Any]) -> str:
    source = str(row.get("source", ""))
    return str(row["template"]) if source == "team-templates" else f"source:{source}"


def grouped_predictions(
    rows: Sequence[Mapping[str, Any]],
    *,
    folds: int = 5,
    progress: Callable[[str], None] | None = None,
    embed: bool = False,
    **fit_args: Any,
) -> tuple[EvalResult, EvalResult]:
    """(trained model alone, blended with the cues as routing does): every row predicted by
    a model trained without its whole group (one fit per fold serves both).

    Team-template rows are grouped by template (templates of a class are spread over the
    folds); public rows by source, each source held out as a whole (a model trained on
    templates and the *other* public sources predicts it). ``embed`` adds the sentence
    embedding (the ``embed`` extra).
    """
    bits = int(fit_args.get("bits", DEFAULT_BITS))
    dense = embed_rows(rows) if embed else None
    parts = [_parts(r["request"]) for r in rows]
    feats = [hashed_features(f, sy, us, bits) for f, sy, us in parts]
    groups = [_group(r) for r in rows]
    distinct = sorted(set(groups))
    public = [g for g in distinct if g.startswith("source:")]
    plans: list[set[str]] = [
        {g for g in distinct if not g.startswith("source:") and _fold_of(g, folds) == i}
        for i in range(folds)
    ]
    plans.extend({g} for g in public)
    alone, blended = EvalResult(), EvalResult()
    for n, held in enumerate(plans, 1):
        if not held:
            continue
        if progress is not None:
            progress(f"fold {n}/{len(plans)}: holding out {len(held)} group(s)")
        train_idx = [i for i, g in enumerate(groups) if g not in held]
        test_idx = [i for i, g in enumerate(groups) if g in held]
        model = fit(
            [rows[i] for i in train_idx],
            features=[feats[i] for i in train_idx],
            dense=None if dense is None else dense[train_idx],
            **fit_args,
        )
        if dense is not None:
            from tierwise.router.class_embed import attach

            attach(model)
        blend = BlendedClassifier(model)
        for i in test_idx:
            for result, scorer in ((alone, model), (blended, blend)):
                probs = scorer.probabilities(*parts[i])
                pred = max(TASK_CLASSES, key=lambda c: probs[c])
                result.pairs.append((str(rows[i]["class"]), pred, groups[i]))
                result.probs.append(probs)
    return alone, blended


def grouped_eval(
    rows: Sequence[Mapping[str, Any]],
    *,
    folds: int = 5,
    progress: Callable[[str], None] | None = None,
    blend: bool = False,
    **fit_args: Any,
) -> EvalResult:
    """:func:`grouped_predictions` of the model alone, or (``blend``) blended with the cues."""
    alone, blended = grouped_predictions(rows, folds=folds, progress=progress, **fit_args)
    return blended if blend else alone


def new_wording_check(
    rows: Sequence[Mapping[str, Any]],
    is_new: Callable[[str], bool],
    embed: bool = False,
    **fit_args: Any,
) -> EvalResult:
    """A blended model trained without any row of the groups ``is_new`` picks, predicting
    them: how the classifier did on wordings written after it was built."""
    train = [r for r in rows if not is_new(_group(r))]
    test = [r for r in rows if is_new(_group(r))]
    model = fit(train, dense=embed_rows(train) if embed else None, **fit_args)
    if embed:
        from tierwise.router.class_embed import attach

        attach(model)
    scorer = BlendedClassifier(model)
    result = EvalResult()
    for r in test:
        probs = scorer.probabilities(*_parts(r["request"]))
        pred = max(TASK_CLASSES, key=lambda c: probs[c])
        result.pairs.append((str(r["class"]), pred, _group(r)))
        result.probs.append(probs)
    return result


def bootstrap_interval(
    hits: Sequence[bool], *, draws: int = 2000, seed: int = 1, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of a proportion."""
    rng = random.Random(seed)
    n = len(hits)
    stats = sorted(sum(hits[rng.randrange(n)] for _ in range(n)) / n for _ in range(draws))
    lo = stats[int((1 - level) / 2 * draws)]
    hi = stats[min(draws - 1, int((1 + level) / 2 * draws))]
    return lo, hi


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines.extend("| " + " | ".join(str(c) for c in row) + " |" for row in rows)
    return lines


def report_lines(result: EvalResult, title: str) -> list[str]:
    lines = [
        f"### {title}",
        "",
        f"Rows: {len(result.pairs)}; accuracy {result.accuracy():.3f}.",
        "",
    ]
    per = result.per_class()
    lines += _table(
        ("class", "precision", "recall", "support"),
        ((c, f"{p:.2f}", f"{r:.2f}", s) for c, (p, r, s) in per.items() if s or p),
    )
    lines.append("")
    conf = result.confusion()
    present = [c for c in TASK_CLASSES if per[c][2] or any(conf[t][c] for t in TASK_CLASSES)]
    abbrev = {c: c[:6] for c in present}
    lines.append("Confusion matrix (rows: true class, columns: predicted):")
    lines.append("")
    lines += _table(
        ("true \\ pred", *(abbrev[c] for c in present)),
        ((t, *(conf[t][c] or "." for c in present)) for t in present if per[t][2]),
    )
    lines.append("")
    return lines


def acceptance(path: Path, settings: Any, class_scorer: Any, scorer: Any) -> dict[str, Any]:
    """Route the acceptance set: tier agreement (with a bootstrap interval), class accuracy,
    Haiku<->Opus crossings, and the misses."""
    from tierwise.core.routing import decide

    policy = settings.routing_policy()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    hits: list[bool] = []
    crossings: list[str] = []
    misses: list[tuple[str, str, str, str, str]] = []
    class_hits = 0
    for row in rows:
        d = decide(row["request"], policy=policy, scorer=scorer, class_scorer=class_scorer)
        hits.append(d.tier.value == row["tier"])
        class_hits += d.task_class.name == row["class"]
        if {d.tier.value, row["tier"]} == {"haiku", "opus"}:
            crossings.append(row["id"])
        if d.tier.value != row["tier"]:
            misses.append((row["id"], row["class"], d.task_class.name, row["tier"], d.tier.value))
    lo, hi = bootstrap_interval(hits)
    return {
        "n": len(rows),
        "agreement": sum(hits) / len(rows),
        "interval": (lo, hi),
        "class_accuracy": class_hits / len(rows),
        "crossings": crossings,
        "misses": misses,
    }


def _tier_lines(blended: EvalResult, policy: RoutingPolicy) -> list[str]:
    rows = []
    for name, guard in (
        ("top class's tier (no class_min_confidence, no guard)", False),
        ("as routing does (class_min_confidence + crossing guard)", True),
    ):
        t = blended.tiers(policy, guard=guard)
        r = t["recall"]
        rows.append(
            (name, *(f"{r.get(k, 0.0):.3f}" for k in ("haiku", "sonnet", "opus")),
             f"{t['balanced']:.3f}", t["crossings"])
        )  # fmt: skip
    return _table(
        (
            "class-stage tier",
            "haiku recall",
            "sonnet recall",
            "opus recall",
            "mean",
            "haiku<->opus",
        ),
        rows,
    )


def write_report(
    path: Path,
    *,
    model_eval: EvalResult,
    template_eval: EvalResult,
    new_wordings: tuple[EvalResult, EvalResult] | None,
    accept: Mapping[str, Mapping[str, Any]],
    command: str,
) -> None:
    policy = RoutingPolicy()
    lines = [
        "# Task classes: held-out evaluation",
        "",
        f"Produced by `{command}` (fixed seeds; a refit can differ from the packaged model in",
        "the last float bits; the machine was shared with other jobs, which changes only the",
        "run time).",
        "",
        "The classifier is a multinomial logistic regression over hashed word n-grams of the",
        "system prompt and the user turn (a long user turn's first and last words again, as its",
        "ask) plus structural features (cues, tool-name words, destructive tools in a tool",
        "loop, passages, documents, tables of figures, labelled sources, analysis facets, code,",
        "turns, output size),",
        "blended in log space with the hand-set cue classifier (`cues-v1`) at half weight and",
        "with no head start for `general_qa`. Corpus: `src/tierwise/router/data/class-corpus/`",
        "(PROVENANCE.md lists each source). The variant with a static sentence embedding",
        "(extra `embed`, wordllama; used automatically when installed) is evaluated the same",
        "way in [classes-embed.md](classes-embed.md) (`--embed`).",
        "",
        "Before round 2 of issue 12 (commit a819c6c: 3,329 corpus rows, cues at full weight",
        "with a `general_qa` head start, no crossing guard) the blended classifier scored",
        "0.693 on held-out templates and the router agreed with the old acceptance set on",
        "0.780 (95% bootstrap 0.713-0.840) with 2 Haiku<->Opus crossings.",
        "",
        "## Held-out templates and sources",
        "",
        "Every row is predicted by a model that never saw its template: team templates are",
        "split into 5 folds by template id; each public source (GSM8K, MMLU, Arena-Hard, SNI) is",
        "held out whole. Never a random split of near-duplicates.",
        "",
        f"Rows: {len(template_eval.pairs)}. Trained model alone: accuracy "
        f"{model_eval.accuracy():.3f}. Blended with the cues (what routing uses): "
        f"{template_eval.accuracy():.3f}.",
        "",
        "### Tier of the class stage",
        "",
        "The tier the class stage gives each held-out row (before difficulty) against the",
        "default tier of its true class. Routing keeps Haiku or Opus only while the classes",
        "of the opposite extreme hold less than `routing.class_crossing_guard` (0.15) of the",
        "class evidence (the posterior above its floor); otherwise Sonnet.",
        "",
        *_tier_lines(template_eval, policy),
        "",
    ]
    if new_wordings is not None:
        before, after = new_wordings
        lines += [
            "### Wordings written after the first model",
            "",
            "`router/class_banks.py` holds wordings written in round 2. A model trained on the",
            "round-1 corpus alone (and the public sources) predicts them: accuracy "
            f"{before.accuracy():.3f} on {len(before.pairs)} rows (tier mean "
            f"{before.tiers(policy)['balanced']:.3f}, {before.tiers(policy)['crossings']} "
            "haiku<->opus). The same rows in the held-out-template run above (trained on the "
            f"other round-2 wordings too): accuracy {after.accuracy():.3f}.",
            "",
        ]
    lines += [
        *report_lines(template_eval, "Blended classifier, per class"),
        "## Acceptance set (tests/router/data/heldout_requests.jsonl)",
        "",
        "150 hand-written full requests, 50 intended per tier, written before any tuning and",
        "never trained on, but read since (it is no longer blind, so it is a sanity check, not",
        "a target). Agreement = routed tier equals the intended tier; the interval is a 95%",
        "percentile bootstrap over requests (2,000 draws).",
        "",
    ]
    lines += _table(
        ("router", "tier agreement", "95% interval", "class accuracy", "haiku<->opus"),
        (
            (name, f"{a['agreement']:.3f}", f"{a['interval'][0]:.3f}-{a['interval'][1]:.3f}",
             f"{a['class_accuracy']:.3f}", len(a["crossings"]))
            for name, a in accept.items()
        ),
    )  # fmt: skip
    lines.append("")
    first = next(iter(accept.values()))
    lines.append(f"Misses of `{next(iter(accept))}` (id, intended class, predicted class, "
                 "intended tier, routed tier):")  # fmt: skip
    lines.append("")
    lines += [f"- {m[0]}: {m[1]} -> {m[2]}, {m[3]} -> {m[4]}" for m in first["misses"]]
    lines.append("")
    text = "\n".join(lines)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    # Sections other tools write into this page (the blind set's figures, a source's
    # before/after) are carried over unread: ## sections before the acceptance section,
    # ### subsections before the per-class tables.
    kept = _foreign_sections(old, "\n## ", _OWN_SECTIONS)
    if kept:
        at = text.index("## Acceptance set")
        text = text[:at] + kept + text[at:]
    kept_sub = _foreign_sections(old, "\n### ", _OWN_SUBSECTIONS)
    if kept_sub and "### Blended classifier" in text:
        at = text.index("### Blended classifier")
        text = text[:at] + kept_sub + text[at:]
    path.write_text(text, encoding="utf-8")


_OWN_SECTIONS = ("## Held-out templates and sources", "## Acceptance set (")
_OWN_SUBSECTIONS = (
    "### Tier of the class stage",
    "### Wordings written after the first model",
    "### Blended classifier",
)


def _foreign_sections(text: str, marker: str, own: tuple[str, ...]) -> str:
    """The sections of ``text`` starting with ``marker`` (ending at the next heading of the
    same or a higher level) whose titles are not in ``own``."""
    level = marker.strip()
    starts = [i for i in range(len(text)) if text.startswith(marker, i)]
    kept = []
    for start in starts:
        end = len(text)
        for m in ("\n# ", "\n## ", "\n### ")[: len(level)]:
            nxt = text.find(m, start + 1)
            if nxt != -1:
                end = min(end, nxt)
        section = text[start + 1 : end]
        if not section.startswith(own):
            kept.append(section.rstrip("\n") + "\n\n")
    return "".join(kept)


def _acceptance_runs(model: ClassModel) -> dict[str, dict[str, Any]]:
    from tierwise.client import load_scorer
    from tierwise.config import load_settings
    from tierwise.core.classes import CueClassifier

    settings = load_settings(environ={}).settings
    heldout = Path("tests/router/data/heldout_requests.jsonl")
    blended = BlendedClassifier(model)
    return {
        "blended classes + packaged difficulty model (as shipped)": acceptance(
            heldout, settings, blended, load_scorer(settings)
        ),
        "blended classes, rule difficulty": acceptance(heldout, settings, blended, None),
        "cue classes only, rule difficulty": acceptance(heldout, settings, CueClassifier(), None),
    }


def _acceptance_only(report: Path, embed: bool = False) -> None:
    """Rewrite only the acceptance section of ``report`` with the packaged class model (the
    held-out-template section above it is left as its full run wrote it)."""
    from tierwise.router.class_weights import load_class_model

    model = load_class_model(embed=embed)
    if model is None:
        raise SystemExit("no packaged class model")
    text = report.read_text(encoding="utf-8")
    head = text[: text.index("## Acceptance set")]
    scratch = report.with_suffix(".tmp")
    write_report(
        scratch,
        model_eval=EvalResult(),
        template_eval=EvalResult(),
        new_wordings=None,
        accept=_acceptance_runs(model),
        command="",
    )
    tail = scratch.read_text(encoding="utf-8")
    scratch.unlink()
    section = tail[tail.index("## Acceptance set") :]
    note = (
        "Acceptance section regenerated with "
        "`python -m tierwise.router.class_train --acceptance-only [--embed] REPORT` "
        "(packaged class model, current difficulty model).\n\n"
    )
    report.write_text(head + section.replace("\n\n", "\n\n" + note, 1), encoding="utf-8")


def _round_two(group: str) -> bool:
    from tierwise.router.class_corpus import BANKS

    if not group.startswith("bank-"):
        return False
    cls, _, index = group.removeprefix("bank-").rpartition("-")
    return int(index) >= len(BANKS.get(cls, []))


def main(argv: list[str]) -> None:  # pragma: no cover - the documented rebuild command
    if len(argv) > 1 and argv[1] == "--acceptance-only":
        embed = "--embed" in argv[2:]
        paths = [a for a in argv[2:] if a != "--embed"]
        default = "docs/router/classes-embed.md" if embed else "docs/router/classes.md"
        _acceptance_only(Path(paths[0] if paths else default), embed)
        return
    embed = len(argv) > 1 and argv[1] == "--embed"
    args = argv[2:] if embed else argv[1:]
    rows = load_corpus()

    def say(message: str) -> None:
        print(message, file=sys.stderr)

    say(f"corpus: {len(rows)} rows")
    model_eval, blend_eval = grouped_predictions(rows, progress=say, embed=embed)
    say("new-wording check")
    before = new_wording_check(rows, _round_two, embed=embed)
    after = blend_eval.subset(_round_two)
    version = "classes-v2-embed" if embed else "classes-v2"
    model = fit(rows, dense=embed_rows(rows) if embed else None, version=version)
    name = EMBED_CLASS_MODEL_FILE if embed else DEFAULT_CLASS_MODEL_FILE
    out = Path(__file__).parent / "data" / name
    out.write_bytes(model.to_bytes())
    say(f"wrote {out} ({out.stat().st_size:,} bytes)")
    if embed:
        from tierwise.router.class_embed import attach

        attach(model)
    default = "docs/router/classes-embed.md" if embed else "docs/router/classes.md"
    report = Path(args[0]) if args else Path(default)
    accept = _acceptance_runs(model)
    command = "python -m tierwise.router.class_train " + " ".join(argv[1:])
    write_report(
        report,
        model_eval=model_eval,
        template_eval=blend_eval,
        new_wordings=(before, after),
        accept=accept,
        command=command.strip(),
    )
    say(f"wrote {report}")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv)

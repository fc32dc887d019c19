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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tierwise.core.class_model import BlendedClassifier, ClassModel, hashed_features
from tierwise.core.classes import class_features
from tierwise.core.routing import class_text
from tierwise.core.signals import extract_signals
from tierwise.core.taxonomy import TASK_CLASSES
from tierwise.errors import InvalidRequestError

__all__ = [
    "CORPUS_FILE",
    "EvalResult",
    "featurize",
    "fit",
    "grouped_eval",
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
                raise InvalidRequestError(f"{path}:{n}: not JSON ({exc})") from None
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
                raise InvalidRequestError(f"{path}:{n}: needs a 'request' object or a 'prompt'")
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
    version: str = "classes-v1",
    features: Sequence[dict[int, float]] | None = None,
) -> ClassModel:
    """Fit the class model on ``rows`` (each with ``class`` and ``request``)."""
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
    y = np.array([classes.index(r["class"]) for r in rows])
    counts = np.bincount(y, minlength=k).astype(float)
    # Class-balanced: each class present weighs as much in total, whatever its row count.
    sample_w = (len(y) / (np.count_nonzero(counts) * counts[y])).astype(float)
    w0 = np.zeros((len(used), k))
    b0 = np.zeros(k)
    if prior is not None:
        pk = [classes.index(c) for c in prior.classes]
        for b, row in prior._rows.items():
            w0[col[b], pk] = np.asarray(row, dtype=float)
        b0[pk] = prior.bias
    lam = l2 * (prior_strength if prior is not None else 1.0)
    onehot = np.zeros((len(y), k))
    onehot[np.arange(len(y)), y] = 1.0
    total_w = sample_w.sum()

    def objective(theta: Any) -> tuple[float, Any]:
        w = theta[: len(used) * k].reshape(len(used), k)
        b = theta[len(used) * k :]
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
    w = result.x[: len(used) * k].reshape(len(used), k)
    b = result.x[len(used) * k :]
    keep = np.abs(w).max(axis=1) > 1e-4
    meta = {
        "rows": len(rows),
        "sources": dict(Counter(str(r.get("source", "")) for r in rows)),
        "l2": l2,
        "prior": prior.version if prior is not None else None,
    }
    return ClassModel(
        bits=bits,
        classes=classes,
        indexes=array("I", [used[i] for i in np.flatnonzero(keep)]),
        weights=array("f", w[keep].ravel().tolist()),
        bias=b.tolist(),
        version=version,
        meta=meta,
    )


@dataclass
class EvalResult:
    """Held-out predictions: (true class, predicted class, group) per row."""

    pairs: list[tuple[str, str, str]] = field(default_factory=list)

    def accuracy(self) -> float:
        return sum(t == p for t, p, _ in self.pairs) / max(len(self.pairs), 1)

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


def _fold_of(group: str, folds: int) -> int:
    return zlib.crc32(group.encode()) % folds


def grouped_eval(
    rows: Sequence[Mapping[str, Any]],
    *,
    folds: int = 5,
    progress: Callable[[str], None] | None = None,
    blend: bool = False,
    **fit_args: Any,
) -> EvalResult:
    """Predict every row with a model trained without its whole group.

    Team-template rows are grouped by template (templates of a class are spread over the
    folds); public rows by source, each source held out as a whole (a model trained on
    templates and the *other* public sources predicts it). ``blend`` predicts with the
    fold's model blended with the cue classifier, as routing does.
    """
    bits = int(fit_args.get("bits", DEFAULT_BITS))
    parts = [_parts(r["request"]) for r in rows]
    feats = [hashed_features(f, sy, us, bits) for f, sy, us in parts]
    groups = []
    for r in rows:
        source = str(r.get("source", ""))
        groups.append(str(r["template"]) if source == "team-templates" else f"source:{source}")
    distinct = sorted(set(groups))
    public = [g for g in distinct if g.startswith("source:")]
    plans: list[set[str]] = [
        {g for g in distinct if not g.startswith("source:") and _fold_of(g, folds) == i}
        for i in range(folds)
    ]
    plans.extend({g} for g in public)
    result = EvalResult()
    for n, held in enumerate(plans, 1):
        if not held:
            continue
        if progress is not None:
            progress(f"fold {n}/{len(plans)}: holding out {len(held)} group(s)")
        train_idx = [i for i, g in enumerate(groups) if g not in held]
        test_idx = [i for i, g in enumerate(groups) if g in held]
        model = fit(
            [rows[i] for i in train_idx], features=[feats[i] for i in train_idx], **fit_args
        )
        scorer = BlendedClassifier(model) if blend else model
        for i in test_idx:
            probs = scorer.probabilities(*parts[i])
            pred = max(TASK_CLASSES, key=lambda c: probs[c])
            result.pairs.append((str(rows[i]["class"]), pred, groups[i]))
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


def write_report(path: Path, template_eval: EvalResult, model_eval: EvalResult,
                 accept: Mapping[str, Mapping[str, Any]], command: str) -> None:  # fmt: skip
    lines = [
        "# Task classes: held-out evaluation",
        "",
        f"Produced by `{command}` (fixed seeds; a refit can differ from the packaged model in",
        "the last float bits; the machine was shared with other jobs, which changes only the",
        "run time).",
        "",
        "The classifier is a multinomial logistic regression over hashed word n-grams of the",
        "system prompt and the user turn plus structural features (cues, tool-name words,",
        "destructive tools in a tool loop, passages, documents, code, turns, output size),",
        "blended in log space with the hand-set cue classifier (`cues-v1`). Corpus:",
        "`src/tierwise/router/data/class-corpus/` (PROVENANCE.md lists each source).",
        "",
        "## Held-out templates and sources",
        "",
        "Every row is predicted by a model that never saw its template: team templates are",
        "split into 5 folds by template id; each public source (GSM8K, MMLU, Arena-Hard) is",
        "held out whole. Never a random split of near-duplicates.",
        "",
        f"Trained model alone: accuracy {model_eval.accuracy():.3f}. "
        f"Blended with the cues (what routing uses): {template_eval.accuracy():.3f}.",
        "",
        *report_lines(template_eval, "Blended classifier, per class"),
        "## Acceptance set (tests/router/data/heldout_requests.jsonl)",
        "",
        "150 hand-written full requests, 50 intended per tier, written before any tuning and",
        "never trained on. Agreement = routed tier equals the intended tier; the interval is a",
        "95% percentile bootstrap over requests (2,000 draws).",
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
    path.write_text("\n".join(lines), encoding="utf-8")


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


def _acceptance_only(report: Path) -> None:
    """Rewrite only the acceptance section of ``report`` with the packaged class model (the
    held-out-template section above it is left as its full run wrote it)."""
    from tierwise.router.class_weights import load_class_model

    model = load_class_model()
    if model is None:
        raise SystemExit("no packaged class model")
    text = report.read_text(encoding="utf-8")
    head = text[: text.index("## Acceptance set")]
    scratch = report.with_suffix(".tmp")
    write_report(scratch, EvalResult(), EvalResult(), _acceptance_runs(model), "")
    tail = scratch.read_text(encoding="utf-8")
    scratch.unlink()
    section = tail[tail.index("## Acceptance set") :]
    note = (
        "Acceptance section regenerated with "
        "`python -m tierwise.router.class_train --acceptance-only docs/router/classes.md` "
        "(packaged class model, current difficulty model).\n\n"
    )
    report.write_text(head + section.replace("\n\n", "\n\n" + note, 1), encoding="utf-8")


def main(argv: list[str]) -> None:  # pragma: no cover - the documented rebuild command
    if len(argv) > 1 and argv[1] == "--acceptance-only":
        _acceptance_only(Path(argv[2]) if len(argv) > 2 else Path("docs/router/classes.md"))
        return
    rows = load_corpus()

    def say(message: str) -> None:
        print(message, file=sys.stderr)

    say(f"corpus: {len(rows)} rows")
    model_eval = grouped_eval(rows, progress=say)
    blend_eval = grouped_eval(rows, progress=say, blend=True)
    model = fit(rows)
    out = Path(__file__).parent / "data" / "classes-v1.twcm"
    out.write_bytes(model.to_bytes())
    say(f"wrote {out} ({out.stat().st_size:,} bytes)")
    report = Path(argv[1]) if len(argv) > 1 else Path("docs/router/classes.md")
    accept = _acceptance_runs(model)
    command = "python -m tierwise.router.class_train " + " ".join(argv[1:])
    write_report(report, blend_eval, model_eval, accept, command.strip())
    say(f"wrote {report}")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv)

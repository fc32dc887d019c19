"""Labelled routing data: per-prompt outcomes of a cheaper and a stronger model, by source.

Every source gives, per prompt, the cheaper model's quality ``weak`` and (where known) the
stronger model's ``strong``, both in [0, 1]. The difficulty stage learns P(the cheaper tier
fails) = ``1 - weak`` (a soft label where several cheap models were graded) and P(the
stronger tier succeeds | the cheaper failed) from ``strong`` on the prompts the cheaper one
failed. Sources (licenses and what each label means: docs/router/data.md):

* ``routellm-mmlu``, ``routellm-gsm8k``, ``mt-bench``: RouteLLM's public evaluation data
  (Mixtral 8x7B cheap, GPT-4 strong); contaminated prompts dropped.
* ``mmlu-pro``: 29 models per MMLU-Pro question; cheap = the mean of four small/fast models,
  strong = the mean of three large ones.
* ``alpaca-eval``: AlpacaEval 2 per-instruction preferences against GPT-4 Turbo for cheap
  models (Claude Instant 1.2, GPT-3.5 Turbo). Its data license is non-commercial, so it is an
  evaluation-only source: it is never in the shipped model's training set.
* ``arena-hard``: hard real prompts without outcomes: an unlabelled known-hard check.

A team's own outcomes come from :func:`load_user_jsonl`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tierwise.core.tiers import Tier
from tierwise.errors import ConfigError, InvalidRequestError

__all__ = [
    "DATA_ENV",
    "EVAL_ONLY",
    "LABEL_CAVEATS",
    "OUTCOME_SOURCES",
    "TRAIN_SOURCES",
    "DataRoots",
    "Example",
    "find_roots",
    "load_arena_hard",
    "load_sources",
    "load_user_jsonl",
    "side_of",
    "split",
]

DATA_ENV = "TIERWISE_EVAL_DATA"
DATA_HINT = (
    f"pass --data-dir DIR or set {DATA_ENV} to a directory holding routellm-evals/, "
    "mmlu-pro-outcomes/ (and optionally alpaca-eval/, arena-hard/); where to get each: "
    "https://github.com/lm-sys/RouteLLM (routellm/evals), "
    "https://github.com/TIGER-AI-Lab/MMLU-Pro (eval_results), and docs/router/data.md in "
    "the tierwise repository"
)
SPLIT_SEED = "tierwise-split-v1"
WEAK_MODEL = "mistralai/Mixtral-8x7B-Instruct-v0.1"
STRONG_MODEL = "gpt-4-1106-preview"
# MT-Bench: an answer is good enough when GPT-4 judged it at least this score (1-10).
MT_BENCH_GOOD = 8.0
# MMLU-Pro: small/fast models stand for the cheaper tier, large ones for the stronger.
MMLU_PRO_CHEAP = (
    "gemini-1.5-flash-002",
    "Meta-Llama-3_1-8B-Instruct",
    "Mixtral-8x7B-Instruct-v0.1",
    "Phi-3-mini-4k-instruct",
)
MMLU_PRO_STRONG = ("gemini-1.5-pro-002", "Meta-Llama-3_1-70B-Instruct", "Qwen1.5-110B")
# AlpacaEval: cheap models judged against GPT-4 Turbo (which therefore scores 0.5).
ALPACA_CHEAP = ("claude-instant-1.2", "gpt-3.5-turbo-1106")
ALPACA_ANNOTATOR = "weighted_alpaca_eval_gpt4_turbo"

TRAIN_SOURCES = ("routellm-mmlu", "routellm-gsm8k", "mt-bench", "mmlu-pro")
EVAL_ONLY = ("alpaca-eval",)
# Sources whose "fails" label is not the cheaper tier failing, with the evidence (measured on
# the same AlpacaEval commit; docs/router/difficulty.md): reports print this beside the row.
LABEL_CAVEATS = {
    "alpaca-eval": "its label is not comparable: a GPT-4-class model (GPT-4 0613, concise) "
    "also loses to GPT-4 Turbo on 91% of these instructions, as often as the cheap models "
    "(85-92%); what it measures is how long an answer the instruction invites. Nor can a "
    "cheap-versus-strong label be built from the annotation files within reach: the one "
    "GPT-4-class file (0613, concise) wins less often than Claude Instant (9% against 16%) "
    'and Claude 2 / 2.1 win as often as the cheap models (16-17%), so "worse than the '
    'strong model on this instruction" would compare models of one tier',
}
OUTCOME_SOURCES = TRAIN_SOURCES + EVAL_ONLY
Side = Literal["train", "eval"]


@dataclass(frozen=True, slots=True)
class Example:
    """One prompt: how well the cheaper (``weak``) and stronger model answered, in [0, 1].

    ``strong`` is None where only the cheaper model was graded (no rescue label).
    """

    prompt: str
    weak: float
    strong: float | None
    source: str

    @property
    def fails(self) -> float:
        """The soft "cheaper tier fails" label."""
        return 1.0 - self.weak

    @property
    def weak_fails(self) -> bool:
        """The hard label used for AUROC: the cheaper tier (or most cheap models) failed."""
        return self.weak < 0.5

    @property
    def key(self) -> str:
        """Near-duplicate key: the question without its options, normalised. The same MMLU
        question appears in RouteLLM's MMLU and in MMLU-Pro; holding out a source drops its
        questions from the other sources' training rows too."""
        stem = _OPTIONS.split(self.prompt, maxsplit=1)[0]
        return " ".join(_WORD.findall(stem.lower()))[:300]


_OPTIONS = re.compile(r"\n\s*\(?A[.)]\s", re.MULTILINE)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class DataRoots:
    """Directories searched, in order, for each source's folder."""

    roots: tuple[Path, ...]

    def find(self, name: str) -> Path | None:
        for root in self.roots:
            for candidate in (root / name, root):
                if candidate.name == name and candidate.is_dir():
                    return candidate
        return None


def find_roots(data: Sequence[Path] = ()) -> DataRoots:
    """``--data-dir`` paths if given; else ``$TIERWISE_EVAL_DATA`` (os.pathsep-separated) if
    set; else ``shared/data`` and ``data`` folders beside the checkout or the working
    directory. An explicit choice is never silently widened."""
    if data:
        return DataRoots(tuple(Path(p) for p in data))
    env = os.environ.get(DATA_ENV)
    if env:
        return DataRoots(tuple(Path(p) for p in env.split(os.pathsep) if p))
    roots: list[Path] = []
    here = Path(__file__).resolve()
    for base in (*here.parents, Path.cwd(), *Path.cwd().parents):
        for sub in (("shared", "data"), ("data",)):
            candidate = base.joinpath(*sub)
            if (
                candidate.is_dir()
                and candidate not in roots
                and here.parent
                not in (
                    candidate,
                    candidate.parent,
                )
            ):
                roots.append(candidate)
    return DataRoots(tuple(roots))


def _contaminated(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    out: set[str] = set()
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            out.add(json.loads(line).get("eval_prompt", "").strip())
    return out


def _truth(value: str) -> float:
    return 1.0 if value.strip().lower() == "true" else 0.0


def _read_csv(path: Path, source: str, dropped: set[str]) -> Iterator[Example]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        weak_col, strong_col = header.index(WEAK_MODEL), header.index(STRONG_MODEL)
        for row in reader:
            if row[0].strip() not in dropped:
                yield Example(row[0], _truth(row[weak_col]), _truth(row[strong_col]), source)


def _mt_bench(root: Path) -> Iterator[Example]:
    questions = {
        str(q["question_id"]): q["turns"][0]
        for q in map(json.loads, (root / "question.jsonl").read_text("utf-8").splitlines())
    }
    dropped = _contaminated(root / "contaminated_prompts.jsonl")
    scores: dict[tuple[str, str], float] = {}
    for line in (root / "judgements.jsonl").read_text("utf-8").splitlines():
        j = json.loads(line)
        if str(j.get("turn")) != "1" or float(j["score"]) < 0:
            continue
        scores[(str(j["question_id"]), str(j["model"]))] = float(j["score"])
    for qid, prompt in sorted(questions.items()):
        weak, strong = scores.get((qid, WEAK_MODEL)), scores.get((qid, STRONG_MODEL))
        if weak is None or strong is None or prompt.strip() in dropped:
            continue
        yield Example(
            prompt, float(weak >= MT_BENCH_GOOD), float(strong >= MT_BENCH_GOOD), "mt-bench"
        )


def _routellm(root: Path, wanted: set[str]) -> Iterator[Example]:
    if "routellm-mmlu" in wanted:
        dropped = _contaminated(root / "mmlu" / "contaminated_prompts.jsonl")
        for path in sorted((root / "mmlu" / "responses").glob("mmlu_*.csv")):
            yield from _read_csv(path, "routellm-mmlu", dropped)
    if "routellm-gsm8k" in wanted:
        dropped = _contaminated(root / "gsm8k" / "contaminated_prompts.jsonl")
        yield from _read_csv(root / "gsm8k" / "gsm8k_responses.csv", "routellm-gsm8k", dropped)
    if "mt-bench" in wanted:
        yield from _mt_bench(root / "mt_bench")


def _mean(values: Iterable[object]) -> float | None:
    known = [float(v) for v in values if isinstance(v, int | float)]
    return sum(known) / len(known) if known else None


def _mmlu_pro(root: Path) -> Iterator[Example]:
    with (root / "mmlu_pro_outcomes.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            correct = row["correct"]
            weak = _mean(correct.get(m) for m in MMLU_PRO_CHEAP)
            strong = _mean(correct.get(m) for m in MMLU_PRO_STRONG)
            if weak is not None and strong is not None:
                yield Example(row["prompt"], weak, strong, "mmlu-pro")


def _alpaca_eval(root: Path) -> Iterator[Example]:
    wins: dict[str, list[float]] = {}
    for model in ALPACA_CHEAP:
        path = root / "results" / model / ALPACA_ANNOTATOR / "annotations.json"
        if not path.is_file():
            raise ConfigError(f"AlpacaEval annotations missing: {path}", hint=DATA_HINT)
        for row in json.loads(path.read_text("utf-8")):
            if row.get("preference") is None:
                continue
            # preference is 1 (GPT-4 Turbo's answer preferred) to 2 (the cheap model's).
            wins.setdefault(row["instruction"], []).append(float(row["preference"]) - 1.0)
    for prompt, values in wins.items():
        if len(values) == len(ALPACA_CHEAP):
            yield Example(prompt, sum(values) / len(values), 0.5, "alpaca-eval")


def load_sources(
    roots: DataRoots, sources: Iterable[str] = TRAIN_SOURCES, *, require: bool = True
) -> list[Example]:
    """Labelled examples of ``sources`` found under ``roots``.

    A missing source is an error when ``require`` is true; otherwise it is skipped (and
    finding none of ``sources`` gives an empty list: optional sources may all be absent).
    """
    wanted = set(sources)
    unknown = wanted - set(OUTCOME_SOURCES)
    if unknown:
        raise ConfigError(
            f"unknown data sources: {', '.join(sorted(unknown))}",
            hint=f"known: {', '.join(OUTCOME_SOURCES)}",
        )
    out: list[Example] = []
    folders = {"routellm-evals": wanted & {"routellm-mmlu", "routellm-gsm8k", "mt-bench"}}
    folders["mmlu-pro-outcomes"] = wanted & {"mmlu-pro"}
    folders["alpaca-eval"] = wanted & {"alpaca-eval"}
    readers = {"routellm-evals": None, "mmlu-pro-outcomes": _mmlu_pro, "alpaca-eval": _alpaca_eval}
    for folder, names in folders.items():
        if not names:
            continue
        path = roots.find(folder)
        if path is None:
            if require:
                raise ConfigError(f"routing data {folder}/ not found", hint=DATA_HINT)
            continue
        reader = readers[folder]
        out.extend(_routellm(path, names) if reader is None else reader(path))
    if not out and require:
        raise ConfigError("no labelled routing data found", hint=DATA_HINT)
    return out


def load_arena_hard(roots: DataRoots) -> list[str]:
    """Arena-Hard prompts (v0.1 and v2.0), or [] when the folder is not there."""
    path = roots.find("arena-hard")
    if path is None:
        return []
    out: list[str] = []
    for name in sorted(path.glob("*.jsonl")):
        # split("\n"), not splitlines(): prompts contain U+2028 and other line breaks.
        for line in name.read_text("utf-8").split("\n"):
            if line.strip():
                out.append(str(json.loads(line)["prompt"]))
    return out


def side_of(prompt: str) -> Side:
    """Which half a prompt belongs to: fixed by its text, never by its position."""
    digest = hashlib.blake2b(prompt.strip().encode("utf-8"), key=SPLIT_SEED.encode()).digest()
    return "eval" if digest[0] & 1 else "train"


def split(examples: Iterable[Example]) -> tuple[list[Example], list[Example]]:
    """The (train, eval) halves; duplicates of one prompt always share a side."""
    train: list[Example] = []
    held_out: list[Example] = []
    for ex in examples:
        (held_out if side_of(ex.prompt) == "eval" else train).append(ex)
    return train, held_out


def _score(value: object, where: str) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if not isinstance(value, int | float):
        raise ValueError(f"{where} must be a number between 0 and 1 or a boolean")
    if not 0.0 <= float(value) <= 1.0:
        raise InvalidRequestError(f"{where}: scores must be between 0 and 1")
    return float(value)


_LINE = (
    'each line needs "prompt" and "outcomes" per tier, e.g. '
    '{"prompt": "...", "outcomes": {"haiku": 0, "sonnet": 1}}'
)


def load_user_jsonl(
    path: Path, *, weak_tier: Tier | None = None, strong_tier: Tier | None = None
) -> list[Example]:
    """A team's own outcomes, one JSON object per line::

        {"prompt": "...", "outcomes": {"haiku": 0, "sonnet": 1, "opus": 1}}

    Outcomes are 0/1 (or a grade in [0, 1], or true/false) per tier that was tried; the
    cheaper tier is ``weak_tier`` (default: the cheapest tier in the line) and the stronger
    ``strong_tier`` (default: the most capable one, when it is not the cheaper one).
    ``{"prompt", "weak", "strong"}`` lines work too. ``source`` (optional) names where a
    line came from.
    """
    out: list[Example] = []
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InvalidRequestError(f"cannot read {path}: {exc.strerror or exc}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
            if "class" in record and not {"outcomes", "scores", "weak"} & set(record):
                continue  # a class label only: the class stage's row (router.class_train)
            prompt = str(record["prompt"])
            per_tier = record.get("outcomes", record.get("scores"))
            if per_tier is None and "weak" not in record:
                raise InvalidRequestError(
                    f'{where}: not a routing example: no "outcomes" (nor "weak")', hint=_LINE
                )
            if per_tier is not None:
                tiers = {Tier(str(k).lower()): _score(v, where) for k, v in per_tier.items()}
                ranked = sorted(tiers, key=lambda t: t.rank)
                weak_t = weak_tier or ranked[0]
                strong_t = strong_tier or ranked[-1]
                weak = tiers[weak_t]
                strong = tiers.get(strong_t) if strong_t.rank > weak_t.rank else None
            else:
                weak = _score(record["weak"], where)
                strong = None if record.get("strong") is None else _score(record["strong"], where)
        except InvalidRequestError:
            raise
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, IndexError) as exc:
            raise InvalidRequestError(
                f"{where}: not a routing example ({type(exc).__name__}: {exc})", hint=_LINE
            ) from None
        out.append(Example(prompt, weak, strong, str(record.get("source", "user"))))
    if not out:
        raise InvalidRequestError(f"{path} has no examples")
    return out

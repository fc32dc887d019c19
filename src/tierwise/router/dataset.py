"""Labelled routing data: per-prompt outcomes of a weaker and a stronger model.

The built-in source is RouteLLM's public evaluation data (GPT-4 as the strong model, Mixtral
8x7B as the weak one, on MMLU, GSM8K and MT-Bench), a *proxy* for a cheaper and a stronger
Claude tier. Prompts RouteLLM lists as contaminated are dropped. The train/eval split is a
deterministic function of the prompt text (a keyed hash), so the same prompt never lands on
both sides and training can never read the evaluation half.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tierwise.errors import ConfigError, InvalidRequestError

__all__ = [
    "DATA_ENV",
    "Example",
    "default_data_dir",
    "load_routellm",
    "load_user_jsonl",
    "split",
]

DATA_ENV = "TIERWISE_EVAL_DATA"
SPLIT_SEED = "tierwise-split-v1"
# MT-Bench: the weak answer is "not good enough" when GPT-4 judged it below this score...
MT_BENCH_GOOD = 8.0
Side = Literal["train", "eval"]


@dataclass(frozen=True, slots=True)
class Example:
    """One prompt: whether (or how well) each model answered it. Scores are in [0, 1]."""

    prompt: str
    weak: float
    strong: float
    source: str
    group: str | None = None
    """A finer label shared by related prompts (an MMLU subject) used to denoise targets."""

    @property
    def weak_insufficient(self) -> bool:
        return self.weak < 0.5


def default_data_dir() -> Path:
    """``$TIERWISE_EVAL_DATA``, else ``../shared/data/routellm-evals`` beside the checkout."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent.parent / "shared" / "data" / "routellm-evals"
        if candidate.is_dir():
            return candidate
    return Path.cwd().parent / "shared" / "data" / "routellm-evals"


def _contaminated(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    out: set[str] = set()
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            out.add(record.get("eval_prompt", "").strip())
    return out


def _truth(value: str) -> float:
    return 1.0 if value.strip().lower() == "true" else 0.0


def _read_csv(
    path: Path, source: str, dropped: set[str], group: str | None = None
) -> Iterator[Example]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        weak_col = header.index("mistralai/Mixtral-8x7B-Instruct-v0.1")
        strong_col = header.index("gpt-4-1106-preview")
        for row in reader:
            prompt = row[0]
            if prompt.strip() in dropped:
                continue
            yield Example(prompt, _truth(row[weak_col]), _truth(row[strong_col]), source, group)


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
        weak = scores.get((qid, "mistralai/Mixtral-8x7B-Instruct-v0.1"))
        strong = scores.get((qid, "gpt-4-1106-preview"))
        if weak is None or strong is None or prompt.strip() in dropped:
            continue
        yield Example(
            prompt, float(weak >= MT_BENCH_GOOD), float(strong >= MT_BENCH_GOOD), "mt_bench"
        )


def load_routellm(
    root: Path | None = None, sources: Iterable[str] = ("mmlu", "gsm8k", "mt_bench")
) -> list[Example]:
    """All labelled examples of the chosen sources, contaminated prompts removed."""
    root = root or default_data_dir()
    if not root.is_dir():
        raise ConfigError(
            f"routing data not found at {root}",
            hint=f"set {DATA_ENV} to the routellm-evals directory, or pass --data",
        )
    wanted = set(sources)
    out: list[Example] = []
    if "mmlu" in wanted:
        dropped = _contaminated(root / "mmlu" / "contaminated_prompts.jsonl")
        for path in sorted((root / "mmlu" / "responses").glob("mmlu_*.csv")):
            out.extend(_read_csv(path, "mmlu", dropped, path.stem.removeprefix("mmlu_")))
    if "gsm8k" in wanted:
        dropped = _contaminated(root / "gsm8k" / "contaminated_prompts.jsonl")
        out.extend(_read_csv(root / "gsm8k" / "gsm8k_responses.csv", "gsm8k", dropped))
    if "mt_bench" in wanted:
        out.extend(_mt_bench(root / "mt_bench"))
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


def load_user_jsonl(
    path: Path, *, weak_tier: str = "haiku", strong_tier: str = "opus"
) -> list[Example]:
    """A team's own outcomes: JSONL with ``prompt`` and either ``weak``/``strong`` or
    ``scores`` per tier (``{"haiku": 0/1 or 0-1, "sonnet": ..., "opus": ...}``)."""
    out: list[Example] = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            prompt = str(record["prompt"])
            if "scores" in record:
                scores = record["scores"]
                weak, strong = float(scores[weak_tier]), float(scores[strong_tier])
            else:
                weak, strong = float(record["weak"]), float(record["strong"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InvalidRequestError(
                f"{path}:{number}: not a routing example ({type(exc).__name__}: {exc})",
                hint='each line needs "prompt" and "weak"/"strong" or "scores" per tier',
            ) from None
        if not (0.0 <= weak <= 1.0 and 0.0 <= strong <= 1.0):
            raise InvalidRequestError(f"{path}:{number}: scores must be between 0 and 1")
        out.append(Example(prompt, weak, strong, str(record.get("source", "user"))))
    if not out:
        raise InvalidRequestError(f"{path} has no examples")
    return out

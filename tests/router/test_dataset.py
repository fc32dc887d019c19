"""Routing data: contamination dropped, split hygiene, user JSONL."""

from pathlib import Path

import pytest

from tierwise.errors import InvalidRequestError
from tierwise.router.dataset import (
    Example,
    default_data_dir,
    load_routellm,
    load_user_jsonl,
    side_of,
    split,
)

DATA = default_data_dir()
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"RouteLLM eval data not found at {DATA} (set TIERWISE_EVAL_DATA)"
)


def test_split_is_a_function_of_the_prompt() -> None:
    examples = [Example(f"prompt {i}", 1.0, 1.0, "x") for i in range(200)]
    train, held = split(examples)
    assert 60 < len(held) < 140
    assert {e.prompt for e in train}.isdisjoint({e.prompt for e in held})
    # Order and duplicates do not matter: a prompt always lands on the same side.
    again_train, _ = split(list(reversed(examples)) + examples[:10])
    assert {e.prompt for e in again_train} == {e.prompt for e in train}
    assert side_of("  prompt 3 ") == side_of("prompt 3")


@needs_data
def test_routellm_loads_without_contaminated_prompts() -> None:
    import json

    examples = load_routellm(DATA)
    by_source = {s: [e for e in examples if e.source == s] for s in ("mmlu", "gsm8k", "mt_bench")}
    assert len(by_source["mmlu"]) > 13_000 and len(by_source["gsm8k"]) > 1_200
    dropped = {
        json.loads(line)["eval_prompt"].strip()
        for line in (DATA / "gsm8k" / "contaminated_prompts.jsonl").read_text().splitlines()
    }
    assert dropped and not dropped & {e.prompt.strip() for e in by_source["gsm8k"]}
    assert all(e.group for e in by_source["mmlu"])
    train, held = split(examples)
    assert not {e.prompt for e in train} & {e.prompt for e in held}


def test_user_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "outcomes.jsonl"
    path.write_text(
        '{"prompt": "a", "scores": {"haiku": 0, "sonnet": 1, "opus": 1}}\n'
        '{"prompt": "b", "weak": 1, "strong": 1}\n'
    )
    a, b = load_user_jsonl(path)
    assert (a.weak, a.strong) == (0.0, 1.0) and (b.weak, b.strong) == (1.0, 1.0)
    path.write_text('{"prompt": "a", "weak": 2, "strong": 1}\n')
    with pytest.raises(InvalidRequestError, match="between 0 and 1"):
        load_user_jsonl(path)
    path.write_text('{"text": "a"}\n')
    with pytest.raises(InvalidRequestError, match=":1: not a routing example"):
        load_user_jsonl(path)

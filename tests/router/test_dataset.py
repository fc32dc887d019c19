"""Routing data: every source loads with its label, contamination dropped, user JSONL."""

from pathlib import Path

import pytest

from tierwise.core.tiers import Tier
from tierwise.errors import ConfigError, InvalidRequestError
from tierwise.router.dataset import (
    Example,
    find_roots,
    load_arena_hard,
    load_sources,
    load_user_jsonl,
    side_of,
    split,
)

ROOTS = find_roots()
needs_data = pytest.mark.skipif(
    ROOTS.find("routellm-evals") is None or ROOTS.find("mmlu-pro-outcomes") is None,
    reason="routing data not found (set TIERWISE_EVAL_DATA to the shared data directory)",
)


def test_split_is_a_function_of_the_prompt() -> None:
    examples = [Example(f"prompt {i}", 1.0, 1.0, "x") for i in range(200)]
    train, held = split(examples)
    assert 60 < len(held) < 140
    assert {e.prompt for e in train}.isdisjoint({e.prompt for e in held})
    again_train, _ = split(list(reversed(examples)) + examples[:10])
    assert {e.prompt for e in again_train} == {e.prompt for e in train}
    assert side_of("  prompt 3 ") == side_of("prompt 3")


def test_near_duplicate_key_ignores_options_and_case() -> None:
    mmlu = Example("What is 2+2?\nA. 3\nB. 4\nC. 5\nD. 6", 1.0, 1.0, "a")
    pro = Example("what is 2+2?\nA. 1\nB. 2\nC. 3\nD. 4\nE. 5\nF. 6", 0.0, 1.0, "b")
    assert mmlu.key == pro.key
    assert mmlu.key != Example("What is 3+3?", 1.0, 1.0, "a").key


@needs_data
def test_public_sources_load_with_their_labels() -> None:
    import json

    examples = load_sources(ROOTS)
    by = {s: [e for e in examples if e.source == s] for s in {e.source for e in examples}}
    assert set(by) == {"routellm-mmlu", "routellm-gsm8k", "mt-bench", "mmlu-pro"}
    assert len(by["routellm-mmlu"]) > 13_000 and len(by["routellm-gsm8k"]) > 1_200
    assert len(by["mmlu-pro"]) > 11_000
    # MMLU-Pro's label is the share of cheap models that failed: soft, not only 0/1.
    assert any(0 < e.weak < 1 for e in by["mmlu-pro"])
    assert all(e.strong is not None for e in examples)
    root = ROOTS.find("routellm-evals")
    assert root is not None
    dropped = {
        json.loads(line)["eval_prompt"].strip()
        for line in (root / "gsm8k" / "contaminated_prompts.jsonl").read_text().splitlines()
    }
    assert dropped and not dropped & {e.prompt.strip() for e in by["routellm-gsm8k"]}


@needs_data
def test_arena_hard_prompts_load_whole() -> None:
    prompts = load_arena_hard(ROOTS)
    assert len(prompts) == 1250 and all(prompts)


def test_missing_data_is_a_clear_error(tmp_path: Path) -> None:
    roots = find_roots([tmp_path])
    assert roots.roots == (tmp_path,)  # an explicit choice is not widened
    with pytest.raises(ConfigError, match="routellm-evals/ not found") as info:
        load_sources(roots)
    assert "TIERWISE_EVAL_DATA" in (info.value.hint or "")
    # Optional sources may all be absent: `router eval` adds them when present.
    assert load_sources(roots, ["alpaca-eval"], require=False) == []
    with pytest.raises(ConfigError, match="unknown data sources"):
        load_sources(roots, ["routerarena"])


def test_user_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "outcomes.jsonl"
    path.write_text(
        '{"prompt": "a", "outcomes": {"haiku": 0, "sonnet": 1, "opus": true}}\n'
        '{"prompt": "b", "weak": 1, "strong": 1}\n'
        '{"prompt": "c", "outcomes": {"Sonnet": 0.25}}\n'
        '{"prompt": "d", "weak": 0}\n'
    )
    a, b, c, d = load_user_jsonl(path)
    assert (a.weak, a.strong) == (0.0, 1.0) and (b.weak, b.strong) == (1.0, 1.0)
    assert (c.weak, c.strong) == (0.25, None) and (d.weak, d.strong) == (0.0, None)
    (a2, *_) = load_user_jsonl(path, weak_tier=Tier.SONNET, strong_tier=Tier.OPUS)
    assert (a2.weak, a2.strong) == (1.0, 1.0)
    path.write_text('{"prompt": "a", "weak": 2, "strong": 1}\n')
    with pytest.raises(InvalidRequestError, match="between 0 and 1"):
        load_user_jsonl(path)
    path.write_text('{"text": "a"}\n')
    with pytest.raises(InvalidRequestError, match=":1: not a routing example"):
        load_user_jsonl(path)
    path.write_text("\n")
    with pytest.raises(InvalidRequestError, match="no examples"):
        load_user_jsonl(path)

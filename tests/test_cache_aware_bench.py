"""bench/cache_aware.py's policy-bound all-Sonnet baseline: Sonnet wherever the quality policy
allows plain Sonnet, else the lowest option the policy allows (never below it)."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest

from tierwise.client import Tierwise
from tierwise.config import load_settings
from tierwise.core.routing import Decision
from tierwise.core.tiers import Tier

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    sys.path.insert(0, str(BENCH))  # cache_aware imports its sibling evaluation_loop
    try:
        name = "bench_cache_aware"
        spec = importlib.util.spec_from_file_location(name, BENCH / "cache_aware.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture(scope="module")
def planning(tmp_path_factory: pytest.TempPathFactory) -> Decision:
    """The agent workload's planning turn as the packaged router decides it."""
    settings = load_settings(environ={}).settings
    ledger = tmp_path_factory.mktemp("ledger") / "l.db"
    text = (
        "Write the post-mortem: timeline, root cause, contributing factors, and three "
        "concrete remediations with owners, reasoning from all the logs so far."
    )
    with Tierwise.from_settings(settings, ledger_url=f"sqlite:///{ledger}") as tw:
        return tw.route({"messages": [{"role": "user", "content": [{"text": text}]}]})


def test_borderline_planning_work_gets_sonnet_with_the_class_lines_budget(
    bench: ModuleType, planning: Decision
) -> None:
    assert planning.tier is Tier.OPUS
    assert planning.lowest is Tier.SONNET and planning.lowest_thinking_budget
    assert bench.policy_sonnet(planning) == (Tier.SONNET, planning.lowest_thinking_budget)


def test_work_the_policy_keeps_on_opus_stays_on_opus(bench: ModuleType, planning: Decision) -> None:
    held = replace(planning, lowest=None, lowest_thinking_budget=None, thinking_budget=None)
    assert bench.policy_sonnet(held) == (Tier.OPUS, None)


def test_sonnet_with_thinking_keeps_its_budget_and_cheaper_routes_get_plain_sonnet(
    bench: ModuleType, planning: Decision
) -> None:
    plain = replace(planning, lowest=None, lowest_thinking_budget=None)
    assert bench.policy_sonnet(replace(plain, tier=Tier.SONNET, thinking_budget=4096)) == (
        Tier.SONNET,
        4096,
    )
    assert bench.policy_sonnet(replace(plain, tier=Tier.SONNET, thinking_budget=None)) == (
        Tier.SONNET,
        None,
    )
    assert bench.policy_sonnet(replace(plain, tier=Tier.HAIKU, thinking_budget=None)) == (
        Tier.SONNET,
        None,
    )
    below = replace(plain, lowest=Tier.HAIKU, lowest_thinking_budget=None)
    assert bench.policy_sonnet(below) == (Tier.SONNET, None)


def test_a_rerun_goes_on_top_of_the_earlier_runs(
    bench: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["cache_aware.py", "--questions", "300"])
    bench.write_results("x.txt", "cache_aware.py", ["first run"], results=tmp_path)
    bench.write_results("x.txt", "cache_aware.py", ["second run"], results=tmp_path)
    text = (tmp_path / "x.txt").read_text()
    command = "$ python bench/cache_aware.py --questions 300\n"
    assert text == command + "second run\n\n" + command + "first run\n"

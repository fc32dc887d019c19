"""Routing decisions equal those of the code before the shared-text speed-ups, byte for byte.

Every plan's ``repr`` and route record, for a few thousand plans, is compared with a digest
the code before them produced (tests/core/data/plan_digests.txt): the held-out requests of
tests/router/data (not the acceptance files) with test_route_cpu's variants (long, string
content, case, maths, non-ASCII), prompts shaped like bench/request_cpu.py's, and requests
that reach the edges of the shared word lists (a system prompt, text past the class model's
and the difficulty model's limits, non-ASCII case mappings, CJK, paragraphs of material),
each under three hints, twice (the second time with the cache state warm and the models'
memos full). Records hold floats summed in a string set's order, which follows the hash
seed, so the planning runs in a child process with ``PYTHONHASHSEED=0``.

To rewrite the digests (only from code whose decisions are the reference):
``PYTHONHASHSEED=0 python tests/core/test_plan_digest.py --write``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
DIGESTS = HERE / "data" / "plan_digests.txt"
sys.path.insert(0, str(HERE))

CALL_PROMPT = "Summarize in one sentence: the quarterly numbers beat the forecast."
STREAM_PROMPT = "Explain in detail how TCP congestion control works, step by step."
# Text whose lower case is longer or context-dependent (final sigma, dotted I), words that
# split differently once lower-cased, and CJK runs read as character bigrams.
ODD_TEXTS = [
    "ΟΔΥΣΣΕΥΣ ΚΑΙ ΣΟΦΟΣ: explain why ΣΑΣ ΣΑΣ matters",
    "İSTANBUL İzmir İİ: list the cities, exactly 3, in one word each",
    "Straße STRASSE ǅemal ﬁle ﬀ: translate this and compare the spellings",
    "请把这段话翻译成英文并解释为什么：我们的季度数字超过了预期。",
    "東京の天気はどうですか？一言で答えてください。日本語の文章を要約して。",
    "한국어 문장을 요약해 주세요: 분기 실적이 예상을 넘었습니다.",
    "Prove that √2 is irrational; ∑ 1/n² = π²/6, so ∞ ≠ 3.",
    "x\u0307y\u0130z \u03a3\u03a3 \u1e9e\u00df ǈ",
]


def _hints() -> list[Any]:
    from tierwise.core.hints import Hints
    from tierwise.core.tiers import Tier

    return [
        None,
        Hints(max_tier=Tier.SONNET),
        Hints(high_stakes=True),
    ]


def _user(text: str, system: str | None = None, max_tokens: int | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"messages": [{"role": "user", "content": [{"text": text}]}]}
    if system is not None:
        request["system"] = [{"text": system}]
    if max_tokens is not None:
        request["inferenceConfig"] = {"maxTokens": max_tokens}
    return request


def corpus() -> list[dict[str, Any]]:
    from test_route_cpu import _requests
    from test_route_once import _held

    from tierwise.core.signals import extract_signals

    out = list(_requests())
    numbers = itertools.count(1)
    for _ in range(40):
        out.append(_user(f"{CALL_PROMPT} (request {next(numbers):06d})", max_tokens=60))
    for _ in range(10):
        out.append(_user(f"{STREAM_PROMPT} (request {next(numbers):06d})", max_tokens=250))
    held = _held()
    texts = [extract_signals(r).user_text for r in held]
    for i, text in enumerate(texts[:60]):
        odd = ODD_TEXTS[i % len(ODD_TEXTS)]
        other = texts[(i + 7) % len(texts)]
        out.append(_user(f"{text}\n\n{odd}"))
        out.append(_user(f"{odd} {text}", system=other))
        if i % 3 == 0:
            # Past the class model's 3,000 characters and the difficulty model's 6,000, and
            # a system prompt past 2,000: the head/tail cuts and the material paragraphs.
            body = "\n".join(texts[i : i + 12])
            out.append(_user(f"{text}\n\n{body * 3}\n\n{odd}? {other}", system=body * 2))
            out.append(_user(f"{odd}{body[:2990]}{odd}", system=f"{odd}\n{other}"))
    return out


def records() -> list[str]:
    from test_route_once import _planner

    from tierwise.cache_state import MemoryCacheState
    from tierwise.config import load_settings

    planner = _planner(load_settings(environ={}).settings)
    # The cache state on a clock that steps per reading, not the wall clock: warm prefixes
    # expire after the same plans in every run.
    assert planner.cache_router is not None
    planner.cache_router.state = MemoryCacheState(clock=itertools.count(0.0, 0.25).__next__)
    requests = corpus()
    hints = _hints()
    out = []
    for _ in range(2):
        for request in requests:
            lines = []
            for hint in hints:
                plan = planner.plan("auto", request, hint)
                lines.append(
                    json.dumps([repr(plan), plan.route_record()], sort_keys=True, default=repr)
                )
            out.append(hashlib.sha256("\n".join(lines).encode()).hexdigest()[:20])
    return out


def _child_records() -> list[str]:
    import tierwise

    # The child plans with the very package this process imported.
    src = str(Path(tierwise.__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": path}
    done = subprocess.run(
        [sys.executable, __file__, "--print"], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


@pytest.mark.timeout(900)  # ~30 s on a quiet machine; minutes on a shared one
def test_plans_equal_the_reference_digests() -> None:
    expected = DIGESTS.read_text().split()
    got = _child_records()
    assert len(got) == len(expected) > 1000
    differ = [i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b]
    assert not differ, f"{len(differ)} requests plan differently, first at {differ[:10]}"


if __name__ == "__main__":
    if os.environ.get("PYTHONHASHSEED") != "0":
        raise SystemExit("run with PYTHONHASHSEED=0")
    lines = records()
    if sys.argv[1:] == ["--write"]:
        DIGESTS.parent.mkdir(exist_ok=True)
        DIGESTS.write_text("\n".join(lines) + "\n")
    else:
        print("\n".join(lines))

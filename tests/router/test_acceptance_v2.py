"""The blind acceptance set v2: 240 full requests, 80 intended per tier (issue 12).

The first set (heldout_requests.jsonl) was read while the router was tuned, so it no longer
measures generality. This one was written from scratch without reading the class corpus,
the cue lists or the first set, and committed before the router was run on it (commit
5c2d85d, landed as 7877bf5). Never train, tune or pick thresholds on it; whoever tunes is
told only the aggregates that bench/acceptance.py prints (agreement, interval, per-tier
confusion, misroutes by class), never the rows. Measured figures: docs/router/classes.md,
"Blind acceptance set v2".

Each row: id, tier (the tier a cost-disciplined expert would pick), class, why, lang (ISO
639-1 of the request), tricky (easy work in hard words or hard work in casual words), and
the Converse request.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tierwise.client import load_class_scorer, load_scorer
from tierwise.config import load_settings
from tierwise.core.routing import decide
from tierwise.core.taxonomy import TASK_CLASSES

SET = Path(__file__).parent / "data" / "acceptance_v2.jsonl"
TIERS = ("haiku", "sonnet", "opus")


def rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines()]


def texts(request: dict[str, Any]) -> list[str]:
    out = [s["text"] for s in request.get("system", [])]
    for message in request["messages"]:
        out.extend(b["text"] for b in message["content"] if "text" in b)
    return out


def words(request: dict[str, Any]) -> int:
    return sum(len(t.split()) for t in texts(request))


def has_block(request: dict[str, Any], kind: str) -> bool:
    return any(kind in b for m in request["messages"] for b in m["content"])


def test_the_set_is_realistic_and_balanced() -> None:
    data = rows()
    tiers = Counter(r["tier"] for r in data)
    assert len(data) >= 210
    assert set(tiers) == set(TIERS) and len(set(tiers.values())) == 1, tiers
    assert len({r["id"] for r in data}) == len(data)
    assert all(r["class"] in TASK_CLASSES and r["why"].strip() for r in data)
    assert set(TASK_CLASSES) == {r["class"] for r in data}
    requests = [r["request"] for r in data]
    n = len(data)
    assert sum("system" in q for q in requests) >= 0.35 * n
    assert sum("toolConfig" in q for q in requests) >= 20
    assert sum(len(q["messages"]) > 1 for q in requests) >= 25
    assert sum(has_block(q, "toolResult") for q in requests) >= 15
    assert sum(has_block(q, "document") for q in requests) >= 3
    assert sum(has_block(q, "image") for q in requests) >= 3
    assert sum(r["lang"] != "en" for r in data) >= 0.10 * n
    assert len({r["lang"] for r in data}) >= 8
    # From one-liners to requests of several thousand words.
    assert sum(words(q) <= 12 for q in requests) >= 10
    assert sum(words(q) >= 1500 for q in requests) >= 3
    for tier in TIERS:
        assert sum(r["tricky"] for r in data if r["tier"] == tier) >= 3, tier
    # Every high-stakes agent row really holds a tool that can do damage.
    for r in data:
        if r["class"] == "high_stakes_agent":
            assert r["tier"] == "opus" and "toolConfig" in r["request"], r["id"]


def test_the_requests_are_well_formed_converse() -> None:
    for r in rows():
        messages = r["request"]["messages"]
        assert messages[0]["role"] == "user" and messages[-1]["role"] == "user", r["id"]
        assert all(a["role"] != b["role"] for a, b in itertools.pairwise(messages)), r["id"]
        used = {b["toolUse"]["toolUseId"] for m in messages for b in m["content"] if "toolUse" in b}
        answered = {
            b["toolResult"]["toolUseId"]
            for m in messages
            for b in m["content"]
            if "toolResult" in b
        }
        assert used == answered, r["id"]
        assert not used or "toolConfig" in r["request"], r["id"]


def _shingles(text: str, size: int = 12) -> set[str]:
    tokens = re.findall(r"\w+", text.lower())
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def test_no_text_of_the_set_is_in_the_class_corpus() -> None:
    pytest.importorskip("scipy")
    from tierwise.router.class_train import load_corpus

    blocks = {t for r in rows() for t in texts(r["request"]) if len(t) > 30}
    shingles = set().union(*(_shingles(t) for t in blocks))
    for row in load_corpus():
        request = row["request"]
        corpus_texts = [s["text"] for s in request.get("system", [])]
        for message in request["messages"]:
            content = message["content"]
            for block in content if isinstance(content, list) else [{"text": content}]:
                if "text" in block:
                    corpus_texts.append(block["text"])
        for text in corpus_texts:
            assert text not in blocks
            # A copied passage inside a longer corpus text is caught by its 12-word runs.
            assert not _shingles(text) & shingles, text[:80]


def _route_all() -> tuple[float, list[str], list[str]]:
    settings = load_settings(environ={}).settings
    policy = settings.routing_policy()
    classes, difficulty = load_class_scorer(settings), load_scorer(settings)
    data = rows()
    agree, crossings, misses = 0, [], []
    for row in data:
        d = decide(row["request"], policy=policy, scorer=difficulty, class_scorer=classes)
        agree += d.tier.value == row["tier"]
        if d.tier.value != row["tier"]:
            # Classes and tiers only: the failure message must not leak the rows' texts.
            misses.append(f"{row['class']}->{d.task_class.name} {row['tier']}->{d.tier.value}")
        if {d.tier.value, row["tier"]} == {"haiku", "opus"}:
            crossings.append(f"{row['class']} {row['tier']}->{d.tier.value}")
    return agree / len(data), crossings, misses


@pytest.mark.xfail(strict=True, reason="below 90% or crossings (docs/router/classes.md)")
def test_agreement_is_at_least_90_percent_with_no_haiku_opus_crossing() -> None:
    agreement, crossings, misses = _route_all()
    assert not crossings, crossings
    assert agreement >= 0.90, (agreement, sorted(misses))

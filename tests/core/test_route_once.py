"""Per-request work done once in routing and planning gives the plans it gave before.

The planner hands the decision's own token count to the cache router instead of letting
it count the request again, and the decision computes the class evidence per tier
(``tier_mass``) once for the class step and the difficulty step. Both must leave every
plan as it was: checked here against the path that counts and computes again, on the
held-out requests of tests/router/data (not the acceptance files), long requests built
from them (above every tier's cache minimum, so the cache router really chooses), string
content (read as text blocks by the router, not by the cache router's own count), and
each request under a few hints.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tierwise.cache_router import CacheRouter
from tierwise.cache_state import MemoryCacheState
from tierwise.client import load_class_scorer
from tierwise.config import Settings, load_settings
from tierwise.core.hints import Hints
from tierwise.core.routing import class_step, decide, predict_class, tier_mass
from tierwise.core.signals import extract_signals
from tierwise.core.tiers import Tier
from tierwise.core.tokens import count_request
from tierwise.engine import plan as plan_module
from tierwise.engine.plan import Plan, Planner
from tierwise.router.weights import load_model

DATA = Path(__file__).resolve().parents[1] / "router" / "data" / "heldout_requests.jsonl"

HINTS = [
    None,
    Hints(max_tier=Tier.SONNET),
    Hints(high_stakes=True),
]


def _held() -> list[dict[str, Any]]:
    return [json.loads(line)["request"] for line in DATA.read_text().splitlines() if line]


def _corpus() -> list[dict[str, Any]]:
    held = _held()
    out = list(held)
    texts = [extract_signals(r).user_text for r in held]
    for i in range(0, len(held), 10):
        # Long: a pasted body of other requests' text, above the tiers' cache minimums.
        body = "\n\n".join(texts[i : i + 30]) * 4
        out.append({**held[i], "system": [{"text": body}]})
        out.append(
            {
                "messages": [
                    {"role": "user", "content": [{"text": body}]},
                    {"role": "assistant", "content": [{"text": texts[i]}]},
                    {"role": "user", "content": [{"text": texts[(i + 1) % len(texts)]}]},
                ]
            }
        )
        # String content: the router reads it as text blocks, the cache router does not.
        out.append({"messages": [{"role": "user", "content": body}], "system": texts[i]})
        out.append({"messages": [{"role": "user", "content": texts[i]}]})
    return out


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(environ={}).settings


def _planner(settings: Settings) -> Planner:
    return Planner(
        settings,
        load_model(),
        load_class_scorer(settings),
        CacheRouter(settings, MemoryCacheState()),
    )


def _plans(planner: Planner) -> Iterator[Plan]:
    for request in _corpus():
        for hints in HINTS:
            yield planner.plan("auto", request, hints)


def test_plans_are_those_of_counting_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = list(_plans(_planner(settings)))
    # The reference: the cache router counts the request itself, as it did before.
    monkeypatch.setattr(plan_module, "_decision_tokens", lambda decision, request: None)
    slow = list(_plans(_planner(settings)))
    assert len(fast) == len(slow) == len(_corpus()) * len(HINTS)
    chose = 0
    for a, b in zip(fast, slow, strict=True):
        assert a == b
        assert a.route_record() == b.route_record()
        chose += a.cache is not None
    assert chose > 10  # the cache router really chose on the long requests


def test_the_decision_count_is_the_requests_own() -> None:
    counted = 0
    policy = load_settings(environ={}).settings.routing_policy()
    for request in _corpus():
        decision = decide(request, policy=policy)
        tokens = plan_module._decision_tokens(decision, request)
        strings = isinstance(request.get("system"), str) or any(
            isinstance(m.get("content"), str) for m in request["messages"]
        )
        if strings:
            assert tokens is None
        else:
            assert tokens == count_request(request)
            counted += 1
    assert counted > 150


def test_class_step_with_the_mass_given_is_the_same(settings: Settings) -> None:
    policy = settings.routing_policy()
    classes = load_class_scorer(settings)
    for request in _corpus():
        for scorer in (classes, None):
            pred = predict_class(extract_signals(request), scorer)
            assert class_step(pred, policy, tier_mass(pred, policy)) == class_step(pred, policy)

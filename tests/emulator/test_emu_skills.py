"""Skill-tagged answers (offline evaluation truth) keep what the model would bill."""

from __future__ import annotations

from typing import Any

from emulator_testdata import SONNET, user

from tierwise.core.tokens import count_block
from tierwise.emulator import Emulator
from tierwise.emulator.skills import CLASS_KEY


def test_a_skill_answer_keeps_and_bills_its_thinking(emu: Emulator, runtime: Any) -> None:
    # Bedrock bills the thinking a model generated as output. A skill-tagged answer replaced
    # the engine's blocks by its text alone, so thinking was free on skill-tagged requests
    # (and the cache-aware benchmark priced Sonnet with thinking below what it costs).
    emu.set_skills(
        {
            "plan": {"haiku": 0.3, "sonnet": 0.9, "opus": 1.0},
            "label": {"haiku": 0.9, "sonnet": 0.95, "opus": 1.0, "closed": True},
        }
    )
    try:
        for name in ("plan", "label"):
            response = runtime.converse(
                modelId=SONNET,
                messages=[user(f"Task {name}: design the migration plan.")],
                inferenceConfig={"maxTokens": 4096},
                additionalModelRequestFields={
                    "thinking": {"type": "enabled", "budget_tokens": 2048}
                },
                requestMetadata={CLASS_KEY: name},
            )
            content = response["output"]["message"]["content"]
            assert "reasoningContent" in content[0] and "text" in content[-1]
            thought = count_block(content[0])
            assert thought > 0
            assert response["usage"]["outputTokens"] == sum(count_block(b) for b in content)
            assert response["usage"]["outputTokens"] > count_block(content[-1])
            asked = {
                "requestMetadata": {CLASS_KEY: name},
                "messages": [user(f"Task {name}: design the migration plan.")],
            }
            assert emu.acceptable(asked, content[-1]["text"]) is not None
    finally:
        emu.set_skills({})

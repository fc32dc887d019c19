"""A request that [escalation] on_error moved up and that still failed says which tiers failed."""

from __future__ import annotations

from typing import Any

import pytest

from tierwise.client import Tierwise
from tierwise.errors import ExhaustedError


def test_the_error_after_failing_over_names_every_tier_tried(
    tw: Tierwise, live_emulator: Any
) -> None:
    live_emulator.inject(kind="throttle", count=50)
    try:
        with pytest.raises(ExhaustedError) as info:
            tw.converse(modelId="haiku", messages=[{"role": "user", "content": [{"text": "hi"}]}])
    finally:
        live_emulator.reset()
    message = str(info.value)
    assert message.startswith("haiku and sonnet failed first")
    assert "on_error = 'allow-upgrade'" in message
    assert "opus" in message
    assert info.value.code == "ThrottlingException"

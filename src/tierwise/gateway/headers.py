"""The ``x-tierwise-*`` response headers: what answered, why, what it cost, what we added."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from tierwise.core.mappings import is_mapping

__all__ = ["EXPOSED_HEADERS", "REASON_MAX", "overhead_ms", "tierwise_headers"]

REASON_MAX = 400
# The response headers a browser app may read across origins ([gateway] cors_origins): what
# tierwise_headers and the error replies set.
EXPOSED_HEADERS = (
    "x-tierwise-tier", "x-tierwise-model-id", "x-tierwise-route-reason",
    "x-tierwise-overhead-ms", "x-tierwise-request-id", "x-tierwise-dropped",
    "x-tierwise-cost-usd", "x-tierwise-attempts", "x-tierwise-guardrail-action",
    "retry-after", "x-should-retry",
)  # fmt: skip


def overhead_ms(info: Mapping[str, Any], started: float) -> float:
    """Milliseconds spent in tierwise since ``started``, the Bedrock calls excluded."""
    elapsed = (time.perf_counter() - started) * 1000
    return max(0.0, elapsed - float(info.get("upstreamMs") or 0.0))


def _reason(route: Mapping[str, Any]) -> str:
    reasons = route.get("reasons") or []
    # The last reasons state the conclusion ("... : Sonnet"); earlier ones are the inputs.
    text = "; ".join(str(r) for r in reasons[-2:]) if reasons else str(route.get("via", ""))
    task = route.get("task_class")
    if is_mapping(task):
        # The class first: its name, confidence, runner-up and the policy line that applied.
        confidence = float(task.get("confidence") or 0)
        second = float(task.get("runner_up_confidence") or 0)
        text = (
            f"class {task.get('name')} {confidence:.2f} (runner-up {task.get('runner_up')} "
            f"{second:.2f}) by {task.get('policy_line')}; {text}"
        )
    # Header values must be ASCII and single-line.
    ascii_text = text.encode("ascii", "replace").decode("ascii")
    return " ".join(ascii_text.split())[:REASON_MAX]


def tierwise_headers(
    info: Mapping[str, Any], started: float, *, final: bool = True
) -> dict[str, str]:
    """Headers from a response's ``tierwise`` section.

    ``final=False`` is for streams, whose headers leave before the answer is priced: cost
    and attempts then come in the stream's last chunk and trailing comment instead.
    """
    headers = {
        "x-tierwise-tier": str(info.get("tier") or "passthrough"),
        "x-tierwise-model-id": str(info.get("modelId") or ""),
        "x-tierwise-route-reason": _reason(info.get("route") or {}),
        "x-tierwise-overhead-ms": f"{overhead_ms(info, started):.3f}",
        "x-tierwise-request-id": str(info.get("requestId") or ""),
    }
    dropped = info.get("dropped")
    if dropped:
        # Parameters tierwise removed because Bedrock refuses them together (top_p).
        headers["x-tierwise-dropped"] = ", ".join(str(d) for d in dropped)
    if final:
        answers = [a for a in info.get("attempts") or () if a.get("kind") == "answer"]
        headers["x-tierwise-cost-usd"] = str(info.get("costUsd") or "0")
        headers["x-tierwise-attempts"] = str(len(answers) or 1)
        guard = info.get("guardrail")
        if guard:
            headers["x-tierwise-guardrail-action"] = str(guard.get("action", "NONE"))
    return headers

"""The small, realistic mixed workload `tierwise demo` sends (also used by benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DemoItem", "demo_workload"]

_POLICY = (
    "You are the support assistant of Northwind Cloud Storage. Answer only from the policy "
    "excerpts and retrieved passages you are given; cite passage numbers; if the answer is not "
    "there, say so and offer to open a ticket. "
)
# A long, stable system prompt: the kind of prefix prompt caching exists for.
_POLICY_SECTIONS = [
    f"Section {i}: {topic}. Customers on the {plan} plan may {action}; requests outside this "
    f"window are reviewed by a human agent within {hours} business hours, and every exception "
    "is logged with the ticket number, the agent's name and the reason for the decision. "
    for i, (topic, plan, action, hours) in enumerate(
        [
            ("Refunds", "Business", "request a prorated refund within 30 days", 24),
            ("Data retention", "Team", "restore deleted files for 90 days", 48),
            ("Storage limits", "Personal", "exceed the quota by 10% for 7 days", 24),
            ("Account recovery", "Business", "recover access with two verified factors", 4),
            ("Regional hosting", "Enterprise", "pin data to an EU or US region", 72),
            ("Encryption keys", "Enterprise", "bring their own KMS keys", 72),
            ("Sharing", "Team", "share folders with up to 500 external users", 24),
            ("Audit logs", "Business", "export audit logs for 365 days", 48),
        ]
        * 6,
        start=1,
    )
]
SUPPORT_SYSTEM = _POLICY + "".join(_POLICY_SECTIONS)

_WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["city"],
            }
        },
    }
}


@dataclass(frozen=True)
class DemoItem:
    name: str
    tier: str  # "auto" lets the router decide
    request: dict[str, Any]


def _user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


def _support(question: str) -> dict[str, Any]:
    return {
        "system": [{"text": SUPPORT_SYSTEM}, {"cachePoint": {"type": "default"}}],
        "messages": _user(
            "Passage 1: Refund requests on annual Business plans are prorated by month.\n"
            "Passage 2: Refunds are paid to the original payment method within 10 days.\n"
            f"Question: {question}"
        ),
        "inferenceConfig": {"maxTokens": 400},
    }


def demo_workload(tiers: dict[str, str] | None = None) -> list[DemoItem]:
    """The demo's requests; ``tiers`` maps item name to a tier, default ``auto``."""
    tiers = tiers or {}
    items = [
        (
            "classify ticket",
            {
                "messages": _user(
                    "Classify this support ticket into exactly one of: billing, technical, "
                    "account. Respond with only the label.\nTicket: I was charged twice for "
                    "my March invoice."
                ),
                "inferenceConfig": {"maxTokens": 10},
            },
        ),
        ("RAG answer (1st)", _support("Can I get a refund after 3 months on an annual plan?")),
        ("RAG answer (2nd, cached)", _support("How long does a refund take to arrive?")),
        (
            "tool call",
            {
                "messages": _user("Use the get_weather tool to look up the weather in Paris."),
                "toolConfig": {"tools": [_WEATHER_TOOL]},
                "inferenceConfig": {"maxTokens": 300},
            },
        ),
        (
            "hard analysis",
            {
                "messages": _user(
                    "Three regional sales reports disagree about Q3 revenue: EMEA reports "
                    "$4.1M with a currency adjustment, the finance ledger shows $3.7M, and the "
                    "CRM export shows $4.4M including deals signed after quarter close. "
                    "Reconcile the conflicting figures step by step, identify which "
                    "assumptions cause each discrepancy, derive the most defensible number, "
                    "and prove that your reconciliation accounts for every difference."
                ),
                "inferenceConfig": {"maxTokens": 1200},
            },
        ),
    ]
    return [DemoItem(name, tiers.get(name, "auto"), req) for name, req in items]

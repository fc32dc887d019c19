"""Choosing the newest Haiku, Sonnet and Opus from a list of Bedrock model/profile IDs.

Claude IDs come in two spellings: ``anthropic.claude-3-7-sonnet-20250219-v1:0`` (version
before family) and ``anthropic.claude-sonnet-4-5-20250929-v1:0`` (family before version);
newer models may carry no date (``anthropic.claude-sonnet-4-6``). Profiles add a geography
prefix (``global.``, ``us.``, ``eu.``, ``apac.``, ``jp.``). Recency is the version number,
then the date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from tierwise.core.tiers import Tier

__all__ = ["ClaudeId", "foundation_model_id", "newest_per_tier", "parse_claude_id"]

_ID = re.compile(
    r"^(?:(?P<geo>[a-z]+)\.)?anthropic\.claude-"
    r"(?:(?P<v1>\d+(?:-\d)?)-(?P<fam1>haiku|sonnet|opus)|(?P<fam2>haiku|sonnet|opus)-(?P<v2>\d+(?:-\d)?))"
    r"(?:-(?P<date>\d{8}))?(?:-v\d+(?::\d+)?)?$"
)

_PROFILE_PREFIX = re.compile(r"^(?:global|us|us-gov|eu|apac|jp|au|ca)\.(?=[a-z]+\.)")


# A call looks its model up three times (pricing, output limit, ledger row), among a few
# configured profiles: the substitution runs once per ID, not per lookup.
@lru_cache(maxsize=512)
def foundation_model_id(model_id: str) -> str:
    """The foundation-model ID behind an inference-profile ID or ARN
    (``arn:...:inference-profile/eu.anthropic.x`` and ``global.anthropic.x`` -> ``anthropic.x``)."""
    tail = model_id.rsplit("/", 1)[-1] if model_id.startswith("arn:") else model_id
    return _PROFILE_PREFIX.sub("", tail)


@dataclass(frozen=True, slots=True, order=True)
class ClaudeId:
    version: tuple[int, ...]
    date: str
    tier: Tier
    geo: str
    raw: str


def parse_claude_id(model_id: str) -> ClaudeId | None:
    """Parse a Claude model or inference-profile ID (an ARN's last segment works too)."""
    tail = model_id.rsplit("/", 1)[-1]
    m = _ID.match(tail)
    if m is None:
        return None
    family = m.group("fam1") or m.group("fam2")
    version = m.group("v1") or m.group("v2")
    return ClaudeId(
        version=tuple(int(p) for p in version.split("-")),
        date=m.group("date") or "",
        tier=Tier(family),
        geo=m.group("geo") or "",
        raw=model_id,
    )


def newest_per_tier(ids: Iterable[str], *, geo: str = "global") -> dict[Tier, str]:
    """The newest ID per tier among those with the ``geo`` prefix (``""`` = bare IDs)."""
    best: dict[Tier, ClaudeId] = {}
    for raw in ids:
        parsed = parse_claude_id(raw)
        if parsed is None or parsed.geo != geo:
            continue
        current = best.get(parsed.tier)
        if current is None or (parsed.version, parsed.date) > (current.version, current.date):
            best[parsed.tier] = parsed
    return {tier: cid.raw for tier, cid in best.items()}

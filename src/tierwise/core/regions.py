"""Which model identifiers Bedrock's runtime in one Region takes (pure).

Bedrock resolves a model identifier in the Region (and account) of the endpoint called:

- an ARN (``foundation-model``, ``inference-profile`` or ``application-inference-profile``)
  that names another Region is "The provided model identifier is invalid."
  (ValidationException; earendil-works/pi#5527: an application profile ARN in us-west-2
  sent to us-east-1);
- a geographic cross-Region profile (``us.``, ``eu.``, ``apac.``, ``jp.``, ``au.``,
  ``ca.``, ``us-gov.``) exists only in its geography's source Regions; elsewhere its ID is
  invalid the same way (langchain-ai/open_deep_research#224: ``apac.`` profiles needed an
  APAC Region; AWS user guide, inference-profiles-support: each geographic profile lists
  its source Regions). ``global.`` profiles are offered in the commercial Regions;
- an ARN owned by another account: inference profiles take no resource-based policy, so
  IAM's cross-account evaluation denies the call (AccessDeniedException "... because no
  resource-based policy allows ..."; IAM user guide, reference_policies_evaluation-logic-
  cross-account). tierwise does not know the caller's account without an STS call, so only
  the emulator checks this one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ModelRef", "is_model_identifier", "parse_model_ref", "region_problem"]

_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):bedrock:(?P<region>[a-z0-9-]*):(?P<account>\d*):"
    r"(?P<kind>foundation-model|inference-profile|application-inference-profile)/(?P<id>.+)$"
)
_GEO = re.compile(r"^(?P<geo>global|us-gov|us|eu|apac|jp|au|ca)\.[a-z]")
# A plain model or profile ID: the provider is one word (anthropic, amazon, meta, ai21, ...),
# the model's name starts with a letter. Dotted names people type for a model ("sonnet-4.5",
# "claude-3.5-sonnet", "haiku4.5") fail on one or the other.
_MODEL_ID = re.compile(r"^(?:us-gov\.)?[a-z0-9]+\.[a-z][a-z0-9.:-]*$")
# Each geography's source Regions, by name: a prefix ("eu-") or whole names.
_GEO_REGIONS: dict[str, tuple[str, ...]] = {
    "us": ("us-east-", "us-west-"),
    "us-gov": ("us-gov-",),
    "eu": ("eu-",),
    "apac": ("ap-",),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-",),
}
_NOT_GLOBAL = ("us-gov-", "cn-", "us-iso")


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A model identifier as Bedrock reads it."""

    identifier: str
    kind: str  # foundation-model, inference-profile, application-inference-profile
    resource_id: str  # the ID part (the identifier itself when it is no ARN)
    region: str | None  # the ARN's Region; None for a plain ID or a Region-less ARN
    account: str | None  # the ARN's account; None for a plain ID or an account-less ARN


def is_model_identifier(identifier: str) -> bool:
    """Whether ``identifier`` has the shape of a Bedrock model identifier: an ARN, or an ID
    ``provider.model`` (``anthropic.claude-...``, ``amazon.nova-...``; the service model's
    foundation-model pattern, lowercase letters, digits, hyphens and ``.``/``:``), optionally
    behind a geography (``us.``, ``global.``, ``us-gov.``). Converse's documentation names
    everything else (provisioned and custom models, application profiles, prompts, prompt
    routers) by ARN. Anything else (``ultra``, ``sonet``, ``claude-3.5-sonnet``,
    ``sonnet 4.5``, ``haiku4.5``) is a mistyped tier or alias, which Bedrock would answer with
    "The provided model identifier is invalid." after a round trip."""
    return identifier.startswith("arn:") or _MODEL_ID.match(identifier) is not None


def parse_model_ref(identifier: str) -> ModelRef | None:
    """``identifier`` read as a model or profile ID or a Bedrock model ARN; None for an ARN
    of anything else (Bedrock's "model identifier is invalid")."""
    match = _ARN.match(identifier)
    if match is not None:
        return ModelRef(
            identifier,
            match.group("kind"),
            match.group("id"),
            match.group("region") or None,
            match.group("account") or None,
        )
    if identifier.startswith("arn:"):
        return None
    kind = "inference-profile" if _GEO.match(identifier) else "foundation-model"
    return ModelRef(identifier, kind, identifier, None, None)


def _in_geography(geo: str, region: str) -> bool:
    if geo == "global":
        return not region.startswith(_NOT_GLOBAL)
    if geo == "us" and region.startswith("us-gov-"):
        return False
    return any(region == r or (r.endswith("-") and region.startswith(r)) for r in _GEO_REGIONS[geo])


def region_problem(identifier: str, region: str) -> str | None:
    """Why Bedrock's runtime in ``region`` would refuse ``identifier`` as a model ID for
    its Region (as "The provided model identifier is invalid."), or None."""
    ref = parse_model_ref(identifier)
    if ref is None:
        return None  # not a model ARN: Bedrock's own answer says so
    if ref.region is not None and ref.region != region:
        return f"the ARN is in {ref.region}, and Bedrock takes only ARNs of its own Region"
    geo = _GEO.match(ref.resource_id) if ref.kind == "inference-profile" else None
    if geo is not None and not _in_geography(geo.group("geo"), region):
        name = geo.group("geo")
        if name == "global":
            return f"global. profiles are not offered in {region}"
        return f"{name}. profiles are offered only in their geography's Regions, not {region}"
    return None

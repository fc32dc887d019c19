"""The models and inference profiles the emulator serves, and model-identifier resolution.

The built-in list spans several Claude generations so "newest per family" choices mean
something; every model ID the Settings name (tiers' primary and alternates) is added, with the
tier's caching and thinking capabilities, so a user's own configuration is always emulated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from tierwise.config import Settings
from tierwise.core.regions import ModelRef, parse_model_ref, region_problem
from tierwise.emulator.apierror import ApiError, validation

__all__ = ["ACCOUNT_ID", "MODELS", "Catalog", "ModelSpec", "Target", "split_geo"]

ACCOUNT_ID = "123456789012"
# Who the emulator says is calling (in the messages of calls it denies).
CALLER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:user/tierwise-emulator"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One foundation model and what it can do."""

    model_id: str
    name: str
    on_demand: bool
    geos: tuple[str, ...]
    cache_min_tokens: int
    supports_caching: bool = True
    supports_thinking: bool = True
    max_output_tokens: int = 64000
    images: bool = True
    released: str = "2025-01-01"
    # Prompt tokens the model takes (input, cache reads and writes together).
    context_window: int = 200_000
    # Takes the ``context-1m-2025-08-07`` beta, which raises the window to 1M tokens.
    long_context_beta: bool = False
    # Takes ``thinking: {"type": "adaptive"}`` (Claude Opus 4.6 and Sonnet 4.6).
    adaptive_thinking: bool = False


MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "Claude 3.5 Haiku",
        True,
        ("us",),
        2048,
        supports_thinking=False,
        max_output_tokens=8192,
        images=False,
        released="2024-10-22",
    ),
    ModelSpec(
        "anthropic.claude-3-7-sonnet-20250219-v1:0",
        "Claude 3.7 Sonnet",
        False,
        ("us", "eu"),
        1024,
        released="2025-02-19",
    ),
    ModelSpec(
        "anthropic.claude-sonnet-4-20250514-v1:0",
        "Claude Sonnet 4",
        False,
        ("global", "us", "eu"),
        1024,
        released="2025-05-14",
        long_context_beta=True,
    ),
    ModelSpec(
        "anthropic.claude-opus-4-20250514-v1:0",
        "Claude Opus 4",
        False,
        ("us",),
        1024,
        max_output_tokens=32000,
        released="2025-05-14",
    ),
    ModelSpec(
        "anthropic.claude-opus-4-1-20250805-v1:0",
        "Claude Opus 4.1",
        False,
        ("us",),
        1024,
        max_output_tokens=32000,
        released="2025-08-05",
    ),
    ModelSpec(
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        "Claude Haiku 4.5",
        False,
        ("global", "us", "eu"),
        4096,
        released="2025-10-01",
    ),
    ModelSpec(
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        "Claude Sonnet 4.5",
        False,
        ("global", "us", "eu", "jp"),
        1024,
        released="2025-09-29",
        long_context_beta=True,
    ),
    ModelSpec(
        "anthropic.claude-opus-4-5-20251101-v1:0",
        "Claude Opus 4.5",
        False,
        ("global", "us", "eu"),
        4096,
        released="2025-11-01",
    ),
    # Claude 4.6: 1M-token context at standard rates (the beta is accepted, not needed) and
    # adaptive thinking; IDs without a date (docs/emulator-refusals.md, "Catalog").
    ModelSpec(
        "anthropic.claude-sonnet-4-6",
        "Claude Sonnet 4.6",
        False,
        ("global", "us", "eu", "jp"),
        1024,
        released="2026-02-17",
        context_window=1_000_000,
        long_context_beta=True,
        adaptive_thinking=True,
    ),
    ModelSpec(
        "anthropic.claude-opus-4-6-v1",
        "Claude Opus 4.6",
        False,
        ("global", "us", "eu", "jp", "apac"),
        4096,
        max_output_tokens=128000,
        released="2026-02-05",
        context_window=1_000_000,
        long_context_beta=True,
        adaptive_thinking=True,
    ),
)

_GEO_NAMES = {"global": "Global", "us": "US", "eu": "EU", "apac": "APAC", "jp": "JP", "au": "AU"}
_GEO_REGIONS = {
    "global": ("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"),
    "us": ("us-east-1", "us-east-2", "us-west-2"),
    "eu": ("eu-central-1", "eu-west-1", "eu-west-3"),
    "apac": ("ap-northeast-1", "ap-southeast-1", "ap-southeast-2"),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
}
_GEO_ID = re.compile(r"^(global|us|eu|apac|jp|au|ca|us-gov)\.(.+)$")
_ARN = re.compile(
    r"^arn:aws[a-z-]*:bedrock:(?P<region>[a-z0-9-]*):(?P<account>\d*):"
    r"(?P<kind>inference-profile|foundation-model)/(?P<id>.+)$"
)


@dataclass(frozen=True, slots=True)
class Target:
    """What a request's model identifier resolved to."""

    invoked_id: str
    model: ModelSpec
    profile_id: str | None


def split_geo(model_id: str) -> tuple[str | None, str]:
    m = _GEO_ID.match(model_id)
    if m is None:
        return None, model_id
    return m.group(1), m.group(2)


def _configured_spec(base: str, geo: str | None) -> ModelSpec:
    tail = base.split(".", 1)[-1]
    return ModelSpec(
        model_id=base,
        name=f"{tail} (configured)",
        on_demand=geo is None,
        geos=(),
        cache_min_tokens=1024,
    )


class Catalog:
    """Foundation models and system-defined profiles, with the Settings' models merged in."""

    def __init__(self, settings: Settings) -> None:
        self.region = settings.region
        self.models: dict[str, ModelSpec] = {m.model_id: m for m in MODELS}
        # [models.*] in the settings set the limits and feature flags of the models they name
        # (a model the built-in list lacks is served under global. and us. profiles).
        for model_id, known in settings.models.items():
            spec = self.models.get(model_id) or ModelSpec(
                model_id, known.name or model_id, False, ("global", "us"), known.cache_min_tokens
            )
            self.models[model_id] = replace(
                spec,
                name=known.name or spec.name,
                context_window=known.context_window,
                max_output_tokens=known.max_output_tokens,
                long_context_beta=known.long_context_beta,
                adaptive_thinking="adaptive" in known.thinking,
                supports_thinking=bool(known.thinking),
                cache_min_tokens=known.cache_min_tokens,
            )
        self.profiles: dict[str, str] = {
            f"{geo}.{m.model_id}": m.model_id for m in self.models.values() for geo in m.geos
        }
        for tier_settings in settings.tiers.values():
            for configured in (tier_settings.model_id, *tier_settings.alternates):
                arn = _ARN.match(configured)
                geo, base = split_geo(arn.group("id") if arn else configured)
                spec = self.models.get(base) or _configured_spec(base, geo)
                self.models[base] = replace(
                    spec,
                    cache_min_tokens=tier_settings.cache_min_tokens,
                    supports_caching=tier_settings.supports_caching,
                    supports_thinking=tier_settings.supports_thinking,
                )
                if geo is not None:
                    self.profiles[f"{geo}.{base}"] = base

    # -- resolution -----------------------------------------------------------------------

    def resolve(self, identifier: str, action: str = "bedrock:InvokeModel") -> Target:
        """Resolve a model ID, profile ID or ARN as Bedrock's runtime does, or raise.
        ``action`` is the IAM action the call needs (named when another account's ARN is
        denied)."""
        ref = self._own(identifier, action)
        ident = ref.resource_id
        if ref.kind == "application-inference-profile":
            # The emulator hosts no application profiles (no CreateInferenceProfile).
            raise validation("The provided model identifier is invalid.")
        arn_of_unknown = ref.identifier.startswith("arn:") and ident not in self.profiles
        if ref.kind == "inference-profile" and arn_of_unknown:
            raise ApiError(
                "ResourceNotFoundException", "The specified inference profile was not found."
            )
        if ident in self.profiles:
            return Target(ident, self.models[self.profiles[ident]], ident)
        spec = self.models.get(ident)
        if spec is None:
            raise validation("The provided model identifier is invalid.")
        if not spec.on_demand:
            raise validation(
                f"Invocation of model ID {ident} with on-demand throughput isn't supported. "
                "Retry your request with the ID or ARN of an inference profile that contains "
                "this model."
            )
        return Target(ident, spec, None)

    def _own(self, identifier: str, action: str) -> ModelRef:
        """``identifier`` read as Bedrock in this Region and account reads it: another
        account's ARN is denied (inference profiles take no resource-based policy, so IAM's
        cross-account evaluation refuses it), and another Region's ARN or a geographic
        profile of another geography is an invalid identifier (core/regions.py, sources)."""
        ref = parse_model_ref(identifier)
        if ref is None:
            raise validation("The provided model identifier is invalid.")
        if ref.account is not None and ref.account != ACCOUNT_ID:
            raise ApiError(
                "AccessDeniedException",
                f"User: {CALLER_ARN} is not authorized to perform: {action} on resource: "
                f"{identifier} because no resource-based policy allows the {action} action",
            )
        if region_problem(identifier, self.region) is not None:
            raise validation("The provided model identifier is invalid.")
        return ref

    def resolve_for_counting(self, identifier: str) -> Target:
        """CountTokens takes foundation models only: bare IDs (on-demand or not) or their ARNs.

        Inference-profile IDs and ARNs are refused, as Bedrock refuses them.
        """
        arn = _ARN.match(identifier)
        ident = arn.group("id") if arn else identifier
        kind = arn.group("kind") if arn else None
        if ident in self.profiles or kind == "inference-profile":
            raise validation("The provided model doesn't support counting tokens.")
        self._own(identifier, "bedrock:CountTokens")
        spec = self.models.get(ident)
        if spec is None:
            raise validation("The provided model identifier is invalid.")
        return Target(ident, spec, None)

    # -- control plane ----------------------------------------------------------------------

    def model_arn(self, model_id: str, region: str | None = None) -> str:
        return f"arn:aws:bedrock:{region or self.region}::foundation-model/{model_id}"

    def profile_arn(self, profile_id: str) -> str:
        return f"arn:aws:bedrock:{self.region}:{ACCOUNT_ID}:inference-profile/{profile_id}"

    def model_summary(self, spec: ModelSpec) -> dict[str, Any]:
        return {
            "modelArn": self.model_arn(spec.model_id),
            "modelId": spec.model_id,
            "modelName": spec.name,
            "providerName": "Anthropic",
            "inputModalities": ["TEXT", "IMAGE"] if spec.images else ["TEXT"],
            "outputModalities": ["TEXT"],
            "responseStreamingSupported": True,
            "customizationsSupported": [],
            "inferenceTypesSupported": ["ON_DEMAND"] if spec.on_demand else ["INFERENCE_PROFILE"],
            "modelLifecycle": {"status": "ACTIVE"},
        }

    def foundation_models(self, query: dict[str, str]) -> list[dict[str, Any]]:
        provider = query.get("byProvider", "").lower()
        inference = query.get("byInferenceType", "")
        modality = query.get("byOutputModality", "")
        out = []
        for spec in sorted(self.models.values(), key=lambda s: s.model_id):
            summary = self.model_summary(spec)
            if provider and provider != "anthropic":
                continue
            if inference and inference not in summary["inferenceTypesSupported"]:
                continue
            if modality and modality not in summary["outputModalities"]:
                continue
            out.append(summary)
        return out

    def foundation_model(self, identifier: str) -> dict[str, Any]:
        arn = _ARN.match(identifier)
        spec = self.models.get(arn.group("id") if arn else identifier)
        if spec is None:
            raise ApiError("ResourceNotFoundException", "The specified model was not found.")
        return self.model_summary(spec)

    def profile_summary(self, profile_id: str) -> dict[str, Any]:
        base = self.profiles[profile_id]
        spec = self.models[base]
        geo = profile_id.split(".", 1)[0]
        stamp = f"{spec.released}T00:00:00Z"
        regions = _GEO_REGIONS.get(geo, (self.region,))
        return {
            "inferenceProfileName": f"{_GEO_NAMES.get(geo, geo.upper())} {spec.name}",
            "description": f"Routes requests to {spec.name} in {', '.join(regions)}.",
            "createdAt": stamp,
            "updatedAt": stamp,
            "inferenceProfileArn": self.profile_arn(profile_id),
            "models": [{"modelArn": self.model_arn(base, r)} for r in regions],
            "inferenceProfileId": profile_id,
            "status": "ACTIVE",
            "type": "SYSTEM_DEFINED",
        }

    def inference_profiles(self, query: dict[str, str]) -> dict[str, Any]:
        kind = query.get("type", "")
        ids = sorted(self.offered()) if kind in ("", "SYSTEM_DEFINED") else []
        try:
            start = int(query.get("nextToken") or 0)
            size = int(query.get("maxResults") or 1000)
        except ValueError:
            raise validation("nextToken or maxResults is not valid.") from None
        if not 1 <= size <= 1000:
            raise validation(
                f"1 validation error detected: Value '{size}' at 'maxResults' failed to "
                "satisfy constraint: Member must have value between 1 and 1000"
            )
        page = ids[start : start + size]
        result: dict[str, Any] = {
            "inferenceProfileSummaries": [self.profile_summary(p) for p in page]
        }
        if start + size < len(ids):
            result["nextToken"] = str(start + size)
        return result

    def offered(self) -> list[str]:
        """The system profiles this Region offers: ``global.`` and its own geography's
        (core/regions.py); the others exist only in their geography's Regions."""
        return [p for p in self.profiles if region_problem(p, self.region) is None]

    def inference_profile(self, identifier: str) -> dict[str, Any]:
        arn = _ARN.match(identifier)
        ident = arn.group("id") if arn else identifier
        if ident not in self.profiles or region_problem(ident, self.region) is not None:
            raise ApiError(
                "ResourceNotFoundException", "The specified inference profile was not found."
            )
        return self.profile_summary(ident)

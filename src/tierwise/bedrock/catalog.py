"""The Claude models and inference profiles an account can use, as plain dataclasses.

Built from ListFoundationModels and ListInferenceProfiles responses; nothing here calls AWS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FoundationModel",
    "InferenceProfile",
    "ModelCatalog",
    "catalog_from_pages",
    "profile_from_summary",
]

_FOUNDATION_MARK = ":foundation-model/"
_ANTHROPIC_PREFIX = "anthropic."


@dataclass(frozen=True)
class FoundationModel:
    model_id: str
    name: str
    provider: str
    arn: str
    inference_types: tuple[str, ...]
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    streaming: bool
    lifecycle_status: str

    @property
    def on_demand(self) -> bool:
        """Callable by its bare ID; newer Claude models need an inference profile instead."""
        return "ON_DEMAND" in self.inference_types


@dataclass(frozen=True)
class InferenceProfile:
    profile_id: str
    name: str
    arn: str
    status: str
    type: str
    model_ids: tuple[str, ...]
    """The foundation-model IDs behind the profile (one per region it routes to)."""
    regions: tuple[str, ...]
    """The regions the profile routes to, in the order Bedrock lists them."""


@dataclass(frozen=True)
class ModelCatalog:
    models: tuple[FoundationModel, ...]
    profiles: tuple[InferenceProfile, ...]

    def profiles_for(self, model_id: str) -> tuple[InferenceProfile, ...]:
        """The profiles that serve the foundation model ``model_id``."""
        return tuple(p for p in self.profiles if model_id in p.model_ids)


def catalog_from_pages(
    model_summaries: Iterable[Mapping[str, Any]],
    profile_pages: Iterable[Iterable[Mapping[str, Any]]],
) -> ModelCatalog:
    """A catalog of Anthropic models and the profiles whose models are all Anthropic's."""
    models = tuple(
        _model(m)
        for m in model_summaries
        if str(m.get("modelId", "")).startswith(_ANTHROPIC_PREFIX)
    )
    profiles: list[InferenceProfile] = []
    for page in profile_pages:
        for summary in page:
            profile = profile_from_summary(summary)
            if profile.model_ids and all(
                mid.startswith(_ANTHROPIC_PREFIX) for mid in profile.model_ids
            ):
                profiles.append(profile)
    return ModelCatalog(
        models=tuple(sorted(models, key=lambda m: m.model_id)),
        profiles=tuple(sorted(profiles, key=lambda p: p.profile_id)),
    )


def _model(summary: Mapping[str, Any]) -> FoundationModel:
    lifecycle = summary.get("modelLifecycle") or {}
    return FoundationModel(
        model_id=str(summary["modelId"]),
        name=str(summary.get("modelName", "")),
        provider=str(summary.get("providerName", "")),
        arn=str(summary.get("modelArn", "")),
        inference_types=tuple(summary.get("inferenceTypesSupported") or ()),
        input_modalities=tuple(summary.get("inputModalities") or ()),
        output_modalities=tuple(summary.get("outputModalities") or ()),
        streaming=bool(summary.get("responseStreamingSupported", False)),
        lifecycle_status=str(lifecycle.get("status", "")),
    )


def profile_from_summary(summary: Mapping[str, Any]) -> InferenceProfile:
    """An InferenceProfileSummary or GetInferenceProfile response as a dataclass."""
    model_ids: list[str] = []
    regions: list[str] = []
    for entry in summary.get("models") or ():
        arn = str(entry.get("modelArn", ""))
        head, mark, model_id = arn.partition(_FOUNDATION_MARK)
        if not mark:
            continue
        if model_id not in model_ids:
            model_ids.append(model_id)
        # arn:aws:bedrock:<region>::foundation-model/<id>
        parts = head.split(":")
        if len(parts) > 3 and parts[3] and parts[3] not in regions:
            regions.append(parts[3])
    return InferenceProfile(
        profile_id=str(summary["inferenceProfileId"]),
        name=str(summary.get("inferenceProfileName", "")),
        arn=str(summary.get("inferenceProfileArn", "")),
        status=str(summary.get("status", "")),
        type=str(summary.get("type", "")),
        model_ids=tuple(model_ids),
        regions=tuple(regions),
    )

"""Control plane: ListFoundationModels / ListInferenceProfiles through boto3's bedrock client."""

from __future__ import annotations

from typing import Any

import pytest
from emulator_testdata import HAIKU, OPUS, SONNET, user

from emulator_clients import emulator_client, make_runtime
from tierwise.config import Settings
from tierwise.core.catalog import newest_per_tier
from tierwise.core.tiers import Tier
from tierwise.emulator import Emulator


def test_list_foundation_models(control: Any) -> None:
    summaries = control.list_foundation_models()["modelSummaries"]
    by_id = {m["modelId"]: m for m in summaries}
    sonnet = by_id["anthropic.claude-sonnet-4-5-20250929-v1:0"]
    assert sonnet["modelArn"] == (
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"
    )
    assert sonnet["providerName"] == "Anthropic"
    assert sonnet["modelName"] == "Claude Sonnet 4.5"
    assert sonnet["inputModalities"] == ["TEXT", "IMAGE"]
    assert sonnet["outputModalities"] == ["TEXT"]
    assert sonnet["responseStreamingSupported"] is True
    assert sonnet["modelLifecycle"] == {"status": "ACTIVE"}
    assert sonnet["inferenceTypesSupported"] == ["INFERENCE_PROFILE"]
    assert by_id["anthropic.claude-3-5-haiku-20241022-v1:0"]["inferenceTypesSupported"] == [
        "ON_DEMAND"
    ]
    on_demand = control.list_foundation_models(byInferenceType="ON_DEMAND")["modelSummaries"]
    assert [m["modelId"] for m in on_demand] == ["anthropic.claude-3-5-haiku-20241022-v1:0"]


def test_list_inference_profiles_pages(control: Any) -> None:
    everything = control.list_inference_profiles()["inferenceProfileSummaries"]
    collected: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"maxResults": 4}
        if token:
            kwargs["nextToken"] = token
        page = control.list_inference_profiles(**kwargs)
        assert len(page["inferenceProfileSummaries"]) <= 4
        collected.extend(page["inferenceProfileSummaries"])
        token = page.get("nextToken")
        if not token:
            break
    assert [p["inferenceProfileId"] for p in collected] == [
        p["inferenceProfileId"] for p in everything
    ]
    profile = next(p for p in everything if p["inferenceProfileId"] == SONNET)
    assert profile["status"] == "ACTIVE"
    assert profile["type"] == "SYSTEM_DEFINED"
    assert profile["inferenceProfileArn"].endswith(f":inference-profile/{SONNET}")
    assert profile["models"][0]["modelArn"].endswith(
        "foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"
    )
    assert profile["createdAt"].year == 2025


def test_paginator_walks_all_profiles(control: Any) -> None:
    pages = control.get_paginator("list_inference_profiles").paginate(
        PaginationConfig={"PageSize": 3}
    )
    ids = [p["inferenceProfileId"] for page in pages for p in page["inferenceProfileSummaries"]]
    assert len(ids) == len(set(ids)) > 10


def test_newest_per_family_is_haiku_45_and_the_46_generation(control: Any) -> None:
    ids = [
        p["inferenceProfileId"]
        for p in control.list_inference_profiles()["inferenceProfileSummaries"]
    ]
    assert newest_per_tier(ids) == {
        Tier.HAIKU: HAIKU,
        Tier.SONNET: "global.anthropic.claude-sonnet-4-6",
        Tier.OPUS: "global.anthropic.claude-opus-4-6-v1",
    }
    assert {SONNET, OPUS} <= set(ids)
    assert "us.anthropic.claude-opus-4-1-20250805-v1:0" in ids
    assert "us.anthropic.claude-3-7-sonnet-20250219-v1:0" in ids


def test_get_profile_and_model(control: Any) -> None:
    profile = control.get_inference_profile(inferenceProfileIdentifier=SONNET)
    assert profile["inferenceProfileId"] == SONNET
    details = control.get_foundation_model(
        modelIdentifier="anthropic.claude-opus-4-5-20251101-v1:0"
    )["modelDetails"]
    assert details["modelName"] == "Claude Opus 4.5"
    with pytest.raises(control.exceptions.ResourceNotFoundException):
        control.get_inference_profile(inferenceProfileIdentifier="us.anthropic.nope-v1:0")


def test_models_named_in_settings_are_emulated(settings: Settings) -> None:
    custom = settings.with_overrides(
        {
            "tiers.sonnet.model_id": "global.anthropic.claude-sonnet-4-6",
            "tiers.sonnet.alternates": ["us.anthropic.claude-sonnet-4-6"],
            "tiers.sonnet.cache_min_tokens": 2048,
        }
    )
    with Emulator(custom).start() as emu:
        runtime = make_runtime(emu.url)
        for model in ("global.anthropic.claude-sonnet-4-6", "us.anthropic.claude-sonnet-4-6"):
            assert runtime.converse(modelId=model, messages=[user("hi")])["stopReason"]
        control = emulator_client("bedrock", emu.url)
        ids = [
            p["inferenceProfileId"]
            for p in control.list_inference_profiles()["inferenceProfileSummaries"]
        ]
        assert "global.anthropic.claude-sonnet-4-6" in ids
        assert newest_per_tier(ids)[Tier.SONNET] == "global.anthropic.claude-sonnet-4-6"
        # the tier's cache minimum from Settings applies: ~1,600 tokens do not cache
        system = [{"text": "Context. " * 700}, {"cachePoint": {"type": "default"}}]
        usage = runtime.converse(
            modelId="global.anthropic.claude-sonnet-4-6", system=system, messages=[user("q")]
        )["usage"]
        assert usage["cacheWriteInputTokens"] == 0


def test_a_region_lists_only_the_profiles_it_offers(control: Any) -> None:
    """The emulator serves us-east-1: global. and us. profiles, not eu./apac./jp./au. ones
    (each exists only in its geography's Regions; src/tierwise/core/regions.py)."""
    ids = [
        p["inferenceProfileId"]
        for p in control.list_inference_profiles()["inferenceProfileSummaries"]
    ]
    assert {i.split(".", 1)[0] for i in ids} == {"global", "us"}
    with pytest.raises(control.exceptions.ResourceNotFoundException):
        control.get_inference_profile(
            inferenceProfileIdentifier="eu.anthropic.claude-haiku-4-5-20251001-v1:0"
        )

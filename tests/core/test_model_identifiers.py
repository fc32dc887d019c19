"""What has the shape of a Bedrock model identifier (an ARN, or ``provider.model`` with an
optional geography, as botocore's ConversationalModelId foundation-model pattern writes it)
and what is a mistyped tier or alias. Any name with a dot passed ("claude-3.5-sonnet",
"sonnet-4.5", "haiku4.5", "sonnet 4.5") and went to Bedrock for "The provided model
identifier is invalid." and an error row."""

from __future__ import annotations

import pytest

from tierwise.core.regions import is_model_identifier


@pytest.mark.parametrize(
    "identifier",
    [
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        "anthropic.claude-sonnet-4-6",
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        "global.anthropic.claude-opus-4-5-20251101-v1:0",
        "us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "apac.amazon.nova-lite-v1:0",
        "amazon.nova-pro-v1:0",
        "ai21.jamba-1-5-large-v1:0",
        "meta.llama3-1-70b-instruct-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/team01",
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6",
    ],
)
def test_bedrock_shapes_are_model_identifiers(identifier: str) -> None:
    assert is_model_identifier(identifier)


@pytest.mark.parametrize(
    "name",
    [
        "ultra",
        "sonet",
        "claude-3.5-sonnet",
        "sonnet-4.5",
        "haiku4.5",
        "sonnet 4.5",
        "Anthropic.Claude-Sonnet",
        "anthropic.claude sonnet",
        ".sonnet",
        "anthropic.",
    ],
)
def test_typed_model_names_are_not(name: str) -> None:
    assert not is_model_identifier(name)

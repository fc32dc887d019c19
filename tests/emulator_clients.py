"""Plain boto3 clients for the local emulator (or the S3 it serves): what code written for
AWS would build, pointed at ``url``."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

# One attempt: a test sees the error the wire gave, not what boto3's retries made of it.
ONE_ATTEMPT = Config(retries={"total_max_attempts": 1})


def emulator_client(service: str, url: str, config: Config | None = None) -> Any:
    """A boto3 ``service`` client at ``url``: the emulator checks no signature's key, so the
    credentials are placeholders, and any Region will do."""
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=config,
    )


def make_runtime(url: str) -> Any:
    """A Bedrock runtime client at ``url`` that tries each call once."""
    return emulator_client("bedrock-runtime", url, ONE_ATTEMPT)

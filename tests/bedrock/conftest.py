"""Shared fixtures: default settings, a fake clock, botocore's signing clock fixed, and an AWS
environment with no identity."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bedrock_testdata import FakeTime
from wire_capture import NOON

from tierwise.bedrock import BedrockClient
from tierwise.config import Settings, load_settings

_AWS_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
)


@pytest.fixture(autouse=True)
def no_aws_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never see the developer's credentials, profiles or API key."""
    for name in _AWS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def settings() -> Settings:
    return load_settings(environ={}).settings


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime.datetime]]:
    """botocore's signing clock, fixed (set ``clock[0]`` to move it)."""
    now = [NOON]
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: now[0])
    yield now


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_client(settings: Settings, fake_time: FakeTime) -> Callable[..., BedrockClient]:
    """A BedrockClient on the fake clock; keyword arguments override retry settings."""

    def make(**retry: Any) -> BedrockClient:
        s = settings.with_overrides({f"retry.{k}": v for k, v in retry.items()})
        import random

        return BedrockClient(s, sleep=fake_time.sleep, clock=fake_time.clock, rng=random.Random(7))

    return make

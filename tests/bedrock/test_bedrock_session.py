"""Client construction: botocore config, credential chain, dummy emulator keys, bearer API keys.

A ``before-send`` hook captures the signed request botocore would put on the wire and stops
it there, so these tests see the real Authorization header without any network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bedrock_testdata import HAIKU, MESSAGES
from wire_capture import SentError, capture

from tierwise.bedrock import AwsAuth, BedrockClient
from tierwise.bedrock.session import control_client, is_loopback, runtime_client
from tierwise.config import Settings
from tierwise.errors import AccessDeniedError, ConfigError


def _sent(client: Any) -> SentError:
    client.meta.events.register("before-send.*.*", capture)
    with pytest.raises(SentError) as info:
        client.converse(modelId=HAIKU, messages=MESSAGES)
    return info.value


def _auth_header(client: Any) -> str:
    return _sent(client).header("Authorization")


def test_botocore_config_leaves_retries_to_tierwise(settings: Settings) -> None:
    s = settings.with_overrides(
        {"region": "eu-west-1", "retry.connect_timeout_s": 3, "retry.read_timeout_s": 120}
    )
    config = runtime_client(s).meta.config
    assert config.retries == {"total_max_attempts": 1, "mode": "standard"}
    assert config.max_pool_connections == 50
    assert (config.connect_timeout, config.read_timeout) == (3, 120)
    assert config.region_name == "eu-west-1"


def test_the_default_endpoint_is_aws_in_the_configured_region(settings: Settings) -> None:
    s = settings.with_overrides({"region": "eu-west-1"})
    assert runtime_client(s).meta.endpoint_url == "https://bedrock-runtime.eu-west-1.amazonaws.com"
    assert control_client(s).meta.endpoint_url == "https://bedrock.eu-west-1.amazonaws.com"


def test_loopback_endpoint_without_credentials_gets_dummy_keys(settings: Settings) -> None:
    client = runtime_client(settings.with_overrides({"endpoint_url": "http://127.0.0.1:9"}))
    sent = _sent(client)
    assert sent.url.startswith("http://127.0.0.1:9/model/")
    assert "Credential=tierwise-emulator/" in sent.header("Authorization")


def test_loopback_endpoint_uses_real_credentials_when_present(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    client = runtime_client(settings.with_overrides({"endpoint_url": "http://localhost:9"}))
    assert "Credential=AKIDFROMENV/" in _auth_header(client)


def test_aws_endpoint_never_gets_dummy_keys(settings: Settings) -> None:
    with pytest.raises(AccessDeniedError, match="credentials"):
        BedrockClient(settings).converse([HAIKU], {"messages": MESSAGES})


def test_remote_endpoint_url_never_gets_dummy_keys(settings: Settings) -> None:
    s = settings.with_overrides({"endpoint_url": "https://bedrock.example.internal"})
    with pytest.raises(AccessDeniedError):
        BedrockClient(s).converse([HAIKU], {"messages": MESSAGES})


def test_named_profile_from_the_shared_config(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = tmp_path / "credentials"
    creds.write_text("[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    client = runtime_client(settings, AwsAuth(profile="dev"))
    assert "Credential=AKIDDEV/" in _auth_header(client)
    assert client.meta.region_name == settings.region


def test_unknown_profile_is_a_config_error(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="nope"):
        BedrockClient(settings, auth=AwsAuth(profile="nope"))


def test_api_key_from_the_environment_uses_bearer_auth(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "env-key")
    assert _auth_header(runtime_client(settings)) == "Bearer env-key"


def test_explicit_api_key_wins_over_the_environment(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "env-key")
    auth = AwsAuth(bearer_token="explicit-key")
    assert _auth_header(runtime_client(settings, auth)) == "Bearer explicit-key"


def test_explicit_api_key_needs_no_aws_credentials(settings: Settings) -> None:
    auth = AwsAuth(bearer_token="explicit-key")
    assert _auth_header(runtime_client(settings, auth)) == "Bearer explicit-key"
    control = control_client(settings, auth)
    control.meta.events.register("before-send.*.*", capture)
    with pytest.raises(SentError) as info:
        control.list_foundation_models(byProvider="Anthropic")
    assert info.value.header("Authorization") == "Bearer explicit-key"


def test_api_key_in_the_environment_is_not_sent_to_a_plain_http_emulator(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "env-key")
    client = runtime_client(settings.with_overrides({"endpoint_url": "http://127.0.0.1:9"}))
    header = _auth_header(client)
    assert header.startswith("AWS4-HMAC-SHA256 ")
    assert "env-key" not in header


def test_explicit_api_key_over_plain_http_to_a_remote_host_is_refused(settings: Settings) -> None:
    s = settings.with_overrides({"endpoint_url": "http://bedrock.example.internal"})
    with pytest.raises(ConfigError, match="plain HTTP"):
        runtime_client(s, AwsAuth(bearer_token="k"))


def test_the_api_key_is_not_in_the_repr() -> None:
    auth = AwsAuth(profile="p", bearer_token="very-secret")
    assert "very-secret" not in repr(auth)
    assert "p" in repr(auth)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080", True),
        ("http://localhost:1", True),
        ("http://[::1]:9", True),
        ("http://127.5.5.5", True),
        ("https://bedrock-runtime.us-east-1.amazonaws.com", False),
        ("http://10.0.0.1:80", False),
        ("http://localhost.example.com", False),
    ],
)
def test_is_loopback(url: str, expected: bool) -> None:
    assert is_loopback(url) is expected

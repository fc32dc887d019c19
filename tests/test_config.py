"""Layered configuration: defaults, file, environment, overrides, provenance, errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tierwise.config import as_environment, load_settings, update_config_file
from tierwise.core.tiers import Tier
from tierwise.errors import ConfigError


def test_defaults_are_the_claude_45_global_profiles() -> None:
    s = load_settings(environ={}).settings
    assert s.tier(Tier.HAIKU).model_id == "global.anthropic.claude-haiku-4-5-20251001-v1:0"
    assert s.tier(Tier.SONNET).model_id == "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert s.tier(Tier.OPUS).model_id == "global.anthropic.claude-opus-4-5-20251101-v1:0"
    assert (s.tier(Tier.HAIKU).cache_min_tokens, s.tier(Tier.SONNET).cache_min_tokens) == (
        4096,
        1024,
    )
    assert s.tier(Tier.OPUS).cache_min_tokens == 4096
    assert "representative-2026" in s.price_sheets


def test_file_layers_and_provenance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "custom.toml"
    cfg.write_text('region = "eu-west-1"\n[retry]\nmax_attempts = 6\n')
    loaded = load_settings(cfg, environ={})
    assert loaded.settings.region == "eu-west-1" and loaded.settings.retry.max_attempts == 6
    assert loaded.source_of("region") == f"file:{cfg}"
    assert loaded.source_of("retry.base_delay_s") == "default"
    via_env = load_settings(environ={"TIERWISE_CONFIG": str(cfg)})
    assert via_env.settings.region == "eu-west-1"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tierwise.toml").write_text('default_tier = "haiku"\n')
    assert load_settings(environ={}).settings.default_tier is Tier.HAIKU


def test_environment_and_overrides_win(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('region = "eu-west-1"\n')
    loaded = load_settings(
        cfg,
        environ={
            "TIERWISE_REGION": "us-west-2",
            "TIERWISE_TIERS__HAIKU__ALTERNATES": '["eu.anthropic.claude-haiku-4-5-20251001-v1:0"]',
        },
        overrides={"retry.max_attempts": 2},
    )
    s = loaded.settings
    assert s.region == "us-west-2" and loaded.source_of("region") == "env:TIERWISE_REGION"
    assert s.tier(Tier.HAIKU).alternates == ("eu.anthropic.claude-haiku-4-5-20251001-v1:0",)
    assert s.retry.max_attempts == 2 and loaded.source_of("retry.max_attempts") == "cli"


def test_overrides_travel_through_the_environment_unchanged() -> None:
    overrides = {
        "ledger.url": "sqlite:////tmp/x.db",
        "gateway.auth": False,
        "gateway.port": 9001,
        "tiers.haiku.alternates": ["eu.anthropic.claude-haiku-4-5-20251001-v1:0"],
        "region": None,
    }
    environ = as_environment(overrides)
    assert environ["TIERWISE_LEDGER__URL"] == "sqlite:////tmp/x.db"
    assert environ["TIERWISE_GATEWAY__AUTH"] == "false"
    assert "TIERWISE_REGION" not in environ
    direct = load_settings(overrides=overrides, environ={}).settings
    via_env = load_settings(environ=environ).settings
    assert via_env == direct
    assert via_env.gateway.auth is False and via_env.gateway.port == 9001
    assert via_env.tier(Tier.HAIKU).alternates == ("eu.anthropic.claude-haiku-4-5-20251001-v1:0",)


@pytest.mark.parametrize(
    ("text", "env", "fragment"),
    [
        ("[retry]\nmax_attempts = 'x'\n", {}, "retry.max_attempts"),
        ("[retry]\nmax_atempts = 3\n", {}, "unknown key"),
        ('endpoint_url = "localhost:4566"\n', {}, "endpoint_url"),
        ("price_sheet = 'nope'\n", {}, "price_sheet 'nope' is not defined"),
        ("region = [\n", {}, "not valid TOML"),
        ("", {"TIERWISE_BOGUS": "1"}, "unknown key `bogus`"),
        ("[tiers.haiku]\nmodel_id = 'has space'\n", {}, "tiers.haiku.model_id"),
        # Both loaded, and every request routed to the tier failed at Bedrock.
        ("[tiers.haiku]\nmodel_id = 'haiku-4.5'\n", {}, "'haiku-4.5' is not a Bedrock model ID"),
        ("[tiers.haiku]\nalternates = ['Haiku']\n", {}, "tiers.haiku.alternates"),
    ],
)
def test_bad_values_are_one_clear_line(
    tmp_path: Path, text: str, env: dict[str, str], fragment: str
) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, environ=env)
    assert fragment in str(info.value)
    assert "\n" not in info.value.message


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_a_directory_given_as_the_config_file_is_called_one(tmp_path: Path) -> None:
    # It said "does not exist" for a directory that plainly does.
    with pytest.raises(ConfigError) as refused:
        load_settings(tmp_path, environ={})
    assert refused.value.message == f"config file {tmp_path} is a directory, not a TOML file"
    with pytest.raises(ConfigError) as refused:
        load_settings(None, environ={"TIERWISE_CONFIG": str(tmp_path)})
    assert refused.value.message == (
        f"config file {tmp_path} (from TIERWISE_CONFIG) is a directory, not a TOML file"
    )


def test_update_config_file_keeps_comments_and_validates(tmp_path: Path) -> None:
    cfg = tmp_path / "tierwise.toml"
    cfg.write_text("# my settings\nregion = 'us-east-1'\n")
    update_config_file(cfg, {"routing.opus_threshold": 0.8})
    text = cfg.read_text()
    assert "# my settings" in text and "opus_threshold = 0.8" in text
    with pytest.raises(ConfigError):
        update_config_file(cfg, {"routing.opus_threshold": 7})
    assert "opus_threshold = 0.8" in cfg.read_text()


def test_ci_and_test_switches_are_not_settings() -> None:
    env = {"TIERWISE_CI": "1", "TIERWISE_TEST_PG": "postgresql://x", "TIERWISE_EVAL_DATA": "/d"}
    assert load_settings(environ=env).settings.region == "us-east-1"


def test_class_policy_lines_load_and_bad_ones_are_config_errors(tmp_path: Path) -> None:
    from tierwise.core.taxonomy import TASK_CLASSES

    settings = load_settings(environ={}).settings
    policy = settings.routing_policy()
    assert set(policy.classes) == set(TASK_CLASSES)
    assert policy.classes["classify"].tier is Tier.HAIKU
    assert policy.classes["proof"].tier is Tier.OPUS
    cfg = tmp_path / "tierwise.toml"
    cfg.write_text('[routing.classes.translate]\ntier = "sonnet"\n')
    moved = load_settings(str(cfg), environ={}).settings.routing_policy()
    assert moved.classes["translate"].tier is Tier.SONNET
    assert moved.classes["classify"] == policy.classes["classify"]
    cfg.write_text('[routing.classes.translation]\ntier = "sonnet"\n')
    with pytest.raises(ConfigError, match=r"unknown task class.*translation.*known classes"):
        load_settings(str(cfg), environ={})
    cfg.write_text('[routing.classes.translate]\ntier = "gpt-4"\n')
    with pytest.raises(ConfigError, match=r"routing\.classes\.translate\.tier"):
        load_settings(str(cfg), environ={})
    cfg.write_text('[routing.classes.math]\ntier = "sonnet"\nthinking_budget = 500\n')
    with pytest.raises(ConfigError, match="at least 1024"):
        load_settings(str(cfg), environ={})


@pytest.mark.parametrize(
    ("tier_toml", "said"),
    [
        pytest.param(
            'model_id = "us.anthropic.claude-haiku-4-5-20251001-v1:0"',
            "us. profiles are offered only in their geography's Regions, not eu-west-1",
            id="geo-primary",
        ),
        pytest.param(
            'alternates = ["arn:aws:bedrock:us-east-1:123456789012:inference-profile/'
            'global.anthropic.claude-haiku-4-5-20251001-v1:0"]',
            "the ARN is in us-east-1",
            id="arn-alternate",
        ),
    ],
)
def test_a_tier_profile_bedrock_refuses_in_the_region_is_a_config_error(
    tmp_path: Path, tier_toml: str, said: str
) -> None:
    """Every call through such a profile fails with "The provided model identifier is
    invalid." (src/tierwise/core/regions.py): said at load, naming the key."""
    cfg = tmp_path / "t.toml"
    cfg.write_text(f'region = "eu-west-1"\n[tiers.haiku]\n{tier_toml}\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(cfg, environ={})
    assert "tiers.haiku." in str(caught.value) and said in str(caught.value)


def test_the_defaults_load_in_any_region() -> None:
    # global. primaries; the us. alternates are only dead weight outside the US.
    for region in ("eu-west-1", "ap-northeast-1", "us-west-2"):
        assert load_settings(environ={"TIERWISE_REGION": region}).settings.region == region


def test_the_null_device_is_an_empty_config_and_other_non_files_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # TIERWISE_CONFIG=/dev/null (the usual "no config file", which also skips a
    # ./tierwise.toml) said "does not exist"; so did a named pipe.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tierwise.toml").write_text("region = 'eu-west-1'\n")
    assert load_settings(None, environ={}).settings.region == "eu-west-1"
    loaded = load_settings(None, environ={"TIERWISE_CONFIG": "/dev/null"})
    assert loaded.config_path == Path("/dev/null")
    assert loaded.settings.region == "us-east-1"
    assert not any(origin.startswith("file:") for origin in loaded.sources.values())
    pipe = tmp_path / "settings.pipe"
    os.mkfifo(pipe)
    with pytest.raises(ConfigError) as refused:
        load_settings(None, environ={"TIERWISE_CONFIG": str(pipe)})
    assert refused.value.message == (
        f"config file {pipe} (from TIERWISE_CONFIG) is a named pipe, not a regular file"
        " (settings may be read more than once)"
    )
    with pytest.raises(ConfigError) as refused:
        load_settings("/dev/zero", environ={})
    assert refused.value.message == "config file /dev/zero is a device, not a regular file"


def test_the_cache_key_prefix_default_is_written_once() -> None:
    # It was written in config.py, open_cache_state and RedisCacheState (and the packaged
    # defaults.toml): a change to one would split replicas' warm state across two prefixes.
    import inspect
    import tomllib
    from importlib import resources

    from tierwise.cache_state import KEY_PREFIX, RedisCacheState, open_cache_state
    from tierwise.config import CacheStateSettings

    packaged = tomllib.loads(resources.files("tierwise").joinpath("defaults.toml").read_text())
    assert packaged["cache_state"]["key_prefix"] == KEY_PREFIX
    assert CacheStateSettings().key_prefix == KEY_PREFIX
    assert inspect.signature(open_cache_state).parameters["key_prefix"].default == KEY_PREFIX
    assert inspect.signature(RedisCacheState).parameters["prefix"].default == KEY_PREFIX
    assert load_settings(environ={}).settings.cache_state.key_prefix == KEY_PREFIX

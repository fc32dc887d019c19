"""Model names people already use: Anthropic's names out of the box, a team's `[aliases]`, and
OpenAI's names once turned on; listed by /v1/models and capped like any other name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from live_server import run_server
from tierwise.client import Tierwise
from tierwise.config import Settings, load_settings
from tierwise.core.tiers import Tier
from tierwise.emulator import Emulator
from tierwise.errors import ConfigError
from tierwise.gateway import create_app
from tierwise.store.keys import KeyStore


@pytest.fixture(scope="module")
def named(default_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    db: Path = tmp_path_factory.mktemp("names") / "ledger.db"
    with Emulator(default_settings, port=0).start() as emu:
        settings = default_settings.with_overrides({
            "endpoint_url": emu.url, "retry.base_delay_s": 0.0,
            "model_names.openai": True,
            "aliases": {"fast": "haiku", "smart": "auto",
                        "pinned-sonnet": "us.anthropic.claude-sonnet-4-5-20250929-v1:0"},
        })  # fmt: skip
        tw = Tierwise.from_settings(settings, ledger_url=f"sqlite:///{db}")
        keys = KeyStore(tw.ledger)  # type: ignore[arg-type]
        server, thread, url = run_server(create_app(settings, tierwise=tw, keys=keys, auth=True))
        try:
            yield url, keys
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            tw.close()


@pytest.mark.parametrize(
    ("model", "tier"),
    [
        ("claude-sonnet-4-5-20250929", "sonnet"),
        ("claude-3-5-haiku-latest", "haiku"),
        ("claude-opus-4-1", "opus"),
        ("claude-haiku-4-5", "haiku"),
        ("claude-sonnet-4-7", "sonnet"),  # not in the table: Anthropic's naming still maps
        ("fast", "haiku"),
        ("pinned-sonnet", "sonnet"),
    ],
)
def test_anthropic_sdk_with_the_names_it_knows(named: Any, model: str, tier: str) -> None:
    url, keys = named
    client = anthropic.Anthropic(base_url=url, api_key=keys.create("a")[1], max_retries=0)
    raw = client.messages.with_raw_response.create(
        model=model, max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    )
    assert raw.headers["x-tierwise-tier"] == tier
    assert raw.parse().model.startswith(("global.anthropic", "us.anthropic"))
    assert f"alias {model}" in raw.headers["x-tierwise-route-reason"]


def test_openai_names_when_turned_on(named: Any) -> None:
    url, keys = named
    client = openai.OpenAI(base_url=url + "/v1", api_key=keys.create("o")[1], max_retries=0)
    for model, tier in (("gpt-4o-mini", "haiku"), ("gpt-4o-mini-2024-07-18", "haiku"),
                        ("gpt-4o", "sonnet"), ("o3", "opus")):  # fmt: skip
        raw = client.chat.completions.with_raw_response.create(
            model=model, messages=[{"role": "user", "content": "hi"}]
        )
        assert raw.headers["x-tierwise-tier"] == tier, model


def test_alias_to_auto_routes(named: Any) -> None:
    url, keys = named
    client = openai.OpenAI(base_url=url + "/v1", api_key=keys.create("r")[1], max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="smart", messages=[{"role": "user", "content": "Classify: spam or not? 'WIN NOW'"}]
    )
    assert raw.headers["x-tierwise-tier"] in ("haiku", "sonnet", "opus")


def test_models_lists_aliases_within_the_key_cap(named: Any) -> None:
    url, keys = named
    capped = keys.create("capped", max_tier=Tier.HAIKU)[1]
    client = openai.OpenAI(base_url=url + "/v1", api_key=capped, max_retries=0)
    listed = {m.id for m in client.models.list()}
    assert {"claude-3-5-haiku-latest", "claude-haiku-4-5", "fast", "gpt-4o-mini", "smart"} <= listed
    assert not {"claude-sonnet-4-5", "claude-opus-4-1", "gpt-4o", "pinned-sonnet"} & listed
    assert client.models.retrieve("claude-haiku-4-5").id == "claude-haiku-4-5"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("claude-opus-4-1")
    # The refusal names the model sent with its tier (it said only "not opus").
    with pytest.raises(
        openai.BadRequestError, match=r"up to haiku, not opus \(model 'claude-opus-4-1' is opus\)"
    ):
        client.chat.completions.create(
            model="claude-opus-4-1", messages=[{"role": "user", "content": "hi"}]
        )
    with pytest.raises(openai.BadRequestError) as pinned:
        client.chat.completions.create(model="Opus", messages=[{"role": "user", "content": "hi"}])
    assert "up to haiku, not opus (use model" in pinned.value.message, pinned.value.message
    everyone = openai.OpenAI(base_url=url + "/v1", api_key=keys.create("all")[1], max_retries=0)
    assert "claude-opus-4-1" in {m.id for m in everyone.models.list()}


def test_openai_names_are_off_by_default(default_settings: Settings) -> None:
    assert default_settings.resolve_model("gpt-4o-mini") == "gpt-4o-mini"
    assert default_settings.tier_named("claude-3-7-sonnet-latest") is Tier.SONNET
    assert default_settings.tier_named("claude-fable-5") is None  # not a Claude tier family


def test_an_alias_must_name_a_tier_auto_or_a_model_id(tmp_path: Path) -> None:
    cfg = tmp_path / "tierwise.toml"
    cfg.write_text('[aliases]\n"x" = "not a model id"\n')
    with pytest.raises(ConfigError, match="a target is a tier name"):
        load_settings(cfg, environ={})
    cfg.write_text('[aliases]\n"claude-sonnet-4-5-20250929" = "opus"\n')
    # The team's alias wins over the built-in table.
    assert (
        load_settings(cfg, environ={}).settings.tier_named("claude-sonnet-4-5-20250929")
        == Tier.OPUS
    )


@pytest.mark.parametrize("model", ["gpt-4o-mini", "GPT-4o", "gpt-4o-mini-2024-07-18"])
def test_an_openai_name_while_they_are_off_says_how_to_turn_them_on(
    emu_settings: Settings, ledger_url: str, live_emulator: Any, model: str
) -> None:
    # It went to Bedrock as a model ID and came back "Bedrock does not know the model ID
    # gpt-4o-mini ... newer Claude models need an inference profile ID": a wasted call and
    # a hint about the wrong thing for the commonest drop-in mistake.
    from tierwise.errors import ModelNotAvailableError

    before = live_emulator.stats["total"]
    messages = [{"role": "user", "content": [{"text": "hi"}]}]
    with (
        Tierwise.from_settings(emu_settings, ledger_url=ledger_url) as tw,
        pytest.raises(ModelNotAvailableError) as refused,
    ):
        tw.converse(modelId=model, messages=messages)
    assert str(refused.value).startswith(f"model {model!r} is an OpenAI model name")
    target = "haiku" if "mini" in model else "sonnet"
    assert refused.value.hint == (
        f"set [model_names] openai = true in tierwise.toml to serve it as {target}, "
        f'or add an alias: [aliases] "{model}" = "{target}"'
    )
    assert live_emulator.stats["total"] == before, "Bedrock was not asked"


def test_the_openai_sdk_gets_a_404_naming_the_setting(
    default_settings: Settings, tmp_path: Path
) -> None:
    from live_server import emulated_gateway

    with emulated_gateway(default_settings, tmp_path / "l.db", {}) as gw:
        client = openai.OpenAI(
            base_url=gw.url + "/v1", api_key=gw.keys.create("a")[1], max_retries=0
        )
        with pytest.raises(openai.NotFoundError) as refused:
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
    assert "[model_names] openai = true" in refused.value.message
    assert refused.value.code == "model_not_found"

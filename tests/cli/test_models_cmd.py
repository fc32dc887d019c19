"""`tierwise models` against the emulator's catalog, and `--write`."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tierwise.cli.app import app
from tierwise.config import load_settings
from tierwise.core.pricing import ProfileKind
from tierwise.core.tiers import Tier


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.chdir(tmp_path)


def test_models_lists_the_catalog_and_writes_the_newest(live_emulator: Any, tmp_path: Path) -> None:
    cfg = tmp_path / "tierwise.toml"
    cfg.write_text(
        "# team config\n[tiers.opus]\nmodel_id = 'global.anthropic.claude-opus-4-1-20250805-v1:0'\n"
    )
    result = CliRunner().invoke(app, ["--endpoint-url", live_emulator.url, "models", "--write"])
    assert result.exit_code == 0, result.output
    assert "global.anthropic.claude-opus-4-6-v1" in result.stdout
    assert "newer than configured" in result.stdout
    settings = load_settings(cfg, environ={}).settings
    assert settings.tiers["opus"].model_id == "global.anthropic.claude-opus-4-6-v1"
    assert "us.anthropic.claude-opus-4-6-v1" in settings.tiers["opus"].alternates
    assert settings.tiers["sonnet"].model_id == "global.anthropic.claude-sonnet-4-6"
    assert settings.tiers["haiku"].model_id == "global.anthropic.claude-haiku-4-5-20251001-v1:0"
    assert "# team config" in cfg.read_text()
    # The tiers took the new models' prices: Sonnet 4.6 bills 1M tokens at standard rates,
    # so the Sonnet 4.5 long-context band is gone; Opus 4.6 keeps $5/$25 and its cache minimum.
    assert settings.tiers["sonnet"].prices.bands == ()
    assert settings.tiers["opus"].prices.input == Decimal("5.00")
    assert settings.tiers["opus"].cache_min_tokens == 4096
    assert settings.rates(Tier.SONNET).factor(ProfileKind.GEOGRAPHIC) == Decimal("1.10")

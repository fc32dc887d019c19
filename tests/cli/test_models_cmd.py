"""`tierwise models` against the emulator's catalog, and `--write`."""

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tierwise.cli.app import app
from tierwise.config import load_settings


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
    assert "global.anthropic.claude-opus-4-5-20251101-v1:0" in result.stdout
    assert "newer than configured" in result.stdout
    settings = load_settings(cfg, environ={}).settings
    assert settings.tiers["opus"].model_id == "global.anthropic.claude-opus-4-5-20251101-v1:0"
    assert "us.anthropic.claude-opus-4-5-20251101-v1:0" in settings.tiers["opus"].alternates
    assert "# team config" in cfg.read_text()

"""`tierwise config show` and CLI error display."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tierwise.cli.app import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("TIERWISE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")


def test_config_show_names_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "tierwise.toml"
    cfg.write_text('[tiers.opus]\nmodel_id = "eu.anthropic.claude-opus-4-5-20251101-v1:0"\n')
    monkeypatch.setenv("TIERWISE_RETRY__MAX_ATTEMPTS", "7")
    result = runner.invoke(app, ["--region", "eu-west-1", "config", "show", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["tiers.opus.model_id"] == {
        "value": "eu.anthropic.claude-opus-4-5-20251101-v1:0",
        "source": f"file:{cfg}",
    }
    assert data["retry.max_attempts"] == {"value": 7, "source": "env:TIERWISE_RETRY__MAX_ATTEMPTS"}
    assert data["region"] == {"value": "eu-west-1", "source": "cli"}
    assert data["tiers.haiku.prices.input"]["source"] == "default"


def test_config_show_says_which_prices_are_in_use(tmp_path: Path) -> None:
    result = runner.invoke(app, ["config", "show", "--json"])
    data = json.loads(result.stdout)
    assert data["prices_in_use.sonnet.source"]["value"] == "tiers.sonnet"
    assert data["prices_in_use.sonnet.input"] == {
        "value": data["tiers.sonnet.prices.input"]["value"], "source": "derived"
    }  # fmt: skip
    (tmp_path / "tierwise.toml").write_text('price_sheet = "representative-2026"\n')
    data = json.loads(runner.invoke(app, ["config", "show", "--json"]).stdout)
    # The tiers' own prices are not what calls are billed at any more, and say so.
    assert data["tiers.haiku.prices.input"]["source"] == (
        "unused (price_sheet representative-2026 applies)"
    )
    assert data["prices_in_use.haiku.source"]["value"] == "price_sheet representative-2026"
    sheet = data["price_sheets.representative-2026.haiku.input"]["value"]
    assert data["prices_in_use.haiku.input"]["value"] == sheet


def test_config_show_table() -> None:
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert "global.anthropic.claude-sonnet-4-5-20250929-v1:0" in result.stdout
    assert "config file: none" in result.stdout


def test_bad_config_is_one_clear_line_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "tierwise.toml").write_text("[retry]\nmax_attempts = 'many'\n")
    proc = subprocess.run(
        [sys.executable, "-c", "from tierwise.cli.app import main; main()", "config", "show"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "retry.max_attempts" in proc.stderr
    assert proc.stderr.count("error:") == 1


def test_config_show_masks_passwords_in_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    # The ledger URL's PostgreSQL password was printed as written (metrics_token was masked).
    monkeypatch.setenv("TIERWISE_LEDGER__URL", "postgresql://tw:s3cret-pw@db.internal:5432/ledger")
    monkeypatch.setenv("TIERWISE_CACHE_STATE__URL", "redis://:r3dis-pw@cache:6379/0")
    for args in (["config", "show", "--json"], ["config", "show"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "s3cret-pw" not in result.stdout and "r3dis-pw" not in result.stdout
    data = json.loads(runner.invoke(app, ["config", "show", "--json"]).stdout)
    assert data["ledger.url"]["value"] == "postgresql://tw:**********@db.internal:5432/ledger"
    assert data["ledger.resolved_url"]["value"] == data["ledger.url"]["value"]
    assert data["cache_state.url"]["value"] == "redis://:**********@cache:6379/0"
    monkeypatch.setenv("TIERWISE_LEDGER__URL", "postgresql://tw@db.internal:5432/ledger")
    data = json.loads(runner.invoke(app, ["config", "show", "--json"]).stdout)
    assert data["ledger.url"]["value"] == "postgresql://tw@db.internal:5432/ledger"


@pytest.mark.parametrize("empty", ["/dev/null", "empty.toml"])
def test_config_show_says_an_empty_config_file_sets_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty: str
) -> None:
    (tmp_path / "empty.toml").write_text("")
    monkeypatch.setenv("TIERWISE_CONFIG", empty)
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"config file: {empty} (empty: sets nothing)"

"""Loading difficulty models: the packaged default or a file of the team's own."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from tierwise.core.difficulty import DifficultyModel
from tierwise.errors import ConfigError

__all__ = ["DEFAULT_MODEL_FILE", "load_model"]

DEFAULT_MODEL_FILE = "difficulty-v4.twdm"


def load_model(path: str | Path | None = None) -> DifficultyModel:
    """The model at ``path``, or the one shipped in the package. A new object each call:
    the caller (the client) keeps it."""
    try:
        if path is None:
            data = resources.files("tierwise.router").joinpath("data", DEFAULT_MODEL_FILE)
            return DifficultyModel.from_bytes(data.read_bytes())
        return DifficultyModel.from_bytes(Path(path).read_bytes())
    except FileNotFoundError:
        raise ConfigError(
            f"difficulty model {path or DEFAULT_MODEL_FILE} not found",
            hint="fix routing.model_path, or run `tierwise router train` to create one",
        ) from None
    except ValueError as exc:
        raise ConfigError(f"difficulty model {path} is unreadable: {exc}") from None

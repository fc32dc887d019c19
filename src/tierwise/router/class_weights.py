"""Loading the task-class model: ``routing.class_model_path`` or the packaged file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from tierwise.core.class_model import DEFAULT_CLASS_MODEL_FILE, ClassModel
from tierwise.errors import ConfigError

__all__ = ["load_class_model"]


def load_class_model(path: str | Path | None = None) -> ClassModel | None:
    """The class model at ``path``, or the packaged one (None when none is installed)."""
    if path:
        try:
            return ClassModel.from_bytes(Path(path).read_bytes())
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"config key `routing.class_model_path`: cannot load {path}: {exc}",
                hint="point it at a file written by `tierwise router train --data`, or leave "
                "it empty for the packaged model",
            ) from None
    ref = resources.files("tierwise.router").joinpath("data", DEFAULT_CLASS_MODEL_FILE)
    if not ref.is_file():
        return None
    return ClassModel.from_bytes(ref.read_bytes())

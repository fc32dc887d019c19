"""Loading the task-class model: ``routing.class_model_path`` or the packaged file.

Two models are packaged: the pure-Python n-gram model (always usable) and, when the
``embed`` extra (wordllama) is installed, the one that adds a static sentence embedding
(better on wordings it never saw; docs/router/classes.md). The embedding's weights come from
the installed wheel; nothing is downloaded.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from tierwise.core.class_model import DEFAULT_CLASS_MODEL_FILE, EMBED_CLASS_MODEL_FILE, ClassModel
from tierwise.errors import ConfigError

__all__ = ["load_class_model"]


def _with_embedding(model: ClassModel, where: str) -> ClassModel:
    if not model.dense_dims:
        return model
    from tierwise.router import class_embed

    if not class_embed.available():
        raise ConfigError(
            f"{where}: class model {model.version} uses a sentence embedding and the `embed` "
            "extra is not installed",
            hint="pip install 'tierwise[embed]', or use a model trained without it",
        )
    return class_embed.attach(model)


def load_class_model(
    path: str | Path | None = None, *, embed: bool | None = None
) -> ClassModel | None:
    """The class model at ``path``, or the packaged one (None when none is installed).

    ``embed`` picks the packaged variant: None uses the embedding model when the ``embed``
    extra is installed, False always the n-gram model.
    """
    if path:
        try:
            model = ClassModel.from_bytes(Path(path).read_bytes())
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"config key `routing.class_model_path`: cannot load {path}: {exc}",
                hint="point it at a file written by `tierwise router train --data`, or leave "
                "it empty for the packaged model",
            ) from None
        return _with_embedding(model, "config key `routing.class_model_path`")
    data = resources.files("tierwise.router").joinpath("data")
    if embed is None:
        from tierwise.router import class_embed

        embed = class_embed.available()
    if embed and data.joinpath(EMBED_CLASS_MODEL_FILE).is_file():
        model = ClassModel.from_bytes(data.joinpath(EMBED_CLASS_MODEL_FILE).read_bytes())
        return _with_embedding(model, "packaged class model")
    ref = data.joinpath(DEFAULT_CLASS_MODEL_FILE)
    if not ref.is_file():
        return None
    return ClassModel.from_bytes(ref.read_bytes())

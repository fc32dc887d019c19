"""The sentence embedding of the class model's ``embed`` variant (wordllama, an extra).

wordllama's ``l2_supercat`` 256-dimension static token embeddings ship inside its PyPI
wheel (MIT; numpy, tokenizers, safetensors). They are read from the installed package here,
never downloaded: ``WordLlama.load()`` in 0.4.0.post1 looks for the tokenizer in a folder
the wheel does not have and then tries Hugging Face, so the files are opened directly.

A request is embedded as its user text and its system prompt (each mean-pooled and
L2-normalised, zeros when empty), concatenated and scaled by :data:`SCALE` so the dense
features weigh like the hashed n-grams under one L2 penalty. Everything imports lazily:
``import tierwise`` never loads numpy.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tierwise.core.class_model import ClassModel

if TYPE_CHECKING:
    import numpy as np

__all__ = ["EMBEDDING_NAME", "SCALE", "WordLlamaLogits", "available", "embed_pairs"]

EMBEDDING_NAME = "wordllama-0.4-l2_supercat-256"
SCALE = 2.0
_DIMS = 256


def available() -> bool:
    """Whether the ``embed`` extra (wordllama) is installed."""
    return importlib.util.find_spec("wordllama") is not None


@cache
def _inference() -> Any:
    import wordllama
    from safetensors import safe_open
    from tokenizers import Tokenizer
    from wordllama.inference import WordLlamaInference

    root = Path(wordllama.__file__).parent
    tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
    weights = root / "weights" / f"l2_supercat_{_DIMS}.safetensors"
    with safe_open(str(weights), framework="np", device="cpu") as f:
        table = f.get_tensor("embedding.weight")
    return WordLlamaInference(table, tokenizer, binary=False)


def embed_pairs(pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """(system, user) pairs -> rows of ``2 * 256`` features (user, then system)."""
    import numpy as np

    model = _inference()
    out = np.zeros((len(pairs), 2 * _DIMS), dtype=np.float32)
    texts: list[str] = []
    where: list[tuple[int, int]] = []
    for i, (system, user) in enumerate(pairs):
        for j, text in enumerate((user, system)):
            if text.strip():
                texts.append(text)
                where.append((i, j))
    if texts:
        vectors = model.embed(texts, norm=True, batch_size=64)
        for (i, j), vector in zip(where, vectors, strict=True):
            out[i, j * _DIMS : (j + 1) * _DIMS] = vector
    return out * SCALE


class WordLlamaLogits:
    """:class:`~tierwise.core.class_model.DenseLogits` of a model's dense weights."""

    def __init__(self, model: ClassModel) -> None:
        import numpy as np

        if model.dense_dims != 2 * _DIMS:
            raise ValueError(
                f"class model {model.version} has {model.dense_dims} dense weights per class, "
                f"not the {2 * _DIMS} of {EMBEDDING_NAME}"
            )
        k = len(model.classes)
        self._weights = np.frombuffer(model.dense, dtype=np.float32).reshape(model.dense_dims, k)

    def __call__(self, system: str, user: str) -> list[float]:
        vector = embed_pairs([(system, user)])[0]
        return [float(v) for v in vector @ self._weights]


def attach(model: ClassModel) -> ClassModel:
    """``model`` with its dense logits attached when it has dense weights."""
    if model.dense_dims:
        model.dense_logits = WordLlamaLogits(model)
    return model

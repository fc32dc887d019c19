"""The class model's sentence-embedding variant (the ``embed`` extra, wordllama)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("scipy")
pytest.importorskip("wordllama")

from tierwise.core.class_model import BlendedClassifier, ClassModel
from tierwise.core.routing import predict_class
from tierwise.core.signals import extract_signals
from tierwise.errors import ConfigError
from tierwise.router import class_embed
from tierwise.router.class_train import embed_rows, fit
from tierwise.router.class_weights import load_class_model


def user(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": [{"text": text}]}]}


def rows() -> list[dict[str, Any]]:
    data = [
        ("classify", "Label this review as positive or negative: {}"),
        ("translate", "Translate into German: {}"),
        ("proof", "Prove rigorously that {} holds for every n"),
    ]
    fillers = ["the soup was cold", "great service", "the claim", "my parcel is late"]
    return [
        {"class": c, "template": f"{c}-{i}", "source": "team-templates",
         "request": user(text.format(f))}
        for c, text in data for i, f in enumerate(fillers)
    ]  # fmt: skip


def test_embedding_is_read_from_the_wheel_and_is_normalised() -> None:
    vectors = class_embed.embed_pairs([("", "hello there"), ("You label text.", "")])
    assert vectors.shape == (2, 512)
    norms = [float((v[:256] ** 2).sum() ** 0.5) for v in vectors] + [
        float((v[256:] ** 2).sum() ** 0.5) for v in vectors
    ]
    # user of the first, system of the second are embedded; the empty halves are zeros
    assert norms[0] == pytest.approx(class_embed.SCALE, rel=1e-3)
    assert norms[3] == pytest.approx(class_embed.SCALE, rel=1e-3)
    assert norms[1] == 0.0 and norms[2] == 0.0


def test_dense_model_round_trips_and_needs_its_embedding() -> None:
    data = rows()
    model = fit(data, bits=10, dense=embed_rows(data))
    assert model.dense_dims == 512
    assert model.meta["embedding"]["name"] == class_embed.EMBEDDING_NAME  # type: ignore[index]
    again = ClassModel.from_bytes(model.to_bytes())
    with pytest.raises(ValueError, match="embed"):
        again.probabilities({}, "", "hello")
    class_embed.attach(again)
    class_embed.attach(model)
    probe = extract_signals(user("Translate into German: see you tomorrow"))
    assert predict_class(probe, BlendedClassifier(again)).name == "translate"
    assert BlendedClassifier(again).probabilities({}, "", "x") == pytest.approx(
        BlendedClassifier(model).probabilities({}, "", "x")
    )


def test_a_dense_model_file_without_the_extra_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = rows()
    path = tmp_path / "dense.twcm"
    path.write_bytes(fit(data, bits=10, dense=embed_rows(data)).to_bytes())
    assert load_class_model(path) is not None
    monkeypatch.setattr(class_embed, "available", lambda: False)
    with pytest.raises(ConfigError, match="embed"):
        load_class_model(path)


def test_the_packaged_models_load_with_and_without_the_embedding() -> None:
    plain = load_class_model(embed=False)
    assert plain is not None and plain.dense_dims == 0
    embedded = load_class_model()
    assert embedded is not None and embedded.dense_dims == 512
    request = user("Which language is this? 'Je voudrais un café.' One word.")
    for model in (plain, embedded):
        assert predict_class(extract_signals(request), BlendedClassifier(model)).name == "classify"

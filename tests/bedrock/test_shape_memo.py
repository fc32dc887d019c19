"""ShapeMemo: one build per (class, shape), bounded, never confusing two shapes."""

from __future__ import annotations

from typing import Any

from tierwise.bedrock.shape_memo import ShapeMemo


class _Shape:
    def __init__(self, name: str) -> None:
        self.name = name


class _Parser:
    pass


class _SubParser(_Parser):
    pass


def _counting() -> tuple[ShapeMemo[str], list[tuple[type, str]]]:
    builds: list[tuple[type, str]] = []

    def build(cls: type, shape: Any) -> str:
        builds.append((cls, shape.name))
        return f"{cls.__name__}:{shape.name}"

    return ShapeMemo(build), builds


def test_a_shape_is_built_once_per_class() -> None:
    memo, builds = _counting()
    shape = _Shape("Converse")
    assert memo.get(_Parser, shape) == "_Parser:Converse"
    assert memo.get(_Parser, shape) == "_Parser:Converse"
    assert memo.get(_SubParser, shape) == "_SubParser:Converse"
    assert builds == [(_Parser, "Converse"), (_SubParser, "Converse")]
    assert len(memo) == 2


def test_a_build_may_ask_for_the_shapes_inside_it() -> None:
    inner, outer = _Shape("inner"), _Shape("outer")
    memo: ShapeMemo[str]

    def build(cls: type, shape: Any) -> str:
        if shape is outer:
            return "outer(" + memo.get(cls, inner) + ")"
        return shape.name  # type: ignore[no-any-return]

    memo = ShapeMemo(build)
    assert memo.get(_Parser, outer) == "outer(inner)"
    assert len(memo) == 2


def test_past_its_limit_the_memo_starts_again() -> None:
    builds: list[str] = []

    def build(cls: type, shape: Any) -> str:
        builds.append(shape.name)
        return str(shape.name)

    memo = ShapeMemo(build, limit=2)
    a, b, c = _Shape("a"), _Shape("b"), _Shape("c")
    memo.get(_Parser, a)
    memo.get(_Parser, b)
    assert len(memo) == 2
    memo.get(_Parser, c)  # full: cleared, then c kept
    assert len(memo) == 1
    memo.get(_Parser, c)
    memo.get(_Parser, a)  # cleared away, so built again
    assert builds == ["a", "b", "c", "a"]


def test_a_shape_is_kept_alive_so_its_id_is_not_reused() -> None:
    memo, builds = _counting()
    for name in ("x", "y", "z"):
        # Each shape is dropped by the caller at once; were the memo to keep only its id,
        # a later shape at the same address would be handed the earlier one's result.
        assert memo.get(_Parser, _Shape(name)) == f"_Parser:{name}"
    assert [name for _, name in builds] == ["x", "y", "z"]

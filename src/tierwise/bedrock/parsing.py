"""botocore's rest-json response parse with its shape walk compiled once per shape.

botocore parses a Converse answer by walking the output shape for every response: each node
looks its handler up by name (``getattr(self, f"_handle_{type_name}")``), each structure reads
every member's serialised name out of its ``serialization`` dict again, and a tagged union
copies itself to check that one member is set. That walk is about a tenth of a Converse
call's CPU in botocore (bench/results/request_cpu.txt, section 8).

:class:`FastRestJSONParser` is botocore's ``RestJSONParser`` whose ``_parse_shape`` runs a
function built once per shape (kept per shape object): the same steps as botocore's handlers
(members in the shape's order under their serialised names, ``None`` values skipped, lists
kept sparse, unknown union members reported the same way, ``int``/``float``/
``ensure_boolean`` on numbers and booleans, its own blob and timestamp parsers), with the
per-node lookups done at build time. A shape whose handler on the parser's class is not one
of botocore's handlers this module knows (another botocore, a subclass, a header list, a
JSON-value header) is parsed by that handler itself. Everything around the walk (status,
errors, headers, ``ResponseMetadata``, event streams) is botocore's own code (or, for a
templated call's 2xx answer, :mod:`tierwise.bedrock.responding`'s).
tests/bedrock/test_botocore_fast.py compares the result with botocore's on generated answers for
every rest-json output shape of ``bedrock-runtime``.

:func:`use_fast_parser` puts it under one client (its endpoint's parser factory).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore import parsers
from botocore.utils import ensure_boolean, is_json_value_header

from tierwise.bedrock.shape_memo import ShapeMemo

__all__ = ["FastRestJSONParser", "use_fast_parser"]

_Walk = Callable[[Any, Any], Any]  # (parser, node) -> parsed

_BOTOCORE: Any = parsers
_STOCK: Any = parsers.RestJSONParser
_BASE_JSON: Any = parsers.BaseJSONParser
_BASE_REST: Any = parsers.BaseRestParser
_RESPONSE: Any = parsers.ResponseParser

# botocore's handlers whose steps the walks below repeat, by the name they are looked up
# under; checked by identity against what the parser's class resolves at build time.
_KNOWN: dict[str, Any] = {
    "structure": _BASE_JSON._handle_structure,
    "list": _BASE_REST._handle_list,
    "map": _BASE_JSON._handle_map,
    "string": _BASE_REST._handle_string,
    "integer": _STOCK._handle_integer,
    "long": _STOCK._handle_long,
    "float": _STOCK._handle_float,
    "double": _STOCK._handle_double,
    "boolean": _STOCK._handle_boolean,
    "blob": _BASE_JSON._handle_blob,
    "timestamp": _BASE_JSON._handle_timestamp,
}


def _identity(parser: Any, node: Any) -> Any:
    return node


def _build(cls: type, shape: Any) -> _Walk:
    """The walk for ``shape`` under parser class ``cls``."""
    type_name = shape.type_name
    handler = getattr(cls, f"_handle_{type_name}", None)
    if handler is None:
        return _identity  # ResponseParser._default_handle
    if handler is not _KNOWN.get(type_name):
        name = f"_handle_{type_name}"

        def delegate(parser: Any, node: Any) -> Any:
            return getattr(parser, name)(shape, node)

        return delegate
    if type_name == "structure":
        return _structure(cls, shape)
    if type_name == "list":
        if shape.serialization.get("location") == "header":
            return lambda parser, node: parser._handle_list(shape, node)
        return _list(cls, shape)
    if type_name == "map":
        return _map(cls, shape)
    if type_name == "string":
        if is_json_value_header(shape):
            return lambda parser, node: parser._handle_string(shape, node)
        return _identity
    if type_name in ("integer", "long"):
        return lambda parser, node: int(node)
    if type_name in ("float", "double"):
        return lambda parser, node: float(node)
    if type_name == "boolean":
        return lambda parser, node: ensure_boolean(node)
    if type_name == "blob":
        return lambda parser, node: parser._blob_parser(node)
    # timestamp
    return lambda parser, node: parser._timestamp_parser(node)


def _structure(cls: type, shape: Any) -> _Walk:
    if shape.is_document_type:
        return _identity
    members: list[tuple[str, str, Any]] = []  # (name, serialised name, member shape)
    for member_name, member_shape in shape.members.items():
        members.append(
            (member_name, member_shape.serialization.get("name", member_name), member_shape)
        )
    union = bool(shape.is_tagged_union)
    # A union whose one member is known and set: what botocore's check finds without
    # copying the value (anything else is asked of botocore's check).
    wire_names = frozenset(json_name for _, json_name, _ in members)
    # Member walks are looked up when first used: shapes can be recursive.
    walks: list[_Walk | None] = [None] * len(members)

    def walk(parser: Any, value: Any) -> Any:
        if value is None:
            return None
        if (
            union
            and not _plain_union(value, wire_names)
            and parser._has_unknown_tagged_union_member(shape, value)
        ):
            return parser._handle_unknown_tagged_union_member(parser._get_first_key(value))
        parsed: dict[str, Any] = {}
        for i, (name, json_name, member_shape) in enumerate(members):
            raw = value.get(json_name)
            if raw is not None:
                member_walk = walks[i]
                if member_walk is None:
                    member_walk = walks[i] = _walk_for(cls, member_shape)
                parsed[name] = member_walk(parser, raw)
        return parsed

    return walk


def _plain_union(value: Any, wire_names: frozenset[str]) -> bool:
    """Whether ``value`` is a union node with exactly one member, known and not None."""
    if type(value) is not dict or len(value) != 1:
        return False
    for key, item in value.items():
        return key in wire_names and key != "__type" and item is not None
    return False


def _list(cls: type, shape: Any) -> _Walk:
    member_shape = shape.member
    cell: list[_Walk] = []

    def walk(parser: Any, node: Any) -> Any:
        if not cell:
            cell.append(_walk_for(cls, member_shape))
        member_walk = cell[0]
        return [None if item is None else member_walk(parser, item) for item in node]

    return walk


def _map(cls: type, shape: Any) -> _Walk:
    key_shape = shape.key
    value_shape = shape.value
    cell: list[tuple[_Walk, _Walk]] = []

    def walk(parser: Any, node: Any) -> Any:
        if not cell:
            cell.append((_walk_for(cls, key_shape), _walk_for(cls, value_shape)))
        key_walk, value_walk = cell[0]
        parsed: dict[Any, Any] = {}
        for key, value in node.items():
            parsed[key_walk(parser, key)] = value_walk(parser, value)
        return parsed

    return walk


_WALKS: ShapeMemo[_Walk] = ShapeMemo(_build)
_walk_for = _WALKS.get


class FastRestJSONParser(parsers.RestJSONParser):
    """botocore's ``RestJSONParser`` with each shape's walk built once (see the module)."""

    def _parse_shape(self, shape: Any, node: Any) -> Any:
        return _walk_for(type(self), shape)(self, node)


class _Factory(parsers.ResponseParserFactory):
    """A parser factory handing out :class:`FastRestJSONParser` for rest-json, with the
    defaults (blob and timestamp parsers) of the factory it replaces."""

    def __init__(self, stock: Any) -> None:
        super().__init__()
        self._defaults = stock._defaults
        self._stock = stock

    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "rest-json" and _BOTOCORE.PROTOCOL_PARSERS.get(protocol_name) is _STOCK:
            return FastRestJSONParser(**self._defaults)
        return self._stock.create_parser(protocol_name)


def use_fast_parser(client: Any) -> bool:
    """Have ``client``'s endpoint parse rest-json answers with :class:`FastRestJSONParser`;
    False (nothing changed) when its factory is not botocore's own."""
    endpoint = getattr(client, "_endpoint", None)
    stock = getattr(endpoint, "_response_parser_factory", None)
    if type(stock) is not parsers.ResponseParserFactory or not isinstance(
        getattr(stock, "_defaults", None), dict
    ):
        return False
    endpoint._response_parser_factory = _Factory(stock)  # type: ignore[union-attr]
    return True

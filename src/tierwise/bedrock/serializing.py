"""botocore's rest-json request serialisation with its per-call lookups done once.

For every call botocore's ``RestJSONSerializer`` renders the URI template (a regex over the
template, then percent-encoding each label: for Converse, the model ID) and walks the input
shape to build the JSON body, looking each node's method up by name
(``getattr(self, f"_serialize_type_{type_name}")``) and building a wrapper dict per list item.

:func:`use_fast_serializer` changes two methods of one client's serializer:

- ``_render_uri_template`` keeps its result per (template, label values) when the values are
  strings (the template and the values are all it reads);
- ``_serialize_body_params`` builds the body with a walk made once per shape, doing what
  botocore's ``JSONSerializer`` methods do (members in the caller's order under their
  serialised names, documents and unknown types as given, botocore's own float, blob and
  timestamp conversions), then ``json.dumps`` as botocore does. A shape whose method on the
  serializer's class is not one of botocore's this module knows is serialised by that method.

Parameter validation (before serialisation) is botocore's, unchanged.
tests/bedrock/test_botocore_fast.py compares the request dicts with botocore's on generated
input for every operation of bedrock-runtime, and the wire bytes of whole calls.
"""

from __future__ import annotations

import decimal
import json
import threading
from collections.abc import Callable
from typing import Any

from botocore import serialize

from tierwise.bedrock.shape_memo import ShapeMemo

__all__ = ["use_fast_serializer"]

_Walk = Callable[[Any, Any], Any]  # (serializer, value) -> serialised value

_JSON: Any = serialize.JSONSerializer
_BASE_REST: Any = serialize.BaseRestSerializer
_REST_JSON: Any = serialize.RestJSONSerializer  # (private names: not in botocore's stubs)

_KNOWN: dict[str, Any] = {
    "structure": _JSON._serialize_type_structure,
    "map": _JSON._serialize_type_map,
    "list": _JSON._serialize_type_list,
    "timestamp": _JSON._serialize_type_timestamp,
    "blob": _JSON._serialize_type_blob,
    "float": _JSON._serialize_type_float,
    "double": _JSON._serialize_type_double,
}

_LOCK = threading.Lock()
_URIS: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
_MAX_URIS = 1024


def _identity(serializer: Any, value: Any) -> Any:
    return value


def _build(cls: type, shape: Any) -> _Walk:
    type_name = shape.type_name
    method = getattr(cls, f"_serialize_type_{type_name}", None)
    if method is None:
        return _identity  # JSONSerializer._default_serialize
    if method is not _KNOWN.get(type_name):
        name = f"_serialize_type_{type_name}"

        def delegate(serializer: Any, value: Any) -> Any:
            holder: dict[str, Any] = {}
            getattr(serializer, name)(holder, value, shape, "__current__")
            return holder["__current__"]

        return delegate
    if type_name == "structure":
        return _identity if shape.is_document_type else _structure(cls, shape)
    if type_name == "map":
        value_shape = shape.value

        map_cell: list[_Walk] = []

        def walk_map(serializer: Any, value: Any) -> Any:
            if not map_cell:  # looked up when first used: shapes can be recursive
                map_cell.append(_walk_for(cls, value_shape))
            value_walk = map_cell[0]
            out = serializer.MAP_TYPE()
            for sub_key, sub_value in value.items():
                out[sub_key] = value_walk(serializer, sub_value)
            return out

        return walk_map
    if type_name == "list":
        member_shape = shape.member

        list_cell: list[_Walk] = []

        def walk_list(serializer: Any, value: Any) -> Any:
            if not list_cell:
                list_cell.append(_walk_for(cls, member_shape))
            member_walk = list_cell[0]
            return [member_walk(serializer, item) for item in value]

        return walk_list
    if type_name == "timestamp":
        timestamp_format = shape.serialization.get("timestampFormat")
        return lambda serializer, value: serializer._convert_timestamp_to_str(
            value, timestamp_format
        )
    if type_name == "blob":
        return lambda serializer, value: serializer._get_base64(value)

    def walk_float(serializer: Any, value: Any) -> Any:  # float, double
        if isinstance(value, decimal.Decimal):
            value = float(value)
        return serializer._handle_float(value)

    return walk_float


def _structure(cls: type, shape: Any) -> _Walk:
    # Per member: (serialised name, member shape); walks looked up when first used.
    names: dict[str, tuple[str, Any]] = {
        name: (member.serialization.get("name", name), member)
        for name, member in shape.members.items()
    }

    # Per member: (serialised name, walk), the walk looked up when first used.
    walks: dict[str, tuple[str, _Walk]] = {}

    def walk(serializer: Any, value: Any) -> Any:
        out = serializer.MAP_TYPE()
        for member_key, member_value in value.items():
            known = walks.get(member_key)
            if known is None:
                json_name, member_shape = names[member_key]  # KeyError as in botocore
                known = walks[member_key] = (json_name, _walk_for(cls, member_shape))
            out[known[0]] = known[1](serializer, member_value)
        return out

    return walk


_WALKS: ShapeMemo[_Walk] = ShapeMemo(_build)
_walk_for = _WALKS.get


def use_fast_serializer(client: Any) -> bool:
    """Give ``client``'s rest-json serializer the two faster steps (see the module); False
    (nothing changed) when it is not botocore's ``RestJSONSerializer`` (under botocore's
    validating decorator or bare)."""
    outer: Any = getattr(client, "_serializer", None)
    inner: Any = getattr(outer, "_serializer", outer)
    if type(inner) is not _REST_JSON or getattr(inner, "_tierwise_fast", False):
        return False
    cls = type(inner)
    render_stock = inner._render_uri_template
    body_stock = inner._serialize_body_params
    if (
        getattr(cls, "_render_uri_template", None) is not _BASE_REST._render_uri_template
        or getattr(cls, "_serialize_body_params", None) is not _REST_JSON._serialize_body_params
        or getattr(cls, "_serialize", None) is not _JSON._serialize
    ):
        return False

    def render_uri_template(uri_template: str, params: dict[str, Any]) -> str:
        values = tuple(params.items())
        for _, value in values:
            if type(value) is not str:
                return render_stock(uri_template, params)  # type: ignore[no-any-return]
        key = (uri_template, values)
        uri = _URIS.get(key)
        if uri is None:
            uri = render_stock(uri_template, params)
            with _LOCK:
                if len(_URIS) >= _MAX_URIS:
                    _URIS.clear()
                _URIS[key] = uri
        return uri

    def serialize_body_params(params: Any, shape: Any) -> bytes:
        if shape.type_name != "structure" or shape.is_document_type:
            return body_stock(params, shape)  # type: ignore[no-any-return]
        body = _walk_for(cls, shape)(inner, params)
        return json.dumps(body).encode(inner.DEFAULT_ENCODING)

    inner._render_uri_template = render_uri_template
    inner._serialize_body_params = serialize_body_params
    inner._tierwise_fast = True
    return True

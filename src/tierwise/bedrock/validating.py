"""botocore's parameter validation, answered first by checks built once per shape.

Before serialising, botocore's ``ParamValidationDecorator`` validates every call's
parameters with ``ParamValidator``: for each node a special-case test, a method looked up by
name, a type-check wrapper and a range check reading the shape's metadata, all collecting
error records. A call that passes (nearly all of them) pays for that machinery and gets
nothing from it.

:func:`use_fast_validation` puts a check before it on one client: a function per shape,
made once, that applies the same rules as ``ParamValidator`` (the same types per shape type,
the same required, unknown-member, union, ``min`` and host-label rules, the same shortcut for
lists of unconstrained scalars, documents walked the same way; timestamps, JSON-value headers
and any shape type it does not know are asked of botocore's validator itself) and answers only
"no errors". When it says so, the parameters go to the serializer as botocore would send them
after a clean report; otherwise botocore's own decorator runs as before (same report, same
``ParamValidationError``). So it can only make a valid call cheaper, never let an invalid one
through unless botocore's rules would. tests/bedrock/test_botocore_fast.py compares the two on
valid and broken parameters generated for every operation of bedrock-runtime.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore import validate
from botocore.utils import is_json_value_header

from tierwise.bedrock.shape_memo import ShapeMemo

__all__ = ["use_fast_validation"]

_Check = Callable[[Any], bool]

_VALIDATOR: Any = validate.ParamValidator
_DECORATOR: Any = validate.ParamValidationDecorator
_SCALARS: dict[str, Any] = dict(_VALIDATOR.SCALAR_TYPES)
_CONTAINERS: dict[str, Any] = dict(_VALIDATOR.CONTAINER_TYPES)
_DOCUMENT_SCALARS = (str, int, bool, float)


def _min_allowed(shape: Any) -> Any:
    """What ``validate.range_check`` compares with (None: nothing)."""
    if "min" in shape.metadata:
        return shape.metadata["min"]
    if getattr(shape, "serialization", {}).get("hostLabel"):
        return 1
    return None


def _botocore(shape: Any) -> _Check:
    """botocore's own validator on this node."""

    def check(value: Any) -> bool:
        errors = validate.ValidationErrors()
        _VALIDATOR()._validate(value, shape, errors, "")
        return not errors.has_errors()

    return check


def _document(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return all(_document(item) for item in value.values())
    if isinstance(value, list):
        return all(_document(item) for item in value)
    return isinstance(value, _DOCUMENT_SCALARS)


def _build(shape: Any) -> _Check:
    kind = shape.type_name
    if is_json_value_header(shape):
        return _botocore(shape)
    if kind == "structure":
        return _document if shape.is_document_type else _structure(shape)
    least = _min_allowed(shape)
    if kind == "string" or kind in ("integer", "long", "float", "double"):
        types = _SCALARS[kind]
        measure = len if kind == "string" else None

        def scalar(value: Any) -> bool:
            if not isinstance(value, types):
                return False
            if least is None:
                return True
            # range_check's own test (``<``: NaN passes it)
            return not (measure(value) if measure is not None else value) < least

        return scalar
    if kind == "boolean":
        return lambda value: isinstance(value, bool)
    if kind == "blob":
        return lambda value: isinstance(value, (bytes, bytearray, str)) or hasattr(value, "read")
    if kind == "list":
        return _list(shape, least)
    if kind == "map":
        key_shape, value_shape = shape.key, shape.value

        cell: list[tuple[_Check, _Check]] = []

        def check_map(value: Any) -> bool:
            if not isinstance(value, _CONTAINERS["map"]):
                return False
            if not cell:  # looked up when first used: shapes can be recursive
                cell.append((_check_for(key_shape), _check_for(value_shape)))
            key_check, value_check = cell[0]
            return all(key_check(k) and value_check(v) for k, v in value.items())

        return check_map
    return _botocore(shape)  # timestamps, and any type this module does not know


def _structure(shape: Any) -> _Check:
    members = shape.members
    required = list(shape.metadata.get("required", []))
    union = bool(shape.is_tagged_union)
    # Member checks looked up when first used (shapes can be recursive), then kept here.
    checks: dict[str, _Check] = {}

    def check(value: Any) -> bool:
        if not isinstance(value, _CONTAINERS["structure"]):
            return False
        if union and len(value) != 1:
            return False
        for name in required:
            if name not in value:
                return False
        for name, item in value.items():
            member_check = checks.get(name)
            if member_check is None:
                member = members.get(name)
                if member is None:
                    return False
                member_check = checks[name] = _check_for(member)
            if not member_check(item):
                return False
        return True

    return check


def _list(shape: Any, least: Any) -> _Check:
    member = shape.member
    member_type = member.type_name
    shortcut = member_type in _SCALARS and not (
        _VALIDATOR.VALIDATED_METADATA_ATTRS & set(member.metadata)
    )
    item_types = _SCALARS.get(member_type, ())
    cell: list[_Check] = []

    def check(value: Any) -> bool:
        if not isinstance(value, _CONTAINERS["list"]):
            return False
        if least is not None and len(value) < least:
            return False
        if shortcut:
            return all(isinstance(item, item_types) for item in value)
        if not cell:
            cell.append(_check_for(member))
        item_check = cell[0]
        return all(item_check(item) for item in value)

    return check


# The checks apply ParamValidator's rules whatever the client, so all are kept under it.
_CHECKS: ShapeMemo[_Check] = ShapeMemo(lambda _validator, shape: _build(shape))


def _check_for(shape: Any) -> _Check:
    return _CHECKS.get(_VALIDATOR, shape)


def use_fast_validation(client: Any) -> bool:
    """Answer ``client``'s parameter validation with the checks first (see the module);
    False (nothing changed) when its serializer is not botocore's validating decorator
    around a plain ``ParamValidator``."""
    outer: Any = getattr(client, "_serializer", None)
    if (
        type(outer) is not _DECORATOR
        or type(getattr(outer, "_param_validator", None)) is not _VALIDATOR
        or getattr(outer, "_tierwise_fast", False)
    ):
        return False
    stock = outer.serialize_to_request

    def serialize_to_request(parameters: Any, operation_model: Any) -> Any:
        shape = operation_model.input_shape
        if shape is not None and _check_for(shape)(parameters):
            return outer._serializer.serialize_to_request(parameters, operation_model)
        return stock(parameters, operation_model)

    outer.serialize_to_request = serialize_to_request
    outer._tierwise_fast = True
    return True

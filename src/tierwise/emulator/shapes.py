"""Bedrock's front-door validation: a request body checked against bedrock-runtime's service
model (the one the installed botocore ships), with the messages AWS's JSON services send.

Bedrock checks every modelled constraint on the server, before the model sees the request:
required members, enums, lengths and counts, numeric ranges and patterns. botocore checks
only some of them on the client (no patterns, no maximum counts, nothing with
``parameter_validation=False``, nothing from clients in other languages), so the emulator
checks them all here. Every failure is reported, in one ``ValidationException``::

    2 validation errors detected: Value '1.5' at 'inferenceConfig.temperature' failed to
    satisfy constraint: Member must have value less than or equal to 1; Value null at
    'messages.1.member.role' failed to satisfy constraint: Member must not be null

Paths count list members from 1 (``messages.1.member.content.2.member``). A value inside a
member the model marks ``sensitive`` is left out (``Value at '...'``), as AWS does. Document
members (``toolUse.input``, ``additionalModelRequestFields``) are free-form and not walked.
Unions with no member or several are left to :mod:`tierwise.emulator.validation`, whose
message for them is the emulator's own. See docs/emulator-refusals.md, "Shape constraints".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from botocore.loaders import create_loader
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

from tierwise.emulator.apierror import ApiError, validation

__all__ = ["ShapeRules"]

_NUMBERS = ("integer", "long", "float", "double")


def _bound(limit: float) -> str:
    """A bound as AWS prints it: ``1``, not ``1.0``."""
    return str(int(limit)) if float(limit).is_integer() else str(limit)


def _java(value: Any, shape: Shape) -> str:
    """``value`` as Java's ``String.valueOf`` prints the deserialised member."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if shape.type_name in ("float", "double") and isinstance(value, int | float):
        return repr(float(value))
    if isinstance(value, list):
        member = getattr(shape, "member", shape)
        return "[" + ", ".join(_java(v, member) for v in value) + "]"
    if isinstance(value, Mapping):
        inner = getattr(shape, "value", shape)
        return "{" + ", ".join(f"{k}={_java(v, inner)}" for k, v in value.items()) + "}"
    return str(value)


def _length(value: Any, shape: Shape) -> int | None:
    """The length a constraint measures: UTF-16 code units for a string (Java's
    ``String.length``), decoded bytes for a blob (base64 on the wire), items otherwise."""
    if shape.type_name == "string":
        return len(value.encode("utf-16-le")) // 2 if isinstance(value, str) else None
    if shape.type_name == "blob":
        if not isinstance(value, str):
            return None
        text = value.strip()
        return len(text) * 3 // 4 - (len(text) - len(text.rstrip("=")))
    if shape.type_name in ("list", "map"):
        return len(value) if isinstance(value, list | Mapping) else None
    return None


@cache
def _pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # a Java-only construct: the check is skipped, never a false refusal
        return None


def _scalar_rules(value: Any, shape: Shape) -> list[str]:
    """The constraints a scalar or a collection's size breaks, in AWS's order."""
    meta = shape.metadata
    broken: list[str] = []
    if not ("min" in meta or "max" in meta or "pattern" in meta or "enum" in meta):
        return broken  # most members (all text) have nothing to check: no length to count
    size = _length(value, shape) if "min" in meta or "max" in meta else None
    if size is not None:
        if "max" in meta and size > meta["max"]:
            broken.append(f"Member must have length less than or equal to {_bound(meta['max'])}")
        if "min" in meta and size < meta["min"]:
            broken.append(f"Member must have length greater than or equal to {_bound(meta['min'])}")
    if shape.type_name in _NUMBERS and isinstance(value, int | float):
        if isinstance(value, bool):
            return broken
        if "max" in meta and value > meta["max"]:
            broken.append(f"Member must have value less than or equal to {_bound(meta['max'])}")
        if "min" in meta and value < meta["min"]:
            broken.append(f"Member must have value greater than or equal to {_bound(meta['min'])}")
    if shape.type_name == "string" and isinstance(value, str):
        compiled = _pattern(meta["pattern"]) if "pattern" in meta else None
        if compiled is not None and not compiled.fullmatch(value):
            broken.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            broken.append(f"Member must satisfy enum value set: [{', '.join(enum)}]")
    return broken


def _map_rules(shape: Shape) -> list[str]:
    """All of a map key's (or value's) constraints, as AWS lists them in "Map keys must
    satisfy constraint: [...]"."""
    meta = shape.metadata
    rules: list[str] = []
    if "max" in meta:
        rules.append(f"Member must have length less than or equal to {_bound(meta['max'])}")
    if "min" in meta:
        rules.append(f"Member must have length greater than or equal to {_bound(meta['min'])}")
    if "pattern" in meta:
        rules.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    return rules


class ShapeRules:
    """The service model's constraints on bedrock-runtime request bodies."""

    def __init__(self, model: ServiceModel) -> None:
        self._model = model

    @classmethod
    def installed(cls) -> ShapeRules:
        """The rules of the bedrock-runtime model the installed botocore ships."""
        data = create_loader().load_service_model("bedrock-runtime", "service-2")
        return cls(ServiceModel(data, "bedrock-runtime"))

    def violations(
        self, operation: str, body: Any, uri: Mapping[str, str] | None = None
    ) -> tuple[list[str], list[str]]:
        """What is wrong with ``operation``'s input: ``uri`` (the path's members, such as
        ``modelId``) and ``body`` (a decoded JSON object; not walked when the body is the
        operation's blob payload, as InvokeModel's is). The members of the wrong JSON type,
        and each broken constraint (``Value '...' at '...' failed to satisfy constraint:
        ...``)."""
        shape = self._model.operation_model(operation).input_shape
        walk = _Walk(uri or {})
        if isinstance(shape, StructureShape):
            payload = shape.serialization.get("payload")
            walk.structure(
                shape, body if isinstance(body, Mapping) and not payload else {}, "", False
            )
        return walk.mistyped, walk.broken

    def check(self, operation: str, body: Any, uri: Mapping[str, str] | None = None) -> None:
        """Raise what Bedrock answers if ``body`` does not fit the model: a member of the
        wrong JSON type fails deserialisation first (``SerializationException``), then every
        broken constraint is listed in one ValidationException."""
        mistyped, broken = self.violations(operation, body, uri)
        if mistyped:
            raise ApiError("SerializationException", mistyped[0])
        if broken:
            raise _detected(broken)


# A JSON value of the type each shape deserialises from (blobs are base64 text).
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (Mapping,),
    "map": (Mapping,),
    "list": (list,),
    "string": (str,),
    "blob": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
}


def _json_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


class _Walk:
    """One request's walk: what it found so far."""

    def __init__(self, uri: Mapping[str, str]) -> None:
        self.uri = uri
        self.mistyped: list[str] = []
        self.broken: list[str] = []

    def structure(
        self,
        shape: StructureShape,
        value: Mapping[str, Any],
        path: str,
        hidden: bool,
    ) -> None:
        required = set(shape.metadata.get("required", ()))
        for name, member in shape.members.items():
            where = f"{path}.{name}" if path else name
            location = member.serialization.get("location")
            if location == "uri" and not path:
                item: Any = self.uri.get(name)
            elif location:
                continue  # a header or query member: not part of the body
            else:
                item = value.get(name)
            if item is None:
                if name in required:
                    self.broken.append(
                        _failure(None, member, where, hidden, "Member must not be null")
                    )
                continue
            self.value(member, item, where, hidden)

    def _typed(self, shape: Shape, value: Any, path: str) -> bool:
        """Whether ``value`` has the JSON type ``shape`` deserialises from (noted if not)."""
        wanted = _JSON_TYPES.get(shape.type_name)
        number = shape.type_name in _NUMBERS
        if wanted is None or (
            isinstance(value, wanted) and not (isinstance(value, bool) and number)
        ):
            return True
        expected = "object" if shape.type_name in ("structure", "map") else shape.type_name
        self.mistyped.append(
            f"The value at '{path}' is a JSON {_json_name(value)}; a {expected} was "
            "expected. Send the member in its modelled type and try again."
        )
        return False

    def value(self, shape: Shape, value: Any, path: str, hidden: bool) -> None:
        if isinstance(shape, StructureShape) and shape.is_document_type:
            return  # free-form JSON
        if not self._typed(shape, value, path):
            return
        hidden = hidden or bool(shape.metadata.get("sensitive"))
        for rule in _scalar_rules(value, shape):
            self.broken.append(_failure(value, shape, path, hidden, rule))
        if isinstance(shape, StructureShape) and isinstance(value, Mapping):
            self.structure(shape, value, path, hidden)
        elif isinstance(shape, ListShape) and isinstance(value, list):
            for i, item in enumerate(value):
                if item is not None:
                    self.value(shape.member, item, f"{path}.{i + 1}.member", hidden)
        elif isinstance(shape, MapShape) and isinstance(value, Mapping):
            key_shape = shape.key
            if any(_scalar_rules(k, key_shape) for k in value):
                rules = ", ".join(_map_rules(key_shape))
                self.broken.append(
                    _failure(
                        value, shape, path, hidden, f"Map keys must satisfy constraint: [{rules}]"
                    )
                )
            value_shape = shape.value
            typed = [self._typed(value_shape, v, f"{path}.{k}.member") for k, v in value.items()]
            if not all(typed):
                return
            if value_shape.type_name in ("structure", "list", "map"):
                for key, item in value.items():
                    if item is not None:
                        self.value(value_shape, item, f"{path}.{key}.member", hidden)
            elif any(_scalar_rules(v, value_shape) for v in value.values() if v is not None):
                rules = ", ".join(_map_rules(value_shape))
                self.broken.append(
                    _failure(
                        value, shape, path, hidden, f"Map values must satisfy constraint: [{rules}]"
                    )
                )


def _failure(value: Any, shape: Shape, path: str, hidden: bool, rule: str) -> str:
    if hidden or shape.type_name == "blob":
        # Sensitive values are left out; a blob's Java value is a buffer, not its bytes.
        shown = "Value"
    elif value is None:
        shown = "Value null"
    else:
        shown = f"Value '{_java(value, shape)}'"
    return f"{shown} at '{path}' failed to satisfy constraint: {rule}"


def _detected(found: list[str]) -> ApiError:
    count = len(found)
    noun = "error" if count == 1 else "errors"
    return validation(f"{count} validation {noun} detected: {'; '.join(found)}")

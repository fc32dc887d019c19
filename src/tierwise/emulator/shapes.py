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
from dataclasses import dataclass
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


def _pattern(pattern: str | None) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error:  # a Java-only construct: the check is skipped, never a false refusal
        return None


def _scalar_rules(value: Any, facts: _Facts) -> list[str]:
    """The constraints a scalar or a collection's size breaks, in AWS's order."""
    broken: list[str] = []
    if not facts.checked:
        return broken  # most members (all text) have nothing to check: no length to count
    shape = facts.shape
    meta = shape.metadata
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
        compiled = facts.pattern
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


# A JSON value of the type each shape deserialises from (blobs are base64 text); bodies come
# from json.loads, so objects are dicts (a plain type check, not Mapping's ABC one).
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,),
    "map": (dict,),
    "list": (list,),
    "string": (str,),
    "blob": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
}


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the walk needs to know of one shape, worked out once per shape."""

    shape: Shape
    types: tuple[type, ...] | None  # the JSON types it deserialises from; None: any
    number: bool
    checked: bool  # has a length, range, pattern or enum to check
    sensitive: bool
    document: bool
    pattern: re.Pattern[str] | None
    # A structure's body members: (name, shape, "uri" or None, required); headers left out.
    fields: tuple[tuple[str, Shape, str | None, bool], ...] = ()


def _facts_of(shape: Shape) -> _Facts:
    meta = shape.metadata
    fields: list[tuple[str, Shape, str | None, bool]] = []
    if isinstance(shape, StructureShape):
        required = set(meta.get("required", ()))
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            if location in (None, "uri"):
                fields.append((name, member, location, name in required))
    return _Facts(
        shape=shape,
        types=_JSON_TYPES.get(shape.type_name),
        number=shape.type_name in _NUMBERS,
        checked=bool({"min", "max", "pattern", "enum"} & set(meta)),
        sensitive=bool(meta.get("sensitive")),
        document=bool(meta.get("document")),
        pattern=_pattern(meta.get("pattern")),
        fields=tuple(fields),
    )


class ShapeRules:
    """The service model's constraints on bedrock-runtime request bodies."""

    def __init__(self, model: ServiceModel) -> None:
        self._model = model
        self._facts: dict[str, _Facts] = {}  # by shape name; filled as requests need them

    @classmethod
    def installed(cls) -> ShapeRules:
        """The rules of the bedrock-runtime model the installed botocore ships."""
        data = create_loader().load_service_model("bedrock-runtime", "service-2")
        return cls(ServiceModel(data, "bedrock-runtime"))

    def facts(self, shape: Shape) -> _Facts:
        found = self._facts.get(shape.name)
        if found is None:
            found = self._facts[shape.name] = _facts_of(shape)
        return found

    def violations(
        self, operation: str, body: Any, uri: Mapping[str, str] | None = None
    ) -> tuple[list[str], list[str]]:
        """What is wrong with ``operation``'s input: ``uri`` (the path's members, such as
        ``modelId``) and ``body`` (a decoded JSON object; not walked when the body is the
        operation's blob payload, as InvokeModel's is). The members of the wrong JSON type,
        and each broken constraint (``Value '...' at '...' failed to satisfy constraint:
        ...``)."""
        shape = self._model.operation_model(operation).input_shape
        walk = _Walk(self, uri or {})
        if isinstance(shape, StructureShape):
            payload = shape.serialization.get("payload")
            walk.structure(
                self.facts(shape),
                body if isinstance(body, Mapping) and not payload else {},
                "",
                False,
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

    def __init__(self, rules: ShapeRules, uri: Mapping[str, str]) -> None:
        self.rules = rules
        self.uri = uri
        self.mistyped: list[str] = []
        self.broken: list[str] = []

    def structure(self, facts: _Facts, value: Mapping[str, Any], path: str, hidden: bool) -> None:
        for name, member, location, required in facts.fields:
            if location is None:
                item = value.get(name)
            elif not path:  # a path member of the operation's input (modelId)
                item = self.uri.get(name)
            else:
                continue
            if item is None:
                if required:
                    where = f"{path}.{name}" if path else name
                    self.broken.append(
                        _failure(None, member, where, hidden, "Member must not be null")
                    )
                continue
            self.value(member, item, f"{path}.{name}" if path else name, hidden)

    def _typed(self, facts: _Facts, value: Any, path: str) -> bool:
        """Whether ``value`` has the JSON type its shape deserialises from (noted if not)."""
        if facts.types is None or (
            isinstance(value, facts.types) and not (facts.number and isinstance(value, bool))
        ):
            return True
        kind = facts.shape.type_name
        expected = "object" if kind in ("structure", "map") else kind
        self.mistyped.append(
            f"The value at '{path}' is a JSON {_json_name(value)}; a {expected} was "
            "expected. Send the member in its modelled type and try again."
        )
        return False

    def value(self, shape: Shape, value: Any, path: str, hidden: bool) -> None:
        facts = self.rules.facts(shape)
        if facts.document:
            return  # free-form JSON
        if not self._typed(facts, value, path):
            return
        hidden = hidden or facts.sensitive
        if facts.checked:
            for rule in _scalar_rules(value, facts):
                self.broken.append(_failure(value, shape, path, hidden, rule))
        kind = shape.type_name
        if kind == "structure":
            self.structure(facts, value, path, hidden)
        elif kind == "list" and isinstance(shape, ListShape):
            member = shape.member
            for i, item in enumerate(value):
                if item is not None:
                    self.value(member, item, f"{path}.{i + 1}.member", hidden)
        elif kind == "map" and isinstance(shape, MapShape):
            self._map(shape, value, path, hidden)

    def _map(self, shape: MapShape, value: Mapping[str, Any], path: str, hidden: bool) -> None:
        key_facts = self.rules.facts(shape.key)
        if any(_scalar_rules(k, key_facts) for k in value):
            rules = ", ".join(_map_rules(shape.key))
            self.broken.append(
                _failure(value, shape, path, hidden, f"Map keys must satisfy constraint: [{rules}]")
            )
        value_facts = self.rules.facts(shape.value)
        typed = [self._typed(value_facts, v, f"{path}.{k}.member") for k, v in value.items()]
        if not all(typed):
            return
        if shape.value.type_name in ("structure", "list", "map"):
            for key, item in value.items():
                if item is not None:
                    self.value(shape.value, item, f"{path}.{key}.member", hidden)
        elif any(_scalar_rules(v, value_facts) for v in value.values() if v is not None):
            rules = ", ".join(_map_rules(shape.value))
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

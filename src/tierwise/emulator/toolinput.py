"""Synthetic tool inputs that satisfy the tool's JSON Schema.

Covers what tool schemas use in practice: objects (required and optional properties), arrays
(min/max items), strings (enum, const, formats, length bounds), numbers and integers
(bounds, multipleOf), booleans, null, ``anyOf``/``oneOf``/``allOf`` and local ``$ref``.
Values are drawn from a caller-seeded ``random.Random`` so the same request gets the same input.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["schema_value", "tool_input"]

_FORMATS = {
    "date": "2025-01-15",
    "date-time": "2025-01-15T12:00:00Z",
    "time": "12:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/resource",
    "url": "https://example.com/resource",
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
    "ipv4": "192.0.2.1",
    "hostname": "example.com",
}
_QUERY_NAMES = ("q", "query", "search", "text", "question", "prompt", "topic", "term", "keyword")
_MAX_DEPTH = 6


@dataclass(frozen=True, slots=True)
class _Ctx:
    hint: str
    rng: random.Random
    root: Mapping[str, Any]


def tool_input(schema: Mapping[str, Any], hint: str, rng: random.Random) -> dict[str, Any]:
    """An input object valid against ``schema``; ``hint`` (the user's words) fills query fields."""
    value = _value(schema, "input", _Ctx(hint, rng, schema), 0)
    return value if isinstance(value, dict) else {}


def schema_value(schema: Mapping[str, Any], hint: str, rng: random.Random) -> Any:
    """A value of any JSON type valid against ``schema`` (a structured-output answer)."""
    return _value(schema, "value", _Ctx(hint, rng, schema), 0)


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return schema
    node: Any = root
    for part in ref[2:].split("/"):
        node = node.get(part, {}) if isinstance(node, Mapping) else {}
    return node if isinstance(node, Mapping) else {}


def _merged(schema: Mapping[str, Any], root: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema.get("allOf") or ():
        sub = _resolve(part, root)
        for key, val in sub.items():
            if key == "properties":
                out["properties"] = {**out.get("properties", {}), **val}
            elif key == "required":
                out["required"] = [*out.get("required", []), *val]
            else:
                out.setdefault(key, val)
    return out


def _type_of(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [k for k in kind if k != "null"]
        return str(non_null[0]) if non_null else "null"
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _value(schema: Mapping[str, Any], name: str, ctx: _Ctx, depth: int) -> Any:
    rng = ctx.rng
    schema = _merged(_resolve(schema, ctx.root), ctx.root)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][rng.randrange(len(schema["enum"]))]
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            # Deep in a recursive schema, take the null branch (Optional[...]) if there is one.
            nulls = [o for o in options if isinstance(o, Mapping) and o.get("type") == "null"]
            chosen = nulls[0] if nulls and depth >= _MAX_DEPTH else options[0]
            return _value(chosen, name, ctx, depth + 1)
    if "default" in schema and rng.random() < 0.5:
        return schema["default"]
    kind = _type_of(schema)
    if kind == "object":
        return _object(schema, ctx, depth)
    if kind == "array":
        return _array(schema, name, ctx, depth)
    if kind == "integer":
        return _integer(schema, rng)
    if kind == "number":
        return _number(schema, rng)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    return _string(schema, name, ctx.hint, rng)


def _object(schema: Mapping[str, Any], ctx: _Ctx, depth: int) -> dict[str, Any]:
    props: Mapping[str, Any] = schema.get("properties") or {}
    required = [r for r in schema.get("required") or () if isinstance(r, str)]
    names = list(required)
    if depth < _MAX_DEPTH:
        names += [p for p in props if p not in required and ctx.rng.random() < 0.5]
    out: dict[str, Any] = {}
    for prop in names:
        sub = props.get(prop)
        if sub is None:
            extra = schema.get("additionalProperties")
            sub = extra if isinstance(extra, Mapping) else {"type": "string"}
        out[prop] = _value(sub, prop, ctx, depth + 1)
    return out


def _array(schema: Mapping[str, Any], name: str, ctx: _Ctx, depth: int) -> list[Any]:
    low = int(schema.get("minItems", 0))
    high = int(schema.get("maxItems", max(low, 3)))
    count = min(high, max(low, 1 if depth < _MAX_DEPTH else 0))
    items = schema.get("items")
    item_schema = items if isinstance(items, Mapping) else {"type": "string"}
    values = [_value(item_schema, name, ctx, depth + 1) for _ in range(count)]
    if schema.get("uniqueItems") and item_schema.get("type") in ("string", None):
        values = [f"{v}-{i}" if isinstance(v, str) else v for i, v in enumerate(values)]
    return values


def _bounds(schema: Mapping[str, Any], step: float) -> tuple[float, float]:
    low = float(schema.get("minimum", -math.inf))
    high = float(schema.get("maximum", math.inf))
    if "exclusiveMinimum" in schema and not isinstance(schema["exclusiveMinimum"], bool):
        low = max(low, float(schema["exclusiveMinimum"]) + step)
    if "exclusiveMaximum" in schema and not isinstance(schema["exclusiveMaximum"], bool):
        high = min(high, float(schema["exclusiveMaximum"]) - step)
    if low == -math.inf:
        low = min(1.0, high - 10) if high != math.inf else 1.0
    if high == math.inf:
        high = low + 99
    return low, high


def _integer(schema: Mapping[str, Any], rng: random.Random) -> int:
    low, high = _bounds(schema, 1)
    lo, hi = math.ceil(low), math.floor(high)
    multiple = schema.get("multipleOf")
    if isinstance(multiple, int) and multiple > 0:
        first = math.ceil(lo / multiple) * multiple
        return first if first <= hi else lo
    return rng.randint(lo, max(lo, hi))


def _number(schema: Mapping[str, Any], rng: random.Random) -> float:
    low, high = _bounds(schema, 1e-6)
    multiple = schema.get("multipleOf")
    if isinstance(multiple, int | float) and multiple > 0:
        return float(math.ceil(low / multiple) * multiple)
    return round(low + (high - low) * rng.random(), 2) if high > low else low


def _string(schema: Mapping[str, Any], name: str, hint: str, rng: random.Random) -> str:
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _FORMATS:
        return _FORMATS[fmt]
    if name.lower() in _QUERY_NAMES and hint.strip():
        text = " ".join(hint.split()[:12])
    else:
        text = f"sample {name} {rng.randrange(1000)}"
    low = int(schema.get("minLength", 0))
    high = int(schema.get("maxLength", max(len(text), low)))
    if len(text) < low:
        text = text + "x" * (low - len(text))
    return text[:high]

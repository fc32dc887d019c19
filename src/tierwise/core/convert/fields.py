"""Each API's top-level request fields, in one table per API: what tierwise does with each.

A table is the one source of truth for two things: the converters refuse any field that is
not in it, or a value that tierwise cannot honour, with a 400 naming the field (nothing is
silently ignored); and ``/openapi.json`` documents the request bodies from it.

A field is *supported* (the converter uses it), *accepted* (it has no effect through Bedrock
and says so: metadata, end-user ids), or *refused unless default* (``logprobs: true``,
``n: 2``, ``seed``): the default value is fine, anything else is a 400 that says why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tierwise.core.convert.request import invalid

__all__ = ["Field", "check_fields", "check_keys", "unset"]


def unset(value: Any) -> bool:
    """Absent, null, false, zero or empty: the value that asks for nothing."""
    return value is None or value is False or value == 0 or value in ({}, [], "")


@dataclass(frozen=True)
class Field:
    """One top-level request field."""

    name: str
    schema: Mapping[str, Any]  # JSON Schema of the value (for the OpenAPI document)
    description: str
    required: bool = False
    # Values tierwise can honour; others are refused with ``refusal``. None: any value (the
    # converter checks it in detail).
    honours: Callable[[Any], bool] | None = None
    refusal: str = ""
    # No converter reads the value (accepted, no effect): its JSON type is checked here, as
    # the APIs themselves check it, so ``"metadata": "x"`` is a 400, not passed on or echoed.
    typed: bool = False

    def openapi(self) -> dict[str, Any]:
        schema = dict(self.schema)
        note = f" {self.refusal}" if self.refusal else ""
        schema["description"] = self.description + note
        return schema


def check_fields(body: Mapping[str, Any], fields: Mapping[str, Field], api: str) -> None:
    """Refuse a field that is not in ``fields``, or a value tierwise cannot honour."""
    check_keys(body, fields, "", f"{api} field")


def check_keys(
    obj: Mapping[str, Any],
    fields: Mapping[str, Field],
    where: str,
    what: str,
    *,
    echoed: bool = False,
) -> None:
    """Refuse a key of ``obj`` (found at ``where``, e.g. ``messages[2]``) that is not in
    ``fields``, or a value tierwise cannot honour. Nested objects (messages, content parts,
    tools) are checked like the top level: a field a client sends is used, documented as
    having no effect, or refused; never silently dropped.

    ``echoed``: ``obj`` is an earlier answer sent back (an assistant turn). SDKs echo a
    response's objects whole, with whatever metadata their release adds (``caller``,
    ``toolset_name``, ``annotations``...); such keys describe an old answer and ask for
    nothing, so unknown ones pass. Known keys are still checked."""
    for name, value in obj.items():
        path = f"{where}.{name}" if where else name
        spec = fields.get(name)
        if spec is None and echoed:
            continue
        if spec is None:
            # The top level is documented in /openapi.json; a nested object lists its keys.
            known = "see GET /openapi.json" if not where else "known: " + ", ".join(fields)
            raise invalid(
                f"{path}: unknown or unsupported {what}; tierwise refuses what it would "
                f"otherwise silently ignore ({known})",
                path,
            )
        if spec.honours is not None and not spec.honours(value):
            raise invalid(f"{path}: {spec.refusal}", path)
        if spec.typed and value is not None:
            expected = _JSON_TYPES.get(spec.schema.get("type"))
            if expected is not None and not isinstance(value, expected[0]):
                raise invalid(f"{path} must be {expected[1]}", path)


# A schema's JSON type: the Python values that are of it, and its name in an error.
_JSON_TYPES: dict[Any, tuple[tuple[type, ...], str]] = {
    "string": ((str,), "a string"),
    "object": ((Mapping,), "an object"),
    "array": ((list,), "an array"),
    "boolean": ((bool,), "a boolean"),
}

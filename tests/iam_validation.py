"""Checks an IAM policy document three ways, each able to fail on its own:

1. the IAM JSON policy grammar (AWS "Grammar of the IAM JSON policy language") as a JSON Schema;
2. policy_sentry's copy of the Service Authorization Reference: every action exists, every
   resource matches one of that action's ARN formats, every condition key is a global key or
   one the action documents, and ARN-typed keys use Arn operators;
3. parliament's linter, minus its known false positives: actions and condition keys newer than
   its database (when policy_sentry knows them) and RESOURCE_MISMATCH on Bedrock ARNs (it
   refuses even AWS's own example ARNs; policy_sentry's check 2 covers resources instead).
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema

_OPS = (
    "StringEquals|StringNotEquals|StringEqualsIgnoreCase|StringNotEqualsIgnoreCase|StringLike|"
    "StringNotLike|NumericEquals|NumericNotEquals|NumericLessThan|NumericLessThanEquals|"
    "NumericGreaterThan|NumericGreaterThanEquals|DateEquals|DateNotEquals|DateLessThan|"
    "DateLessThanEquals|DateGreaterThan|DateGreaterThanEquals|Bool|BinaryEquals|IpAddress|"
    "NotIpAddress|ArnEquals|ArnLike|ArnNotEquals|ArnNotLike|Null"
)
_STRINGS = {
    "oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
    ]
}
_ACTION = {
    "oneOf": [
        {"type": "string", "pattern": r"^(\*|[a-z0-9-]+:[A-Za-z0-9*]+)$"},
        {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "pattern": r"^(\*|[a-z0-9-]+:[A-Za-z0-9*]+)$"},
        },
    ]
}
_CONDITION = {
    "type": "object",
    "minProperties": 1,
    "propertyNames": {"pattern": rf"^(ForAllValues:|ForAnyValue:)?({_OPS})(IfExists)?$"},
    "additionalProperties": {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": {
            "oneOf": [{"type": ["string", "boolean", "number"]}, {"type": "array", "minItems": 1}]
        },
    },
}
_STATEMENT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["Effect"],
    "properties": {
        "Sid": {"type": "string", "pattern": r"^[A-Za-z0-9]*$"},
        "Effect": {"enum": ["Allow", "Deny"]},
        "Principal": {
            "oneOf": [
                {"const": "*"},
                {
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": {"enum": ["AWS", "Service", "Federated", "CanonicalUser"]},
                },
            ]
        },
        "NotPrincipal": {"type": "object"},
        "Action": _ACTION,
        "NotAction": _ACTION,
        "Resource": _STRINGS,
        "NotResource": _STRINGS,
        "Condition": _CONDITION,
    },
    "oneOf": [{"required": ["Action"]}, {"required": ["NotAction"]}],
}
IDENTITY_POLICY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["Version", "Statement"],
    "properties": {
        "Version": {"const": "2012-10-17"},
        "Id": {"type": "string"},
        "Statement": {
            "type": "array",
            "minItems": 1,
            "items": {
                **_STATEMENT,
                "not": {"anyOf": [{"required": ["Principal"]}, {"required": ["NotPrincipal"]}]},
                "anyOf": [{"required": ["Resource"]}, {"required": ["NotResource"]}],
            },
        },
    },
}
TRUST_POLICY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["Version", "Statement"],
    "properties": {
        "Version": {"const": "2012-10-17"},
        "Statement": {
            "type": "array",
            "minItems": 1,
            "items": {
                **_STATEMENT,
                "required": ["Effect", "Principal"],
                "not": {"anyOf": [{"required": ["Resource"]}, {"required": ["NotResource"]}]},
            },
        },
    },
}
_GLOBAL_KEYS = re.compile(r"^aws:[A-Za-z]+$")
_SIZE_LIMIT = 6144  # managed policy size limit, characters without whitespace


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _format_regex(fmt: str) -> re.Pattern[str]:
    """A policy_sentry ARN format (``arn:${Partition}:bedrock:${Region}::foundation-model/
    ${ResourceId}``) as a regex; a Region may be empty (global Region-less model ARNs)."""
    out = ""
    for part in re.split(r"(\$\{[A-Za-z]+\})", fmt):
        if part == "${Partition}":
            out += "aws[a-z-]*"
        elif part == "${Region}":
            out += "[a-z0-9-]*"
        elif part == "${Account}":
            out += r"(\d{12}|\*)"
        elif part.startswith("${"):
            out += ".+"
        else:
            out += re.escape(part)
    return re.compile(f"^{out}$")


def _database_problems(policy: dict[str, Any], trust: bool) -> list[str]:
    from policy_sentry.querying.actions import get_action_data
    from policy_sentry.querying.conditions import get_condition_key_details

    problems: list[str] = []
    for st in policy["Statement"]:
        sid = st.get("Sid", "?")
        resources = [] if trust else _as_list(st.get("Resource", []))
        for action in _as_list(st.get("Action", [])):
            service, name = action.split(":", 1)
            data = get_action_data(service, name)
            rows = data.get(service) if isinstance(data, dict) else None
            if not rows:
                problems.append(f"{sid}: unknown action {action}")
                continue
            formats = [r["resource_arn_format"] for r in rows]
            for res in resources:
                if res == "*":
                    continue
                if not any(f != "*" and _format_regex(f).match(res) for f in formats):
                    problems.append(f"{sid}: {action} does not take resource {res}")
            keys = {k.lower() for r in rows for k in r["condition_keys"]}
            for op, entries in (st.get("Condition") or {}).items():
                for key in entries:
                    if _GLOBAL_KEYS.match(key):
                        continue
                    if key.lower() not in keys:
                        problems.append(f"{sid}: {action} has no condition key {key}")
                        continue
                    details = get_condition_key_details(service, key)
                    kind = (details or {}).get("condition_value_type", "").lower()
                    if kind == "arn" and not op.startswith(("Arn", "Null")):
                        problems.append(f"{sid}: {key} is an ARN key used with {op}")
    return problems


def _sentry_knows(action: str, key: str) -> bool:
    from policy_sentry.querying.actions import get_action_data

    service, name = action.split(":", 1)
    rows = get_action_data(service, name).get(service) or []
    return any(key.lower() == k.lower() for r in rows for k in r["condition_keys"])


def _parliament_problems(policy: dict[str, Any], trust: bool) -> list[str]:
    import parliament
    from policy_sentry.querying.actions import get_action_data

    if trust:
        return []  # parliament audits identity policies; trust grammar is checked by schema
    result = parliament.analyze_policy_string(json.dumps(policy))
    problems = []
    for finding in result.findings:
        if finding.issue == "RESOURCE_MISMATCH" and all(
            a.get("action", "").startswith("bedrock:") for a in finding.detail
        ):
            continue
        if finding.issue == "UNKNOWN_ACTION":
            service, name = str(finding.detail).split(" ")[-1].split(":", 1)
            if get_action_data(service, name).get(service):
                continue
        if finding.issue == "UNKNOWN_CONDITION_FOR_ACTION":
            m = re.match(r"Unknown condition (\S+) for action (\S+)", str(finding.detail))
            if m and _sentry_knows(m.group(2), m.group(1)):
                continue
        problems.append(f"parliament {finding.issue}: {finding.detail}")
    return problems


def policy_problems(policy: dict[str, Any], *, trust: bool = False) -> list[str]:
    """Every reason ``policy`` is not a valid identity (or trust) policy; empty when valid."""
    validator = jsonschema.Draft202012Validator(TRUST_POLICY if trust else IDENTITY_POLICY)
    problems = [
        f"grammar: {e.message} at {list(e.absolute_path)}" for e in validator.iter_errors(policy)
    ]
    if problems:
        return problems
    sids = [st.get("Sid") for st in policy["Statement"] if st.get("Sid")]
    if len(sids) != len(set(sids)):
        problems.append(f"duplicate Sid in {sids}")
    size = len(re.sub(r"\s", "", json.dumps(policy)))  # counted independently of tierwise
    if size > _SIZE_LIMIT:
        problems.append(f"{size} characters is over the managed-policy limit {_SIZE_LIMIT}")
    return problems + _database_problems(policy, trust) + _parliament_problems(policy, trust)

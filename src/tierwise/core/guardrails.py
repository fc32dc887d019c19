"""Bedrock guardrails at the doors: reading a ``guardrailConfig`` from a body or a header,
and what a response says about the guardrail (pure).

The gateway takes the guardrail either as a body field ``guardrailConfig`` (Converse's own
shape, which the OpenAI and Anthropic SDKs send with ``extra_body``) or as the header
``x-tierwise-guardrail: ID[:VERSION]`` with ``x-tierwise-guardrail-trace``. The checks match
Bedrock's (botocore's ``GuardrailConfiguration`` patterns), so a bad value is a 400 here and
never a billed or retried call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tierwise.errors import InvalidRequestError

__all__ = [
    "INTERVENED",
    "GuardrailCharge",
    "guardrail_charge",
    "guardrail_config",
    "guardrail_from_header",
    "guardrail_summary",
    "guardrail_usd",
    "guardrail_worst_case",
    "image_units_per_image",
    "trace_units",
    "worst_case_policies",
]

INTERVENED = "guardrail_intervened"
_ID = re.compile(
    r"^(?:[a-z0-9]+|arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{1,20}:\d{12}:guardrail/[a-z0-9]+)$"
)
_VERSION = re.compile(r"^(?:[1-9][0-9]{0,7}|DRAFT)$")
_TRACES = ("enabled", "disabled", "enabled_full")
_FIELDS = {"guardrailIdentifier", "guardrailVersion", "trace", "streamProcessingMode"}


def _bad(message: str, param: str) -> InvalidRequestError:
    return InvalidRequestError(message, hint=f"check `{param}`", param=param)


def guardrail_config(value: Any, *, stream: bool, param: str = "guardrailConfig") -> dict[str, Any]:
    """A checked copy of a Converse ``guardrailConfig`` (``streamProcessingMode`` is kept
    for streams only, as ConverseStream alone takes it)."""
    if not isinstance(value, Mapping):
        raise _bad(f"{param} must be an object", param)
    unknown = sorted(set(value) - _FIELDS)
    if unknown:
        raise _bad(f"{param} has unknown field(s): {', '.join(unknown)}", param)
    ident = value.get("guardrailIdentifier")
    if not isinstance(ident, str) or not _ID.match(ident):
        raise _bad(
            f"{param}.guardrailIdentifier must be a guardrail ID (lowercase letters and digits) "
            "or a guardrail ARN",
            param,
        )
    version = value.get("guardrailVersion", "DRAFT")
    if not isinstance(version, str) or not _VERSION.match(version):
        raise _bad(f"{param}.guardrailVersion must be a version number or DRAFT", param)
    out: dict[str, Any] = {"guardrailIdentifier": ident, "guardrailVersion": version}
    trace = value.get("trace")
    if trace is not None:
        if trace not in _TRACES:
            raise _bad(f"{param}.trace must be one of {', '.join(_TRACES)}", param)
        out["trace"] = trace
    mode = value.get("streamProcessingMode")
    if mode is not None:
        if mode not in ("sync", "async"):
            raise _bad(f"{param}.streamProcessingMode must be sync or async", param)
        if stream:
            out["streamProcessingMode"] = mode
    return out


def guardrail_from_header(
    value: str | None, trace: str | None, *, stream: bool
) -> dict[str, Any] | None:
    """``x-tierwise-guardrail: ID[:VERSION]`` (version defaults to DRAFT) and
    ``x-tierwise-guardrail-trace``, as a ``guardrailConfig``; None without the header."""
    if value is None or not value.strip():
        if trace:
            raise _bad(
                "x-tierwise-guardrail-trace needs x-tierwise-guardrail", "x-tierwise-guardrail"
            )
        return None
    text = value.strip()
    # An ARN has colons of its own: the version follows the last ":" after "guardrail/".
    head, sep, version = text.rpartition(":")
    if not sep or "/" in version or not _VERSION.match(version):
        head, version = text, "DRAFT"
    config: dict[str, Any] = {"guardrailIdentifier": head, "guardrailVersion": version}
    if trace:
        config["trace"] = trace.strip()
    return guardrail_config(config, stream=stream, param="x-tierwise-guardrail")


def guardrail_summary(response: Mapping[str, Any], applied: str | None) -> dict[str, Any] | None:
    """What the caller learns about the guardrail: which one, whether it intervened, and
    Bedrock's trace when one was asked for; None when no guardrail applied."""
    if applied is None:
        return None
    out: dict[str, Any] = {
        "guardrail": applied,
        "action": "INTERVENED" if response.get("stopReason") == INTERVENED else "NONE",
    }
    trace = (response.get("trace") or {}).get("guardrail")
    if trace:
        out["trace"] = trace
    return out


# Bedrock's GuardrailUsage fields, by the policy name used in [guardrails.prices].
_UNIT_FIELDS = {
    "content": "contentPolicyUnits",
    "topic": "topicPolicyUnits",
    "sensitive_information": "sensitiveInformationPolicyUnits",
    "sensitive_information_free": "sensitiveInformationPolicyFreeUnits",
    "word": "wordPolicyUnits",
    "contextual_grounding": "contextualGroundingPolicyUnits",
    "automated_reasoning": "automatedReasoningPolicyUnits",
}
_UNIT_CHARS = 1000  # a guardrail text unit is up to 1,000 characters
_CHARS_PER_TOKEN = 4  # an answer's size when only its token count is known
_THOUSAND = Decimal(1000)


@dataclass(frozen=True, slots=True)
class GuardrailCharge:
    """What a guardrail's assessments of one call cost: the text units per policy, their
    price, and why they are an estimate (None: counted by Bedrock, in the trace)."""

    units: Mapping[str, int]
    cost: Decimal
    estimate: str | None = None
    # What the guardrail may have billed that is not priced here (images), or None.
    unpriced: str | None = None


def _assessments(guardrail: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    inputs = guardrail.get("inputAssessment")
    if isinstance(inputs, Mapping):
        yield from (a for a in inputs.values() if isinstance(a, Mapping))
    outputs = guardrail.get("outputAssessments")
    if isinstance(outputs, Mapping):
        for items in outputs.values():
            if isinstance(items, list):
                yield from (a for a in items if isinstance(a, Mapping))


def trace_units(trace: Any) -> dict[str, int] | None:
    """Text units per policy that a Converse ``trace`` (``trace.guardrail``'s input and
    output assessments, ``invocationMetrics.usage``) reports, or None when it reports none
    (no trace: the guardrail's trace was off)."""
    guardrail = trace.get("guardrail") if isinstance(trace, Mapping) else None
    if not isinstance(guardrail, Mapping):
        return None
    units = dict.fromkeys(_UNIT_FIELDS, 0)
    seen = False
    for assessment in _assessments(guardrail):
        usage = (assessment.get("invocationMetrics") or {}).get("usage")
        if not isinstance(usage, Mapping):
            continue
        seen = True
        for name, wire in _UNIT_FIELDS.items():
            value = usage.get(wire)
            if isinstance(value, int) and value > 0:
                units[name] += value
    return units if seen else None


def _guarded_chars(block: Any) -> int:
    guard = block.get("guardContent") if isinstance(block, Mapping) else None
    if isinstance(guard, Mapping) and isinstance(guard.get("text"), Mapping):
        return len(str(guard["text"].get("text") or ""))
    return 0


def _text_chars(request: Mapping[str, Any]) -> int:
    """Characters a guardrail checks in a Converse request: the messages' ``guardContent``
    blocks when there are any (Bedrock then checks only those), else every message text;
    a system prompt only in its ``guardContent`` blocks (plain system text is not checked).
    Tool results and tool definitions are not counted: AWS's "Include a guardrail with the
    Converse API" page lists ``messages[].content[].toolResult`` and
    ``toolConfig.tools[].toolSpec`` as not evaluated by any guardrail filter."""
    system = sum(_guarded_chars(b) for b in request.get("system") or ())
    guarded = plain = 0
    for message in request.get("messages") or ():
        for block in (message.get("content") or ()) if isinstance(message, Mapping) else ():
            guarded += _guarded_chars(block)
            if isinstance(block, Mapping) and isinstance(block.get("text"), str):
                plain += len(block["text"])
    return system + (guarded or plain)


def _images(request: Mapping[str, Any]) -> int:
    """Images in a request's messages (their own and their ``guardContent`` ones; not in
    tool results, which a guardrail does not evaluate) that a guardrail's image content
    filter may assess."""
    count = 0
    for message in request.get("messages") or ():
        for block in (message.get("content") or ()) if isinstance(message, Mapping) else ():
            if not isinstance(block, Mapping):
                continue
            guard = block.get("guardContent")
            if "image" in block or (isinstance(guard, Mapping) and "image" in guard):
                count += 1
    return count


def _trace_image_units(trace: Any) -> int:
    guardrail = trace.get("guardrail") if isinstance(trace, Mapping) else None
    if not isinstance(guardrail, Mapping):
        return 0
    total = 0
    for assessment in _assessments(guardrail):
        usage = (assessment.get("invocationMetrics") or {}).get("usage")
        value = usage.get("contentPolicyImageUnits") if isinstance(usage, Mapping) else None
        if isinstance(value, int) and value > 0:
            total += value
    return total


# No price for image content filter units is sourced (the Bedrock pricing figures in
# [guardrails.prices] are per 1,000 text units): unless the operator sets
# [guardrails.prices] image, images are left out of the charge, and said so.
_IMAGES_UNPRICED = "not priced: no sourced price for image content filter units"
_MAY_ASSESS = "image(s) an image content filter may assess"


def image_units_per_image(trace: Any, request: Mapping[str, Any] | None) -> int:
    """How many image units per assessable image ``trace`` reports for ``request``, rounded
    up (0 without traced image units or images): how many units an image makes is not
    sourced, so what a trace reports is the only figure there is."""
    images = _images(request or {})
    traced = _trace_image_units(trace)
    return -(-traced // images) if images and traced else 0


def _image_part(
    trace: Any,
    request: Mapping[str, Any] | None,
    *,
    untraced: bool,
    price: Decimal | None,
    per_image: int = 1,
) -> tuple[int, Decimal, str | None, str | None]:
    """The image content filter's part of a charge: (units, cost, why they are an estimate,
    why they are unpriced). The trace's ``contentPolicyImageUnits`` when it has a guardrail
    usage, else (``untraced``: the content policy is counted) the request's assessable
    images at ``per_image`` units each: how many units an image makes is not sourced."""
    traced = _trace_image_units(trace)
    estimated = 0
    if not traced and untraced and trace_units(trace) is None:
        estimated = _images(request or {}) * per_image
    units = traced or estimated
    if not units:
        return 0, Decimal(0), None, None
    if price is None:
        what = (
            "image unit(s) in the trace"
            if traced
            else "image(s) an image content filter may assess"
        )
        return 0, Decimal(0), None, f"{units} {what} {_IMAGES_UNPRICED}"
    each = "one" if per_image == 1 else str(per_image)
    why = None if traced else f"image units estimated at {each} per image"
    return units, units * price, why, None


def _units(chars: int) -> int:
    return -(-chars // _UNIT_CHARS)


def guardrail_charge(
    prices: Mapping[str, Decimal],
    *,
    trace: Any = None,
    request: Mapping[str, Any] | None = None,
    output_tokens: int = 0,
    input_blocked: bool = False,
    estimate_policies: Iterable[str] = (),
    image_price: Decimal | None = None,
    units_per_image: int = 1,
) -> GuardrailCharge:
    """The charge of a guardrail on one call: the trace's units at ``prices`` (per 1,000
    units), else an estimate for ``estimate_policies`` from the characters checked: the
    request's text, and the answer's (``output_tokens`` at ~4 characters a token) unless
    the guardrail blocked the input (then the model never ran). Image content filter
    units are priced at ``image_price`` per unit (:func:`_image_part`, an untraced image
    at ``units_per_image``); without one they are left out and named in ``unpriced``."""
    estimate_policies = tuple(estimate_policies)
    units = trace_units(trace)
    why = None
    if units is None:
        prompt = _units(_text_chars(request or {}))
        answer = 0 if input_blocked else _units(output_tokens * _CHARS_PER_TOKEN)
        units = {name: prompt + answer for name in estimate_policies if name in _UNIT_FIELDS}
        why = (
            "no guardrail trace (Bedrock reports units only in it): units estimated from "
            f"the characters checked for {', '.join(units) or 'no policies'}"
        )
    cost = sum(
        (Decimal(n) * prices.get(name, Decimal(0)) / _THOUSAND for name, n in units.items()),
        Decimal(0),
    )
    kept = {k: v for k, v in units.items() if v}
    # Without a price an image is flagged whichever policies are assumed, as before: an
    # unpriced charge must be seen. With one, an untraced image counts only when the
    # content policy (which image filters belong to) is assumed.
    images, image_cost, image_why, unpriced = _image_part(
        trace,
        request,
        untraced=image_price is None or "content" in estimate_policies,
        price=image_price,
        per_image=units_per_image,
    )
    if images:
        kept["image"] = images
        why = f"{why}; {image_why}" if why and image_why else why or image_why
    return GuardrailCharge(kept, cost + image_cost, why, unpriced)


def worst_case_policies(prices: Mapping[str, Decimal]) -> list[str]:
    """The policies a worst case counts: every one with a price. Bedrock bills each policy
    the guardrail has, and a request names the guardrail, not its policies
    (``estimate_policies`` is the operator's list, unchecked), so the most one call can be
    billed counts them all."""
    return [name for name, rate in prices.items() if rate > 0 and name in _UNIT_FIELDS]


def guardrail_worst_case(
    prices: Mapping[str, Decimal],
    *,
    request: Mapping[str, Any] | None,
    output_tokens: int,
    image_price: Decimal | None = None,
    units_per_image: int = 1,
) -> GuardrailCharge:
    """The most a guardrail's assessments of one call can bill: every priced policy
    (:func:`worst_case_policies`) checking the prompt and an answer of ``output_tokens``,
    and every assessable image at ``units_per_image`` units of ``image_price`` (without a
    price, ``unpriced`` names them: a worst case cannot be held against them).
    A key's reservation holds it: a cap, whatever ``estimate_policies`` says. A row is
    charged the guardrail's own policies (its trace, else ``estimate_policies``), as
    Bedrock bills only the policies a guardrail has, so no row charges more than this."""
    policies = worst_case_policies(prices)
    if image_price is not None and "content" not in policies:
        # Images belong to the content policy: with a price they count at worst even
        # when its text filters are free.
        policies.append("content")
    charge = guardrail_charge(
        prices,
        request=request,
        output_tokens=output_tokens,
        estimate_policies=policies,
        image_price=image_price,
        units_per_image=units_per_image,
    )
    why = (
        "no guardrail trace: charged at the worst case, every priced policy checking the "
        "characters checked"
    )
    return GuardrailCharge(charge.units, charge.cost, why, charge.unpriced)


def guardrail_usd(metadata: Mapping[str, Any] | None) -> Decimal:
    """The guardrail part of a ledger row's cost (in its ``cost_usd`` already, itemised in
    its metadata as ``guardrail_usd``); 0 without one."""
    value = (metadata or {}).get("guardrail_usd")
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except ArithmeticError:
        return Decimal(0)

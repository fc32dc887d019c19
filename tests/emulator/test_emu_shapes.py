"""The emulator refuses every value the bedrock-runtime service model forbids, as Bedrock
does on its side of the wire: one request per constraint of Converse's and CountTokens's
input shapes, each just outside its limit, sent by boto3 with its own parameter validation
off (so nothing is caught on the client)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.model import Shape
from emulator_testdata import SONNET, SONNET_BASE, ManualClock

from tierwise.config import load_settings
from tierwise.emulator import Emulator, Faults
from tierwise.emulator.service import Controls, Service
from tierwise.emulator.shapes import ShapeRules

RULES = ShapeRules.installed()
MODEL = RULES._model  # the same service model the emulator checks against
# Values that satisfy a string shape's pattern (the walk cannot invent them).
GOOD_STRINGS = {
    "ToolName": "lookup",
    "ToolUseId": "tooluse_1",
    "S3Uri": "s3://bucket/key",
    "AccountId": "123456789012",
    "GuardrailIdentifier": "abc123",
    "GuardrailVersion": "1",
    "ProjectIdentifier": "project_1",
    "RequestMetadataKeyString": "team",
    "RequestMetadataValueString": "search",
}


@dataclass(frozen=True)
class Probe:
    """A request whose value at ``path`` breaks ``rule``; ``where`` is AWS's path for it."""

    id: str
    operation: str
    body: dict[str, Any]
    where: str
    rule: str


def _good(shape: Shape) -> Any:
    """A small value that meets every constraint of ``shape``."""
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure":
        if getattr(shape, "is_document_type", False):
            return {}
        members = {n: m for n, m in shape.members.items() if not m.serialization.get("location")}
        wanted = [n for n in meta.get("required", ()) if n in members]
        if meta.get("union"):
            wanted = list(members)[:1]
        return {n: _good(members[n]) for n in wanted}
    if kind == "list":
        return [_good(shape.member) for _ in range(meta.get("min", 0))]  # type: ignore[attr-defined]
    if kind == "map":
        key = _good(shape.key)  # type: ignore[attr-defined]
        return {key: _good(shape.value)} if meta.get("min", 0) else {}  # type: ignore[attr-defined]
    if kind == "string":
        enum = getattr(shape, "enum", None)
        if enum:
            return enum[0]
        return GOOD_STRINGS.get(shape.name, "x" * max(1, meta.get("min", 1)))
    if kind == "blob":
        return b"x"
    if kind in ("integer", "long"):
        return int(meta.get("min", 1))
    if kind in ("float", "double"):
        return float(meta.get("min", 0))
    if kind == "boolean":
        return True
    raise AssertionError(f"no good value for {shape.name} ({kind})")


def _bad(shape: Shape) -> Iterator[tuple[str, Any, str]]:
    """(label, value, rule) for each of ``shape``'s own constraints, just broken."""
    meta = shape.metadata
    kind = shape.type_name
    if kind == "string" and getattr(shape, "enum", None):
        yield "enum", "bogus_value", "Member must satisfy enum value set: ["
    if kind in ("string", "blob", "list", "map"):
        good = _good(shape)
        if "max" in meta:
            if kind == "string":
                yield "max", good[:1] * (meta["max"] + 1), "length less than or equal to"
            elif kind == "blob" and meta["max"] < 1_000_000:  # not CountTokens's 25 MB body
                yield "max", b"x" * (meta["max"] + 1), "length less than or equal to"
            elif kind == "list":
                item = _good(shape.member)  # type: ignore[attr-defined]
                yield "max", [item] * (meta["max"] + 1), "length less than or equal to"
            elif kind == "map":
                value = _good(shape.value)  # type: ignore[attr-defined]
                many = {f"k{i}": value for i in range(meta["max"] + 1)}
                yield "max", many, "length less than or equal to"
        if meta.get("min", 0) >= 1:
            empty: Any = {"string": "", "blob": b"", "list": [], "map": {}}[kind]
            yield "min", empty, "length greater than or equal to"
    if kind == "map":
        key, value = _good(shape.key), _good(shape.value)  # type: ignore[attr-defined]
        if _bad_keys(shape.key):  # type: ignore[attr-defined]
            yield "key", {"\u2603": value}, "Map keys must satisfy constraint: ["
        if _bad_keys(shape.value):  # type: ignore[attr-defined]
            yield "value", {key: "x" * 257}, "Map values must satisfy constraint: ["
    if kind == "string" and "pattern" in meta and not getattr(shape, "enum", None):
        yield "pattern", "\u2603" * max(1, meta.get("min", 1)), "regular expression pattern"
    if kind in ("integer", "long", "float", "double"):
        if "max" in meta:
            yield "max", meta["max"] + 1, "value less than or equal to"
        if "min" in meta:
            yield "min", meta["min"] - 1, "value greater than or equal to"


def _bad_keys(shape: Shape) -> bool:
    """Whether a map's key or value shape has a length limit or pattern to break."""
    return shape.type_name == "string" and bool({"max", "pattern"} & set(shape.metadata))


def _parent(shape: Shape) -> dict[str, Any]:
    """A valid ``shape`` to put one member into (empty for a union: one member only)."""
    return {} if shape.metadata.get("union") else dict(_good(shape))


def _probes(operation: str, seen: set[tuple[str, str]]) -> Iterator[Probe]:
    """Walk ``operation``'s input shape; each (shape, member) pair once across the calls."""
    root = MODEL.operation_model(operation).input_shape
    assert root is not None

    def walk(shape: Shape, build: Any, where: str, label: str) -> Iterator[Probe]:
        # ``build(value)`` returns the whole request with ``value`` at this place.
        for name, member in shape.members.items():  # type: ignore[attr-defined]
            if member.serialization.get("location") or (shape.name, name) in seen:
                continue
            seen.add((shape.name, name))
            here = f"{where}.{name}" if where else name
            at = f"{label}.{name}" if label else name
            if name in shape.metadata.get("required", ()) and shape.name != root.name:
                parent = _good(shape)
                del parent[name]
                yield Probe(f"{at}:required", operation, build(parent), here, "must not be null")
            for kind, value, rule in _bad(member):

                def put(v: Any, n: str = name) -> Any:
                    parent = _parent(shape)
                    parent[n] = v
                    return parent

                yield Probe(f"{at}:{kind}", operation, build(put(value)), here, rule)
            if getattr(member, "is_document_type", False):
                continue
            inner, inner_where = member, here
            wrap = _wrapper(shape, name, build)
            if member.type_name == "list":
                inner, inner_where = member.member, f"{here}.1.member"  # type: ignore[attr-defined]
                wrap = _list_wrapper(wrap)
            if inner.type_name == "structure":
                yield from walk(inner, wrap, inner_where, at)

    if operation == "CountTokens":
        # CountTokens's input is a union: {"converse": ConverseTokensRequest} or invokeModel.
        yield from walk(root, lambda body: body, "", "")
    else:
        yield from walk(root, lambda body: {**_base(), **body}, "", "")


def _wrapper(shape: Shape, name: str, build: Any) -> Any:
    def wrap(value: Any) -> Any:
        parent = _parent(shape)
        parent[name] = value
        return build(parent)

    return wrap


def _list_wrapper(build: Any) -> Any:
    return lambda value: build([value])


def _base() -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}


_SEEN: set[tuple[str, str]] = set()
PROBES = [*_probes("Converse", _SEEN), *_probes("CountTokens", _SEEN)]


@pytest.fixture(scope="module")
def emu_url() -> Iterator[str]:
    settings = load_settings(environ={}).settings
    with Emulator(settings, port=0, clock=ManualClock()).start() as emu:
        yield emu.url


@pytest.fixture(scope="module")
def raw_client(emu_url: str) -> Any:
    """A boto3 client that sends what it is given: the server's checks alone decide."""
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=emu_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
    )


def test_the_walk_covers_the_model() -> None:
    """Every kind of constraint is probed, deep members included."""
    kinds = {p.id.rsplit(":", 1)[1] for p in PROBES}
    assert kinds == {"required", "enum", "max", "min", "pattern", "key", "value"}
    wheres = {p.where for p in PROBES}
    deep = "messages.1.member.content.1.member.toolResult.content.1.member.searchResult.title"
    assert deep in wheres
    assert "input.invokeModel.body" in wheres
    assert len(PROBES) > 100


@pytest.mark.parametrize("probe", PROBES, ids=[p.id for p in PROBES])
def test_the_server_refuses_what_the_model_forbids(probe: Probe, raw_client: Any) -> None:
    call = raw_client.converse if probe.operation == "Converse" else raw_client.count_tokens
    model = SONNET if probe.operation == "Converse" else SONNET_BASE
    with pytest.raises(raw_client.exceptions.ValidationException) as info:
        call(modelId=model, **probe.body)
    message = info.value.response["Error"]["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert message.startswith(("1 validation error detected: ", "2 validation errors detected: "))
    assert f"at '{probe.where}' failed to satisfy constraint: " in message
    assert probe.rule in message.split(f"at '{probe.where}'", 1)[1]


def _refusal(raw_client: Any, **request: Any) -> str:
    with pytest.raises(raw_client.exceptions.ValidationException) as info:
        raw_client.converse(modelId=SONNET, **{**_base(), **request})
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(info.value.response["Error"]["Message"])


def test_a_range_error_reads_as_bedrocks(raw_client: Any) -> None:
    """The message a live Converse call gave for temperature 1.5 (stdapi-ai/stdapi.ai#224);
    the emulator said "Member must have value between 0 and 1"."""
    assert _refusal(raw_client, inferenceConfig={"temperature": 1.5}) == (
        "1 validation error detected: Value '1.5' at 'inferenceConfig.temperature' failed to "
        "satisfy constraint: Member must have value less than or equal to 1"
    )


def test_a_sensitive_member_is_named_without_its_value(raw_client: Any) -> None:
    """A reasoning block without its text: Bedrock's message as quoted in
    danny-avila/LibreChat#13888 (ReasoningTextBlock is sensitive: no value, not "null")."""
    messages = [
        {"role": "user", "content": [{"text": "hi"}]},
        {"role": "assistant", "content": [{"reasoningContent": {"reasoningText": {}}}]},
        {"role": "user", "content": [{"text": "go on"}]},
    ]
    assert _refusal(raw_client, messages=messages) == (
        "1 validation error detected: Value at "
        "'messages.2.member.content.1.member.reasoningContent.reasoningText.text' failed to "
        "satisfy constraint: Member must not be null"
    )


def test_every_broken_constraint_is_listed(raw_client: Any) -> None:
    message = _refusal(
        raw_client,
        inferenceConfig={"maxTokens": 0, "topP": 2},
        system=[{"text": ""}],
    )
    assert message == (
        "3 validation errors detected: Value '' at 'system.1.member.text' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1; Value '0' at "
        "'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value "
        "greater than or equal to 1; Value '2.0' at 'inferenceConfig.topP' failed to satisfy "
        "constraint: Member must have value less than or equal to 1"
    )


def test_map_keys_are_reported_with_all_their_rules(raw_client: Any) -> None:
    """AWS's form for a map key (the whole rule set in brackets; as in boto/boto3#2601);
    requestMetadata is sensitive, so its value is left out."""
    assert _refusal(raw_client, requestMetadata={"team!": "search"}) == (
        "1 validation error detected: Value at 'requestMetadata' failed to satisfy "
        "constraint: Map keys must satisfy constraint: [Member must have length less than or "
        "equal to 256, Member must have length greater than or equal to 1, Member must satisfy "
        "regular expression pattern: [a-zA-Z0-9\\s:_@$#=/+,-.]{1,256}]"
    )


def test_count_tokens_checks_its_converse_input(raw_client: Any) -> None:
    with pytest.raises(raw_client.exceptions.ValidationException) as info:
        raw_client.count_tokens(
            modelId=SONNET_BASE,
            input={"converse": {**_base(), "system": [{"text": ""}]}},
        )
    assert "Value '' at 'input.converse.system.1.member.text' failed to satisfy" in str(
        info.value.response["Error"]["Message"]
    )


def test_values_at_the_limits_are_accepted(raw_client: Any) -> None:
    response = raw_client.converse(
        modelId=SONNET,
        messages=[
            {"role": "user", "content": [{"text": "look it up"}]},
            {"role": "assistant", "content": [_use("t" * 64, "n" * 64)]},
            {"role": "user", "content": [_tool_result("t" * 64)]},
        ],
        toolConfig={"tools": [_tool("n" * 64)]},
        inferenceConfig={"maxTokens": 1, "temperature": 0},
        requestMetadata={f"key{i}": "v" * 256 for i in range(16)},
        additionalModelResponseFieldPaths=["/" + "a" * 255] * 10,
        performanceConfig={"latency": "optimized"},
    )
    assert response["stopReason"] == "max_tokens"


def _use(tool_use_id: str, name: str) -> dict[str, Any]:
    return {"toolUse": {"toolUseId": tool_use_id, "name": name, "input": {}}}


def _tool_result(tool_use_id: str) -> dict[str, Any]:
    return {"toolResult": {"toolUseId": tool_use_id, "content": [{"text": "found"}]}}


def _tool(name: str) -> dict[str, Any]:
    return {"toolSpec": {"name": name, "inputSchema": {"json": {"type": "object"}}}}


def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
    """A Converse call with a body boto3 cannot serialise (members of the wrong JSON type)."""
    request = urllib.request.Request(
        f"{url}/model/{SONNET.replace(':', '%3A')}/converse",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/bedrock/req",
        },
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read()), ""
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers["x-amzn-errortype"]


@pytest.mark.parametrize(
    ("request_fields", "where"),
    [
        ({"inferenceConfig": "fast"}, "inferenceConfig"),
        ({"requestMetadata": ["team"]}, "requestMetadata"),
        ({"requestMetadata": {"team": 5}}, "requestMetadata.team.member"),
        ({"messages": [{"role": "user", "content": "hi"}]}, "messages.1.member.content"),
        ({"inferenceConfig": {"maxTokens": "100"}}, "inferenceConfig.maxTokens"),
        (
            {"additionalModelResponseFieldPaths": "/stop_sequence"},
            "additionalModelResponseFieldPaths",
        ),
        (
            {"toolConfig": {"tools": [{"toolSpec": {"name": "t", "inputSchema": "{}"}}]}},
            "toolConfig.tools.1.member.toolSpec.inputSchema",
        ),
    ],
)
def test_a_member_of_the_wrong_json_type_is_a_400(
    emu_url: str, request_fields: dict[str, Any], where: str
) -> None:
    """These were internal errors (500, InternalServerException) or taken as they were."""
    status, payload, code = _post(emu_url, {**_base(), **request_fields})
    assert status == 400
    assert code.startswith("SerializationException:")
    assert f"at '{where}'" in payload["message"]


ODD_VALUES: list[Any] = [None, 5, 1.5, True, "x", [], {}, [5], ["x"], [None], [{}], {"a": 1}]
CONVERSE_BODY: dict[str, Any] = {
    **_base(),
    "system": [{"text": "s"}],
    "inferenceConfig": {"maxTokens": 100, "stopSequences": ["x"]},
    "toolConfig": {
        "tools": [_tool("lookup")],
        "toolChoice": {"auto": {}},
    },
    "additionalModelRequestFields": {"top_k": 5},
    "requestMetadata": {"team": "search"},
    "performanceConfig": {"latency": "standard"},
}
INVOKE_BODY: dict[str, Any] = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 4096,
    "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
    "system": [{"type": "text", "text": "s"}],
    "tools": [{"name": "lookup", "input_schema": {"type": "object"}}],
    "tool_choice": {"type": "auto"},
    "thinking": {"type": "enabled", "budget_tokens": 1024},
    "stop_sequences": ["x"],
}


def _places(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict | list):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, inner in items:
            yield from _places(inner, (*path, key))


def _replaced(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(body))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return copy


def test_no_request_body_is_an_internal_error() -> None:
    """Every member of a full Converse and InvokeModel body replaced by each odd JSON value:
    Bedrock answers all of them with a 4xx; 56 of these 672 were 500s before."""
    service = Service(load_settings(environ={}).settings, Faults(), ManualClock())
    failures = []
    for operation, body in (("converse", CONVERSE_BODY), ("invoke", INVOKE_BODY)):
        for path in _places(body):
            for value in ODD_VALUES:
                raw = json.dumps(_replaced(body, path, value)).encode()
                reply = service.runtime(operation, SONNET, raw, Controls())
                if reply.status >= 500:
                    failures.append((operation, path, value, reply.body[:80]))
    assert failures == []


@pytest.mark.parametrize("operation", ["converse", "invoke_model", "count_tokens"])
def test_a_model_id_outside_its_pattern_is_refused_as_bedrock_does(
    raw_client: Any, operation: str
) -> None:
    """The model ID is a modelled member too (AWS's answer quoted in aws/aws-sdk-js-v3#5665:
    ``Value 'anthropic.claude-v2:1:200k' at 'modelId' failed to satisfy constraint: Member
    must satisfy regular expression pattern: ...``); the emulator said "The provided model
    identifier is invalid." for any ID it did not know."""
    request: dict[str, Any] = {
        "converse": _base(),
        "invoke_model": {"body": json.dumps({"anthropic_version": "bedrock-2023-05-31"})},
        "count_tokens": {"input": {"converse": _base()}},
    }[operation]
    with pytest.raises(raw_client.exceptions.ValidationException) as info:
        getattr(raw_client, operation)(modelId="anthropic.claude sonnet", **request)
    assert info.value.response["Error"]["Message"].startswith(
        "1 validation error detected: Value 'anthropic.claude sonnet' at 'modelId' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: "
    )

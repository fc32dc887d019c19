"""The runtime client's faster botocore steps give botocore's own results.

Three steps are replaced under the runtime client: signing (FastSigV4Auth, see
test_signing.py), preparing the signed request (tierwise.bedrock.preparing) and walking the
JSON answer (tierwise.bedrock.parsing). Here a client with all of them is compared with a
client with none (stock botocore): the request on the wire (captured at ``before-send``, with
botocore's clock fixed) across operations, model IDs (ARNs with '/' and ':'), regions,
endpoint overrides, FIPS and dual-stack, session and bearer tokens; the parse of every
rest-json output shape of bedrock-runtime on generated answers (unknown members, nulls,
sparse lists, unknown union members); whole calls against the emulator; and botocore's
Stubber still answering through the client.
"""

from __future__ import annotations

import datetime
import decimal
import io
import json
import random
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from bedrock_testdata import HAIKU, HAIKU_US, MESSAGES
from botocore import parsers, serialize
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError, ParamValidationError
from botocore.stub import Stubber
from wire_capture import ARN, SentError, aws_request, capture, send

import tierwise.bedrock.endpoints as endpoints
import tierwise.bedrock.events as events
import tierwise.bedrock.parsing as parsing
import tierwise.bedrock.preparing as preparing
import tierwise.bedrock.serializing as serializing
import tierwise.bedrock.signing as signing
import tierwise.bedrock.validating as validating
from tierwise.bedrock import AwsAuth
from tierwise.bedrock.endpoints import use_endpoint_params_cache
from tierwise.bedrock.events import use_direct_events
from tierwise.bedrock.parsing import FastRestJSONParser, use_fast_parser
from tierwise.bedrock.preparing import fast_prepare_request, use_fast_prepare
from tierwise.bedrock.serializing import use_fast_serializer
from tierwise.bedrock.session import runtime_client
from tierwise.bedrock.validating import use_fast_validation
from tierwise.config import Settings
from tierwise.core.catalog import foundation_model_id


def _stock_only(m: pytest.MonkeyPatch) -> None:
    m.setattr(signing, "use_fast_sigv4", lambda client: False)
    m.setattr(parsing, "use_fast_parser", lambda client: False)
    m.setattr(preparing, "use_fast_prepare", lambda client: False)
    m.setattr(endpoints, "use_endpoint_params_cache", lambda client: False)
    m.setattr(serializing, "use_fast_serializer", lambda client: False)
    m.setattr(validating, "use_fast_validation", lambda client: False)
    m.setattr(events, "use_direct_events", lambda client: False)


def _client(settings: Settings, fast: bool, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> Any:
    with monkeypatch.context() as m:
        if not fast:
            _stock_only(m)
        client = runtime_client(settings, **kw)
    client.meta.events.register("before-send.*.*", capture)
    return client


def _wire(sent: SentError) -> tuple[Any, ...]:
    return (sent.method, sent.url, sent.headers, sent.body, sent.stream_output, sent.header_type)


@pytest.mark.parametrize(
    ("endpoint", "region", "env"),
    [
        ("http://127.0.0.1:9", "us-east-1", {}),
        ("", "eu-west-3", {}),  # AWS itself, over https
        ("", "us-west-2", {"AWS_USE_FIPS_ENDPOINT": "true"}),
        ("", "ap-northeast-1", {"AWS_USE_DUALSTACK_ENDPOINT": "true"}),
        ("https://bedrock.example.internal:8443/base", "us-west-2", {}),
    ],
)
@pytest.mark.parametrize("token", [None, "session-token/with+odd=chars"])
def test_a_runtime_request_is_stock_botocores_on_the_wire(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    clock: list[datetime.datetime],
    endpoint: str,
    region: str,
    env: dict[str, str],
    token: str | None,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if token:
        monkeypatch.setenv("AWS_SESSION_TOKEN", token)
    s = settings.with_overrides({"endpoint_url": endpoint, "region": region})
    fast = _client(s, True, monkeypatch)
    stock = _client(s, False, monkeypatch)
    assert getattr(fast._endpoint.prepare_request, "_tierwise_fast", False)
    assert not getattr(stock._endpoint.prepare_request, "_tierwise_fast", False)
    assert getattr(fast._ruleset_resolver._get_provider_params, "_tierwise_fast", False)
    assert getattr(fast._serializer._serializer, "_tierwise_fast", False)
    assert getattr(fast._serializer, "_tierwise_fast", False)
    assert not getattr(stock._serializer._serializer, "_tierwise_fast", False)
    for operation in ("converse", "converse_stream", "count_tokens"):
        for model_id in (HAIKU, HAIKU_US, ARN):
            ours, theirs = send(fast, operation, model_id), send(stock, operation, model_id)
            assert _wire(ours) == _wire(theirs)
            if env.get("AWS_USE_FIPS_ENDPOINT"):
                assert "bedrock-runtime-fips." in ours.url
            if not endpoint:
                assert f".{region}." in ours.url


def test_a_bearer_token_is_stock_botocores_on_the_wire(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, clock: list[datetime.datetime]
) -> None:
    auth = AwsAuth(bearer_token="explicit-key")
    fast = _client(settings, True, monkeypatch, auth=auth)
    stock = _client(settings, False, monkeypatch, auth=auth)
    for model_id in (HAIKU, ARN):
        ours, theirs = send(fast, "converse", model_id), send(stock, "converse", model_id)
        assert _wire(ours) == _wire(theirs)
        assert ours.header("Authorization") == "Bearer explicit-key"


def test_an_endpoint_handler_changing_the_region_is_not_served_a_stale_endpoint(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, clock: list[datetime.datetime]
) -> None:
    """A ``before-endpoint-resolution`` handler still runs per call; the endpoint (and the
    signing region) follow what it sets, call after call, as they do in stock botocore."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    regions = ["us-east-1", "eu-west-3", "us-east-1", "ap-south-1", "ap-south-1"]
    sent: dict[bool, list[SentError]] = {True: [], False: []}
    for fast in (True, False):
        client = _client(settings.with_overrides({"endpoint_url": ""}), fast, monkeypatch)
        turn = iter(regions)

        def move(builtins: dict[str, Any], turn: Iterator[str] = turn, **_: Any) -> None:
            region = next(turn)
            # A callable every other call: botocore resolves those per call.
            builtins["AWS::Region"] = region if region != "ap-south-1" else (lambda: region)

        client.meta.events.register("before-endpoint-resolution.bedrock-runtime", move)
        sent[fast] = [send(client, "converse", HAIKU) for _ in regions]
    assert [_wire(s) for s in sent[True]] == [_wire(s) for s in sent[False]]
    assert [s.url.split(".")[1] for s in sent[True]] == regions


def test_clients_of_two_regions_keep_their_own_endpoints(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, clock: list[datetime.datetime]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    east = _client(settings.with_overrides({"region": "us-east-1"}), True, monkeypatch)
    paris = _client(settings.with_overrides({"region": "eu-west-3"}), True, monkeypatch)
    for _ in range(2):
        assert ".us-east-1." in send(east, "converse", HAIKU).url
        assert ".eu-west-3." in send(paris, "converse", HAIKU).url


@pytest.mark.parametrize(
    "params",
    [
        {"messages": [{"role": "user", "content": "not a list"}]},
        {"messages": [{"role": "user", "content": [{"text": "a", "image": None}]}]},
        {"messages": [{"role": "user", "content": [{}]}]},
        {"messages": [{"role": "user"}], "bogus": 1},
        {"messages": MESSAGES, "inferenceConfig": {"maxTokens": 0}},
        {"messages": MESSAGES, "inferenceConfig": {"temperature": "hot"}},
        {"messages": MESSAGES, "system": [{"text": ""}]},
    ],
)
def test_invalid_parameters_are_refused_before_sending_as_botocore_refuses_them(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, params: dict[str, Any]
) -> None:
    s = settings.with_overrides({"endpoint_url": "http://127.0.0.1:9"})
    reports = []
    for fast in (True, False):
        client = _client(s, fast, monkeypatch)
        with pytest.raises(ParamValidationError) as info:
            client.converse(modelId=HAIKU, **params)
        reports.append(str(info.value))
    assert reports[0] == reports[1]


# -- preparing ---------------------------------------------------------------------------


def _request(**kw: Any) -> AWSRequest:
    # As signed: the date header is among what preparing must carry through.
    headers = kw.pop("headers", {"Content-Type": "application/json", "X-Amz-Date": "20261207"})
    return aws_request(headers, **kw)


def _with(name: str, *values: Any) -> Any:
    def make() -> AWSRequest:
        request = _request()
        for value in values:
            request.headers[name] = value  # HTTPHeaders keeps every one
        return request

    return make


def _prepared(request: AWSRequest, fast: bool) -> tuple[Any, ...]:
    session = botocore.session.get_session()
    endpoint = session.create_client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )._endpoint
    prepared = (
        fast_prepare_request(endpoint.prepare_request, request)
        if fast
        else endpoint.prepare_request(request)
    )
    body = prepared.body
    return (
        type(prepared),
        prepared.method,
        prepared.url,
        type(prepared.headers),
        list(prepared.headers.items()),
        body.getvalue() if isinstance(body, io.BytesIO) else body,
        prepared.stream_output,
        prepared.context,
        list(request.headers.raw_items()),  # what botocore's encoding left on the request
    )


@pytest.mark.parametrize(
    "make",
    [
        _request,
        lambda: _request(data=b""),
        lambda: _request(data=None),
        lambda: _request(data="a str body \u00e9"),
        lambda: _request(data={"form": "value", "b": "x y"}),
        lambda: _request(data=io.BytesIO(b"a file body")),
        lambda: _request(data=bytearray(b"a bytearray body")),
        lambda: _request(params={"b": "2", "a": "1 x"}),
        lambda: _request(method="GET", data=None),
        lambda: _request(method="OPTIONS", data=b"x"),
        lambda: _request(headers={"Content-Length": "3", "X-Other": "y"}),
        lambda: _request(headers={"Transfer-Encoding": "chunked"}),
        lambda: _request(headers={"content-type": "a", "X-Amz-Meta": b"raw bytes"}),
        lambda: _request(headers={}),
        _with("X-Amz-Meta", "one", "two"),
        _with("x-amz-meta", "lower", "X-AMZ-META upper"),
        _with("X-Amz-Meta", "caf\u00e9"),  # not ASCII: left to botocore
        _with("X-Amz-Meta", b"bytes", "text"),
    ],
)
def test_preparing_matches_botocores_endpoint(make: Any) -> None:
    assert _prepared(make(), True) == _prepared(make(), False)


def test_fast_steps_are_put_under_a_client_once(settings: Settings) -> None:
    client = runtime_client(settings.with_overrides({"endpoint_url": "http://127.0.0.1:9"}))
    prepare = client._endpoint.prepare_request
    factory = client._endpoint._response_parser_factory
    assert getattr(prepare, "_tierwise_fast", False)
    assert use_fast_prepare(client) is False and client._endpoint.prepare_request is prepare
    assert use_fast_parser(client) is False and client._endpoint._response_parser_factory is factory
    assert type(factory.create_parser("rest-json")) is FastRestJSONParser
    assert type(factory.create_parser("json")) is parsers.JSONParser
    assert use_fast_prepare(object()) is False
    assert use_endpoint_params_cache(client) is False
    assert use_endpoint_params_cache(object()) is False
    assert use_fast_serializer(client) is False
    assert use_fast_serializer(object()) is False
    assert use_fast_validation(client) is False
    assert use_fast_validation(object()) is False
    assert use_fast_parser(object()) is False
    assert use_direct_events(client) is False
    assert use_direct_events(object()) is False


# -- serialising -------------------------------------------------------------------------


def _input(shape: Any, rng: random.Random, depth: int = 0) -> Any:
    """A Python value for input ``shape``, of the kinds a caller may pass."""
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            return rng.choice([{"doc": [1, None, {"x": 1.5}]}, [1, "two"], "text", None])
        names = list(shape.members)
        if shape.is_tagged_union:
            chosen = [rng.choice(names)]
        elif depth > 6:
            chosen = [n for n in names if n in shape.required_members]
        else:
            chosen = [n for n in names if n in shape.required_members or rng.random() < 0.7]
        rng.shuffle(chosen)  # the caller's order is kept
        return {name: _input(shape.members[name], rng, depth + 1) for name in chosen}
    if kind == "list":
        if depth > 6:
            return []
        return [_input(shape.member, rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == "map":
        return {f"k{i}": _input(shape.value, rng, depth + 1) for i in range(rng.randint(0, 2))}
    if kind in ("integer", "long"):
        return rng.choice([0, 7, 123456789012])
    if kind in ("float", "double"):
        return rng.choice(
            [0, 1.5, 3, decimal.Decimal("2.25"), float("inf"), float("-inf"), float("nan")]
        )
    if kind == "boolean":
        return rng.choice([True, False])
    if kind == "blob":
        return rng.choice([b"\x89PNG\x00", "text blob", b"", bytearray(b"ba")])
    if kind == "timestamp":
        return rng.choice(
            [
                datetime.datetime(2026, 12, 7, 12, 0, 0, 250000),
                datetime.datetime(2026, 12, 7, 12, 0, 0, tzinfo=datetime.UTC),
                1765108800,
                "2026-12-07T12:00:00Z",
            ]
        )
    return rng.choice(["text", "", "\u00e9\u2603", ARN])


def test_every_input_shape_serialises_as_botocore_serialises_it() -> None:
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    stock = serialize.create_serializer("rest-json", include_validation=False)
    fast = serialize.create_serializer("rest-json", include_validation=False)

    class Holder:
        _serializer = fast

    assert use_fast_serializer(Holder()) is True
    rng = random.Random(7)
    names = set(model.operation_names)
    assert {"Converse", "ConverseStream", "CountTokens", "InvokeModel"} <= names
    for name in sorted(names):
        operation = model.operation_model(name)
        if operation.input_shape is None:
            continue
        for _ in range(30):
            params = _input(operation.input_shape, rng)
            if "modelId" in operation.input_shape.members:
                params["modelId"] = rng.choice([HAIKU, ARN, "a b/c:d%e"])
            ours = fast.serialize_to_request(params, operation)
            theirs = stock.serialize_to_request(params, operation)
            assert ours == theirs, name
            assert list(ours["headers"].items()) == list(theirs["headers"].items())


def test_timestamps_floats_and_blobs_of_a_made_up_service_serialise_as_botocores() -> None:
    """bedrock-runtime's input has few of them: a small rest-json model that has each."""
    from botocore.model import ServiceModel

    shapes = {
        "In": {
            "type": "structure",
            "members": {
                "Id": {"shape": "S", "location": "uri", "locationName": "id"},
                "Iso": {"shape": "TIso"},
                "Epoch": {"shape": "TEpoch"},
                "Rfc": {"shape": "TRfc"},
                "Plain": {"shape": "T"},
                "Ratio": {"shape": "D"},
                "Data": {"shape": "B"},
                "Renamed": {"shape": "S", "locationName": "wireName"},
                "Nested": {"shape": "L"},
            },
        },
        "L": {"type": "list", "member": {"shape": "M"}},
        "M": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "TEpoch"}},
        "S": {"type": "string"},
        "T": {"type": "timestamp"},
        "TIso": {"type": "timestamp", "timestampFormat": "iso8601"},
        "TEpoch": {"type": "timestamp", "timestampFormat": "unixTimestamp"},
        "TRfc": {"type": "timestamp", "timestampFormat": "rfc822"},
        "D": {"type": "double"},
        "B": {"type": "blob"},
    }
    model = ServiceModel(
        {
            "metadata": {"protocol": "rest-json", "apiVersion": "2020-01-01"},
            "operations": {
                "Op": {
                    "name": "Op",
                    "http": {"method": "POST", "requestUri": "/x/{id}"},
                    "input": {"shape": "In"},
                }
            },
            "shapes": shapes,
        }
    )
    operation = model.operation_model("Op")
    when = datetime.datetime(2026, 12, 7, 12, 0, 0, 250000)
    params = {
        "Nested": [{"a": when}, {}],
        "Id": "a/b c",
        "Iso": when,
        "Epoch": when,
        "Rfc": when,
        "Plain": "2026-12-07T12:00:00Z",
        "Ratio": decimal.Decimal("0.1"),
        "Data": "text",
        "Renamed": "r",
    }
    fast = serialize.create_serializer("rest-json", include_validation=False)

    class Holder:
        _serializer = fast

    use_fast_serializer(Holder())
    stock = serialize.create_serializer("rest-json", include_validation=False)
    ours = fast.serialize_to_request(params, operation)
    assert ours == stock.serialize_to_request(params, operation)
    assert b'"wireName": "r"' in ours["body"]


def test_a_member_the_shape_lacks_raises_as_in_botocore() -> None:
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    operation = model.operation_model("Converse")
    fast = serialize.create_serializer("rest-json", include_validation=False)

    class Holder:
        _serializer = fast

    use_fast_serializer(Holder())
    stock = serialize.create_serializer("rest-json", include_validation=False)
    params = {"modelId": HAIKU, "messages": [{"role": "user", "content": [], "bogus": 1}]}
    for serializer in (fast, stock):
        with pytest.raises(KeyError, match="bogus"):
            serializer.serialize_to_request(params, operation)


# -- validating --------------------------------------------------------------------------


def _break(value: Any, shape: Any, rng: random.Random) -> Any:
    """``value`` with one thing wrong somewhere in it (or nothing, now and then)."""
    kind = shape.type_name
    roll = rng.random()
    if kind == "structure" and not shape.is_document_type and isinstance(value, dict):
        if roll < 0.15:
            return {**value, "notAMember": 1}
        if roll < 0.3 and value:
            gone = rng.choice(list(value))
            return {k: v for k, v in value.items() if k != gone}
        if roll < 0.4 and shape.is_tagged_union:
            other = rng.choice(list(shape.members))
            return {**value, other: _input(shape.members[other], rng, 5)}
        if value:
            name = rng.choice(list(value))
            return {**value, name: _break(value[name], shape.members[name], rng)}
        return None
    if kind == "list" and isinstance(value, list):
        if roll < 0.2:
            return []
        if roll < 0.3:
            return tuple(value)
        if value:
            i = rng.randrange(len(value))
            return [*value[:i], _break(value[i], shape.member, rng), *value[i + 1 :]]
        return [None]
    if kind == "map" and isinstance(value, dict) and value:
        key = rng.choice(list(value))
        return {**value, key: _break(value[key], shape.value, rng)}
    return rng.choice([None, "", 0, -1, 1.5, True, b"x", [], {}, "2026-99-99", object()])


def test_validation_answers_as_botocores_validator_on_valid_and_broken_input() -> None:
    from botocore.validate import ParamValidator

    from tierwise.bedrock.validating import _check_for

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    rng = random.Random(11)
    seen = {True: 0, False: 0}
    for name in sorted(model.operation_names):
        shape = model.operation_model(name).input_shape
        if shape is None:
            continue
        for _ in range(60):
            params = _input(shape, rng)
            if "modelId" in shape.members:
                params["modelId"] = HAIKU
            for candidate in (params, _break(params, shape, rng), _break(params, shape, rng)):
                clean = not ParamValidator().validate(candidate, shape).has_errors()
                assert _check_for(shape)(candidate) is clean, (name, candidate)
                seen[clean] += 1
    assert min(seen.values()) > 200  # both answers, many times


# -- parsing -----------------------------------------------------------------------------


def _value(shape: Any, rng: random.Random, depth: int = 0, share: float = 0.7) -> Any:
    """A JSON value for ``shape``, with the oddities an answer may carry; each optional
    member set with probability ``share``."""
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            return {"doc": [1, None, {"x": "y"}], "n": None}
        names = list(shape.members)
        if shape.is_tagged_union:
            roll = rng.random()
            if roll < 0.1:
                return {"brandNewMember": {"a": 1}}
            if roll < 0.15:
                return {
                    "__type": "x",
                    names[0]: _value(shape.members[names[0]], rng, depth + 1, share),
                }
            chosen = [rng.choice(names)]
        elif depth > 6:
            chosen = [n for n in names if n in shape.required_members]
        else:
            chosen = [n for n in names if n in shape.required_members or rng.random() < share]
            if share < 0.5:
                rng.shuffle(chosen)  # an answer's keys in any order
        out: dict[str, Any] = {}
        for name in chosen:
            member = shape.members[name]
            wire = member.serialization.get("name", name)
            if member.serialization.get("location"):
                continue  # headers: not in the body
            out[wire] = None if rng.random() < 0.05 else _value(member, rng, depth + 1, share)
        if rng.random() < 0.3:
            out["unknownField"] = {"ignored": True}
        return out
    if kind == "list":
        if depth > 6:
            return []
        return [
            None if rng.random() < 0.1 else _value(shape.member, rng, depth + 1, share)
            for _ in range(rng.randint(0, 3))
        ]
    if kind == "map":
        return {
            f"k{i}": _value(shape.value, rng, depth + 1, share) for i in range(rng.randint(0, 2))
        }
    if kind in ("integer", "long"):
        return rng.choice([0, 7, 123456789012])
    if kind in ("float", "double"):
        return rng.choice([0, 1.5, 3])
    if kind == "boolean":
        return rng.choice([True, False])
    if kind == "blob":
        return rng.choice(["aGVsbG8=", ""])
    if kind == "timestamp":
        return rng.choice([1765108800, 1765108800.5, "2026-12-07T12:00:00Z"])
    return rng.choice(["text", "", "\u00e9\u2603"])


def _output_shapes() -> list[tuple[str, Any]]:
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    found = []
    for name in model.operation_names:
        shape = model.operation_model(name).output_shape
        if shape is not None and not model.operation_model(name).has_event_stream_output:
            found.append((name, shape))
    return found


@pytest.mark.parametrize("share", [0.7, 0.2])
def test_every_output_shape_parses_as_botocore_parses_it(share: float) -> None:
    """``share`` 0.2: most structures have at most half their members set (walked by the
    node's own keys), in any order (parsed in the shape's, as botocore does)."""
    shapes = _output_shapes()
    assert {"Converse", "CountTokens", "ApplyGuardrail"} <= {name for name, _ in shapes}
    rng = random.Random(13)
    for name, shape in shapes:
        for _ in range(40):
            body = json.dumps(_value(shape, rng, share=share)).encode()
            response = {
                "status_code": 200,
                "headers": {"x-amzn-requestid": "r", "content-type": "application/json"},
                "body": body,
                "context": {"operation_name": name},
            }
            theirs = _parse(parsers.RestJSONParser, response, shape)
            ours = _parse(FastRestJSONParser, response, shape)
            assert ours == theirs, name
            assert json.dumps(ours, default=repr) == json.dumps(theirs, default=repr)


def _parse(cls: type, response: dict[str, Any], shape: Any) -> Any:
    try:
        return cls().parse(dict(response), shape)
    except Exception as exc:  # the same error either way (e.g. a union with two members)
        return (type(exc), str(exc))


def test_errors_parse_as_botocore_parses_them() -> None:
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    shape = model.operation_model("Converse").output_shape
    for status, body, headers in [
        (400, b'{"message": "bad"}', {"x-amzn-errortype": "ValidationException:http://x"}),
        (429, b'{"message": "slow down"}', {"x-amzn-errortype": "ThrottlingException"}),
        (500, b"not json", {}),
        (
            424,
            b'{"message": "m", "originalStatusCode": 500}',
            {"x-amzn-errortype": "ModelErrorException"},
        ),
    ]:
        response = {"status_code": status, "headers": headers, "body": body, "context": {}}
        assert _parse(FastRestJSONParser, response, shape) == _parse(
            parsers.RestJSONParser, response, shape
        )


def test_a_union_with_two_members_is_refused_as_botocore_refuses_it() -> None:
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    shape = model.operation_model("Converse").output_shape
    body = {
        "output": {"message": {"role": "assistant", "content": [{"text": "a", "image": {}}]}},
        "stopReason": "end_turn",
    }
    response = {"status_code": 200, "headers": {}, "body": json.dumps(body).encode(), "context": {}}
    ours = _parse(FastRestJSONParser, response, shape)
    assert ours == _parse(parsers.RestJSONParser, response, shape)
    assert ours[0] is parsers.ResponseParserError


def test_a_subclass_handler_is_used_for_its_type() -> None:
    """A parser class whose handler differs from botocore's gets that handler, not the walk."""

    class Upper(FastRestJSONParser):
        def _handle_string(self, shape: Any, value: Any) -> Any:
            return str(value).upper()

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    shape = model.operation_model("Converse").output_shape
    body = {"output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}}}
    response = {"status_code": 200, "headers": {}, "body": json.dumps(body).encode(), "context": {}}
    parsed = Upper().parse(response, shape)
    assert parsed["output"]["message"]["content"] == [{"text": "HI"}]


# -- whole calls ---------------------------------------------------------------------------


def test_stubber_answers_still_reach_the_caller(settings: Settings) -> None:
    client = runtime_client(settings.with_overrides({"endpoint_url": "http://127.0.0.1:9"}))
    answer = {
        "output": {"message": {"role": "assistant", "content": [{"text": "stubbed"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
        "metrics": {"latencyMs": 1},
    }
    with Stubber(client) as stub:
        stub.add_response("converse", answer, {"modelId": ARN, "messages": MESSAGES})
        stub.add_client_error("converse", "ThrottlingException", http_status_code=429)
        assert client.converse(modelId=ARN, messages=MESSAGES)["output"] == answer["output"]
        with pytest.raises(ClientError) as info:
            client.converse(modelId=ARN, messages=MESSAGES)
    assert info.value.response["Error"]["Code"] == "ThrottlingException"


emulator = pytest.importorskip("tierwise.emulator")


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    from tierwise.config import load_settings

    base = load_settings(environ={}).settings
    with emulator.Emulator(base, port=0) as running:
        yield running


def test_calls_through_the_emulator_answer_as_stock_botocore(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, emu: Any
) -> None:
    emu.reset()
    s = settings.with_overrides({"endpoint_url": emu.url})
    fast = runtime_client(s)
    with monkeypatch.context() as m:
        _stock_only(m)
        stock = runtime_client(s)
    request = {"messages": MESSAGES, "inferenceConfig": {"maxTokens": 32}}
    for model_id in (HAIKU, HAIKU_US):
        ours = fast.converse(modelId=model_id, **request)
        theirs = stock.converse(modelId=model_id, **request)
        for answer in (ours, theirs):
            answer.pop("ResponseMetadata")
            answer.get("metrics", {}).pop("latencyMs", None)
        assert ours == theirs
        assert list(ours) == list(theirs)
        count = {"input": {"converse": {"messages": MESSAGES}}}
        base = foundation_model_id(model_id)
        counted = [c.count_tokens(modelId=base, **count) for c in (fast, stock)]
        for answer in counted:
            answer.pop("ResponseMetadata")
        assert counted[0] == counted[1]
    with pytest.raises(ClientError) as ours_error:
        fast.converse(modelId="anthropic.no-such-model-v1:0", **request)
    with pytest.raises(ClientError) as theirs_error:
        stock.converse(modelId="anthropic.no-such-model-v1:0", **request)
    for err in (ours_error.value, theirs_error.value):
        err.response.pop("ResponseMetadata")
    assert ours_error.value.response == theirs_error.value.response

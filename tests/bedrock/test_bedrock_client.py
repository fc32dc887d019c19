"""BedrockClient over botocore's Stubber: retries, failover order, exhaustion, request shapes."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from bedrock_testdata import ANSWER, HAIKU, HAIKU_EU, HAIKU_US, MESSAGES, FakeTime
from botocore.stub import Stubber

from tierwise.bedrock import BedrockClient, CooldownTracker, FailedAttempt
from tierwise.config import Settings
from tierwise.errors import (
    AccessDeniedError,
    ConfigError,
    ExhaustedError,
    InvalidRequestError,
    ModelAccessDeniedError,
    ModelNotAvailableError,
    ThrottledError,
)

REQUEST: dict[str, Any] = {"messages": MESSAGES, "inferenceConfig": {"maxTokens": 64}}


def _expect(model_id: str) -> dict[str, Any]:
    return {"modelId": model_id, **REQUEST}


def _throttle(stub: Stubber, model_id: str, **meta: Any) -> None:
    stub.add_client_error(
        "converse",
        service_error_code="ThrottlingException",
        service_message="Too many requests",
        http_status_code=429,
        expected_params=_expect(model_id),
        response_meta=meta or None,
    )


def _answer(stub: Stubber, model_id: str) -> None:
    stub.add_response("converse", ANSWER, expected_params=_expect(model_id))


def test_throttled_call_is_retried_then_succeeds(
    make_client: Callable[..., BedrockClient], fake_time: FakeTime
) -> None:
    client = make_client(base_delay_s=0.5)
    with Stubber(client.runtime_client) as stub:
        _throttle(stub, HAIKU)
        _throttle(stub, HAIKU)
        _answer(stub, HAIKU)
        result = client.converse([HAIKU, HAIKU_US], REQUEST)
        stub.assert_no_pending_responses()
    assert result.model_id == HAIKU
    assert result.response == ANSWER  # ResponseMetadata removed
    assert [a.model_id for a in result.attempts] == [HAIKU, HAIKU]
    assert {a.error_class for a in result.attempts} == {"ThrottledError"}
    assert len(fake_time.sleeps) == 2
    assert 0 <= fake_time.sleeps[0] <= 0.5
    assert 0 <= fake_time.sleeps[1] <= 1.0
    assert result.latency_ms >= 0


def test_failover_to_the_alternate_after_retries_are_spent(
    make_client: Callable[..., BedrockClient], fake_time: FakeTime
) -> None:
    client = make_client(max_attempts=2)
    with Stubber(client.runtime_client) as stub:
        _throttle(stub, HAIKU)
        _throttle(stub, HAIKU)
        _throttle(stub, HAIKU_US)
        _answer(stub, HAIKU_US)
        result = client.converse([HAIKU, HAIKU_US], REQUEST)
        stub.assert_no_pending_responses()
    assert result.model_id == HAIKU_US
    assert [a.model_id for a in result.attempts] == [HAIKU, HAIKU, HAIKU_US]
    # One wait between HAIKU's two calls, one between HAIKU_US's; failover itself does not wait.
    assert len(fake_time.sleeps) == 2


def test_model_not_available_fails_over_at_once(
    make_client: Callable[..., BedrockClient], fake_time: FakeTime
) -> None:
    client = make_client()
    with Stubber(client.runtime_client) as stub:
        stub.add_client_error(
            "converse",
            service_error_code="ResourceNotFoundException",
            service_message="Model not found",
            http_status_code=404,
            expected_params=_expect(HAIKU),
        )
        _answer(stub, HAIKU_US)
        result = client.converse([HAIKU, HAIKU_US], REQUEST)
    assert result.model_id == HAIKU_US
    assert result.attempts == (
        FailedAttempt(HAIKU, "ModelNotAvailableError", result.attempts[0].message),
    )
    assert fake_time.sleeps == []


def test_access_denied_fails_over_at_once(make_client: Callable[..., BedrockClient]) -> None:
    client = make_client()
    with Stubber(client.runtime_client) as stub:
        stub.add_client_error(
            "converse",
            service_error_code="AccessDeniedException",
            service_message="You don't have access to the model with the specified model ID.",
            http_status_code=403,
            expected_params=_expect(HAIKU),
        )
        _answer(stub, HAIKU_US)
        result = client.converse([HAIKU, HAIKU_US], REQUEST)
    assert result.model_id == HAIKU_US
    assert [a.error_class for a in result.attempts] == ["ModelAccessDeniedError"]


def test_invalid_request_is_raised_without_failover(
    make_client: Callable[..., BedrockClient],
) -> None:
    client = make_client()
    with Stubber(client.runtime_client) as stub:
        stub.add_client_error(
            "converse",
            service_error_code="ValidationException",
            service_message="messages: roles must alternate",
            http_status_code=400,
            expected_params=_expect(HAIKU),
        )
        _answer(stub, HAIKU_US)
        with pytest.raises(InvalidRequestError, match="roles must alternate"):
            client.converse([HAIKU, HAIKU_US], REQUEST)
        with pytest.raises(AssertionError):
            stub.assert_no_pending_responses()  # the alternate was never called


def test_exhausted_error_lists_every_attempt_in_order(
    make_client: Callable[..., BedrockClient],
) -> None:
    client = make_client(max_attempts=2)
    with Stubber(client.runtime_client) as stub:
        _throttle(stub, HAIKU)
        _throttle(stub, HAIKU)
        stub.add_client_error(
            "converse",
            service_error_code="ResourceNotFoundException",
            service_message="no such profile",
            http_status_code=404,
            expected_params=_expect(HAIKU_EU),
        )
        _throttle(stub, HAIKU_US, HTTPHeaders={"retry-after": "3"})
        _throttle(stub, HAIKU_US, HTTPHeaders={"retry-after": "4"})
        with pytest.raises(ExhaustedError) as info:
            client.converse([HAIKU, HAIKU_EU, HAIKU_US], REQUEST)
        stub.assert_no_pending_responses()
    err = info.value
    assert [a.split(":")[0] for a in err.attempts] == [
        "global.anthropic.claude-haiku-4-5-20251001-v1",
        "global.anthropic.claude-haiku-4-5-20251001-v1",
        "eu.anthropic.claude-haiku-4-5-20251001-v1",
        "us.anthropic.claude-haiku-4-5-20251001-v1",
        "us.anthropic.claude-haiku-4-5-20251001-v1",
    ]
    assert err.attempts[2] == (
        f"{HAIKU_EU}: ModelNotAvailableError: the model for {HAIKU_EU} was not found: "
        "no such profile (ResourceNotFoundException, HTTP 404)"
    )
    assert (err.code, err.status, err.model_id, err.retry_after) == (
        "ThrottlingException",
        429,
        HAIKU_US,
        4.0,
    )
    assert "3 profile(s)" in err.message
    assert isinstance(err.__cause__, ThrottledError)
    assert err.last is err.__cause__  # typed, so callers need not read the AWS code


@pytest.mark.parametrize(
    ("code", "status", "last_class", "not_class"),
    [
        ("AccessDeniedException", 403, ModelAccessDeniedError, ThrottledError),
        # Refreshing credentials fixes it: denied, but not "no access to this model".
        ("ExpiredTokenException", 403, AccessDeniedError, ModelAccessDeniedError),
        ("ServiceQuotaExceededException", 400, ThrottledError, AccessDeniedError),
    ],
)
def test_exhaustion_carries_the_last_attempts_typed_error(
    make_client: Callable[..., BedrockClient],
    code: str,
    status: int,
    last_class: type,
    not_class: type,
) -> None:
    client = make_client(max_attempts=1)
    with Stubber(client.runtime_client) as stub:
        for model_id in (HAIKU, HAIKU_US):
            stub.add_client_error(
                "converse",
                service_error_code=code,
                service_message="refused",
                http_status_code=status,
                expected_params=_expect(model_id),
            )
        with pytest.raises(ExhaustedError) as info:
            client.converse([HAIKU, HAIKU_US], REQUEST)
    # The typed error is also a botocore ClientError (boto_compatible), hence isinstance.
    assert isinstance(info.value.last, last_class)
    assert not isinstance(info.value.last, not_class)
    assert info.value.last is not None and info.value.last.model_id == HAIKU_US


def test_the_budget_stops_retries_and_failover(settings: Settings, fake_time: FakeTime) -> None:
    s = settings.with_overrides(
        {"retry.max_attempts": 10, "retry.base_delay_s": 2.0, "retry.total_timeout_s": 5.0}
    )
    client = BedrockClient(s, sleep=fake_time.sleep, clock=fake_time.clock, rng=random.Random(3))
    with Stubber(client.runtime_client) as stub:
        for _ in range(10):
            _throttle(stub, HAIKU)
        with pytest.raises(ExhaustedError) as info:
            client.converse([HAIKU], REQUEST)
    assert sum(fake_time.sleeps) < 5.0
    assert 1 < len(info.value.attempts) < 10


def test_an_expired_budget_skips_the_remaining_profiles(
    make_client: Callable[..., BedrockClient], fake_time: FakeTime
) -> None:
    client = make_client(max_attempts=1, total_timeout_s=5.0)
    with Stubber(client.runtime_client) as stub:

        def slow_failure(**_: Any) -> None:
            fake_time.now += 6.0  # the call itself ran out the budget

        stub.add_client_error(
            "converse", service_error_code="ServiceUnavailableException", http_status_code=503
        )
        # The Stubber's own handler sits on the wildcard node; this one goes ahead of it.
        client.runtime_client.meta.events.register_first("before-call.*.*", slow_failure)
        _answer(stub, HAIKU_US)
        with pytest.raises(ExhaustedError, match="budget ran out") as info:
            client.converse([HAIKU, HAIKU_US], REQUEST)
    assert len(info.value.attempts) == 1


def test_a_single_failed_call_raises_its_own_typed_error(
    make_client: Callable[..., BedrockClient],
) -> None:
    client = make_client()
    with Stubber(client.runtime_client) as stub:
        stub.add_client_error(
            "converse",
            service_error_code="ValidationException",
            service_message="The provided model identifier is invalid.",
            http_status_code=400,
        )
        with pytest.raises(ModelNotAvailableError) as info:
            client.converse(["anthropic.nope"], REQUEST)
    assert info.value.model_id == "anthropic.nope"


def test_cooling_profile_is_tried_last(settings: Settings, fake_time: FakeTime) -> None:
    s = settings.with_overrides({"retry.max_attempts": 1})
    tracker = CooldownTracker(30.0, clock=fake_time.clock)
    client = BedrockClient(s, sleep=fake_time.sleep, clock=fake_time.clock, cooldown=tracker)
    with Stubber(client.runtime_client) as stub:
        _throttle(stub, HAIKU)
        _answer(stub, HAIKU_US)
        _answer(stub, HAIKU_US)  # HAIKU is cooling: the alternate goes first
        first = client.converse([HAIKU, HAIKU_US], REQUEST)
        second = client.converse([HAIKU, HAIKU_US], REQUEST)
        fake_time.now += 31
        _answer(stub, HAIKU)  # cooled down: back to the primary
        third = client.converse([HAIKU, HAIKU_US], REQUEST)
        stub.assert_no_pending_responses()
    assert [first.model_id, second.model_id, third.model_id] == [
        HAIKU_US,
        HAIKU_US,
        HAIKU,
    ]
    assert second.attempts == ()


def test_raw_image_bytes_are_accepted(make_client: Callable[..., BedrockClient]) -> None:
    client = make_client()
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    request = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"image": {"format": "png", "source": {"bytes": image}}},
                    {"document": {"format": "txt", "name": "notes", "source": {"bytes": b"abc"}}},
                    {"text": "describe"},
                ],
            }
        ]
    }
    with Stubber(client.runtime_client) as stub:
        stub.add_response("converse", ANSWER, expected_params={"modelId": HAIKU, **request})
        result = client.converse([HAIKU], request)
    assert result.model_id == HAIKU


def test_a_request_with_its_own_model_id_is_refused(
    make_client: Callable[..., BedrockClient],
) -> None:
    with pytest.raises(InvalidRequestError, match="modelId"):
        make_client().converse([HAIKU], {"modelId": HAIKU, "messages": MESSAGES})


@pytest.mark.parametrize("profiles", [[], HAIKU])
def test_profiles_must_be_a_non_empty_list(
    make_client: Callable[..., BedrockClient], profiles: Any
) -> None:
    with pytest.raises(ConfigError):
        make_client().converse(profiles, REQUEST)


def test_count_tokens_sends_only_the_fields_count_tokens_accepts(
    make_client: Callable[..., BedrockClient],
) -> None:
    client = make_client()
    system = [{"text": "be brief"}, {"cachePoint": {"type": "default"}}]
    tools = {
        "tools": [
            {"toolSpec": {"name": "f", "inputSchema": {"json": {"type": "object"}}}},
        ]
    }
    extra = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
    request = {
        "messages": MESSAGES,
        "system": system,
        "toolConfig": tools,
        "additionalModelRequestFields": extra,
        "inferenceConfig": {"maxTokens": 10},
        "performanceConfig": {"latency": "standard"},
    }
    # CountTokens refuses inference profiles: the profile's foundation model is counted.
    expected = {
        "modelId": HAIKU.split(".", 1)[1],
        "input": {
            "converse": {
                "messages": MESSAGES,
                "system": system,
                "toolConfig": tools,
                "additionalModelRequestFields": extra,
            }
        },
    }
    with Stubber(client.runtime_client) as stub:
        stub.add_response("count_tokens", {"inputTokens": 1234}, expected_params=expected)
        assert client.count_tokens(HAIKU, request) == 1234


def test_count_tokens_retries_throttling(
    make_client: Callable[..., BedrockClient], fake_time: FakeTime
) -> None:
    client = make_client()
    with Stubber(client.runtime_client) as stub:
        stub.add_client_error(
            "count_tokens", service_error_code="ThrottlingException", http_status_code=429
        )
        stub.add_response("count_tokens", {"inputTokens": 7})
        assert client.count_tokens(HAIKU, {"messages": MESSAGES}) == 7
    assert len(fake_time.sleeps) == 1


def test_count_tokens_unknown_model_is_typed(make_client: Callable[..., BedrockClient]) -> None:
    client = make_client()
    with Stubber(client.runtime_client) as stub:
        stub.add_client_error(
            "count_tokens",
            service_error_code="ResourceNotFoundException",
            service_message="model not found",
            http_status_code=404,
        )
        with pytest.raises(ModelNotAvailableError):
            client.count_tokens("anthropic.nope", {"messages": MESSAGES})


def _fm(
    model_id: str, provider: str = "Anthropic", types: list[str] | None = None
) -> dict[str, Any]:
    return {
        "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{model_id}",
        "modelId": model_id,
        "modelName": model_id.rsplit(".", maxsplit=1)[-1],
        "providerName": provider,
        "inputModalities": ["TEXT", "IMAGE"],
        "outputModalities": ["TEXT"],
        "responseStreamingSupported": True,
        "inferenceTypesSupported": types or ["INFERENCE_PROFILE"],
        "modelLifecycle": {"status": "ACTIVE"},
    }


def _profile(profile_id: str, regions: list[str], model: str) -> dict[str, Any]:
    return {
        "inferenceProfileName": profile_id,
        "inferenceProfileArn": f"arn:aws:bedrock:us-east-1:1234:inference-profile/{profile_id}",
        "inferenceProfileId": profile_id,
        "status": "ACTIVE",
        "type": "SYSTEM_DEFINED",
        "models": [{"modelArn": f"arn:aws:bedrock:{r}::foundation-model/{model}"} for r in regions],
    }


def test_list_models_paginates_and_keeps_anthropic_only(
    make_client: Callable[..., BedrockClient],
) -> None:
    client = make_client()
    haiku = "anthropic.claude-haiku-4-5-20251001-v1:0"
    old = "anthropic.claude-3-haiku-20240307-v1:0"
    with Stubber(client.control_client) as stub:
        stub.add_response(
            "list_foundation_models",
            {"modelSummaries": [_fm(haiku), _fm(old, types=["ON_DEMAND"])]},
            expected_params={"byProvider": "Anthropic"},
        )
        stub.add_response(
            "list_inference_profiles",
            {
                "inferenceProfileSummaries": [
                    _profile(HAIKU_US, ["us-east-1", "us-west-2"], haiku),
                    _profile("us.meta.llama3-2-1b-instruct-v1:0", ["us-east-1"], "meta.llama"),
                ],
                "nextToken": "page2",
            },
            expected_params={},
        )
        stub.add_response(
            "list_inference_profiles",
            {"inferenceProfileSummaries": [_profile(HAIKU, ["us-east-1", "eu-west-1"], haiku)]},
            expected_params={"nextToken": "page2"},
        )
        catalog = client.list_models()
        stub.assert_no_pending_responses()
    assert [m.model_id for m in catalog.models] == [old, haiku]
    assert [m.on_demand for m in catalog.models] == [True, False]
    assert catalog.models[1].inference_types == ("INFERENCE_PROFILE",)
    assert [p.profile_id for p in catalog.profiles] == [HAIKU, HAIKU_US]
    us = catalog.profiles[1]
    assert us.model_ids == (haiku,)
    assert us.regions == ("us-east-1", "us-west-2")
    assert us.status == "ACTIVE"
    assert catalog.profiles_for(haiku) == catalog.profiles


def test_list_models_errors_are_typed(make_client: Callable[..., BedrockClient]) -> None:
    client = make_client()
    with Stubber(client.control_client) as stub:
        stub.add_client_error(
            "list_foundation_models",
            service_error_code="AccessDeniedException",
            service_message="not authorized to perform bedrock:ListFoundationModels",
            http_status_code=403,
        )
        with pytest.raises(AccessDeniedError) as info:
            client.list_models()
    assert "ListFoundationModels" in str(info.value)

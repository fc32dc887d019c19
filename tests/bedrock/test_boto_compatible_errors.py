"""Code written for boto3 keeps working against tierwise: what plain boto3 raises as a
``botocore.exceptions.ClientError`` for a failure, the Python client raises too, with the same
``e.response["Error"]["Code"]``, HTTP status and operation name, while staying the matching
tierwise error. Both run against the emulator over real HTTP."""

from __future__ import annotations

import asyncio
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator_clients import emulator_client
from tierwise.client import AsyncTierwise, Tierwise
from tierwise.config import Settings
from tierwise.core.tiers import Tier
from tierwise.errors import (
    AccessDeniedError,
    BedrockWouldRefuseError,
    ExhaustedError,
    InvalidRequestError,
    ModelNotAvailableError,
    ThrottledError,
    TierwiseError,
)

MESSAGES = [{"role": "user", "content": [{"text": "Say hello in five words."}]}]


@pytest.fixture
def tw(emu_settings: Settings, ledger_url: str) -> Iterator[Tierwise]:
    with Tierwise.from_settings(emu_settings, ledger_url=ledger_url) as client:
        yield client


@pytest.fixture
def boto(live_emulator: Any) -> Any:
    """Plain boto3, retries off, to see the error Bedrock's wire format gives."""
    return emulator_client(
        "bedrock-runtime",
        live_emulator.url,
        Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def _raised(fn: Callable[[], Any]) -> ClientError:
    with pytest.raises(ClientError) as info:
        fn()
    return info.value


def _same_as_boto(ours: ClientError, theirs: ClientError) -> None:
    assert ours.response["Error"]["Code"] == theirs.response["Error"]["Code"]
    assert ours.response["Error"]["Message"] == theirs.response["Error"]["Message"]
    ours_meta, theirs_meta = ours.response["ResponseMetadata"], theirs.response["ResponseMetadata"]
    assert ours_meta["HTTPStatusCode"] == theirs_meta["HTTPStatusCode"]
    assert ours.operation_name == theirs.operation_name


@pytest.mark.parametrize(
    ("kwargs", "tierwise_class"),
    [
        ({"modelId": "anthropic.no-such-model-v1:0"}, ModelNotAvailableError),
        # More stop sequences than Converse takes (2,500): botocore checks no maximum count,
        # nor does tierwise, so Bedrock's own ValidationException answers it.
        (
            {"modelId": "haiku", "inferenceConfig": {"stopSequences": ["END"] * 2501}},
            InvalidRequestError,
        ),
    ],
)
def test_request_errors_are_client_errors_like_boto3(
    tw: Tierwise,
    boto: Any,
    emu_settings: Settings,
    kwargs: dict[str, Any],
    tierwise_class: type[TierwiseError],
) -> None:
    ours = _raised(lambda: tw.converse(messages=MESSAGES, **kwargs))
    assert isinstance(ours, tierwise_class)
    model = kwargs["modelId"]
    if model == "haiku":
        model = emu_settings.tier(Tier.HAIKU).model_id
    theirs = _raised(lambda: boto.converse(messages=MESSAGES, **{**kwargs, "modelId": model}))
    _same_as_boto(ours, theirs)
    assert ours.response["Error"]["Code"] == "ValidationException"
    # The tierwise side is intact: message with a hint, typed attributes.
    assert isinstance(ours, TierwiseError) and ours.hint and str(ours).startswith(ours.message)


def test_exhausted_retries_keep_the_last_code(
    tw: Tierwise, boto: Any, live_emulator: Any, emu_settings: Settings
) -> None:
    live_emulator.inject(kind="throttle", count=1000)
    ours = _raised(lambda: tw.converse(modelId="haiku", messages=MESSAGES))
    assert isinstance(ours, ExhaustedError | ThrottledError)
    model = emu_settings.tier(Tier.HAIKU).model_id
    theirs = _raised(lambda: boto.converse(modelId=model, messages=MESSAGES))
    _same_as_boto(ours, theirs)
    assert ours.response["Error"]["Code"] == "ThrottlingException"
    assert ours.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_access_denied_and_streams(
    tw: Tierwise, boto: Any, live_emulator: Any, emu_settings: Settings
) -> None:
    live_emulator.inject(kind="access_denied", count=1000)
    ours = _raised(lambda: tw.converse_stream(modelId="haiku", messages=MESSAGES))
    assert isinstance(ours, AccessDeniedError | ExhaustedError)
    model = emu_settings.tier(Tier.HAIKU).model_id
    theirs = _raised(lambda: boto.converse_stream(modelId=model, messages=MESSAGES))
    _same_as_boto(ours, theirs)
    assert ours.response["Error"]["Code"] == "AccessDeniedException"
    assert ours.operation_name == "ConverseStream"


def test_boto3_style_handler_works_unchanged(tw: Tierwise, live_emulator: Any) -> None:
    """The pattern from boto3 docs and real code bases, pasted as is."""
    live_emulator.inject(kind="throttle", count=1000)
    try:
        tw.converse(modelId="haiku", messages=MESSAGES)
        outcome = "answered"
    except ClientError as e:
        if e.response["Error"]["Code"] == "ThrottlingException":
            outcome = "throttled"
        else:
            raise
    assert outcome == "throttled"


def test_the_error_pickles_as_both(tw: Tierwise) -> None:
    err = _raised(lambda: tw.converse(modelId="anthropic.no-such-model-v1:0", messages=MESSAGES))
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err)
    assert isinstance(copy, ClientError) and isinstance(copy, ModelNotAvailableError)
    assert copy.response == err.response and str(copy) == str(err)
    assert copy.model_id == "anthropic.no-such-model-v1:0"  # type: ignore[attr-defined]


def test_errors_not_from_bedrock_are_not_client_errors(tw: Tierwise) -> None:
    # A request tierwise itself refuses never reached AWS: boto3 would not have raised a
    # ClientError for it either.
    with pytest.raises(TierwiseError) as info:
        tw.converse(modelId="haiku", messages=MESSAGES, validate="not a spec")
    assert not isinstance(info.value, ClientError)


def test_import_tierwise_still_loads_no_botocore(tmp_path: Path) -> None:
    code = "import sys, tierwise, tierwise.errors; print('botocore' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_max_tokens_over_the_models_limit_is_refused_before_the_call(
    tw: Tierwise, live_emulator: Any
) -> None:
    # It was Bedrock's ValidationException (a ClientError) after a round trip; it is now
    # refused before any call, and still raised as that ClientError (a boto3 caller's
    # handler catches it as before), while an InvalidRequestError naming the field.
    before = live_emulator.stats["total"]
    with pytest.raises(ClientError) as info:
        tw.converse(modelId="haiku", messages=MESSAGES, inferenceConfig={"maxTokens": 1_000_000})
    err = info.value
    assert isinstance(err, BedrockWouldRefuseError)
    assert err.param == "inferenceConfig.maxTokens"
    assert err.response["Error"]["Code"] == "ValidationException"
    assert err.response["Error"]["Message"] == err.message
    assert "output limit" in err.message
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err.operation_name == "Converse"
    assert str(err).startswith(err.message) and err.hint
    assert live_emulator.stats["total"] == before


def test_a_prompt_over_the_window_streamed_is_bedrocks_validation_error(
    tw: Tierwise, live_emulator: Any
) -> None:
    before = live_emulator.stats["total"]
    long = [{"role": "user", "content": [{"text": "word " * 280_000}]}]  # ~350k counted
    try:
        tw.converse_stream(modelId="haiku", messages=long)
        outcome = "answered"
    except ClientError as e:  # boto3's handler, pasted as is
        outcome = e.response["Error"]["Code"]
        assert e.operation_name == "ConverseStream"
        assert isinstance(e, BedrockWouldRefuseError) and "context window" in e.message
    assert outcome == "ValidationException"
    assert live_emulator.stats["total"] == before


def test_request_checks_are_client_errors_in_both_clients(
    emu_settings: Settings, ledger_url: str, live_emulator: Any
) -> None:
    blank = [{"role": "user", "content": [{"text": "  "}]}]
    with Tierwise.from_settings(emu_settings, ledger_url=ledger_url) as sync:
        err = _raised(lambda: sync.call(modelId="haiku", messages=blank))
        assert isinstance(err, InvalidRequestError) and err.param == "messages[0].content[0].text"
        assert err.response["Error"]["Code"] == "ValidationException"

    async def main() -> ClientError:
        async with AsyncTierwise.from_settings(emu_settings, ledger_url=ledger_url) as tw:
            with pytest.raises(ClientError) as info:
                await tw.converse(modelId="haiku", messages=blank)
            with pytest.raises(ClientError) as streamed:
                await tw.converse_stream(
                    modelId="haiku", messages=MESSAGES, inferenceConfig={"maxTokens": 10**6}
                )
            assert streamed.value.operation_name == "ConverseStream"
            return info.value

    err = asyncio.run(main())
    assert isinstance(err, BedrockWouldRefuseError)
    assert (err.operation_name, err.response["Error"]["Code"]) == (
        "Converse",
        "ValidationException",
    )


@pytest.mark.parametrize(
    "model",
    [
        "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "gpt-4o",
        "ultra",
        "Sonet",
        # A dot alone made these model IDs: they went to Bedrock and left an error row.
        "claude-3.5-sonnet",
        "sonnet-4.5",
        "haiku4.5",
        "sonnet 4.5",
    ],
)
def test_a_model_id_refused_before_the_call_is_bedrocks_validation_error(
    tw: Tierwise, boto: Any, live_emulator: Any, model: str
) -> None:
    # Another geography's profile from us-east-1, an OpenAI name while those are off, or a
    # name that is no tier, alias or model ID (a mistyped tier): Bedrock answers "The
    # provided model identifier is invalid." (a ClientError); tierwise refuses it before the
    # call (the mistyped tier went to Bedrock), and raised a ModelNotAvailableError boto3
    # handlers missed.
    before = live_emulator.stats["total"]
    ours = _raised(lambda: tw.converse(modelId=model, messages=MESSAGES))
    assert isinstance(ours, ModelNotAvailableError)
    assert live_emulator.stats["total"] == before
    theirs = _raised(lambda: boto.converse(modelId=model, messages=MESSAGES))
    assert ours.response["Error"]["Code"] == theirs.response["Error"]["Code"]
    assert ours.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert ours.operation_name == theirs.operation_name == "Converse"


def test_a_name_that_is_no_tier_alias_or_model_id_says_what_to_send(
    tw: Tierwise, live_emulator: Any
) -> None:
    before = live_emulator.stats["total"]
    err = _raised(lambda: tw.converse(modelId="ultra", messages=MESSAGES))
    assert isinstance(err, ModelNotAvailableError)
    assert err.message == "model 'ultra' is not a tier, an alias or a Bedrock model ID"
    assert "haiku, sonnet or opus" in err.hint and "`tierwise models`" in err.hint
    assert live_emulator.stats["total"] == before
    assert tw.ledger.rows() == []  # no call, no error row


@pytest.mark.parametrize(
    ("inference", "param"),
    [({"temperature": 2}, "inferenceConfig.temperature"), ({"topP": 1.5}, "inferenceConfig.topP")],
)
def test_a_sampling_value_bedrock_refuses_is_refused_before_the_call(
    tw: Tierwise,
    boto: Any,
    live_emulator: Any,
    emu_settings: Settings,
    inference: dict[str, Any],
    param: str,
) -> None:
    # Converse takes temperature and topP from 0 to 1; botocore checks no maximum, so it went
    # to Bedrock, came back as its ValidationException and left an error row.
    before = live_emulator.stats["total"]
    ours = _raised(
        lambda: tw.converse(modelId="haiku", messages=MESSAGES, inferenceConfig=inference)
    )
    assert isinstance(ours, BedrockWouldRefuseError) and ours.param == param
    assert "from 0 to 1" in ours.hint
    assert live_emulator.stats["total"] == before
    assert tw.ledger.rows() == []  # no call, no error row
    model = emu_settings.tier(Tier.HAIKU).model_id
    theirs = _raised(
        lambda: boto.converse(modelId=model, messages=MESSAGES, inferenceConfig=inference)
    )
    # Bedrock (the emulator, from the service model) refuses it the same way.
    assert ours.response["Error"]["Code"] == theirs.response["Error"]["Code"]
    assert "Member must have value less than or equal to 1" in theirs.response["Error"]["Message"]
    assert ours.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert ours.operation_name == theirs.operation_name == "Converse"

"""BedrockClient against the built-in emulator: real boto3, real HTTP, real event streams."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Iterator
from typing import Any

import pytest

emulator = pytest.importorskip("tierwise.emulator")
if not hasattr(emulator, "Emulator"):  # the package directory exists before its server does
    pytest.skip("tierwise.emulator.Emulator is not available yet", allow_module_level=True)

from tierwise.bedrock import AsyncBedrockClient, BedrockClient  # noqa: E402
from tierwise.config import Settings, load_settings  # noqa: E402
from tierwise.core.deadline import Deadline  # noqa: E402
from tierwise.core.tiers import Tier  # noqa: E402
from tierwise.errors import (  # noqa: E402
    ExhaustedError,
    ModelAccessDeniedError,
    ModelNotAvailableError,
    ModelOutputError,
)

REQUEST: dict[str, Any] = {
    "messages": [{"role": "user", "content": [{"text": "Say hello in five words."}]}],
    "inferenceConfig": {"maxTokens": 64},
}


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    base = load_settings(environ={}).settings
    with emulator.Emulator(base, port=0) as running:
        yield running


@pytest.fixture
def settings(emu: Any) -> Settings:
    emu.reset()
    base = load_settings(environ={}).settings
    return base.with_overrides({"endpoint_url": emu.url, "retry.base_delay_s": 0.0})


@pytest.fixture
def profiles(settings: Settings) -> tuple[str, str]:
    haiku = settings.tier(Tier.HAIKU)
    return haiku.model_id, haiku.alternates[0]


def _client(settings: Settings) -> BedrockClient:
    return BedrockClient(settings, rng=random.Random(0))


def test_plain_call_answers(settings: Settings, profiles: tuple[str, str]) -> None:
    result = _client(settings).converse(list(profiles), REQUEST)
    assert result.model_id == profiles[0]
    assert result.attempts == ()
    assert result.response["stopReason"] in {"end_turn", "max_tokens"}
    assert result.response["usage"]["inputTokens"] > 0
    assert "ResponseMetadata" not in result.response


def test_throttled_call_is_retried_then_succeeds(
    emu: Any, settings: Settings, profiles: tuple[str, str]
) -> None:
    emu.inject(kind="throttle", count=2, model_id=profiles[0])
    result = _client(settings).converse(list(profiles), REQUEST)
    assert result.model_id == profiles[0]
    assert [(a.model_id, a.error_class) for a in result.attempts] == [
        (profiles[0], "ThrottledError"),
        (profiles[0], "ThrottledError"),
    ]


def test_failover_when_the_primary_keeps_throttling(
    emu: Any, settings: Settings, profiles: tuple[str, str]
) -> None:
    attempts = settings.retry.max_attempts
    emu.inject(kind="throttle", count=attempts, model_id=profiles[0])
    result = _client(settings).converse(list(profiles), REQUEST)
    assert result.model_id == profiles[1]
    assert [a.model_id for a in result.attempts] == [profiles[0]] * attempts
    assert emu.stats["calls"] == {profiles[0]: attempts, profiles[1]: 1}


def test_every_profile_throttling_is_exhausted(
    emu: Any, settings: Settings, profiles: tuple[str, str]
) -> None:
    s = settings.with_overrides({"retry.max_attempts": 2})
    emu.inject(kind="throttle", count=4, model_id=None)
    with pytest.raises(ExhaustedError) as info:
        _client(s).converse(list(profiles), REQUEST)
    assert len(info.value.attempts) == 4
    assert info.value.code == "ThrottlingException"
    assert info.value.status == 429


def test_unknown_model_is_a_typed_error(settings: Settings) -> None:
    with pytest.raises(ModelNotAvailableError) as info:
        _client(settings).converse(["anthropic.claude-no-such-model-v9:0"], REQUEST)
    assert info.value.model_id == "anthropic.claude-no-such-model-v9:0"
    assert info.value.hint


def test_converse_stream_yields_the_events(settings: Settings, profiles: tuple[str, str]) -> None:
    with _client(settings).converse_stream(list(profiles), REQUEST) as stream:
        events = list(stream.events)
    assert stream.model_id == profiles[0]
    kinds = [next(iter(e)) for e in events]
    assert kinds[0] == "messageStart"
    assert "contentBlockDelta" in kinds
    assert kinds[-2:] == ["messageStop", "metadata"]
    text = "".join(
        e["contentBlockDelta"]["delta"].get("text", "") for e in events if "contentBlockDelta" in e
    )
    assert text


def test_stream_retries_before_the_first_event(
    emu: Any, settings: Settings, profiles: tuple[str, str]
) -> None:
    emu.inject(kind="throttle", count=1, model_id=profiles[0])
    with _client(settings).converse_stream(list(profiles), REQUEST) as stream:
        kinds = [next(iter(e)) for e in stream.events]
    assert [a.error_class for a in stream.attempts] == ["ThrottledError"]
    assert kinds[-1] == "metadata"


def test_count_tokens_over_http(settings: Settings, profiles: tuple[str, str]) -> None:
    assert _client(settings).count_tokens(profiles[0], REQUEST) > 0


def test_async_calls_and_streams_run_on_the_loop_thread(
    settings: Settings, profiles: tuple[str, str]
) -> None:
    seen: set[int] = set()

    def sent(**_: object) -> None:
        seen.add(threading.get_ident())

    async def main() -> list[str]:
        async with AsyncBedrockClient(settings) as client:
            client.sync.runtime_client.meta.events.register("before-send.*.*", sent)
            # Concurrent streams, each open at once: no thread is held by any of them.
            opened = await asyncio.gather(
                *(client.converse_stream(list(profiles), REQUEST) for _ in range(8))
            )
            for other in opened[1:]:
                async with other:
                    assert [next(iter(e)) async for e in other][-1] == "metadata"
            assert seen == {threading.get_ident()}
            result = await client.converse(list(profiles), REQUEST)
            assert result.model_id == profiles[0]
            stream = opened[0]
            async with stream:
                return [next(iter(e)) async for e in stream]

    kinds = asyncio.run(main())
    assert kinds[0] == "messageStart"
    assert kinds[-1] == "metadata"


def test_bare_id_of_a_profile_only_model_names_the_fix(settings: Settings) -> None:
    bare = settings.tier(Tier.SONNET).model_id.split(".", 1)[1]  # drop the "global." prefix
    with pytest.raises(ModelNotAvailableError) as info:
        _client(settings).converse([bare], REQUEST)
    assert info.value.code == "ValidationException"
    assert "inference profile" in info.value.hint


def test_access_denied_fails_over_without_retrying(
    emu: Any, settings: Settings, profiles: tuple[str, str]
) -> None:
    emu.inject(kind="access_denied", count=1, model_id=profiles[0])
    result = _client(settings).converse(list(profiles), REQUEST)
    assert result.model_id == profiles[1]
    assert [a.error_class for a in result.attempts] == [ModelAccessDeniedError.__name__]
    assert emu.stats["calls"] == {profiles[0]: 1, profiles[1]: 1}


def test_error_after_the_first_event_is_raised_from_the_iterator(
    emu: Any, settings: Settings, profiles: tuple[str, str]
) -> None:
    client = _client(settings)

    def cut_after_three(request: Any, **_: Any) -> None:
        request.headers["x-tierwise-emulator-cut-stream-after"] = "3"

    client.runtime_client.meta.events.register(
        "before-sign.bedrock-runtime.ConverseStream", cut_after_three
    )
    seen: list[dict[str, Any]] = []
    stream = client.converse_stream(list(profiles), REQUEST)
    with stream, pytest.raises(ModelOutputError) as info:
        for event in stream.events:
            seen.append(event)
    assert len(seen) == 3
    assert info.value.code == "ModelStreamErrorException"
    assert info.value.model_id == profiles[0]
    # Output had reached the caller: no retry, no failover.
    assert emu.stats["calls"] == {profiles[0]: 1}


def test_list_models_from_the_control_plane(settings: Settings) -> None:
    catalog = _client(settings).list_models()
    haiku = settings.tier(Tier.HAIKU)
    profile_ids = {p.profile_id for p in catalog.profiles}
    assert {haiku.model_id, *haiku.alternates} <= profile_ids
    assert all(m.model_id.startswith("anthropic.") for m in catalog.models)
    bare = haiku.model_id.split(".", 1)[1]
    assert bare in {m.model_id for m in catalog.models}
    assert catalog.profiles_for(bare)


def test_botocore_fast_paths_can_be_turned_off(
    emu: Any, settings: Settings, profiles: tuple[str, str]
) -> None:
    # The way out if a botocore release and tierwise's fast paths ever disagree: botocore's
    # own pipeline, untouched, still answers calls, streams and errors.
    plain = settings.with_overrides({"retry.botocore_fast_paths": False})
    client = _client(plain)
    runtime = client.runtime_client
    assert "_make_api_call" not in vars(runtime)
    assert "_make_api_call" in vars(_client(settings).runtime_client)
    result = client.converse(list(profiles), REQUEST)
    assert result.response["usage"]["inputTokens"] > 0
    with client.converse_stream(list(profiles), REQUEST) as stream:
        kinds = [next(iter(e)) for e in stream.events]
    assert kinds[-2:] == ["messageStop", "metadata"]
    emu.inject(kind="throttle", count=2, model_id=profiles[0])
    retried = client.converse(list(profiles), REQUEST)
    assert [a.error_class for a in retried.attempts] == ["ThrottledError", "ThrottledError"]
    # The async client (the gateway's) too: its calls and streams on the loop.

    async def main() -> list[str]:
        async with AsyncBedrockClient(plain) as aclient:
            assert "_make_api_call" not in vars(aclient.sync.runtime_client)
            answer = await aclient.converse(list(profiles), REQUEST)
            assert answer.response["usage"]["outputTokens"] > 0
            async with await aclient.converse_stream(list(profiles), REQUEST) as opened:
                return [next(iter(e)) async for e in opened]

    assert asyncio.run(main())[-1] == "metadata"


def test_the_sync_clients_calls_are_templated(
    settings: Settings, profiles: tuple[str, str]
) -> None:
    # The sync client bounds each read by what is left of the call's deadline (a
    # read_timeout in botocore's context, different on every build): the template's check
    # compared it for equality, so no sync call was ever templated.
    client = _client(settings)
    templates: Any = client.runtime_client._make_api_call.__self__
    for _ in range(3):
        client.converse(list(profiles), REQUEST, deadline=Deadline(30.0))
    assert [t is not None for t in templates._templates.values()] == [True]

"""The official SDKs retry 408, 409, 429 and 5xx (twice by default) unless the reply says
``x-should-retry: false``. A failure that comes after an answer was charged must say so, or
each retry pays for that answer again; one that comes before any charge (throttled at the
first attempt) must not, so the SDKs keep retrying it. Counted with the real clients
against the gateway and the emulator, in upstream calls and ledger rows."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import anthropic
import openai
import pytest

from tierwise.config import Settings
from tierwise.core.tiers import Tier
from tierwise.errors import LedgerUnavailableError

FIX = "File a ticket: the printer is on fire"
SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}},
    "required": ["title"],
    "additionalProperties": False,
}
HEADERS = {"x-tierwise-escalate": "true", "x-tierwise-max-tier": "sonnet"}


def _profiles(settings: Settings, tier: str) -> list[str]:
    ts = settings.tiers[Tier(tier)]
    return [ts.model_id, *ts.alternates]


def _call(sdk: str, gateway: Any, stream: bool = False, **options: Any) -> Callable[[], object]:
    """A call through ``sdk`` whose answer is judged against SCHEMA, escalating haiku ->
    sonnet at most (a judged stream runs its cascade before its first event)."""
    if sdk == "openai":
        oai = openai.OpenAI(base_url=gateway.url + "/v1", api_key=gateway.key, **options)

        def create() -> Any:
            return oai.chat.completions.create(
                model="haiku",
                messages=[{"role": "user", "content": FIX}],
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "t", "schema": SCHEMA},
                },
                extra_headers=HEADERS,
                stream=stream,
            )

        # a stream's error arrives as its events are read
        return (lambda: list(create())) if stream else create
    claude = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, **options)
    return lambda: claude.messages.create(
        model="haiku",
        max_tokens=200,
        messages=[{"role": "user", "content": FIX}],
        output_config={"format": {"type": "json_schema", "schema": SCHEMA}},
        extra_headers=HEADERS,
        stream=stream,
    )


_ERRORS = (openai.APIStatusError, anthropic.APIStatusError)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
# Every profile failing ends as ExhaustedError: 503, or 429 when every one was throttled.
@pytest.mark.parametrize(("fault", "status"), [("model_error", 503), ("throttle", 429)])
def test_a_failure_after_a_charged_answer_is_not_retried_by_the_sdks(
    gateway: Any, sdk: str, fault: str, status: int, stream: bool
) -> None:
    settings: Settings = gateway.tierwise.settings
    gateway.emulator.misbehave("invalid_json", tier="haiku")  # haiku's answer is rejected
    for profile in _profiles(settings, "sonnet"):  # and the escalation fails
        gateway.emulator.inject(fault, count=100, model_id=profile)
    before = len(gateway.tierwise.ledger.rows())
    with pytest.raises(_ERRORS) as caught:
        _call(sdk, gateway, stream, max_retries=2)()
    # Anthropic's "overloaded" is its own 529 (the SDK's OverloadedError).
    assert caught.value.status_code == (529 if status == 503 and sdk == "anthropic" else status)
    rows = gateway.tierwise.ledger.rows()[before:]
    charged = [r for r in rows if r.cost_usd > 0]
    # One request: haiku's rejected answer, charged once (three times when the SDK retried).
    assert [r.status for r in charged] == ["rejected"]
    assert charged[0].tier == "haiku"
    assert len({r.request_id for r in rows}) == 1
    assert caught.value.response.headers["x-should-retry"] == "false"
    # nor a retry-after that other clients would read as an invitation to pay again
    assert "retry-after" not in caught.value.response.headers
    assert "sending it again pays for them again" in str(caught.value)


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
def test_throttled_before_any_charge_is_still_retried_by_the_sdks(gateway: Any, sdk: str) -> None:
    settings: Settings = gateway.tierwise.settings
    for profile in _profiles(settings, "haiku") + _profiles(settings, "sonnet"):
        gateway.emulator.inject("throttle", count=100, model_id=profile)
    before = len(gateway.tierwise.ledger.rows())
    with pytest.raises(_ERRORS) as caught:
        _call(sdk, gateway, max_retries=1)()
    assert caught.value.status_code == 429
    assert "x-should-retry" not in caught.value.response.headers
    assert caught.value.response.headers["retry-after"]
    rows = gateway.tierwise.ledger.rows()[before:]
    assert len({r.request_id for r in rows}) == 2  # the SDK sent it again
    assert all(r.cost_usd == 0 for r in rows)


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_gateway_failure_after_the_answer_is_not_retried(
    gateway: Any, sdk: str, stream: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reply the gateway fails to build once Bedrock has answered (a bug: an opaque
    500) still says not to retry: the answer is charged, a retry pays it again."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    if sdk == "openai":
        name = "_stream" if stream else "to_chat_completion"
        monkeypatch.setattr(f"tierwise.gateway.openai_routes.{name}", broken)
        oai = openai.OpenAI(base_url=gateway.url + "/v1", api_key=gateway.key, max_retries=2)
        call: Callable[[], object] = lambda: oai.chat.completions.create(  # noqa: E731
            model="haiku", messages=[{"role": "user", "content": "hi"}], stream=stream
        )
    else:
        name = "_stream" if stream else "to_message"
        monkeypatch.setattr(f"tierwise.gateway.anthropic_routes.{name}", broken)
        claude = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=2)
        call = lambda: claude.messages.create(  # noqa: E731
            model="haiku", max_tokens=50, messages=[{"role": "user", "content": "hi"}],
            stream=stream,
        )  # fmt: skip
    before = len(gateway.tierwise.ledger.rows())
    with pytest.raises(_ERRORS) as caught:
        call()
    assert caught.value.status_code == 500
    rows = gateway.tierwise.ledger.rows()[before:]
    assert len(rows) == 1 and rows[0].cost_usd > 0
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert caught.value.response.headers["x-tierwise-request-id"] == rows[0].request_id


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
def test_a_budget_only_a_bigger_one_would_cover_is_not_retried(gateway: Any, sdk: str) -> None:
    """A 429 for a budget that cannot cover the request (nothing in flight, no period to
    wait for) says not to retry: the SDKs sent it three times, refused each time."""
    sent: list[str] = []
    hooks = {"request": [lambda request: sent.append(request.url.path)]}
    key = gateway.new_key(budget_usd=Decimal("0.000001"))
    if sdk == "openai":
        http = openai.DefaultHttpxClient(event_hooks=hooks)
        oai = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, http_client=http)
        call: Callable[[], object] = lambda: oai.chat.completions.create(  # noqa: E731
            model="haiku", messages=[{"role": "user", "content": "hi"}]
        )
    else:
        client = anthropic.DefaultHttpxClient(event_hooks=hooks)
        claude = anthropic.Anthropic(base_url=gateway.url, api_key=key, http_client=client)
        call = lambda: claude.messages.create(  # noqa: E731
            model="haiku", max_tokens=50, messages=[{"role": "user", "content": "hi"}]
        )
    with pytest.raises(_ERRORS) as caught:
        call()
    assert caught.value.status_code == 429 and "budget" in str(caught.value)
    assert "retry-after" not in caught.value.response.headers
    assert len(sent) == 1, sent


def test_a_capture_that_fails_after_the_answer_is_not_retried(
    gateway: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sampled capture is written after the answer is ledgered: its store failing is
    a 503 that says not to retry (the openai SDK sent it 3 times, 3 charged rows)."""

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise LedgerUnavailableError("the capture store is unreachable")

    monkeypatch.setattr("tierwise.capture.Capturer.wants", lambda *a, **k: True)
    monkeypatch.setattr("tierwise.capture.Capturer.capture", unreachable)
    oai = openai.OpenAI(base_url=gateway.url + "/v1", api_key=gateway.key, max_retries=2)
    before = len(gateway.tierwise.ledger.rows())
    with pytest.raises(openai.APIStatusError) as caught:
        oai.chat.completions.create(model="haiku", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.status_code == 503
    rows = gateway.tierwise.ledger.rows()[before:]
    assert len(rows) == 1 and rows[0].cost_usd > 0
    assert caught.value.response.headers["x-should-retry"] == "false"
    assert "retry-after" not in caught.value.response.headers
    assert caught.value.response.headers["x-tierwise-request-id"] == rows[0].request_id

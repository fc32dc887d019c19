"""Query parameters are read as each API reads them, never silently dropped where they
mean something: Anthropic's model list pages by ``limit``/``after_id``/``before_id`` (its
SDK's pagination sends them); tierwise's own endpoints refuse a parameter they do not read
(a misspelt ``group_by=key`` gave the default grouping); the OpenAI and Anthropic doors
ignore unknown ones, as those APIs do (the Anthropic SDK's beta client sends ?beta=true)."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx
import pytest


def _anthropic(gateway: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)


def test_anthropic_model_list_pages_as_its_sdk_asks(gateway: Any) -> None:
    client = _anthropic(gateway)
    everything = [m.id for m in client.models.list().data]
    assert len(everything) > 5
    page = client.models.list(limit=2)
    assert [m.id for m in page.data] == everything[:2] and page.has_more is True
    assert page.first_id == everything[0] and page.last_id == everything[1]
    # The SDK's auto-pagination follows last_id until has_more is false: every model once.
    assert [m.id for m in client.models.list(limit=3)] == everything
    after = client.models.list(limit=2, after_id=everything[1])
    assert [m.id for m in after.data] == everything[2:4]
    before = client.models.list(limit=2, before_id=everything[3])
    assert [m.id for m in before.data] == everything[1:3] and before.has_more is True
    last = client.models.list(limit=1000, after_id=everything[-2])
    assert [m.id for m in last.data] == everything[-1:] and last.has_more is False


@pytest.mark.parametrize(
    ("query", "param"),
    [({"limit": "0"}, "limit"), ({"limit": "ten"}, "limit"), ({"limit": "²"}, "limit"),
     ({"after_id": "gpt-4o"}, "after_id"),
     ({"after_id": "auto", "before_id": "opus"}, "before_id")],
)  # fmt: skip
def test_bad_anthropic_list_parameters_are_a_400(
    gateway: Any, query: dict[str, str], param: str
) -> None:
    r = httpx.get(
        gateway.url + "/v1/models",
        params=query,
        headers={"x-api-key": gateway.key, "anthropic-version": "2023-06-01"},
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["type"] == "invalid_request_error"
    assert param in r.json()["error"]["message"]


@pytest.mark.parametrize("limit", ["0", "1001", "ten", "²", "-5"])
def test_a_bad_limit_is_the_same_400_on_every_list_that_pages(gateway: Any, limit: str) -> None:
    # The model list (Anthropic's paging) and /v1/captures read limit through one check: the
    # same message and param (captures said only "limit='0'" and named no param).
    _, admin = gateway.keys.create(f"ops-limit-{limit}", admin=True)
    headers = {"anthropic-version": "2023-06-01", "authorization": f"Bearer {admin}"}
    for path in ("/v1/models", "/v1/captures"):
        r = httpx.get(gateway.url + path, params={"limit": limit}, headers=headers)
        assert r.status_code == 400, (path, r.text)
        # Both doors' error shapes carry the message; the OpenAI shape carries param too.
        error = r.json()["error"]
        assert error["type"] == "invalid_request_error", (path, error)
        assert error["message"].startswith(
            f"limit: {limit!r} is not a whole number from 1 to 1000"
        ), (path, error)
    r = httpx.get(
        gateway.url + "/v1/captures",
        params={"limit": limit},
        headers={"authorization": f"Bearer {admin}"},
    )
    assert r.json()["error"]["param"] == "limit", r.text


@pytest.mark.parametrize(
    ("path", "query", "takes"),
    [
        ("/v1/spend", {"group_by": "key"}, "it takes by, since"),
        ("/v1/captures", {"limt": "5"}, "it takes limit, since, class"),
        ("/v1/credits", {"since": "7d"}, "it takes no query parameters"),
    ],
)
def test_tierwise_endpoints_refuse_a_parameter_they_do_not_read(
    gateway: Any, path: str, query: dict[str, str], takes: str
) -> None:
    _, admin = gateway.keys.create("ops-query", admin=True)
    r = httpx.get(gateway.url + path, params=query, headers={"authorization": f"Bearer {admin}"})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    (name,) = query
    assert error["message"] == (f"{path} does not take the query parameter {name!r} ({takes})"), (
        error
    )
    assert error["param"] == name
    ok = httpx.get(
        gateway.url + "/v1/spend",
        params={"by": "key", "since": "7d"},
        headers={"authorization": f"Bearer {admin}"},
    )
    assert ok.status_code == 200, ok.text


def test_the_doors_ignore_unknown_parameters_as_the_apis_do(gateway: Any) -> None:
    beta = _anthropic(gateway).beta.messages.create(
        model="haiku", max_tokens=16, messages=[{"role": "user", "content": "hi"}]
    )
    assert beta.content
    r = httpx.post(
        gateway.url + "/v1/chat/completions",
        params={"api-version": "2024-10-21"},
        json={"model": "haiku", "messages": [{"role": "user", "content": "hi"}]},
        headers={"authorization": f"Bearer {gateway.key}"},
    )
    assert r.status_code == 200, r.text


def test_openapi_lists_the_query_parameters_the_endpoints_accept(gateway: Any) -> None:
    # One table feeds both: a parameter /openapi.json lists is one the endpoint accepts.
    paths = httpx.get(gateway.url + "/openapi.json").json()["paths"]

    def query(path: str) -> set[str]:
        return {p["name"] for p in paths[path]["get"].get("parameters", []) if p["in"] == "query"}

    assert query("/v1/spend") == {"by", "since"}
    assert query("/v1/captures") == {"limit", "since", "class"}
    assert query("/v1/models") == {"limit", "after_id", "before_id"}
    assert query("/v1/credits") == set()
    _, admin = gateway.keys.create("ops-openapi", admin=True)
    for path in ("/v1/spend", "/v1/captures"):
        values = {"since": "7d", "by": "day", "limit": "1", "class": "chit_chat"}
        every = {name: values[name] for name in query(path)}
        r = httpx.get(
            gateway.url + path, params=every, headers={"authorization": f"Bearer {admin}"}
        )
        assert r.status_code == 200, (path, r.text)

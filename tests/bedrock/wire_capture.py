"""Requests stopped at botocore's ``before-send``: what a runtime client would put on the
wire, seen without a network (test_botocore_fast, test_signing, test_bedrock_session); and
:class:`Wire`, a client's HTTP send replaced by a recorder that answers (test_events,
test_templates)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
from bedrock_testdata import MESSAGES
from botocore.awsrequest import AWSRequest, AWSResponse


def aws_request(headers: dict[str, Any] | None = None, **kw: Any) -> AWSRequest:
    """A Converse request as botocore holds it before signing and preparing; ``kw`` replaces
    its method, URL, body (``data``) or adds any other AWSRequest argument."""
    return AWSRequest(
        method=kw.pop("method", "POST"),
        url=kw.pop("url", "https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse"),
        headers={"Content-Type": "application/json"} if headers is None else headers,
        data=kw.pop("data", b'{"messages": []}'),
        **kw,
    )


ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3/x"
NOON = datetime.datetime(2026, 12, 7, 12, 0, 0)

# Text and bytes that every encoding step must leave alike: non-ASCII, runs of white space,
# a tab, an image's raw bytes.
REQUEST: dict[str, Any] = {
    "messages": [
        *MESSAGES,
        {"role": "assistant", "content": [{"text": "h\u00e9llo \u2603"}]},
        {
            "role": "user",
            "content": [
                {"text": "  two   spaces\tand a tab  "},
                {"image": {"format": "png", "source": {"bytes": b"\x89PNG\x00"}}},
            ],
        },
    ],
    "system": [{"text": "be brief"}],
    "inferenceConfig": {"maxTokens": 60, "temperature": 0.5},
}


class SentError(Exception):
    """The request a client was about to send, raised so that it goes no further."""

    def __init__(self, request: Any) -> None:
        super().__init__(request.url)
        self.url = request.url
        self.body = request.body
        self.method = request.method
        self.stream_output = request.stream_output
        # Every header, in order, as botocore encoded it (bytes or str), with its container's
        # type; not the invocation id, a fresh uuid per request that is not signed.
        self.headers = [(k, v) for k, v in request.headers.items() if k != "amz-sdk-invocation-id"]
        self.header_type = type(request.headers)

    def header(self, name: str) -> str:
        value = dict(self.headers)[name]
        return value.decode() if isinstance(value, bytes) else str(value)


def capture(request: Any, **_: Any) -> None:
    """A ``before-send`` handler: raise the request as :class:`SentError`."""
    raise SentError(request)


def send(client: Any, operation: str, model_id: str) -> SentError:
    """What ``client`` (with :func:`capture` registered) sends for ``operation``."""
    with pytest.raises(SentError) as info:
        if operation == "count_tokens":
            client.count_tokens(modelId=model_id, input={"converse": {"messages": MESSAGES}})
        else:
            getattr(client, operation)(modelId=model_id, **REQUEST)
    return info.value


ANSWER = {
    "output": {"message": {"role": "assistant", "content": [{"text": "hello there"}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 10, "outputTokens": 3, "totalTokens": 13},
    "metrics": {"latencyMs": 12},
}


# Error answers as Bedrock sends them (status, JSON body), for comparing how each is raised.
ERROR_ANSWERS: list[tuple[int, dict[str, str]]] = [
    (429, {"__type": "ThrottlingException", "message": "Too many requests"}),
    (400, {"__type": "ValidationException", "message": "bad model"}),
    (500, {"__type": "InternalServerException", "message": "oops"}),
    (503, {"__type": "ServiceUnavailableException", "message": "later"}),
    (424, {"message": "no type"}),
]


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body

    def read(self, *_: Any) -> bytes:
        return self.body


class Wire:
    """The client's HTTP send: records each request (method, URL, every header in order as
    ``(name, type, value)``, body) and answers ``status`` and ``body``."""

    def __init__(self, client: Any, status: int = 200, body: Any = ANSWER) -> None:
        self.sent: list[tuple[Any, ...]] = []
        self.status = status
        self.body = json.dumps(body).encode()
        client._endpoint.http_session.send = self.send

    def header_values(self, name: str) -> list[Any]:
        """Header ``name``'s value in each request sent (None where it was not sent)."""
        return [next((v for k, _, v in sent[2] if k == name), None) for sent in self.sent]

    def send(self, request: Any) -> AWSResponse:
        headers = [(k, type(v), v) for k, v in request.headers.items()]
        self.sent.append((request.method, request.url, headers, request.body))
        answer = {"content-type": "application/json", "x-amzn-requestid": "r-1"}
        if self.status >= 300:
            answer["x-amzn-errortype"] = json.loads(self.body).get("__type", "")
        return AWSResponse(request.url, self.status, answer, _Raw(self.body))  # type: ignore[arg-type]


class Replay(Wire):
    """:class:`Wire` answering each request with the next of ``answers`` (status, headers,
    body bytes), e.g. what :func:`record_answers` kept of a real server's answers."""

    def __init__(self, client: Any, answers: list[tuple[int, dict[str, str], bytes]]) -> None:
        super().__init__(client)
        self.answers = list(answers)

    def send(self, request: Any) -> AWSResponse:
        headers = [(k, type(v), v) for k, v in request.headers.items()]
        self.sent.append((request.method, request.url, headers, request.body))
        status, answer, body = self.answers.pop(0)
        return AWSResponse(request.url, status, dict(answer), _Raw(body))  # type: ignore[arg-type]


def record_answers(client: Any) -> list[tuple[int, dict[str, str], bytes]]:
    """Have ``client``'s HTTP send keep each answer it gets (status, headers as received,
    the whole body, a stream's too) and give it back unread; the list fills as it sends."""
    kept: list[tuple[int, dict[str, str], bytes]] = []
    session = client._endpoint.http_session
    real = session.send

    def send(request: Any) -> AWSResponse:
        response = real(request)
        body = response.content  # (a call's body may have been read already)
        kept.append((response.status_code, dict(response.headers.items()), body))
        return AWSResponse(request.url, response.status_code, response.headers, _Raw(body))  # type: ignore[arg-type]

    session.send = send
    return kept

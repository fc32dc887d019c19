"""The lean runtime transport against scripted HTTP servers: framing, keep-alive, errors,
TLS, and when botocore's own client is used instead."""

from __future__ import annotations

import datetime
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import (
    ConnectionClosedError,
    EndpointConnectionError,
    ProxyConnectionError,
    ReadTimeoutError,
    SSLError,
)

from tierwise.bedrock import BedrockClient
from tierwise.bedrock.session import runtime_client
from tierwise.bedrock.transport import LeanTransport
from tierwise.config import load_settings
from tierwise.errors import UnavailableError

BASE = load_settings(environ={}).settings
MODEL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
REQUEST = {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}
ANSWER = {
    "output": {"message": {"role": "assistant", "content": [{"text": "hello"}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 3, "outputTokens": 1, "totalTokens": 4},
    "metrics": {"latencyMs": 1},
}

Reply = Callable[[bytes], bytes | None]  # request bytes -> response bytes (None: hang up)


class Hangup(bytes):
    """A reply after which the server closes the connection."""


def _json_reply(status: int = 200, body: Any = ANSWER, extra: str = "") -> bytes:
    data = json.dumps(body).encode()
    return (
        f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode() + data


class Server:
    """Answers each request on a connection with the next reply; counts connections."""

    def __init__(self, replies: list[Reply], tls: ssl.SSLContext | None = None) -> None:
        self.replies = replies
        self.requests: list[bytes] = []
        self.connections = 0
        self.tls = tls
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
            reader = sock.makefile("rb")
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = reader.readline()
                    if not line:
                        return
                    head += line
                length = next(
                    int(h.split(b":")[1])
                    for h in head.split(b"\r\n")
                    if h.lower().startswith(b"content-length")
                )
                request = head + reader.read(length)
                self.requests.append(request)
                reply = self.replies.pop(0)(request)
                if reply is None:
                    return
                sock.sendall(reply)
                if isinstance(reply, Hangup):
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            sock.close()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(*replies: Reply, tls: ssl.SSLContext | None = None) -> Server:
        servers.append(Server(list(replies), tls))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _runtime(server: Server, scheme: str = "http", **overrides: Any) -> Any:
    settings = BASE.with_overrides(
        {
            "endpoint_url": f"{scheme}://localhost:{server.port}",
            "retry.http_client": "lean",
            **overrides,
        }
    )
    return runtime_client(settings)


def test_requests_are_signed_framed_and_share_one_connection(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(*[lambda r: _json_reply()] * 3)
    runtime = _runtime(server)
    for _ in range(3):
        answer = runtime.converse(modelId=MODEL, **REQUEST)
        assert answer["output"]["message"]["content"] == [{"text": "hello"}]
    assert server.connections == 1
    head = server.requests[0].split(b"\r\n\r\n")[0].decode()
    assert head.startswith(f"POST /model/{MODEL.replace(':', '%3A')}/converse HTTP/1.1")
    assert f"Host: localhost:{server.port}" in head
    assert "Authorization: AWS4-HMAC-SHA256" in head
    assert json.loads(server.requests[0].split(b"\r\n\r\n", 1)[1]) == REQUEST


def test_a_connection_the_server_closed_is_not_reused(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(lambda r: _json_reply(extra="Connection: close\r\n"), lambda r: _json_reply())
    runtime = _runtime(server)
    runtime.converse(modelId=MODEL, **REQUEST)
    runtime.converse(modelId=MODEL, **REQUEST)
    assert server.connections == 2


def test_errors_are_botocores_client_errors_with_status_and_headers(serve) -> None:  # type: ignore[no-untyped-def]
    body = {"message": "Too many requests"}
    server = serve(
        lambda r: _json_reply(
            429, body, "x-amzn-ErrorType: ThrottlingException\r\nRetry-After: 3\r\n"
        )
    )
    client = BedrockClient(
        BASE.with_overrides(
            {"endpoint_url": f"http://localhost:{server.port}", "retry.max_attempts": 1}
        )
    )
    with pytest.raises(Exception) as caught:
        client.converse([MODEL], REQUEST)
    assert type(caught.value).__name__ == "ThrottledError"
    assert caught.value.retry_after == 3.0  # type: ignore[attr-defined]


def test_chunked_event_streams_arrive_event_by_event(serve) -> None:  # type: ignore[no-untyped-def]
    from tierwise.emulator import eventstream

    frames = [
        eventstream.event_frame("messageStart", {"role": "assistant"}),
        eventstream.event_frame(
            "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "hel"}}
        ),
        eventstream.event_frame("messageStop", {"stopReason": "end_turn"}),
    ]
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(f), f) for f in frames) + b"0\r\n\r\n"
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    server = serve(lambda r: head + chunked, lambda r: _json_reply())
    runtime = _runtime(server)
    events = list(runtime.converse_stream(modelId=MODEL, **REQUEST)["stream"])
    assert [next(iter(e)) for e in events] == ["messageStart", "contentBlockDelta", "messageStop"]
    runtime.converse(modelId=MODEL, **REQUEST)
    assert server.connections == 1  # read to its end, the stream's connection is reused


def test_a_response_cut_short_is_a_closed_connection(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(lambda r: Hangup(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{}"))
    with pytest.raises(ConnectionClosedError):
        _runtime(server).converse(modelId=MODEL, **REQUEST)


def test_other_operations_and_handlers_keep_botocores_behaviour(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(lambda r: _json_reply(body={"body": "x"}))
    runtime = _runtime(server)
    canned = AWSResponse("http://x", 200, {}, None)
    canned._content = json.dumps(ANSWER).encode()
    # A before-send handler's response still wins: nothing is sent.
    runtime.meta.events.register("before-send.bedrock-runtime.Converse", lambda **kw: canned)
    assert runtime.converse(modelId=MODEL, **REQUEST)["stopReason"] == "end_turn"
    assert server.requests == []
    assert isinstance(runtime._endpoint.http_session, LeanTransport)
    assert not runtime._endpoint.http_session._send(_prepared("/model/m/invoke"))


def _prepared(path: str) -> Any:
    from botocore.awsrequest import AWSRequest

    return AWSRequest(method="POST", url=f"http://localhost:1{path}", data=b"{}").prepare()


def test_no_answer_is_a_read_timeout(serve) -> None:  # type: ignore[no-untyped-def]
    hang = threading.Event()

    def never(request: bytes) -> bytes | None:
        hang.wait(5)
        return None

    server = serve(never)
    runtime = _runtime(server, **{"retry.read_timeout_s": 0.2})
    with pytest.raises(ReadTimeoutError):
        runtime.converse(modelId=MODEL, **REQUEST)
    hang.set()


def test_nobody_listening_is_an_endpoint_connection_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    runtime = runtime_client(BASE.with_overrides({"endpoint_url": f"http://localhost:{port}"}))
    with pytest.raises(EndpointConnectionError):
        runtime.converse(modelId=MODEL, **REQUEST)


def test_a_connection_error_is_unavailable_to_tierwise() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = BedrockClient(
        BASE.with_overrides({"endpoint_url": f"http://localhost:{port}", "retry.max_attempts": 1})
    )
    with pytest.raises(UnavailableError, match="could not reach Bedrock"):
        client.converse([MODEL], REQUEST)


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_tls_verifies_against_the_ca_bundle_botocore_would_use(  # type: ignore[no-untyped-def]
    serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = _self_signed(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    server = serve(lambda r: _json_reply(), lambda r: _json_reply(), tls=tls)
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    with pytest.raises(SSLError):  # not signed by a CA botocore trusts
        _runtime(server, "https").converse(modelId=MODEL, **REQUEST)
    monkeypatch.setenv("AWS_CA_BUNDLE", str(cert))
    answer = _runtime(server, "https").converse(modelId=MODEL, **REQUEST)
    assert answer["stopReason"] == "end_turn"


def test_a_proxy_or_the_setting_leaves_sending_to_botocore(  # type: ignore[no-untyped-def]
    serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = serve(lambda r: _json_reply())
    assert isinstance(_runtime(server)._endpoint.http_session, LeanTransport)
    default = runtime_client(
        BASE.with_overrides({"endpoint_url": f"http://localhost:{server.port}"})
    )
    assert not isinstance(default._endpoint.http_session, LeanTransport)  # opt-in only
    botocore_only = _runtime(server, **{"retry.http_client": "botocore"})
    assert not isinstance(botocore_only._endpoint.http_session, LeanTransport)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "")
    proxied = _runtime(server)
    assert not isinstance(proxied._endpoint.http_session, LeanTransport)
    with pytest.raises(ProxyConnectionError):  # botocore's session went to the proxy
        proxied.converse(modelId=MODEL, **REQUEST)


def test_headers_are_read_without_headersdicts_mapping_layer(  # type: ignore[no-untyped-def]
    serve, monkeypatch
) -> None:
    """The request's headers are read from HeadersDict's own table and the response's
    HeadersDict is filled directly (its mapping layer makes a key object and hashes it per
    header and lookup): the same head on the wire, the same case-insensitive answer."""
    from botocore.awsrequest import AWSRequest, HeadersDict

    server = serve(*[lambda r: _json_reply(extra="X-Amzn-RequestId: r-1\r\n")] * 3)
    transport = _runtime(server)._endpoint.http_session
    assert isinstance(transport, LeanTransport)

    def prepared(**extra: str) -> Any:
        request = AWSRequest(
            method="POST",
            url=f"http://localhost:{server.port}/model/m/converse",
            data=b"{}",
            headers={"Content-Type": "application/json", "X-Amz-Date": "20260101T000000Z", **extra},
        )
        return request.prepare()

    calls: list[str] = []
    for name in ("__getitem__", "__setitem__", "__iter__"):
        original = getattr(HeadersDict, name)

        def counted(self: Any, *args: Any, _original: Any = original, _name: str = name) -> Any:
            calls.append(_name)
            return _original(self, *args)

        monkeypatch.setattr(HeadersDict, name, counted)
    request = prepared()
    calls.clear()
    response = transport._send(request)
    assert calls == []
    assert response is not None and response.status_code == 200
    assert response.headers["x-amzn-requestid"] == "r-1"
    assert response.headers["content-type"] == "application/json"
    assert dict(response.headers) == {
        "content-type": "application/json",
        "x-amzn-requestid": "r-1",
        "content-length": str(len(json.dumps(ANSWER))),
    }
    head = server.requests[0].split(b"\r\n\r\n")[0].decode().split("\r\n")
    assert head == [
        "POST /model/m/converse HTTP/1.1",
        f"Host: localhost:{server.port}",
        "Content-Type: application/json",
        "X-Amz-Date: 20260101T000000Z",
        "Content-Length: 2",
        "Accept-Encoding: identity",
    ]
    # Headers botocore's client handles, in any spelling, still go to it.
    assert transport._send(prepared(EXPECT="100-continue")) is None
    # Any other mapping of headers is read through its items().
    plain = prepared()
    plain.headers = dict(plain.headers.items())
    assert transport._send(plain) is not None
    assert server.requests[1].split(b"\r\n\r\n")[0] == server.requests[0].split(b"\r\n\r\n")[0]

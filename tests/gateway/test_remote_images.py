"""Images by URL, fetched by the gateway when ``[gateway] allow_remote_images`` is on.

The setting existed but did nothing: an ``https://`` image was still a 400 (`only
data:image/...;base64 URLs are supported`). Images are served here on loopback, which the
gateway's own fetcher refuses (public addresses only), so the app's fetcher is swapped for
one that allows loopback; that refusal is tested on its own below."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
from gateway_testdata import tiny_png

from live_server import run_server
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.emulator import Emulator
from tierwise.errors import InvalidRequestError
from tierwise.gateway import create_app
from tierwise.gateway.remote_images import ImageFetcher

PNG = tiny_png()
LIMIT = 4096  # the test fetcher's byte bound


class _Images(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        routes: dict[str, tuple[int, dict[str, str], bytes]] = {
            "/a.png": (200, {"content-type": "image/png"}, PNG),
            "/moved": (302, {"location": "/a.png"}, b""),
            "/loop": (302, {"location": "/loop"}, b""),
            "/page": (200, {"content-type": "text/html"}, b"<html>not an image</html>"),
            "/huge.png": (200, {"content-type": "image/png"}, PNG + b"\0" * LIMIT),
        }
        status, headers, body = routes.get(self.path, (404, {}, b"missing"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def images() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def gateway_url(
    default_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    db: Path = tmp_path_factory.mktemp("remote") / "ledger.db"
    with Emulator(default_settings, port=0).start() as emu:
        settings = default_settings.with_overrides(
            {"endpoint_url": emu.url, "gateway.allow_remote_images": True}
        )
        tw = Tierwise.from_settings(settings, ledger_url=f"sqlite:///{db}")
        app = create_app(settings, tierwise=tw, auth=False)
        assert app.state.gateway.images is not None  # the setting turns fetching on
        app.state.gateway.images = ImageFetcher(public_only=False, max_bytes=LIMIT)
        server, thread, url = run_server(app)
        try:
            yield url
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            tw.close()


def _openai_image(url: str) -> list[Any]:
    parts = [
        {"type": "text", "text": "What is in it?"},
        {"type": "image_url", "image_url": {"url": url}},
    ]
    return [{"role": "user", "content": parts}]


def test_an_image_by_url_is_fetched_in_each_api(gateway_url: str, images: str) -> None:
    oai = openai.OpenAI(base_url=gateway_url + "/v1", api_key="x", max_retries=0)
    completion = oai.chat.completions.create(
        model="sonnet", max_tokens=20, messages=_openai_image(images + "/a.png")
    )
    assert completion.usage is not None and completion.usage.prompt_tokens >= 85  # an image
    moved = oai.chat.completions.create(
        model="sonnet", max_tokens=20, messages=_openai_image(images + "/moved")
    )
    assert moved.choices[0].message.content
    claude = anthropic.Anthropic(base_url=gateway_url, api_key="x", max_retries=0)
    image = {"type": "image", "source": {"type": "url", "url": images + "/a.png"}}
    message = claude.messages.create(
        model="sonnet",
        max_tokens=20,
        messages=[{"role": "user", "content": [image, {"type": "text", "text": "What?"}]}],
    )
    assert message.usage.input_tokens >= 85
    answer = oai.responses.create(
        model="sonnet",
        max_output_tokens=20,
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "What is in it?"},
                    {"type": "input_image", "image_url": images + "/a.png"},
                ],
            }
        ],
    )
    assert answer.usage is not None and answer.usage.input_tokens >= 85


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/page", "not a PNG, JPEG, GIF or WebP"),
        ("/missing.png", "answered HTTP 404"),
        ("/huge.png", "larger than 4,096 bytes"),
        ("/loop", "more than 3 redirects"),
    ],
)
def test_an_image_url_that_gives_no_image_is_a_400_naming_the_part(
    gateway_url: str, images: str, path: str, says: str
) -> None:
    oai = openai.OpenAI(base_url=gateway_url + "/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.BadRequestError, match=says) as info:
        oai.chat.completions.create(model="sonnet", messages=_openai_image(images + path))
    assert info.value.param == "messages[0].content[1]"


def test_the_fetcher_refuses_addresses_that_are_not_public(images: str) -> None:
    async def fetch(url: str) -> None:
        fetcher = ImageFetcher()
        try:
            await fetcher.fetch(url, "messages[0].content[0]")
        finally:
            await fetcher.aclose()

    for url in (images + "/a.png", "http://169.254.169.254/latest/meta-data/", "http://[::1]/"):
        with pytest.raises(InvalidRequestError, match="not a public address"):
            asyncio.run(fetch(url))
    with pytest.raises(InvalidRequestError, match="only http and https"):
        asyncio.run(fetch("file:///etc/passwd"))

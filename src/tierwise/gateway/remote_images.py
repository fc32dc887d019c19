"""Image URLs fetched by the gateway and sent inline, when ``[gateway] allow_remote_images``.

Converse takes image bytes only, while OpenAI's and Anthropic's APIs also take an image by
URL (``image_url.url: https://...``, Responses' ``input_image``, Anthropic's ``source:
{"type": "url"}``). With the setting on, the gateway fetches each such image before the
request is converted and puts it in the body as the data URL or base64 source each API
already takes, so the converters (the pure core) see bytes only.

A gateway that fetches what callers name can be pointed at its own network (a cloud's
metadata service, internal hosts): only public addresses are fetched, checked on the
resolved name and again on the address actually connected to (a name that resolves
differently the second time does not get through). Each image is bounded in bytes (Bedrock's
limit) and time, redirects are followed a few times, each checked the same way.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import socket
from collections.abc import Iterator, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from tierwise.core.preflight import MAX_IMAGE_BYTES, sniff_image
from tierwise.errors import InvalidRequestError

__all__ = ["ImageFetcher", "inline_remote_images"]

_MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
_HINT = "send the image inline (a data: URL or a base64 source), or a URL this gateway can reach"


class ImageFetcher:
    """Fetches images by URL for the gateway: public addresses only (``public_only``; off
    only in tests, which serve images on loopback), within ``max_bytes`` and ``timeout_s``."""

    def __init__(
        self,
        *,
        public_only: bool = True,
        max_bytes: int = MAX_IMAGE_BYTES,
        timeout_s: float = 10.0,
        max_redirects: int = 3,
    ) -> None:
        self.public_only = public_only
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        # No proxy from the environment: the address checked must be the image's host.
        self._client = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False, trust_env=False)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(self, url: str, where: str) -> tuple[bytes, str]:
        """The image at ``url`` and its format (png, jpeg, gif, webp); an
        ``InvalidRequestError`` naming ``where`` when it cannot be had."""
        for _ in range(self.max_redirects + 1):
            await self._check_host(url, where)
            try:
                async with self._client.stream("GET", url) as response:
                    self._check_peer(response, url, where)
                    if response.is_redirect and "location" in response.headers:
                        url = str(response.url.join(response.headers["location"]))
                        continue
                    if response.status_code != 200:
                        raise _refused(where, url, f"it answered HTTP {response.status_code}")
                    data = await self._read(response, url, where)
            except httpx.HTTPError as exc:
                raise _refused(where, url, f"{type(exc).__name__} while downloading") from None
            fmt = sniff_image(data)
            if fmt is None:
                raise _refused(where, url, "what it returned is not a PNG, JPEG, GIF or WebP")
            return data, fmt
        raise _refused(where, url, f"more than {self.max_redirects} redirects")

    async def _read(self, response: httpx.Response, url: str, where: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise _refused(where, url, f"it is larger than {self.max_bytes:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def _check_host(self, url: str, where: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _refused(where, url, "only http and https URLs are fetched")
        if not self.public_only:
            return
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                parts.hostname, parts.port, type=socket.SOCK_STREAM
            )
        except OSError:
            raise _refused(where, url, "its host name does not resolve") from None
        for info in infos:
            if not _public(str(info[4][0])):
                raise _refused(where, url, "its host is not a public address")

    def _check_peer(self, response: httpx.Response, url: str, where: str) -> None:
        if not self.public_only:
            return
        stream = response.extensions.get("network_stream")
        peer = stream.get_extra_info("server_addr") if stream is not None else None
        if not peer or not _public(str(peer[0])):
            raise _refused(where, url, "its host is not a public address")


def _public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _refused(where: str, url: str, why: str) -> InvalidRequestError:
    host = urlsplit(url).hostname or "?"
    return InvalidRequestError(
        f"{where}: the image at {host} could not be used: {why}", hint=_HINT, param=where
    )


def _remote(url: object) -> bool:
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


def _image_parts(body: Any) -> Iterator[tuple[MutableMapping[str, Any], str]]:
    """Every content part holding an image by URL, in each API's shape, with its path."""
    for field in ("messages", "input"):
        items = body.get(field) if isinstance(body, MutableMapping) else None
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if not isinstance(item, MutableMapping):
                continue
            for key in ("content", "output"):
                yield from _parts(item.get(key), f"{field}[{i}].{key}")


def _url_of(part: MutableMapping[str, Any]) -> object:
    """The URL of an image part in each API's shape (Chat Completions' ``image_url``,
    Responses' ``input_image``, Anthropic's ``image`` with a url source), else None."""
    kind = part.get("type")
    image_url = part.get("image_url")
    source = part.get("source")
    if kind == "image_url":
        return image_url.get("url") if isinstance(image_url, MutableMapping) else image_url
    if kind == "input_image":
        return image_url
    if kind == "image" and isinstance(source, MutableMapping) and source.get("type") == "url":
        return source.get("url")
    return None


def _parts(content: Any, where: str) -> Iterator[tuple[MutableMapping[str, Any], str]]:
    if not isinstance(content, list):
        return
    for j, part in enumerate(content):
        if not isinstance(part, MutableMapping):
            continue
        at = f"{where}[{j}]"
        if _remote(_url_of(part)):
            yield part, at
        elif part.get("type") == "tool_result":  # Anthropic: images inside a tool's result
            yield from _parts(part.get("content"), f"{at}.content")


async def inline_remote_images(body: Any, fetcher: ImageFetcher, max_images: int) -> None:
    """Fetch every image ``body`` names by URL (at most ``max_images``, the converters'
    limit, so a request of a thousand URLs is not a thousand downloads) and put each in the
    body inline, in the shape its API takes."""
    found = list(_image_parts(body))
    if not found:
        return
    if len(found) > max_images:
        raise InvalidRequestError(
            f"too many images: {len(found)} (at most {max_images})",
            hint="send fewer images",
            param="messages",
        )

    async def one(part: MutableMapping[str, Any], where: str) -> None:
        data, fmt = await fetcher.fetch(str(_url_of(part)), where)
        encoded = base64.b64encode(data).decode("ascii")
        image_url = part.get("image_url")
        if part.get("type") == "image":
            part["source"] = {"type": "base64", "media_type": _MEDIA_TYPES[fmt], "data": encoded}
        elif isinstance(image_url, MutableMapping):
            image_url["url"] = f"data:{_MEDIA_TYPES[fmt]};base64,{encoded}"
        else:
            part["image_url"] = f"data:{_MEDIA_TYPES[fmt]};base64,{encoded}"

    # Every download is waited for (none is left running unobserved); the first failure,
    # in the request's order, is the answer.
    outcomes = await asyncio.gather(*(one(p, w) for p, w in found), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome

"""SigV4 for the runtime client at a fraction of botocore's CPU, with botocore's own result.

botocore signs each Converse and ConverseStream request with ``SigV4Auth``: about a third of
its CPU per call (bench/results/request_cpu.txt). Most of that is not the cryptography but
the bookkeeping around it: the headers to sign are gathered twice (each time into an
``email.message`` based ``HTTPHeaders``), the request body is re-prepared to be hashed, the
host is parsed out of the URL twice, and the signing key (four HMACs) is derived again for
every request.

:class:`FastSigV4Auth` is ``SigV4Auth`` with those pieces done once: the same ``add_auth``
(botocore's own code: timestamp, date and security-token headers, the canonical request, the
string to sign, the ``Authorization`` header), with the signed headers gathered once per
request, the body taken as prepared when it is already bytes, the host, canonical path and
canonical query string memoised per URL, the canonical request built from the gathered
headers in one pass (SigV4Auth's steps: sorted names, values trimmed and joined, the signed
header list, the payload hash), and the signing key kept per (secret, day, region, service).
The bytes it
signs and the headers it sets are botocore's (tests/bedrock/test_signing.py compares them
with a fixed clock). Anything it does not handle the same way (a header value that is not
plain ASCII text, a body that is not bytes, a query string) goes to botocore's own methods.

:func:`use_fast_sigv4` puts it under one client: its request signer hands it out wherever
botocore's lookup gives plain ``SigV4Auth``. Which signer (SigV4, a Bedrock API key's bearer
token, unsigned), which credentials (the chain, refreshed when they near expiry: the signer
still freezes them per request) and which region and signing name are still botocore's
choice per request; only the class that does the signing changes.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from email.message import Message
from functools import lru_cache
from hashlib import sha256
from typing import Any
from urllib.parse import urlsplit

import botocore.auth
from botocore.auth import SIGNED_HEADERS_BLACKLIST, SigV4Auth

__all__ = ["FastSigV4Auth", "canonical_url_parts", "host_of", "signing_key", "use_fast_sigv4"]

_SKIP = frozenset(SIGNED_HEADERS_BLACKLIST)
_EMPTY_SHA256 = sha256(b"").hexdigest()
# Signing keys by (secret key, day, region, service): one entry per day per identity in
# practice; a bound in case credentials rotate often (each refresh brings a new secret).
_KEYS: dict[tuple[str | None, str, str, str], bytes] = {}
_MAX_KEYS = 64


# botocore's own functions (private, so untyped here): the Host header it would sign, and
# SigV4Auth's canonical path (which reads nothing of the signer), kept per URL and path.
_BOTOCORE: Any = botocore.auth
_SIGV4: Any = SigV4Auth


@lru_cache(maxsize=256)
def host_of(url: str) -> str:
    """The Host value SigV4Auth signs for ``url`` (botocore's ``_host_from_url``)."""
    return str(_BOTOCORE._host_from_url(url))


@lru_cache(maxsize=256)
def _canonical_path(path: str) -> str:
    return str(_SIGV4._normalize_url_path(None, path))


@lru_cache(maxsize=256)
def canonical_url_parts(url: str) -> tuple[str, str]:
    """SigV4Auth's canonical path and canonical query string of ``url`` (no params)."""
    parts = urlsplit(url)
    return _canonical_path(parts.path), str(_SIGV4._canonical_query_string_url(None, parts))


class _SignedHeaders(dict[str, list[str]]):
    """The headers to sign, lower-cased, with every value of each: what
    ``SigV4Auth.headers_to_sign`` returns (an ``HTTPHeaders``), for the two ways
    ``SigV4Auth`` reads it (iterating its names, ``get_all``)."""

    def get_all(self, name: str) -> list[str]:
        return self[name]


class FastSigV4Auth(SigV4Auth):
    """``SigV4Auth`` with its per-request bookkeeping done once (see the module)."""

    def __init__(self, credentials: Any, service_name: str, region_name: str) -> None:
        super().__init__(credentials, service_name, region_name)
        self._scope = (region_name, service_name)
        # The request whose headers were last gathered, and them: add_auth asks twice
        # (for the canonical request, then for the Authorization header), with no header
        # it signs changed in between.
        self._gathered: tuple[Any, _SignedHeaders] | None = None

    def add_auth(self, request: Any) -> None:
        self._gathered = None
        try:
            super().add_auth(request)
        finally:
            self._gathered = None

    def headers_to_sign(self, request: Any) -> Any:
        gathered = self._gathered
        if gathered is not None and gathered[0] is request:
            return gathered[1]
        pairs = _header_pairs(request.headers)
        if pairs is None:
            return super().headers_to_sign(request)
        signed = _SignedHeaders()
        for name, value in pairs:
            lname = name.lower()
            if lname not in _SKIP:
                values = signed.get(lname)
                if values is None:
                    signed[lname] = [value]
                else:
                    values.append(value)
        if "host" not in signed:
            signed["host"] = [host_of(request.url)]
        self._gathered = (request, signed)
        return signed

    def canonical_request(self, request: Any) -> str:
        # SigV4Auth.canonical_request's steps, with the URL's parts kept per URL and the
        # headers read from the gathered dict (names already lower-case, values str).
        headers_to_sign = self.headers_to_sign(request)
        if request.params or type(headers_to_sign) is not _SignedHeaders:
            return str(super().canonical_request(request))
        path, query = canonical_url_parts(request.url)
        names = sorted(headers_to_sign)
        canonical_headers = "\n".join(
            f"{name}:{','.join(' '.join(value.split()) for value in headers_to_sign[name])}"
            for name in names
        )
        signed_headers = ";".join(sorted(name.lower().strip() for name in names))
        if "X-Amz-Content-SHA256" in request.headers:
            body_checksum = request.headers["X-Amz-Content-SHA256"]
        else:
            body_checksum = self.payload(request)
        return "\n".join(
            (
                request.method.upper(),
                path,
                query,
                canonical_headers + "\n",
                signed_headers,
                body_checksum,
            )
        )

    def payload(self, request: Any) -> str:
        data = request.data
        context = request.context
        if (
            type(data) is not bytes
            or "checksum" in context  # a checksum trailer may replace the hash
            or (
                request.url.startswith("https") and not context.get("payload_signing_enabled", True)
            )
        ):
            return str(super().payload(request))
        # AWSRequest.body prepares the whole request again to return these same bytes.
        return sha256(data).hexdigest() if data else _EMPTY_SHA256

    def _normalize_url_path(self, path: str) -> str:
        return _canonical_path(path)

    def signature(self, string_to_sign: str, request: Any) -> str:
        region, service = self._scope
        key = signing_key(
            self.credentials.secret_key, request.context["timestamp"][0:8], region, service
        )
        return hmac.new(key, string_to_sign.encode("utf-8"), sha256).hexdigest()


def signing_key(secret: str | None, day: str, region: str, service: str) -> bytes:
    """SigV4's signing key (four HMACs), kept per (secret, day, region, service)."""
    cache_key = (secret, day, region, service)
    key = _KEYS.get(cache_key)
    if key is None:
        key = f"AWS4{secret}".encode()
        for part in (day, region, service, "aws4_request"):
            key = hmac.new(key, part.encode("utf-8"), sha256).digest()
        if len(_KEYS) >= _MAX_KEYS:
            _KEYS.clear()
        _KEYS[cache_key] = key
    return key


def _header_pairs(headers: Any) -> Iterable[tuple[str, str]] | None:
    """``headers``' (name, value) pairs as ``headers.items()`` gives them, read without the
    ``email`` policy's per-value pass, or None when that pass could change one (a value that
    is not plain ASCII text) or ``headers`` is not the ``Message`` it expects."""
    if not isinstance(headers, Message):
        return None
    pairs: list[tuple[str, str]] = headers._headers  # type: ignore[attr-defined]
    for name, value in pairs:
        if type(value) is not str or not value.isascii() or type(name) is not str:
            return None
    return pairs


def use_fast_sigv4(client: Any) -> bool:
    """Have ``client``'s request signer sign with :class:`FastSigV4Auth` where botocore
    picks ``SigV4Auth``; False (nothing changed) if the client has no signer to wrap."""
    signer = getattr(client, "_request_signer", None)
    get_auth: Any = getattr(signer, "get_auth_instance", None)
    if signer is None or get_auth is None or getattr(get_auth, "_tierwise_fast", False):
        return False

    def get_auth_instance(*args: Any, **kwargs: Any) -> Any:
        auth = get_auth(*args, **kwargs)
        if type(auth) is SigV4Auth:
            base: Any = auth  # (its names are private: not in botocore's stubs)
            return FastSigV4Auth(base.credentials, base._service_name, base._region_name)
        return auth

    get_auth_instance._tierwise_fast = True  # type: ignore[attr-defined]
    signer.get_auth_instance = get_auth_instance
    signer.get_auth = get_auth_instance
    return True

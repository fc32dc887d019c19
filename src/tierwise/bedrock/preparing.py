"""botocore's last request step, ``Endpoint.prepare_request``, without the ``email`` detour.

After signing, botocore's endpoint encodes each header value to UTF-8 in place (each
``headers[name] = value`` on the request's ``email.message``-based ``HTTPHeaders`` appends
one more header: the str values stay, the bytes are added after them) and then prepares the
request: every header is read back through the ``email`` policy into a case-insensitive
``HeadersDict`` (the last value of a name wins, under the spelling it first had) and
``Content-Length`` is added. That is ~10% of a Converse call's CPU in botocore.

:func:`fast_prepare_request` does the same from the message's own list of headers: the same
encoded pairs appended to the request's headers, the same ``HeadersDict`` (same names, same
order, same bytes), the same ``Content-Length``, the same ``AWSPreparedRequest``. Requests it
does not handle the same way go to botocore's own method: a header value that is not plain
ASCII text or bytes (the ``email`` policy could rewrite it), query parameters, a body that is
not bytes, or a preparer that is not botocore's. tests/bedrock/test_botocore_fast.py compares the
two on the requests the runtime client sends and on odd ones.

:func:`use_fast_prepare` puts it under one client's endpoint.
"""

from __future__ import annotations

from email.message import Message
from email.policy import compat32
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSRequestPreparer, HeadersDict

from tierwise.bedrock.header_keys import HeaderKey, header_table

__all__ = ["fast_prepare_request", "use_fast_prepare"]

_NO_LENGTH = ("GET", "HEAD", "OPTIONS")
_PREPARER: Any = AWSRequestPreparer


def _pairs(request: Any) -> list[tuple[str, Any]] | None:
    """The request's header pairs when each is plain (str name; ASCII str or bytes value)."""
    headers = request.headers
    if not isinstance(headers, Message) or headers.policy is not compat32:
        return None
    pairs: list[tuple[str, Any]] = headers._headers  # type: ignore[attr-defined]
    for name, value in pairs:
        if type(name) is not str or not (
            type(value) is bytes or (type(value) is str and value.isascii())
        ):
            return None
    return pairs


def fast_prepare_request(stock: Any, request: Any) -> Any:
    """What ``stock(request)`` (``Endpoint.prepare_request``) returns and does to
    ``request``, for a plain request (see the module); else ``stock(request)``."""
    pairs = _pairs(request)
    data = request.data
    if (
        pairs is None
        or request.params
        or not (data is None or type(data) is bytes)
        or type(request._request_preparer).prepare is not _PREPARER.prepare
        or type(request._request_preparer)._prepare_headers is not _PREPARER._prepare_headers
    ):
        return stock(request)
    # Endpoint._encode_headers: each str value set again, encoded (appended to the message).
    encoded = [(name, value.encode("utf-8")) for name, value in pairs if type(value) is str]
    pairs.extend(encoded)
    # AWSRequestPreparer.prepare: HeadersDict(headers.items()), Content-Length.
    prepared = HeadersDict()
    table = header_table(prepared)
    for name, value in pairs:
        table[HeaderKey(name)] = value
    body = None if data == b"" else data
    if (
        "Transfer-Encoding" not in prepared
        and "Content-Length" not in prepared
        and request.method not in _NO_LENGTH
    ):
        prepared["Content-Length"] = str(len(body) if body else 0)
    headers: Any = prepared  # (botocore's stubs say HTTPHeaders; botocore passes this type)
    return AWSPreparedRequest(
        request.method, request.url, headers, body, request.stream_output, request.context
    )


def use_fast_prepare(client: Any) -> bool:
    """Have ``client``'s endpoint prepare requests with :func:`fast_prepare_request`; False
    (nothing changed) when it has no ``prepare_request`` of botocore's to wrap."""
    endpoint: Any = getattr(client, "_endpoint", None)
    stock = getattr(endpoint, "prepare_request", None)
    if stock is None or getattr(stock, "_tierwise_fast", False):
        return False

    def prepare_request(request: Any) -> Any:
        return fast_prepare_request(stock, request)

    prepare_request._tierwise_fast = True  # type: ignore[attr-defined]
    endpoint.prepare_request = prepare_request
    return True

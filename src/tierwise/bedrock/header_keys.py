"""botocore's ``HeadersDict`` filled and read through its own table: the one module that
touches botocore's private ``_HeaderKey``.

Why: ``HeadersDict`` (``botocore.awsrequest``) keeps its headers in a plain dict, ``_dict``,
keyed by ``_HeaderKey`` (the name as given, ``_key``, and lower-cased, ``_lower``, hashed and
compared by the latter). Its mapping layer makes a key object and goes through
``MutableMapping`` for every header set or read; the transport (a response's headers), the
fast prepare and the request templates (a request's) fill or read that dict directly, one
key per header, for the same ``HeadersDict`` at fewer instructions per call.

What breaks if botocore changes it: a rename of ``_HeaderKey`` or ``_dict`` fails the import
or the first call here, in one place; a key type ``HeadersDict`` no longer uses would leave
the headers filled in unfindable by name (a request signed without its ``Authorization``, a
response whose ``content-length`` reads as absent). tests/bedrock/test_header_keys.py fails
loudly on either, against the installed botocore.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import attrgetter
from typing import Any

from botocore.awsrequest import HeadersDict
from botocore.awsrequest import _HeaderKey as HeaderKey

__all__ = ["HeaderKey", "header_table", "headers_from"]


# ``headers``' own dict (HeaderKey -> value, in the order set). A C-level getter, not a
# Python function: it runs on every call and response, where a Python call costs ~500
# instructions more.
header_table: Callable[[HeadersDict], dict[Any, Any]] = attrgetter("_dict")


def headers_from(table: Mapping[Any, Any]) -> HeadersDict:
    """A ``HeadersDict`` holding ``table`` (:class:`HeaderKey` -> value) as its own dict."""
    headers = HeadersDict()
    vars(headers)["_dict"] = table
    return headers

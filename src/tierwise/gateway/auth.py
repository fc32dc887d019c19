"""Who is calling: the API key from ``Authorization: Bearer`` or ``x-api-key``.

Keys read ``tw_<id>_<secret>``; the store keeps only a salted SHA-256 of the secret and
compares in constant time (:meth:`tierwise.store.keys.KeyStore.verify`). Finding the key in
the request is cheap and runs on the event loop; verifying it reads the database and runs in
a worker thread.

While the database is unreachable, a key this process has verified before is recognised
from memory (:meth:`Authenticator.remembered`), as it was last read: the gateway can then
serve it under ``[ledger] on_outage`` "auto" (keys without a budget) or "spool". Only a
SHA-256 of the presented key is kept; a key revoked during the outage is honoured until the
database answers again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping

from tierwise.errors import AuthenticationError, PermissionDeniedError
from tierwise.store.keys import ApiKey, KeyStore

# Keys remembered for outages; the least recently verified are forgotten past this many.
REMEMBERED = 10_000

__all__ = ["Authenticator", "presented_key"]


def presented_key(headers: Mapping[str, str]) -> str:
    """The key the caller sent; ``Authorization: Bearer`` wins over ``x-api-key``."""
    authorization = headers.get("authorization") or ""
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return (headers.get("x-api-key") or "").strip()


class Authenticator:
    """Checks presented keys against the key store; ``enabled=False`` lets everyone in."""

    def __init__(self, keys: KeyStore | None, *, enabled: bool) -> None:
        self.keys = keys
        self.enabled = enabled
        self._lock = threading.Lock()
        self._verified: OrderedDict[str, ApiKey] = OrderedDict()

    def require_presented(self, headers: Mapping[str, str]) -> str | None:
        """The presented key, None when auth is off; 401 at once when none was sent."""
        if not self.enabled:
            return None
        presented = presented_key(headers)
        if not presented:
            raise AuthenticationError(
                "no API key was sent",
                hint="send `Authorization: Bearer tw_...` or `x-api-key: tw_...`",
            )
        return presented

    def verify(self, presented: str, *, admin: bool = False) -> ApiKey:
        """The active key for ``presented`` (blocking: reads the store)."""
        key = self.keys.verify(presented) if self.keys is not None else None
        if key is None:
            self._forget(presented)
            raise AuthenticationError(
                "the API key is not valid (unknown, malformed or revoked)",
                hint="create one with `tierwise keys create --name NAME`",
            )
        if admin and not key.admin:
            raise PermissionDeniedError("this endpoint needs an admin key")
        with self._lock:
            self._verified[_digest(presented)] = key
            self._verified.move_to_end(_digest(presented))
            while len(self._verified) > REMEMBERED:
                self._verified.popitem(last=False)
        return key

    def remembered(self, presented: str) -> ApiKey | None:
        """The key ``presented`` was last verified as by this process, if it was."""
        with self._lock:
            return self._verified.get(_digest(presented))

    def _forget(self, presented: str) -> None:
        with self._lock:
            self._verified.pop(_digest(presented), None)


def _digest(presented: str) -> str:
    return hashlib.sha256(presented.encode("utf-8")).hexdigest()

"""Opening a ledger from its URL: the scheme picks the store."""

from __future__ import annotations

from collections.abc import Callable

from tierwise.errors import LedgerError
from tierwise.store.base import Ledger

__all__ = ["open_ledger"]


def _sqlite(url: str, lazy: bool) -> Ledger:
    from tierwise.store.sqlite import SQLiteLedger

    return SQLiteLedger(url)


def _postgresql(url: str, lazy: bool) -> Ledger:
    from tierwise.store.postgres import PostgresLedger

    return PostgresLedger(url, lazy=lazy)


_STORES: dict[str, Callable[[str, bool], Ledger]] = {
    "sqlite": _sqlite,
    "postgresql": _postgresql,
    "postgres": _postgresql,
}


def open_ledger(url: str, *, lazy: bool = False) -> Ledger:
    """The ledger at ``url`` (``sqlite:///path``, or a plain file path for SQLite).
    ``lazy``: a database server that is down now is connected to when it answers."""
    scheme = url.split("://", 1)[0].split("+", 1)[0] if "://" in url else "sqlite"
    opener = _STORES.get(scheme)
    if opener is None:
        raise LedgerError(
            f"unsupported ledger URL scheme {scheme!r}",
            hint=f"use one of: {', '.join(sorted(_STORES))}",
        )
    return opener(url, lazy)

"""Ledger stores: where every model call's usage and cost is written."""

from tierwise.store.base import Ledger, LedgerRow, LedgerTotals
from tierwise.store.factory import open_ledger

__all__ = ["Ledger", "LedgerRow", "LedgerTotals", "open_ledger"]

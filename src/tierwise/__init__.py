"""tierwise: run Claude on Amazon Bedrock with the right tier for every request.

``import tierwise`` is light: it loads no boto3 and no web stack. Adapters load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tierwise.core.pricing import Cost, Rates, Usage, price
from tierwise.core.tiers import Tier
from tierwise.errors import (
    AccessDeniedError,
    ConfigError,
    ExhaustedError,
    InvalidRequestError,
    LedgerError,
    ModelAccessDeniedError,
    ModelNotAvailableError,
    ThrottledError,
    TierwiseError,
    UnavailableError,
    UpstreamError,
)

if TYPE_CHECKING:
    from tierwise.client import AsyncTierwise, Tierwise
    from tierwise.config import Settings, load_settings

__all__ = [
    "AccessDeniedError",
    "AsyncTierwise",
    "ConfigError",
    "Cost",
    "ExhaustedError",
    "InvalidRequestError",
    "LedgerError",
    "ModelAccessDeniedError",
    "ModelNotAvailableError",
    "Rates",
    "Settings",
    "ThrottledError",
    "Tier",
    "Tierwise",
    "TierwiseError",
    "UnavailableError",
    "UpstreamError",
    "Usage",
    "__version__",
    "load_settings",
    "price",
]

__version__ = "0.1.0"

_LAZY = {
    "AsyncTierwise": "tierwise.client",
    "Tierwise": "tierwise.client",
    "Settings": "tierwise.config",
    "load_settings": "tierwise.config",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tierwise' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)

"""A Redis namespace of a test's own: a unique ``[cache_state] key_prefix`` on a shared test
database, whose keys alone are deleted afterwards (other lanes' and tests' keys in the same
database are left alone; a FLUSHDB would wipe them mid-run)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True)
class RedisNamespace:
    url: str
    key_prefix: str

    @property
    def overrides(self) -> dict[str, Any]:
        """The settings that put a client's cache state in this namespace."""
        return {"cache_state.url": self.url, "cache_state.key_prefix": self.key_prefix}

    def keys(self) -> list[bytes]:
        import redis

        with redis.Redis.from_url(self.url) as client:
            return list(client.scan_iter(match=f"{self.key_prefix}:*", count=1000))

    def clear(self) -> None:
        """Delete this namespace's keys, and only them."""
        import redis

        with redis.Redis.from_url(self.url) as client:
            found = list(client.scan_iter(match=f"{self.key_prefix}:*", count=1000))
            if found:
                client.delete(*found)


def redis_running() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        if os.environ.get("TIERWISE_CI"):
            raise
        return False


@contextmanager
def redis_namespace(url: str) -> Iterator[RedisNamespace]:
    """A fresh namespace on ``url`` (skips the test when Redis is not running), cleared after."""
    if not redis_running():
        pytest.skip("Redis is not running on 127.0.0.1:6379 (CI runs it)")
    # hex only: no glob characters, so the SCAN pattern matches this namespace alone
    space = RedisNamespace(url, f"tierwise-test:{uuid.uuid4().hex}")
    try:
        yield space
    finally:
        space.clear()

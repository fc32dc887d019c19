"""PostgreSQL for tests: a throwaway schema per test; skip locally, fail in CI, when absent."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG_ADMIN = os.environ.get("TIERWISE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def in_ci() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("TIERWISE_CI"))


@contextmanager
def pg_schema_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped afterwards."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except Exception as exc:  # psycopg missing or server down
        message = f"PostgreSQL not reachable at {PG_ADMIN}: {exc}"
        if in_ci():
            pytest.fail(f"{message} (CI must run the PostgreSQL tests)")
        pytest.skip(message)
    schema = f"tw_{uuid.uuid4().hex[:12]}"
    admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_ADMIN}?options=-csearch_path%3D{schema}"
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()

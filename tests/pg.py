"""PostgreSQL for tests: a throwaway schema per test on the shared server, or a throwaway
cluster of the test's own (for outages); skip locally, fail in CI, when absent."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from live_server import free_port

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


class Cluster:
    """A PostgreSQL server of this test's own (never the machine's shared one), which the
    test may stop and start at will."""

    def __init__(self, bindir: Path, base: Path, port: int, as_postgres: list[str]) -> None:
        self.bindir, self.base, self.port, self.as_postgres = bindir, base, port, as_postgres
        self.data = base / "data"
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.as_postgres, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
        )  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-o", options, "-l", str(self.base / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "-w", "stop")


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """initdb + pg_ctl under a temporary directory; stopped and removed afterwards."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [
        p for p in [shutil.which("initdb")] if p
    ]
    if not found:
        if in_ci():
            pytest.fail("initdb not found (CI must run the ledger outage test)")
        pytest.skip("initdb not found")
    bindir = Path(found[-1]).parent
    base = Path(tempfile.mkdtemp(prefix="tw-pg-", dir="/tmp"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        as_postgres = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
    port = free_port()
    cluster = Cluster(bindir, base, port, as_postgres)
    try:
        subprocess.run(
            [*as_postgres, str(bindir / "initdb"), "-D", str(cluster.data), "-U", "postgres",
             "-A", "trust", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120,
        )  # fmt: skip
        cluster.start()
        yield cluster
    finally:
        with suppress(Exception):
            cluster.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)

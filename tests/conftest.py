"""Shared fixtures: fresh hermetic kernels, a clock tests move by hand, PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from kernel import Context, Kernel
from kernel.testing import ManualClock as FakeClock


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path_factory, monkeypatch) -> None:
    """No test writes to the real user data directory (the CLI's default session store)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def kernel(clock: FakeClock, tmp_path) -> Iterator[Kernel]:
    with Kernel(config={"file": {"root": str(tmp_path)}}, clock=clock, load_entrypoints=False) as k:
        yield k


@pytest.fixture
def ctx(kernel: Kernel) -> Context:
    return kernel.context()


@pytest.fixture
def pg_url() -> str:
    """The PostgreSQL URL for tests. Unset: skipped (a laptop without PostgreSQL).
    Set (as .ci/run does) but unreachable: the test fails."""
    url = os.environ.get("ROC_TEST_PG_URL")
    if not url:
        pytest.skip("ROC_TEST_PG_URL is not set")
    return url


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[str]:
    """A PostgreSQL store URL in a fresh schema, dropped afterwards (parallel runs and
    other tests never see each other's tables)."""
    import psycopg

    schema = "roc_test_" + secrets.token_hex(6)
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{pg_url}{'&' if '?' in pg_url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")

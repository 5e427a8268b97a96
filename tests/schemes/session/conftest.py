"""Session fixtures: every behaviour runs on in-memory SQLite, a SQLite file and
PostgreSQL (a fresh schema per test, so parallel runs never collide)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kernel import Kernel, hookimpl
from schemes.session import SessionScheme


class Recorder:
    """A plugin that records the session lifecycle hooks."""

    def __init__(self) -> None:
        self.created: list[tuple[str, str | None]] = []
        self.ended: list[tuple[str, str]] = []

    @hookimpl
    def roc_session_created(self, uri: str, user: str | None) -> None:
        self.created.append((uri, user))

    @hookimpl
    def roc_session_ended(self, uri: str, reason: str) -> None:
        self.ended.append((uri, reason))


@pytest.fixture(params=["memory", "file", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "memory":
        return "sqlite://"
    if request.param == "file":
        return f"sqlite:///{tmp_path / 'sessions.db'}"
    return str(request.getfixturevalue("pg_store"))


@pytest.fixture(params=["file", "postgresql"])
def shared_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A store several kernels (or processes) can share."""
    if request.param == "file":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return str(request.getfixturevalue("pg_store"))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_kernel(store_url: str, clock, recorder: Recorder) -> Iterator[Callable[..., Kernel]]:
    """Kernels on this test's store, with the fake clock, hooks recorded, no evictor
    unless asked for; all closed at the end."""
    kernels: list[Kernel] = []

    def make(**session: Any) -> Kernel:
        config = {"store": store_url, "sweep_interval": 0, **session}
        k = Kernel(
            config={"session": config}, clock=clock, plugins=[recorder], load_entrypoints=False
        )
        kernels.append(k)
        return k

    yield make
    for k in kernels:
        k.close()


@pytest.fixture
def sk(make_kernel: Callable[..., Kernel]) -> Kernel:
    return make_kernel()


@pytest.fixture
def sctx(sk: Kernel):
    return sk.context()


def handler(k: Kernel) -> SessionScheme:
    return k.schemes["session"].obj  # type: ignore[no-any-return]

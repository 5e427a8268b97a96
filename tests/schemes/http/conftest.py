"""HTTP fixtures: the test site in-process (Starlette's TestClient over asgi_app) and
behind real ``roc serve`` processes on 127.0.0.1."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from kernel import Kernel, Response, hookimpl
from schemes.http import asgi_app

from .server import Server

SITE = Path(__file__).parent / "site"

from starlette.testclient import TestClient  # noqa: E402


class Values:
    """A plugin with accessors the site's Python routes use."""

    @hookimpl
    def roc_accessors(self) -> dict[str, Any]:
        def value(request: Any, ctx: Any) -> Any:
            kind = ctx.source("arg:kind", str)
            page = ET.fromstring("<html><body><p>hi</p><br/></body></html>")
            return {
                "text": "héllo",
                "bytes": b"\x00\x01",
                "json": {"a": [1, 2.5, None, True]},
                "none": None,
                "html": page,
                "xml": ET.fromstring("<doc><x/></doc>"),
                "mime": Response("a,b\n", mime="text/csv"),
                "nan": float("nan"),
            }[kind]

        def boom(request: Any, ctx: Any) -> Any:
            raise RuntimeError("a bug with session:" + "AB" * 16 + " in it")

        def args(request: Any, ctx: Any) -> Any:
            return sorted(request.arguments or {})

        def principal(request: Any, ctx: Any) -> Any:
            return {"principal": request.principal}

        def forge(request: Any, ctx: Any) -> Any:
            """What a hostile script could store: a login record naming another user."""
            own = ctx.source("httpRequest:/session")
            record = {"user": "admin", "session": own}
            if ctx.exists("httpRequest:/param/direct"):
                ctx.sink(own + "+key@roc.http.login", record)
            else:
                ctx.sink("session:/roc.http.login", record)
            return own

        return {"value": value, "boom": boom, "args": args, "principal": principal, "forge": forge}


def site_config(root: Path, **http: Any) -> dict[str, Any]:
    """The site's roc.toml as a config dict, rooted at ``root`` (store in memory)."""
    with open(SITE / "roc.toml", "rb") as f:
        config = tomllib.load(f)
    config["file"]["root"] = str(root)
    config["session"] = {"store": "sqlite://", "sweep_interval": 0}
    config["http"]["routes"] += [
        {"match": "/value/(\\w+)", "to": "active:value+kind@data:,$1"},
        {"match": "/boom", "to": "active:boom"},
        {"match": "/app/py/args", "to": "active:args"},
        {"match": "/app/py/principal", "to": "active:principal"},
        {"match": "/app/py/forge", "to": "active:forge"},
        {
            "match": "/outside/(?P<script>[a-z]+)",
            "to": "active:dpml+operand@file:scripts/${script}.idoc",
        },
        {"match": "/plain/args", "to": "active:args"},
        {"match": "/req/(.*)", "to": "active:source+operand@httpRequest:/$1"},
        {"match": "/app/req/(.*)", "to": "active:source+operand@httpRequest:/$1"},
        {"match": "/data/(.*)", "to": "active:source+operand@data:,$1"},
        {"match": "/only-put", "to": "data:,x", "methods": ["PUT"]},
    ]
    config["http"].update(http)
    return config


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    return root


@pytest.fixture
def make_client(site: Path, clock: Any) -> Iterator[Callable[..., TestClient]]:
    """``make_client(**http_options, session={...})``: a TestClient on a fresh kernel."""
    kernels: list[Kernel] = []

    def make(session: dict[str, Any] | None = None, **http: Any) -> TestClient:
        config = site_config(site, **http)
        config["session"].update(session or {})
        k = Kernel(config=config, plugins=[Values()], clock=clock, load_entrypoints=False)
        kernels.append(k)
        return TestClient(asgi_app(k), base_url="http://testserver")

    yield make
    for k in kernels:
        k.close()


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One ``roc serve`` of the site (config from its roc.toml, relative paths) per module."""
    root = tmp_path_factory.mktemp("served") / "site"
    shutil.copytree(SITE, root)
    with Server(root / "roc.toml") as server:
        yield server

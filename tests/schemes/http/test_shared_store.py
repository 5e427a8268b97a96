"""Two ``roc serve`` processes on one store (a SQLite file, PostgreSQL): a client that
alternates between them keeps one session through login, writes and logout."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from .conftest import SITE
from .server import Server


@pytest.fixture(params=["sqlite-file", "postgresql"])
def store(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite-file":
        return "sqlite:///shared.db"  # relative: beside the config file
    return str(request.getfixturevalue("pg_store"))


def test_a_client_alternates_between_two_servers(tmp_path: Path, store: str):
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    config = root / "roc.toml"
    text = config.read_text().replace('store = "sqlite:///sessions.db"', f'store = "{store}"')
    config.write_text(text)
    with Server(config) as a, Server(config) as b:
        cookies = httpx.Cookies()

        def get(server: Server, path: str, **kw) -> httpx.Response:
            with httpx.Client(base_url=server.url, cookies=cookies, timeout=30) as c:
                r = c.request(kw.pop("method", "GET"), path, **kw)
                cookies.update(c.cookies)
                return r

        assert get(a, "/app/put?value=one").text == "one"
        assert get(b, "/app/get").text == "one"
        assert get(b, "/app/setkey?key=second&value=2").text == "2"
        login = get(a, "/app/login", method="POST", data={"user": "erin"})
        assert login.json()["user"] == "erin"
        assert get(b, "/app/whoami").json()["user"] == "erin"
        assert sorted(get(b, "/app/whoami").json()["keys"]) == ["second", "value"]
        assert get(a, "/app/get").text == "one"
        assert get(b, "/app/logout").json() is True
        assert get(a, "/app/whoami").status_code == 404
        assert get(a, "/app/get").status_code == 404
    if store.startswith("sqlite"):
        assert (root / "shared.db").exists()

"""The example shop (examples/web) through asgi_app: every page and the whole visit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kernel import Kernel
from kernel.cli import kernel_from_options
from schemes.http import asgi_app

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "web"


@pytest.fixture
def shop(tmp_path: Path):
    from starlette.testclient import TestClient

    root = tmp_path / "web"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("*.db*"))
    kernel: Kernel = kernel_from_options(str(root / "roc.toml"))
    try:
        yield TestClient(asgi_app(kernel), follow_redirects=False)
    finally:
        kernel.close()


def test_pages_and_types(shop):
    assert shop.get("/").headers["content-type"] == "text/html; charset=utf-8"
    assert shop.get("/static/style.css").headers["content-type"] == "text/css; charset=utf-8"
    assert "javascript" in shop.get("/static/shop.js").headers["content-type"]
    missing = shop.get("/no/such/page")
    assert missing.status_code == 404 and "Nothing here" in missing.text
    assert missing.headers["content-type"] == "text/html; charset=utf-8"
    assert shop.get("/static/../roc.toml").status_code == 404  # not a static name
    assert shop.delete("/cart").status_code == 405


def test_a_visit_cart_login_logout(shop):
    assert shop.get("/api/cart").text == "{}"
    assert shop.get("/api/me").text == ""
    assert "set-cookie" not in shop.get("/api/cart").headers  # looking costs nothing
    r = shop.post("/cart", data={"apple": "2", "pear": "0", "plum": "5"})
    assert r.status_code == 303 and r.headers["location"] == "/"
    first = r.cookies["roc_session"]
    assert shop.get("/api/cart").json() == {"apple": ["2"], "pear": ["0"], "plum": ["5"]}
    r = shop.post("/login", data={"name": "ada"})
    assert r.status_code == 303 and r.cookies["roc_session"] != first
    assert shop.get("/api/me").text == "ada"
    assert shop.get("/api/cart").json()["plum"] == ["5"]
    r = shop.post("/logout")
    assert r.status_code == 303 and "Max-Age=0" in r.headers["set-cookie"]
    assert shop.get("/api/me").text == "" and shop.get("/api/cart").text == "{}"
    assert shop.post("/login", data={"name": ""}).status_code == 400

"""Routes: matching, substitution without injection, methods, verbs, 413."""

from __future__ import annotations

import pytest

from kernel import ConfigError, Kernel
from schemes.http import asgi_app


def test_first_matching_route_wins_and_static_files_get_their_type(client):
    r = client.get("/static/style.css")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/css; charset=utf-8"
    assert r.text == "body { color: #333; }\n"
    assert client.get("/static/dot.png").headers["content-type"] == "image/png"
    assert client.get("/static/data.json").headers["content-type"].startswith("application/json")
    assert client.get("/static/page.html").headers["content-type"] == "text/html; charset=utf-8"


def test_no_route_is_404_and_the_match_is_over_the_whole_path(client):
    assert client.get("/nothing/here").status_code == 404
    assert client.get("/echoes").status_code == 404  # /echo does not match a prefix
    r = client.get("/xstatic/style.css")
    assert r.status_code == 404
    assert r.text == "404 Not Found: nothing is served at /xstatic/style.css\n"


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/data/a%2Bb%40c", "a+b@c"),  # + and @ reach data: as text, not as arguments
        ("/data/100%25", "100%"),
        ("/data/x+operand@file:roc.toml", "x+operand@file:roc.toml"),
        ("/data/caf%C3%A9", "café"),
    ],
)
def test_captured_text_is_decoded_then_escaped_never_an_argument(client, path, expected):
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert r.content == expected.encode()


def test_a_path_cannot_add_arguments_or_change_the_scheme(client):
    # a named group in the URI's argument list: the path tries to smuggle "+operand@..."
    r = client.get("/app/py%2Boperand%40file:roc/args")
    assert r.status_code == 404  # [a-z]+ does not match; nothing else ran
    r = client.get("/req/method%2Boperand%40file:roc.toml")
    assert r.status_code == 400  # httpRequest:/method+operand@... is not a part it has
    assert "roc.toml" not in r.text or "offers" in r.text
    r = client.get("/static/..%2F..%2F..%2Fetc%2Fpasswd")
    assert r.status_code == 403  # decoded to ../, and file: keeps to its root
    r = client.get("/static/%2Fetc%2Fpasswd")  # file:static//etc/passwd, under the root
    assert r.status_code == 404 and "root:" not in r.text


def test_non_utf8_path_is_400(client):
    r = client.get("/data/%FF%FE")
    assert r.status_code == 400
    assert r.text.count("\n") == 1
    assert client.get("/data/a%00b").status_code == 400


def test_methods_and_405_with_allow(client):
    r = client.delete("/echo?name=x")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, POST"
    assert client.post("/echo", data={"name": "x"}).text == "x"
    r = client.get("/only-put")
    assert r.status_code == 405 and r.headers["allow"] == "PUT"
    assert client.put("/only-put").text == "x"


def test_source_verbs_get_head_post_all_source(client):
    assert client.get("/echo?name=a").text == "a"
    assert client.post("/echo?name=b").text == "b"
    head = client.head("/echo?name=abc")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == "3"


def test_rest_verbs(client, site):
    r = client.put("/files/note.txt", content=b"hello")
    assert r.status_code == 204
    assert (site / "data" / "note.txt").read_bytes() == b"hello"
    assert client.get("/files/note.txt").content == b"hello"
    assert client.get("/files/note.txt").headers["content-type"] == "text/plain; charset=utf-8"
    assert client.head("/files/note.txt").status_code == 200
    assert client.head("/files/other.txt").status_code == 404
    r = client.post("/files/new.txt", content=b"made")
    assert r.status_code == 201 and r.text == "file:data/new.txt"
    assert client.post("/files/new.txt", content=b"again").status_code == 500  # exists
    assert client.delete("/files/note.txt").status_code == 204
    assert client.delete("/files/note.txt").status_code == 404
    assert client.get("/files/note.txt").status_code == 404
    assert client.patch("/files/new.txt").status_code == 405


def test_body_over_max_body_is_413_and_nothing_is_written(client, site):
    r = client.put("/files/big.bin", content=b"x" * 4097)
    assert r.status_code == 413
    assert r.text.startswith("413 Content Too Large:") and r.text.count("\n") == 1
    assert not (site / "data" / "big.bin").exists()

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(10):
            yield b"y" * 1000

    assert client.put("/files/big.bin", content=chunks()).status_code == 413
    assert not (site / "data" / "big.bin").exists()
    assert client.put("/files/ok.bin", content=b"x" * 4096).status_code == 204


@pytest.mark.parametrize(
    "routes, message",
    [
        ([{"match": "(", "to": "data:,x"}], "not a regular expression"),
        ([{"match": "/a", "to": "data:,$1"}], "has 0 groups"),
        ([{"match": "/(?P<a>x)", "to": "data:,${b}"}], "no group of that name"),
        ([{"match": "/a", "to": "data:,x", "verbs": "all"}], "verbs must be"),
        ([{"match": "/a", "to": "data:,x", "methods": "GET"}], "methods must be"),
        ([{"match": "/a", "to": "data:,x", "colour": 1}], "unknown key 'colour'"),
        ([{"match": "/a"}], "needs match"),
    ],
)
def test_bad_routes_are_config_errors_at_start(routes, message):
    with pytest.raises(ConfigError, match=message):
        Kernel(config={"http": {"routes": routes}}, load_entrypoints=False)


def test_bad_zones_are_config_errors_at_start():
    for zone, message in [
        ({"path": "app"}, "path must be"),
        ({"path": "/", "cookie": "a b"}, "cookie must be"),
        ({"path": "/", "secure": "yes"}, "secure must be"),
        ({"path": "/", "idle": -1}, "idle must be"),
    ]:
        with pytest.raises(ConfigError, match=message):
            Kernel(config={"http": {"sessions": [zone]}}, load_entrypoints=False)


def test_asgi_app_with_no_routes_answers_404():
    from starlette.testclient import TestClient

    with Kernel(load_entrypoints=False) as k:
        assert TestClient(asgi_app(k)).get("/").status_code == 404

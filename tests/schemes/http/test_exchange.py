"""The request and the response as resources, rendering and errors."""

from __future__ import annotations

import json
import logging

import pytest

from kernel import Kernel, Response, hookimpl
from schemes.http import asgi_app

from .conftest import site_config


def test_every_httprequest_uri(client):
    url = "/req/method?x=1&x=2&y="
    assert client.get(url).text == "GET"
    assert client.post("/req/path").text == "/req/path"
    assert client.get("/req/query?a=1&b=%20").text == "a=1&b=%20"
    assert client.get("/req/url?q=1").text == "http://testserver/req/url?q=1"
    assert client.get("/req/param/x?x=1&x=2").text == "1"
    assert client.post("/req/param/f", data={"f": "form"}).text == "form"
    assert client.get("/req/param/missing").status_code == 404
    assert client.get("/req/params?x=1&x=2&y=").json() == {"x": ["1", "2"], "y": [""]}
    assert client.post("/req/params?q=1", data={"f": "v"}).json() == {"q": ["1"], "f": ["v"]}
    assert client.get("/req/header/X-Thing", headers={"x-thing": "v"}).text == "v"
    assert client.get("/req/header/x-thing", headers={"X-THING": "v"}).text == "v"
    assert client.get("/req/cookie/c", headers={"cookie": "c=choc; d=x"}).text == "choc"
    assert client.get("/req/cookie/c").status_code == 404
    body = client.post("/req/body", content=b"\x00raw\xff")
    assert body.content == b"\x00raw\xff"
    assert body.headers["content-type"] == "application/octet-stream"
    r = client.get("/req/nonsense")
    assert r.status_code == 400 and "httpRequest: offers" in r.text


def test_multipart_forms_go_through_starlette(client):
    r = client.post("/req/param/a", data={"a": "1"}, files={"up": ("f.txt", b"data")})
    assert r.text == "1"
    assert client.post("/req/param/a", files={"a": ("f.bin", b"\x01\x02")}).content == b"\x01\x02"


def test_exists_of_params_headers_and_session(make_client):
    client = make_client(
        routes=[
            {"match": "/e/(.*)", "to": "active:exists+operand@httpRequest:/$1"},
            {"match": "/z/e/(.*)", "to": "active:exists+operand@httpRequest:/$1"},
        ],
        sessions=[{"path": "/z"}],
    )
    assert client.get("/e/param/a?a=").json() is True
    assert client.get("/e/param/b?a=").json() is False
    assert client.get("/e/header/host").json() is True
    assert client.get("/e/header/x-none").json() is False
    assert client.get("/e/session").json() is False  # not in a zone
    assert client.get("/z/e/session").json() is False  # no session yet, and none made
    assert "set-cookie" not in client.get("/z/e/session").headers


def test_httpresponse_code_header_cookie_and_content_type(client):
    r = client.get("/app/respond")
    assert r.status_code == 202
    assert r.headers["x-roc-test"] == "yes"
    assert r.headers["content-type"] == "application/vnd.roc+xml"  # sunk: wins
    assert r.text == "<done />"
    cookies = r.headers.get_list("set-cookie")
    assert "fruit=plum; Path=/; SameSite=Lax; HttpOnly" in cookies


def test_redirect_is_303_unless_a_code_was_set(make_client):
    client = make_client(
        routes=[{"match": "/go", "to": "active:dpml+operand@file:scripts/redirect.idoc"}]
    )
    r = client.get("/go", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/next"


def test_response_uris_read_back_and_refuse_bad_values(make_client, site):
    (site / "scripts" / "bad.idoc").write_text(
        "<idoc><instr><type>copy</type><operand><v>a\nb</v></operand>"
        "<target>httpResponse:/header/X-Bad</target></instr></idoc>"
    )
    (site / "scripts" / "back.idoc").write_text(
        "<idoc><seq><instr><type>copy</type><operand><c>404</c></operand>"
        "<target>httpResponse:/code</target></instr>"
        "<instr><type>copy</type><operand>httpResponse:/code</operand>"
        "<target>this:response</target></instr></seq></idoc>"
    )
    client = make_client()
    r = client.get("/app/bad")
    assert r.status_code == 500 and "X-Bad" not in r.headers
    r = client.get("/app/back")
    assert r.status_code == 404 and r.json() == 404


@pytest.mark.parametrize(
    "kind, content_type, body",
    [
        ("text", "text/plain; charset=utf-8", "héllo".encode()),
        ("bytes", "application/octet-stream", b"\x00\x01"),
        ("json", "application/json", b'{"a":[1,2.5,null,true]}'),
        ("none", "application/json", b"null"),
        (
            "html",
            "text/html; charset=utf-8",
            b"<!DOCTYPE html>\n<html><body><p>hi</p><br></body></html>",
        ),
        ("xml", "application/xml", b"<doc><x /></doc>"),
        ("mime", "text/csv; charset=utf-8", b"a,b\n"),
    ],
)
def test_rendering_and_content_types(client, kind, content_type, body):
    r = client.get(f"/value/{kind}")
    assert r.status_code == 200
    assert r.headers["content-type"] == content_type
    assert r.content == body
    head = client.head(f"/value/{kind}")
    assert head.content == b"" and head.headers["content-length"] == str(len(body))
    assert head.headers["content-type"] == content_type


def test_error_statuses_one_line_each(client, make_client, caplog):
    cases = {
        "/nothing": 404,  # no route
        "/unknown": 404,  # UnresolvedURI: a route to an unknown scheme
        "/static/missing.css": 404,  # ResourceNotFound
        "/static/..%2F..%2Fx": 403,  # AccessDenied
        "/req/bogus": 400,  # MalformedURI
        "/value/nan": 415,  # UnsupportedRepresentation
        "/raise": 500,  # a script that raises
        "/boom": 500,  # a Python bug in an accessor
    }
    for path, status in cases.items():
        r = client.get(path)
        assert r.status_code == status, (path, r.text)
        assert r.text.endswith("\n") and r.text.count("\n") == 1, path
        assert "Traceback" not in r.text
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert client.put("/echo").status_code == 405
    rest = make_client(routes=[{"match": "/d", "to": "data:,x", "verbs": "rest"}])
    assert rest.put("/d", content=b"x").status_code == 405  # VerbNotSupported


def test_500_is_logged_with_an_id_the_body_repeats_and_no_session_id(client, caplog):
    caplog.set_level(logging.ERROR, logger="roc.http")
    r = client.get("/boom")
    assert r.status_code == 500
    error_id = r.text.split("error id ")[1].rstrip(")\n")
    assert len(error_id) == 8
    logged = [rec.getMessage() for rec in caplog.records if rec.name == "roc.http"]
    assert len(logged) == 1 and error_id in logged[0]
    assert "AB" * 16 not in logged[0] and "ABABABAB" not in logged[0]
    assert "Traceback" not in logged[0] and "\n" not in logged[0]
    assert "RuntimeError" in logged[0]
    assert "ABAB" not in r.text and "bug" not in r.text  # a 500 says nothing of its cause


def test_a_script_error_keeps_its_status_through_dpml(client):
    r = client.get("/echo")  # the script sources a parameter that was not given
    assert r.status_code == 404
    assert "httpRequest:/param/name" in r.text


def test_json_body_values_for_rest_of_types(client):
    assert json.loads(client.get("/value/json").text) == {"a": [1, 2.5, None, True]}


def test_the_server_survives_bad_input_in_process(client):
    assert client.get("/echo?name=%FF").status_code == 400
    r = client.post(
        "/echo",
        content=b"name=%FF%FE",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 400
    r = client.post(
        "/echo", content=b"\xff=1", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 400
    r = client.post(
        "/echo",
        content=b"--x\r\nbroken",
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert r.status_code in (400, 404) and r.text.count("\n") == 1  # no field came through
    big = {"x-big": "a" * 70_000}
    assert client.get("/echo?name=a", headers=big).status_code == 431
    assert client.get("/echo?name=ok").text == "ok"


class CookieJar:
    """An accessor that sets, reads back and unsets parts of the response."""

    @hookimpl
    def roc_accessors(self):
        def cookies(request, ctx):
            prefs = {"value": "dark", "max_age": 60, "path": "/c", "same_site": "strict"}
            ctx.sink("httpResponse:/cookie/prefs", prefs)
            ctx.sink("httpResponse:/cookie/gone", "x")
            ctx.sink("httpResponse:/header/X-Gone", "x")
            assert ctx.exists("httpResponse:/cookie/gone")
            assert ctx.delete("httpResponse:/cookie/gone")
            assert ctx.delete("httpResponse:/header/X-Gone")
            assert not ctx.exists("httpResponse:/header/X-Gone")
            assert not ctx.exists("httpResponse:/code")
            return ctx.source("httpResponse:/cookie/prefs")

        return {"cookies": cookies}


def test_cookie_dicts_read_back_and_delete(site):
    from starlette.testclient import TestClient

    config = site_config(site)
    config["http"]["routes"] = [{"match": "/c", "to": "active:cookies"}]
    with Kernel(config=config, plugins=[CookieJar()], load_entrypoints=False) as k:
        r = TestClient(asgi_app(k)).get("/c")
    assert r.status_code == 200
    assert r.headers.get_list("set-cookie") == [
        "prefs=dark; Path=/c; SameSite=Strict; Max-Age=60; HttpOnly"
    ]
    assert "x-gone" not in r.headers
    assert r.json()["value"] == "dark"


def test_headers_only_carry_what_http_can(site):
    from starlette.testclient import TestClient

    class Odd:
        @hookimpl
        def roc_accessors(self):
            def odd(request, ctx):
                kind = ctx.source("arg:kind", str)
                if kind == "euro":
                    ctx.sink("httpResponse:/header/X-Price", "5 €")
                elif kind == "redirect":
                    ctx.sink("httpResponse:/redirect", "/café?q=1")
                return Response("x", mime="text/plain\r\nX-Evil: 1")

            return {"odd": odd}

    config = site_config(site)
    config["http"]["routes"] = [{"match": "/(\\w+)", "to": "active:odd+kind@data:,$1"}]
    with Kernel(config=config, plugins=[Odd()], load_entrypoints=False) as k:
        client = TestClient(asgi_app(k), follow_redirects=False)
        assert client.get("/euro").status_code == 500
        r = client.get("/redirect")
        assert r.status_code == 303 and r.headers["location"] == "/caf%C3%A9?q=1"
        r = client.get("/plain")
        assert r.headers["content-type"] == "text/plain; charset=utf-8"
        assert "x-evil" not in r.headers

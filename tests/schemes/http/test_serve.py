"""``roc serve`` as a real process on 127.0.0.1: the printed address, config paths, bad
input on the wire, concurrency, and a graceful stop."""

from __future__ import annotations

import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from .server import Server


def raw(url: str, data: bytes) -> bytes:
    """Send ``data`` on a fresh connection and read the reply's first line and headers."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(data)
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
        return reply


def status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def test_serves_the_site_with_paths_relative_to_its_config(served: Server):
    assert "http://127.0.0.1:" in served.stderr
    with served.client() as client:
        assert client.get("/static/style.css").headers["content-type"] == "text/css; charset=utf-8"
        r = client.get("/app/put?value=v")
        assert r.status_code == 200 and "roc_session" in client.cookies
        assert client.get("/app/get").text == "v"
        head = client.head("/static/style.css")
        assert head.content == b"" and head.headers["content-length"] == "22"
        r = client.delete("/echo")
        assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD, POST"
        assert client.put("/files/a.txt", content=b"rest").status_code == 204
        assert client.get("/files/a.txt").text == "rest"
    site = Path(served.config).parent
    assert (site / "sessions.db").exists()  # sqlite:///sessions.db beside roc.toml


def test_bad_input_on_the_wire_leaves_the_server_alive(served: Server):
    url = served.url
    assert status(raw(url, b"GET /data/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n")) == 400
    assert status(raw(url, b"GET /data/%FF HTTP/1.1\r\nHost: x\r\n\r\n")) == 400
    huge = b"GET /echo?name=a HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"
    assert status(raw(url, huge)) in (400, 431)
    many = b"GET /echo?name=a HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 20_000 + b"\r\n"
    assert status(raw(url, many)) in (400, 431)
    # a declared body over max_body is refused before it is sent
    big = b"PUT /files/x.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n"
    reply = raw(url, big)
    assert status(reply) == 413
    cookie = b"GET /app/get HTTP/1.1\r\nHost: x\r\nCookie: roc_session=\xff\x00;;=\r\n\r\n"
    assert status(raw(url, cookie)) in (400, 404)
    form = (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 8\r\n\r\nname=\xff\xfe\xfd"
    )
    assert status(raw(url, form)) == 400
    with served.client() as client:
        r = client.get("/raise")
        assert r.status_code == 500 and r.text.count("\n") == 1
        error_id = r.text.split("error id ")[1][:8]
        deadline = time.monotonic() + 10
        while error_id not in served.stderr and time.monotonic() < deadline:
            time.sleep(0.02)  # bounded: the log line arrives through a pipe
        logged = [line for line in served.stderr.splitlines() if error_id in line]
        assert len(logged) == 1 and "ERROR roc.http" in logged[0], served.stderr
        r = client.get("/unknown")
        assert r.status_code == 404 and r.text.count("\n") == 1
        assert client.get("/echo?name=alive").text == "alive"
        assert client.put("/files/x.bin", content=b"x" * 5000).status_code == 413
        assert client.get("/files/x.bin").status_code == 404  # nothing half-written


def test_concurrent_writers_of_different_keys_lose_nothing(served: Server):
    with served.client() as client:
        client.get("/app/put?value=start")
        cookies = dict(client.cookies)

    def write(i: int) -> int:
        with served.client(cookies=cookies) as c:
            return c.get(f"/app/setkey?key=k{i}&value={i}").status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(write, range(24))) == [200] * 24
    with served.client(cookies=cookies) as client:
        keys = client.get("/app/whoami").json()["keys"]
    assert sorted(keys) == sorted([f"k{i}" for i in range(24)] + ["value"])


def test_a_logout_racing_writers_is_never_undone(served: Server):
    with served.client() as client:
        client.get("/app/put?value=start")
        cookies = dict(client.cookies)
    go = threading.Barrier(9)

    def write(i: int) -> int:
        with served.client(cookies=cookies) as c:
            go.wait(10)
            return c.get(f"/app/setkey?key=k{i}&value={i}").status_code

    def logout() -> int:
        with served.client(cookies=cookies) as c:
            go.wait(10)
            return c.get("/app/logout").status_code

    with ThreadPoolExecutor(9) as pool:
        writers = [pool.submit(write, i) for i in range(8)]
        assert pool.submit(logout).result() == 200
        results = [w.result() for w in writers]
    assert all(code in (200, 404, 500) for code in results)  # before, or refused
    with served.client(cookies=cookies) as client:
        assert client.get("/app/whoami").status_code == 404  # ended, and stays ended
        r = client.get("/app/setkey?key=later&value=1")
        assert r.cookies.get("roc_session") not in (None, cookies["roc_session"])


def _slow_put(url: str, result: list[bytes], sent_half: threading.Event, go_on: threading.Event):
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 13\r\n\r\nname=in"
        )
        sent_half.set()
        go_on.wait(30)
        s.sendall(b"flight")
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
        result.append(reply)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_lets_requests_in_flight_finish_then_exits_0(tmp_path: Path, sig):
    import shutil

    from .conftest import SITE

    shutil.copytree(SITE, tmp_path / "site")
    server = Server(tmp_path / "site" / "roc.toml")
    result: list[bytes] = []
    sent_half, go_on = threading.Event(), threading.Event()
    t = threading.Thread(target=_slow_put, args=(server.url, result, sent_half, go_on))
    t.start()
    assert sent_half.wait(30)
    with httpx.Client(base_url=server.url) as c:  # the server has read the headers
        assert c.get("/echo?name=x").text == "x"
    server.proc.send_signal(sig)
    deadline = time.monotonic() + 30
    host, port = server.url.removeprefix("http://").split(":")
    while time.monotonic() < deadline:  # bounded polling: until it stops accepting
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
        except OSError:
            break
        time.sleep(0.05)
    go_on.set()
    t.join(30)
    assert server.wait() == 0
    assert result and result[0].startswith(b"HTTP/1.1 200") and result[0].endswith(b"inflight")
    assert "Traceback" not in server.stderr


def test_workers_share_one_store_file(tmp_path: Path):
    import shutil

    from .conftest import SITE

    shutil.copytree(SITE, tmp_path / "site")
    with Server(tmp_path / "site" / "roc.toml", "--workers", "2") as server:
        with server.client() as client:
            for i in range(6):
                assert client.get(f"/app/setkey?key=k{i}&value={i}").status_code == 200
            assert len(client.get("/app/whoami").json()["keys"]) == 6
        assert server.stop() == 0


def test_bad_config_is_one_line_and_exit_1(tmp_path: Path):
    config = tmp_path / "roc.toml"
    config.write_text('[[http.routes]]\nmatch = "("\nto = "data:,x"\n')
    server_stderr = ""
    import subprocess

    from .server import ROC

    done = subprocess.run(
        [*ROC, "serve", "--port", "0", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    server_stderr = done.stderr
    assert done.returncode == 1
    assert server_stderr.count("\n") == 1 and "not a regular expression" in server_stderr

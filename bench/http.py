"""http: a session-backed DPML page under ``roc serve`` against Starlette's signed-cookie
sessions on uvicorn and Flask-Session (SQLAlchemy on a SQLite file) on waitress.

Every server answers ``/page?v=N`` by reading session key ``seen`` (the previous request's
``v``) and writing ``v`` to it; roc's
page is a DPML script behind a route in an ``[[http.sessions]]`` zone, its store a SQLite
file in WAL mode. One client drives all three the same way: a closed loop of 8 keep-alive
connections on 127.0.0.1 sharing one cookie jar (so one session per server), a fixed
number of requests per sample, each sample bounded in time. Reported: seconds per request
(1 / throughput), requests/s and the p99 latency of each, and the ratios the targets name.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .harness import Case, scenario

CONNECTIONS = 8
REQUESTS = 400  # per sample
SAMPLE_TIMEOUT = 60.0
_COOKIE = re.compile(rb"^set-cookie:\s*([^=;\s]+)=([^;\r\n]*)", re.I | re.M)
_LENGTH = re.compile(rb"^content-length:\s*(\d+)", re.I | re.M)
LATENCIES: dict[str, list[float]] = {}

PAGE = """<idoc>
  <seq>
    <instr><type>copy</type><operand>session:/seen</operand><target>var:seen</target></instr>
    <exception><instr><type>copy</type><operand>data:,none</operand><target>var:seen</target></instr></exception>
  </seq>
  <instr><type>copy</type><operand>httpRequest:/param/v</operand><target>session:/seen</target></instr>
  <instr><type>copy</type><operand>var:seen</operand><target>this:response</target></instr>
</idoc>
"""
CONFIG = """[file]
root = "."
[session]
store = "sqlite:///roc-sessions.db"
sweep_interval = 0
[[http.sessions]]
path = "/"
[[http.routes]]
match = "/page"
to = "active:dpml+operand@file:page.idoc"
methods = ["GET"]
"""


class Client:
    """One client: ``CONNECTIONS`` keep-alive connections and one cookie jar, on an event
    loop of its own thread."""

    def __init__(self, port: int, label: str) -> None:
        self.port, self.label = port, label
        self.cookies: dict[bytes, bytes] = {}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.conns = self._call(self._connect())
        self.sent = 0
        LATENCIES[label] = []

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(SAMPLE_TIMEOUT)

    async def _connect(self) -> list[Any]:
        return [await asyncio.open_connection("127.0.0.1", self.port) for _ in range(CONNECTIONS)]

    async def _one(self, reader: Any, writer: Any, v: int) -> None:
        cookie = b"; ".join(k + b"=" + val for k, val in self.cookies.items())
        head = b"GET /page?v=%d HTTP/1.1\r\nHost: 127.0.0.1\r\n" % v
        if cookie:
            head += b"Cookie: " + cookie + b"\r\n"
        writer.write(head + b"\r\n")
        headers = await reader.readuntil(b"\r\n\r\n")
        if not headers.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"{self.label}: {headers[:60]!r}")
        length = _LENGTH.search(headers)
        if length is None:
            raise RuntimeError(f"{self.label}: no Content-Length")
        await reader.readexactly(int(length.group(1)))
        for name, value in _COOKIE.findall(headers):
            self.cookies[name] = value

    async def _load(self, n: int) -> float:
        left = [n]
        latencies = LATENCIES[self.label]

        async def worker(reader: Any, writer: Any) -> None:
            while left[0] > 0:
                left[0] -= 1
                self.sent += 1
                start = time.perf_counter()
                await self._one(reader, writer, self.sent)
                latencies.append(time.perf_counter() - start)

        start = time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(*(worker(r, w) for r, w in self.conns)), SAMPLE_TIMEOUT
        )
        return time.perf_counter() - start

    def run(self, n: int) -> float:
        return self._call(self._load(n))

    def warm(self) -> None:
        """The first request makes the session and its cookie; a few more warm caches."""
        self._call(self._one(*self.conns[0], 0))
        self.run(50)
        LATENCIES[self.label].clear()

    def close(self) -> None:
        async def shut() -> None:
            for _, writer in self.conns:
                writer.close()

        self._call(shut())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def _start(command: list[str], cwd: Path, pattern: str) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    for line in proc.stdout:
        found = re.search(pattern, line)
        if found:
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # drain
            return proc, int(found.group(1))
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise RuntimeError(f"{command[:4]} did not start")


def _p99(label: str) -> float:
    values = sorted(LATENCIES.get(label, []))
    return values[min(len(values) - 1, int(len(values) * 0.99))] if values else float("nan")


ROC, STARLETTE, FLASK = (
    "roc serve (DPML page, session: on SQLite)",
    "Starlette SessionMiddleware (signed cookie)",
    "Flask-Session (SQLAlchemy, SQLite) on waitress",
)


def _derive(medians: dict[str, float]) -> list[str]:
    lines = []
    for label, per in medians.items():
        lines.append(f"{label}: {1 / per:8.0f} req/s, p99 {_p99(label) * 1000:6.2f} ms")
    roc = 1 / medians[ROC]
    lines.append(f"roc / Flask-Session throughput: {roc * medians[FLASK]:.2f}x (target >= 2x)")
    lines.append(f"roc / Starlette throughput: {roc * medians[STARLETTE]:.2f}x (target >= 0.5x)")
    lines.append(f"{CONNECTIONS} keep-alive connections, {REQUESTS} requests per sample")
    return lines


@scenario("http", derive=_derive)
def http() -> Iterator[list[Case]]:
    """A session-backed page: roc serve vs Starlette SessionMiddleware vs Flask-Session."""
    import flask_session  # noqa: F401  (the peers' packages, named if missing)
    import itsdangerous  # noqa: F401
    import waitress  # noqa: F401

    procs: list[subprocess.Popen[str]] = []
    clients: list[Client] = []
    with tempfile.TemporaryDirectory(prefix="roc-bench-http-") as tmp:
        folder = Path(tmp)
        (folder / "roc.toml").write_text(CONFIG)
        (folder / "page.idoc").write_text(PAGE)
        env_python = sys.executable
        try:
            roc_cmd = [env_python, "-c", "from kernel.cli import main; main()"]
            peer = [env_python, "-m", "bench._http_peer"]
            here = Path(__file__).resolve().parents[1]
            servers = [
                (
                    ROC,
                    [*roc_cmd, "serve", "--port", "0", "--config", "roc.toml"],
                    r"http://[\d.]+:(\d+)",
                ),
                (STARLETTE, [*peer, "starlette"], r"PORT (\d+)"),
                (FLASK, [*peer, "flask", tmp], r"PORT (\d+)"),
            ]
            os.environ.setdefault("PYTHONPATH", str(here))
            for label, command, pattern in servers:
                proc, port = _start(command, folder, pattern)
                procs.append(proc)
                client = Client(port, label)
                clients.append(client)
                client.warm()
            yield [Case(c.label, c.run, fixed_n=REQUESTS) for c in clients]
        finally:
            for client in clients:
                client.close()
            for proc in procs:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()

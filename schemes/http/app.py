"""The ASGI 3 application: read in the event loop, serve on a bounded thread pool.

The kernel is synchronous, so each request's kernel work (session lookup, the target,
rendering) runs as one call on a worker thread, at most ``http.threads`` at once; the
event loop only reads requests and writes replies. A client that goes away does not cut
a request short: its thread finishes, so nothing is left half-written.
"""

from __future__ import annotations

from typing import Any

from kernel import Kernel, KernelError

from .config import site
from .dispatch import Reply, error_reply, serve
from .reading import raw_path, read
from .routes import find, target
from .workers import Workers

__all__ = ["App", "asgi_app"]


class App:
    """ASGI app for one kernel, configured from its ``http`` table."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.site = site(kernel.config["http"])
        self._workers: Workers | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        method = scope["method"]
        path = scope.get("path", "/")
        try:
            sent, path = raw_path(scope)
            route, match = find(self.site.routes, sent, method)
            uri = target(route, match)
            incoming = await read(scope, receive, path, self.site.max_body)
        except KernelError as e:
            reply = error_reply(e, method, path)
            if self.site.zone(path) is not None:
                reply.headers.append(("vary", "Cookie"))
            await _send(send, reply, method)
            return
        if self._workers is None:  # made on first use: an app that never serves starts nothing
            self._workers = Workers(self.site.threads, "roc-http")
            self.kernel.on_close(self._workers.close)
        zone = self.site.zone(path)
        reply = await self._workers.run(serve, self.kernel, route, uri, incoming, zone)
        await _send(send, reply, method)


async def _send(send: Any, reply: Reply, method: str) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
    headers.append((b"content-length", str(len(reply.body)).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else reply.body})


async def _lifespan(receive: Any, send: Any) -> None:
    """The kernel belongs to whoever made it (``roc serve`` closes its own)."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def asgi_app(kernel: Kernel) -> App:
    """An ASGI 3 application serving ``kernel`` as its ``http`` config table describes."""
    return App(kernel)

"""``roc serve``: the kernel's ``http`` table on uvicorn.

One process serves with the kernel it built; ``--workers N`` starts N processes (uvicorn's
supervisor), each building its own kernel from the same config, so sessions are shared
only through a shared store (a SQLite file or PostgreSQL). SIGINT or SIGTERM lets
requests in flight finish, closes the kernel, and exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

import click

from kernel import KernelError
from kernel.cli import kernel_from_options

if TYPE_CHECKING:  # roc --help loads no kernel
    from kernel import Kernel

__all__ = ["serve_command", "worker_app"]

_CONFIG_ENV = "ROC_SERVE_CONFIG"


class Served:
    """The app plus its kernel's lifetime: the kernel closes at lifespan shutdown."""

    def __init__(self, kernel: Kernel) -> None:
        from .app import asgi_app

        self.kernel = kernel
        self.app = asgi_app(kernel)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        import anyio.to_thread

        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await anyio.to_thread.run_sync(self.kernel.close)
                await send({"type": "lifespan.shutdown.complete"})
                return


def worker_app() -> Served:
    """The app of one ``--workers`` process (uvicorn imports this by name)."""
    return Served(kernel_from_options(os.environ.get(_CONFIG_ENV) or None))


@click.command("serve")
@click.option("--config", type=click.Path(dir_okay=False), help="TOML config file.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="0: any free port.",
)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True)
def serve_command(config: str | None, host: str, port: int, workers: int) -> None:
    """Serve the application that the config's [http] table describes."""
    import uvicorn

    if not logging.getLogger().handlers:  # errors (a 500's id, a failing hook) on stderr
        logging.basicConfig(
            level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    kernel = kernel_from_options(config)  # a bad config fails here, in one line
    if workers > 1:
        kernel.close()  # each worker builds its own
        os.environ[_CONFIG_ENV] = os.path.abspath(config) if config else ""
        app: Any = "schemes.http.serve:worker_app"
    else:
        app = Served(kernel)
    settings = uvicorn.Config(
        app,
        host=host,
        port=port,
        workers=workers,
        factory=workers > 1,
        lifespan="on",
        log_level="warning",
        access_log=False,
        server_header=False,
    )
    try:
        sock = settings.bind_socket()
    except SystemExit:  # uvicorn logs why (address in use) and exits 1
        kernel.close()
        raise KernelError(f"cannot listen on {host}:{port}") from None
    sock.listen(settings.backlog)  # connections queue from now on, before workers start
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    announce = f"roc: serving on http://{shown}:{bound} (Ctrl-C to stop)"
    # uvicorn re-raises the signal that stopped it once it has shut down; with these
    # handlers in place that only ends the wait, and the kernel still closes: exit 0
    stops = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in stops}
    try:
        if workers > 1:
            from uvicorn.supervisors import Multiprocess

            _say(announce)
            Multiprocess(settings, sockets=[sock]).run()
        else:
            _Server(settings, announce).run(sockets=[sock])
    finally:
        sock.close()
        kernel.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _Server(settings: Any, announce: str) -> Any:  # noqa: N802 - reads as the class it makes
    """uvicorn's Server, announcing the address once it accepts connections."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                _say(announce)

    return Server(settings)

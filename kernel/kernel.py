"""The kernel: owns plugins, config, clock, registries and background work."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import uri
from .cache import Cache
from .config import load_toml, resolve
from .context import Context
from .dispatch import Dispatcher
from .errors import KernelError
from .plugins import PluginManager, Provided, collect, declared_config, make_plugin_manager
from .transrept import Transreptors

__all__ = ["Kernel"]


class Kernel:
    """A resource-oriented computing kernel.

    ``config`` holds one table per scheme; ``plugins`` are modules or objects with
    ``@hookimpl`` functions; ``clock`` returns epoch seconds and drives every time-based
    behaviour; ``load_entrypoints=False`` keeps the kernel hermetic.
    """

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        plugins: Iterable[Any] = (),
        clock: Callable[[], float] = time.time,
        load_entrypoints: bool = True,
    ) -> None:
        self.clock = clock
        self._closed = False
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._workers: list[threading.Thread] = []
        self._closers: list[Callable[[], None]] = []
        self.plugin_manager: PluginManager = make_plugin_manager(plugins, load_entrypoints)
        self.hook = self.plugin_manager.hook
        pm = self.plugin_manager

        self.config = resolve(config, declared_config(pm))

        args = {"kernel": self}
        try:  # whatever started before a failure (threads, sockets) is closed again
            self.accessors: Mapping[str, Provided] = collect(
                pm, "roc_accessors", args, "accessor", uri.valid_name
            )
            self._closers += _closers_of(self.accessors)
            self.schemes: Mapping[str, Provided] = collect(
                pm, "roc_schemes", args, "scheme", uri.valid_scheme
            )
            self._closers += _closers_of(self.schemes)
            converters = {
                pair: p.obj
                for pair, p in collect(pm, "roc_transreptors", args, "transreptor").items()
            }
        except BaseException:
            self.close()
            raise
        self.transreptors = Transreptors(converters)
        self.dispatcher = Dispatcher({name: p.obj for name, p in self.schemes.items()})
        dispatcher = self.dispatcher
        self.cache = Cache(
            self.config["cache"]["max_entries"], clock, dispatcher.tables, dispatcher.declared
        )

    @classmethod
    def from_toml(cls, path: str | Path, **kwargs: Any) -> Kernel:
        """A kernel configured from a TOML file (one table per scheme)."""
        return cls(config=load_toml(path), **kwargs)

    def context(self, principal: str | None = None) -> Context:
        """A context whose requests carry ``principal``."""
        if self._closed:
            raise KernelError("this kernel is closed; create a new Kernel")
        return Context(self, principal)

    def on_close(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` when the kernel closes (stop threads, release stores)."""
        self._closers.append(callback)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``fn(*args)`` on the kernel's worker pool (``kernel.workers`` threads)."""
        with self._lock:
            if self._closed:
                raise KernelError("this kernel is closed; create a new Kernel")
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.config["kernel"]["workers"],
                    thread_name_prefix="roc",
                    initializer=self._worker_started,
                )
            return self._executor.submit(fn, *args)

    def _worker_started(self) -> None:
        with self._lock:
            self._workers.append(threading.current_thread())

    def close(self) -> None:
        """Stop background work and release stores. Safe to call twice, and from a
        request_async worker (which then waits for every worker but itself)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            executor, self._executor = self._executor, None
        errors = []
        # Handlers first: closing them wakes workers blocked on their resources (a chan
        # stream read inside request_async), so the pool below can then drain.
        for close in reversed(self._closers):
            try:
                close()
            except Exception as e:  # one failing closer must not keep others open
                errors.append(e)
        if executor is not None:
            me = threading.current_thread()
            with self._lock:
                others = [worker for worker in self._workers if worker is not me]
                on_worker = len(others) < len(self._workers)
            executor.shutdown(wait=not on_worker, cancel_futures=True)
            for worker in others if on_worker else ():  # a thread cannot join itself
                worker.join()
        if errors:
            raise errors[0]

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Kernel {state}, schemes: {', '.join(sorted(self.schemes))}>"


def _closers_of(registered: Mapping[Any, Provided]) -> list[Callable[[], None]]:
    closers = [getattr(p.obj, "close", None) for p in registered.values()]
    return [close for close in closers if callable(close)]

"""The threads that run the kernel's synchronous work for the event loop.

``ThreadPoolExecutor`` through ``run_in_executor`` chains a ``concurrent.futures`` future
to an asyncio one for every call; here a job is a queue entry and its answer one
``call_soon_threadsafe``, which is what a request per millisecond notices. At most
``threads`` jobs run at once; the rest wait in the queue, in order.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any

__all__ = ["Workers"]

_STOP = object()


class Workers:
    """``threads`` daemon threads, started on first use; ``close()`` lets queued jobs
    finish and joins them."""

    def __init__(self, threads: int, name: str) -> None:
        self.threads, self.name = threads, name
        self._jobs: SimpleQueue[Any] = SimpleQueue()
        self._started: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on a worker thread; its result (or exception) here.
        RuntimeError once the workers are closed (no thread would take the job)."""
        if self._closed:
            raise RuntimeError("the workers are closed")
        if not self._started:
            self._start()
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._jobs.put((loop, future, fn, args))
        return await future

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the workers are closed")
            while len(self._started) < self.threads:
                thread = threading.Thread(
                    target=self._work, name=f"{self.name}_{len(self._started)}", daemon=True
                )
                thread.start()
                self._started.append(thread)

    def _work(self) -> None:
        get = self._jobs.get
        while True:
            job = get()
            if job is _STOP:
                return
            loop, future, fn, args = job
            try:
                result, error = fn(*args), None
            except BaseException as e:  # handed to the awaiting coroutine
                result, error = None, e
            try:
                loop.call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:  # that loop has closed: nobody is waiting any more
                pass

    def close(self, wait: float = 30.0) -> None:
        """Take no more jobs; let the queued ones finish, waiting ``wait`` seconds at most
        in all: a job that never returns (a blocked read) must not keep a server from
        stopping. Threads still busy then are daemons and end with the process."""
        with self._lock:
            self._closed = True
            started = list(self._started)
        for _ in started:
            self._jobs.put(_STOP)
        deadline = time.monotonic() + wait
        for thread in started:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)

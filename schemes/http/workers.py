"""The threads that run the kernel's synchronous work for the event loop.

``ThreadPoolExecutor`` through ``run_in_executor`` chains a ``concurrent.futures`` future
to an asyncio one for every call; here a job is a queue entry and its answer one
``call_soon_threadsafe``, which is what a request per millisecond notices.

How many run at once: Python threads take turns holding the GIL at every database call,
so two threads busy with quick, CPU-bound jobs serve fewer requests than one (README "The
web transport"). The first thread therefore runs the jobs, in order, while they keep it
on the CPU. Spare threads (up to ``threads`` in all) help with the queue only while the
first one is busy *and* waiting: its current job has run for ``alone_for`` seconds (a
stream, a lock, a slow service), or its jobs spend most of their time off the CPU (a
database across the network), where running them side by side is what helps.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Callable
from queue import Empty, SimpleQueue
from typing import Any

__all__ = ["Workers", "ALONE_FOR", "WAITING"]

_STOP = object()
_HELP = object()
#: seconds the first thread runs one job before spare threads take the jobs behind it
ALONE_FOR = 0.001
#: the share of their time the first thread's jobs spend off the CPU (averaged) above
#: which jobs run side by side
WAITING = 0.5

Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], Any]


class Workers:
    """Up to ``threads`` daemon threads, started on first use; ``close()`` lets queued
    jobs finish and joins them."""

    def __init__(self, threads: int, name: str, alone_for: float = ALONE_FOR) -> None:
        self.threads, self.name, self.alone_for = threads, name, alone_for
        self._jobs: SimpleQueue[Any] = SimpleQueue()  # every job, in order
        self._help: SimpleQueue[Any] = SimpleQueue()  # wakes a spare thread to help
        self._started: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False
        self._since: float | None = None  # when the first thread's current job began
        self._waiting = 0.0  # the share of a job's time spent off the CPU, averaged
        #: the loops a check is due on (weakly: a loop that ends is let go)
        self._checking: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
        self._idle = 0  # spare threads waiting to be woken (under _lock)
        self._called = 0  # of them, woken and not yet up (under _lock)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on a worker thread; its result (or exception) here.
        RuntimeError once the workers are closed (no thread would take the job)."""
        if not self._started:
            self._start()
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with self._lock:  # close() sets _closed under it, then queues _STOP: none behind it
            if self._closed:
                raise RuntimeError("the workers are closed")
            self._jobs.put((loop, future, fn, args))
        if self.threads > 1:
            if self._since is not None and self._waiting > WAITING:
                self._call_for_help()
            if loop not in self._checking:
                self._checking.add(loop)
                loop.call_later(self.alone_for, self._check, loop)
        return await future

    def _check(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the loop, every ``alone_for`` while jobs wait: is help wanted now (the first
        thread stuck since the last look)?"""
        self._checking.discard(loop)
        if self._closed or self._jobs.empty():
            return
        if self._wanted():
            self._call_for_help()
        self._checking.add(loop)
        loop.call_later(self.alone_for, self._check, loop)

    def _call_for_help(self) -> None:
        """Wake a spare thread, if one is idle and not already being woken."""
        with self._lock:
            if self._called >= self._idle:
                return
            self._called += 1
        self._help.put(_HELP)

    def _stuck(self) -> bool:
        since = self._since
        return since is not None and time.monotonic() - since >= self.alone_for

    def _wanted(self) -> bool:
        """Should spare threads take jobs now?"""
        return self._since is not None and (self._waiting > WAITING or self._stuck())

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the workers are closed")
            while len(self._started) < self.threads:
                index = len(self._started)
                thread = threading.Thread(
                    target=self._spare if index else self._first,
                    name=f"{self.name}_{index}",
                    daemon=True,
                )
                thread.start()
                self._started.append(thread)

    def _first(self) -> None:
        get, clock, cpu = self._jobs.get, time.monotonic, time.thread_time
        while True:
            job = get()
            if job is _STOP:
                return
            self._since = start = clock()
            used = cpu()
            _do(job)
            wall, used = clock() - start, cpu() - used
            self._since = None
            if wall > 0:
                self._waiting += (max(0.0, 1.0 - used / wall) - self._waiting) / 16
                if self._waiting > WAITING and not self._jobs.empty():
                    self._call_for_help()  # jobs that wait: the ones queued run side by side

    def _spare(self) -> None:
        """Woken to help: take jobs from the queue for as long as help is wanted; at
        close, until the queue is empty."""
        wake, lock = self._help.get, self._lock
        while True:
            with lock:
                self._idle += 1
            token = wake()
            with lock:
                self._idle -= 1
                if token is _HELP:
                    self._called -= 1
            if token is _STOP:
                self._drain(lambda: True)
                return
            self._drain(self._wanted)

    def _drain(self, wanted: Callable[[], bool]) -> None:
        jobs = self._jobs
        while wanted():
            try:
                job = jobs.get_nowait()
            except Empty:
                return
            if job is _STOP:  # the first thread's
                jobs.put(job)
                return
            _do(job)

    def close(self, wait: float = 30.0) -> None:
        """Take no more jobs; let the queued ones finish (the spare threads help),
        waiting ``wait`` seconds at most in all: a job that never returns (a blocked read)
        must not keep a server from stopping. Threads still busy then are daemons and end
        with the process."""
        with self._lock:
            self._closed = True
            started = list(self._started)
        if started:
            self._jobs.put(_STOP)
            for _ in started[1:]:
                self._help.put(_STOP)
        deadline = time.monotonic() + wait
        for thread in started:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))


def _do(job: Job) -> None:
    loop, future, fn, args = job
    try:
        result, error = fn(*args), None
    except BaseException as e:  # handed to the awaiting coroutine
        result, error = None, e
    try:
        loop.call_soon_threadsafe(_settle, future, result, error)
    except RuntimeError:  # that loop has closed: nobody is waiting any more
        pass


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)

"""The loop thread: one asyncio loop on one background thread per kernel, and the bridge
from user threads to it (run a coroutine and wait; schedule a call; stop).

A user's call is registered under the lock ``stop`` takes, so every call is either refused
(the kernel is closing) or cancelled by the stop: no thread waits forever on a loop that
has ended.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from kernel.errors import KernelError

from ..errors import ChanError, ChannelClosed

__all__ = ["LoopThread"]


def _closed() -> ChannelClosed:
    return ChannelClosed("chan: is closed: its kernel was closed")


class LoopThread:
    """An event loop running on its own daemon thread, until :meth:`stop`."""

    def __init__(self, name: str, log: logging.Logger) -> None:
        self.log = log
        self.stopping = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._calls: set[concurrent.futures.Future[Any]] = set()  # user threads waiting
        self._lock = threading.Lock()  # stopping and _calls change together
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        tasks = asyncio.all_tasks(self.loop)
        for task in tasks:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        with self._lock:  # a shutdown that timed out may have left callers waiting
            for call in self._calls:
                call.cancel()
        self.loop.close()

    def call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coro`` on the loop and wait for it (from a user thread)."""
        with self._lock:
            if self.stopping:
                coro.close()
                raise _closed()
            future = asyncio.run_coroutine_threadsafe(coro, self.loop)
            self._calls.add(future)
        try:
            return future.result()
        except concurrent.futures.CancelledError:  # the kernel closed while we waited
            raise _closed() from None
        except KernelError:
            raise
        except RuntimeError as e:  # the loop ended under the call
            if self.stopping:
                raise _closed() from None
            raise ChanError(f"chan: the network failed ({e})") from None
        except Exception as e:  # a peer answered with something unforeseen
            raise ChanError(f"chan: a protocol error with the peer ({type(e).__name__})") from None
        finally:
            with self._lock:
                self._calls.discard(future)

    def call_soon(self, fn: Callable[[], Any]) -> None:
        try:
            self.loop.call_soon_threadsafe(fn)
        except RuntimeError:  # the loop has stopped: the kernel is closing
            pass

    def later(self, delay: float, fn: Callable[[], Any]) -> Any:
        return None if self.stopping else self.loop.call_later(delay, fn)

    def now(self) -> float:
        return self.loop.time()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def stop(self, shutdown: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        """Run ``shutdown()`` on the loop (cancelling every task and waiting call first),
        then end the thread. Safe to call twice, and from the loop's own thread."""
        with self._lock:
            if self.stopping:
                return
            self.stopping = True
        if threading.current_thread() is not self._thread:
            try:
                asyncio.run_coroutine_threadsafe(self._stopped(shutdown), self.loop).result(5)
            except Exception as e:  # a stuck peer must not keep the kernel from closing
                self.log.warning("chan: the network did not shut down cleanly: %r", e)
        self.call_soon(self.loop.stop)
        if threading.current_thread() is not self._thread:
            self._thread.join(5)

    async def _stopped(self, shutdown: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        for task in list(self._tasks):
            task.cancel()
        with self._lock:
            calls = list(self._calls)
        for call in calls:  # a user's connect or send waiting on a silent peer
            call.cancel()
        await shutdown()

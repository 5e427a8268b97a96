"""The evictor: one background thread per kernel that sweeps expired sessions.

It waits ``interval`` real seconds between sweeps (expiry itself is judged by the kernel
clock inside the sweep), can be woken early with :meth:`Evictor.kick`, survives a failing
sweep (logged, retried next time) and stops when the kernel closes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["Evictor"]

log = logging.getLogger("roc.session")

STOP_TIMEOUT = 5.0


class Evictor:
    """Calls ``sweep()`` every ``interval`` seconds on a daemon thread until stopped."""

    def __init__(self, sweep: Callable[[], int], interval: float) -> None:
        self._sweep = sweep
        self._interval = interval
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="roc-session-evictor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def kick(self) -> None:
        """Sweep now rather than at the end of the current wait."""
        self._wake.set()

    def stop(self, timeout: float = STOP_TIMEOUT) -> bool:
        """Ask the thread to end and wait up to ``timeout`` seconds for a sweep in progress
        (a database may hang); False, logged, if it is still running: it is a daemon thread
        and ends with the process."""
        self._stopping = True
        self._wake.set()
        thread = self._thread
        if thread is threading.current_thread() or thread.ident is None:
            return True
        thread.join(timeout)
        if thread.is_alive():
            log.warning("session evictor still sweeping %s s after close; left to finish", timeout)
            return False
        return True

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            if self._stopping:
                return
            try:
                self._sweep()
            except Exception:  # the store may be briefly unreachable; try again next time
                if self._stopping:  # the kernel closed under this sweep: nothing to report
                    return
                log.exception("session sweep failed; retrying in %s s", self._interval)

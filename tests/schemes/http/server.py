"""A ``roc serve`` subprocess for tests: started, its printed address read, stopped."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx

ROC = [sys.executable, "-c", "from kernel.cli import main; main()"]
_ADDRESS = re.compile(r"http://[\w.\[\]:]+:(\d+)")
START_TIMEOUT = 30


class Server:
    """``roc serve --config CONFIG --port 0`` on 127.0.0.1; ``.url``, ``.client()``,
    ``.stop()`` (SIGTERM) -> exit code; ``.stderr`` holds what it printed."""

    def __init__(self, config: Path | None, *args: str, env: dict[str, str] | None = None):
        self.config = config
        command = [*ROC, "serve", "--port", "0", *args]
        if config is not None:
            command += ["--config", str(config)]
        self.stderr = ""
        self.proc = subprocess.Popen(
            command,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "ROC_NO_PLUGINS": "1", **(env or {})},
            cwd=str(config.parent.parent) if config is not None else None,
        )
        self._ready = threading.Event()
        self.url = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(START_TIMEOUT) or not self.url:
            self.stop()
            raise RuntimeError(f"roc serve did not start: {self.stderr}")

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr += line
            if not self.url:
                found = _ADDRESS.search(line)
                if found:
                    self.url = f"http://127.0.0.1:{found.group(1)}"
                    self._ready.set()
        self._ready.set()  # ended without an address

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._reader.join(5)
        return code

    def wait(self, timeout: float = 30) -> int:
        """The exit code, once the process has ended by itself."""
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

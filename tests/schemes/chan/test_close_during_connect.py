"""Kernel.close() while a remote connect is waiting on a silent peer: a typed error."""

from __future__ import annotations

import socket
import threading

from kernel import Kernel
from schemes.chan import ChannelClosed


def test_close_during_a_remote_connect_raises_a_kernel_error():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    silent.settimeout(10)
    port = silent.getsockname()[1]
    kernel = Kernel(
        config={"chan": {"heartbeat": 0.1, "suspect_after": 5.0}}, load_entrypoints=False
    )
    ctx = kernel.context()
    a = ctx.new("chan:null")
    outcome: list[BaseException | None] = []

    def connect():
        try:
            ctx.sink(f"{a}/peer", f"chan://127.0.0.1:{port}/{'A' * 32}")
            outcome.append(None)
        except BaseException as e:  # recorded and asserted below
            outcome.append(e)

    worker = threading.Thread(target=connect)
    worker.start()
    conn, _ = silent.accept()  # the connect is under way and will hear nothing back
    try:
        kernel.close()
        worker.join(timeout=10)
        assert not worker.is_alive()
        assert len(outcome) == 1 and isinstance(outcome[0], ChannelClosed), outcome
        assert "kernel was closed" in str(outcome[0])
    finally:
        conn.close()
        silent.close()

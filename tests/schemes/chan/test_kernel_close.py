"""Kernel.close() while a request_async worker is blocked reading a channel."""

from __future__ import annotations

import threading

from kernel import Kernel, Request, Verb, hookimpl
from schemes.chan import ChannelClosed


class NextMessage:
    """``next:chan:ID`` blocks until the instance receives a message."""

    def __init__(self):
        self.waiting = threading.Event()

    def source(self, request, ctx):
        stream = ctx.source(request.uri.partition(":")[2] + "/messages")
        self.waiting.set()
        return stream.get()


class Plugin:
    def __init__(self):
        self.handler = NextMessage()

    @hookimpl
    def roc_schemes(self):
        return {"next": self.handler}


def test_close_wakes_a_blocked_async_worker_and_returns():
    plugin = Plugin()
    kernel = Kernel(plugins=[plugin], load_entrypoints=False)
    ctx = kernel.context()
    uri = ctx.new("chan:null")
    future = ctx.request_async(Request(Verb.SOURCE, f"next:{uri}"))
    assert plugin.handler.waiting.wait(timeout=10)
    closer = threading.Thread(target=kernel.close)
    closer.start()
    closer.join(timeout=10)
    assert not closer.is_alive(), "Kernel.close() hung on a blocked worker"
    error = future.exception(timeout=10)
    assert isinstance(error, ChannelClosed)

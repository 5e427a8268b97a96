"""chan: messages per second from one thread to another, against queue.SimpleQueue."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from queue import SimpleQueue

from kernel import Kernel

from .harness import Case, scenario


def two_threads(send: Callable[[int], None], receive: Callable[[int], None]):
    """A case body: ``send(n)`` here while another thread does ``receive(n)``; the time
    runs from the first send to the last receive."""

    def run(n: int) -> float:
        done = threading.Event()

        def reader() -> None:
            receive(n)
            done.set()

        thread = threading.Thread(target=reader)
        thread.start()
        start = time.perf_counter()
        send(n)
        done.wait()
        elapsed = time.perf_counter() - start
        thread.join()
        return elapsed

    return run


FLOOR = "queue.SimpleQueue put/get  [floor]"
QUEUE_GET = "queue.SimpleQueue put/get(timeout=5)"
ITERATE = "chan: ctx.sink(A) -> iterate B/messages"
GET = "chan: ctx.sink(A) -> B/messages.get(timeout=5)"


def targets(medians: dict[str, float]) -> list[str]:
    floor = medians[FLOOR]
    return [
        f"ctx.sink -> iterate = {floor / medians[ITERATE]:.3f}x SimpleQueue (target >= 0.1x)",
        f"ctx.sink -> get(timeout) = {floor / medians[GET]:.3f}x SimpleQueue (target >= 0.1x); "
        f"{medians[QUEUE_GET] / medians[GET]:.3f}x SimpleQueue.get(timeout)",
    ]


@scenario("chan", "one thread to another: chan: (ctx.sink, Stream) vs queue.SimpleQueue", targets)
def chan() -> Iterator[list[Case]]:
    kernel = Kernel(config={"chan": {"max_pending": 10**8}}, load_entrypoints=False)
    ctx = kernel.context()
    a, b = ctx.new("chan:null"), ctx.new("chan:null")
    ctx.sink(f"{a}/peer", b)
    messages = ctx.source(f"{b}/messages")

    queue: SimpleQueue[int] = SimpleQueue()

    def queue_send(n: int) -> None:
        put = queue.put
        for i in range(n):
            put(i)

    def queue_receive(n: int) -> None:
        get = queue.get
        for _ in range(n):
            get()

    def queue_get(n: int) -> None:
        get = queue.get
        for _ in range(n):
            get(timeout=5)

    def chan_send(n: int) -> None:
        sink = ctx.sink
        for i in range(n):
            sink(a, i)

    def stream_receive(n: int) -> None:
        for _, _ in zip(range(n), messages, strict=False):
            pass

    def stream_get(n: int) -> None:  # as most programs read: one get, with a timeout, each
        get = messages.get
        for _ in range(n):
            get(timeout=5)

    instance = kernel.schemes["chan"].obj.instance(a)

    def instance_send(n: int) -> None:  # chan's own path, without the kernel's dispatch
        send = instance.send
        for i in range(n):
            send(i)

    side = ctx.source(f"{b}/free")

    def stream_send(n: int) -> None:  # the stream alone, without the kernel in front
        put = side.put
        for i in range(n):
            put(i)

    def side_receive(n: int) -> None:
        for _, _ in zip(range(n), side, strict=False):
            pass

    try:
        yield [
            Case(FLOOR, two_threads(queue_send, queue_receive)),
            Case(QUEUE_GET, two_threads(queue_send, queue_get)),
            Case(ITERATE, two_threads(chan_send, stream_receive)),
            Case(GET, two_threads(chan_send, stream_get)),
            Case(
                "Instance.send(A) -> iterate B/messages", two_threads(instance_send, stream_receive)
            ),
            Case("Stream.put -> iterate", two_threads(stream_send, side_receive)),
        ]
    finally:
        kernel.close()

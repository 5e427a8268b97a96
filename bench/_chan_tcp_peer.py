"""The other process of bench/chan_tcp.py: ``python -m bench._chan_tcp_peer MODE``.

MODE is ``raw`` (asyncio streams, the framing chan: uses), ``zmq`` (a PAIR socket) or
``chan`` (a listening kernel). Each prints where to reach it, then drops every message
except ``"sync"`` (answered ``"done"``: all before it arrived) and ``"ping"`` (``"pong"``).
"""

from __future__ import annotations

import asyncio
import json
import struct
import sys

HEAD = struct.Struct(">IB")
ANSWERS = {"sync": "done", "ping": "pong"}


def frame(value: object) -> bytes:
    body = json.dumps(value).encode()
    return HEAD.pack(len(body), 8) + body


async def raw() -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            length, _ = HEAD.unpack(await reader.readexactly(5))
            answer = ANSWERS.get(json.loads(await reader.readexactly(length)))
            if answer:
                writer.write(frame(answer))

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def zmq() -> None:
    import zmq as z

    sock = z.Context().socket(z.PAIR)
    port = sock.bind_to_random_port("tcp://127.0.0.1")
    print(port, flush=True)
    while True:
        answer = ANSWERS.get(json.loads(sock.recv()))
        if answer:
            sock.send(json.dumps(answer).encode())


def chan() -> None:
    from kernel import Kernel

    config = {
        "chan": {
            "listen": "127.0.0.1:0",
            "heartbeat": 0.1,
            "suspect_after": 0.5,
            "max_pending": 10**8,
        }
    }
    with Kernel(config=config, load_entrypoints=False) as kernel:
        ctx = kernel.context()
        me = ctx.new("chan:null")
        print(ctx.source(f"{me}/address"), flush=True)
        for message in ctx.source(f"{me}/messages"):
            answer = ANSWERS.get(message) if isinstance(message, str) else None
            if answer:
                ctx.sink(me, answer)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "raw":
        asyncio.run(raw())
    elif mode == "zmq":
        zmq()
    else:
        chan()

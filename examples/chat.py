"""Two threads chatting through a chan: gate, in one process.

A server thread waits at a gate; every client that connects gets its own server-side
session, announced on the gate's ``sessions`` stream. Run: ``python examples/chat.py``.
"""

from __future__ import annotations

import threading

from kernel import Context, Kernel


def server(ctx: Context, gate: str) -> None:
    """Answer every client, one after the other, until the gate closes."""
    for session in ctx.source(f"{gate}/sessions"):
        for message in ctx.source(f"{session}/messages"):
            if message["text"] == "bye":
                ctx.sink(session, {"from": "server", "text": f"bye, {message['from']}"})
                ctx.delete(session)  # the client sees "disconnect"; this loop ends
            else:
                ctx.sink(session, {"from": "server", "text": message["text"].upper()})


def client(ctx: Context, gate: str, name: str, lines: list[str]) -> None:
    me = ctx.new("chan:null")
    ctx.sink(f"{me}/peer", gate)  # the gate spawns a server-side session for us
    replies, events = ctx.source(f"{me}/messages"), ctx.source(f"{me}/link")
    print(f"{name}: link {events.get(timeout=5)}")
    for line in [*lines, "bye"]:
        ctx.sink(me, {"from": name, "text": line})
        reply = replies.get(timeout=5)
        print(f"{name}: said {line!r}, {reply['from']} answered {reply['text']!r}")
    print(f"{name}: link {events.get(timeout=5)}")
    ctx.delete(me)


def main() -> None:
    with Kernel() as kernel:
        ctx = kernel.context()
        gate = ctx.new("chan:gate")
        serving = threading.Thread(target=server, args=(ctx, gate))
        serving.start()
        for name, lines in (("ann", ["hello", "how are you?"]), ("bob", ["hi there"])):
            talking = threading.Thread(target=client, args=(ctx, gate, name, lines))
            talking.start()
            talking.join()
        ctx.delete(gate)  # the server's loop over sessions ends
        serving.join()


if __name__ == "__main__":
    main()

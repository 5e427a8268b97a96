"""A chat room across processes: a client. Lines typed here go to everyone in the room.

Run ``python examples/chat_client.py NAME`` after ``chat_server.py``. The client prints
its link events as they happen: stop the server and it prints ``tempFail`` then
``permFail`` (killed) or ``disconnect`` (stopped in order); start the server again and it
joins the new room (``connect``). Lines typed while the link is in ``tempFail`` are
delivered once it is ``ok`` again. The client does not listen: everything comes back on
the connection it opened.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading

from kernel import Context, Kernel, KernelError

DEFAULT_FILE = os.path.join(tempfile.gettempdir(), "chat.address")
_say = threading.Lock()


def say(text: object) -> None:
    """Print one whole line, even when several threads print at once."""
    with _say:
        sys.stdout.write(f"{text}\n")
        sys.stdout.flush()


def join(ctx: Context, me: str, name: str, address_file: str, stop: threading.Event) -> None:
    """Connect ``me`` to the room whose gate address the server published; retry until
    there is one."""
    while not stop.is_set():
        try:
            with open(address_file) as f:
                gate = f.read().strip()
            ctx.sink(f"{me}/peer", gate)
            ctx.sink(me, {"name": name})
            return
        except (OSError, KernelError):  # no server yet, or the last one's address
            stop.wait(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--address-file", default=DEFAULT_FILE)
    parser.add_argument("--heartbeat", type=float, default=0.2)
    args = parser.parse_args()
    config = {
        "chan": {
            "heartbeat": args.heartbeat,
            "suspect_after": 5 * args.heartbeat,
            "give_up_after": 10.0,
        }
    }
    with Kernel(config=config) as kernel:
        ctx = kernel.context()
        me = ctx.new("chan:null")
        lost, stop = threading.Event(), threading.Event()

        def events() -> None:
            for event in ctx.source(f"{me}/link"):
                say(f"[link] {event}")
                if event in ("permFail", "disconnect"):
                    lost.set()

        def messages() -> None:
            for message in ctx.source(f"{me}/messages"):
                say(message)

        def rejoin() -> None:
            while not stop.is_set():
                lost.wait()
                lost.clear()
                if not stop.is_set():
                    join(ctx, me, args.name, args.address_file, stop)

        for target in (events, messages, rejoin):
            threading.Thread(target=target, daemon=True).start()
        join(ctx, me, args.name, args.address_file, stop)
        for line in sys.stdin:
            try:
                ctx.sink(me, line.rstrip("\n"))
            except KernelError as e:
                say(f"[not sent: {e}]")
        stop.set()
        lost.set()


if __name__ == "__main__":
    main()

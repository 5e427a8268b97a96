"""A chat room across processes: the server. Clients connect to its gate over TCP.

Run ``python examples/chat_server.py`` (it writes its gate's address to ``chat.address``
in the temp directory, where ``chat_client.py`` looks for it), then start clients in other
terminals. Stop the server (Ctrl-C, or kill it) and start it again: the clients print
what their links do (``tempFail``, ``permFail`` or ``disconnect``) and join the new room.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading

from kernel import Context, Kernel

DEFAULT_FILE = os.path.join(tempfile.gettempdir(), "chat.address")
_say = threading.Lock()


def say(text: object) -> None:
    """Print one whole line, even when several threads print at once."""
    with _say:
        sys.stdout.write(f"{text}\n")
        sys.stdout.flush()


def room(ctx: Context, gate: str) -> None:
    """Every client gets a session; whatever one says, the others hear."""
    members: dict[str, str] = {}  # session URI -> the name it gave
    lock = threading.Lock()

    def tell(text: str, but: str | None = None) -> None:
        with lock:
            others = [s for s in members if s != but]
        for session in others:
            try:
                ctx.sink(session, text)
            except Exception:  # that member is leaving: its own thread says so
                pass

    def member(session: str) -> None:
        link = ctx.source(f"{session}/link")
        threading.Thread(
            target=lambda: [say(f"[{session[5:13]}] link {e}") for e in link], daemon=True
        ).start()
        name = session[5:13]
        for message in ctx.source(f"{session}/messages"):
            if isinstance(message, dict) and "name" in message:
                name = str(message["name"])
                with lock:
                    members[session] = name
                tell(f"* {name} joined", but=session)
                say(f"* {name} joined")
            else:
                tell(f"{name}: {message}", but=session)
                say(f"{name}: {message}")

    for session in ctx.source(f"{gate}/sessions"):
        threading.Thread(target=member, args=(session,), daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (port 0: any)")
    parser.add_argument("--address-file", default=DEFAULT_FILE)
    parser.add_argument("--heartbeat", type=float, default=0.2)
    args = parser.parse_args()
    config = {
        "chan": {
            "listen": args.listen,
            "heartbeat": args.heartbeat,
            "suspect_after": 5 * args.heartbeat,
        }
    }
    with Kernel(config=config) as kernel:
        ctx = kernel.context()
        gate = ctx.new("chan:gate")
        address = ctx.source(f"{gate}/address")
        with open(args.address_file + ".tmp", "w") as f:
            f.write(address)
        os.replace(args.address_file + ".tmp", args.address_file)  # readers see it whole
        say(f"chat server: gate at {address[: address.rindex('/') + 9]}…")
        try:
            room(ctx, gate)
        except KeyboardInterrupt:
            say("chat server: stopping (clients see disconnect)")


if __name__ == "__main__":
    main()

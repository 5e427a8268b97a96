"""A peer kernel in its own process, for the TCP tests: ``python peer.py CONFIG_JSON``.

It listens, opens an instance and a gate, and prints one JSON line with their addresses.
Every message an instance receives (the instance's, or a session's from the gate) is sent
straight back to its peer; every free-for-all message (its repr) and every link event of
the instance is printed as a JSON line. It runs
until its stdin closes, then closes its kernel (an orderly stop).
"""

from __future__ import annotations

import json
import sys
import threading

from kernel import Kernel

_out = threading.Lock()


def say(**line: object) -> None:
    """One JSON line on stdout, whole even when threads print at once."""
    with _out:
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()


def echo(ctx, uri: str) -> None:
    for message in ctx.source(f"{uri}/messages"):
        try:
            ctx.sink(uri, message)
        except Exception as e:  # the peer went away meanwhile: keep serving the rest
            say(error=type(e).__name__)


def free(ctx, uri: str) -> None:
    for message in ctx.source(f"{uri}/free"):
        say(free=repr(message))  # repr: types show


def events(ctx, uri: str) -> None:
    for event in ctx.source(f"{uri}/link"):
        say(link=event)


def serve_gate(ctx, gate: str) -> None:
    for session in ctx.source(f"{gate}/sessions"):
        threading.Thread(target=echo, args=(ctx, session), daemon=True).start()


def main() -> None:
    config = json.loads(sys.argv[1])
    with Kernel(config={"chan": config}, load_entrypoints=False) as kernel:
        ctx = kernel.context()
        instance, gate = ctx.new("chan:null"), ctx.new("chan:gate")
        for target, uri in (
            (echo, instance),
            (free, instance),
            (events, instance),
            (serve_gate, gate),
        ):
            threading.Thread(target=target, args=(ctx, uri), daemon=True).start()
        say(instance=ctx.source(f"{instance}/address"), gate=ctx.source(f"{gate}/address"))
        sys.stdin.read()


if __name__ == "__main__":
    main()

"""Sessions the NetKernel ext_session way, in Python: NEW a session, SINK and SOURCE its
keys by URI, hand its URI around, end it; then the same through a Session handle.

Run: ``.venv/bin/python examples/sessions.py``
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from kernel import Kernel
from schemes.session import Session, SessionExpired, UsernameMismatch


class Clock:
    """A clock we can move, to show expiry without waiting."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def main() -> None:
    clock = Clock()
    config = {"session": {"idle": 600, "max_per_user": 2, "on_limit": "evict"}}
    with Kernel(config=config, clock=clock) as kernel:
        ctx = kernel.context()

        # NEW session:null -> the session's URI (ext_session's GUID)
        session = ctx.new("session:null")
        print("new session", session[:14] + "…")

        # Resources in the session are keys: session:GUID+key@NAME
        resource = session + "+key@myresource"
        ctx.sink(resource, ET.fromstring("<hello>session data</hello>"))
        print("sourced", ctx.source(resource, str))
        ctx.sink(session + "+key@cart", [{"sku": "A-1", "qty": 2}])
        print("cart", ctx.source(session + "+key@cart"), "keys", ctx.source(session)["keys"])

        # Idle expiry slides with every access, and is checked on every access
        clock.now += 599
        print("after 599 s idle, exists:", ctx.exists(session))
        clock.now += 600
        try:
            ctx.source(resource)
        except SessionExpired as e:
            print("after another 600 s:", type(e).__name__)

        # Sessions owned by a user, held through a handle (a weak pointer)
        alice = kernel.context("alice")
        handle = alice.source(alice.new("session:null", {"user": "alice"}), Session)
        handle["theme"] = "dark"
        print("alice's keys", handle.keys(), "theme" in handle)
        try:
            kernel.context("mallory").source(handle.uri + "+key@theme")
        except UsernameMismatch:
            print("mallory may not read alice's session")

        # max_per_user = 2 with on_limit = evict: a third login ends the least recently used
        clock.now += 10
        alice.new("session:null", {"user": "alice"})
        clock.now += 10
        alice.new("session:null", {"user": "alice"})
        try:
            handle["theme"]
        except SessionExpired:
            print("alice's first session was evicted by her third login")


if __name__ == "__main__":
    main()

"""``roc run --trace``: the tree of requests a script made, like NetKernel's visualizer.

A :class:`Tracer` observes a context (``ctx.observed``): it is told of every request
sent to the kernel's own handlers, by the script and by the handlers it calls (they
receive the context that issued the request), so sub-requests nest under the request
that caused them. A request served from the representation cache shows ``cached``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kernel import Context, Request, Value
from kernel.errors import redact

__all__ = ["Tracer", "Call", "MAX_CALLS"]

MAX_CALLS = 10_000  # recorded per trace; a runaway loop must not fill memory and the screen


@dataclass
class Call:
    """One request: verb, URI (with its arguments), seconds taken, outcome."""

    verb: str
    uri: str
    seconds: float = 0.0
    outcome: str = "ok"
    children: list[Call] = field(default_factory=list)


class Tracer:
    """Records every request made through :meth:`attach`'s context."""

    def __init__(self, limit: int = MAX_CALLS) -> None:
        self.calls: list[Call] = []
        self.limit = limit
        self.recorded = 0
        self.dropped = 0  # requests made after the limit was reached
        self._local = threading.local()

    def attach(self, ctx: Context) -> Context:
        """``ctx``, with every request it leads to recorded here."""
        return ctx.observed(self)

    def enter(self, request: Request) -> Any:
        if self.recorded >= self.limit:
            self.dropped += 1
            return None
        self.recorded += 1
        call = Call(request.verb.name, _describe(request))
        stack = self._stack()
        (stack[-1].children if stack else self.calls).append(call)
        stack.append(call)
        return (call, time.perf_counter())

    def leave(self, token: Any, outcome: str) -> None:
        if token is None:
            return
        call, start = token
        call.seconds = time.perf_counter() - start
        call.outcome = outcome
        self._stack().pop()

    def _stack(self) -> list[Call]:
        stack: list[Call] | None = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    def render(self) -> str:
        """The tree as text, one request per line (128-bit ids shortened: traces get
        pasted into bug reports, and a full session id is a credential)."""
        lines: list[str] = []

        def walk(calls: list[Call], indent: str) -> None:
            for i, call in enumerate(calls):
                last = i == len(calls) - 1
                lines.append(
                    f"{indent}{'└─ ' if last else '├─ '}{call.verb} {redact(call.uri)}  "
                    f"{call.seconds * 1000:.3f} ms  {call.outcome}"
                )
                walk(call.children, indent + ("   " if last else "│  "))

        walk(self.calls, "")
        if self.dropped:
            lines.append(f"… {self.dropped:,} more requests not shown (the first {self.limit:,})")
        return "\n".join(lines)


def _describe(request: Request) -> str:
    """The URI, with arguments given outside it (as DPML gives them) shown inline."""
    parts = [request.uri]
    for name, argument in (request.arguments or {}).items():
        if isinstance(argument, Value):
            value = argument.value
            shown = f"<{value.tag}>" if hasattr(value, "tag") else repr(value)[:40]
            parts.append(f"{name}@{shown}")
        else:
            parts.append(f"{name}@{argument}")
    return "+".join(parts)

"""``roc run --trace``: the tree of requests a script made, like NetKernel's visualizer.

A :class:`Tracer` layers a recording handler over every scheme of the kernel. Handlers
receive the context that issued a request, so sub-requests made by accessors pass
through the same layer and nest under the request that caused them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from kernel import Context, Request, Value
from kernel.context import Methods, compile_handler
from kernel.errors import VerbNotSupported, redact

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
        """``ctx`` with a recording layer over each of its kernel's schemes."""
        kernel = ctx.kernel
        return ctx.layered(
            {
                name: _Recorder(self, compile_handler(name, provided.obj))
                for name, provided in kernel.schemes.items()
            }
        )

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


class _Recorder:
    """Stands in front of one scheme's handler: note the call, forward it, time it."""

    def __init__(self, tracer: Tracer, methods: Methods) -> None:
        self.tracer = tracer
        self.methods = methods

    def _call(self, request: Request, ctx: Context) -> Any:
        method = self.methods.get(request.verb)
        if method is None:
            verbs = ", ".join(v.name for v in self.methods)
            raise VerbNotSupported(
                f"this scheme does not support {request.verb.name}; it supports {verbs}"
            )
        tracer = self.tracer
        if tracer.recorded >= tracer.limit:
            tracer.dropped += 1
            return method(request, ctx)
        tracer.recorded += 1
        call = Call(request.verb.name, _describe(request))
        stack = self.tracer._stack()
        (stack[-1].children if stack else self.tracer.calls).append(call)
        stack.append(call)
        start = time.perf_counter()
        try:
            return method(request, ctx)
        except Exception as e:
            call.outcome = getattr(e, "id", type(e).__name__)
            raise
        finally:
            call.seconds = time.perf_counter() - start
            stack.pop()

    source = sink = exists = delete = new = meta = _call


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

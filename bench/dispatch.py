"""dispatch: what the kernel adds to a request, against the handler and a pluggy call."""

from __future__ import annotations

from collections.abc import Iterator

import pluggy

from kernel import Kernel, Request, Verb, hookimpl

from .harness import Case, scenario, timed


class Trivial:
    """An in-memory scheme that answers at once."""

    def source(self, request, ctx):
        return "x"


class TrivialPlugin:
    @hookimpl
    def roc_schemes(self):
        return {"fast": Trivial()}


hookspec = pluggy.HookspecMarker("bench")
bench_impl = pluggy.HookimplMarker("bench")


class Spec:
    @hookspec
    def bench_source(self, request, ctx): ...


class Impl:
    @bench_impl
    def bench_source(self, request, ctx):
        return "x"


DIRECT = "handler.source(request, ctx)  [direct]"
KERNEL = "ctx.source('fast:x')  [kernel]"
PLUGGY = "one pluggy hook call"


def targets(medians: dict[str, float]) -> list[str]:
    overhead = medians[KERNEL] - medians[DIRECT]
    return [
        f"kernel overhead = {overhead / medians[DIRECT]:.1f}x the direct call (target <= 10x)",
        f"whole request = {medians[KERNEL] / medians[PLUGGY]:.2f}x one pluggy call (target < 0.5x)",
    ]


@scenario("dispatch", "SOURCE through a context vs the handler called directly vs pluggy", targets)
def dispatch() -> Iterator[list[Case]]:
    kernel = Kernel(plugins=[TrivialPlugin()], load_entrypoints=False)
    ctx = kernel.context()
    handler = kernel.schemes["fast"].obj
    request = Request(Verb.SOURCE, "fast:x")
    pm = pluggy.PluginManager("bench")
    pm.add_hookspecs(Spec)
    pm.register(Impl())
    ns = {
        "ctx": ctx,
        "handler": handler,
        "request": request,
        "hook": pm.hook,
        "Request": Request,
        "SOURCE": Verb.SOURCE,
    }
    try:
        yield [
            Case(
                "handler.source(request, ctx)  [direct]", timed("handler.source(request, ctx)", ns)
            ),
            Case(
                "handler.source(Request(...), ctx)",
                timed("handler.source(Request(SOURCE, 'fast:x'), ctx)", ns),
            ),
            Case(KERNEL, timed("ctx.source('fast:x')", ns)),
            Case("ctx.source('fast:x', str)", timed("ctx.source('fast:x', str)", ns)),
            Case(PLUGGY, timed("hook.bench_source(request=request, ctx=ctx)", ns)),
        ]
    finally:
        kernel.close()

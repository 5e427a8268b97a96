"""dpml: compiling scripts (cold vs cached), and the interpreter's cost per request.

``dpml-compile``: a 1,000-instruction script, parsed and checked from scratch vs found in
the program cache. ``dpml-loop``: a ``while`` of 10,000 iterations, each an ``exists``
(the condition) and a ``copy`` (the body), vs the same ``active:`` requests issued from
Python through the context; target: the interpreter costs at most 2x.
"""

from __future__ import annotations

from collections.abc import Iterator

import dpml
from dpml.compiler import compile_body
from dpml.parser import parse
from dpml.program import Program
from kernel import Kernel, Request, Verb, hookimpl

from .harness import Case, looped, scenario

ITERATIONS = 10_000
SOURCE = Verb.SOURCE


def _script(instructions: int) -> str:
    step = (
        "<instr><type>copy</type><operand>data:,x{i}</operand><target>var:v{i}</target></instr>\n"
    )
    return (
        "<idoc>\n<seq>\n"
        + "".join(step.format(i=i) for i in range(instructions))
        + "</seq>\n</idoc>\n"
    )


@scenario("dpml-compile", "compile a 1,000-instruction script: cold vs cached")
def compile_scenario() -> Iterator[list[Case]]:
    text = _script(1000)
    dpml.compile(text)  # build the parser once; warm the cache for the cached case
    yield [
        Case(
            "compile, cold (parse + check)  [baseline]",
            looped(lambda: Program(compile_body(text))),
        ),
        Case("parse only (lark + transformer)", looped(lambda: parse(text))),
        Case("dpml.compile, cached", looped(lambda: dpml.compile(text))),
    ]


class Tick:
    """``tick:`` exists ``n`` times, then not: a loop counter DPML needs no arithmetic for."""

    def __init__(self) -> None:
        self.n = 0

    def exists(self, request, ctx):
        self.n -= 1
        return self.n >= 0


class Memory:
    def __init__(self) -> None:
        self.items = {"mem:a": "payload"}

    def source(self, request, ctx):
        return self.items[request.uri]

    def sink(self, request, ctx):
        self.items[request.uri] = request.primary


class Plugin:
    def __init__(self) -> None:
        self.tick, self.memory = Tick(), Memory()

    @hookimpl
    def roc_schemes(self):
        return {"tick": self.tick, "mem": self.memory}


LOOP = """<idoc><while>
  <cond><instr><type>exists</type><operand>tick:</operand><target>this:cond</target></instr></cond>
  <seq><instr><type>copy</type><operand>mem:a</operand><target>mem:b</target></instr></seq>
</while></idoc>"""


@scenario("dpml-loop", "while loop of 10,000 exists+copy: DPML vs the same requests from Python")
def loop_scenario() -> Iterator[list[Case]]:
    plugin = Plugin()
    kernel = Kernel(plugins=[plugin], load_entrypoints=False)
    ctx = kernel.context()
    tick = plugin.tick
    program = dpml.compile(LOOP)

    def direct() -> None:
        tick.n = ITERATIONS
        request, sink = ctx.request, ctx.sink
        while request(Request(SOURCE, "active:exists", None, {"operand": "tick:"})).representation:
            sink(
                "mem:b",
                request(Request(SOURCE, "active:copy", None, {"operand": "mem:a"})).representation,
            )

    def bare() -> None:
        tick.n = ITERATIONS
        while ctx.exists("tick:"):
            ctx.sink("mem:b", ctx.source("mem:a"))

    def interpreted() -> None:
        tick.n = ITERATIONS
        program.run(ctx)

    try:
        yield [
            Case("same active: requests from Python  [direct]", looped(direct)),
            Case("DPML while loop (program.run)", looped(interpreted)),
            Case("bare verbs from Python (no accessors)", looped(bare)),
        ]
    finally:
        kernel.close()

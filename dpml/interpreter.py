"""Running a compiled program against a context.

A run layers a local address space over the caller's context (``var:`` and ``this:``),
so accessors and every sub-request they make see the script's variables. Each
instruction is one SOURCE request of ``active:{type}``. Errors become DPMLException,
which the innermost block with an ``<exception>`` handler catches; the step and depth
limits are not catchable, so a runaway script always stops.

Runs nested through ``active:dpml`` share one step budget and count their depth; the
current run is found through a context variable (set once per run, not per request).
"""

from __future__ import annotations

import contextvars
import re
import sys
from collections.abc import Callable, Mapping
from functools import lru_cache
from types import FrameType
from typing import Any
from xml.etree import ElementTree as ET

from kernel import Context, KernelError, Request, Value, Verb, xmltext
from kernel.errors import MalformedURI, ResourceNotFound, Thrown
from kernel.uri import extend, is_relative, resolve

from .ast import (
    TARGET_COND,
    TARGET_EXCEPTION,
    TARGET_RESPONSE,
    TARGET_VAR,
    Block,
    Choose,
    If,
    Instr,
    While,
)
from .errors import DepthLimitExceeded, DPMLException, DPMLLimitExceeded, StepLimitExceeded
from .limits import DEFAULT_MAX_DEPTH, DEFAULT_MAX_STEPS
from .spaces import UNSET as _UNSET
from .spaces import Param, ThisSpace, VarSpace
from .xpointer import XPointer

__all__ = ["execute", "Param", "DEFAULT_MAX_STEPS", "DEFAULT_MAX_DEPTH"]

SOURCE = Verb.SOURCE
_BOOLEAN_TEXT = re.compile(r"\s*<b>\s*([tf])\s*</b>\s*")
_current: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("dpml_run", default=None)
_resolve = lru_cache(maxsize=4096)(resolve)  # a script resolves the same references each run


class _Budget:
    __slots__ = ("steps", "limit", "max_depth")

    def __init__(self, limit: int, max_depth: int) -> None:
        self.steps, self.limit, self.max_depth = 0, limit, max_depth


def execute(
    body: Block,
    ctx: Context,
    params: Mapping[str, Param],
    max_steps: int = DEFAULT_MAX_STEPS,
    max_depth: int = DEFAULT_MAX_DEPTH,
    uri: str | None = None,
) -> tuple[Any, str | None]:
    """Run ``body``; the value of ``this:response`` (None if the script set none) and its
    mime type. ``uri`` is the script's own URI: relative URIs in it resolve against it."""
    parent = _current.get()
    if parent is None:
        budget, depth = _Budget(max_steps, max_depth), 0
    else:
        budget, depth = parent.budget, parent.depth + 1
        if depth > budget.max_depth:
            line, column = parent.position
            raise DepthLimitExceeded(
                f"scripts called scripts more than {budget.max_depth} deep "
                "(is a script calling itself?)",
                line,
                column,
            )
    run = _Run(ctx, params, budget, depth, uri)
    token = _current.set(run)
    try:
        run.block(body)
    finally:
        _current.reset(token)
    return (None if run.response is _UNSET else run.response), run.mime


class _Run:
    """The state of one program run, and the tree walk."""

    def __init__(
        self,
        ctx: Context,
        params: Mapping[str, Param],
        budget: _Budget,
        depth: int,
        uri: str | None = None,
    ) -> None:
        self.vars: dict[str, Any] = {}
        self.response: Any = _UNSET
        self.mime: str | None = None
        self.uri = uri
        self.resolved: dict[str, str] = {}
        self.cond: Any = _UNSET
        self.exception: Any = _UNSET
        self.params = dict(params)
        self.budget = budget
        self.depth = depth
        self.position = (0, 0)
        self.principal = ctx.principal
        self.ctx = ctx.layered({"var": VarSpace(self.vars), "this": ThisSpace(self)})
        self.dispatch: dict[type, Callable[[Any], None]] = {
            Block: self.block,
            If: self.if_,
            Choose: self.choose,
            While: self.while_,
        }

    # -- control --------------------------------------------------------------------

    def block(self, block: Block) -> None:
        if block.handler is None:
            self.steps(block)
            return
        try:
            self.steps(block)
        except DPMLException as e:
            self.exception = e.element()
            self.block(block.handler)

    def steps(self, block: Block) -> None:
        instr, dispatch = self.instr, self.dispatch
        for step in block.steps:
            if type(step) is Instr:
                instr(step)
            else:
                dispatch[type(step)](step)

    def test(self, cond: Block) -> bool:
        self.cond = _UNSET
        self.block(cond)
        value = self.cond
        if value is True or value is False:
            return value
        if isinstance(value, ET.Element) and value.tag == "b" and not len(value):
            text = (value.text or "").strip()
            if text in ("t", "f"):
                return text == "t"
        if isinstance(value, bytes | str):  # <b>t</b> read from a file, say
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            boolean = _BOOLEAN_TEXT.fullmatch(text)
            if boolean:
                return boolean.group(1) == "t"
        found = "nothing" if value is _UNSET else f"a {type(value).__name__}"
        raise DPMLException(
            "BadCondition",
            f"a <cond> must SINK a boolean to this:cond (<b>t</b>, <b>f</b> or a bool); "
            f"it left {found}",
            cond.line,
            cond.column,
        )

    def if_(self, node: If) -> None:
        if self.test(node.cond):
            self.block(node.then)
        elif node.otherwise is not None:
            self.block(node.otherwise)

    def choose(self, node: Choose) -> None:
        for cond, then in node.branches:
            if self.test(cond):
                self.block(then)
                return
        if node.otherwise is not None:
            self.block(node.otherwise)

    def while_(self, node: While) -> None:
        while self.test(node.cond):
            self.block(node.body)

    # -- instructions ---------------------------------------------------------------

    def instr(self, node: Instr) -> None:
        budget = self.budget
        budget.steps += 1
        self.position = (node.line, node.column)
        if budget.steps > budget.limit:
            raise StepLimitExceeded(
                f"the script ran more than {budget.limit} instructions (max_steps); "
                "is a <while> condition never false?",
                node.line,
                node.column,
            )
        try:
            uri = node.uri
            arguments: dict[str, Any] | None = None
            if node.literals:
                arguments = {name: Value(xmltext.copy(e)) for name, e in node.literals}
            if node.deferred:
                uri, arguments = self.deferred(node, arguments)
            target = node.target
            if node.target_relative:
                target = self.absolute(target)  # type: ignore[arg-type]
            pointer = node.target_pointer
            if pointer is not None:  # before the request: a bad target changes nothing
                current = self.current(target, pointer)  # type: ignore[arg-type]
            response = self.ctx.request(Request(SOURCE, uri, None, arguments, None, self.principal))
            value = response.representation
            kind = node.target_kind
            if kind == TARGET_VAR:
                self.vars[node.target_name] = value
            elif kind == TARGET_COND:
                self.cond = value
            elif kind == TARGET_RESPONSE:
                self.response, self.mime = value, response.mime
            elif kind == TARGET_EXCEPTION:
                self.exception = value
            elif target is not None:
                if pointer is not None:
                    value = pointer.replace(current, self.element(value, "the result"))
                self.ctx.sink(target, value)
        except DPMLLimitExceeded as e:  # from a script this one called: locate it here,
            raise type(e)(e.message, node.line, node.column) from None  # in our text
        except RecursionError as e:
            if not _deep():  # an accessor recursed on its own: an ordinary failure
                raise _failure(e, node) from e
            raise DepthLimitExceeded(  # the script's nesting ran the stack out first
                "scripts nest too deep for the interpreter's stack (fewer nested blocks or "
                "calls, or a lower max_depth)",
                node.line,
                node.column,
            ) from None
        except Exception as e:
            raise _failure(e, node) from e

    # -- URIs -----------------------------------------------------------------------

    def absolute(self, reference: str) -> str:
        """A relative reference resolved against the script's own URI."""
        found = self.resolved.get(reference)
        if found is None:
            if self.uri is None:
                raise MalformedURI(
                    f"{reference!r} is a relative URI, and this script has no URI of its "
                    "own to resolve it against (it was given as text or a literal, not "
                    "sourced from a URI); write an absolute URI such as file:" + reference
                )
            found = self.resolved[reference] = _resolve(self.uri, reference)
        return found

    def deferred(
        self, node: Instr, arguments: dict[str, Any] | None
    ) -> tuple[str, dict[str, Any] | None]:
        """The instruction's URI and arguments with relative references resolved and
        XPointer arguments selected (passed by value)."""
        references: dict[str, str] = {}
        for name, reference, pointer in node.deferred:
            if is_relative(reference):
                reference = self.absolute(reference)
            if pointer is None:
                references[name] = reference
                continue
            document = self.ctx.source(reference, ET.Element)
            selected = pointer.select(document)
            if not selected:
                raise ResourceNotFound(f"#{pointer.text} selects nothing", uri=reference)
            if arguments is None:
                arguments = {}
            arguments[name] = Value(xmltext.copy(selected[0]))
        return extend(node.uri, references), arguments

    def current(self, target: str, pointer: XPointer) -> ET.Element:
        """The target's current XML value, checked to hold what ``pointer`` selects."""
        current = self.ctx.source(target, ET.Element)
        if not pointer.select(current):
            raise ResourceNotFound(
                f"#{pointer.text} selects nothing in the target's value", uri=target
            )
        return current

    def element(self, value: Any, what: str) -> ET.Element:
        if isinstance(value, ET.Element):
            return value
        return self.ctx.kernel.transreptors.convert(value, ET.Element)


def _deep() -> bool:
    """Is this instruction itself deep in Python's stack (past half the recursion limit)?
    Asked only after a RecursionError, to tell the script's nesting from an accessor's."""
    frame: FrameType | None = sys._getframe()
    depth = 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth > sys.getrecursionlimit() // 2


def _failure(error: Exception, node: Instr) -> DPMLException:
    """What ``this:exception`` shows for an error: its id and message."""
    if isinstance(error, DPMLException | Thrown):
        message = error.message
    elif isinstance(error, KernelError):
        message = str(error)
    else:  # the id is the exception's name: the message need not repeat it
        message = str(error) or type(error).__name__
    error_id = error.id if isinstance(error, KernelError) else type(error).__name__
    return DPMLException(error_id, message, node.line, node.column)

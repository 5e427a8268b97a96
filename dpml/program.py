"""The public face of DPML: ``compile`` a script once, ``run`` it many times."""

from __future__ import annotations

import threading
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from kernel import Context, Value
from kernel.errors import ConfigError, UnsupportedRepresentation
from kernel.uri import is_relative, resolve

from .ast import Block
from .compiler import compile_body
from .errors import DPMLSyntaxError, DPMLWarning
from .interpreter import DEFAULT_MAX_DEPTH, DEFAULT_MAX_STEPS, Param, execute

__all__ = ["Program", "compile", "run"]


class Program:
    """A checked script. Immutable, so one program may run in many threads at once."""

    __slots__ = ("body", "warnings")

    def __init__(self, body: Block, warnings: tuple[DPMLWarning, ...] = ()) -> None:
        self.body = body
        self.warnings = warnings  # valid DPML that looks like a mistake

    def run(
        self,
        ctx: Context,
        params: Mapping[str, Any] | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
        max_depth: int = DEFAULT_MAX_DEPTH,
        *,
        uri: str | None = None,
        arguments: Mapping[str, str] | None = None,
    ) -> Any:
        """Run against ``ctx``; returns ``this:response``.

        ``params`` become ``this:param:NAME``, passed by value (a :class:`kernel.Value`
        is unwrapped); ``arguments`` become ``this:param:NAME`` by reference (NAME -> URI,
        sourced when the script reads it). ``uri`` is the script's own URI, its current
        working URI: relative URIs in the script (and in ``arguments``) resolve against
        it. Raises DPMLException for an error no ``<exception>`` handled, and
        StepLimitExceeded / DepthLimitExceeded when a limit stops the script.
        """
        if not isinstance(ctx, Context):
            raise ConfigError(f"a program runs against a kernel Context, not {ctx!r:.40}")
        if params is not None and not isinstance(params, Mapping):
            raise ConfigError(f"params is a mapping of names to values, not {params!r:.40}")
        for name, limit in (("max_steps", max_steps), ("max_depth", max_depth)):
            if type(limit) is not int or limit < 1:
                raise ConfigError(f"{name} is a whole number of at least 1, not {limit!r:.40}")
        if uri is not None and (not isinstance(uri, str) or is_relative(uri)):
            raise ConfigError(f"a script's uri is an absolute URI (scheme:body), not {uri!r:.60}")
        if arguments is not None and not isinstance(arguments, Mapping):
            raise ConfigError(f"arguments is a mapping of names to URIs, not {arguments!r:.40}")
        given = {
            name: Param(value.value if isinstance(value, Value) else value)
            for name, value in (params or {}).items()
        }
        for name, reference in (arguments or {}).items():
            if name in given:
                raise ConfigError(f"{name!r} is given both as a param and as an argument")
            if not isinstance(reference, str) or not reference:
                raise ConfigError(f"argument {name!r} is a URI (a str), not {reference!r:.40}")
            if is_relative(reference):
                if uri is None:
                    raise ConfigError(
                        f"argument {name!r} is the relative URI {reference!r}, and the "
                        "script has no uri to resolve it against"
                    )
                reference = resolve(uri, reference)
            given[name] = Param(ctx=ctx, uri=reference)
        return execute(self.body, ctx, given, max_steps, max_depth, uri)[0]

    def __repr__(self) -> str:
        return f"<dpml.Program {len(self.body.steps)} steps>"


def compile(text: str | bytes) -> Program:  # noqa: A001 - the name the contract gives
    """Parse and check a script; DPMLSyntaxError (with line and column) if it is wrong.

    Programs are cached by content: compiling the same text again costs a dict lookup
    (for scripts up to 256 Ki characters; the cache holds 4 Mi characters of scripts).
    """
    if isinstance(text, bytes):
        raw = text
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = raw.count(b"\n", 0, e.start) + 1
            start = raw.rfind(b"\n", 0, e.start) + 1
            column = len(raw[start : e.start].decode("utf-8", "replace")) + 1  # characters
            raise DPMLSyntaxError(
                f"the script is not UTF-8 text: {e.reason} (byte {raw[e.start]:#04x})",
                line,
                column,
            ) from None
    if not isinstance(text, str):
        raise UnsupportedRepresentation(
            f"a DPML script is text (str or UTF-8 bytes), not {type(text).__name__}"
        )
    program = _compile(text)
    for warning in program.warnings:
        warnings.warn(warning, stacklevel=2)
    return program


def _compile(text: str) -> Program:
    program = _CACHE.get(text)
    if program is None:
        found: list[DPMLWarning] = []
        program = Program(compile_body(text, found), tuple(found))
        _CACHE.put(text, program)
    return program


class _Programs:
    """Compiled programs by script text, least recently used first out. Bounded by size
    as well as count: a program takes about 7 bytes per character of its script, so
    ``budget`` characters of script in all, none longer than ``largest``."""

    def __init__(self, entries: int, budget: int, largest: int) -> None:
        self.entries, self.budget, self.largest = entries, budget, largest
        self._programs: OrderedDict[str, Program] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, text: str) -> Program | None:
        with self._lock:
            program = self._programs.get(text)
            if program is not None:
                self._programs.move_to_end(text)
            return program

    def put(self, text: str, program: Program) -> None:
        if len(text) > self.largest:
            return
        with self._lock:
            if text in self._programs:
                return
            self._programs[text] = program
            self._size += len(text)
            while len(self._programs) > self.entries or self._size > self.budget:
                dropped, _ = self._programs.popitem(last=False)
                self._size -= len(dropped)


# up to 512 scripts and 4 Mi characters of them (~30 MiB with their programs)
_CACHE = _Programs(entries=512, budget=4 << 20, largest=256 << 10)


def run(
    text: str | bytes,
    ctx: Context,
    params: Mapping[str, Any] | None = None,
    *,
    uri: str | None = None,
) -> Any:
    """Compile (or find in the cache) and run a script; returns ``this:response``.
    ``uri``: the script's own URI, which its relative URIs resolve against."""
    return compile(text).run(ctx, params, uri=uri)

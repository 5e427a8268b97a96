"""DPML's local address space: ``var:NAME`` and ``this:`` (``this:response``,
``this:cond``, ``this:exception``, ``this:param:NAME``), layered over the caller's
context for one run, so accessors and their sub-requests see the script's variables.
"""

from __future__ import annotations

from typing import Any

from kernel import Context, Request, Response, Verb
from kernel.errors import MalformedURI, ResourceNotFound, VerbNotSupported

__all__ = ["Param", "VarSpace", "ThisSpace", "UNSET"]

SOURCE = Verb.SOURCE
UNSET: Any = object()  # a field never set (None is a value a script may set)


class Param:
    """A ``this:param:NAME``: a value, or a reference answered by another context.
    ``origin`` is the URI the caller gave (META ``this:param:NAME`` shows it)."""

    __slots__ = ("value", "ctx", "uri", "origin")

    def __init__(
        self, value: Any = None, ctx: Context | None = None, uri: str = "", origin: str = ""
    ) -> None:
        self.value, self.ctx, self.uri = value, ctx, uri
        self.origin = origin or uri


class VarSpace:
    """``var:NAME``: the program's variables."""

    def __init__(self, variables: dict[str, Any]) -> None:
        self.vars = variables

    def _name(self, request: Request) -> str:
        name = request.uri[4:]
        if not name:
            raise MalformedURI("var: needs a name, e.g. var:result")
        return name

    def source(self, request: Request, ctx: Context) -> Any:
        name = self._name(request)
        try:
            return self.vars[name]
        except KeyError:
            raise ResourceNotFound(f"variable {name!r} is not set") from None

    def sink(self, request: Request, ctx: Context) -> None:
        self.vars[self._name(request)] = request.primary

    def new(self, request: Request, ctx: Context) -> str:
        self.vars[self._name(request)] = request.primary
        return request.uri

    def exists(self, request: Request, ctx: Context) -> bool:
        return self._name(request) in self.vars

    def delete(self, request: Request, ctx: Context) -> bool:
        return self.vars.pop(self._name(request), UNSET) is not UNSET


_FIELDS = {"response": "response", "cond": "cond", "exception": "exception"}


class ThisSpace:
    """``this:response``, ``this:cond``, ``this:exception`` and ``this:param:NAME``."""

    def __init__(self, run: Any) -> None:  # the interpreter's run: params and the fields
        self.run = run

    def _field(self, request: Request) -> str:
        name = request.uri[5:]
        if name in _FIELDS:
            return name
        raise MalformedURI(
            "this: offers this:response, this:cond, this:exception and this:param:NAME"
        )

    def _param(self, request: Request) -> Any:
        name = request.uri[11:]
        param = self.run.params.get(name)
        if param is None:
            given = ", ".join(sorted(self.run.params)) or "none"
            if request.verb is Verb.EXISTS:
                return False
            raise ResourceNotFound(f"the script was given no parameter {name!r} (given: {given})")
        if param.ctx is not None:
            return param.ctx.request(request.replace(uri=param.uri))
        if request.verb is SOURCE:
            return param.value
        if request.verb is Verb.EXISTS:
            return True
        raise VerbNotSupported(f"parameter {name!r} was passed by value; it can only be read")

    def source(self, request: Request, ctx: Context) -> Any:
        if request.uri.startswith("this:param:"):
            return self._param(request)
        value = getattr(self.run, self._field(request))
        if value is UNSET:
            raise ResourceNotFound(f"{request.uri} is not set")
        return value

    def sink(self, request: Request, ctx: Context) -> None:
        if request.uri.startswith("this:param:"):
            self._param(request)
            return
        setattr(self.run, self._field(request), request.primary)

    def exists(self, request: Request, ctx: Context) -> bool:
        if request.uri.startswith("this:param:"):
            found = self._param(request)
            return bool(found.representation if type(found) is Response else found)
        return getattr(self.run, self._field(request)) is not UNSET

    def meta(self, request: Request, ctx: Context) -> dict[str, Any]:
        """``{"scheme": "this", "uri": URI}``: for ``this:param:NAME`` passed by
        reference, the URI it was given (what NetKernel's ``toURI`` answers), else None."""
        uri: str | None = None
        if request.uri.startswith("this:param:"):
            param = self.run.params.get(request.uri[11:])
            if param is not None and param.ctx is not None and not param.origin.startswith("pbv:"):
                uri = param.origin
        return {"scheme": "this", "uri": uri}

    def delete(self, request: Request, ctx: Context) -> bool:
        if request.uri.startswith("this:param:"):
            found = self._param(request)
            return bool(found.representation if type(found) is Response else found)
        name = self._field(request)
        was = getattr(self.run, name) is not UNSET
        setattr(self.run, name, UNSET)
        return was

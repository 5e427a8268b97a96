"""An in-memory ``mem:`` scheme for tests that need a writable resource space."""

from __future__ import annotations

from kernel import ResourceNotFound, hookimpl


class Memory:
    """``mem:NAME`` — a dict of values; NEW ``mem:`` makes ``mem:N``."""

    def __init__(self) -> None:
        self.items: dict[str, object] = {}

    def source(self, request, ctx):
        try:
            return self.items[request.uri]
        except KeyError:
            raise ResourceNotFound("nothing stored here") from None

    def sink(self, request, ctx):
        self.items[request.uri] = request.primary

    def exists(self, request, ctx):
        return request.uri in self.items

    def delete(self, request, ctx):
        return self.items.pop(request.uri, None) is not None

    def new(self, request, ctx):
        uri = f"{request.uri.rstrip(':')}:{len(self.items)}"
        self.items[uri] = request.primary
        return uri


class MemoryPlugin:
    def __init__(self) -> None:
        self.memory = Memory()

    @hookimpl
    def roc_schemes(self):
        return {"mem": self.memory}

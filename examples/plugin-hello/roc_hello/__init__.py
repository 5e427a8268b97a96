"""An example roc plugin, installed as its own package and found through the ``roc``
entry-point group: ``hello:NAME`` greets, ``active:toUpper+operand@URI`` shouts."""

from kernel import hookimpl


class Hello:
    """Greets whoever the URI names: SOURCE hello:World -> 'Hello World'."""

    def source(self, request, ctx):
        return "Hello " + request.uri.partition(":")[2]

    def exists(self, request, ctx):
        return True


def to_upper(request, ctx):
    """The operand, in capitals."""
    return ctx.source("arg:operand", str).upper()


@hookimpl
def roc_schemes():
    return {"hello": Hello()}


@hookimpl
def roc_accessors():
    return {"toUpper": to_upper}

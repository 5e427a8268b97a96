"""cache: what the representation cache costs and saves, side by side in one process.

- a hit against an uncached SOURCE of a trivial handler and a plain dict lookup
  (target: a hit at most 2x the uncached SOURCE);
- a five-level accessor pipeline, each level an XSLT transform of about 10 KB, computed
  (on a kernel with ``max_entries = 0``) against served from the cache (target: at least
  50x faster from the cache);
- uncacheable requests (a plain value, a ``Response(cacheable=False)``, an accessor that
  says nothing, over a cacheable and over an uncacheable resource) with the cache on
  against off (target: at most 1.1x slower).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

from kernel import Kernel, Response, hookimpl
from kernel.uri import build

from .harness import Case, scenario, timed

LEVELS = 5
ITEMS = 200  # about 10 KB of XML at every level
STYLESHEET = """<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">
  <xsl:template match="@*|node()">
    <xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy>
  </xsl:template>
  <xsl:template match="item">
    <item n="{@n}" seen="{count(preceding-sibling::item) + 1}">
      <xsl:value-of select="translate(., 'abc', 'ABC')"/>
    </item>
  </xsl:template>
</xsl:stylesheet>"""


class Trivial:
    """``fast:x``: a plain value (uncacheable: it says nothing)."""

    def source(self, request, ctx):
        return "x"


class Volatile:
    """``vol:x``: a Response that says it must not be kept."""

    def source(self, request, ctx):
        return Response("x", cacheable=False)


class Kept:
    """``kept:x``: a cacheable Response."""

    def source(self, request, ctx):
        return Response("x")


def _echo(request, ctx):  # an accessor that says nothing: never kept
    return ctx.source("arg:operand")


class Plugin:
    @hookimpl
    def roc_schemes(self):
        return {"fast": Trivial(), "vol": Volatile(), "kept": Kept()}

    @hookimpl
    def roc_accessors(self):
        return {"echo": _echo}


HIT = "ctx.source('kept:x')  [a hit]"
UNCACHED = "ctx.source('fast:x')  [uncached, cache on]"
DICT = "dict.get(key)"
COMPUTED = "5-level xslt pipeline, computed  [cache off]"
FROM_CACHE = "5-level xslt pipeline, from the cache"
OFF = {
    "fast": "ctx.source('fast:x')  [cache off]",
    "vol": "ctx.source('vol:x')  [cache off]",
    "echo": "active:echo over data:  [cache off]",
    "echo-plain": "active:echo over fast:  [cache off]",
}
ON = {
    "fast": UNCACHED,
    "vol": "ctx.source('vol:x')  [cache on]",
    "echo": "active:echo over data:  [cache on]",
    "echo-plain": "active:echo over fast:  [cache on]",
}


def targets(m: dict[str, float]) -> list[str]:
    lines = [
        f"a hit = {m[HIT] / m[UNCACHED]:.2f}x an uncached trivial SOURCE (target <= 2x); "
        f"{m[HIT] / m[DICT]:.1f}x a dict lookup",
        f"pipeline from the cache = {m[COMPUTED] / m[FROM_CACHE]:,.0f}x faster than computed "
        "(target >= 50x)",
    ]
    for name in OFF:
        lines.append(
            f"uncacheable {name}: cache on = {m[ON[name]] / m[OFF[name]]:.2f}x cache off "
            "(target <= 1.1x)"
        )
    return lines


def _document() -> str:
    items = "".join(f'<item n="{i}">item {i} abc abc abc abc</item>' for i in range(ITEMS))
    return f"<doc>{items}</doc>"


def _pipeline() -> str:
    uri = "file:doc.xml"
    for _ in range(LEVELS):
        uri = build("active", "xslt", {"operand": uri, "operator": "file:copy.xsl"})
    return uri


@scenario(
    "cache", "the representation cache: hits, a cached pipeline, uncacheable requests", targets
)
def cache_scenario() -> Iterator[list[Case]]:
    root = tempfile.mkdtemp(prefix="roc-bench-cache-")
    with open(os.path.join(root, "doc.xml"), "w") as f:
        f.write(_document())
    with open(os.path.join(root, "copy.xsl"), "w") as f:
        f.write(STYLESHEET)
    config = {"file": {"root": root}}
    on = Kernel(config=config, plugins=[Plugin()], load_entrypoints=False)
    off = Kernel(
        config={**config, "cache": {"max_entries": 0}}, plugins=[Plugin()], load_entrypoints=False
    )
    pipeline = _pipeline()
    on_ctx, off_ctx = on.context(), off.context()
    result = on_ctx.source(pipeline)
    assert off_ctx.source(pipeline).findall("item")[3].get("seen") == "4"
    assert len(on.transreptors.convert(result, str)) > 9000  # about 10 KB at every level
    ns = {"on": on_ctx, "off": off_ctx, "d": {"kept:x": "x"}, "pipeline": pipeline}
    echo = "'active:echo+operand@data:,x'"
    echo_plain = "'active:echo+operand@fast:x'"
    try:
        yield [
            Case(UNCACHED, timed("on.source('fast:x')", ns)),
            Case(OFF["fast"], timed("off.source('fast:x')", ns)),
            Case(HIT, timed("on.source('kept:x')", ns)),
            Case(DICT, timed("d.get('kept:x')", ns)),
            Case(ON["vol"], timed("on.source('vol:x')", ns)),
            Case(OFF["vol"], timed("off.source('vol:x')", ns)),
            Case(ON["echo"], timed(f"on.source({echo})", ns)),
            Case(OFF["echo"], timed(f"off.source({echo})", ns)),
            Case(ON["echo-plain"], timed(f"on.source({echo_plain})", ns)),
            Case(OFF["echo-plain"], timed(f"off.source({echo_plain})", ns)),
            Case(FROM_CACHE, timed("on.source(pipeline)", ns)),
            Case(COMPUTED, timed("off.source(pipeline)", ns)),
        ]
    finally:
        on.close()
        off.close()
        shutil.rmtree(root, ignore_errors=True)

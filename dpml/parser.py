"""Text -> a tree of XML nodes with source positions, or a located DPMLSyntaxError.

The grammar (``dpml.lark``) is loaded once, LALR with an inline transformer, so parsing
builds our nodes directly. What a context-free grammar cannot check happens in the
transformer: end tags against start tags, references, attributes, nesting depth.
Every lark error is turned into a DPMLSyntaxError in one place, :func:`_translate`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from kernel.errors import LimitExceeded

from .errors import DPMLSyntaxError

__all__ = ["Node", "Text", "parse", "MAX_NESTING", "MAX_MARKUP"]

#: Elements may nest this deep; deeper documents are refused, not parsed recursively.
MAX_NESTING = 100
#: At most this many '<' and '&' in a script: parsing costs 25-60 µs per element (lark's
#: lexer and LALR parser run in Python), so this bounds a hostile script to seconds.
MAX_MARKUP = 50_000

_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "apos": "'", "quot": '"'}
_REFERENCE = re.compile(r"&(?:#([0-9]+)|#x([0-9a-fA-F]+)|([^\W\d][\w.\-]*));|&")
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(slots=True)
class Text:
    """Character data: decoded ``value``, located at its first character."""

    value: str
    line: int
    column: int

    def content_position(self) -> tuple[int, int]:
        """Where the first non-blank character is (for 'text where only elements may stand')."""
        stripped = self.value.lstrip()
        skipped = self.value[: len(self.value) - len(stripped)]
        newlines = skipped.count("\n")
        if not newlines:
            return self.line, self.column + len(skipped)
        return self.line + newlines, len(skipped) - skipped.rfind("\n")


@dataclass(slots=True)
class Node:
    """An element: tag as written (prefix included), attributes, children, position."""

    tag: str
    attrs: dict[str, str]
    children: list[Node | Text]
    line: int
    column: int
    height: int = 1


@dataclass(slots=True)
class _Start:
    tag: str
    attrs: dict[str, str]
    line: int
    column: int


class _Problem(Exception):
    """Raised inside the callbacks, which do not see the text; becomes DPMLSyntaxError."""

    def __init__(self, reason: str, line: int, column: int) -> None:
        self.reason, self.line, self.column = reason, line, column


def _at(token: Token) -> tuple[int, int]:
    return token.line or 1, token.column or 1


class _Build(Transformer[Token, Any]):
    """Inline LALR callbacks: tokens and sub-results in, our nodes out. Stateless."""

    def fail(self, reason: str, line: int, column: int) -> _Problem:
        return _Problem(reason, line, column)

    def start(self, children: list[Any]) -> list[Node | Text]:
        return self.content(children)

    def attribute(self, children: list[Token]) -> tuple[Token, str]:
        name, value = children
        line, column = _at(value)
        return name, self.decode(value[1:-1], line, column + 1)

    def stag(self, children: list[Any]) -> _Start:
        lt, name, *attributes = children
        return _Start(str(name), self.attributes(attributes), *_at(lt))

    def empty(self, children: list[Any]) -> Node:
        start = self.stag(children)
        return Node(start.tag, start.attrs, [], start.line, start.column)

    def etag(self, children: list[Token]) -> Token:
        lts, name = children
        name.line, name.column = lts.line, lts.column
        return name

    def element(self, children: list[Any]) -> Node:
        if len(children) == 1:
            return children[0]
        start, *body, end = children
        if str(end) != start.tag:
            raise self.fail(
                f"end tag </{end}> does not match start tag <{start.tag}> "
                f"(opened at line {start.line}, column {start.column})",
                *_at(end),
            )
        content = self.content(body)
        height = 1 + max((c.height for c in content if type(c) is Node), default=0)
        if height > MAX_NESTING:
            raise self.fail(
                f"elements nest more than {MAX_NESTING} deep here", start.line, start.column
            )
        return Node(start.tag, start.attrs, content, start.line, start.column, height)

    def attributes(self, pairs: list[tuple[Token, str]]) -> dict[str, str]:
        attrs: dict[str, str] = {}
        for name, value in pairs:
            if name in attrs:
                raise self.fail(f"attribute {name!s} is given twice", *_at(name))
            attrs[str(name)] = value
        return attrs

    def content(self, children: list[Any]) -> list[Node | Text]:
        out: list[Node | Text] = []
        for child in children:
            if type(child) is not Token:
                out.append(child)
                continue
            kind = child.type
            if kind == "TEXT":
                out.append(Text(str(child), *_at(child)))
            elif kind in ("CHARREF", "ENTREF"):
                out.append(Text(self.decode(str(child), *_at(child)), *_at(child)))
            elif kind == "CDATA":
                out.append(Text(str(child)[9:-3], *_at(child)))
            elif kind == "PI":
                self.instruction(child)
        return out

    def instruction(self, token: Token) -> None:
        target = re.match(r"<\?([^\s?]*)", str(token))
        name = target.group(1) if target else ""
        if name.lower() == "xml" and token.start_pos != 0:
            raise self.fail(
                "the XML declaration <?xml ...?> must come first in the script",
                *_at(token),
            )
        if not name:
            raise self.fail("a processing instruction needs a name after '<?'", *_at(token))

    def decode(self, raw: str, line: int, column: int) -> str:
        """Replace entity and character references; a bare '&' is an error."""
        if "&" not in raw:
            return raw

        def replace(match: re.Match[str]) -> str:
            decimal, hexadecimal, entity = match.groups()
            if entity is not None:
                if entity in _ENTITIES:
                    return _ENTITIES[entity]
                self.fail_at(
                    raw,
                    match.start(),
                    line,
                    column,
                    f"unknown entity &{entity}; (known: &lt; &gt; &amp; &apos; &quot;)",
                )
            if decimal is None and hexadecimal is None:
                self.fail_at(
                    raw,
                    match.start(),
                    line,
                    column,
                    "'&' must begin a reference such as &amp; or &#60; "
                    "(write &amp; for a literal '&')",
                )
            digits = (decimal or hexadecimal).lstrip("0")
            if len(digits) > 7:  # beyond U+10FFFF; and int() refuses 4,300 digits and more
                code = 0x110000
            else:
                code = int(digits or "0", 10 if decimal is not None else 16)
            if code > 0x10FFFF or _FORBIDDEN.match(chr(code)) or code in (0xFFFE, 0xFFFF):
                self.fail_at(
                    raw,
                    match.start(),
                    line,
                    column,
                    f"{_shorten(match.group(0))} is not a character XML allows",
                )
            return chr(code)

        return _REFERENCE.sub(replace, raw)

    def fail_at(self, raw: str, offset: int, line: int, column: int, reason: str) -> None:
        before = raw[:offset]
        newlines = before.count("\n")
        if newlines:
            line, column = line + newlines, offset - before.rfind("\n")
        else:
            column += offset
        raise self.fail(reason, line, column)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The LALR parser, built once per process (~15 ms). Not lark's cache=True: that
    unpickles a file from a predictable path in the shared temp directory, which another
    local user could plant; roc never unpickles anything."""
    grammar = Path(__file__).with_name("dpml.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, transformer=_Build())


def parse(text: str) -> list[Node | Text]:
    """Parse a script into top-level nodes; DPMLSyntaxError on anything malformed,
    LimitExceeded for more than :data:`MAX_MARKUP` markup characters."""
    if text.startswith("\ufeff"):
        text = text[1:]
    markup = text.count("<") + text.count("&")
    if markup > MAX_MARKUP:
        raise LimitExceeded(
            f"the script has {markup:,} markup characters ('<' and '&'), more than the "
            f"{MAX_MARKUP:,} DPML parses; split it into scripts that call each other"
        )
    bad = _FORBIDDEN.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - text.rfind("\n", 0, bad.start())
        raise DPMLSyntaxError(
            f"character U+{ord(bad.group()):04X} is not allowed in XML", line, column, text
        )
    try:
        return _parser().parse(text)  # type: ignore[return-value]
    except _Problem as p:
        raise DPMLSyntaxError(p.reason, p.line, p.column, text) from None
    except UnexpectedInput as e:
        raise _translate(e, text) from None
    except LarkError as e:  # pragma: no cover - lark reported something unforeseen
        raise DPMLSyntaxError(f"cannot parse the script: {e}", 1, 1, text) from None


def _translate(e: UnexpectedInput, text: str) -> DPMLSyntaxError:
    """One place that turns lark's errors into messages a script's author can act on."""
    stack = list(getattr(e.state, "value_stack", None) or ())
    if isinstance(e, UnexpectedToken):
        expected = set(e.expected)
        token = e.token
        if token.type == "$END":
            return _at_end(stack, expected, text)
        pos, line, column = token.start_pos or 0, token.line or 1, token.column or 1
        unfinished = _unfinished_tag(stack)
        if unfinished is not None and token.type in ("LT", "LTS"):  # text 'a<b</x>'
            lt, tag = unfinished
            return DPMLSyntaxError(
                f"'<{tag}' is not a finished tag (write &lt; for a literal '<' in text)",
                lt.line or 1,
                lt.column or 1,
                text,
            )
    else:
        assert isinstance(e, UnexpectedCharacters)
        expected = set(e.allowed or ())
        pos, line, column = e.pos_in_stream, e.line, e.column
    if expected <= {"NAME"} and text[pos - 1 : pos + 1] in ("</", "<!", "<?"):
        pos, column = pos - 1, column - 1  # '<' was taken for a tag: report the construct
    return DPMLSyntaxError(_reason(text, pos, expected, stack), line, column, text)


def _reason(text: str, pos: int, expected: set[str], stack: list[Any]) -> str:
    rest = text[pos : pos + 12]
    char = rest[:1]
    tag = _open_tag(stack)
    if "ATTVALUE" in expected:
        if char in "\"'":
            return (
                f"attribute value is not closed: the closing {char} is missing "
                "(or the value contains '<')"
            )
        return 'attribute values must be quoted: write name="value"'
    if "_EQ" in expected:
        return 'an attribute needs a value: write name="value"'
    if rest.startswith("</") and "LTS" not in expected:
        name = re.match(r"</\s*([^\s>]*)", rest)
        return f"end tag </{name.group(1) if name else ''}> closes no open element"
    if rest.startswith("<!--"):
        return "comment is not closed with '-->' (and may not contain '--')"
    if rest.startswith("<![CDATA["):
        return "CDATA section is not closed with ']]>'"
    if rest.startswith("<?"):
        return "processing instruction is not closed with '?>'"
    if rest.startswith("<!"):
        return "DOCTYPE and other <!...> declarations are not supported in DPML"
    if expected <= {"NAME"}:
        if char.isspace() or not char:
            return "a tag name must follow '<' or '</' directly"
        return f"{_show(char)} cannot start a tag name"
    if char == "&":
        return "'&' must begin a reference such as &amp; or &#60; (write &amp; for a literal '&')"
    if expected & {"_GT", "_EMPTY_GT"} or "_WS" in expected:
        where = f" in tag <{tag}>" if tag else " in a tag"
        if "NAME" in expected:
            return f"unexpected {_show(char)}{where}: expected an attribute, '>' or '/>'"
        return f"unexpected {_show(char)}{where}: expected whitespace, '>' or '/>'"
    if char == "<":
        return "'<' must begin a tag (write &lt; for a literal '<')"
    return f"unexpected {_show(char)}"


def _at_end(stack: list[Any], expected: set[str], text: str) -> DPMLSyntaxError:
    """The text ended early: inside a tag, or with elements left open."""
    for i in range(len(stack) - 1, -1, -1):
        item = stack[i]
        if type(item) is Token and item.type in ("LT", "LTS"):
            tag = _open_tag(stack)
            if item.type == "LT" and any(
                type(x) is Token and x.type == "_GT" for x in stack[i + 1 :]
            ):  # a whole start tag, not yet reduced: an element left open (a cut-off file)
                return DPMLSyntaxError(
                    f"<{tag}> is never closed: the script ends before its </{tag}>",
                    item.line or 1,
                    item.column or 1,
                    text,
                )
            return DPMLSyntaxError(
                f"the script ends inside the tag <{tag}>", item.line or 1, item.column or 1, text
            )
        if type(item) is _Start:
            break
    opened = [item for item in stack if type(item) is _Start]
    if opened:
        start = opened[-1]
        return DPMLSyntaxError(
            f"<{start.tag}> is never closed: the script ends before its </{start.tag}>",
            start.line,
            start.column,
            text,
        )
    lines = text.split("\n")
    return DPMLSyntaxError("the script ends unexpectedly", len(lines), len(lines[-1]) + 1, text)


def _unfinished_tag(stack: list[Any]) -> tuple[Token, str] | None:
    """The '<' and name of a start tag still being written, if the stack ends in one."""
    for i in range(len(stack) - 1, -1, -1):
        item = stack[i]
        if type(item) is _Start:
            return None
        if type(item) is Token and item.type in ("LT", "LTS"):
            if item.type == "LTS" or any(type(x) is Token for x in stack[i + 2 :]):
                return None  # an end tag, or one with attributes: other messages fit better
            following = stack[i + 1] if i + 1 < len(stack) else None
            return (item, str(following)) if type(following) is Token else None
    return None


def _open_tag(stack: list[Any]) -> str:
    """The name of the tag being written when the error happened, if any."""
    for i in range(len(stack) - 1, -1, -1):
        item = stack[i]
        if type(item) is _Start:
            return ""
        if type(item) is Token and item.type in ("LT", "LTS"):
            following = stack[i + 1] if i + 1 < len(stack) else None
            return str(following) if type(following) is Token else ""
    return ""


def _shorten(reference: str) -> str:
    return reference if len(reference) <= 16 else f"{reference[:12]}…;"


def _show(char: str) -> str:
    if not char:
        return "end of script"
    if char.isspace():
        return {"\n": "end of line", "\t": "tab"}.get(char, "whitespace")
    return repr(char)

"""XML nodes -> the DPML AST, with the static checks that make a script's mistakes
visible before it runs: each raises DPMLSyntaxError at the offending element or text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher
from xml.etree import ElementTree as ET

from kernel.errors import MalformedURI
from kernel.uri import extend, is_relative, split

from .ast import (
    TARGET_COND,
    TARGET_EXCEPTION,
    TARGET_RESPONSE,
    TARGET_URI,
    TARGET_VAR,
    Block,
    Choose,
    If,
    Instr,
    Step,
    While,
)
from .errors import DPMLSyntaxError, DPMLWarning
from .literals import Literals
from .parser import Node, Text, parse
from .xpointer import XPointer, split_fragment

__all__ = ["compile_body"]

_STATEMENTS = ("instr", "seq", "if", "choose", "while")
_IN_BLOCK = "<instr>, <seq>, <if>, <choose>, <while>, <exception> or <comment>"
_NAME = re.compile(r"[^\W\d][\w.\-]*\Z")
_RELATIVE = re.compile(r'[^\s<>"{}|\\^`]*\Z')  # what a relative reference may hold
_TARGETS = {
    "this:response": TARGET_RESPONSE,
    "this:cond": TARGET_COND,
    "this:exception": TARGET_EXCEPTION,
}


def compile_body(text: str, warnings: list[DPMLWarning] | None = None) -> Block:
    """Parse and check ``text``; the program's top block (the explicit or implicit idoc).
    What looks wrong but is valid DPML (a misspelt ``<target>``) goes to ``warnings``."""
    nodes = parse(text)
    compiler = _Compiler(text)
    compiler.literals.bind(nodes, {})
    body = compiler.document(nodes)
    if warnings is not None:
        warnings.extend(compiler.warnings)
    return body


def _near_target(name: str) -> bool:
    """``taget``, ``traget``, ``tagret``: an argument name one slip away from ``target``."""
    if name == "target" or abs(len(name) - 6) > 1:
        return False
    return SequenceMatcher(None, name.lower(), "target").ratio() >= 0.8


def _local(tag: str) -> str:
    """DPML's own elements may carry the ``dpm:`` prefix; nothing else may."""
    return tag[4:] if tag.startswith("dpm:") else tag


class _Compiler:
    def __init__(self, text: str) -> None:
        self.text = text
        self.warnings: list[DPMLWarning] = []
        self.literals = Literals(self.fail)
        self.statements: dict[str, Callable[[Node], Step]] = {
            "instr": self.instr,
            "seq": self.block,
            "if": self.if_,
            "choose": self.choose,
            "while": self.while_,
        }

    def fail(self, reason: str, where: Node | Text | tuple[int, int]) -> DPMLSyntaxError:
        if isinstance(where, Text):
            line, column = where.content_position()
        elif isinstance(where, Node):
            line, column = where.line, where.column
        else:
            line, column = where
        return DPMLSyntaxError(reason, line, column, self.text)

    # -- structure ------------------------------------------------------------------

    def document(self, nodes: list[Node | Text]) -> Block:
        elements = []
        for node in nodes:
            if isinstance(node, Text):
                if node.value.strip():
                    raise self.fail("text cannot stand outside the root element", node)
            else:
                elements.append(node)
        if not elements:
            raise self.fail("the script is empty: expected an <idoc> element", (1, 1))
        first = elements[0]
        if _local(first.tag) == "idoc":
            if len(elements) > 1:
                raise self.fail(
                    f"<{elements[1].tag}> follows the <idoc> element: a script has one root",
                    elements[1],
                )
            return self.block(first)
        for element in elements:
            if _local(element.tag) not in (*_STATEMENTS, "comment", "exception"):
                raise self.fail(
                    f"<{element.tag}> cannot start a script: expected <idoc>, "
                    "or bare <instr> and <seq> elements",
                    element,
                )
        return self.steps(elements, first.line, first.column, "idoc")

    def block(self, node: Node) -> Block:
        self.attributes(node)
        return self.steps(node.children, node.line, node.column, node.tag)

    def steps(self, children: Sequence[Node | Text], line: int, column: int, where: str) -> Block:
        steps: list[Step] = []
        handler: Block | None = None
        for child in children:
            if isinstance(child, Text):
                if child.value.strip():
                    raise self.fail(
                        f"text cannot stand in <{where}>, only elements: "
                        "put URIs and values inside an <instr>",
                        child,
                    )
                continue
            name = _local(child.tag)
            if name == "comment":
                continue
            if name == "exception":
                if handler is not None:
                    raise self.fail(f"<{where}> has a second <exception>: one per block", child)
                handler = self.block(child)
                continue
            compile_step = self.statements.get(name)
            if compile_step is None:
                known = name in ("idoc", "cond", "then", "else", "type", "target")
                what = (
                    f"<{child.tag}> cannot stand"
                    if known
                    else f"unknown control element <{child.tag}>"
                )
                raise self.fail(f"{what} in <{where}>: expected {_IN_BLOCK}", child)
            steps.append(compile_step(child))
        return Block(tuple(steps), handler, line, column)

    def parts(self, node: Node, allowed: tuple[str, ...]) -> list[tuple[str, Node]]:
        """The significant children of ``<if>``, ``<choose>``, ``<while>``."""
        self.attributes(node)
        found = []
        listing = ", ".join(f"<{a}>" for a in allowed)
        for child in node.children:
            if isinstance(child, Text):
                if child.value.strip():
                    raise self.fail(f"text cannot stand in <{node.tag}>: expected {listing}", child)
                continue
            name = _local(child.tag)
            if name == "comment":
                continue
            if name not in allowed:
                raise self.fail(
                    f"<{child.tag}> cannot stand in <{node.tag}>: expected {listing}", child
                )
            found.append((name, child))
        return found

    def cond(self, node: Node) -> Block:
        block = self.block(node)
        if not block.steps:
            raise self.fail(
                "<cond> is empty: it must run an instruction that SINKs a boolean to this:cond",
                node,
            )
        return block

    def if_(self, node: Node) -> If:
        parts = self.parts(node, ("cond", "then", "else"))
        names = [name for name, _ in parts]
        if not parts or names[0] != "cond":
            raise self.fail("<if> must begin with a <cond>", parts[0][1] if parts else node)
        if len(parts) < 2 or names[1] != "then":
            raise self.fail("this <cond> has no <then> after it", parts[0][1])
        if len(parts) > 2 and (names[2] != "else" or len(parts) > 3):
            extra = parts[2] if names[2] != "else" else parts[3]
            raise self.fail(
                "<if> holds <cond>, <then> and an optional <else>, in that order", extra[1]
            )
        otherwise = self.block(parts[2][1]) if len(parts) > 2 else None
        return If(
            self.cond(parts[0][1]), self.block(parts[1][1]), otherwise, node.line, node.column
        )

    def choose(self, node: Node) -> Choose:
        parts = self.parts(node, ("cond", "then", "else"))
        branches: list[tuple[Block, Block]] = []
        otherwise = None
        i = 0
        while i < len(parts):
            name, child = parts[i]
            if name == "cond":
                if i + 1 >= len(parts) or parts[i + 1][0] != "then":
                    raise self.fail("this <cond> has no <then> after it", child)
                branches.append((self.cond(child), self.block(parts[i + 1][1])))
                i += 2
            elif name == "else":
                if not branches:
                    raise self.fail("<else> must follow a <cond> and its <then>", child)
                if i + 1 < len(parts):
                    raise self.fail("nothing may follow <else> in <choose>", parts[i + 1][1])
                otherwise = self.block(child)
                i += 1
            else:
                raise self.fail("<then> must follow a <cond>", child)
        if not branches:
            raise self.fail("<choose> needs at least one <cond> and <then>", node)
        return Choose(tuple(branches), otherwise, node.line, node.column)

    def while_(self, node: Node) -> While:
        parts = self.parts(node, ("cond", "seq"))
        names = [name for name, _ in parts]
        if names != ["cond", "seq"]:
            where: Node = parts[2][1] if len(parts) > 2 else node
            for (name, child), want in zip(parts, ("cond", "seq"), strict=False):
                if name != want:
                    where = child
                    break
            raise self.fail("<while> holds a <cond> then a <seq>, nothing else", where)
        return While(self.cond(parts[0][1]), self.block(parts[1][1]), node.line, node.column)

    # -- instructions ---------------------------------------------------------------

    def instr(self, node: Node) -> Instr:
        self.attributes(node)
        kind: str | None = None
        target: str | None = None
        references: dict[str, str] = {}
        literals: dict[str, ET.Element] = {}
        deferred: list[tuple[str, str, XPointer | None]] = []
        target_node: Node | None = None
        for child in node.children:
            if isinstance(child, Text):
                if child.value.strip():
                    raise self.fail(
                        "text cannot stand in <instr>: put it in an argument such as <operand>",
                        child,
                    )
                continue
            name = _local(child.tag)
            if name == "comment":
                continue
            if name in ("type", "target") and (kind if name == "type" else target) is not None:
                raise self.fail(f"<instr> has a second <{name}>", child)
            if name == "type":
                kind = self.text_of(child)
                if not _NAME.match(kind) or ":" in kind:
                    raise self.fail(
                        f"<type> must name an accessor, such as copy; got {kind!r}", child
                    )
            elif name == "target":
                target, target_node = self.uri(child, self.text_of(child)), child
            else:
                if not _NAME.match(name):
                    raise self.fail(
                        f"<{child.tag}> cannot name an argument: use a plain name "
                        "such as <operand>",
                        child,
                    )
                if name in references or name in literals or any(d[0] == name for d in deferred):
                    raise self.fail(f"<instr> has a second <{name}> argument", child)
                value = self.argument(child)
                if isinstance(value, str):
                    base, pointer = self.pointer(child, value)
                    if pointer is None and not is_relative(base):
                        references[name] = value
                    else:
                        deferred.append((name, base, pointer))
                else:
                    literals[name] = value
        if kind is None:
            raise self.fail(
                "<instr> has no <type>: name the accessor to call, e.g. <type>copy</type>", node
            )
        if target is None:
            self.check_target(node)
        target_kind, target_name = TARGET_URI, ""
        target_pointer: XPointer | None = None
        target_relative = False
        if target is not None and target_node is not None:
            target, target_pointer = self.pointer(target_node, target)
            target_relative = is_relative(target)
        if target is None or target_pointer is not None or target_relative:
            pass
        elif target.startswith("var:"):
            target_kind, target_name = TARGET_VAR, target[4:]
        else:
            target_kind = _TARGETS.get(target, TARGET_URI)
        return Instr(
            kind,
            extend("active:" + kind, references),
            references,
            tuple(literals.items()),
            target,
            target_kind,
            target_name,
            node.line,
            node.column,
            tuple(deferred),
            target_relative,
            target_pointer,
        )

    def pointer(self, node: Node, uri: str) -> tuple[str, XPointer | None]:
        """Split an XPointer fragment off ``uri``, checked here rather than at run time."""
        base, fragment = split_fragment(uri)
        if fragment is None:
            return uri, None
        try:
            return base, XPointer(fragment)
        except ValueError as e:
            raise self.fail(f"<{node.tag}>: {e}", node) from None

    def check_target(self, node: Node) -> None:
        """A warning, not an error: any child but <type> and <target> is an argument in
        NetKernel's DPML, so <taget> is valid, but almost always a slip that silently
        discards the result."""
        for child in node.children:
            if isinstance(child, Node) and _near_target(_local(child.tag)):
                self.warnings.append(
                    DPMLWarning(
                        f"<{child.tag}> looks like a misspelt <target>: it is passed as an "
                        "argument and the instruction's result is discarded",
                        child.line,
                        child.column,
                    )
                )

    def text_of(self, node: Node) -> str:
        """The text content of ``<type>``/``<target>``; elements inside are an error."""
        self.attributes(node)
        for child in node.children:
            if isinstance(child, Node):
                raise self.fail(f"<{node.tag}> holds text only, not <{child.tag}>", child)
        text = "".join(child.value for child in node.children).strip()  # type: ignore[union-attr]
        if not text:
            raise self.fail(f"<{node.tag}> is empty", node)
        return text

    def argument(self, node: Node) -> str | ET.Element:
        """Text is a URI reference; one element is a literal passed by value."""
        self.attributes(node)
        elements = [child for child in node.children if isinstance(child, Node)]
        if not elements:
            return self.uri(node, "".join(c.value for c in node.children).strip())  # type: ignore[union-attr]
        for child in node.children:
            if isinstance(child, Text) and child.value.strip():
                raise self.fail(
                    f"<{node.tag}> holds either a URI or one XML element, not both", child
                )
        if len(elements) > 1:
            raise self.fail(
                f"<{node.tag}> holds more than one element: a literal XML value has a single root",
                elements[1],
            )
        return self.literals.literal(elements[0])

    def uri(self, node: Node, text: str) -> str:
        if not text:
            raise self.fail(
                f"<{node.tag}> is empty: give a URI, or an XML element to pass by value", node
            )
        if is_relative(text):
            if not _RELATIVE.match(split_fragment(text)[0]):
                raise self.fail(
                    f"<{node.tag}> holds {text!r}, which is not a URI "
                    "(scheme:body, e.g. var:x or data:,hello, or a relative reference "
                    "such as data.xml, without spaces)",
                    node,
                )
            return text
        try:
            split(text)
        except MalformedURI:  # pragma: no cover - is_relative has caught what split refuses
            raise self.fail(f"<{node.tag}> holds {text!r}, which is not a URI", node) from None
        if text.startswith("var:") and len(text) == 4:
            raise self.fail("var: needs a name, e.g. var:result", node)
        return text

    def attributes(self, node: Node) -> None:
        for name in node.attrs:
            if name != "xmlns" and not name.startswith("xmlns:"):
                raise self.fail(f"<{node.tag}> takes no attributes (found {name}=...)", node)

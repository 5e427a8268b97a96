"""URI helpers: the scheme split, and NetKernel's active-URI grammar.

Active grammar: ``scheme:base+name@value+name@value``. Inside the base and the values,
``+`` is written ``%2B``, ``@`` ``%40`` and ``%`` itself ``%25``, so any string can be
carried, including a whole nested active URI. Other ``%`` sequences are left as they are.
Argument names are non-empty and may not contain ``+``, ``@``, ``%`` or ``:``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from .errors import MalformedURI

__all__ = [
    "valid_scheme",
    "valid_name",
    "ActiveURI",
    "split",
    "parse",
    "build",
    "escape",
    "unescape",
    "extend",
    "resolve",
    "is_relative",
    "parts",
]

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9.\-]*\Z")
_NAME = re.compile(r"[^+@%:]+\Z")
_UNESCAPE = re.compile(r"%(2[bB5]|40)")
_DECODED = {"2b": "+", "2B": "+", "25": "%", "40": "@"}


@dataclass(frozen=True)
class ActiveURI:
    """A parsed active URI: scheme, base and named arguments (in order)."""

    scheme: str
    base: str
    arguments: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return build(self.scheme, self.base, self.arguments)


def split(uri: str) -> tuple[str, str]:
    """``"scheme:body"`` -> ``("scheme", "body")``; MalformedURI if there is no scheme."""
    if not isinstance(uri, str):
        raise MalformedURI(f"a URI must be a string, not {type(uri).__name__}")
    scheme, colon, body = uri.partition(":")
    if not colon or not _SCHEME.match(scheme):
        raise MalformedURI(
            "a URI is 'scheme:body' with a scheme of letters, digits, '.' and '-' "
            "starting with a letter",
            uri=uri,
        )
    return scheme, body


def escape(text: str) -> str:
    """Escape a base or value so the active grammar carries it unchanged."""
    return text.replace("%", "%25").replace("+", "%2B").replace("@", "%40")


def unescape(text: str) -> str:
    """Undo :func:`escape` (only ``%25``, ``%2B`` and ``%40`` are decoded)."""
    if "%" not in text:
        return text
    return _UNESCAPE.sub(lambda m: _DECODED[m.group(1)], text)


def build(scheme: str, base: str, arguments: Mapping[str, str] | None = None) -> str:
    """Build ``scheme:base+name@value...``; the inverse of :func:`parse`."""
    if not isinstance(scheme, str) or not _SCHEME.match(scheme):
        raise MalformedURI(f"invalid scheme {scheme!r}")
    parts = [f"{scheme}:{escape(base)}"]
    for name, value in (arguments or {}).items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise MalformedURI(
                f"invalid argument name {name!r}: names are non-empty, without '+@%:'"
            )
        if not isinstance(value, str):
            raise MalformedURI(f"argument {name!r} must be a string URI or value")
        parts.append(f"{name}@{escape(value)}")
    return "+".join(parts)


def parse(uri: str) -> ActiveURI:
    """Parse an active URI; :class:`MalformedURI` on anything that does not fit."""
    if not isinstance(uri, str):
        raise MalformedURI(f"a URI must be a string, not {type(uri).__name__}")
    scheme, base, arguments = parts(uri)
    return ActiveURI(scheme, base, dict(arguments))


#: Active URIs up to this many characters are memoised, 4096 of them (about 10 MiB at
#: most); a longer one carries data rather than names a call, and is parsed every time.
CACHED_LENGTH = 1024


def parts(uri: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    """:func:`parse` without the copy: ``(scheme, base, ((name, value), ...))``; a short
    URI's parts come from the memo, so treat them as read-only (an accessor's hot path)."""
    if len(uri) > CACHED_LENGTH:
        return _parse_text(uri)
    return _parse_memo(uri)


def _parse_text(uri: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    scheme, body = split(uri)
    base, *pairs = body.split("+")
    arguments: dict[str, str] = {}
    for pair in pairs:
        name, at, value = pair.partition("@")
        if not at or not _NAME.match(name):
            raise MalformedURI(
                f"argument {pair!r} is not 'name@value' (escape '+' as %2B and '@' as %40)",
                uri=uri,
            )
        if name in arguments:
            raise MalformedURI(f"argument {name!r} is given twice", uri=uri)
        arguments[name] = unescape(value)
    return scheme, unescape(base), tuple(arguments.items())


_parse_memo = lru_cache(maxsize=4096)(_parse_text)
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9.\-]*:")


def is_relative(text: str) -> bool:
    """True if ``text`` has no scheme: a relative reference such as ``data.xml``."""
    return not _ABSOLUTE.match(text)


def resolve(base: str, reference: str) -> str:
    """RFC 3986 reference resolution (section 5.2) on the body of ``base``.

    ``resolve("file:app/page.idoc", "../x.xsl")`` is ``file:x.xsl``; an absolute
    ``reference`` is returned as it is. Dot segments above the top are dropped, as the RFC
    says, so a reference never climbs out of the base's space by itself.
    """
    if not is_relative(reference):
        return reference
    scheme, body = split(base)
    body = body.partition("#")[0]
    if reference.startswith("//"):
        return f"{scheme}:{reference}"
    authority = ""
    if body.startswith("//"):
        end = body.find("/", 2)
        authority, body = (body, "") if end < 0 else (body[:end], body[end:])
    path, question, query = body.partition("?")
    if not reference or reference[0] == "#":
        return f"{scheme}:{authority}{path}{question}{query}{reference}"
    if reference[0] == "?":
        return f"{scheme}:{authority}{path}{reference}"
    cut = min((i for i in (reference.find("?"), reference.find("#")) if i >= 0), default=None)
    ref_path, rest = (reference, "") if cut is None else (reference[:cut], reference[cut:])
    if ref_path.startswith("/"):
        merged = ref_path
    elif authority and not path:
        merged = "/" + ref_path
    else:
        merged = path[: path.rfind("/") + 1] + ref_path
    return f"{scheme}:{authority}{_remove_dots(merged)}{rest}"


def _remove_dots(path: str) -> str:
    absolute = path.startswith("/")
    segments = (path[1:] if absolute else path).split("/")
    out: list[str] = []
    last = len(segments) - 1
    for i, segment in enumerate(segments):
        if segment == "..":
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
            continue
        if i == last:
            out.append("")
    return ("/" if absolute else "") + "/".join(out)


def extend(uri: str, arguments: Mapping[str, str]) -> str:
    """``uri`` with ``+name@value`` appended for each argument (values escaped): how a
    request's named arguments become part of its address."""
    parts = [uri]
    for name, value in arguments.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise MalformedURI(
                f"invalid argument name {name!r}: names are non-empty, without '+@%:'", uri=uri
            )
        if not isinstance(value, str):
            raise MalformedURI(f"argument {name!r} must be a URI (a str)", uri=uri)
        if f"+{name}@" in uri:
            raise MalformedURI(f"argument {name!r} is given twice", uri=uri)
        parts.append(f"{name}@{escape(value)}")
    return "+".join(parts)


def valid_scheme(name: object) -> bool:
    """A scheme name as RFC 3986 has them: a letter, then letters, digits, ``.`` or ``-``."""
    return isinstance(name, str) and _SCHEME.match(name) is not None


def valid_name(name: object) -> bool:
    """An accessor or argument name the active grammar can carry (no ``+@%:``)."""
    return isinstance(name, str) and _NAME.match(name) is not None

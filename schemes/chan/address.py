"""Remote addresses, ``chan://HOST:PORT/ID[/PART]``: parsed once, hosts checked, so a bad
name is MalformedURI here and never an odd error from the resolver (or text a peer can
smuggle into a log)."""

from __future__ import annotations

import ipaddress
import re

__all__ = ["parse_remote", "split_host_port", "base_of", "is_id"]

_REMOTE = re.compile(r"chan://(\[[^\]/]+\]|[^:/\[\]]+):(\d{1,5})/([0-9A-F]{32})(?:/([a-z]+))?\Z")
_ID = re.compile(r"[0-9A-F]{32}\Z")
_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\Z")


def parse_remote(uri: str) -> tuple[str, int, str, str] | None:
    """``(host, port, id, part)`` for a well-formed remote URI (``part`` may be ""), else
    None. The host is a DNS name (labels of letters, digits, ``-`` and ``_``, at most 63
    characters each, 253 in all), an IPv4 address, or an IPv6 address in brackets."""
    match = _REMOTE.match(uri)
    if match is None or int(match.group(2)) > 65535:
        return None
    host, port, id, part = match.groups()
    if host.startswith("["):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return None
    elif not _is_name(host):
        return None
    return host, int(port), id, part or ""


def _is_name(host: str) -> bool:
    if len(host) > 253:
        return False
    return all(_LABEL.match(label) for label in host.split("."))


def split_host_port(text: str) -> tuple[str, int]:
    """``"HOST:PORT"`` as ``(host, port)``; ValueError if it is not one."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{text!r} is not HOST:PORT (port 0 to 65535)")
    return host.strip("[]"), int(port)


def base_of(host: str, port: int) -> str:
    """``chan://HOST:PORT/``, an IPv6 address in brackets as in URLs."""
    return f"chan://[{host}]:{port}/" if ":" in host else f"chan://{host}:{port}/"


def is_id(value: object) -> bool:
    """Whether ``value`` is an id as NEW makes them (32 upper-case hex digits)."""
    return isinstance(value, str) and _ID.match(value) is not None

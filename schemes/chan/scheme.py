"""The ``chan:`` scheme handler: the README's table of ``chan:`` URIs and verbs.

URIs are ``chan:ID`` and ``chan:ID/PART``; ``chan:null`` and ``chan:gate`` are what NEW
makes. The handler owns this kernel's open instances and gates, in dicts keyed by URI, so
sending a message is one dict lookup and a call on the instance's link. Instances and
gates in other kernels are ``chan://HOST:PORT/ID``: connecting to one, or sending to its
``/free``, goes through the kernel's :class:`Network` (started when first needed, or at
once when ``chan.listen`` is set).
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Mapping
from typing import Any

from kernel import Context, Request, Response
from kernel.errors import (
    ConfigError,
    MalformedURI,
    ResourceNotFound,
    UnsupportedRepresentation,
    VerbNotSupported,
)

from .address import parse_remote
from .errors import ChannelClosed, StreamFull
from .instance import Gate, Instance, LinkMaker, connect
from .link import Link, LocalLink, short
from .message import SCALARS, checked
from .net.network import Network

__all__ = ["ChanScheme"]

_URI = re.compile(r"chan:([0-9A-F]{32})(?:/([a-z]+))?\Z")
_PARTS = "peer, messages, free, link, sessions, address"
# which PART each verb answers, on an instance and on a gate ("" is chan:ID itself)
_INSTANCE = {
    "SOURCE": {"peer", "messages", "free", "link", "address"},
    "SINK": {"", "peer", "free"},
    "DELETE": {"", "peer"},
    "EXISTS": {"", "peer"},
}
_GATE = {"SOURCE": {"sessions", "address"}, "DELETE": {""}, "EXISTS": {""}}
_KNOWN = _INSTANCE["SOURCE"] | _GATE["SOURCE"]


class ChanScheme:
    """chan: Oz-style session channels: instances, gates, streams and links."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        if config["heartbeat"] >= config["suspect_after"]:
            raise ConfigError(
                f"config chan.heartbeat ({config['heartbeat']} s) must be less than "
                f"chan.suspect_after ({config['suspect_after']} s), or a quiet link is "
                "suspected between two heartbeats"
            )
        self.config = config
        self.max_pending: int = config["max_pending"]
        #: makes the link between two instances of this kernel; tests swap in
        #: ``FaultLink.pair`` to inject failures
        self.local_link: LinkMaker = LocalLink.pair
        self._open: dict[str, Instance | Gate] = {}  # by URI: chan:ID
        self._instances: dict[str, Instance] = {}  # the same, instances only: sends look here
        self._lock = threading.Lock()
        self._closed = False
        self._net: Network | None = None
        if config["listen"]:
            self._net = Network(self, config)

    @property
    def network(self) -> Network:
        """This kernel's network side, started on first use."""
        net = self._net
        if net is None:
            with self._lock:
                if self._closed:
                    raise ChannelClosed("chan: is closed: its kernel was closed")
                if self._net is None:
                    self._net = Network(self, self.config)
                net = self._net
        return net

    # -- verbs ------------------------------------------------------------------------------

    def new(self, request: Request, ctx: Context) -> str:
        kind = request.uri[5:]
        if kind not in ("null", "gate"):
            raise MalformedURI("NEW makes chan:null (a session instance) or chan:gate (a gate)")
        if request.primary is not None:
            raise UnsupportedRepresentation(f"NEW chan:{kind} takes no primary")
        return self._make(Gate if kind == "gate" else Instance).uri

    def sink(self, request: Request, ctx: Context) -> None:
        target = self._instances.get(request.uri)
        if target is not None:  # the hot path: send to chan:A's peer
            link = target.link
            if link is None:
                raise target.not_connected()
            message = request.primary
            if type(message) not in SCALARS:
                message = checked(message)
            if type(link) is LocalLink and not link.over:
                # LocalLink.send and Stream.put inlined (two calls less a message): onto
                # the peer's stream while it has room
                stream = link.stream
                if stream._size() < stream._limit:
                    stream._put(message)
                    if stream._waiters:
                        stream._wake()
                    return
            link.send(message)
            return
        if request.uri.startswith("chan://"):
            host, port, id, part = _remote(request.uri)
            if part != "free":
                raise VerbNotSupported(
                    "a remote chan://HOST:PORT/ID takes only SINK to its /free; to talk to "
                    "it, connect a local instance with SINK chan:A/peer"
                )
            self.network.free(host, port, id, checked(request.primary))
            return
        found, part = self._find(request, "SINK")
        assert isinstance(found, Instance)
        if part == "peer":
            self._connect(found, request.primary)
        elif part == "free":
            found.free.put(checked(request.primary))
        else:
            found.send(checked(request.primary))

    def source(self, request: Request, ctx: Context) -> Response:
        target, part = self._find(request, "SOURCE")
        if part == "address":
            return Response(self._address(target), cacheable=False)
        if isinstance(target, Gate):
            return Response(target.sessions, cacheable=False)
        if part == "peer":
            return Response(target.peer, cacheable=False)
        stream = {"messages": target.messages, "free": target.free, "link": target.events}
        return Response(stream[part], cacheable=False)

    def exists(self, request: Request, ctx: Context) -> Response:
        try:
            target, part = self._find(request, "EXISTS")
        except ChannelClosed:
            return Response(False, cacheable=False)
        if part == "peer":
            return Response(
                isinstance(target, Instance) and target.peer is not None, cacheable=False
            )
        return Response(not target.closed, cacheable=False)

    def delete(self, request: Request, ctx: Context) -> bool:
        try:
            target, part = self._find(request, "DELETE")
        except ChannelClosed:
            return False
        if part == "peer":
            assert isinstance(target, Instance)
            return target.disconnect()
        self._forget(target)
        return target.close()

    # -- for tests and tools -------------------------------------------------------------------

    def instance(self, uri: str) -> Instance:
        """The open instance at ``uri`` (``chan:ID``); ChannelClosed if there is none."""
        target = self._instances.get(uri)
        if target is None:
            raise ChannelClosed(f"{short(uri)} is not an open instance of this kernel")
        return target

    def link(self, uri: str) -> Link | None:
        """The current link end of the instance at ``uri`` (``chan:ID``), or None."""
        target = self._instances.get(uri)
        return None if target is None else target.link

    def close(self) -> None:
        """Close every instance and gate (waking every reader), then the network (after
        it has written what is queued); called by Kernel.close()."""
        with self._lock:
            self._closed = True
            targets = list(self._open.values())
            self._open.clear()
            self._instances.clear()
        for target in targets:
            target.close()
        if self._net is not None:
            self._net.stop()

    # -- for the network -----------------------------------------------------------------------

    def accept(self, id: str, make: Any) -> Instance:
        """Attach ``make(instance)`` (a link from another kernel) to instance ``id``, or to
        a fresh instance spawned by gate ``id``; the instance. ChannelClosed if neither."""
        target = self._open.get("chan:" + id)
        if target is None:
            raise ChannelClosed(f"chan:{id[:8]}… is closed, or was never opened here")
        if isinstance(target, Gate):
            return self._enter(target, lambda server: server.attach(make(server)))
        target.attach(make(target))
        return target

    def instances_by_id(self, id: str) -> Instance | None:
        return self._instances.get("chan:" + id)

    # -- inside -----------------------------------------------------------------------------

    def _make(self, kind: type[Instance] | type[Gate]) -> Any:
        target = kind(secrets.token_hex(16).upper(), self.max_pending)
        with self._lock:
            if self._closed:
                raise ChannelClosed("chan: is closed: its kernel was closed")
            self._open[target.uri] = target
            if isinstance(target, Instance):
                self._instances[target.uri] = target
        return target

    def _forget(self, target: Instance | Gate) -> None:
        with self._lock:
            self._open.pop(target.uri, None)
            self._instances.pop(target.uri, None)

    def _find(self, request: Request, verb: str) -> tuple[Instance | Gate, str]:
        match = _URI.match(request.uri)
        if match is None:
            raise MalformedURI(
                f"chan URIs are chan:ID or chan:ID/PART, with ID 32 hex digits (as NEW "
                f"chan:null gave) and PART one of {_PARTS}"
            )
        id, part = match.group(1), match.group(2) or ""
        if part and part not in _KNOWN:
            raise MalformedURI(f"unknown part {part!r}; a chan URI's PART is one of {_PARTS}")
        target = self._open.get(request.uri[: 5 + 32])
        if target is None:
            raise ChannelClosed(f"chan:{id[:8]}… is closed, or was never opened in this kernel")
        allowed = (_GATE if isinstance(target, Gate) else _INSTANCE).get(verb, ())
        if part not in allowed:
            what = "gate" if isinstance(target, Gate) else "session instance"
            asked = f"{short(target.uri)}/{part}" if part else short(target.uri)
            raise VerbNotSupported(
                f"{asked} is part of a {what}, which does not support "
                f"{verb} there (see the chan: table in the README)"
            )
        return target, part

    def _connect(self, instance: Instance, peer: Any) -> None:
        if not isinstance(peer, str):
            raise MalformedURI(
                f"SINK chan:ID/peer takes the peer's URI (a str), not {type(peer).__name__}"
            )
        if peer.startswith("chan://"):
            host, port, id, part = _remote(peer)
            if part:
                raise MalformedURI(f"the peer must be chan://HOST:PORT/ID, without /{part}")
            with instance._lock:  # fail before dialling, when we can
                instance._check_free()
            self.network.connect(instance, host, port, id)
            return
        match = _URI.match(peer)
        if match is None or match.group(2):
            raise MalformedURI(f"the peer must be an instance or gate URI chan:ID, not {peer!r}")
        target = self._open.get(peer)
        if target is None:
            raise ChannelClosed(f"the peer {short(peer)} is closed, or was never opened here")
        if isinstance(target, Gate):
            self._enter(target, lambda server: connect(instance, server, self.local_link))
        else:
            connect(instance, target, self.local_link)

    def _enter(self, gate: Gate, join: Any) -> Instance:
        """Spawn a server-side instance, ``join(server)`` it to the client, announce it."""
        with gate.lock:
            if gate.closed:
                raise ChannelClosed(f"the gate {short(gate.uri)} is closed")
            if len(gate.sessions) >= gate.sessions.cap:
                raise StreamFull(
                    f"the gate {short(gate.uri)} already has {gate.sessions.cap} sessions "
                    "nobody has taken from its sessions stream (config chan.max_pending)"
                )
            server = self._make(Instance)
            try:
                join(server)
            except BaseException:
                self._forget(server)
                server.close()
                raise
            gate.sessions.put(server.uri, force=True)
            return server

    def _address(self, target: Instance | Gate) -> str:
        base = self._net.address_base if self._net is not None else None
        if base is None:
            raise ResourceNotFound(
                f"{short(target.uri)} has no network address: this kernel does not listen "
                "(set config chan.listen to HOST:PORT)"
            )
        return base + target.id


def _remote(uri: str) -> tuple[str, int, str, str]:
    """``chan://HOST:PORT/ID[/PART]`` as ``(host, port, id, part)``; MalformedURI if not."""
    parsed = parse_remote(uri)
    if parsed is None:
        raise MalformedURI(
            f"a remote chan URI is chan://HOST:PORT/ID (HOST a DNS name, an IPv4 address or "
            f"[an IPv6 address], ID 32 hex digits, as SOURCE chan:ID/address gave), "
            f"not {short(uri)!r}"
        )
    return parsed

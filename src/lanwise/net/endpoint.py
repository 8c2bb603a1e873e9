"""Endpoints and the local endpoint of an existing connection.

"What address do I give my peer?" has a right answer once a connection
exists: the local address of *that* connection (``getsockname``), which is
on the path the peer already reaches. :func:`local_endpoint` returns it with
the interface it belongs to.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

from lanwise.errors import UsageError
from lanwise.interfaces.lookup import list_interfaces
from lanwise.interfaces.model import Interface, InterfaceType
from lanwise.net.sockopts import bound_interface
from lanwise.net.urls import format_host

__all__ = ["Endpoint", "InterfaceRef", "LocalEndpoint", "endpoint_of", "local_endpoint"]


@dataclass(frozen=True, slots=True)
class InterfaceRef:
    """Which interface a socket runs over: index (the identity), name and type (labels)."""

    index: int
    name: str
    type: InterfaceType

    @classmethod
    def of(cls, iface: Interface) -> InterfaceRef:
        return cls(iface.index, iface.name, iface.type)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An address and port; an IPv6 link-local address carries its scope."""

    address: IPv4Address | IPv6Address
    port: int

    def __str__(self) -> str:
        return f"{format_host(self.address).replace('%25', '%')}:{self.port}"


@dataclass(frozen=True, slots=True)
class LocalEndpoint:
    """The local end of a connection: the address to hand a peer, and its interface."""

    address: IPv4Address | IPv6Address
    port: int
    interface: InterfaceRef | None

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.address, self.port)


def endpoint_of(sockaddr: Any, scope_names: dict[int, str] | None = None) -> Endpoint:
    """An :class:`Endpoint` from a socket address tuple.

    IPv4-mapped IPv6 addresses (``::ffff:10.0.0.1``) become plain IPv4: that
    is the address a peer can use. A scoped IPv6 address keeps its zone.
    """
    host, port = str(sockaddr[0]), int(sockaddr[1])
    address = ip_address(host.split("%", 1)[0])
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return Endpoint(address.ipv4_mapped, port)
        scope = sockaddr[3] if len(sockaddr) >= 4 else 0
        if scope:
            name = (scope_names or {}).get(scope)
            if name is None:
                try:
                    name = socket.if_indextoname(scope)
                except OSError:
                    name = str(scope)
            address = IPv6Address(f"{address}%{name}")
    return Endpoint(address, port)


def _socket_of(obj: object) -> socket.socket:
    if isinstance(obj, socket.socket):
        return obj
    writer = getattr(obj, "writer", None)  # a lanwise Connection
    if isinstance(writer, asyncio.StreamWriter):
        obj = writer
    if isinstance(obj, asyncio.StreamWriter | asyncio.BaseTransport):
        sock = obj.get_extra_info("socket")
        if sock is not None:
            return sock  # type: ignore[no-any-return]
    raise UsageError(
        "sock_or_stream", "must be a socket, a StreamWriter, a transport or a Connection", obj
    )


def _owner(
    interfaces: list[Interface], address: IPv4Address | IPv6Address, scope: int
) -> Interface | None:
    bare = ip_address(str(address).split("%", 1)[0])
    for iface in interfaces:
        if scope and iface.index != scope:
            continue
        for addr in iface.addresses:
            if ip_address(str(addr.address).split("%", 1)[0]) == bare:
                return iface
    return None


def local_endpoint(
    sock_or_stream: object, interfaces: list[Interface] | None = None
) -> LocalEndpoint:
    """The local address and port of a connected socket or stream, with its interface.

    The interface is the one the socket is bound to (SO_BINDTODEVICE) or else
    the one that owns the local address; ``interfaces`` defaults to the
    host's current list.
    """
    sock = _socket_of(sock_or_stream)
    raw = sock.getsockname()
    if interfaces is None:
        interfaces = list_interfaces()
    names = {i.index: i.name for i in interfaces}
    local = endpoint_of(raw, names)
    scope = raw[3] if sock.family == socket.AF_INET6 and len(raw) >= 4 else 0
    iface: Interface | None = None
    bound = bound_interface(sock)
    if bound is not None:
        iface = next((i for i in interfaces if i.name == bound), None)
    if iface is None:
        iface = _owner(interfaces, local.address, scope)
    return LocalEndpoint(local.address, local.port, InterfaceRef.of(iface) if iface else None)

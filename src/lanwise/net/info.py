"""Connection info for a local server: how other devices reach it, kept up to date.

A snapshot lists, in the order a person should try them: the DNS-SD service
name (when the server is advertised), the ``host.local`` name, then every
usable address of every interface the server listens on, grouped by
interface and ordered by interface type (wired, Wi-Fi, other, cellular),
each with a ready-to-use URL. Loopback is left out: the info is for other
devices. When no interface is usable the snapshot says so
(:attr:`InfoState.NO_INTERFACE`) instead of listing nothing silently.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, IPv6Network
from typing import Any

from lanwise.interfaces.model import Address, Interface, InterfaceType
from lanwise.interfaces.monitor import open_monitor
from lanwise.net.eligibility import type_rank
from lanwise.net.urls import format_url

__all__ = [
    "AddressInfo",
    "ConnectionInfo",
    "InfoState",
    "InterfaceInfo",
    "build_connection_info",
    "watch_connection_info",
]

_ULA = IPv6Network("fc00::/7")


class InfoState(enum.StrEnum):
    READY = "ready"
    NO_INTERFACE = "no-interface"  # no up interface with a usable address


@dataclass(frozen=True, slots=True)
class AddressInfo:
    address: IPv4Address | IPv6Address
    url: str


@dataclass(frozen=True, slots=True)
class InterfaceInfo:
    index: int
    name: str
    type: InterfaceType
    addresses: tuple[AddressInfo, ...]


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """One snapshot of how to reach a local server."""

    port: int
    scheme: str
    state: InfoState
    service_name: str | None
    service_type: str | None
    host_name: str | None
    host_url: str | None
    interfaces: tuple[InterfaceInfo, ...]

    @property
    def urls(self) -> tuple[str, ...]:
        """Every URL, best first: the host name's, then each address's."""
        head = (self.host_url,) if self.host_url else ()
        return head + tuple(a.url for i in self.interfaces for a in i.addresses)

    @property
    def best_url(self) -> str | None:
        """The URL most likely to work from another device (first address URL).

        An address beats the ``.local`` name here: not every client resolves
        multicast DNS names, while every client can use an address on its LAN.
        """
        for iface in self.interfaces:
            for addr in iface.addresses:
                return addr.url
        return self.host_url

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "port": self.port,
            "scheme": self.scheme,
            "service_name": self.service_name,
            "service_type": self.service_type,
            "host_name": self.host_name,
            "host_url": self.host_url,
            "interfaces": [
                {
                    "index": i.index,
                    "name": i.name,
                    "type": i.type.value,
                    "addresses": [{"address": str(a.address), "url": a.url} for a in i.addresses],
                }
                for i in self.interfaces
            ],
        }


def _address_rank(addr: Address) -> tuple[int, int]:
    ip = addr.address
    if isinstance(ip, IPv4Address):
        kind = 4 if ip.is_link_local else 0
    elif ip.is_link_local:
        kind = 5
    elif ip in _ULA:
        kind = 3
    else:
        # A stable global address is better to hand out than a temporary one (RFC 8981).
        kind = 2 if addr.temporary else 1
    return (1 if addr.deprecated else 0, kind)


def _usable(addr: Address) -> bool:
    # A tentative address cannot be used yet (RFC 4862 §5.4); a duplicate never.
    return not (addr.tentative or addr.dad_failed)


def build_connection_info(
    interfaces: Iterable[Interface],
    port: int,
    *,
    scheme: str = "http",
    host_name: str | None = None,
    service_name: str | None = None,
    service_type: str | None = None,
    serves: Callable[[Interface], bool] | None = None,
    path: str = "",
) -> ConnectionInfo:
    """One snapshot from an interface list (pure; no I/O).

    ``serves`` says which interfaces the server listens on (default: all).
    """
    entries: list[InterfaceInfo] = []
    chosen = [
        i
        for i in interfaces
        # A bridge port's traffic is the bridge's: no URL on it would be reached.
        if i.is_operational
        and not i.is_loopback
        and not i.is_port
        and (serves is None or serves(i))
    ]
    chosen.sort(key=lambda i: (type_rank(i.type), i.index))
    for iface in chosen:
        addrs = sorted((a for a in iface.addresses if _usable(a)), key=_address_rank)
        infos = tuple(
            AddressInfo(a.address, format_url(scheme, a.address, port, path)) for a in addrs
        )
        if infos:
            entries.append(InterfaceInfo(iface.index, iface.name, iface.type, infos))
    state = InfoState.READY if entries else InfoState.NO_INTERFACE
    host_url = format_url(scheme, host_name, port, path) if host_name and entries else None
    return ConnectionInfo(
        port=port,
        scheme=scheme,
        state=state,
        service_name=service_name,
        service_type=service_type,
        host_name=host_name,
        host_url=host_url,
        interfaces=tuple(entries),
    )


async def watch_connection_info(
    port: int,
    *,
    scheme: str = "http",
    host_name: str | None = None,
    service_name: str | None = None,
    service_type: str | None = None,
    serves: Callable[[Interface], bool] | None = None,
    path: str = "",
) -> AsyncIterator[ConnectionInfo]:
    """Snapshots of the connection info: the current one, then a new one whenever it changes."""
    async with open_monitor() as monitor:
        last: ConnectionInfo | None = None

        def current() -> ConnectionInfo:
            return build_connection_info(
                monitor.snapshot().values(),
                port,
                scheme=scheme,
                host_name=host_name,
                service_name=service_name,
                service_type=service_type,
                serves=serves,
                path=path,
            )

        last = current()
        yield last
        # One snapshot per batch of changes: a storm of events is one rebuild, not many.
        while await monitor.next_batch():
            info = current()
            if info != last:
                last = info
                yield info

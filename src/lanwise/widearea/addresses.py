"""The host's addresses worth publishing in a unicast zone: routable ones only.

A unicast zone is read from anywhere, so link-local addresses (RFC 3927,
RFC 4291 §2.5.6, meaningless off their link), loopback, multicast and
unspecified addresses are never published.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv6Address

from lanwise.interfaces import list_interfaces
from lanwise.interfaces.model import Interface, InterfaceFlags

__all__ = ["is_publishable", "publishable_addresses"]


def is_publishable(address: IPv4Address | IPv6Address) -> bool:
    """True for an address reachable off-link: not link-local, loopback, multicast or zero."""
    return not (
        address.is_link_local
        or address.is_loopback
        or address.is_multicast
        or address.is_unspecified
    )


def publishable_addresses(
    interfaces: Iterable[Interface] | None = None,
) -> list[IPv4Address | IPv6Address]:
    """Every publishable address of the host's interfaces that are up, IPv4 first."""
    found: set[IPv4Address | IPv6Address] = set()
    for iface in list_interfaces() if interfaces is None else interfaces:
        if not iface.flags & InterfaceFlags.UP:
            continue
        for entry in iface.addresses:
            address = entry.address
            if isinstance(address, IPv6Address) and address.scope_id:
                continue
            if is_publishable(address):
                found.add(address)
    return sorted(found, key=lambda a: (a.version, a.packed))

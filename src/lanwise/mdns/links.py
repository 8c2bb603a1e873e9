"""What the engine knows about one interface: its addresses, MTU and link membership (§11)."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Address, IPv6Interface
from typing import Final

from lanwise.mdns.constants import (
    DEFAULT_MTU,
    IPV4_HEADER,
    IPV6_HEADER,
    MAX_MESSAGE_SIZE,
    UDP_HEADER,
)

__all__ = ["Channel", "IPAddress", "InterfaceAddress", "Link"]

Channel = tuple[int, int]  # (interface index, IP version): one multicast "wire"
IPAddress = IPv4Address | IPv6Address
InterfaceAddress = IPv4Interface | IPv6Interface

_IPV4_LINK_LOCAL: Final = IPv4Network("169.254.0.0/16")  # RFC 3927


@dataclass(slots=True)
class Link:
    """One interface (by index) as the engine sees it: addresses with prefixes, and MTU."""

    index: int
    addresses: tuple[InterfaceAddress, ...]
    mtu: int = DEFAULT_MTU

    @property
    def versions(self) -> tuple[int, ...]:
        """IP versions with an address here: the multicast groups we speak on."""
        return tuple(v for v in (4, 6) if any(a.version == v for a in self.addresses))

    def payload_limit(self, version: int) -> int:
        """§17: the largest mDNS message that fits this interface's MTU."""
        header = IPV4_HEADER if version == 4 else IPV6_HEADER
        return max(512, min(MAX_MESSAGE_SIZE, self.mtu - header - UDP_HEADER))

    def on_link(self, address: IPAddress) -> bool:
        """§11: is ``address`` on this link (link-local, or inside one of our prefixes)?"""
        if address.is_link_local:
            return True
        if isinstance(address, IPv4Address) and address in _IPV4_LINK_LOCAL:
            return True
        return any(a.version == address.version and address in a.network for a in self.addresses)

    def owns(self, address: IPAddress) -> bool:
        """Is ``address`` one of ours on this link (a looped-back packet of our own)?"""
        # Compare as integers: an IPv6 link-local source may carry a scope id.
        return any(
            a.version == address.version and int(a.ip) == int(address) for a in self.addresses
        )

    def own_address(self, version: int) -> IPAddress | None:
        """Our first address of ``version`` here (the source of our packets), if any."""
        return next((a.ip for a in self.addresses if a.version == version), None)

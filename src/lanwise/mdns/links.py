"""What the engine knows about one interface: its addresses, MTU and link membership (§11)."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv6Address, IPv6Interface
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

_IPV4_LINK_LOCAL: Final = 0xA9FE  # 169.254.0.0/16, RFC 3927: the top 16 bits
_IPV6_LINK_LOCAL: Final = 0x3FA  # fe80::/10, RFC 4291 §2.5.6: the top 10 bits
_set = object.__setattr__


@dataclass(frozen=True, slots=True)
class Link:
    """One interface (by index) as the engine sees it: addresses with prefixes, and MTU."""

    index: int
    addresses: tuple[InterfaceAddress, ...]
    mtu: int = DEFAULT_MTU
    # Derived once here because the engine consults them for every received packet:
    # (network, netmask) integers per IP version for the §11 on-link test, our own
    # addresses as (version, integer), and the versions we have addresses of.
    _networks: dict[int, tuple[tuple[int, int], ...]] = field(init=False, repr=False, compare=False)
    _own: frozenset[tuple[int, int]] = field(init=False, repr=False, compare=False)
    # IP versions with an address here: the multicast groups we speak on.
    versions: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        networks: dict[int, tuple[tuple[int, int], ...]] = {4: (), 6: ()}
        for a in self.addresses:
            net = a.network
            networks[a.version] += ((int(net.network_address), int(net.netmask)),)
        _set(self, "_networks", networks)
        # Compare as integers: an IPv6 link-local source may carry a scope id.
        _set(self, "_own", frozenset((a.version, int(a.ip)) for a in self.addresses))
        _set(self, "versions", tuple(v for v in (4, 6) if networks[v]))

    def payload_limit(self, version: int) -> int:
        """§17: the largest mDNS message that fits this interface's MTU."""
        header = IPV4_HEADER if version == 4 else IPV6_HEADER
        return max(512, min(MAX_MESSAGE_SIZE, self.mtu - header - UDP_HEADER))

    def on_link(self, version: int, value: int) -> bool:
        """§11: is the address (its IP version and integer value) on this link: link-local,
        or inside one of our prefixes? Integers, as endpoints carry them: ``ipaddress``
        would compute both in Python for every packet."""
        if version == 4:
            if value >> 16 == _IPV4_LINK_LOCAL:  # 169.254.0.0/16 (RFC 3927)
                return True
            networks = self._networks[4]
        else:
            if value >> 118 == _IPV6_LINK_LOCAL:  # fe80::/10 (RFC 4291 §2.5.6)
                return True
            networks = self._networks[6]
        for network, mask in networks:  # noqa: SIM110 (a loop: no generator per packet)
            if value & mask == network:
                return True
        return False

    def owns(self, version: int, value: int) -> bool:
        """Is the address (IP version, integer value) one of ours on this link (a
        looped-back packet of our own)?"""
        return (version, value) in self._own

    def own_address(self, version: int) -> IPAddress | None:
        """Our first address of ``version`` here (the source of our packets), if any."""
        return next((a.ip for a in self.addresses if a.version == version), None)

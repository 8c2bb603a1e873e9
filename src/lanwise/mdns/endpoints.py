"""Where datagrams come from and go to: endpoints, datagrams and the mDNS groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from typing import Final

from lanwise.mdns.constants import MDNS_PORT

__all__ = [
    "MDNS_IPV4_ENDPOINT",
    "MDNS_IPV4_GROUP",
    "MDNS_IPV6_ENDPOINT",
    "MDNS_IPV6_GROUP",
    "MDNS_PORT",
    "Datagram",
    "EngineEndpoint",
]

# RFC 6762 §3, §22: the IPv4 and IPv6 link-local multicast groups.
MDNS_IPV4_GROUP: Final = IPv4Address("224.0.0.251")
MDNS_IPV6_GROUP: Final = IPv6Address("ff02::fb")


@dataclass(frozen=True, slots=True)
class EngineEndpoint:
    """An IP address and UDP port.

    The interface is carried beside the endpoint (in :class:`Datagram` or as the
    ``interface`` argument of ``Engine.receive``), so an IPv6 link-local address
    here needs no scope: the interface index is its scope.
    """

    address: IPv4Address | IPv6Address
    port: int
    # The address's IP version and integer value, read for every received packet (the
    # §11 on-link test, our own echoes): ipaddress computes both in Python each time.
    ip_version: int = field(init=False, repr=False, compare=False)
    ip_value: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ip_version", self.address.version)
        object.__setattr__(self, "ip_value", int(self.address))

    @property
    def is_multicast_group(self) -> bool:
        """True for 224.0.0.251:5353 and [ff02::fb]:5353."""
        return self.port == MDNS_PORT and self.address in (MDNS_IPV4_GROUP, MDNS_IPV6_GROUP)

    def __str__(self) -> str:
        if isinstance(self.address, IPv6Address):
            return f"[{self.address}]:{self.port}"
        return f"{self.address}:{self.port}"


MDNS_IPV4_ENDPOINT: Final = EngineEndpoint(MDNS_IPV4_GROUP, MDNS_PORT)
MDNS_IPV6_ENDPOINT: Final = EngineEndpoint(MDNS_IPV6_GROUP, MDNS_PORT)


@dataclass(frozen=True, slots=True)
class Datagram:
    """One UDP payload the transport must send.

    ``destination`` is one of the mDNS group endpoints or a unicast endpoint
    (a QU or legacy-unicast reply); ``interface`` is the index of the interface
    to send it out of (and the scope of an IPv6 link-local destination).
    """

    data: bytes
    destination: EngineEndpoint
    interface: int

"""The interface model: frozen, slotted value objects keyed by interface index.

Names are labels: an interface keeps its index for its whole life while its name
may change. IPv6 link-local addresses carry their scope (the interface name) so
they print and connect as ``fe80::1%eth0``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
)

__all__ = [
    "Address",
    "AddressKey",
    "AddressScope",
    "Interface",
    "InterfaceFlags",
    "InterfaceType",
    "OperState",
]


class InterfaceType(enum.StrEnum):
    """What an interface is for, as a user would say it (see :mod:`.classify`)."""

    WIFI = "wifi"
    WIRED = "wired"
    CELLULAR = "cellular"
    LOOPBACK = "loopback"
    OTHER = "other"  # VPN, tunnel, or a virtual interface with no link


class InterfaceFlags(enum.IntFlag):
    """Interface flags, with Linux's IFF_* values (include/uapi/linux/if.h)."""

    UP = 0x1
    BROADCAST = 0x2
    DEBUG = 0x4
    LOOPBACK = 0x8
    POINTOPOINT = 0x10
    NOTRAILERS = 0x20
    RUNNING = 0x40
    NOARP = 0x80
    PROMISC = 0x100
    ALLMULTI = 0x200
    MASTER = 0x400
    SLAVE = 0x800
    MULTICAST = 0x1000
    PORTSEL = 0x2000
    AUTOMEDIA = 0x4000
    DYNAMIC = 0x8000
    LOWER_UP = 0x10000
    DORMANT = 0x20000
    ECHO = 0x40000


class OperState(enum.StrEnum):
    """RFC 2863 operational state (Linux IF_OPER_*)."""

    UNKNOWN = "unknown"
    NOT_PRESENT = "notpresent"
    DOWN = "down"
    LOWER_LAYER_DOWN = "lowerlayerdown"
    TESTING = "testing"
    DORMANT = "dormant"
    UP = "up"


class AddressScope(enum.StrEnum):
    """Where an address is valid (Linux rt_scope)."""

    GLOBAL = "global"
    SITE = "site"
    LINK = "link"
    HOST = "host"
    NOWHERE = "nowhere"


# Identity of an address within a host: (interface index, IP version, address as an
# integer without scope, prefix length, peer as an integer or -1). The peer is part
# of it because Linux keeps 10.0.0.1 peer 10.0.0.2 and 10.0.0.1 peer 10.0.0.3 apart.
# Flags, broadcast and scope id may change under the same key: an address *change*.
AddressKey = tuple[int, int, int, int, int]


@dataclass(frozen=True, slots=True)
class Address:
    """One address configured on one interface.

    Lifetimes are deliberately left out: they tick down constantly, and a value
    object that changes every second would turn every snapshot into a change.
    """

    address: IPv4Address | IPv6Address
    prefixlen: int
    interface_index: int
    broadcast: IPv4Address | None = None
    peer: IPv4Address | IPv6Address | None = None
    scope: AddressScope = AddressScope.GLOBAL
    temporary: bool = False  # IPv6 privacy address (RFC 8981)
    deprecated: bool = False  # preferred lifetime over (RFC 4862 §5.5.4)
    tentative: bool = False  # duplicate address detection still running (RFC 4862 §5.4)
    permanent: bool = False  # configured by hand, no lifetime
    secondary: bool = False  # IPv4: not the primary address of its subnet
    dad_failed: bool = False  # IPv6: duplicate address detection found a duplicate

    @property
    def version(self) -> int:
        return self.address.version

    @property
    def network(self) -> IPv4Network | IPv6Network:
        """The on-link prefix (for a point-to-point address: the peer's prefix)."""
        base = self.peer if self.peer is not None else self.address
        return self._with_prefix(base).network

    @property
    def interface(self) -> IPv4Interface | IPv6Interface:
        """The address with its prefix, e.g. ``IPv4Interface('10.0.0.2/24')``."""
        return self._with_prefix(self.address)

    @property
    def key(self) -> AddressKey:
        peer = -1 if self.peer is None else int(self.peer)
        return (self.interface_index, self.address.version, int(self.address), self.prefixlen, peer)

    @property
    def is_link_local(self) -> bool:
        return self.address.is_link_local

    def _with_prefix(self, ip: IPv4Address | IPv6Address) -> IPv4Interface | IPv6Interface:
        if isinstance(ip, IPv4Address):
            return IPv4Interface((ip, self.prefixlen))
        # IPv6Interface drops the scope with a tuple; keep it by going through text.
        return IPv6Interface(f"{ip}/{self.prefixlen}")

    def __str__(self) -> str:
        return f"{self.address}/{self.prefixlen}"


@dataclass(frozen=True, slots=True)
class Interface:
    """One network interface and its addresses, as one consistent snapshot."""

    index: int
    name: str
    type: InterfaceType
    kind: str  # "ether" (a NIC), "loopback", or the driver kind: "veth", "bridge", "tun", …
    flags: InterfaceFlags
    mtu: int
    hardware_address: str | None
    oper_state: OperState
    addresses: tuple[Address, ...] = ()
    master: int | None = None  # the index of the bridge or bond this is a port of

    @property
    def is_up(self) -> bool:
        """Administratively up (IFF_UP)."""
        return InterfaceFlags.UP in self.flags

    @property
    def is_running(self) -> bool:
        """Operationally up: up and able to pass packets (IFF_RUNNING)."""
        return InterfaceFlags.RUNNING in self.flags

    @property
    def is_operational(self) -> bool:
        """Both up and running: what the monitor's up/down events follow."""
        return self.is_up and self.is_running

    @property
    def is_loopback(self) -> bool:
        return InterfaceFlags.LOOPBACK in self.flags

    @property
    def supports_broadcast(self) -> bool:
        return InterfaceFlags.BROADCAST in self.flags

    @property
    def supports_multicast(self) -> bool:
        return InterfaceFlags.MULTICAST in self.flags

    @property
    def ipv4_addresses(self) -> tuple[Address, ...]:
        return tuple(a for a in self.addresses if a.address.version == 4)

    @property
    def ipv6_addresses(self) -> tuple[Address, ...]:
        return tuple(a for a in self.addresses if a.address.version == 6)

    @property
    def is_port(self) -> bool:
        """A port of a bridge or bond (IFLA_MASTER set) with no address of its own
        beyond IPv6 link-local: its traffic is the master's, so nothing can be
        served or reached on it. (A VRF member has a master too, and addresses.)"""
        return self.master is not None and all(
            a.scope is AddressScope.LINK and a.version == 6 for a in self.addresses
        )

    @property
    def is_local_network(self) -> bool:
        """Up, running, broadcast or multicast capable, a LAN (wired or Wi-Fi), and
        not a port of a bridge or bond (see :attr:`is_port`)."""
        return (
            self.is_operational
            and (self.supports_broadcast or self.supports_multicast)
            and self.type in (InterfaceType.WIRED, InterfaceType.WIFI)
            and not self.is_port
        )

    def __str__(self) -> str:
        return f"{self.name} (#{self.index})"

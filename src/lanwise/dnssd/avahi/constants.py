"""avahi's D-Bus names and numbers, and how they map to lanwise's.

Values from avahi's public headers (``avahi-common/defs.h``) and its D-Bus
introspection files (``org.freedesktop.Avahi.*.xml``). avahi keys results by
(interface index, protocol): the index is the kernel's, as in lanwise; the
protocol is the IP version of the mDNS transport a record came in on, and
``aprotocol`` the family of an address. lanwise keys by interface index alone
and speaks of families 4 and 6, so :func:`protocol_for` and
:func:`family_of` translate.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import IntEnum
from typing import Final

__all__ = [
    "BUS_NAME",
    "ENTRY_GROUP",
    "IF_UNSPEC",
    "PROTO_INET",
    "PROTO_INET6",
    "PROTO_UNSPEC",
    "SERVER",
    "SERVER2",
    "EntryGroupState",
    "ServerState",
    "family_of",
    "protocol_for",
    "protocols_for",
]

BUS_NAME: Final = "org.freedesktop.Avahi"
SERVER: Final = "org.freedesktop.Avahi.Server"
SERVER2: Final = "org.freedesktop.Avahi.Server2"  # avahi >= 0.8: *Prepare, then Start
ENTRY_GROUP: Final = "org.freedesktop.Avahi.EntryGroup"
SERVICE_BROWSER: Final = "org.freedesktop.Avahi.ServiceBrowser"
SERVICE_TYPE_BROWSER: Final = "org.freedesktop.Avahi.ServiceTypeBrowser"
SERVICE_RESOLVER: Final = "org.freedesktop.Avahi.ServiceResolver"
HOST_NAME_RESOLVER: Final = "org.freedesktop.Avahi.HostNameResolver"
ADDRESS_RESOLVER: Final = "org.freedesktop.Avahi.AddressResolver"

IF_UNSPEC: Final = -1
PROTO_UNSPEC: Final = -1
PROTO_INET: Final = 0
PROTO_INET6: Final = 1

# D-Bus error names avahi replies with (avahi-common/dbus.h).
ERROR_COLLISION: Final = "org.freedesktop.Avahi.CollisionError"
ERROR_TIMEOUT: Final = "org.freedesktop.Avahi.TimeoutError"
ERROR_NOT_FOUND: Final = "org.freedesktop.Avahi.NotFoundError"
ERROR_UNKNOWN_METHOD: Final = "org.freedesktop.DBus.Error.UnknownMethod"


class ServerState(IntEnum):
    """``AvahiServerState``: the daemon's own host-name state."""

    INVALID = 0
    REGISTERING = 1  # probing its host name (again, after a host-name conflict)
    RUNNING = 2
    COLLISION = 3
    FAILURE = 4


class EntryGroupState(IntEnum):
    """``AvahiEntryGroupState``: where a set of published records stands."""

    UNCOMMITED = 0  # avahi's spelling
    REGISTERING = 1  # probing
    ESTABLISHED = 2
    COLLISION = 3  # another host holds a name: choose another, reset, add again
    FAILURE = 4


def protocol_for(families: Collection[int]) -> int:
    """The avahi protocol for lanwise ``families``: both → unspecified (every transport)."""
    families = set(families)
    if families == {4}:
        return PROTO_INET
    if families == {6}:
        return PROTO_INET6
    return PROTO_UNSPEC


def protocols_for(families: Collection[int]) -> tuple[int, ...]:
    """One avahi protocol per lanwise family, IPv4 first."""
    return tuple(p for f, p in ((4, PROTO_INET), (6, PROTO_INET6)) if f in families)


def family_of(protocol: int) -> int | None:
    """The lanwise family (4 or 6) of an avahi protocol; None for anything else."""
    return {PROTO_INET: 4, PROTO_INET6: 6}.get(protocol)

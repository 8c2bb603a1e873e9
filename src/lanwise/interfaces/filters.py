"""Filters over interface lists: by functional type and by capability."""

from __future__ import annotations

from collections.abc import Iterable

from lanwise.errors import UsageError
from lanwise.interfaces.lookup import list_interfaces
from lanwise.interfaces.model import Interface, InterfaceType

__all__ = [
    "broadcast_capable",
    "filter_interfaces",
    "local_network",
    "local_network_interfaces",
    "multicast_capable",
    "of_type",
]


def _types(types: Iterable[InterfaceType | str]) -> set[InterfaceType]:
    wanted: set[InterfaceType] = set()
    for t in types:
        try:
            wanted.add(InterfaceType(t))
        except ValueError:
            choices = ", ".join(k.value for k in InterfaceType)
            raise UsageError("type", f"must be one of {choices}", t) from None
    return wanted


def of_type(interfaces: Iterable[Interface], *types: InterfaceType | str) -> list[Interface]:
    """Interfaces whose functional type is one of ``types`` ("wifi", "wired", …).

    Raises UsageError for a name that is not a type.
    """
    wanted = _types(types)
    return [i for i in interfaces if i.type in wanted]


def broadcast_capable(interfaces: Iterable[Interface]) -> list[Interface]:
    """Interfaces with IFF_BROADCAST."""
    return [i for i in interfaces if i.supports_broadcast]


def multicast_capable(interfaces: Iterable[Interface]) -> list[Interface]:
    """Interfaces with IFF_MULTICAST."""
    return [i for i in interfaces if i.supports_multicast]


def local_network(interfaces: Iterable[Interface]) -> list[Interface]:
    """Interfaces on a local network: up, running, broadcast or multicast capable,
    and not loopback, cellular or other (VPN, tunnel, link-less virtual)."""
    return [i for i in interfaces if i.is_local_network]


def filter_interfaces(
    interfaces: Iterable[Interface],
    *,
    types: Iterable[InterfaceType | str] | None = None,
    broadcast: bool | None = None,
    multicast: bool | None = None,
    local: bool | None = None,
) -> list[Interface]:
    """All the filters in one call; ``None`` means "don't care"."""
    wanted = None if types is None else _types(types)
    return [
        i
        for i in interfaces
        if (wanted is None or i.type in wanted)
        and (broadcast is None or i.supports_broadcast == broadcast)
        and (multicast is None or i.supports_multicast == multicast)
        and (local is None or i.is_local_network == local)
    ]


def local_network_interfaces() -> list[Interface]:
    """This host's local-network interfaces, sorted by index."""
    return local_network(list_interfaces())

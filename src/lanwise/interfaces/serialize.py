"""Plain-data (JSON-ready) and one-line text forms of interfaces, addresses and events."""

from __future__ import annotations

import re
from typing import Any

from lanwise.interfaces.events import (
    AddressAdded,
    AddressChanged,
    AddressRemoved,
    InterfaceAdded,
    InterfaceChanged,
    InterfaceEvent,
    InterfaceRemoved,
)
from lanwise.interfaces.model import Address, Interface, InterfaceFlags

__all__ = [
    "address_text",
    "address_to_dict",
    "event_name",
    "event_to_dict",
    "flag_names",
    "interface_to_dict",
]


def flag_names(flags: InterfaceFlags) -> list[str]:
    """Flag names in bit order, like ``ip link``: ["UP", "BROADCAST", …]."""
    return [flag.name for flag in InterfaceFlags if flag in flags and flag.name is not None]


def address_to_dict(address: Address) -> dict[str, Any]:
    return {
        "family": "inet" if address.version == 4 else "inet6",
        "address": str(address.address),
        "prefixlen": address.prefixlen,
        "interface_index": address.interface_index,
        "broadcast": None if address.broadcast is None else str(address.broadcast),
        "peer": None if address.peer is None else str(address.peer),
        "scope": str(address.scope),
        "temporary": address.temporary,
        "deprecated": address.deprecated,
        "tentative": address.tentative,
        "permanent": address.permanent,
        "secondary": address.secondary,
        "dad_failed": address.dad_failed,
    }


def interface_to_dict(interface: Interface) -> dict[str, Any]:
    return {
        "index": interface.index,
        "name": interface.name,
        "type": str(interface.type),
        "kind": interface.kind,
        "oper_state": str(interface.oper_state),
        "flags": flag_names(interface.flags),
        "mtu": interface.mtu,
        "hardware_address": interface.hardware_address,
        "local_network": interface.is_local_network,
        "master": interface.master,
        "addresses": [address_to_dict(a) for a in interface.addresses],
    }


def address_text(address: Address) -> str:
    """``10.0.0.2/24 brd 10.0.0.255 scope global``, with flags like ``tentative``."""
    parts = [str(address)]
    if address.peer is not None:
        parts.append(f"peer {address.peer}")
    if address.broadcast is not None:
        parts.append(f"brd {address.broadcast}")
    parts.append(f"scope {address.scope}")
    for flag in ("temporary", "secondary", "deprecated", "tentative", "dad_failed"):
        if getattr(address, flag):
            parts.append(flag.replace("_", " "))
    return " ".join(parts)


def event_name(event: InterfaceEvent) -> str:
    """``InterfaceUp`` → ``interface_up``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()


def event_to_dict(event: InterfaceEvent) -> dict[str, Any]:
    """One event as plain data: ``{"event": "address_added", "index": 2, …}``."""
    data: dict[str, Any] = {"event": event_name(event), "index": event.index}
    if isinstance(event, InterfaceAdded | InterfaceRemoved):
        data["interface"] = interface_to_dict(event.interface)
    elif isinstance(event, InterfaceChanged):
        data["interface"] = interface_to_dict(event.new)
        data["old"] = interface_to_dict(event.old)
    elif isinstance(event, AddressAdded | AddressRemoved):
        data["address"] = address_to_dict(event.address)
    elif isinstance(event, AddressChanged):
        data["address"] = address_to_dict(event.new)
        data["old"] = address_to_dict(event.old)
    return data

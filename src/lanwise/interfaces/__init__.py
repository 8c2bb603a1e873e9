"""Network interfaces: the model, enumeration, filters and a live monitor.

    from lanwise.interfaces import list_interfaces, local_network_interfaces

    for interface in list_interfaces():
        print(interface.index, interface.name, interface.type, interface.addresses)

Interfaces are keyed by index; names are labels. Nothing here picks "the"
address: every interface has zero or more of each family.
"""

from __future__ import annotations

from lanwise.interfaces.events import (
    AddressAdded,
    AddressChanged,
    AddressRemoved,
    InterfaceAdded,
    InterfaceChanged,
    InterfaceDown,
    InterfaceEvent,
    InterfaceRemoved,
    InterfaceUp,
)
from lanwise.interfaces.filters import (
    broadcast_capable,
    filter_interfaces,
    local_network,
    local_network_interfaces,
    multicast_capable,
    of_type,
)
from lanwise.interfaces.lookup import find_interface, get_interface, list_interfaces
from lanwise.interfaces.model import (
    Address,
    AddressScope,
    Interface,
    InterfaceFlags,
    InterfaceType,
    OperState,
)
from lanwise.interfaces.monitor import InterfaceMonitor, MonitorStatistics, open_monitor

__all__ = [
    "Address",
    "AddressAdded",
    "AddressChanged",
    "AddressRemoved",
    "AddressScope",
    "Interface",
    "InterfaceAdded",
    "InterfaceChanged",
    "InterfaceDown",
    "InterfaceEvent",
    "InterfaceFlags",
    "InterfaceMonitor",
    "InterfaceRemoved",
    "InterfaceType",
    "InterfaceUp",
    "MonitorStatistics",
    "OperState",
    "broadcast_capable",
    "filter_interfaces",
    "find_interface",
    "get_interface",
    "list_interfaces",
    "local_network",
    "local_network_interfaces",
    "multicast_capable",
    "of_type",
    "open_monitor",
]

"""Change events, and the pure state transitions that produce them.

A state is a ``dict[int, Interface]`` keyed by index. Every function here
mutates a state and returns the events that describe what it did, so the
events, folded onto the old state with :func:`apply_event`, give the new one.
The monitor uses these for each netlink notification and, after an overrun,
:func:`diff` between what it had and a fresh dump. Platform neutral.

Ordering promises: an interface's ``InterfaceAdded`` comes before its
``AddressAdded`` events, its ``AddressRemoved`` events before its
``InterfaceRemoved``. The interface an event carries is the state at that point
of the stream, so ``InterfaceAdded.interface.addresses`` is empty.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from ipaddress import IPv6Address
from typing import TypeAlias

from lanwise.interfaces.model import Address, AddressKey, Interface

__all__ = [
    "AddressAdded",
    "AddressChanged",
    "AddressRemoved",
    "InterfaceAdded",
    "InterfaceChanged",
    "InterfaceDown",
    "InterfaceEvent",
    "InterfaceRemoved",
    "InterfaceUp",
    "apply_event",
    "diff",
    "remove_address",
    "remove_link",
    "update_address",
    "update_link",
]

State: TypeAlias = MutableMapping[int, Interface]


@dataclass(frozen=True, slots=True)
class InterfaceAdded:
    """A new interface index appeared (its addresses follow as AddressAdded)."""

    interface: Interface

    @property
    def index(self) -> int:
        return self.interface.index


@dataclass(frozen=True, slots=True)
class InterfaceRemoved:
    """An interface went away (after AddressRemoved for each of its addresses)."""

    interface: Interface

    @property
    def index(self) -> int:
        return self.interface.index


@dataclass(frozen=True, slots=True)
class InterfaceChanged:
    """Something about the link changed: name, flags, MTU, state, hardware address."""

    old: Interface
    new: Interface

    @property
    def index(self) -> int:
        return self.new.index


@dataclass(frozen=True, slots=True)
class InterfaceUp(InterfaceChanged):
    """The interface became operational: up and running."""


@dataclass(frozen=True, slots=True)
class InterfaceDown(InterfaceChanged):
    """The interface stopped being operational: set down, or lost its carrier."""


@dataclass(frozen=True, slots=True)
class AddressAdded:
    address: Address

    @property
    def index(self) -> int:
        return self.address.interface_index


@dataclass(frozen=True, slots=True)
class AddressRemoved:
    address: Address

    @property
    def index(self) -> int:
        return self.address.interface_index


@dataclass(frozen=True, slots=True)
class AddressChanged:
    """Same address and prefix, new details: flags (e.g. IPv6 DAD finished:
    ``old.tentative and not new.tentative``), broadcast, scope, or the scope id
    of a link-local address after a rename."""

    old: Address
    new: Address

    @property
    def index(self) -> int:
        return self.new.interface_index


InterfaceEvent: TypeAlias = (
    InterfaceAdded
    | InterfaceRemoved
    | InterfaceChanged
    | AddressAdded
    | AddressRemoved
    | AddressChanged
)


def sort_addresses(addresses: list[Address]) -> tuple[Address, ...]:
    """The canonical order of an interface's addresses: IPv4 first, then by value
    (addresses of one interface share the index, so this is the key order)."""
    addresses.sort(key=lambda a: a.key)
    return tuple(addresses)


def _link_event(old: Interface, new: Interface) -> InterfaceChanged:
    if new.is_operational and not old.is_operational:
        return InterfaceUp(old, new)
    if old.is_operational and not new.is_operational:
        return InterfaceDown(old, new)
    return InterfaceChanged(old, new)


def _rescoped(address: Address, name: str) -> Address:
    ip = address.address
    if isinstance(ip, IPv6Address) and ip.scope_id is not None and ip.scope_id != name:
        return dataclasses.replace(address, address=IPv6Address(f"{IPv6Address(int(ip))}%{name}"))
    return address


def update_link(state: State, interface: Interface) -> list[InterfaceEvent]:
    """A link notification: add or update ``interface`` (its ``addresses`` are ignored)."""
    old = state.get(interface.index)
    if old is None:
        added = dataclasses.replace(interface, addresses=()) if interface.addresses else interface
        state[interface.index] = added
        return [InterfaceAdded(added)]
    new = dataclasses.replace(interface, addresses=old.addresses)
    if new == old:
        return []
    events: list[InterfaceEvent] = [_link_event(old, new)]
    if new.name != old.name:
        # Link-local addresses carry the name as their scope id: they change with it.
        rescoped = [_rescoped(a, new.name) for a in new.addresses]
        events += [
            AddressChanged(a, b) for a, b in zip(new.addresses, rescoped, strict=True) if a != b
        ]
        new = dataclasses.replace(new, addresses=tuple(rescoped))
    state[new.index] = new
    return events


def remove_link(state: State, index: int) -> list[InterfaceEvent]:
    """A link went away: its addresses first, then the interface."""
    old = state.pop(index, None)
    if old is None:
        return []
    events: list[InterfaceEvent] = [AddressRemoved(a) for a in old.addresses]
    events.append(InterfaceRemoved(dataclasses.replace(old, addresses=())))
    return events


def update_address(state: State, address: Address) -> list[InterfaceEvent]:
    """An address notification: add or update. The interface must be in ``state``."""
    interface = state[address.interface_index]
    key = address.key
    addresses = list(interface.addresses)
    for i, present in enumerate(addresses):
        if present.key == key:
            if present == address:
                return []
            addresses[i] = address
            state[interface.index] = dataclasses.replace(interface, addresses=tuple(addresses))
            return [AddressChanged(present, address)]
    addresses.append(address)
    state[interface.index] = dataclasses.replace(interface, addresses=sort_addresses(addresses))
    return [AddressAdded(address)]


def remove_address(state: State, key: AddressKey) -> list[InterfaceEvent]:
    """An address went away (nothing happens if it was not known)."""
    interface = state.get(key[0])
    if interface is None:
        return []
    for present in interface.addresses:
        if present.key == key:
            kept = tuple(a for a in interface.addresses if a is not present)
            state[interface.index] = dataclasses.replace(interface, addresses=kept)
            return [AddressRemoved(present)]
    return []


def diff(old: Mapping[int, Interface], new: Mapping[int, Interface]) -> list[InterfaceEvent]:
    """The events that turn state ``old`` into state ``new``."""
    events: list[InterfaceEvent] = []
    state: dict[int, Interface] = dict(old)
    for index in [i for i in old if i not in new]:
        events += remove_link(state, index)
    for index, target in new.items():
        events += update_link(state, target)
        wanted = {a.key: a for a in target.addresses}
        current = state[index]
        for present in current.addresses:
            if present.key not in wanted:
                events += remove_address(state, present.key)
        for address in target.addresses:
            events += update_address(state, address)
    return events


def apply_event(state: State, event: InterfaceEvent) -> None:
    """Fold one event onto a state (the inverse view of the functions above)."""
    if isinstance(event, InterfaceAdded):
        state[event.interface.index] = event.interface
    elif isinstance(event, InterfaceRemoved):
        state.pop(event.interface.index, None)
    elif isinstance(event, InterfaceChanged):
        state[event.new.index] = event.new
    elif isinstance(event, AddressAdded):
        update_address(state, event.address)
    elif isinstance(event, AddressRemoved):
        remove_address(state, event.address.key)
    else:
        update_address(state, event.new)

"""Which interfaces mDNS runs on, and what changes when the interface list changes.

Pure functions over :class:`~lanwise.interfaces.Interface` snapshots, so the
transport's reaction to interfaces coming, going and changing address is
tested without sockets. The transport applies the :class:`LinkChange` list
that :func:`plan_changes` returns: join or leave groups, then tell the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from ipaddress import IPv4Interface, IPv6Interface
from typing import Literal, TypeAlias

from lanwise.errors import UsageError
from lanwise.interfaces import Interface, InterfaceFlags, InterfaceType

__all__ = [
    "InterfaceSelection",
    "LinkChange",
    "LinkState",
    "check_selection",
    "normalise_families",
    "plan_changes",
    "selected",
    "usable_addresses",
]

InterfaceSelection: TypeAlias = (
    InterfaceType | Collection[int | str | InterfaceType] | Callable[[Interface], bool] | None
)
"""Which interfaces to serve.

- ``None``: every local-network interface (wired or Wi-Fi, up and running,
  multicast-capable; never loopback, tunnels or point-to-point links);
- an :class:`InterfaceType` or a collection of them: interfaces of those
  functional types;
- a collection of interface indexes (``int``) and names (``str``): exactly
  those (names are looked up in each snapshot; indexes are the identity);
- a callable: interfaces for which it returns True.

Whatever the selection, an interface is only served while it is up, running
and multicast-capable.
"""

Address: TypeAlias = IPv4Interface | IPv6Interface


@dataclass(frozen=True, slots=True)
class LinkState:
    """What the transport serves on one interface: its name, mDNS addresses and MTU."""

    index: int
    name: str
    addresses: tuple[Address, ...]
    mtu: int = 1500

    @property
    def versions(self) -> frozenset[int]:
        """The IP versions with at least one address (the groups to be joined)."""
        return frozenset(a.version for a in self.addresses)


@dataclass(frozen=True, slots=True)
class LinkChange:
    """One thing to do on interface ``index``.

    ``add``: newly served; ``update``: its addresses (or MTU) changed; ``remove``: no
    longer served (gone, down, deselected or out of addresses); ``rename``:
    only its name changed (nothing to tell the engine).
    """

    action: Literal["add", "update", "remove", "rename"]
    index: int
    old: LinkState | None
    new: LinkState | None


def normalise_families(families: Iterable[int]) -> frozenset[int]:
    """IP versions to use, checked: a non-empty subset of {4, 6}."""
    versions = frozenset(families)
    if not versions or not versions <= {4, 6}:
        raise UsageError("families", "a non-empty collection of IP versions 4 and 6", families)
    return versions


def check_selection(selection: InterfaceSelection, snapshot: Mapping[int, Interface]) -> None:
    """Raise :class:`UsageError` if the selection names interfaces that do not exist.

    Only explicit indexes and names are checked; the other kinds of selection
    may well match nothing yet (an interface can appear later).
    """
    if selection is None or callable(selection) or isinstance(selection, InterfaceType):
        return
    if isinstance(selection, str | bytes):
        raise UsageError(
            "interfaces", "a collection of names or indexes, not one string", selection
        )
    names = {interface.name for interface in snapshot.values()}
    for item in selection:
        if isinstance(item, InterfaceType):
            continue
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise UsageError("interfaces", "interface indexes, names or types", item)
        if (isinstance(item, int) and item not in snapshot) or (
            isinstance(item, str) and item not in names
        ):
            raise UsageError("interfaces", "names or indexes of existing interfaces", item)


def selected(interface: Interface, selection: InterfaceSelection) -> bool:
    """True if ``interface`` should be served now (see :data:`InterfaceSelection`)."""
    if not (interface.is_operational and interface.supports_multicast):
        return False
    if selection is None:
        return interface.is_local_network and InterfaceFlags.POINTOPOINT not in interface.flags
    if isinstance(selection, InterfaceType):
        return interface.type is selection
    if callable(selection):
        return bool(selection(interface))
    return any(
        item == interface.index
        if isinstance(item, int)
        else item is interface.type
        if isinstance(item, InterfaceType)
        else item == interface.name
        for item in selection
    )


def usable_addresses(interface: Interface, families: Collection[int]) -> tuple[Address, ...]:
    """The addresses to publish on ``interface``: the chosen families, in a stable order.

    IPv6 addresses still in duplicate address detection (tentative) or that
    failed it are left out: they cannot be used yet, or ever. IPv6 link-local
    addresses keep their scope.
    """
    chosen = [
        a.interface
        for a in interface.addresses
        if a.address.version in families and not a.tentative and not a.dad_failed
    ]
    return tuple(sorted(chosen, key=lambda a: (a.version, int(a.ip), a.network.prefixlen)))


def _packet_mtu(mtu: int) -> int:
    # The engine sizes packets to the MTU; §17 keeps them to 9000 bytes anyway,
    # and IPv4 guarantees 576.
    return min(max(mtu, 576), 65535)


def plan_changes(
    current: Mapping[int, LinkState],
    snapshot: Mapping[int, Interface],
    selection: InterfaceSelection,
    families: Collection[int],
) -> list[LinkChange]:
    """What to do to go from ``current`` to what ``snapshot`` calls for.

    An interface is served while it is selected and has at least one usable
    address of the chosen families; removals come first, so a renumbered
    interface index is left before anything is joined.
    """
    wanted: dict[int, LinkState] = {}
    for index, interface in snapshot.items():
        if not selected(interface, selection):
            continue
        addresses = usable_addresses(interface, families)
        if addresses:
            wanted[index] = LinkState(index, interface.name, addresses, _packet_mtu(interface.mtu))
    changes = [
        LinkChange("remove", index, state, None)
        for index, state in sorted(current.items())
        if index not in wanted
    ]
    for index, state in sorted(wanted.items()):
        old = current.get(index)
        if old is None:
            changes.append(LinkChange("add", index, None, state))
        elif old.addresses != state.addresses or old.mtu != state.mtu:
            changes.append(LinkChange("update", index, old, state))
        elif old.name != state.name:
            changes.append(LinkChange("rename", index, old, state))
    return changes

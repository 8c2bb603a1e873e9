"""Which interfaces are expensive (metered) or constrained (low-data mode).

Sources, strongest last:

1. NetworkManager, when it runs: each device's ``Metered`` property over
   D-Bus. ``NM_METERED_YES`` and ``NM_METERED_GUESS_YES`` count as expensive.
   Devices NetworkManager does not manage fall through to rule 2.
2. Otherwise, a cellular interface counts as expensive.
3. The environment overrides both: ``LANWISE_EXPENSIVE`` and
   ``LANWISE_CONSTRAINED`` hold comma-separated interface names or indexes;
   a leading ``-`` clears the mark (``LANWISE_EXPENSIVE=wwan0,-eth1``).

Linux has no notion of a constrained (low-data) path, so only the override
marks one.
"""

from __future__ import annotations

import enum
import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lanwise.interfaces.model import Interface, InterfaceType
from lanwise.net import dbus

__all__ = [
    "CONSTRAINED_ENV",
    "EXPENSIVE_ENV",
    "NMMetered",
    "PathCost",
    "get_path_costs",
    "path_costs",
    "read_networkmanager_metered",
]

EXPENSIVE_ENV = "LANWISE_EXPENSIVE"
CONSTRAINED_ENV = "LANWISE_CONSTRAINED"

NM_SERVICE = "org.freedesktop.NetworkManager"
NM_PATH = "/org/freedesktop/NetworkManager"
NM_DEVICE_INTERFACE = "org.freedesktop.NetworkManager.Device"


class NMMetered(enum.IntEnum):
    """NetworkManager's NMMetered enum (the Device.Metered property)."""

    UNKNOWN = 0
    YES = 1
    NO = 2
    GUESS_YES = 3
    GUESS_NO = 4


@dataclass(frozen=True, slots=True)
class PathCost:
    """Whether an interface is expensive / constrained, and what said so."""

    expensive: bool = False
    constrained: bool = False
    expensive_source: str = ""
    constrained_source: str = ""


def _override(value: str | None) -> tuple[set[str], set[str]]:
    marked: set[str] = set()
    cleared: set[str] = set()
    for raw in (value or "").split(","):
        word = raw.strip()
        if word.startswith("-") and len(word) > 1:
            cleared.add(word[1:])
        elif word:
            marked.add(word)
    return marked, cleared


def _named(iface: Interface, words: set[str]) -> bool:
    return iface.name in words or str(iface.index) in words


def path_costs(
    interfaces: Iterable[Interface],
    *,
    metered: Mapping[int, int] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[int, PathCost]:
    """Decide expensive/constrained for each interface (pure).

    ``metered`` maps interface index to NetworkManager's Metered value, or is
    None when NetworkManager does not run.
    """
    env = os.environ if environ is None else environ
    exp_on, exp_off = _override(env.get(EXPENSIVE_ENV))
    con_on, con_off = _override(env.get(CONSTRAINED_ENV))
    costs: dict[int, PathCost] = {}
    for iface in interfaces:
        expensive, source = False, ""
        nm_value = None if metered is None else metered.get(iface.index)
        if nm_value is not None:
            try:
                state = NMMetered(nm_value)
            except ValueError:
                state = NMMetered.UNKNOWN
            if state in (NMMetered.YES, NMMetered.GUESS_YES):
                expensive, source = True, f"NetworkManager: metered ({state.name.lower()})"
            elif state in (NMMetered.NO, NMMetered.GUESS_NO):
                source = f"NetworkManager: not metered ({state.name.lower()})"
            elif iface.type == InterfaceType.CELLULAR:
                expensive, source = True, "cellular"
        elif iface.type == InterfaceType.CELLULAR:
            expensive, source = True, "cellular"
        if _named(iface, exp_off):
            expensive, source = False, f"{EXPENSIVE_ENV} override"
        elif _named(iface, exp_on):
            expensive, source = True, f"{EXPENSIVE_ENV} override"
        constrained, csource = False, ""
        if _named(iface, con_off):
            csource = f"{CONSTRAINED_ENV} override"
        elif _named(iface, con_on):
            constrained, csource = True, f"{CONSTRAINED_ENV} override"
        costs[iface.index] = PathCost(expensive, constrained, source, csource)
    return costs


async def read_networkmanager_metered(
    bus_address: str | None = None, *, timeout: float = dbus.DEFAULT_TIMEOUT
) -> dict[int, int] | None:
    """Each NetworkManager device's Metered value by interface index; None when NM is absent."""
    async with dbus.open_bus(bus_address, timeout=timeout) as bus:
        if bus is None or not await dbus.name_has_owner(bus, NM_SERVICE, timeout=timeout):
            return None
        manager = await dbus.get_all_properties(
            bus, NM_SERVICE, NM_PATH, NM_SERVICE, timeout=timeout
        )
        if manager is None:
            return None
        result: dict[int, int] = {}
        for path in manager.get("Devices", []):
            props = await dbus.get_all_properties(
                bus, NM_SERVICE, str(path), NM_DEVICE_INTERFACE, timeout=timeout
            )
            if not props:
                continue
            index = props.get("Ifindex")
            if not index:
                # NetworkManager before 1.6 has no Ifindex: go by the interface name.
                name = props.get("IpInterface") or props.get("Interface")
                try:
                    index = _name_to_index(str(name)) if name else 0
                except OSError:
                    index = 0
            if index:
                result[int(index)] = int(props.get("Metered", NMMetered.UNKNOWN))
        return result


def _name_to_index(name: str) -> int:
    return socket.if_nametoindex(name)


async def get_path_costs(
    interfaces: Iterable[Interface],
    *,
    bus_address: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[int, PathCost]:
    """:func:`path_costs` with NetworkManager's answer read over D-Bus first."""
    metered = await read_networkmanager_metered(bus_address)
    return path_costs(interfaces, metered=metered, environ=environ)

"""Enumeration: every interface, or one by index or name."""

from __future__ import annotations

from lanwise.errors import UsageError
from lanwise.interfaces.backend import get_backend
from lanwise.interfaces.model import Interface

__all__ = ["find_interface", "get_interface", "list_interfaces"]


def list_interfaces() -> list[Interface]:
    """Every interface of this host with all its addresses, sorted by index."""
    return list(get_backend().dump().values())


def find_interface(interfaces: list[Interface], name_or_index: str | int) -> Interface:
    """Pick one interface by index (an int, or a string of digits that is not
    a name) or by name. Raises UsageError if there is none."""
    if isinstance(name_or_index, int) and not isinstance(name_or_index, bool):
        for interface in interfaces:
            if interface.index == name_or_index:
                return interface
    elif isinstance(name_or_index, str):
        for interface in interfaces:
            if interface.name == name_or_index:
                return interface
        if name_or_index.isdigit():
            return find_interface(interfaces, int(name_or_index))
    raise UsageError("interface", "no interface with this name or index", name_or_index)


def get_interface(name_or_index: str | int) -> Interface:
    """One interface, by index or name; UsageError if unknown."""
    return find_interface(list_interfaces(), name_or_index)

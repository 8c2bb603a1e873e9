"""``lanwise`` with no command: a readable overview of this host's network.

The overview is a list of sections, :data:`SECTIONS`, printed in order. A
section is a title and a function from the shared :class:`Context` to its
lines; a section with no lines is left out. To add one (say, services seen
on the LAN), write ``def _services(ctx: Context) -> list[str]`` and append
``Section("Services on the LAN", _services)`` to :data:`SECTIONS`.
"""

from __future__ import annotations

import argparse
import functools
import socket
from collections.abc import Callable
from dataclasses import dataclass

from lanwise.interfaces import Interface, list_interfaces
from lanwise.interfaces.serialize import address_text

__all__ = ["SECTIONS", "Context", "Section", "run"]


@dataclass
class Context:
    """What sections share: the command-line arguments, and data fetched once."""

    args: argparse.Namespace

    @functools.cached_property
    def interfaces(self) -> list[Interface]:
        return list_interfaces()


@dataclass(frozen=True)
class Section:
    title: str
    lines: Callable[[Context], list[str]]


def _interface_lines(interface: Interface) -> list[str]:
    head = (
        f"{interface.name} (#{interface.index}) {interface.type}, {interface.kind}, "
        f"{interface.oper_state}"
    )
    if interface.hardware_address and not interface.is_loopback:
        head += f", {interface.hardware_address}"
    lines = [head]
    lines += [f"    {address_text(a)}" for a in interface.addresses]
    if not interface.addresses:
        lines.append("    (no addresses)")
    return lines


def _local_network(ctx: Context) -> list[str]:
    lines: list[str] = []
    for interface in ctx.interfaces:
        if interface.is_local_network:
            lines += _interface_lines(interface)
    return lines or ["(none: no interface is up on a wired or Wi-Fi network)"]


def _other_interfaces(ctx: Context) -> list[str]:
    lines: list[str] = []
    for interface in ctx.interfaces:
        if not interface.is_local_network:
            lines += _interface_lines(interface)
    return lines


SECTIONS: list[Section] = [
    Section("Local network interfaces", _local_network),
    Section("Other interfaces (loopback, tunnels, VPNs, cellular, down)", _other_interfaces),
]


def run(args: argparse.Namespace) -> int:
    """Print every section of the overview; returns the exit status."""
    ctx = Context(args)
    out = [f"lanwise overview of {socket.gethostname()}"]
    for section in SECTIONS:
        lines = section.lines(ctx)
        if lines:
            out.append("")
            out.append(section.title)
            out += [f"  {line}" for line in lines]
    print("\n".join(out))
    return 0

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
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lanwise.cli.browse import services_overview
from lanwise.cli.output import escape
from lanwise.interfaces import Interface, list_interfaces
from lanwise.interfaces.serialize import address_text

__all__ = ["SECTIONS", "Context", "Section", "render", "run"]


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
        f"{escape(interface.name)} (#{interface.index}) {interface.type}, {interface.kind}, "
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


def _services(ctx: Context) -> list[str]:
    # DNS-SD section (owned by the DNS-SD engineer): listens a few seconds.
    return services_overview(
        have_local_network=any(i.is_local_network for i in ctx.interfaces),
        progress=sys.stderr.isatty(),
    )


SECTIONS: list[Section] = [
    Section("Local network interfaces", _local_network),
    Section("Other interfaces (loopback, tunnels, VPNs, cellular, down)", _other_interfaces),
    Section("Services on the local network (DNS-SD)", _services),
]


def render(ctx: Context, sections: Sequence[Section]) -> str:
    """The overview text: a heading, then each section that has lines."""
    out = [f"lanwise overview of {socket.gethostname()}"]
    for section in sections:
        lines = section.lines(ctx)
        if lines:
            out.append("")
            out.append(section.title)
            out += [f"  {line}" for line in lines]
    return "\n".join(out) + "\n"


def run(args: argparse.Namespace) -> int:
    """Print every section of the overview; returns the exit status."""
    print(render(Context(args), SECTIONS), end="")
    return 0

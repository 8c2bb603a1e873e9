"""Every configured DNS server: all of resolv.conf, and systemd-resolved's per link.

glibc reads only the first three ``nameserver`` lines (MAXNS); lanwise lists
every one, since the point is to show what is configured. When
systemd-resolved runs, resolv.conf usually names only its stub (127.0.0.53),
so the real servers come from its D-Bus API: the ``DNSEx`` property of
``org.freedesktop.resolve1.Manager`` (interface index, family, address, port,
server name), or ``DNS`` on versions before 246.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path
from typing import Any

from lanwise.errors import PlatformError
from lanwise.net import dbus

__all__ = [
    "RESOLV_CONF",
    "DnsServer",
    "dns_servers",
    "parse_resolv_conf",
    "read_resolv_conf",
    "read_systemd_resolved",
]

_log = logging.getLogger(__name__)

RESOLV_CONF = Path("/etc/resolv.conf")
RESOLVED_SERVICE = "org.freedesktop.resolve1"
RESOLVED_PATH = "/org/freedesktop/resolve1"
RESOLVED_MANAGER = "org.freedesktop.resolve1.Manager"
DNS_PORT = 53


@dataclass(frozen=True, slots=True)
class DnsServer:
    """One configured DNS server.

    ``interface_index`` is None for a server that applies to every link
    (resolv.conf, or systemd-resolved's global servers).
    """

    address: IPv4Address | IPv6Address
    port: int = DNS_PORT
    interface_index: int | None = None
    interface_name: str | None = None
    server_name: str | None = None
    source: str = "resolv.conf"

    def to_json(self) -> dict[str, Any]:
        return {
            "address": str(self.address),
            "port": self.port,
            "interface_index": self.interface_index,
            "interface_name": self.interface_name,
            "server_name": self.server_name,
            "source": self.source,
        }


def _name_of(index: int) -> str | None:
    try:
        return socket.if_indextoname(index)
    except OSError:
        return None


def parse_resolv_conf(text: str, *, source: str = "resolv.conf") -> list[DnsServer]:
    """Every ``nameserver`` line of a resolv.conf text, in order.

    Comments start with ``#`` or ``;``; an IPv6 address may carry a zone
    (``fe80::1%eth0``), which becomes the server's interface. Lines that do not
    hold an address are skipped (the resolver would skip them too).
    """
    servers: list[DnsServer] = []
    for line in text.splitlines():
        words = line.split()
        if len(words) < 2 or words[0] != "nameserver":
            continue
        try:
            address = ip_address(words[1])
        except ValueError:
            _log.debug("resolv.conf: not an address: %r", words[1])
            continue
        index: int | None = None
        name: str | None = None
        if isinstance(address, IPv6Address) and address.scope_id:
            name = address.scope_id
            try:
                index = int(name) if name.isdigit() else socket.if_nametoindex(name)
            except OSError:
                index = None
        servers.append(DnsServer(address, DNS_PORT, index, name, None, source))
    return servers


def read_resolv_conf(path: Path | str = RESOLV_CONF) -> list[DnsServer]:
    """:func:`parse_resolv_conf` of a file; an absent file has no servers.

    Raises PlatformError when the file exists but cannot be read.
    """
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise PlatformError(exc.errno or 0, f"cannot read {path}: {exc.strerror}") from exc
    return parse_resolv_conf(text, source=str(path) if Path(path) != RESOLV_CONF else "resolv.conf")


def _from_resolved(entries: Sequence[Sequence[Any]]) -> list[DnsServer]:
    servers: list[DnsServer] = []
    for entry in entries:
        ifindex, family, raw = int(entry[0]), int(entry[1]), bytes(entry[2])
        port = int(entry[3]) if len(entry) > 3 and entry[3] else DNS_PORT
        server_name = str(entry[4]) if len(entry) > 4 and entry[4] else None
        try:
            if family == socket.AF_INET6 and len(raw) == 16:
                address: IPv4Address | IPv6Address = IPv6Address(raw)
                name = _name_of(ifindex) if ifindex else None
                if address.is_link_local and ifindex:
                    address = IPv6Address(f"{address}%{name or ifindex}")
            elif family == socket.AF_INET and len(raw) == 4:
                address = IPv4Address(raw)
                name = _name_of(ifindex) if ifindex else None
            else:
                continue
        except ValueError:
            continue
        servers.append(
            DnsServer(
                address,
                port,
                ifindex or None,
                name,
                server_name,
                "systemd-resolved" if ifindex else "systemd-resolved (global)",
            )
        )
    return servers


async def read_systemd_resolved(
    bus_address: str | None = None, *, timeout: float = dbus.DEFAULT_TIMEOUT
) -> list[DnsServer] | None:
    """systemd-resolved's servers (global and per link); None when it does not run."""
    async with dbus.open_bus(bus_address, timeout=timeout) as bus:
        if bus is None or not await dbus.name_has_owner(bus, RESOLVED_SERVICE, timeout=timeout):
            return None
        props = await dbus.get_all_properties(
            bus, RESOLVED_SERVICE, RESOLVED_PATH, RESOLVED_MANAGER, timeout=timeout
        )
    if props is None:
        return None
    entries = props.get("DNSEx")
    if entries is None:
        entries = props.get("DNS", [])
    return _from_resolved(entries)


async def dns_servers(
    *, resolv_conf: Path | str = RESOLV_CONF, bus_address: str | None = None
) -> list[DnsServer]:
    """Every configured DNS server: systemd-resolved's (when it runs), then resolv.conf's."""
    resolved, from_file = await asyncio.gather(
        read_systemd_resolved(bus_address), asyncio.to_thread(read_resolv_conf, resolv_conf)
    )
    return [*(resolved or []), *from_file]

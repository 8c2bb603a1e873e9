"""The system's own mDNS responder, if this host runs one, and who holds the host name.

Mainstream Linux hosts run avahi-daemon, some systemd-resolved with mDNS on.
Each holds the host name (``box.local``), its address records and the
addresses' reverse names. lanwise beside it must not claim them too, or the
two responders fight over them for ever (RFC 6762 §9) — so it looks first:

- avahi-daemon: the bus name ``org.freedesktop.Avahi`` owned on the system
  D-Bus (its host name from ``GetHostNameFqdn``); else its socket
  ``/run/avahi-daemon/socket`` accepting a connection;
- systemd-resolved: ``org.freedesktop.resolve1`` owned, with its
  ``MulticastDNS`` property ``yes`` (it answers for ``LLMNRHostname``) or
  ``resolve`` (it only asks, but still binds port 5353);
- any process with a UDP socket bound to port 5353, from ``/proc/net/udp``
  and ``udp6`` (Linux; the owner's pid, where visible, from
  ``/proc/PID/fd``), looked at before lanwise binds its own.

Nothing here is needed: with no D-Bus, no ``/proc`` or no permission the
answer is just "none seen". Only names already owned are called, so asking
never starts (D-Bus-activates) a daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from lanwise.dnssd.names import host_label_from_system, parse_host_name
from lanwise.errors import UsageError
from lanwise.mdns.constants import MDNS_PORT
from lanwise.net.dbus import call_method, get_all_properties, name_has_owner, open_bus

__all__ = [
    "AVAHI_SOCKET",
    "HostMode",
    "HostPlan",
    "SystemResponder",
    "detect_avahi",
    "detect_resolved",
    "detect_system_responders",
    "plan_host",
    "port_shared",
    "udp_port_holders",
]

_log = logging.getLogger(__name__)

HostMode = Literal["own", "system", "auto"]
"""Who holds this host's name: lanwise (``own``), the system responder, or ``auto``."""

HOST_MODES: Final = ("own", "system", "auto")
AVAHI_SOCKET: Final = Path("/run/avahi-daemon/socket")
_AVAHI: Final = "org.freedesktop.Avahi"
_RESOLVED: Final = "org.freedesktop.resolve1"
_DETECT_TIMEOUT: Final = 1.0  # per D-Bus call: a hung bus must not hold up opening


@dataclass(frozen=True, slots=True)
class SystemResponder:
    """Another mDNS stack on this host.

    ``kind`` is ``"avahi"``, ``"systemd-resolved"`` or ``"other"`` (a process
    bound to port 5353 we cannot name better). ``host_name`` is the name it
    answers for (``"box.local"``) when it holds one, else None. ``pid`` and
    ``process`` (its command name) are known when /proc shows them. ``via``
    says how it was seen: ``"dbus"``, ``"socket"`` or ``"udp"``.
    """

    kind: str
    host_name: str | None
    pid: int | None = None
    process: str | None = None
    via: str = "udp"

    @property
    def holds_host_name(self) -> bool:
        """True for a responder that answers for this host's name and addresses."""
        return self.host_name is not None

    def describe(self) -> str:
        """One line for people: ``avahi-daemon (pid 42) as box.local``."""
        name = {"avahi": "avahi-daemon", "systemd-resolved": "systemd-resolved"}.get(
            self.kind, self.process or "a process"
        )
        text = name if self.pid is None else f"{name} (pid {self.pid})"
        return text if self.host_name is None else f"{text} as {self.host_name}"


@dataclass(frozen=True, slots=True)
class HostPlan:
    """What :func:`plan_host` decided for a responder.

    ``mode`` is ``"own"`` or ``"system"``; ``label`` the host label the SRV
    records name (lanwise's own in ``own`` mode, the system responder's in
    ``system`` mode); ``holder`` the system responder holding it, if any;
    ``shares_port``: another stack is bound to port 5353 here.
    """

    mode: Literal["own", "system"]
    label: str
    holder: SystemResponder | None
    shares_port: bool


def plan_host(
    mode: str,
    responders: Iterable[SystemResponder],
    *,
    host_name: str | None = None,
) -> HostPlan:
    """Choose the host-name mode from what :func:`detect_system_responders` found.

    ``own``: lanwise holds ``host_name`` (default: the system host name).
    ``system``: the first responder holding a host name holds it for lanwise
    too; ``host_name``, if given, names it instead (or when none was found:
    the system host name). ``auto``: ``own`` when ``host_name`` is given or no
    responder holds a host name, else ``system``.
    """
    if mode not in HOST_MODES:
        raise UsageError("host", "one of 'own', 'system', 'auto'", mode)
    found = tuple(responders)
    shares = bool(found)
    holder = next((r for r in found if r.holds_host_name), None)
    if mode == "auto":
        mode = "system" if holder is not None and host_name is None else "own"
    if mode == "own":
        label = parse_host_name(host_name) if host_name is not None else host_label_from_system()
        return HostPlan("own", label, None, shares)
    if host_name is not None:
        return HostPlan("system", parse_host_name(host_name), holder, shares)
    if holder is not None and holder.host_name is not None:
        with contextlib.suppress(UsageError):
            return HostPlan("system", parse_host_name(holder.host_name), holder, shares)
        _log.warning("the system responder's host name %r is not a label", holder.host_name)
    return HostPlan("system", host_label_from_system(), holder, shares)


# -- avahi-daemon and systemd-resolved over D-Bus ------------------------------------------
async def detect_avahi(bus_address: str | None = None) -> SystemResponder | None:
    """avahi-daemon if it runs (D-Bus, else its socket), with its host name; else None.

    ``bus_address``: default the system bus ($DBUS_SYSTEM_BUS_ADDRESS or the
    standard socket). Without D-Bus the host name is the system's (avahi's default).
    """
    async with open_bus(bus_address, timeout=_DETECT_TIMEOUT) as bus:
        if bus is not None and await name_has_owner(bus, _AVAHI, timeout=_DETECT_TIMEOUT):
            body = await call_method(
                bus,
                _AVAHI,
                "/",
                "org.freedesktop.Avahi.Server",
                "GetHostNameFqdn",
                timeout=_DETECT_TIMEOUT,
            )
            fqdn = str(body[0]) if body and body[0] else f"{host_label_from_system()}.local"
            return SystemResponder("avahi", fqdn, via="dbus")
    if await _socket_answers(AVAHI_SOCKET):
        return SystemResponder("avahi", f"{host_label_from_system()}.local", via="socket")
    return None


async def _socket_answers(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        _, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(path)), 1.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def detect_resolved(bus_address: str | None = None) -> SystemResponder | None:
    """systemd-resolved if it runs with mDNS on (``yes`` or ``resolve``); else None.

    With ``yes`` it answers for its host name (``LLMNRHostname`` + ``.local``);
    with ``resolve`` it holds none but still shares port 5353.
    """
    async with open_bus(bus_address, timeout=_DETECT_TIMEOUT) as bus:
        if bus is None or not await name_has_owner(bus, _RESOLVED, timeout=_DETECT_TIMEOUT):
            return None
        props = await get_all_properties(
            bus,
            _RESOLVED,
            "/org/freedesktop/resolve1",
            "org.freedesktop.resolve1.Manager",
            timeout=_DETECT_TIMEOUT,
        )
    if not props:
        return None
    setting = str(props.get("MulticastDNS", "no"))
    if setting == "resolve":
        return SystemResponder("systemd-resolved", None, via="dbus")
    if setting != "yes":
        return None
    label = str(props.get("LLMNRHostname") or "") or host_label_from_system()
    return SystemResponder("systemd-resolved", f"{label}.local", via="dbus")


# -- sockets bound to port 5353 (Linux /proc) ----------------------------------------------
def bound_inodes(table: str, port: int = MDNS_PORT) -> set[int]:
    """The socket inodes bound to local ``port`` in one /proc/net/udp or udp6 table."""
    inodes: set[int] = set()
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        _, _, local_port = fields[1].rpartition(":")
        try:
            if int(local_port, 16) == port and int(fields[9]):
                inodes.add(int(fields[9]))
        except ValueError:
            continue
    return inodes


def _socket_inodes(fd_dir: Path) -> set[int]:
    inodes: set[int] = set()
    with contextlib.suppress(OSError):
        for fd in fd_dir.iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(int(target[8:-1]))
    return inodes


def _port_inodes(port: int, proc: Path) -> set[int]:
    # The calling thread's network namespace (a thread may have entered another one
    # with setns); /proc/net is the main thread's.
    net = proc / "thread-self" / "net"
    if not net.is_dir():
        net = proc / "net"
    inodes: set[int] = set()
    for table in ("udp", "udp6"):
        with contextlib.suppress(OSError):
            inodes |= bound_inodes((net / table).read_text(), port)
    return inodes


def port_shared(
    port: int = MDNS_PORT, *, exclude: Iterable[int] = (), proc: Path = Path("/proc")
) -> bool:
    """Is a UDP socket bound to ``port`` here, other than those with inodes in ``exclude``
    (one's own, e.g. :meth:`~lanwise.mdns.transport.MdnsTransport.socket_inodes`)?"""
    return bool(_port_inodes(port, proc).difference(exclude))


def udp_port_holders(port: int = MDNS_PORT, *, proc: Path = Path("/proc")) -> list[SystemResponder]:
    """The processes with a UDP socket bound to ``port`` in this network namespace.

    Call it before binding one's own: every socket counts, this process's too
    (another responder it runs is just as much a second socket on the port).
    One entry per process found (pid and command name, where /proc lets us
    see them), or one with ``pid=None`` for sockets whose owner is hidden.
    Empty where /proc/net is missing.
    """
    inodes = _port_inodes(port, proc)
    if not inodes:
        return []
    found: list[SystemResponder] = []
    with contextlib.suppress(OSError):
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            held = _socket_inodes(entry / "fd") & inodes
            if not held:
                continue
            inodes -= held
            comm = ""
            with contextlib.suppress(OSError):
                comm = (entry / "comm").read_text().strip()
            found.append(SystemResponder(_kind_of(comm), None, int(entry.name), comm or None))
            if not inodes:
                break
    if inodes:  # another user's process: bound, but not ours to look into
        found.append(SystemResponder("other", None))
    return found


def _kind_of(comm: str) -> str:
    if comm.startswith("avahi-daemon"):
        return "avahi"
    if comm.startswith("systemd-resolve"):  # comm is cut at 15 characters
        return "systemd-resolved"
    return "other"


async def detect_system_responders(bus_address: str | None = None) -> tuple[SystemResponder, ...]:
    """Every other mDNS stack seen on this host: avahi, systemd-resolved, port 5353 holders.

    A daemon seen both on D-Bus and on port 5353 is listed once, with the
    host name from D-Bus and the pid from /proc. The ones holding a host
    name come first.
    """
    avahi, resolved = await asyncio.gather(detect_avahi(bus_address), detect_resolved(bus_address))
    holders = udp_port_holders()
    found: list[SystemResponder] = []
    for daemon in (avahi, resolved):
        if daemon is None:
            continue
        same = next((h for h in holders if h.kind == daemon.kind), None)
        if same is not None:
            holders.remove(same)
        pid, process = (same.pid, same.process) if same is not None else (None, None)
        found.append(SystemResponder(daemon.kind, daemon.host_name, pid, process, daemon.via))
    for holder in holders:
        # avahi bound to 5353 with its D-Bus face out of reach: its default host name
        name = f"{host_label_from_system()}.local" if holder.kind == "avahi" else None
        found.append(SystemResponder(holder.kind, name, holder.pid, holder.process, "udp"))
    found.sort(key=lambda r: not r.holds_host_name)
    return tuple(found)

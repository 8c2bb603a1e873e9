"""The Linux backend: interfaces and addresses from rtnetlink dumps and notifications."""

from __future__ import annotations

import errno
import logging
import struct
from ipaddress import IPv6Address

from lanwise.interfaces import rtnl
from lanwise.interfaces.classify import classify, link_kind
from lanwise.interfaces.events import (
    InterfaceEvent,
    remove_address,
    remove_link,
    sort_addresses,
    update_address,
    update_link,
)
from lanwise.interfaces.model import Address, AddressScope, Interface, InterfaceFlags, OperState
from lanwise.interfaces.netlink import NetlinkSocket

__all__ = ["LinuxBackend", "LinuxWatcher", "address_from_message", "interface_from_link"]

_log = logging.getLogger(__name__)

# IF_OPER_* in order (include/uapi/linux/if.h)
_OPER_STATES = (
    OperState.UNKNOWN,
    OperState.NOT_PRESENT,
    OperState.DOWN,
    OperState.LOWER_LAYER_DOWN,
    OperState.TESTING,
    OperState.DORMANT,
    OperState.UP,
)
_SCOPES = {
    0: AddressScope.GLOBAL,
    200: AddressScope.SITE,
    253: AddressScope.LINK,
    254: AddressScope.HOST,
    255: AddressScope.NOWHERE,
}
IFA_F_SECONDARY = 0x01  # IPv4 meaning of bit 0
IFA_F_TEMPORARY = 0x01  # IPv6 meaning of bit 0
IFA_F_DADFAILED = 0x08
IFA_F_DEPRECATED = 0x20
IFA_F_TENTATIVE = 0x40
IFA_F_PERMANENT = 0x80

# With CAP_NET_ADMIN the watcher asks for a receive buffer beyond net.core.rmem_max, so a
# burst of changes rarely overflows it (an overflow costs a full dump to repair).
_PRIVILEGED_RECEIVE_BUFFER = 1 << 20

# Notifications a watcher drains per wake-up before yielding to the event loop.
_DATAGRAMS_PER_READ = 256

# RTEXT_FILTER_SKIP_STATS leaves out per-VF statistics, large on SR-IOV NICs.
_LINK_DUMP = (
    rtnl.IFINFOMSG.pack(family=rtnl.AF_UNSPEC),
    [(rtnl.IFLA_EXT_MASK, struct.pack("=I", rtnl.RTEXT_FILTER_SKIP_STATS))],
)
_ADDRESS_DUMP = rtnl.IFADDRMSG.pack(family=rtnl.AF_UNSPEC)


# Enumerations repeat (monitor resyncs, programs that poll): the value objects made from
# an unchanged link or address message are reused. Both are immutable, so sharing is
# safe; each cache is cleared when it outgrows its bound.
_CACHE_SIZE = 4096
_LINK_CACHE: dict[tuple[rtnl.LinkMessage, str], Interface] = {}
_ADDRESS_CACHE: dict[tuple[rtnl.AddressMessage, str | None], Address] = {}


def interface_from_link(
    link: rtnl.LinkMessage, sysfs_root: str = "/sys", addresses: tuple[Address, ...] = ()
) -> Interface:
    """An Interface from a link message (and its addresses, if known)."""
    key = (link, sysfs_root)
    bare = _LINK_CACHE.get(key)
    if bare is None:
        oper = (
            _OPER_STATES[link.operstate]
            if link.operstate < len(_OPER_STATES)
            else OperState.UNKNOWN
        )
        bare = Interface(
            link.ifindex,
            link.name,
            classify(link, sysfs_root),
            link_kind(link),
            InterfaceFlags(link.flags),
            link.mtu,
            link.hardware_address,
            oper,
            master=link.master or None,
        )
        if len(_LINK_CACHE) >= _CACHE_SIZE:
            _LINK_CACHE.clear()
        _LINK_CACHE[key] = bare
    if not addresses:
        return bare
    return Interface(
        bare.index, bare.name, bare.type, bare.kind, bare.flags,
        bare.mtu, bare.hardware_address, bare.oper_state, addresses, bare.master,
    )  # fmt: skip


# Scoped link-local addresses cost a text round trip to make; the same few recur.
_SCOPED_CACHE: dict[tuple[IPv6Address, str], IPv6Address] = {}
_SCOPED_CACHE_SIZE = 1024


def _scoped(ip: IPv6Address, scope: str) -> IPv6Address:
    key = (ip, scope)
    found = _SCOPED_CACHE.get(key)
    if found is None:
        found = IPv6Address(f"{ip}%{scope}")
        if len(_SCOPED_CACHE) >= _SCOPED_CACHE_SIZE:
            _SCOPED_CACHE.clear()
        _SCOPED_CACHE[key] = found
    return found


def address_from_message(msg: rtnl.AddressMessage, interface_name: str | None) -> Address:
    """An Address from an address message; IPv6 link-local gets ``%interface_name``."""
    key = (msg, interface_name)
    found = _ADDRESS_CACHE.get(key)
    if found is None:
        found = _make_address(msg, interface_name)
        if len(_ADDRESS_CACHE) >= _CACHE_SIZE:
            _ADDRESS_CACHE.clear()
        _ADDRESS_CACHE[key] = found
    return found


def _make_address(msg: rtnl.AddressMessage, interface_name: str | None) -> Address:
    family, index, prefixlen, flags, scope, local, peer, broadcast = msg
    if family == rtnl.AF_INET6:
        if isinstance(local, IPv6Address) and local.is_link_local:
            local = _scoped(local, interface_name or str(index))
        if isinstance(peer, IPv6Address) and peer.is_link_local:
            peer = _scoped(peer, interface_name or str(index))
        temporary, secondary = bool(flags & IFA_F_TEMPORARY), False
    else:
        temporary, secondary = False, bool(flags & IFA_F_SECONDARY)
    return Address(
        local,
        prefixlen,
        index,
        broadcast,
        peer,
        _SCOPES.get(scope, AddressScope.GLOBAL),
        temporary,
        bool(flags & IFA_F_DEPRECATED),
        bool(flags & IFA_F_TENTATIVE),
        bool(flags & IFA_F_PERMANENT),
        secondary,
        bool(flags & IFA_F_DADFAILED),
    )


class LinuxBackend:
    """Enumerates with two rtnetlink dumps (links, then addresses)."""

    def __init__(self, sysfs_root: str = "/sys") -> None:
        self.sysfs_root = sysfs_root

    def dump(self) -> dict[int, Interface]:
        """Every interface with its addresses, keyed by index, in index order."""
        with NetlinkSocket() as nl:
            links = nl.dump(rtnl.RTM_GETLINK, *_LINK_DUMP)
            addrs = nl.dump(rtnl.RTM_GETADDR, _ADDRESS_DUMP)
        parsed = [rtnl.parse_link(buf, start, end) for _t, buf, start, end in links]
        parsed.sort(key=lambda link: link.ifindex)
        names = {link.ifindex: link.name for link in parsed}
        per_index: dict[int, list[Address]] = {}
        for _mtype, buf, start, end in addrs:
            msg = rtnl.parse_address(buf, start, end)
            name = names.get(msg.ifindex)
            if name is not None:
                per_index.setdefault(msg.ifindex, []).append(address_from_message(msg, name))
        root = self.sysfs_root
        return {
            link.ifindex: interface_from_link(
                link, root, sort_addresses(per_index.get(link.ifindex, []))
            )
            for link in parsed
        }

    def open_watcher(self, *, receive_buffer: int | None = None) -> LinuxWatcher:
        return LinuxWatcher(self.sysfs_root, receive_buffer)


class LinuxWatcher:
    """Link and address notifications (RTNLGRP_LINK, IPV4_IFADDR, IPV6_IFADDR)."""

    def __init__(self, sysfs_root: str, receive_buffer: int | None) -> None:
        self.sysfs_root = sysfs_root
        self.notifications = 0
        self.malformed = 0
        self._nl = NetlinkSocket(
            (rtnl.RTNLGRP_LINK, rtnl.RTNLGRP_IPV4_IFADDR, rtnl.RTNLGRP_IPV6_IFADDR),
            receive_buffer=receive_buffer,
            blocking=False,
        )
        if receive_buffer is None:
            self._nl.try_force_receive_buffer(_PRIVILEGED_RECEIVE_BUFFER)

    def fileno(self) -> int:
        return self._nl.fileno()

    def close(self) -> None:
        self._nl.close()

    def read(self, state: dict[int, Interface]) -> tuple[list[InterfaceEvent], bool]:
        """Apply pending notifications to ``state``.

        Returns the events and whether the caller must resync from a fresh dump
        (notifications were lost to a full receive buffer, or referred to an
        interface the state does not know).
        """
        events: list[InterfaceEvent] = []
        resync = False
        for _ in range(_DATAGRAMS_PER_READ):
            try:
                buf = self._nl.receive()
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    resync = True
                    continue
                raise
            try:
                for mtype, _flags, _seq, start, end in rtnl.parse_messages(buf):
                    self.notifications += 1
                    if not self._apply(
                        state, buf, mtype=mtype, start=start, end=end, events=events
                    ):
                        resync = True
            except rtnl.NetlinkFormatError as exc:
                # Keep what this read already applied (and its events); drop the rest
                # of the datagram and let a fresh dump repair whatever it said.
                self.malformed += 1
                _log.debug("interface watcher: %s; resync", exc)
                resync = True
        if resync:
            self._discard_queued()
        return events, resync

    def _discard_queued(self) -> None:
        """Drop every notification still queued: the caller's fresh dump supersedes
        them, and one applied after the dump could bring back a deleted address
        whose deletion was lost to the overrun."""
        while True:
            try:
                self._nl.receive()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno != errno.ENOBUFS:
                    raise

    def _apply(
        self,
        state: dict[int, Interface],
        buf: bytes,
        *,
        mtype: int,
        start: int,
        end: int,
        events: list[InterfaceEvent],
    ) -> bool:
        if mtype in (rtnl.RTM_NEWLINK, rtnl.RTM_DELLINK):
            link = rtnl.parse_link(buf, start, end)
            if link.family == rtnl.AF_BRIDGE:
                return True  # bridge port events, not the link itself
            if mtype == rtnl.RTM_DELLINK:
                events += remove_link(state, link.ifindex)
            else:
                events += update_link(state, interface_from_link(link, self.sysfs_root))
            return True
        if mtype in (rtnl.RTM_NEWADDR, rtnl.RTM_DELADDR):
            msg = rtnl.parse_address(buf, start, end)
            owner = state.get(msg.ifindex)
            if owner is None:
                return mtype == rtnl.RTM_DELADDR  # an address of an unknown link: resync
            address = address_from_message(msg, owner.name)
            if mtype == rtnl.RTM_DELADDR:
                events += remove_address(state, address.key)
            else:
                events += update_address(state, address)
        return True

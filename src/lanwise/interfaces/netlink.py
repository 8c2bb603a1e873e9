"""A small rtnetlink socket, and address and route requests (Linux only).

lanwise reads netlink itself instead of depending on pyroute2: it needs a dozen
attributes of three message types, a dump is one ``send`` and a few ``recv``
calls, and owning the reader keeps enumeration fast and the dependency list empty.
Message layouts live in :mod:`lanwise.interfaces.rtnl`.

Request helpers (``add_address``, ``delete_address``, ``add_route``,
``delete_route``) wait for the kernel's acknowledgement and raise
:class:`~lanwise.errors.PlatformError` with the kernel's errno when it refuses
(``errno.EEXIST`` for an address already present, ``EPERM`` without
CAP_NET_ADMIN, ``ENODEV`` for an unknown interface, …).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import socket
import struct
from collections.abc import Sequence
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
)
from types import TracebackType

from lanwise.errors import PlatformError, UsageError
from lanwise.interfaces import rtnl
from lanwise.interfaces.model import AddressScope

__all__ = [
    "NetlinkSocket",
    "add_address",
    "add_route",
    "delete_address",
    "delete_route",
    "scope_value",
]

_RECV_SIZE = 1 << 16  # a dump datagram is at most a page or two; 64 KiB never truncates
_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # Linux value; Python 3.11 lacks the name
_DUMP_RETRIES = 8  # a dump interrupted by concurrent changes (NLM_F_DUMP_INTR) is redone

SCOPE_VALUES: dict[AddressScope, int] = {
    AddressScope.GLOBAL: 0,
    AddressScope.SITE: 200,
    AddressScope.LINK: 253,
    AddressScope.HOST: 254,
    AddressScope.NOWHERE: 255,
}


def scope_value(scope: AddressScope) -> int:
    """The kernel's RT_SCOPE_* number for a scope."""
    return SCOPE_VALUES[scope]


def _platform_error(exc: OSError, what: str) -> PlatformError:
    code = exc.errno or errno.EIO
    return PlatformError(code, f"{what}: {os.strerror(code)}")


class NetlinkSocket:
    """A NETLINK_ROUTE socket: requests with acknowledgement, dumps, notifications.

    ``groups`` is a list of RTNLGRP_* numbers to receive notifications from.
    ``receive_buffer`` sets SO_RCVBUF (tests make it tiny to force an overrun).
    """

    def __init__(
        self,
        groups: Sequence[int] = (),
        *,
        receive_buffer: int | None = None,
        blocking: bool = True,
    ) -> None:
        try:
            sock = socket.socket(
                socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, rtnl.NETLINK_ROUTE
            )
        except OSError as exc:
            raise _platform_error(exc, "cannot open a netlink socket") from exc
        try:
            if receive_buffer is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            # Ask for the kernel's reason text on errors; harmless where unsupported.
            with contextlib.suppress(OSError):
                sock.setsockopt(rtnl.SOL_NETLINK, rtnl.NETLINK_EXT_ACK, 1)
            sock.bind((0, 0))
            for group in groups:
                sock.setsockopt(rtnl.SOL_NETLINK, rtnl.NETLINK_ADD_MEMBERSHIP, group)
            sock.setblocking(blocking)
        except OSError as exc:
            sock.close()
            raise _platform_error(exc, "cannot set up a netlink socket") from exc
        self._sock = sock
        self._seq = itertools.count(1)

    # -- plumbing --------------------------------------------------------------------
    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> NetlinkSocket:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def try_force_receive_buffer(self, size: int) -> bool:
        """Set SO_RCVBUFFORCE (beyond net.core.rmem_max); False without the privilege."""
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, size)
        except OSError:
            return False
        return True

    def receive(self) -> bytes:
        """One datagram. Raises BlockingIOError when non-blocking and empty, and
        OSError(ENOBUFS) when notifications were lost to an overrun."""
        return self._sock.recv(_RECV_SIZE)

    def _send(self, data: bytes, what: str) -> None:
        try:
            self._sock.send(data)
        except OSError as exc:
            raise _platform_error(exc, what) from exc

    # -- requests --------------------------------------------------------------------
    def request(
        self,
        mtype: int,
        flags: int,
        header: bytes,
        attrs: Sequence[tuple[int, bytes]] = (),
        *,
        what: str = "netlink request",
    ) -> None:
        """Send a request with NLM_F_ACK and wait for the kernel's answer."""
        seq = next(self._seq)
        message = rtnl.build_message(
            mtype, flags | rtnl.NLM_F_REQUEST | rtnl.NLM_F_ACK, seq, header, attrs
        )
        self._send(message, what)
        while True:
            buf = self._receive_blocking(what)
            for rtype, rflags, rseq, start, end in rtnl.parse_messages(buf):
                if rseq != seq or rtype != rtnl.NLMSG_ERROR:
                    continue
                code, reason = rtnl.parse_error(buf, start, end, rflags)
                if code == 0:
                    return
                detail = f" ({reason})" if reason else ""
                raise PlatformError(code, f"{what}: {os.strerror(code)}{detail}")

    def dump(
        self, mtype: int, header: bytes, attrs: Sequence[tuple[int, bytes]] = ()
    ) -> list[tuple[int, bytes, int, int]]:
        """A complete, consistent dump: ``(type, datagram, body_start, body_end)`` each.

        A dump the kernel marks as interrupted by concurrent changes is redone.
        """
        for _ in range(_DUMP_RETRIES):
            found, interrupted = self._dump_once(mtype, header, attrs)
            if not interrupted:
                return found
        raise PlatformError(errno.EAGAIN, "netlink dump kept being interrupted by changes")

    def _dump_once(
        self, mtype: int, header: bytes, attrs: Sequence[tuple[int, bytes]]
    ) -> tuple[list[tuple[int, bytes, int, int]], bool]:
        seq = next(self._seq)
        self._send(
            rtnl.build_message(mtype, rtnl.NLM_F_REQUEST | rtnl.NLM_F_DUMP, seq, header, attrs),
            "netlink dump",
        )
        found: list[tuple[int, bytes, int, int]] = []
        interrupted = False
        while True:
            buf = self._receive_blocking("netlink dump")
            for rtype, rflags, rseq, start, end in rtnl.parse_messages(buf):
                if rseq != seq:
                    continue
                if rflags & rtnl.NLM_F_DUMP_INTR:
                    interrupted = True
                if rtype == rtnl.NLMSG_DONE:
                    return found, interrupted
                if rtype == rtnl.NLMSG_ERROR:
                    code, reason = rtnl.parse_error(buf, start, end, rflags)
                    detail = f" ({reason})" if reason else ""
                    raise PlatformError(code, f"netlink dump: {os.strerror(code)}{detail}")
                found.append((rtype, buf, start, end))

    def _receive_blocking(self, what: str) -> bytes:
        while True:
            try:
                return self._sock.recv(_RECV_SIZE)
            except InterruptedError:
                continue
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    # Notifications overflowed on a subscribed socket; answers to our
                    # request still follow, so keep reading.
                    continue
                raise _platform_error(exc, what) from exc


# -- address and route requests ----------------------------------------------------
def _family(ip: IPv4Address | IPv6Address) -> int:
    return rtnl.AF_INET if ip.version == 4 else rtnl.AF_INET6


def _default_scope(ip: IPv4Address | IPv6Address) -> AddressScope:
    if ip.is_loopback:
        return AddressScope.HOST
    if ip.is_link_local:
        return AddressScope.LINK
    return AddressScope.GLOBAL


def _check_index(index: int) -> None:
    if not isinstance(index, int) or isinstance(index, bool) or index <= 0:
        raise UsageError("interface index", "must be a positive integer", index)


def _address_request(
    index: int,
    address: IPv4Interface | IPv6Interface,
    *,
    scope: AddressScope | None,
    broadcast: IPv4Address | bool | None,
    peer: IPv4Address | IPv6Address | None,
    flags: int,
) -> tuple[bytes, list[tuple[int, bytes]]]:
    _check_index(index)
    if not isinstance(address, IPv4Interface | IPv6Interface):
        raise UsageError(
            "address", "must be an IPv4Interface or IPv6Interface (address/prefix)", address
        )
    ip = address.ip
    chosen = scope if scope is not None else _default_scope(ip)
    header = rtnl.IFADDRMSG.pack(
        family=_family(ip),
        prefixlen=address.network.prefixlen,
        flags=flags & 0xFF,
        scope=scope_value(chosen),
        index=index,
    )
    if peer is not None and peer.version != ip.version:
        raise UsageError("peer", "must be of the address's IP version", peer)
    attrs: list[tuple[int, bytes]] = [
        (rtnl.IFA_LOCAL, ip.packed),
        (rtnl.IFA_ADDRESS, (peer or ip).packed),
    ]
    if broadcast is not None and broadcast is not False:
        if not isinstance(address, IPv4Interface):
            raise UsageError("broadcast", "exists only for IPv4 addresses", broadcast)
        value = address.network.broadcast_address if broadcast is True else broadcast
        if not isinstance(value, IPv4Address):
            raise UsageError("broadcast", "must be an IPv4Address or True", broadcast)
        attrs.append((rtnl.IFA_BROADCAST, value.packed))
    if flags > 0xFF:
        attrs.append((rtnl.IFA_FLAGS, struct.pack("=I", flags)))
    return header, attrs


IFA_F_NODAD = 0x02
IFA_F_NOPREFIXROUTE = 0x200


def add_address(
    index: int,
    address: IPv4Interface | IPv6Interface,
    *,
    scope: AddressScope | None = None,
    broadcast: IPv4Address | bool | None = None,
    peer: IPv4Address | IPv6Address | None = None,
    nodad: bool = False,
    noprefixroute: bool = False,
    replace: bool = False,
) -> None:
    """Add ``address`` (with its prefix) to interface ``index``, like ``ip addr add``.

    ``scope`` defaults to link for link-local addresses (169.254/16, fe80::/10),
    host for loopback and global otherwise. ``broadcast=True`` sets the subnet's
    directed broadcast (``ip``'s ``broadcast +``). ``nodad`` skips IPv6 duplicate
    address detection; ``noprefixroute`` adds no on-link route for the prefix.
    Raises PlatformError(EEXIST) if the address is present, unless ``replace``.
    """
    flags = (IFA_F_NODAD if nodad else 0) | (IFA_F_NOPREFIXROUTE if noprefixroute else 0)
    header, attrs = _address_request(
        index, address, scope=scope, broadcast=broadcast, peer=peer, flags=flags
    )
    mode = rtnl.NLM_F_CREATE | (rtnl.NLM_F_REPLACE if replace else rtnl.NLM_F_EXCL)
    with NetlinkSocket() as nl:
        nl.request(rtnl.RTM_NEWADDR, mode, header, attrs, what=f"add address {address} on #{index}")


def delete_address(
    index: int,
    address: IPv4Interface | IPv6Interface,
    *,
    peer: IPv4Address | IPv6Address | None = None,
) -> None:
    """Remove ``address`` (matched with its prefix length, and ``peer`` for a
    point-to-point address) from interface ``index``.

    Raises PlatformError(EADDRNOTAVAIL) if it is not there.
    """
    _check_index(index)
    if not isinstance(address, IPv4Interface | IPv6Interface):
        raise UsageError(
            "address", "must be an IPv4Interface or IPv6Interface (address/prefix)", address
        )
    header = rtnl.IFADDRMSG.pack(
        family=_family(address.ip), prefixlen=address.network.prefixlen, index=index
    )
    attrs = [(rtnl.IFA_LOCAL, address.ip.packed)]
    if peer is not None:
        if peer.version != address.ip.version:
            raise UsageError("peer", "must be of the address's IP version", peer)
        attrs.append((rtnl.IFA_ADDRESS, peer.packed))
    with NetlinkSocket() as nl:
        nl.request(rtnl.RTM_DELADDR, 0, header, attrs, what=f"delete address {address} on #{index}")


def _route_request(
    index: int,
    destination: IPv4Network | IPv6Network,
    *,
    gateway: IPv4Address | IPv6Address | None,
    metric: int | None,
    table: int,
    scope: AddressScope,
    source: IPv4Address | IPv6Address | None,
    protocol: int,
    route_type: int,
) -> tuple[bytes, list[tuple[int, bytes]]]:
    _check_index(index)
    if not isinstance(destination, IPv4Network | IPv6Network):
        raise UsageError("destination", "must be an IPv4Network or IPv6Network", destination)
    for field, ip in (("gateway", gateway), ("source", source)):
        if ip is not None and ip.version != destination.version:
            raise UsageError(field, "must be of the destination's IP version", ip)
    if metric is not None and not 0 <= metric <= 0xFFFFFFFF:
        raise UsageError("metric", "must be between 0 and 4294967295", metric)
    if not 0 < table <= 0xFFFFFFFF:
        raise UsageError("table", "must be between 1 and 4294967295", table)
    header = rtnl.RTMSG.pack(
        family=_family(destination.network_address),
        dst_len=destination.prefixlen,
        table=table if table < 256 else 252,  # RT_TABLE_COMPAT; the real id goes in RTA_TABLE
        protocol=protocol,
        scope=scope_value(scope),
        type=route_type,
    )
    attrs: list[tuple[int, bytes]] = [
        (rtnl.RTA_TABLE, struct.pack("=I", table)),
        (rtnl.RTA_OIF, struct.pack("=i", index)),
    ]
    if destination.prefixlen:
        attrs.append((rtnl.RTA_DST, destination.network_address.packed))
    if gateway is not None:
        attrs.append((rtnl.RTA_GATEWAY, gateway.packed))
    if source is not None:
        attrs.append((rtnl.RTA_PREFSRC, source.packed))
    if metric is not None:
        attrs.append((rtnl.RTA_PRIORITY, struct.pack("=I", metric)))
    return header, attrs


def add_route(
    index: int,
    destination: IPv4Network | IPv6Network,
    *,
    gateway: IPv4Address | IPv6Address | None = None,
    scope: AddressScope | None = None,
    metric: int | None = None,
    source: IPv4Address | IPv6Address | None = None,
    table: int = rtnl.RT_TABLE_MAIN,
    replace: bool = False,
) -> None:
    """Add a unicast route via interface ``index``, like ``ip route add``.

    ``scope`` defaults to link without a gateway (``169.254.0.0/16 dev X scope
    link``) and global with one. Raises PlatformError(EEXIST) if present, unless
    ``replace``.
    """
    chosen = (
        scope
        if scope is not None
        else (AddressScope.LINK if gateway is None else AddressScope.GLOBAL)
    )
    header, attrs = _route_request(
        index,
        destination,
        gateway=gateway,
        metric=metric,
        table=table,
        scope=chosen,
        source=source,
        protocol=rtnl.RTPROT_BOOT,
        route_type=rtnl.RTN_UNICAST,
    )
    mode = rtnl.NLM_F_CREATE | (rtnl.NLM_F_REPLACE if replace else rtnl.NLM_F_EXCL)
    with NetlinkSocket() as nl:
        nl.request(
            rtnl.RTM_NEWROUTE, mode, header, attrs, what=f"add route {destination} via #{index}"
        )


def delete_route(
    index: int,
    destination: IPv4Network | IPv6Network,
    *,
    gateway: IPv4Address | IPv6Address | None = None,
    metric: int | None = None,
    table: int = rtnl.RT_TABLE_MAIN,
) -> None:
    """Remove a route via interface ``index``. Raises PlatformError(ESRCH) if absent."""
    # Scope "nowhere", protocol 0 and type 0 match any route, as `ip route del` does.
    header, attrs = _route_request(
        index,
        destination,
        gateway=gateway,
        metric=metric,
        table=table,
        scope=AddressScope.NOWHERE,
        source=None,
        protocol=0,
        route_type=0,
    )
    with NetlinkSocket() as nl:
        nl.request(
            rtnl.RTM_DELROUTE, 0, header, attrs, what=f"delete route {destination} via #{index}"
        )

"""The tester's view of the link: its sockets, and every packet the target sends.

A :class:`Wire` holds three sockets on one interface — IPv4 and IPv6 on port
5353 joined to the mDNS groups there, and an IPv4 socket on an ephemeral port
that plays a legacy resolver (RFC 6762 §6.7) — and a thread that records every
datagram that arrives with the monotonic time it arrived, its source and
destination (IP_PKTINFO / IPV6_RECVPKTINFO) and its IP TTL / hop limit
(IP_RECVTTL / IPV6_RECVHOPLIMIT). Multicast loopback is off, so the tester
never sees its own packets.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any, Final

from lanwise.dns import (
    Flag,
    Message,
    MessageBuilder,
    Question,
    Record,
    WireFormatError,
    parse_message,
)
from lanwise.errors import PlatformError

__all__ = ["Captured", "Wire", "describe", "packet_json"]

MDNS_PORT: Final = 5353
IPV4_GROUP: Final = IPv4Address("224.0.0.251")
IPV6_GROUP: Final = IPv6Address("ff02::fb")

# Linux option numbers, for Python builds whose socket module lacks a name.
_IP_PKTINFO: Final = getattr(socket, "IP_PKTINFO", 8)
_IP_RECVTTL: Final = getattr(socket, "IP_RECVTTL", 12)
_IP_TTL_CMSG: Final = socket.IP_TTL
_IP_MULTICAST_ALL: Final = getattr(socket, "IP_MULTICAST_ALL", 49)
_IPV6_RECVPKTINFO: Final = getattr(socket, "IPV6_RECVPKTINFO", 49)
_IPV6_PKTINFO: Final = getattr(socket, "IPV6_PKTINFO", 50)
_IPV6_RECVHOPLIMIT: Final = getattr(socket, "IPV6_RECVHOPLIMIT", 51)
_IPV6_HOPLIMIT: Final = getattr(socket, "IPV6_HOPLIMIT", 52)
_IPV6_MULTICAST_ALL: Final = getattr(socket, "IPV6_MULTICAST_ALL", 29)
_SO_REUSEPORT: Final = getattr(socket, "SO_REUSEPORT", 15)
# Linux SO_TIMESTAMPNS (and its control message type): a struct timespec per datagram.
_SO_TIMESTAMPNS: Final = 35
_TIMESPEC: Final = struct.Struct("=qq")
_ANCILLARY: Final = (
    socket.CMSG_SPACE(20) + socket.CMSG_SPACE(4) + socket.CMSG_SPACE(_TIMESPEC.size) + 64
)

# What the tester's own queries carry as IP TTL: §11 says 255 for everything.
TESTER_TTL: Final = 255


@dataclass(frozen=True, slots=True)
class Captured:
    """One datagram the tester received."""

    time: float  # time.monotonic() when it arrived
    data: bytes
    message: Message | None  # None when it did not parse
    source: IPv4Address | IPv6Address
    source_port: int
    destination: IPv4Address | IPv6Address | None
    interface: int
    ttl: int | None  # IP TTL / hop limit as received
    legacy: bool  # arrived on the tester's ephemeral-port (legacy resolver) socket

    @property
    def multicast(self) -> bool:
        """Sent to an mDNS group (rather than unicast to the tester)."""
        return self.destination in (IPV4_GROUP, IPV6_GROUP)

    @property
    def family(self) -> int:
        return 4 if isinstance(self.source, IPv4Address) else 6


def _section_lines(title: str, records: Sequence[Record]) -> list[str]:
    lines = []
    for record in records:
        flush = " flush" if record.cache_flush else ""
        lines.append(
            f"    {title} {record.name} {record.rtype} ttl={record.ttl}{flush} {record.rdata}"
        )
    return lines


def describe(packet: Captured, since: float | None = None) -> str:
    """A few lines showing a packet: time, addresses, TTL, header bits, sections."""
    at = f"+{packet.time - since:.3f}s" if since is not None else f"{packet.time:.3f}"
    head = (
        f"  {at} {packet.source}:{packet.source_port} -> {packet.destination} "
        f"(if {packet.interface}, ip-ttl {packet.ttl})"
    )
    message = packet.message
    if message is None:
        return f"{head} unparsable {len(packet.data)} bytes"
    kind = "response" if message.is_response else "query"
    bits = [f"id={message.id}", f"opcode={message.opcode}", f"rcode={message.rcode}"]
    if message.authoritative:
        bits.append("AA")
    if message.is_truncated:
        bits.append("TC")
    lines = [f"{head} {kind} {' '.join(bits)}"]
    for q in message.questions:
        lines.append(f"    question {q.name} {q.qtype} {'QU' if q.unicast_response else 'QM'}")
    lines += _section_lines("answer", message.answers)
    lines += _section_lines("authority", message.authorities)
    lines += _section_lines("additional", message.additionals)
    return "\n".join(lines)


def packet_json(packet: Captured, since: float) -> dict[str, Any]:
    """A packet for the JSON and HTML reports: when (seconds since ``since``),
    who to whom, the header, and one line per question and record."""
    message = packet.message
    lines = describe(packet, since).splitlines()[1:]
    return {
        "time": round(packet.time - since, 4),
        "source": f"{packet.source}:{packet.source_port}",
        "destination": str(packet.destination),
        "multicast": packet.multicast,
        "ip_ttl": packet.ttl,
        "kind": "unparsable" if message is None else "response" if message.is_response else "query",
        "header": describe(packet, since).splitlines()[0].split(") ", 1)[-1],
        "lines": [line.strip() for line in lines],
    }


def build_packet(
    questions: Iterable[Question] = (),
    answers: Iterable[Record] = (),
    authorities: Iterable[Record] = (),
    *,
    id: int = 0,
    flags: int = 0,
) -> bytes:
    """A crafted message (the builder compresses names)."""
    builder = MessageBuilder(id=id, flags=flags)
    for q in questions:
        builder.add_question(q)
    for r in answers:
        builder.add_answer(r)
    for r in authorities:
        builder.add_authority(r)
    return builder.to_wire()


RESPONSE_FLAGS: Final = int(Flag.QR | Flag.AA)


class Wire:
    """The tester's sockets on one interface and the record of what arrived.

    Use as a context manager. ``packets`` only grows; read it with
    :meth:`since` / :meth:`wait_for`.
    """

    def __init__(
        self,
        interface: int,
        ipv4: IPv4Address | None,
        *,
        ipv6: bool = True,
    ) -> None:
        self.interface = interface
        self.ipv4_source = ipv4
        self.packets: list[Captured] = []
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self._sockets: list[tuple[socket.socket, bool]] = []
        self.v4: socket.socket | None = None
        self.v6: socket.socket | None = None
        self.legacy: socket.socket | None = None
        try:
            if ipv4 is not None:
                self.v4 = self._open_v4(MDNS_PORT)
                self.legacy = self._open_v4(0)
                self._sockets += [(self.v4, False), (self.legacy, True)]
            if ipv6:
                try:
                    self.v6 = self._open_v6(MDNS_PORT)
                except OSError:
                    if ipv4 is None:
                        raise
                    self.v6 = None  # no IPv6 on this interface: the IPv6 checks skip
                else:
                    self._sockets.append((self.v6, False))
                    if ipv4 is None:
                        self.legacy = self._open_v6(0)
                        self._sockets.append((self.legacy, True))
        except OSError as exc:
            self.close()
            raise PlatformError(exc.errno, f"cannot open the tester's sockets: {exc}") from exc
        if not self._sockets:
            raise PlatformError(None, "the interface has neither IPv4 nor IPv6")
        for sock, _ in self._sockets:
            # Arrival times from the kernel, so a reader thread that runs late on a busy
            # machine does not shift them (rate-limit and timing checks measure gaps).
            sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        self._thread = threading.Thread(target=self._receive, name="conformance-wire", daemon=True)
        self._thread.start()

    # -- sockets -----------------------------------------------------------------------
    def _open_v4(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if port:
                sock.setsockopt(socket.SOL_SOCKET, _SO_REUSEPORT, 1)
            sock.setsockopt(socket.IPPROTO_IP, _IP_PKTINFO, 1)
            sock.setsockopt(socket.IPPROTO_IP, _IP_RECVTTL, 1)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, TESTER_TTL)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, TESTER_TTL)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_IP, _IP_MULTICAST_ALL, 0)
            # struct ip_mreqn { group, local address, ifindex }
            mreqn = IPV4_GROUP.packed + bytes(4) + struct.pack("=i", self.interface)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
            sock.bind(("0.0.0.0", port))
            if port:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
        except OSError:
            sock.close()
            raise
        return sock

    def _open_v6(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if port:
                sock.setsockopt(socket.SOL_SOCKET, _SO_REUSEPORT, 1)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_RECVPKTINFO, 1)
            sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_RECVHOPLIMIT, 1)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, TESTER_TTL)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, TESTER_TTL)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, self.interface)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_IPV6, _IPV6_MULTICAST_ALL, 0)
            sock.bind(("::", port))
            if port:
                mreq = IPV6_GROUP.packed + struct.pack("=I", self.interface)
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
        except OSError:
            sock.close()
            raise
        return sock

    def close(self) -> None:
        """Stop the receiver and close the sockets."""
        self._stop.set()
        thread = getattr(self, "_thread", None)
        if thread is not None:
            thread.join(2)
        for sock, _ in self._sockets:
            sock.close()
        self._sockets.clear()

    def __enter__(self) -> Wire:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- receiving ---------------------------------------------------------------------
    def _receive(self) -> None:
        while not self._stop.is_set():
            socks = [s for s, _ in self._sockets]
            try:
                ready, _, _ = select.select(socks, [], [], 0.05)
            except (OSError, ValueError):
                return
            for sock in ready:
                legacy = sock is self.legacy
                try:
                    data, ancdata, _flags, address = sock.recvmsg(9000, _ANCILLARY)
                except OSError:
                    continue
                self._record(time.monotonic(), data, ancdata, address, legacy)

    def _record(
        self,
        when: float,
        data: bytes,
        ancdata: list[tuple[int, int, bytes]],
        address: tuple[object, ...],
        legacy: bool,
    ) -> None:
        destination: IPv4Address | IPv6Address | None = None
        interface = self.interface
        ttl: int | None = None
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS:
                if len(payload) >= _TIMESPEC.size:
                    sec, nsec = _TIMESPEC.unpack_from(payload)
                    # The kernel stamps with the real-time clock; carry it over to ours.
                    when -= time.time() - (sec + nsec / 1e9)
            elif level == socket.IPPROTO_IP and kind == _IP_PKTINFO and len(payload) >= 12:
                index, _spec, addr = struct.unpack_from("=i4s4s", payload)
                destination, interface = IPv4Address(addr), index
            elif level == socket.IPPROTO_IP and kind == _IP_TTL_CMSG and len(payload) >= 1:
                ttl = payload[0] if len(payload) < 4 else struct.unpack_from("=i", payload)[0]
            elif level == socket.IPPROTO_IPV6 and kind == _IPV6_PKTINFO and len(payload) >= 20:
                addr6, index6 = struct.unpack_from("=16sI", payload)
                destination, interface = IPv6Address(addr6), index6
            elif level == socket.IPPROTO_IPV6 and kind == _IPV6_HOPLIMIT and len(payload) >= 4:
                ttl = struct.unpack_from("=i", payload)[0]
        if interface != self.interface:
            return
        try:
            message: Message | None = parse_message(data)
        except WireFormatError:
            message = None
        host = str(address[0]).split("%", 1)[0]
        packet = Captured(
            time=when,
            data=data,
            message=message,
            source=ip_address(host),
            source_port=int(str(address[1])),
            destination=destination,
            interface=interface,
            ttl=ttl,
            legacy=legacy,
        )
        with self._lock:
            self.packets.append(packet)
            self._lock.notify_all()

    # -- reading -----------------------------------------------------------------------
    def since(
        self, start: float, predicate: Callable[[Captured], bool] | None = None
    ) -> list[Captured]:
        """Packets that arrived at or after ``start`` (and match ``predicate``)."""
        with self._lock:
            found = [p for p in self.packets if p.time >= start]
        return [p for p in found if predicate is None or predicate(p)]

    def wait_for(
        self,
        predicate: Callable[[Captured], bool],
        start: float,
        timeout: float,
    ) -> Captured | None:
        """The first packet from ``start`` on matching ``predicate``, waiting up to
        ``timeout`` seconds from now; None if none came."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._lock:
            while True:
                while seen < len(self.packets):
                    packet = self.packets[seen]
                    seen += 1
                    if packet.time >= start and predicate(packet):
                        return packet
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._lock.wait(remaining)

    # -- sending -----------------------------------------------------------------------
    def send(
        self,
        data: bytes,
        *,
        family: int = 4,
        to: IPv4Address | IPv6Address | None = None,
        legacy: bool = False,
        ttl: int | None = None,
    ) -> float:
        """Send ``data`` to the mDNS group of ``family`` (or unicast to ``to`` on
        port 5353); ``legacy`` sends from the ephemeral port. Returns the send time."""
        if to is not None:
            family = 4 if isinstance(to, IPv4Address) else 6
        sock = self.legacy if legacy else (self.v4 if family == 4 else self.v6)
        if legacy and sock is not None:
            family = 6 if sock.family == socket.AF_INET6 else 4
        if sock is None:
            raise PlatformError(None, f"the tester has no IPv{family} socket on this interface")
        if family == 4:
            target: tuple[object, ...] = (str(to or IPV4_GROUP), MDNS_PORT)
            if ttl is not None:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        else:
            target = (str(to or IPV6_GROUP), MDNS_PORT, 0, self.interface)
            if ttl is not None:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, ttl)
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
        sent = time.monotonic()
        try:
            sock.sendto(data, target)
        finally:
            if ttl is not None and family == 4:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, TESTER_TTL)
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, TESTER_TTL)
            elif ttl is not None:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, TESTER_TTL)
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, TESTER_TTL)
        return sent

    @property
    def family(self) -> int:
        """The IP version the tester speaks first: IPv4 when it has it."""
        return 4 if self.v4 is not None else 6

    @property
    def legacy_port(self) -> int:
        """The ephemeral port of the legacy-resolver socket."""
        if self.legacy is None:
            return 0
        port: int = self.legacy.getsockname()[1]
        return port

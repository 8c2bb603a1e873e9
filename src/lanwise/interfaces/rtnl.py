"""rtnetlink message layouts, declared as data, with a bounds-checked parser and a builder.

Sans-IO: bytes in, typed messages out (and back). The socket lives in
:mod:`lanwise.interfaces.netlink`. Layouts follow include/uapi/linux/netlink.h,
rtnetlink.h, if_link.h, if_addr.h (RFC 3549 describes the protocol).

Only the attributes a table names are decoded; every other attribute is
skipped by its length, so a dump stays cheap however much the kernel says.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from ipaddress import IPv4Address, IPv6Address
from typing import NamedTuple, TypeAlias, cast

from lanwise.errors import ProtocolError

__all__ = [
    "IFADDRMSG",
    "IFINFOMSG",
    "NLMSGHDR",
    "RTMSG",
    "AddressMessage",
    "AttrTable",
    "Layout",
    "LinkMessage",
    "NetlinkFormatError",
    "build_message",
    "encode_attrs",
    "parse_address",
    "parse_error",
    "parse_link",
    "parse_messages",
]

# -- constants (values from the Linux UAPI headers) ----------------------------------
NETLINK_ROUTE = 0
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_NO_ENOBUFS = 5
NETLINK_EXT_ACK = 11
NETLINK_GET_STRICT_CHK = 12

NLMSG_NOOP = 1
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSG_OVERRUN = 4

NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_DUMP_INTR = 0x10
NLM_F_DUMP = 0x300
NLM_F_REPLACE = 0x100
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
NLM_F_CAPPED = 0x100  # in an error message: the request was not echoed in full
NLM_F_ACK_TLVS = 0x200  # in an error message: extended-ack attributes follow

NLMSGERR_ATTR_MSG = 1

RTM_NEWLINK = 16
RTM_DELLINK = 17
RTM_GETLINK = 18
RTM_NEWADDR = 20
RTM_DELADDR = 21
RTM_GETADDR = 22
RTM_NEWROUTE = 24
RTM_DELROUTE = 25

RTNLGRP_LINK = 1
RTNLGRP_IPV4_IFADDR = 5
RTNLGRP_IPV6_IFADDR = 9

AF_UNSPEC = 0
AF_INET = 2
AF_BRIDGE = 7
AF_INET6 = 10

IFLA_ADDRESS = 1
IFLA_IFNAME = 3
IFLA_MTU = 4
IFLA_MASTER = 10
IFLA_OPERSTATE = 16
IFLA_LINKINFO = 18
IFLA_EXT_MASK = 29
IFLA_INFO_KIND = 1
RTEXT_FILTER_SKIP_STATS = 1 << 3  # older kernels ignore the bit and send stats anyway

IFA_ADDRESS = 1
IFA_LOCAL = 2
IFA_LABEL = 3
IFA_BROADCAST = 4
IFA_FLAGS = 8

RTA_DST = 1
RTA_OIF = 4
RTA_GATEWAY = 5
RTA_PRIORITY = 6
RTA_PREFSRC = 7
RTA_TABLE = 15

RT_TABLE_MAIN = 254
RTPROT_BOOT = 3
RTN_UNICAST = 1

NLA_F_NESTED = 0x8000
NLA_F_NET_BYTEORDER = 0x4000


class NetlinkFormatError(ProtocolError):
    """A netlink message that does not fit its declared layout."""

    def __init__(self, offset: int, reason: str) -> None:
        self.offset = offset
        self.reason = reason
        super().__init__(f"malformed netlink message at byte {offset}: {reason}")


# -- fixed headers -------------------------------------------------------------------
class Layout:
    """A fixed C struct declared as ``(field, struct code)`` pairs, native byte order."""

    __slots__ = ("_struct", "fields", "name", "size")

    def __init__(self, name: str, fields: Sequence[tuple[str, str]]) -> None:
        self.name = name
        self.fields = tuple(f for f, code in fields if code != "x")
        self._struct = struct.Struct("=" + "".join(code for _, code in fields))
        self.size = self._struct.size

    def unpack_from(self, buf: bytes | memoryview, offset: int = 0) -> tuple[int, ...]:
        if offset + self.size > len(buf):
            raise NetlinkFormatError(offset, f"{self.name} needs {self.size} bytes")
        values: tuple[int, ...] = self._struct.unpack_from(buf, offset)
        return values

    def pack(self, **values: int) -> bytes:
        """Pack by field name; fields not given are zero."""
        unknown = set(values) - set(self.fields)
        if unknown:
            raise TypeError(f"{self.name} has no field {sorted(unknown)}")
        return self._struct.pack(*(values.get(f, 0) for f in self.fields))


NLMSGHDR = Layout(
    "nlmsghdr", [("len", "I"), ("type", "H"), ("flags", "H"), ("seq", "I"), ("pid", "I")]
)
IFINFOMSG = Layout(
    "ifinfomsg",
    [
        ("family", "B"),
        ("_pad", "x"),
        ("type", "H"),
        ("index", "i"),
        ("flags", "I"),
        ("change", "I"),
    ],
)
IFADDRMSG = Layout(
    "ifaddrmsg",
    [("family", "B"), ("prefixlen", "B"), ("flags", "B"), ("scope", "B"), ("index", "I")],
)
RTMSG = Layout(
    "rtmsg",
    [
        ("family", "B"), ("dst_len", "B"), ("src_len", "B"), ("tos", "B"),
        ("table", "B"), ("protocol", "B"), ("scope", "B"), ("type", "B"), ("flags", "I"),
    ],
)  # fmt: skip
NLMSGERR = Layout("nlmsgerr", [("error", "i")])
_NLA = struct.Struct("=HH")


# -- attributes ----------------------------------------------------------------------
Value: TypeAlias = "int | str | bytes | IPv4Address | IPv6Address | dict[str, Value]"
Decoder = Callable[[bytes, int, int], Value]


def _u8(buf: bytes, start: int, end: int) -> Value:
    if end - start < 1:
        raise NetlinkFormatError(start, "u8 attribute too short")
    return buf[start]


def _u32(buf: bytes, start: int, end: int) -> Value:
    if end - start < 4:
        raise NetlinkFormatError(start, "u32 attribute too short")
    value: int = struct.unpack_from("=I", buf, start)[0]
    return value


def _string(buf: bytes, start: int, end: int) -> Value:
    raw = buf[start:end]
    nul = raw.find(0)
    return (raw if nul < 0 else raw[:nul]).decode("utf-8", "replace")


def _hwaddr(buf: bytes, start: int, end: int) -> Value:
    return buf[start:end].hex(":")


# Address objects are immutable and the same few recur in every dump: intern them.
_IP_CACHE: dict[bytes, IPv4Address | IPv6Address] = {}
_IP_CACHE_SIZE = 4096


def _ipaddr(buf: bytes, start: int, end: int) -> Value:
    raw = buf[start:end]
    found = _IP_CACHE.get(raw)
    if found is not None:
        return found
    size = end - start
    ip: IPv4Address | IPv6Address
    if size == 4:
        ip = IPv4Address(raw)
    elif size == 16:
        ip = IPv6Address(raw)
    else:
        raise NetlinkFormatError(start, f"address attribute of {size} bytes")
    if len(_IP_CACHE) >= _IP_CACHE_SIZE:
        _IP_CACHE.clear()
    _IP_CACHE[raw] = ip
    return ip


class AttrTable:
    """Attribute type → (name, decoder): which TLVs of a message to decode, and how."""

    __slots__ = ("_entries", "_wanted", "name")

    def __init__(self, name: str, entries: Mapping[int, tuple[str, Decoder | AttrTable]]) -> None:
        self.name = name
        self._entries: dict[int, tuple[str, Decoder]] = {}
        for atype, (field, dec) in entries.items():
            decode = dec.parse if isinstance(dec, AttrTable) else dec
            # Match the type with and without the NLA_F_NESTED / NET_BYTEORDER bits,
            # so the walk needs no masking.
            for flags in (0, NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_F_NESTED | NLA_F_NET_BYTEORDER):
                self._entries[atype | flags] = (field, decode)
        self._wanted = len(entries)

    def parse(self, buf: bytes, start: int, end: int) -> dict[str, Value]:
        """Decode the attributes in ``buf[start:end]``; unknown types are skipped."""
        out: dict[str, Value] = {}
        entries = self._entries
        missing = self._wanted
        unpack = _NLA.unpack_from
        offset = start
        last = end - 4
        while offset <= last:
            length, atype = unpack(buf, offset)
            if length < 4:
                raise NetlinkFormatError(offset, f"{self.name} attribute length {length}")
            entry = entries.get(atype)
            if entry is not None:
                if offset + length > end:
                    raise NetlinkFormatError(offset, f"{self.name} attribute overruns its message")
                out[entry[0]] = entry[1](buf, offset + 4, offset + length)
                missing -= 1
                if not missing:
                    return out  # everything wanted is found; the rest need not be walked
            offset += (length + 3) & ~3
        if offset > end + 3:  # the last attribute ran past the end (padding aside)
            raise NetlinkFormatError(offset, f"{self.name} attribute overruns its message")
        return out


LINKINFO = AttrTable("IFLA_LINKINFO", {IFLA_INFO_KIND: ("kind", _string)})
IFLA = AttrTable(
    "IFLA",
    {
        IFLA_ADDRESS: ("address", _hwaddr),
        IFLA_IFNAME: ("ifname", _string),
        IFLA_MTU: ("mtu", _u32),
        IFLA_MASTER: ("master", _u32),
        IFLA_OPERSTATE: ("operstate", _u8),
        IFLA_LINKINFO: ("linkinfo", LINKINFO),
    },
)
IFA = AttrTable(
    "IFA",
    {
        IFA_ADDRESS: ("address", _ipaddr),
        IFA_LOCAL: ("local", _ipaddr),
        IFA_LABEL: ("label", _string),
        IFA_BROADCAST: ("broadcast", _ipaddr),
        IFA_FLAGS: ("flags", _u32),
    },
)
NLMSGERR_ATTRS = AttrTable("NLMSGERR", {NLMSGERR_ATTR_MSG: ("msg", _string)})


def encode_attrs(attrs: Sequence[tuple[int, bytes]]) -> bytes:
    """TLV-encode ``(type, payload)`` pairs, each padded to 4 bytes."""
    parts: list[bytes] = []
    for atype, payload in attrs:
        length = 4 + len(payload)
        parts.append(_NLA.pack(length, atype) + payload + b"\0" * (-length % 4))
    return b"".join(parts)


def build_message(
    mtype: int, flags: int, seq: int, header: bytes, attrs: Sequence[tuple[int, bytes]] = ()
) -> bytes:
    """One netlink message: nlmsghdr, a family header, then attributes."""
    body = header + encode_attrs(attrs)
    return NLMSGHDR.pack(len=NLMSGHDR.size + len(body), type=mtype, flags=flags, seq=seq) + body


# -- messages ------------------------------------------------------------------------
def parse_messages(
    buf: bytes, start: int = 0, end: int | None = None
) -> Iterator[tuple[int, int, int, int, int]]:
    """Split a datagram into messages: ``(type, flags, seq, body_start, body_end)``."""
    end = len(buf) if end is None else end
    unpack = NLMSGHDR._struct.unpack_from
    size = NLMSGHDR.size
    offset = start
    while offset + size <= end:
        length, mtype, flags, seq, _pid = unpack(buf, offset)
        if length < size or offset + length > end:
            raise NetlinkFormatError(offset, f"message length {length}")
        yield mtype, flags, seq, offset + size, offset + length
        offset += (length + 3) & ~3


class LinkMessage(NamedTuple):
    """The parts of RTM_NEWLINK / RTM_DELLINK lanwise uses (a tuple: cheap to make)."""

    family: int
    ifindex: int
    hardware_type: int  # ARPHRD_*
    flags: int  # IFF_*
    name: str
    mtu: int
    hardware_address: str | None
    operstate: int  # IF_OPER_*
    kind: str | None  # IFLA_INFO_KIND: "veth", "bridge", "tun", … (None for a plain NIC)
    master: int = 0  # IFLA_MASTER: the bridge or bond this is a port of (0: none)


_IFINFOMSG_UNPACK = IFINFOMSG._struct.unpack_from
_IFADDRMSG_UNPACK = IFADDRMSG._struct.unpack_from


def parse_link(buf: bytes, start: int, end: int) -> LinkMessage:
    if start + IFINFOMSG.size > end:
        raise NetlinkFormatError(start, "ifinfomsg truncated")
    family, hwtype, index, flags, _change = _IFINFOMSG_UNPACK(buf, start)
    attrs = IFLA.parse(buf, start + IFINFOMSG.size, end)
    linkinfo = attrs.get("linkinfo")
    kind = linkinfo.get("kind") if isinstance(linkinfo, dict) else None
    hwaddr = attrs.get("address")
    return LinkMessage(
        family,
        index,
        hwtype,
        flags,
        # The table's decoders fix these types: _string, _u32, _hwaddr, _u8, _string.
        cast(str, attrs.get("ifname", "")),
        cast(int, attrs.get("mtu", 0)),
        cast("str | None", hwaddr or None),
        cast(int, attrs.get("operstate", 0)),
        cast("str | None", kind),
        cast(int, attrs.get("master", 0)),
    )


class AddressMessage(NamedTuple):
    """The parts of RTM_NEWADDR / RTM_DELADDR lanwise uses.

    ``local`` is the interface's own address; ``peer`` is the other end of a
    point-to-point link (the kernel's IFA_ADDRESS when it differs from IFA_LOCAL).
    """

    family: int
    ifindex: int
    prefixlen: int
    flags: int  # IFA_F_*, the 32-bit IFA_FLAGS when present
    scope: int  # RT_SCOPE_*
    local: IPv4Address | IPv6Address
    peer: IPv4Address | IPv6Address | None
    broadcast: IPv4Address | None


def parse_address(buf: bytes, start: int, end: int) -> AddressMessage:
    if start + IFADDRMSG.size > end:
        raise NetlinkFormatError(start, "ifaddrmsg truncated")
    family, prefixlen, flags, scope, index = _IFADDRMSG_UNPACK(buf, start)
    attrs = IFA.parse(buf, start + IFADDRMSG.size, end)
    address = attrs.get("address")
    local = attrs.get("local", address)
    if not isinstance(local, IPv4Address | IPv6Address):
        raise NetlinkFormatError(start, "address message without an address")
    if prefixlen > local.max_prefixlen:
        raise NetlinkFormatError(start, f"prefix length {prefixlen} for {local}")
    peer = address if address != local and isinstance(address, IPv4Address | IPv6Address) else None
    broadcast = attrs.get("broadcast")
    wide_flags = attrs.get("flags")  # IFA_FLAGS: all 32 bits; the header has 8
    return AddressMessage(
        family,
        index,
        prefixlen,
        wide_flags if isinstance(wide_flags, int) else flags,
        scope,
        local,
        peer,
        broadcast if isinstance(broadcast, IPv4Address) else None,
    )


def parse_error(buf: bytes, start: int, end: int, flags: int) -> tuple[int, str | None]:
    """An NLMSG_ERROR body: ``(errno, extended-ack message)``; errno 0 is an ack."""
    if start + NLMSGERR.size > end:  # bounded by this message, not by the datagram
        raise NetlinkFormatError(start, "nlmsgerr truncated")
    (error,) = NLMSGERR.unpack_from(buf, start)
    message: str | None = None
    if flags & NLM_F_ACK_TLVS:
        # The echoed request follows: its header only when capped, else in full.
        echoed = start + NLMSGERR.size
        if echoed + NLMSGHDR.size <= end:
            echoed_len = NLMSGHDR.unpack_from(buf, echoed)[0]
            tlvs = echoed + (NLMSGHDR.size if flags & NLM_F_CAPPED else (echoed_len + 3) & ~3)
            if tlvs <= end:
                msg = NLMSGERR_ATTRS.parse(buf, tlvs, end).get("msg")
                message = msg if isinstance(msg, str) and msg else None
    return -error, message

"""Hand-packed rtnetlink messages for the unit tests (independent of lanwise.interfaces.rtnl)."""

from __future__ import annotations

import struct


def nla(atype: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("=HH", length, atype) + payload + b"\0" * (-length % 4)


def nlmsg(mtype: int, body: bytes, *, flags: int = 0, seq: int = 0) -> bytes:
    return struct.pack("=IHHII", 16 + len(body), mtype, flags, seq, 0) + body


def ifinfomsg(index: int, *, hwtype: int = 1, flags: int = 0, family: int = 0) -> bytes:
    return struct.pack("=BxHiII", family, hwtype, index, flags, 0)


def ifaddrmsg(index: int, *, family: int, prefixlen: int, flags: int = 0, scope: int = 0) -> bytes:
    return struct.pack("=BBBBI", family, prefixlen, flags, scope, index)


def link_message(
    index: int,
    name: str,
    *,
    hwtype: int = 1,
    flags: int = 0x1043,  # UP|BROADCAST|RUNNING|MULTICAST
    mtu: int = 1500,
    mac: bytes | None = b"\x02\x00\x00\x00\x00\x01",
    operstate: int = 6,
    kind: str | None = None,
    mtype: int = 16,
    family: int = 0,
    master: int | None = None,
) -> bytes:
    body = ifinfomsg(index, hwtype=hwtype, flags=flags, family=family)
    body += nla(3, name.encode() + b"\0")
    body += nla(13, struct.pack("=I", 1000))  # IFLA_TXQLEN: not wanted, must be skipped
    body += nla(16, bytes([operstate]))
    body += nla(4, struct.pack("=I", mtu))
    if mac is not None:
        body += nla(1, mac)
        body += nla(2, b"\xff" * len(mac))  # IFLA_BROADCAST (link layer): skipped
    if kind is not None:
        body += nla(18 | 0x8000, nla(1, kind.encode() + b"\0") + nla(2, b"\0" * 8))
    if master is not None:
        body += nla(10, struct.pack("=I", master))  # IFLA_MASTER
    body += nla(26, nla(2, b"\0" * 40))  # IFLA_AF_SPEC: skipped
    return nlmsg(mtype, body)


def address_message(
    index: int,
    local: bytes,
    prefixlen: int,
    *,
    family: int,
    address: bytes | None = None,
    broadcast: bytes | None = None,
    flags: int = 0x80,
    wide_flags: int | None = None,
    scope: int = 0,
    mtype: int = 20,
    ipv6_style: bool = False,
) -> bytes:
    body = ifaddrmsg(index, family=family, prefixlen=prefixlen, flags=flags & 0xFF, scope=scope)
    if ipv6_style:
        body += nla(1, local)  # IPv6: IFA_ADDRESS only, unless there is a peer
        if address is not None:
            body = ifaddrmsg(
                index, family=family, prefixlen=prefixlen, flags=flags & 0xFF, scope=scope
            )
            body += nla(1, address) + nla(2, local)
    else:
        body += nla(1, address if address is not None else local)
        body += nla(2, local)
        body += nla(3, b"eth0\0")
    if broadcast is not None:
        body += nla(4, broadcast)
    body += nla(6, struct.pack("=IIII", 0xFFFFFFFF, 0xFFFFFFFF, 100, 100))  # IFA_CACHEINFO
    if wide_flags is not None:
        body += nla(8, struct.pack("=I", wide_flags))
    return nlmsg(mtype, body)

"""Seed packets for the fuzzers: the kinds of mDNS traffic a LAN carries."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

from lanwise.dns import (
    AAAA,
    NSEC,
    PTR,
    SRV,
    TXT,
    A,
    Flag,
    Message,
    Name,
    Question,
    Record,
    RRType,
    build_message,
)

HOST = Name("peer.local")
INSTANCE = Name.from_labels(("Peer Printer", "_ipp", "_tcp", "local"))
STYPE = Name("_ipp._tcp.local")
RESPONSE = int(Flag.QR | Flag.AA)


def _records(ttl: int = 120, flush: bool = True) -> list[Record]:
    return [
        Record.of(HOST, A(IPv4Address("10.0.0.9")), ttl, cache_flush=flush),
        Record.of(HOST, AAAA(IPv6Address("fe80::9")), ttl, cache_flush=flush),
        Record.of(INSTANCE, SRV(0, 0, 631, HOST), ttl, cache_flush=flush),
        Record.of(INSTANCE, TXT((b"txtvers=1", b"rp=queue")), ttl * 37, cache_flush=flush),
        Record.of(
            INSTANCE, NSEC(INSTANCE, frozenset({RRType.SRV, RRType.TXT})), ttl, cache_flush=flush
        ),
    ]


def seeds() -> list[bytes]:
    """Announcement, goodbye, probe, queries (QM, QU, known answers, TC), legacy."""
    ptr = Record.of(STYPE, PTR(INSTANCE), 4500)
    return [
        build_message(Message(flags=RESPONSE, answers=(*_records(), ptr))),
        build_message(Message(flags=RESPONSE, answers=tuple(_records(0, False)))),
        build_message(
            Message(
                questions=(Question(INSTANCE, RRType.ANY, unicast_response=True),),
                authorities=tuple(_records(flush=False)[:4]),
            )
        ),
        build_message(Message(questions=(Question(STYPE, RRType.PTR),), answers=(ptr,))),
        build_message(Message(flags=int(Flag.TC), questions=(Question(STYPE, RRType.PTR),))),
        build_message(
            Message(
                id=0x1234,
                questions=(
                    Question(HOST, RRType.A),
                    Question(INSTANCE, RRType.SRV, unicast_response=True),
                ),
            )
        ),
        build_message(Message(flags=RESPONSE, answers=(ptr,), additionals=tuple(_records()))),
    ]

"""Hex wire vectors: captured from avahi-daemon and python-zeroconf, plus hand-assembled ones.

Every vector is parsed and rebuilt; lanwise's builder reproduces each one octet
for octet. See vectors/README.md for how the captures were made.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

import pytest

from lanwise.dns import (
    HINFO,
    NSEC,
    PTR,
    SRV,
    TXT,
    A,
    Message,
    Name,
    RRType,
    build_message,
    parse_message,
)

VECTORS = Path(__file__).parent / "vectors"
FILES = sorted(VECTORS.glob("*.hex"))


def load(path: Path) -> bytes:
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    return bytes.fromhex("".join(lines))


def test_the_capture_is_present() -> None:
    names = {path.name.split("-")[0] for path in FILES}
    assert {"zeroconf", "avahi", "reference"} <= names


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_vector_parses_and_rebuilds_octet_for_octet(path: Path) -> None:
    data = load(path)
    message = parse_message(data)
    assert build_message(message) == data
    kind = path.stem.split("-")[-1]
    if kind == "probe":
        # RFC 6762 §8.1: probes are queries carrying the proposed records in Authority,
        # with the cache-flush bit clear there (§10.2).
        assert not message.is_response and message.authorities
        assert all(not r.cache_flush for r in message.authorities)
        assert any(q.qtype == RRType.ANY for q in message.questions) or any(
            q.qtype == RRType.PTR for q in message.questions
        )
    elif kind == "goodbye":
        assert message.is_response and all(r.ttl == 0 for r in message.answers)
    elif kind == "response":
        assert message.is_response and message.authoritative and message.id == 0


def test_zeroconf_registration_contents() -> None:
    message = parse_message(load(VECTORS / "zeroconf-02-response.hex"))
    by_type = {r.rtype: r for r in message.answers}
    instance = Name("lab printer._IPP._tcp.local")
    assert by_type[RRType.PTR].rdata == PTR(instance)
    srv = by_type[RRType.SRV]
    assert srv.name == instance and srv.cache_flush
    assert isinstance(srv.rdata, SRV) and srv.rdata.port == 631
    assert srv.rdata.target == Name("zc-host.local")
    txt = by_type[RRType.TXT].rdata
    assert isinstance(txt, TXT)
    assert txt.mapping()["note"] == "Räum 3".encode()
    assert txt.mapping()["DUPLEX"] is None  # boolean attribute
    nsec = by_type[RRType.NSEC].rdata
    assert isinstance(nsec, NSEC) and RRType.A in nsec.types
    assert isinstance(by_type[RRType.A].rdata, A)


def test_avahi_announcement_contents() -> None:
    message = parse_message(load(VECTORS / "avahi-02-response.hex"))
    types = {r.rtype for r in message.answers}
    assert {RRType.A, RRType.AAAA, RRType.PTR, RRType.HINFO} <= types
    hinfo = next(r.rdata for r in message.answers if r.rtype == RRType.HINFO)
    assert isinstance(hinfo, HINFO) and hinfo.os == b"LINUX"
    assert all(r.cache_flush for r in message.answers)


def test_zeroconf_known_answer_query() -> None:
    """A QU browse query with known answers in the Answer section (RFC 6762 §5.4, §7.1)."""
    message = parse_message(load(VECTORS / "zeroconf-04-query.hex"))
    assert not message.is_response
    assert all(q.unicast_response for q in message.questions)
    assert all(r.rtype == RRType.PTR and 0 < r.ttl <= 4500 for r in message.answers)


def test_reference_packet_is_the_benchmark_packet() -> None:
    data = load(VECTORS / "reference-dnssd-response.hex")
    assert len(data) == 487
    message = parse_message(data)
    assert [r.rtype for r in message.answers] == [12, 33, 16, 1] * 4


# --------------------------------------------------------------------------- hand-assembled
HEADER_QUERY_1Q = bytes.fromhex("0000 0000 0001 0000 0000 0000")


def test_hand_vector_qu_any_question() -> None:
    """RFC 6762 §5.4: 0x8001 = QU bit + class IN; qtype 255 = ANY."""
    data = HEADER_QUERY_1Q + b"\x07printer\x05local\x00" + bytes.fromhex("00ff 8001")
    (question,) = parse_message(data).questions
    assert question.name == Name("printer.local")
    assert question.qtype == RRType.ANY and question.unicast_response
    assert build_message(parse_message(data)) == data


def test_hand_vector_pointer_into_the_middle_of_a_name() -> None:
    # Answer 1 owner "_ipp._tcp.local" at 12; answer 2's PTR target points at "_tcp.local"
    # (offset 17) after its own label "x".
    data = (
        bytes.fromhex("0000 8400 0000 0002 0000 0000")
        + b"\x04_ipp\x04_tcp\x05local\x00"
        + bytes.fromhex("000c 0001 00001194 0004")
        + b"\x01y\xc0\x0c"
        + b"\xc0\x11"  # owner: "_tcp.local"
        + bytes.fromhex("000c 0001 00001194 0004")
        + b"\x01x\xc0\x11"
    )
    message = parse_message(data)
    assert message.answers[0].rdata == PTR(Name("y._ipp._tcp.local"))
    assert message.answers[1].name == Name("_tcp.local")
    assert message.answers[1].rdata == PTR(Name("x._tcp.local"))
    assert parse_message(build_message(message)) == message


def test_hand_vector_nsec_restricted_form() -> None:
    """RFC 6762 §6.1 NSEC: next name = owner, window 0, bitmap for A and AAAA."""
    owner = b"\x04host\x05local\x00"
    rdata = b"\xc0\x0c" + bytes([0x00, 0x04, 0x40, 0x00, 0x00, 0x08])
    data = (
        bytes.fromhex("0000 8400 0000 0001 0000 0000")
        + owner
        + bytes.fromhex("002f 8001 00000078")
        + len(rdata).to_bytes(2, "big")
        + rdata
    )
    (record,) = parse_message(data).answers
    assert record.cache_flush and record.rdata == NSEC(Name("host.local"), frozenset({1, 28}))
    assert build_message(Message(flags=0x8400, answers=(record,))) == data


def test_hand_vector_address_record() -> None:
    data = (
        bytes.fromhex("0000 8400 0000 0001 0000 0000")
        + b"\x04host\x05local\x00"
        + bytes.fromhex("0001 8001 00000078 0004 c0a80001")
    )
    (record,) = parse_message(data).answers
    assert record.rdata == A(IPv4Address("192.168.0.1")) and record.ttl == 120
    assert build_message(parse_message(data)) == data

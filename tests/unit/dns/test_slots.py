"""lanwise.dns._slots: the per-object work the compiled codec does in C.

These run on whichever path the process uses (compiled: the C functions of
_slots.pxd; LANWISE_NO_EXTENSIONS=1: their Python equivalents), so both are held
to the same octets and the same objects.
"""

from __future__ import annotations

import dataclasses
import struct
from ipaddress import IPv4Address, IPv6Address

import pytest

from lanwise.dns import AAAA, CNAME, HINFO, PTR, SRV, TXT, A, Message, Name, Question, Record
from lanwise.dns._slots import (
    new_message,
    new_question,
    new_record,
    patch_length,
    put_rdata,
    put_record_head,
    record_key,
    write_name,
)

HOST = Name("Host.local")
SERVICE = Name("_ipp._tcp.local")
INSTANCE = Name("Printer._ipp._tcp.local")


def _head(rtype: int, rclass: int, ttl: int, rdlength: int) -> bytes:
    return struct.pack("!HHIH", rtype, rclass, ttl, rdlength)


def test_built_objects_equal_constructed_ones_and_stay_frozen() -> None:
    record = new_record(Record, HOST, 1, 1, 120, A(IPv4Address("10.0.0.1")), True)
    assert type(record) is Record
    assert record == Record.of(HOST, A(IPv4Address("10.0.0.1")), 120, cache_flush=True)
    assert repr(record) == repr(Record.of(HOST, A(IPv4Address("10.0.0.1")), 120, cache_flush=True))
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.ttl = 0  # type: ignore[misc]
    question = new_question(Question, SERVICE, 12, 1, True)
    assert question == Question(SERVICE, 12, unicast_response=True)
    message = new_message(Message, 7, 0x8400, (question,), (record,), (), ())
    assert message == Message(7, 0x8400, (question,), (record,))
    assert message.records == (record,)


def test_names_are_compressed_against_earlier_suffixes() -> None:
    """RFC 1035 §4.1.4: a known suffix becomes a pointer; new suffixes are entered."""
    buf = bytearray(12)
    names: dict[bytes, int] = {}
    write_name(buf, names, SERVICE)
    assert bytes(buf[12:]) == SERVICE.to_wire()
    assert names[SERVICE.to_wire()] == 12
    write_name(buf, names, INSTANCE)
    assert bytes(buf[12 + len(SERVICE.to_wire()) :]) == b"\x07Printer\xc0\x0c"
    assert names[INSTANCE.to_wire()] == 12 + len(SERVICE.to_wire())
    mark = len(buf)
    write_name(buf, names, INSTANCE)  # the whole name is known: one pointer
    assert bytes(buf[mark:]) == b"\xc0" + bytes((12 + len(SERVICE.to_wire()),))


@pytest.mark.parametrize(
    ("rdata", "rdata_octets"),
    [
        (A(IPv4Address("10.0.0.1")), b"\x0a\x00\x00\x01"),
        (AAAA(IPv6Address("fe80::1")), IPv6Address("fe80::1").packed),
        (TXT((b"a=1", b"")), b"\x03a=1\x00"),
        (PTR(HOST), b"\xc0\x0c"),
        (CNAME(HOST), b"\xc0\x0c"),
        (SRV(1, 2, 631, HOST), b"\x00\x01\x00\x02\x02\x77\xc0\x0c"),
    ],
)
def test_records_are_written_with_their_header_and_rdata(
    rdata: A | AAAA | TXT | PTR | CNAME | SRV, rdata_octets: bytes
) -> None:
    buf = bytearray(12)
    names: dict[bytes, int] = {}
    write_name(buf, names, HOST)  # at offset 12, for the rdata names to point to
    record = Record.of(HOST, rdata, 4500, cache_flush=True)
    start = len(buf) + 2  # the owner is one pointer
    assert put_record_head(buf, names, record) is rdata
    assert put_rdata(buf, names, rdata) is True
    patch_length(buf, start)
    expected = b"\xc0\x0c" + _head(rdata.rtype, 0x8001, 4500, len(rdata_octets)) + rdata_octets
    assert bytes(buf[start - 2 :]) == expected


def test_other_rdata_types_are_left_to_the_caller() -> None:
    buf = bytearray(b"head")
    assert put_rdata(buf, {}, HINFO(b"cpu", b"os")) is False
    assert buf == b"head"


def test_a_record_subclass_is_read_through_its_attributes() -> None:
    class Tagged(Record):
        __slots__ = ()

    record = Tagged(HOST, 1, 1, 0, A(IPv4Address("10.0.0.2")))
    buf = bytearray()
    names: dict[bytes, int] = {}
    assert put_record_head(buf, names, record) == record.rdata
    assert bytes(buf) == HOST.to_wire() + _head(1, 1, 0, 0)


def test_a_name_subclass_is_written_through_its_attributes() -> None:
    class Other(Name):
        __slots__ = ()

    other = Other("host.local")
    assert type(other) is Other
    buf = bytearray()
    names: dict[bytes, int] = {}
    write_name(buf, names, other)
    write_name(buf, names, other)  # the second time: a pointer to the first
    assert bytes(buf) == other.to_wire() + b"\xc0\x00"


def test_record_key_is_the_key_property_for_built_parsed_and_subclassed_records() -> None:
    built = Record.of(HOST, SRV(0, 0, 631, HOST), 120, cache_flush=True)
    parsed = new_record(Record, HOST, 33, 1, 4500, SRV(0, 0, 631, HOST), False)

    class Tagged(Record):
        __slots__ = ()

    for record in (built, parsed, Tagged(HOST, 1, 1, 0, A(IPv4Address("10.0.0.2")))):
        key = record_key(record)
        assert type(key) is tuple and key == record.key
        assert all(a is b for a, b in zip(key, record.key, strict=True))
    assert record_key(built) == record_key(parsed) and hash(record_key(built)) == hash(parsed.key)

"""Record data classes, TXT key/value rules, NSEC bitmaps, OPT, and the mDNS class bits."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from ipaddress import IPv4Address, IPv6Address

import pytest

from lanwise.dns import (
    AAAA,
    CNAME,
    HINFO,
    NSEC,
    OPT,
    PTR,
    SRV,
    TXT,
    A,
    Message,
    MessageBuilder,
    Name,
    Question,
    Record,
    RRType,
    Unknown,
    WireFormatError,
    build_message,
    parse_message,
)
from lanwise.errors import UsageError

INSTANCE = Name("Lab Printer._ipp._tcp.local")
HOST = Name("host.local")


def roundtrip(record: Record) -> Record:
    wire = build_message(Message(flags=0x8400, answers=(record,)))
    (back,) = parse_message(wire).answers
    return back


@pytest.mark.parametrize(
    "rdata",
    [
        A(IPv4Address("192.0.2.1")),
        AAAA(IPv6Address("fe80::1")),
        PTR(INSTANCE),
        CNAME(HOST),
        SRV(0, 5, 631, HOST),
        TXT((b"txtvers=1", b"duplex")),
        HINFO(b"X86_64", b"LINUX"),
        NSEC(HOST, frozenset({RRType.A, RRType.AAAA})),
        Unknown(99, b"\x01\x02\x03"),
    ],
)
def test_every_type_round_trips(rdata: A) -> None:
    record = Record.of(HOST, rdata, 120, cache_flush=True)
    back = roundtrip(record)
    assert back == record
    assert hash(back) == hash(record)
    assert back.rdata.to_wire() == rdata.to_wire()


def test_rdata_records_and_messages_pickle_and_copy() -> None:
    rdatas = (
        A(IPv4Address("10.0.0.1")),
        TXT((b"a=1",)),
        NSEC(HOST, frozenset({1})),
        Unknown(99, b"z"),
    )
    answers = tuple(Record.of(HOST, rdata, 120) for rdata in rdatas)
    opt = Record(Name("."), RRType.OPT, 1440, 0, OPT(((1, b"x"),)))
    message = parse_message(build_message(Message(answers=answers, additionals=(opt,))))
    for value in (message, *message.records, *(r.rdata for r in message.records)):
        assert pickle.loads(pickle.dumps(value)) == value
        assert copy.deepcopy(value) == value
        assert copy.copy(value) == value


def test_canonical_rdata_is_uncompressed_and_case_preserving() -> None:
    """RFC 6762 §8.2: the tie-break compares raw uncompressed rdata."""
    srv = SRV(0, 0, 80, Name("Host.local"))
    assert srv.to_wire() == b"\x00\x00\x00\x00\x00\x50\x04Host\x05local\x00"
    assert PTR(INSTANCE).to_wire() == INSTANCE.to_wire()


def test_address_constructors_accept_text_and_drop_ipv6_scope() -> None:
    assert A("10.0.0.1").address == IPv4Address("10.0.0.1")  # type: ignore[arg-type]
    scoped = AAAA(IPv6Address("fe80::1%eth0"))
    assert scoped.address == IPv6Address("fe80::1") and scoped.to_wire()[:2] == b"\xfe\x80"
    with pytest.raises(UsageError):
        A("fe80::1")  # type: ignore[arg-type]


def test_srv_checks_ranges() -> None:
    with pytest.raises(UsageError) as info:
        SRV(0, 0, 65536, HOST)
    assert info.value.field == "port"
    with pytest.raises(UsageError):
        SRV(0, 0, 80, "host.local")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- TXT (RFC 6763 §6)
def test_empty_txt_is_one_zero_length_string() -> None:
    """RFC 6763 §6.1: an empty TXT record holds a single zero-length string."""
    assert TXT(()).strings == (b"",)
    assert TXT(()).to_wire() == b"\x00"
    assert TXT.from_mapping({}).to_wire() == b"\x00"


def test_txt_mapping_rules() -> None:
    """RFC 6763 §6.4: keys case-insensitive, first occurrence wins, no key → ignored."""
    txt = TXT((b"Path=/a", b"path=/b", b"duplex", b"=orphan", b"empty=", b"bin=\x00\xff=x", b""))
    mapping = txt.mapping()
    assert mapping["PATH"] == b"/a"
    assert mapping["Duplex"] is None  # boolean key present
    assert mapping["empty"] == b""
    assert mapping["bin"] == b"\x00\xff=x"
    assert "orphan" not in mapping and "" not in mapping
    assert list(mapping) == ["Path", "duplex", "empty", "bin"]
    assert len(mapping) == 4
    assert txt.strings[1] == b"path=/b"  # the raw strings are all kept


def test_txt_from_mapping_encodes_values() -> None:
    txt = TXT.from_mapping(
        {"txtvers": "1", "note": "Räum 3", "duplex": None, "bin": b"\x00", "off": False}
    )
    assert txt.strings == (b"txtvers=1", "note=Räum 3".encode(), b"duplex", b"bin=\x00")
    assert txt.mapping()["NOTE"] == "Räum 3".encode()


@pytest.mark.parametrize(
    ("mapping", "field", "rule"),
    [
        ({"": b"x"}, "TXT key", "empty"),
        ({"a=b": b"x"}, "TXT key", "'='"),
        ({"tab\t": b"x"}, "TXT key", "printable"),
        ({"ü": b"x"}, "TXT key", "US-ASCII"),
        ({"k": b"x" * 254}, "TXT value for 'k'", "255"),
        ({"Key": b"1", "KEY": b"2"}, "TXT key", "unique"),
        ({"k": 3}, "TXT value for 'k'", "bytes"),
    ],
)
def test_txt_from_mapping_validates(mapping: dict[str, bytes], field: str, rule: str) -> None:
    with pytest.raises(UsageError) as info:
        TXT.from_mapping(mapping)
    assert info.value.field == field
    assert rule in info.value.rule


def test_txt_strings_are_at_most_255_octets() -> None:
    TXT((b"x" * 255,))
    with pytest.raises(UsageError):
        TXT((b"x" * 256,))
    with pytest.raises(UsageError):
        TXT(b"not a tuple")  # type: ignore[arg-type]


def test_empty_txt_rdata_from_a_peer_reads_as_one_empty_string() -> None:
    wire = (
        bytes.fromhex("000084000000000100000000")
        + b"\x01a\x00"
        + bytes.fromhex("0010000100000078 0000")
    )
    (record,) = parse_message(wire).answers
    assert record.rdata == TXT((b"",))


# --------------------------------------------------------------------------- NSEC (RFC 6762 §6.1)
def test_nsec_restricted_form_bitmap() -> None:
    """RFC 6762 §6.1 / RFC 4034 §4.1.2: window 0, length, then bits for types < 256."""
    nsec = NSEC(HOST, frozenset({RRType.A, RRType.AAAA}))
    # A=1 → octet 0 bit 1 (0x40); AAAA=28 → octet 3 bit 4 (0x08): window 0, 4 octets.
    assert nsec.to_wire() == HOST.to_wire() + bytes([0, 4, 0x40, 0, 0, 0x08])
    srv_txt = NSEC(INSTANCE, frozenset({RRType.TXT, RRType.SRV}))
    assert srv_txt.to_wire().endswith(bytes([0, 5, 0, 0, 0x80, 0, 0x40]))


def test_nsec_types_above_255_use_further_windows() -> None:
    nsec = NSEC(HOST, frozenset({1, 257}))
    back = roundtrip(Record.of(HOST, nsec, 120))
    assert back.rdata == nsec
    assert nsec.to_wire().endswith(bytes([0, 1, 0x40, 1, 1, 0x40]))


def test_nsec_next_name_may_be_compressed() -> None:
    """RFC 6762 §18.14: the builder compresses the NSEC next-domain name."""
    record = Record.of(HOST, NSEC(HOST, frozenset({1})), 120, cache_flush=True)
    wire = build_message(Message(answers=(record,)))
    assert wire.count(b"\x04host\x05local") == 1
    assert parse_message(wire).answers == (record,)


# --------------------------------------------------------------------------- OPT (RFC 6891)
def test_opt_keeps_unknown_options_and_whole_class() -> None:
    """RFC 6891 §6.1.2: class = UDP payload size; no cache-flush bit is read from it."""
    opt = OPT(((4, b"\x00\x00\x01\x02\x03\x04\x05\x06"), (65001, b"")))
    record = Record(Name("."), RRType.OPT, 0x8000 | 1440, 0, opt)
    back = roundtrip(record)
    assert back.rclass == 0x8000 | 1440
    assert back.cache_flush is False
    assert back.rdata == opt
    with pytest.raises(UsageError):
        Record(Name("."), RRType.OPT, 1440, 0, opt, cache_flush=True)


# --------------------------------------------------------------------------- class bits
def test_cache_flush_bit_is_a_field_of_its_own() -> None:
    """RFC 6762 §10.2: the top class bit is cache-flush, never part of rclass."""
    record = Record.of(HOST, A(IPv4Address("10.0.0.1")), 120, cache_flush=True)
    wire = build_message(Message(answers=(record,)))
    assert wire[-14 + 2 : -14 + 4] == b"\x80\x01"
    back = parse_message(wire).answers[0]
    assert back.rclass == 1 and back.cache_flush is True
    assert back.key == record.key
    assert dataclasses.replace(back, cache_flush=False).key == record.key
    with pytest.raises(UsageError) as info:
        Record(HOST, RRType.A, 0x8001, 120, A(IPv4Address("10.0.0.1")))
    assert "cache_flush" in info.value.rule


def test_unicast_response_bit_is_a_field_of_its_own() -> None:
    """RFC 6762 §5.4: the top class bit of a question is the QU bit."""
    builder = MessageBuilder()
    builder.add_question(Question(INSTANCE, RRType.ANY, unicast_response=True))
    wire = builder.to_wire()
    assert wire[-4:] == b"\x00\xff\x80\x01"
    (question,) = parse_message(wire).questions
    assert question.qclass == 1 and question.unicast_response is True
    assert question.qtype == RRType.ANY
    with pytest.raises(UsageError):
        Question(INSTANCE, RRType.ANY, 0x8001)


def test_record_validation() -> None:
    a = A(IPv4Address("10.0.0.1"))
    with pytest.raises(UsageError):
        Record(HOST, RRType.AAAA, 1, 120, a)  # type mismatch
    with pytest.raises(UsageError):
        Record(HOST, RRType.A, 1, -1, a)
    with pytest.raises(UsageError):
        Record(HOST, RRType.A, 1, 120, b"\x0a\x00\x00\x01")  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        Record("host.local", RRType.A, 1, 120, a)  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Record.of(HOST, a, 120).ttl = 0  # type: ignore[misc]
    goodbye = dataclasses.replace(Record.of(HOST, a, 120), ttl=0)
    assert goodbye.ttl == 0


def test_unknown_types_are_kept_opaque() -> None:
    record = Record(HOST, 65280, 1, 120, Unknown(65280, b"\xc0\x0c raw"))
    assert roundtrip(record).rdata == Unknown(65280, b"\xc0\x0c raw")


def test_parsed_records_are_ordinary_frozen_records() -> None:
    """The parser's fast construction must give the same objects the constructor does."""
    record = Record.of(HOST, A(IPv4Address("10.0.0.1")), 120, cache_flush=True)
    back = roundtrip(record)
    assert type(back) is Record and type(back.rdata) is A
    with pytest.raises(dataclasses.FrozenInstanceError):
        back.ttl = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        back.rdata.address = IPv4Address("10.0.0.2")  # type: ignore[misc]
    assert dataclasses.replace(back, ttl=0) == dataclasses.replace(record, ttl=0)
    assert repr(back) == repr(record)
    assert type(record.rtype) is int and type(record.rclass) is int


def test_older_types_with_compressed_names_are_kept_expanded() -> None:
    """RFC 3597 §4: names in RFC 1035 types may arrive compressed; keep them expanded."""
    header = bytes.fromhex("0000 8400 0000 0002 0000 0000")
    owner = b"\x07example\x05local\x00"  # at offset 12
    mx = bytes.fromhex("000f 0001 00000078 0007") + b"\x00\x0a\x02mx\xc0\x0c"
    soa_rdata = b"\x02ns\xc0\x0c" + b"\x04host\xc0\x14" + bytes(range(20))
    soa = b"\xc0\x0c" + bytes.fromhex("0006 0001 00000078") + len(soa_rdata).to_bytes(2, "big")
    data = header + owner + mx + soa + soa_rdata
    mx_record, soa_record = parse_message(data).answers
    assert mx_record.rdata == Unknown(15, b"\x00\x0a\x02mx\x07example\x05local\x00")
    assert isinstance(soa_record.rdata, Unknown)
    assert soa_record.rdata.data == (
        b"\x02ns\x07example\x05local\x00\x04host\x05local\x00" + bytes(range(20))
    )
    # Written into a new packet the expanded data stays valid.
    rebuilt = build_message(Message(answers=(soa_record, mx_record)))
    assert parse_message(rebuilt).answers == (soa_record, mx_record)


def test_older_types_with_bad_lengths_are_refused() -> None:
    header = bytes.fromhex("0000 8400 0000 0001 0000 0000") + b"\x01a\x00"
    for rdata, rdlength in ((b"\x00", 1), (b"\x00\x01\x01b\x00\xff", 6), (b"\x01b\x00", 2)):
        data = header + bytes.fromhex("000f 0001 00000078") + rdlength.to_bytes(2, "big") + rdata
        with pytest.raises(WireFormatError):
            parse_message(data + b"\x00" * 4)


def test_rdata_hashes_are_their_methods_values_parsed_built_and_subclassed() -> None:
    """Compiled, these classes' hash slots are C (rdata.pxd): the same values as __hash__."""
    target = Name("Host.LOCAL")
    values = [
        A(IPv4Address("10.0.0.1")),
        AAAA(IPv6Address("fe80::1")),
        TXT((b"a=1", b"")),
        PTR(target),
        CNAME(target),
        SRV(1, 2, 8080, target),
    ]
    wire = build_message(
        Message(answers=tuple(Record.of(Name("x.local"), value, 120) for value in values))
    )
    parsed = [record.rdata for record in parse_message(wire).answers]
    for value, again in zip(values, parsed, strict=True):
        assert hash(value) == type(value).__hash__(value) == hash(again) and value == again
    assert hash(PTR(Name("host.local"))) == hash(target._key)
    assert hash(SRV(1, 2, 8080, Name("host.local"))) == hash((1, 2, 8080, target._key))

    @dataclasses.dataclass(frozen=True, slots=True)
    class Sub(SRV):
        __hash__ = SRV.__hash__

    assert hash(Sub(1, 2, 8080, target)) == hash(values[5])

"""Names and rdata decoded from the wire are shared across packets, within bounds.

A repeated record costs a dict lookup instead of new objects (docs/compiled.md); a
peer sending endless distinct names or records must not grow memory without bound.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from lanwise.dns import PTR, SRV, TXT, A, MessageBuilder, Name, Record, parse_message
from lanwise.dns import name as name_module
from lanwise.dns import rdata as rdata_module


def _packet(*records: Record) -> bytes:
    builder = MessageBuilder(flags=0x8400)
    for record in records:
        assert builder.add_answer(record)
    return builder.to_wire()


def _dnssd_records(host: str = "printer.local") -> list[Record]:
    instance = Name("Printer._ipp._tcp.local")
    return [
        Record.of(Name("_ipp._tcp.local"), PTR(instance), 4500),
        Record.of(instance, SRV(0, 0, 631, Name(host)), 120, cache_flush=True),
        Record.of(instance, TXT((b"txtvers=1",)), 4500, cache_flush=True),
        Record.of(Name(host), A(IPv4Address("10.0.0.7")), 120, cache_flush=True),
    ]


def test_a_repeated_packet_decodes_to_the_same_names_and_rdata() -> None:
    packet = _packet(*_dnssd_records())
    first, second = parse_message(packet), parse_message(packet)
    for one, two in zip(first.answers, second.answers, strict=True):
        assert one == two
        assert one.name is two.name
        assert one.rdata is two.rdata


def test_shared_objects_keep_case_and_type_apart() -> None:
    lower = parse_message(_packet(*_dnssd_records("printer.local"))).answers[1].rdata
    upper = parse_message(_packet(*_dnssd_records("PRINTER.local"))).answers[1].rdata
    assert isinstance(lower, SRV) and isinstance(upper, SRV)
    assert lower == upper  # names compare without case
    assert str(lower.target) == "printer.local" and str(upper.target) == "PRINTER.local"


def test_a_flood_of_distinct_names_and_records_stays_bounded() -> None:
    for i in range(rdata_module._CACHE_LIMIT + 200):
        host = Name(f"h{i}.local")
        address = A(IPv4Address(0x0A000000 + i))
        parse_message(_packet(Record.of(host, address, 120), Record.of(host, PTR(host), 120)))
    assert len(rdata_module._a_cache) <= rdata_module._CACHE_LIMIT
    assert len(rdata_module._ptr_cache) <= rdata_module._CACHE_LIMIT
    for i in range(name_module._INTERN_LIMIT + 200):
        parse_message(_packet(Record.of(Name(f"n{i}.local"), TXT((b"",)), 120)))
    assert len(name_module._interned) <= name_module._INTERN_LIMIT


def test_large_txt_rdata_is_not_kept() -> None:
    big = TXT((b"k=" + b"v" * 250, b"x=" + b"y" * 250))
    rdata_module._clear_caches()
    parsed = parse_message(_packet(Record.of(Name("big.local"), big, 120))).answers[0].rdata
    assert parsed == big
    assert not rdata_module._txt_cache

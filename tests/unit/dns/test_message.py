"""Messages: header, compression, the byte limit with rollback, and known-answer splitting."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from lanwise.dns import (
    PTR,
    SRV,
    TXT,
    A,
    Flag,
    Message,
    MessageBuilder,
    Name,
    Question,
    Record,
    RRType,
    build_message,
    parse_message,
    split_query,
)
from lanwise.errors import UsageError

SERVICE = Name("_http._tcp.local")


def ptr(i: int) -> Record:
    return Record.of(SERVICE, PTR(SERVICE.child(f"Instance number {i}")), 4500)


def test_header_fields_and_properties() -> None:
    message = Message(id=0x1234, flags=Flag.QR | Flag.AA | Flag.TC | (2 << 11) | 3)
    back = parse_message(build_message(message))
    assert back.id == 0x1234
    assert back.is_response and back.authoritative and back.is_truncated
    assert back.opcode == 2 and back.rcode == 3
    assert not parse_message(build_message(Message())).is_response


def test_all_four_sections_round_trip() -> None:
    host = Name("host.local")
    message = Message(
        flags=Flag.QR | Flag.AA,
        questions=(Question(SERVICE, RRType.PTR),),
        answers=(ptr(1),),
        authorities=(Record.of(host, A(IPv4Address("10.0.0.1")), 120),),
        additionals=(Record.of(SERVICE.child("x"), SRV(0, 0, 80, host), 120, cache_flush=True),),
    )
    back = parse_message(build_message(message))
    assert back == message
    assert back.records == message.answers + message.authorities + message.additionals


def test_names_are_compressed_to_the_longest_known_suffix() -> None:
    """RFC 1035 §4.1.4; RFC 6762 §18.14 asks for compression wherever possible."""
    wire = build_message(Message(answers=(ptr(1), ptr(2))))
    assert wire.count(b"\x05_http\x04_tcp\x05local\x00") == 1
    # Second PTR: owner is a bare pointer to offset 12, its target "Instance number 2" + pointer.
    assert b"\xc0\x0c\x00\x0c" in wire
    assert parse_message(wire).answers == (ptr(1), ptr(2))


def test_compression_preserves_case() -> None:
    upper = Record.of(Name("A.LOCAL"), A(IPv4Address("10.0.0.1")), 120)
    lower = Record.of(Name("b.local"), A(IPv4Address("10.0.0.2")), 120)
    wire = build_message(Message(answers=(upper, lower)))
    back = parse_message(wire).answers
    assert str(back[0].name) == "A.LOCAL" and str(back[1].name) == "b.local"


def test_builder_rolls_back_the_record_that_does_not_fit() -> None:
    builder = MessageBuilder(flags=Flag.QR | Flag.AA, max_size=200)
    added = 0
    while builder.add_answer(ptr(added)):
        added += 1
    size_before = builder.size
    assert size_before <= 200
    assert not builder.add_answer(ptr(99))
    assert builder.size == size_before
    wire = builder.to_wire()
    assert len(wire) <= 200
    assert parse_message(wire).answers == tuple(ptr(i) for i in range(added))
    # A small record still fits after the rollback, and compression entries of
    # the rolled-back name were removed (it is written out in full again).
    tiny = Record.of(Name("x.local"), A(IPv4Address("10.0.0.1")), 120)
    if builder.add_additional(tiny):
        assert parse_message(builder.to_wire()).additionals == (tiny,)


def test_rolled_back_names_are_not_used_as_compression_targets() -> None:
    builder = MessageBuilder(max_size=60)
    big = Record.of(Name("a-rather-long-label-name.example.local"), TXT((b"x" * 40,)), 1)
    assert not builder.add_answer(big)
    small = Record.of(Name("example.local"), A(IPv4Address("10.0.0.1")), 1)
    assert builder.add_answer(small)
    assert parse_message(builder.to_wire()).answers == (small,)


def test_max_size_is_bounded_by_rfc_6762_section_17() -> None:
    """RFC 6762 §17: never more than 9000 octets."""
    MessageBuilder(max_size=9000)
    with pytest.raises(UsageError) as info:
        MessageBuilder(max_size=9001)
    assert info.value.field == "max_size"
    with pytest.raises(UsageError):
        MessageBuilder(max_size=11)


def test_build_message_refuses_what_does_not_fit() -> None:
    message = Message(answers=tuple(ptr(i) for i in range(20)))
    with pytest.raises(UsageError):
        build_message(message, max_size=300)


def test_sections_must_be_filled_in_order() -> None:
    builder = MessageBuilder()
    builder.add_answer(ptr(1))
    with pytest.raises(UsageError) as info:
        builder.add_question(Question(SERVICE, RRType.PTR))
    assert info.value.field == "section"
    builder.add_additional(ptr(2))
    with pytest.raises(UsageError):
        builder.add_authority(ptr(3))
    assert builder.counts == (0, 1, 0, 1)


def test_split_query_sets_tc_on_all_but_the_last_packet() -> None:
    """RFC 6762 §7.2: known answers that do not fit go in follow-up packets, TC on all but last."""
    questions = [Question(SERVICE, RRType.PTR, unicast_response=True)]
    known = [ptr(i) for i in range(40)]
    packets = split_query(questions, known, max_size=512)
    assert len(packets) > 2
    messages = [parse_message(p) for p in packets]
    assert all(len(p) <= 512 for p in packets)
    assert [m.is_truncated for m in messages] == [True] * (len(messages) - 1) + [False]
    assert messages[0].questions == tuple(questions)
    assert all(m.questions == () for m in messages[1:])
    assert all(not m.is_response for m in messages)
    assert [r for m in messages for r in m.answers] == known


def test_split_query_single_packet_and_oversized_answer() -> None:
    questions = [Question(SERVICE, RRType.PTR)]
    (only,) = split_query(questions, [ptr(1)])
    assert parse_message(only).answers == (ptr(1),) and not parse_message(only).is_truncated
    huge = Record.of(SERVICE, TXT(tuple(b"y" * 255 for _ in range(3))), 4500)
    packets = split_query(questions, [ptr(1), huge, ptr(2)], max_size=400)
    answers = [r for p in packets for r in parse_message(p).answers]
    assert answers == [ptr(1), ptr(2)]  # the answer too big for any packet is left out
    with pytest.raises(UsageError):
        split_query([Question(SERVICE.child("q" * 60), RRType.PTR)], [], max_size=40)

"""DSO wire format (RFC 8490 §5.4, §7) and the Push TLVs (RFC 8765 §6): vectors and bad input."""

from __future__ import annotations

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from lanwise.dso.push import (
    PUSH,
    REMOVE_COLLECTIVE,
    REMOVE_RECORD,
    SUBSCRIBE,
    Change,
    Question,
    additions,
    decode_push,
    decode_reconfirm,
    decode_subscribe,
    decode_unsubscribe,
    name_wire,
    push_tlvs,
    reconfirm_tlv,
    removals,
    subscribe_tlv,
    unsubscribe_tlv,
)
from lanwise.dso.wire import (
    DsoFormError,
    DsoMessage,
    Keepalive,
    StreamFramer,
    Tlv,
    decode,
    decode_keepalive,
    decode_retry_delay,
    encode,
    keepalive_tlv,
    pad,
    retry_delay_tlv,
)
from lanwise.errors import UsageError

NAME = dns.name.from_text("_http._tcp.lan-a.example.test.")


def test_keepalive_request_vector() -> None:
    # RFC 8490 §5.4 header (opcode 6, counts zero) then §7.1 Keepalive: 15 s and 60 s.
    wire = encode(DsoMessage(0x1234, False, 0, (keepalive_tlv(Keepalive(15_000, 60_000)),)))
    assert wire.hex() == "1234300000000000000000000001000800003a980000ea60"
    message = decode(wire)
    assert message.id == 0x1234 and not message.response and not message.unidirectional
    assert message.primary is not None
    assert decode_keepalive(message.primary) == Keepalive(15_000, 60_000)


def test_response_flag_and_rcode_round_trip() -> None:
    wire = encode(DsoMessage(7, True, 11))
    assert wire[2:4].hex() == "b00b"  # QR, opcode 6, rcode 11 (DSOTYPENI)
    assert decode(wire) == DsoMessage(7, True, 11)


def test_nonzero_count_is_a_form_error_with_the_id() -> None:
    wire = bytearray(encode(DsoMessage(9, False, 0, (Tlv(SUBSCRIBE, b"\0\0\1\0\1"),))))
    wire[5] = 1  # QDCOUNT = 1, forbidden by RFC 8490 §5.4
    with pytest.raises(DsoFormError) as info:
        decode(bytes(wire))
    assert info.value.message_id == 9


@pytest.mark.parametrize(
    "tail",
    [b"\x00\x40", b"\x00\x40\x00\x09\x00", b"\x00"],
    ids=["tlv-header-only", "length-past-end", "one-octet"],
)
def test_cut_tlvs_are_form_errors(tail: bytes) -> None:
    with pytest.raises(DsoFormError):
        decode(encode(DsoMessage(3, False)) + tail)


def test_retry_delay_and_bad_lengths() -> None:
    assert decode_retry_delay(retry_delay_tlv(60_000)) == 60_000
    with pytest.raises(DsoFormError):
        decode_retry_delay(Tlv(2, b"\0\0\0"))
    with pytest.raises(DsoFormError):
        decode_keepalive(Tlv(1, b"\0" * 7))
    with pytest.raises(UsageError):
        retry_delay_tlv(-1)


@pytest.mark.parametrize("block", [128, 468])
def test_padding_fills_to_the_block(block: int) -> None:
    # RFC 8490 §7.3 with RFC 8467 block sizes: the framed message is a multiple of the block.
    message = pad(DsoMessage(1, False, 0, (keepalive_tlv(Keepalive()),)), block)
    assert message.tlvs[-1].type == 3
    assert (len(encode(message)) + 2) % block == 0


def test_stream_framer_joins_and_splits() -> None:
    framer = StreamFramer()
    data = StreamFramer.frame(b"abc") + StreamFramer.frame(b"defg")
    assert framer.feed(data[:4]) == []
    assert framer.feed(data[4:]) == [b"abc", b"defg"]
    assert framer.buffered == 0


def test_subscribe_vector_and_trailing_octets() -> None:
    tlv = subscribe_tlv(Question(NAME, dns.rdatatype.PTR))
    assert tlv.data.endswith(b"\x00\x00\x0c\x00\x01")  # root label, TYPE PTR, CLASS IN
    assert decode_subscribe(tlv) == Question(NAME, dns.rdatatype.PTR)
    with pytest.raises(DsoFormError):
        decode_subscribe(Tlv(SUBSCRIBE, tlv.data + b"\0"))
    with pytest.raises(DsoFormError):
        decode_subscribe(Tlv(SUBSCRIBE, tlv.data[:-1]))


def test_question_key_folds_case() -> None:
    upper = Question(dns.name.from_text("_HTTP._tcp.Lan-A.example.test."), 12)
    assert upper.key() == Question(NAME, 12).key()


def test_unsubscribe_is_two_octets() -> None:
    assert decode_unsubscribe(unsubscribe_tlv(0xBEEF)) == 0xBEEF
    with pytest.raises(DsoFormError):
        decode_unsubscribe(Tlv(0x42, b"\0\0\0"))


def test_reconfirm_round_trip_and_any_is_refused() -> None:
    rdata = dns.rdata.from_text("IN", "A", "192.0.2.7")
    name = dns.name.from_text("host.lan-a.example.test.")
    assert decode_reconfirm(reconfirm_tlv(name, 1, rdata)) == (name, 1, rdata)
    bad = Tlv(0x43, name_wire(name) + b"\x00\xff\x00\x01")
    with pytest.raises(DsoFormError):
        decode_reconfirm(bad)


def _push_message(changes: list[Change]) -> DsoMessage:
    (tlv,) = push_tlvs(changes)
    return decode(encode(DsoMessage(0, False, 0, (tlv,))))


def test_push_add_remove_and_collective_forms() -> None:
    # RFC 8765 §6.3.1: TTL 0..0x7FFFFFFF adds, 0xFFFFFFFF removes one, 0xFFFFFFFE removes a set.
    ptr = dns.rrset.from_text(NAME, 120, "IN", "PTR", "a._http._tcp.lan-a.example.test.")
    changes = additions(ptr) + removals(ptr) + removals(ptr, whole=True)
    changes.append(Change(NAME, 0, 255, REMOVE_COLLECTIVE))
    message = _push_message(changes)
    assert message.primary is not None
    got = decode_push(message, message.primary)
    assert [(c.ttl, c.rdtype, c.rdclass, c.rdata is None) for c in got] == [
        (120, 12, 1, False),
        (REMOVE_RECORD, 12, 1, False),
        (REMOVE_COLLECTIVE, 12, 1, True),
        (REMOVE_COLLECTIVE, 0, 255, True),
    ]
    assert got[0].added and not got[1].added


def test_push_with_compressed_names_is_read_against_the_message() -> None:
    # A server may compress names against the start of the message (RFC 8765 §6.3.1).
    header = encode(DsoMessage(0, False))
    owner = name_wire(NAME)
    rr_offset = len(header) + 4
    first = owner + bytes.fromhex("000c0001000000780002") + b"\xc0" + bytes([rr_offset])
    second = b"\xc0" + bytes([rr_offset]) + bytes.fromhex("00100001000000780001") + b"\x00"
    data = first + second
    wire = header + PUSH.to_bytes(2, "big") + len(data).to_bytes(2, "big") + data
    message = decode(wire)
    assert message.primary is not None
    changes = decode_push(message, message.primary)
    assert [c.name for c in changes] == [NAME, NAME]
    assert changes[0].rdata is not None and changes[0].rdata.to_text() == str(NAME)


@pytest.mark.parametrize(
    "fixed",
    [
        "00ff0001 00000078 0000",  # addition with TYPE ANY
        "000c00ff ffffffff 0000",  # single removal with CLASS ANY
        "000c0001 fffffffe 0001 00",  # collective removal with RDATA
    ],
    ids=["add-any", "remove-any", "collective-rdata"],
)
def test_fatal_push_notifications(fixed: str) -> None:
    data = name_wire(NAME) + bytes.fromhex(fixed.replace(" ", ""))
    message = decode(encode(DsoMessage(0, False, 0, (Tlv(PUSH, data),))))
    assert message.primary is not None
    with pytest.raises(DsoFormError):
        decode_push(message, message.primary)


def test_push_with_no_notification_is_fatal_and_odd_ttl_is_skipped() -> None:
    empty = decode(encode(DsoMessage(0, False, 0, (Tlv(PUSH, b""),))))
    assert empty.primary is not None
    with pytest.raises(DsoFormError):
        decode_push(empty, empty.primary)
    odd = name_wire(NAME) + bytes.fromhex("000c0001 90000000 0000".replace(" ", ""))
    message = decode(encode(DsoMessage(0, False, 0, (Tlv(PUSH, odd),))))
    assert message.primary is not None
    assert decode_push(message, message.primary) == []


def test_push_splits_at_16382_octets() -> None:
    txt = dns.rrset.from_text(NAME, 60, "IN", "TXT", *[f'"{"x" * 200}{i}"' for i in range(200)])
    tlvs = push_tlvs(additions(txt))
    assert len(tlvs) > 1
    for tlv in tlvs:
        assert len(encode(pad(DsoMessage(0, False, 0, (tlv,)), 468))) <= 16382

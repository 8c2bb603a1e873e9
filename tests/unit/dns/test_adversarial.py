"""Hostile and broken packets: only WireFormatError ever comes out of parse_message."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lanwise.dns import WireFormatError, build_message, parse_message
from lanwise.errors import ProtocolError

VECTORS = sorted((Path(__file__).parent / "vectors").glob("*.hex"))


def header(qd: int = 0, an: int = 0, ns: int = 0, ar: int = 0, flags: int = 0x8400) -> bytes:
    return (
        b"\x00\x00"
        + flags.to_bytes(2, "big")
        + b"".join(c.to_bytes(2, "big") for c in (qd, an, ns, ar))
    )


def question(name: bytes) -> bytes:
    return header(qd=1, flags=0) + name + b"\x00\x01\x00\x01"


def answer(name: bytes, rtype: int, rdata: bytes, rdlength: int | None = None) -> bytes:
    length = len(rdata) if rdlength is None else rdlength
    return (
        header(an=1)
        + name
        + rtype.to_bytes(2, "big")
        + b"\x00\x01\x00\x00\x00\x78"
        + length.to_bytes(2, "big")
        + rdata
    )


def fails(data: bytes, reason: str) -> WireFormatError:
    with pytest.raises(WireFormatError) as info:
        parse_message(data)
    assert reason in info.value.reason, info.value.reason
    assert isinstance(info.value, ProtocolError)
    assert 0 <= info.value.offset <= len(data)
    return info.value


def test_compression_pointer_to_itself() -> None:
    error = fails(question(b"\xc0\x0c"), "does not point backwards")
    assert error.offset == 12


def test_forward_pointer() -> None:
    fails(question(b"\xc0\x0e" + b"\x01a\x00"), "does not point backwards")


def test_compression_loop_between_two_names() -> None:
    # Name at 12: label "a" then pointer to 17; name at 17: pointer back to 12.
    data = (
        header(qd=2, flags=0) + b"\x01a\xc0\x11" + b"\x00\x01\x00\x01" + b"\xc0\x0c\x00\x01\x00\x01"
    )
    fails(data, "does not point backwards")


def test_loop_through_an_earlier_name_is_impossible() -> None:
    # Second name points to 12, whose labels end in a pointer to 20 (after 12 but before
    # the second name): targets must fall with every jump, so this is refused.
    data = header(qd=2, flags=0) + b"\x01a\xc0\x14\x00\x01\x00\x01" + b"\xc0\x0c\x00\x01\x00\x01"
    fails(data, "does not point backwards")


def test_pointer_past_the_end() -> None:
    fails(question(b"\xc0\xff"), "does not point backwards")
    fails(header(an=1) + b"\x01a\x00" + b"\x00\x0c\x00\x01\x00\x00\x00\x78\x00\x02\xff\xff", "")


def test_pointer_as_the_last_octet() -> None:
    fails(header(qd=1, flags=0) + b"\x01a\x01b\x00\x00\xc0", "cut short")
    fails(header(an=1) + b"\x09" + b"a" * 9 + b"\xc0", "cut short")
    error = fails(header(an=1) + b"\x01a\x00\x00\x0c\x00\x01\x00\x00\x00\x78\x00\x01\xc0", "")
    assert error.offset >= 12


@pytest.mark.parametrize("size", range(12))
def test_truncated_header(size: int) -> None:
    fails(header(an=1)[:size], "header")


def test_counts_larger_than_the_packet() -> None:
    fails(header(qd=0xFFFF, an=0xFFFF) + b"\x00\x00\x01\x00\x01", "counts")
    fails(header(an=3) + b"\x00" * 32, "counts")  # three records need at least 33 octets
    fails(header(an=2) + b"\x00" * 11 + b"\x00\x00\x01\x00\x01\x00\x00\x00\x00\x00\x05", "past")


def test_truncated_question_and_record_header() -> None:
    fails(header(qd=1, flags=0) + b"\x01a\x00\x00\x01\x00", "")
    data = header(an=1) + b"\x01a\x00" + b"\x00\x01\x00\x01\x00\x00\x00"
    fails(data, "")


def test_rdlength_overruns_the_packet() -> None:
    fails(answer(b"\x01a\x00", 1, b"\x0a\x00\x00\x01", rdlength=40), "runs past the packet")


def test_rdata_shorter_or_longer_than_the_type_needs() -> None:
    fails(answer(b"\x01a\x00", 1, b"\x0a\x00\x00"), "A rdata is 4 octets")
    fails(answer(b"\x01a\x00", 28, b"\x00" * 15), "AAAA rdata is 16 octets")
    fails(answer(b"\x01a\x00", 33, b"\x00\x00\x00"), "SRV rdata too short")
    fails(answer(b"\x01a\x00", 12, b"\x01b\x00\x00"), "does not fill")
    fails(answer(b"\x01a\x00", 33, b"\x00" * 6 + b"\x01b\x00\xff"), "does not fill")


def test_name_in_rdata_runs_past_the_rdata() -> None:
    # PTR rdlength 2, but the name inside is 3 octets long.
    data = answer(b"\x01a\x00", 12, b"\x01b\x00", rdlength=2) + b"\x00" * 4
    fails(data, "")


def test_txt_hinfo_and_opt_overruns() -> None:
    fails(answer(b"\x01a\x00", 16, b"\x05abc"), "TXT string runs past")
    fails(answer(b"\x01a\x00", 13, b"\x03x86"), "HINFO needs two")
    fails(answer(b"\x01a\x00", 13, b"\x03x86\x09linux"), "HINFO string runs past")
    fails(answer(b"\x01a\x00", 13, b"\x00\x00\x00"), "trailing octets")
    fails(answer(b"\x00", 41, b"\x00\x04\x00"), "EDNS option header")
    fails(answer(b"\x00", 41, b"\x00\x04\x00\x09abc"), "EDNS option runs past")


@pytest.mark.parametrize("label_type", [0x40, 0x80, 0x7F, 0xBF])
def test_reserved_label_types(label_type: int) -> None:
    """RFC 1035 §4.1.4 / RFC 6891 §5: 0x40 and 0x80 label types are not valid here."""
    fails(question(bytes([label_type]) + b"a" * 70 + b"\x00"), "reserved label type")


def test_oversized_name_from_plain_labels() -> None:
    name = (b"\x3f" + b"a" * 63) * 4 + b"\x00"  # 257 octets
    fails(question(name), "longer than 255")


def test_oversized_name_built_from_pointers() -> None:
    # Each question's name is a 63-octet label plus a pointer to the previous name.
    parts = [b"\x3f" + b"a" * 63 + b"\x00" + b"\x00\x01\x00\x01"]
    offsets = [12]
    for _ in range(4):
        offsets.append(12 + sum(len(p) for p in parts))
        parts.append(
            b"\x3f" + b"b" * 63 + b"\xc0" + bytes([offsets[-2] & 0xFF]) + b"\x00\x01\x00\x01"
        )
    data = header(qd=len(parts), flags=0)
    data = data[:4] + len(parts).to_bytes(2, "big") + data[6:] + b"".join(parts)
    error = fails(data, "longer than 255")
    assert error.offset > 12


@pytest.mark.parametrize(
    ("bitmap", "reason"),
    [
        (b"\x00\x00", "length 0"),
        (b"\x00\x21" + b"\x00" * 33, "length 33"),
        (b"\x01\x01\x40\x00\x01\x40", "out of order"),
        (b"\x00\x01\x40\x00\x01\x40", "out of order"),
        (b"\x00\x04\x40", "runs past"),
        (b"\x00", "cut short"),
    ],
)
def test_bad_nsec_bitmaps(bitmap: bytes, reason: str) -> None:
    fails(answer(b"\x01a\x00", 47, b"\xc0\x0c" + bitmap), reason)


def test_invalid_utf8_in_labels_parses_and_round_trips() -> None:
    data = question(b"\x04caf\xe9\x05local\x00")
    message = parse_message(data)
    assert message.questions[0].name.labels[0] == "caf\udce9"
    assert build_message(message) == data


def test_non_bytes_input_is_accepted_as_a_buffer() -> None:
    data = question(b"\x01a\x00")
    assert parse_message(bytearray(data)) == parse_message(memoryview(data))


def test_trailing_octets_after_the_counted_records_are_ignored() -> None:
    data = question(b"\x01a\x00")
    assert parse_message(data + b"\xff\xff") == parse_message(data)


# --------------------------------------------------------------------------- fuzzing
def _parse_or_wire_error(data: bytes) -> None:
    with contextlib.suppress(WireFormatError):
        parse_message(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=0, max_size=200))
def test_random_bytes_raise_only_wire_format_errors(data: bytes) -> None:
    _parse_or_wire_error(header(qd=1, an=2, flags=0) + data)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(VECTORS),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(0, 10_000),
)
def test_mutated_captures_raise_only_wire_format_errors(
    path: Path, flips: list[tuple[int, int]], cut: int
) -> None:
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    data = bytearray(bytes.fromhex("".join(lines)))
    for position, value in flips:
        data[position % len(data)] = value
    data = data[: max(12, cut % (len(data) + 1))]
    try:
        message = parse_message(bytes(data))
    except WireFormatError:
        return
    # Whatever parsed must rebuild and parse back to the same message.
    assert parse_message(build_message(message)) == message

"""Fixed-seed fuzzing of the DNS codec: whatever arrives, parse_message raises only
WireFormatError, and what it accepts builds and parses back to the same message.

The run is derandomized (same examples every time); docs/conformance.md has the
figures of a longer run (LANWISE_FUZZ_EXAMPLES=200000).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lanwise.dns import WireFormatError, build_message, parse_message
from lanwise.errors import UsageError
from tests.unit.fuzz.corpus import seeds

EXAMPLES = int(os.environ.get("LANWISE_FUZZ_EXAMPLES", "1500"))
FUZZ = settings(
    derandomize=True,
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
SEEDS = seeds()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A seed packet with bytes flipped, overwritten, cut, or spliced."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["set", "flip", "cut", "insert", "splice"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "set":
            data[at] = draw(st.integers(0, 255))
        elif kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            other = draw(st.sampled_from(SEEDS))
            data[at:] = other[draw(st.integers(0, len(other) - 1)) :]
    return bytes(data)


def _check(data: bytes) -> None:
    try:
        message = parse_message(data)
    except WireFormatError:
        return
    try:
        wire = build_message(message)
    except UsageError:
        return  # accepted input that does not fit 9000 bytes uncompressed differently
    again = parse_message(wire)
    assert again == message


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes_raise_only_wire_format_errors(data: bytes) -> None:
    _check(data)


@FUZZ
@given(mutated())
def test_mutated_mdns_packets_raise_only_wire_format_errors(data: bytes) -> None:
    _check(data)


def test_compression_loops_and_overruns_are_rejected() -> None:
    header = bytes(4) + b"\x00\x01" + bytes(6)
    for tail in (b"\xc0\x0c\x00\x01\x00\x01", b"\x3f" + b"a" * 10, b"\xc0\xff\x00\x01\x00\x01"):
        try:
            parse_message(header + tail)
        except WireFormatError:
            continue
        raise AssertionError(f"accepted {tail!r}")

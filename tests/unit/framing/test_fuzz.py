"""Fuzz: arbitrary bytes into every stack either yield messages or raise FramingError."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from lanwise.framing import (
    DatagramSealer,
    FramingError,
    LengthPrefixed,
    Message,
    SessionKeys,
    Stack,
    TypeLengthValue,
)

_KEYS = SessionKeys.derive(os.urandom(32), b"fuzz")


def _stacks() -> list[Stack[bytes] | Stack[Message]]:
    return [
        Stack(LengthPrefixed(max_length=1000)),
        Stack(TypeLengthValue(max_length=1000)),
        Stack(TypeLengthValue(), LengthPrefixed(max_length=1000)),
        Stack(TypeLengthValue(), _KEYS.sealed("host"), LengthPrefixed(max_length=1000)),
    ]


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=64), max_size=12))
def test_garbage_never_crashes_a_stack(chunks: list[bytes]) -> None:
    for stack in _stacks():
        try:
            for chunk in chunks:
                stack.feed(chunk)
            stack.end()
        except FramingError as exc:
            assert exc.field in {"length", "frame", "tag", "type"}


@settings(max_examples=300)
@given(st.binary(max_size=100))
def test_garbage_datagrams_are_counted_not_raised(data: bytes) -> None:
    sealer = _KEYS.datagram_sealer("host")
    assert sealer.open(data) is None
    stats = sealer.statistics()
    assert stats["stale"] + stats["forged"] == 1


@settings(max_examples=100)
@given(st.lists(st.integers(0, 255), max_size=8), st.binary(max_size=50))
def test_bit_flips_in_a_sealed_stream_raise(flips: list[int], body: bytes) -> None:
    sender = Stack(TypeLengthValue(), _KEYS.sealed("player"), LengthPrefixed())
    receiver = Stack(TypeLengthValue(), _KEYS.sealed("host"), LengthPrefixed())
    data = bytearray(sender.encode(Message(7, body)))
    for f in flips:
        data[4 + f % (len(data) - 4)] ^= 1 << (f % 8)  # flip body bits, not the length
    try:
        got = receiver.feed(bytes(data))
    except FramingError as exc:
        assert exc.field == "tag"
    else:
        assert got == [Message(7, body)]  # an even number of flips on one bit cancels out


def test_datagram_latest_wins_and_replays_drop() -> None:
    player = _KEYS.datagram_sealer("player")
    host: DatagramSealer = _KEYS.datagram_sealer("host")
    first, second = player.seal(b"a"), player.seal(b"b")
    assert host.open(second) == (2, b"b")
    assert host.open(first) is None  # older than the newest: dropped
    assert host.open(second) is None  # replay
    assert host.statistics()["stale"] == 2

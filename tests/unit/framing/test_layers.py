"""Framers: round trips, any split of the stream gives the same messages, bad input is named."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanwise.errors import UsageError
from lanwise.framing import (
    FramingError,
    LengthPrefixed,
    Message,
    SessionKeys,
    Stack,
    TypeLengthValue,
)

messages = st.lists(st.builds(Message, st.integers(0, 255), st.binary(max_size=300)), max_size=20)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    chunks, last = [], 0
    for p in [*points, len(data)]:
        chunks.append(data[last:p])
        last = p
    return chunks


def _sealed_pair() -> tuple[Stack[Message], Stack[Message]]:
    keys = SessionKeys.derive(os.urandom(32), b"transcript")
    sender = Stack(TypeLengthValue(), keys.sealed("player"), LengthPrefixed())
    receiver = Stack(TypeLengthValue(), keys.sealed("host"), LengthPrefixed())
    return sender, receiver


@given(messages, st.lists(st.integers(0, 10_000), max_size=30))
def test_tlv_any_split_gives_the_same_messages(msgs: list[Message], cuts: list[int]) -> None:
    sender, receiver = Stack(TypeLengthValue()), Stack(TypeLengthValue())
    stream = b"".join(sender.encode(m) for m in msgs)
    got: list[Message] = []
    for chunk in _split(stream, cuts):
        got.extend(receiver.feed(chunk))
    receiver.end()
    assert got == msgs


@given(messages, st.lists(st.integers(0, 10_000), max_size=30))
def test_sealed_stack_any_split_gives_the_same_messages(
    msgs: list[Message], cuts: list[int]
) -> None:
    sender, receiver = _sealed_pair()
    stream = b"".join(sender.encode(m) for m in msgs)
    got: list[Message] = []
    for chunk in _split(stream, cuts):
        got.extend(receiver.feed(chunk))
    receiver.end()
    assert got == msgs


@given(st.lists(st.binary(max_size=200), max_size=20), st.lists(st.integers(0, 5000)))
def test_length_prefixed_any_split(frames: list[bytes], cuts: list[int]) -> None:
    layer = LengthPrefixed()
    stream = b"".join(layer.encode(f) for f in frames)
    got: list[bytes] = []
    for chunk in _split(stream, cuts):
        got.extend(layer.feed(chunk))
    assert got == frames


def test_length_over_the_maximum_names_the_field() -> None:
    layer = LengthPrefixed(max_length=16)
    with pytest.raises(FramingError) as info:
        layer.feed(b"\x00\x00\x00\x11")  # 17: rejected from the header alone
    assert info.value.field == "length"
    tlv = TypeLengthValue(max_length=16)
    with pytest.raises(FramingError) as info:
        tlv.feed(b"\x01\x00\x00\x01\x00")
    assert info.value.field == "length"


def test_truncated_frame_at_eof_is_an_error() -> None:
    stack = Stack(TypeLengthValue())
    assert stack.feed(stack.encode(Message(3, b"hello"))[:-1]) == []
    with pytest.raises(FramingError) as info:
        stack.end()
    assert info.value.field == "frame"


def test_clean_eof_between_frames_is_fine() -> None:
    stack = Stack(TypeLengthValue())
    assert stack.feed(stack.encode(Message(3, b"hi"))) == [Message(3, b"hi")]
    stack.end()


def test_unknown_type_is_refused() -> None:
    tlv = TypeLengthValue(types=frozenset({1, 2}))
    with pytest.raises(FramingError) as info:
        tlv.feed(b"\x09\x00\x00\x00\x00")
    assert info.value.field == "type"


def test_a_frame_holding_a_partial_message_is_refused_above_the_bottom() -> None:
    sender = Stack(LengthPrefixed())
    receiver = Stack(TypeLengthValue(), LengthPrefixed())
    with pytest.raises(FramingError) as info:
        receiver.feed(sender.encode(b"\x01\x00\x00\x00\x09abc"))
    assert info.value.field == "frame"


def test_altered_sealed_frame_fails_authentication() -> None:
    sender, receiver = _sealed_pair()
    data = bytearray(sender.encode(Message(1, b"draw")))
    data[-1] ^= 1
    with pytest.raises(FramingError) as info:
        receiver.feed(bytes(data))
    assert info.value.field == "tag"


def test_replayed_sealed_frame_fails() -> None:
    sender, receiver = _sealed_pair()
    data = sender.encode(Message(1, b"guess"))
    assert receiver.feed(data) == [Message(1, b"guess")]
    with pytest.raises(FramingError):
        receiver.feed(data)


def test_caller_errors_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        LengthPrefixed(max_length=0)
    with pytest.raises(UsageError):
        TypeLengthValue().encode(Message(256, b""))
    with pytest.raises(UsageError):
        LengthPrefixed(max_length=4).encode(b"12345")

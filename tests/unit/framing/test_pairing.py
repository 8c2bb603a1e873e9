"""Passcode pairing: SPAKE2 agrees on keys; a wrong passcode is refused cleanly."""

from __future__ import annotations

import pytest

from lanwise.errors import UsageError
from lanwise.framing import (
    AttemptLimiter,
    HostPairing,
    PairingError,
    PlayerPairing,
    new_passcode,
)


def test_same_passcode_gives_the_same_keys() -> None:
    player, host = PlayerPairing("123456", "spake2"), HostPairing("123456")
    reply = host.reply(player.start())
    host_confirm, host_keys = host.verify(player.confirm(reply))
    assert player.finish(host_confirm) == host_keys
    assert host.scheme == "spake2"
    assert len({host_keys.player_to_host, host_keys.host_to_player}) == 2


def test_wrong_passcode_is_refused_by_the_host() -> None:
    player, host = PlayerPairing("000000"), HostPairing("123456")
    confirm = player.confirm(host.reply(player.start()))
    with pytest.raises(PairingError) as info:
        host.verify(confirm)
    assert info.value.field == "passcode"


def test_player_refuses_a_host_that_does_not_know_the_passcode() -> None:
    player, host = PlayerPairing("123456"), HostPairing("123456")
    player.confirm(host.reply(player.start()))
    with pytest.raises(PairingError) as info:
        player.finish(b"\x00" * 32)
    assert info.value.field == "passcode"


@pytest.mark.parametrize(
    ("start", "field"),
    [
        (b"", "scheme"),
        (b"\x07abc", "scheme"),
        (b"\x01short", "share"),
        (b"\x02" + bytes(32), "scheme"),  # the retired "x25519" scheme
        (b"\x01B" + bytes(32), "share"),  # not a point, and from the wrong side
    ],
)
def test_broken_start_messages_raise_pairing_errors(start: bytes, field: str) -> None:
    with pytest.raises(PairingError) as info:
        HostPairing("1234").reply(start)
    assert info.value.field == field


def test_passcodes_are_digits_and_differ() -> None:
    codes = {new_passcode() for _ in range(20)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 1
    with pytest.raises(UsageError):
        new_passcode(2)
    with pytest.raises(UsageError):
        PlayerPairing("")
    with pytest.raises(UsageError):
        PlayerPairing("1234", "x25519")  # type: ignore[arg-type]


def test_limiter_refuses_after_the_burst_and_refills_with_time() -> None:
    limiter = AttemptLimiter(burst=3, refill=10.0)
    now = 100.0
    for _ in range(3):
        assert limiter.retry_after("10.0.0.5", now) == 0
        limiter.failed("10.0.0.5", now)
    assert limiter.retry_after("10.0.0.5", now) == pytest.approx(10.0)
    assert limiter.retry_after("10.0.0.6", now) == 0  # other sources are not affected
    assert limiter.retry_after("10.0.0.5", now + 4) == pytest.approx(6.0)
    assert limiter.retry_after("10.0.0.5", now + 10) == 0  # one refill: one more try
    limiter.failed("10.0.0.5", now + 10)
    assert limiter.retry_after("10.0.0.5", now + 10) > 0
    assert limiter.statistics()["refused"] == 3


def test_limiter_success_clears_and_memory_is_bounded() -> None:
    limiter = AttemptLimiter(burst=1, refill=60.0, max_sources=2)
    limiter.failed("a", 0.0)
    assert limiter.retry_after("a", 1.0) > 0
    limiter.succeeded("a")
    assert limiter.retry_after("a", 1.0) == 0
    for source in ("b", "c", "d"):
        limiter.failed(source, 2.0)
    assert limiter.statistics()["sources"] == 2


def test_limiter_checks_its_arguments() -> None:
    with pytest.raises(UsageError):
        AttemptLimiter(burst=0)
    with pytest.raises(UsageError):
        AttemptLimiter(refill=0)

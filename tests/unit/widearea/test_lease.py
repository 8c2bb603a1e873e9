"""Lease timing (RFC 9664) on a hand-stepped clock."""

from __future__ import annotations

import pytest

from lanwise.widearea.lease import (
    REFRESH_FRACTION,
    RETRY_INTERVAL,
    LeaseClock,
    decode_lease_option,
    encode_lease_option,
)


def test_option_wire_format() -> None:
    """RFC 9664 §4: LEASE is 4 octets, KEY-LEASE 4 more; other lengths are malformed."""
    assert encode_lease_option(7200) == bytes.fromhex("00001c20")
    assert encode_lease_option(3600, 86400) == bytes.fromhex("00000e1000015180")
    assert decode_lease_option(bytes.fromhex("00001c20")) == (7200, None)
    assert decode_lease_option(bytes.fromhex("00000e1000015180")) == (3600, 86400)
    assert decode_lease_option(b"\x00\x01") is None


def test_refresh_at_80_percent_of_the_granted_lease() -> None:
    """RFC 9664: refresh before expiry; lanwise refreshes at 80% of what was granted."""
    clock = LeaseClock(requested=100)
    clock.granted(1000.0, 100)
    assert clock.deadline() == pytest.approx(1000.0 + REFRESH_FRACTION * 100)
    assert clock.due(1079.9) is None
    assert clock.due(1080.0) == "refresh"


def test_a_shortened_lease_is_refreshed_on_its_own_schedule() -> None:
    """RFC 9664 §4: the server may grant less than asked; the grant is what counts."""
    clock = LeaseClock(requested=7200)
    clock.granted(0.0, 10)
    assert clock.lease == 10
    assert clock.deadline() == pytest.approx(8.0)
    assert clock.due(8.0) == "refresh"
    clock.granted(8.0, 10)
    assert clock.deadline() == pytest.approx(16.0)


def test_no_lease_option_keeps_the_requested_period() -> None:
    """A server without lease support (no option in the reply): refresh on the requested lease."""
    clock = LeaseClock(requested=50)
    clock.granted(0.0, None)
    assert clock.lease == 50
    assert clock.deadline() == pytest.approx(40.0)


def test_failed_refresh_retries_then_the_lease_is_lost() -> None:
    """Retries every RETRY_INTERVAL, never past the expiry; then the lease is lost."""
    clock = LeaseClock(requested=20)
    clock.granted(0.0, 20)
    assert clock.due(16.0) == "refresh"
    clock.failed(16.0)
    assert clock.deadline() == pytest.approx(min(16.0 + RETRY_INTERVAL, 20.0))
    assert clock.due(19.9) is None or clock.due(19.9) == "refresh"
    clock.failed(19.9)
    assert clock.deadline() == pytest.approx(20.0)
    assert clock.due(20.0) == "lost"


def test_refreshes_due_together_batch_but_never_before_75_percent() -> None:
    """RFC 9664 §4: refresh before expiry; a batch takes along leases due within 5 %."""
    first, second = LeaseClock(requested=100), LeaseClock(requested=100)
    first.granted(1000.0, None)
    second.granted(1000.004, None)  # registered 4 ms later
    assert first.due(1080.0) == "refresh" and second.due(1080.0) is None
    assert second.due_soon(1080.0)  # joins the batch going at 80 %
    assert not second.due_soon(1000.004 + 74.9)  # but not before 75 % of its lease
    assert second.due_soon(1000.004 + 75.0)
    assert not second.due_soon(1100.004)  # run out: lost, not refreshed

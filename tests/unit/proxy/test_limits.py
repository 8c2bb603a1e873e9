"""The per-client token bucket, with a stepped clock."""

from __future__ import annotations

import pytest

from lanwise.errors import UsageError
from lanwise.proxy.limits import RateLimiter


def test_a_client_gets_its_burst_then_the_rate() -> None:
    limiter = RateLimiter(rate=10, burst=5)
    assert [limiter.allow("a", 0.0) for _ in range(6)] == [True] * 5 + [False]
    assert limiter.dropped == 1
    assert not limiter.allow("a", 0.05)  # half a token back
    assert limiter.allow("a", 0.15)  # one and a half: one spent
    assert not limiter.allow("a", 0.15)


def test_one_client_flooding_does_not_touch_another() -> None:
    limiter = RateLimiter(rate=1, burst=2)
    for _ in range(100):
        limiter.allow("flood", 0.0)
    assert limiter.allow("quiet", 0.0)
    assert limiter.dropped == 98


def test_the_table_is_bounded_and_forgets_the_oldest() -> None:
    limiter = RateLimiter(rate=1, burst=1, max_clients=3)
    for client in "abcd":
        limiter.allow(client, 0.0)
    assert len(limiter) == 3
    assert limiter.allow("a", 0.0)  # forgotten: a fresh bucket
    assert not limiter.allow("d", 0.0)  # still remembered, still empty


def test_the_bucket_refills_no_further_than_the_burst() -> None:
    limiter = RateLimiter(rate=100, burst=3)
    limiter.allow("a", 0.0)
    assert [limiter.allow("a", 1000.0) for _ in range(4)] == [True, True, True, False]


@pytest.mark.parametrize(("rate", "burst", "field"), [(0, 1, "rate"), (1, 0.5, "burst")])
def test_bad_limits_are_usage_errors(rate: float, burst: float, field: str) -> None:
    with pytest.raises(UsageError) as caught:
        RateLimiter(rate, burst)
    assert caught.value.field == field

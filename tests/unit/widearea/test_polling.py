"""Browse polling and the snapshot diff, on a hand-stepped clock."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from lanwise.dnssd.model import (
    ResolvedServiceAdded,
    ServiceAdded,
    ServiceInfo,
    ServiceRemoved,
    ServiceUpdated,
)
from lanwise.dnssd.names import ServiceType
from lanwise.widearea.polling import DEFAULT_POLL_FLOOR, BrowseSnapshot, PollTimer

STYPE = ServiceType("_http", "_tcp", "example.test")


def _info(port: int) -> ServiceInfo:
    return ServiceInfo(
        "A", STYPE, "h.example.test", port, (b"",), {0: (IPv4Address("10.0.0.1"),)}, (0,)
    )


def test_poll_after_the_shortest_ttl() -> None:
    """RFC 1035 §3.2.1: an answer is good for its TTL; ask again when the shortest ends."""
    timer = PollTimer(floor=10.0)
    assert timer.answered(100.0, [300, 60, 120]) == pytest.approx(160.0)
    assert not timer.due(159.0)
    assert timer.due(160.0)


def test_poll_floor_bounds_short_ttls() -> None:
    """A TTL below the floor (even 0) still waits the floor (documented poll floor)."""
    timer = PollTimer()
    assert timer.answered(0.0, [0, 1]) == pytest.approx(DEFAULT_POLL_FLOOR)
    assert timer.answered(5.0, []) == pytest.approx(5.0 + DEFAULT_POLL_FLOOR)


def test_failure_retries_after_the_floor() -> None:
    timer = PollTimer(floor=2.0)
    assert timer.failed(7.0) == pytest.approx(9.0)


def test_snapshot_reports_additions_updates_and_removals() -> None:
    snap = BrowseSnapshot(STYPE)
    first = snap.update({"A": _info(80), "B": None})
    assert [type(e) for e in first] == [ResolvedServiceAdded, ServiceAdded]
    assert first[0].interface == 0
    assert snap.update({"A": _info(80), "B": None}) == []
    changed = snap.update({"a": _info(81)})  # DNS names compare case-insensitively
    assert [type(e) for e in changed] == [ServiceRemoved, ServiceUpdated]
    assert changed[0].name == "B"


def test_a_resolving_snapshot_adds_an_instance_once_resolved_as_on_local() -> None:
    """ResolvedServiceAdded always carries info: an unresolved instance waits."""
    snap = BrowseSnapshot(STYPE, resolving=True)
    assert snap.update({"A": None}) == []
    (added,) = snap.update({"A": _info(80)})
    assert isinstance(added, ResolvedServiceAdded) and added.info.port == 80
    assert [type(e) for e in snap.update({})] == [ServiceRemoved]

"""Instance resolution, sans-IO (lanwise.dnssd.resolution): the one rule the browser
and ``Responder.resolve`` share (issue 13 item 4: it was written twice)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address
from typing import Any

from lanwise.dns import SRV, Record
from lanwise.dnssd.resolution import AddressReader, best_srv, resolve_instance, resolve_on
from tests.unit.dnssd.test_browser import HOST, HTTP, INSTANCE, FakeCache, a, aaaa, srv, txt

BOTH = frozenset((4, 6))
LABEL = "My Web. Site"


def _resolve(cache: FakeCache, interfaces: tuple[int, ...], families: frozenset[int] = BOTH) -> Any:
    reader = AddressReader(cache.lookup, families, lambda index: f"eth{index}")
    return resolve_instance(
        INSTANCE, LABEL, HTTP, interfaces=interfaces, lookup=cache.lookup, addresses=reader
    )


def test_rfc_2782_the_lowest_priority_then_the_heaviest_weight_wins() -> None:
    records = [
        Record.of(INSTANCE, SRV(priority, weight, port, HOST), 120)
        for priority, weight, port in ((1, 50, 1), (0, 10, 2), (0, 60, 3))
    ]
    chosen = best_srv(records)
    assert chosen is not None and chosen.port == 3
    assert best_srv([]) is None


def test_nothing_before_an_srv_and_hosts_per_interface_once_one_comes() -> None:
    cache = FakeCache()
    assert _resolve(cache, (2,)).info is None
    cache.add(2, srv(8080))
    state = _resolve(cache, (2, 3))
    assert state.info is not None and state.info.port == 8080
    assert state.info.txt_strings == (b"",)  # no TXT yet
    assert state.hosts == {2: HOST}
    assert not state.complete and not state.settled


def test_complete_with_srv_txt_and_an_address_settled_with_every_family_everywhere() -> None:
    cache = FakeCache()
    for record in (srv(), txt(b"v=1"), a("10.0.0.5")):
        cache.add(2, record)
    state = _resolve(cache, (2,))
    assert state.complete and not state.settled  # no IPv6 address yet
    assert _resolve(cache, (2,), frozenset((4,))).settled
    cache.add(2, aaaa("fe80::5"))
    state = _resolve(cache, (2,))
    assert state.settled
    assert state.info is not None
    assert state.info.addresses == {2: (IPv4Address("10.0.0.5"), IPv6Address("fe80::5%eth2"))}
    assert not _resolve(cache, (2, 3)).settled  # interface 3 may answer yet


def test_the_browsers_one_interface_resolve_agrees_with_resolve_instance() -> None:
    """``resolve_on`` (the browser's, once per instance and packet) is ``resolve_instance``
    on one interface: the SRV target, and the info only once complete."""
    cache = FakeCache()
    reader = AddressReader(cache.lookup, BOTH, lambda index: f"eth{index}")
    steps = [
        srv(8080),
        txt(b"v=1"),
        aaaa("fe80::5"),
        a("10.0.0.5"),
        Record.of(INSTANCE, SRV(0, 90, 9090, HOST), 120),  # the heavier of two SRVs wins
    ]
    seen = []
    for step in [None, *steps]:
        if step is not None:
            cache.add(2, step)
        reader.forget()
        state = _resolve(cache, (2,))
        got = resolve_on(INSTANCE, LABEL, HTTP, 2, lookup=cache.lookup, addresses=reader)
        assert got == (state.hosts.get(2), state.info if state.complete else None)
        seen.append(got[1] is not None)
    assert seen == [False, False, False, True, True, True]
    info = resolve_on(INSTANCE, LABEL, HTTP, 2, lookup=cache.lookup, addresses=reader)[1]
    assert info is not None and info.port == 9090

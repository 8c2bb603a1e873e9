"""The sans-IO browse state machine: cache events in, browse events out (RFC 6763 §4, §9, §12)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

import pytest

from lanwise.dns import AAAA, PTR, SRV, TXT, A, Name, Record, RRType
from lanwise.dnssd.browser import BrowseTarget, ServiceBrowser
from lanwise.dnssd.model import ServiceAdded, ServiceRemoved, ServiceUpdated
from lanwise.dnssd.names import ServiceType
from lanwise.errors import UsageError

HTTP = ServiceType.parse("_http._tcp")
TYPE_NAME = Name("_http._tcp.local")
INSTANCE = Name.from_labels(("My Web. Site", "_http", "_tcp", "local"))
HOST = Name("box.local")


class FakeCache:
    """A cache keyed by (interface, name, rtype): what the engine's ``cached`` returns."""

    def __init__(self) -> None:
        self.records: dict[tuple[int, Name, int], list[Record]] = {}

    def add(self, interface: int, record: Record) -> Record:
        self.records.setdefault((interface, record.name, record.rtype), []).append(record)
        return record

    def remove(self, interface: int, record: Record) -> Record:
        self.records[(interface, record.name, record.rtype)].remove(record)
        return record

    def lookup(self, name: Name, rtype: int, interface: int) -> list[Record]:
        return list(self.records.get((interface, name, rtype), ()))


def ptr(target: Name, owner: Name = TYPE_NAME) -> Record:
    return Record.of(owner, PTR(target), 4500)


def srv(port: int = 80, target: Name = HOST) -> Record:
    return Record.of(INSTANCE, SRV(0, 0, port, target), 120, cache_flush=True)


def txt(*strings: bytes) -> Record:
    return Record.of(INSTANCE, TXT(strings), 4500, cache_flush=True)


def a(address: str) -> Record:
    return Record.of(HOST, A(IPv4Address(address)), 120, cache_flush=True)


def aaaa(address: str) -> Record:
    return Record.of(HOST, AAAA(IPv6Address(address)), 120, cache_flush=True)


def feed(browser: ServiceBrowser, cache: FakeCache, interface: int, *records: Record) -> None:
    for record in records:
        cache.add(interface, record)
        browser.record_changed(interface, record, True)


def test_ptr_alone_reports_an_instance_per_interface() -> None:
    cache = FakeCache()
    browser = ServiceBrowser(BrowseTarget(HTTP), cache.lookup)
    feed(browser, cache, 2, ptr(INSTANCE))
    feed(browser, cache, 3, ptr(INSTANCE))
    events = browser.flush()
    assert events == [
        ServiceAdded("My Web. Site", HTTP, 2),
        ServiceAdded("My Web. Site", HTTP, 3),
    ]
    assert browser.flush() == []  # nothing new
    feed(browser, cache, 2, ptr(INSTANCE))  # a refresh of the same PTR
    assert browser.flush() == []


def test_removal_is_reported_once_and_only_after_an_add() -> None:
    cache = FakeCache()
    browser = ServiceBrowser(BrowseTarget(HTTP), cache.lookup)
    record = ptr(INSTANCE)
    feed(browser, cache, 2, record)
    browser.flush()
    browser.record_changed(2, cache.remove(2, record), False)
    assert browser.flush() == [ServiceRemoved("My Web. Site", HTTP, 2)]
    browser.record_changed(2, record, False)
    assert browser.flush() == []


def test_a_whole_answer_in_any_order_gives_one_resolved_add() -> None:
    """RFC 6763 §12: PTR, SRV, TXT and addresses arrive together; order must not matter."""
    cache = FakeCache()
    browser = ServiceBrowser(
        BrowseTarget(HTTP), cache.lookup, resolve=True, scope=lambda index: f"eth{index}"
    )
    feed(
        browser,
        cache,
        2,
        a("10.0.0.5"),
        aaaa("fe80::1"),
        txt(b"path=/", b"tls"),
        srv(8080),
        ptr(INSTANCE),
    )
    events = browser.flush()
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, ServiceAdded) and event.info is not None
    info = event.info
    assert (info.name, info.host, info.port) == ("My Web. Site", "box.local", 8080)
    assert info.txt["PATH"] == b"/" and info.txt["tls"] is None
    assert info.addresses == {2: (IPv4Address("10.0.0.5"), IPv6Address("fe80::1%eth2"))}


def test_resolution_waits_for_an_address_then_updates() -> None:
    cache = FakeCache()
    browser = ServiceBrowser(BrowseTarget(HTTP), cache.lookup, resolve=True)
    feed(browser, cache, 2, ptr(INSTANCE), srv(), txt(b"v=1"))
    assert browser.flush() == []
    assert (HOST, RRType.A) in browser.wanted() and (HOST, RRType.AAAA) in browser.wanted()
    feed(browser, cache, 2, a("10.0.0.5"))
    (added,) = browser.flush()
    assert isinstance(added, ServiceAdded)
    old_txt = cache.lookup(INSTANCE, RRType.TXT, 2)[0]
    browser.record_changed(2, cache.remove(2, old_txt), False)
    feed(browser, cache, 2, txt(b"v=2"))
    (updated,) = browser.flush()
    assert isinstance(updated, ServiceUpdated)
    assert updated.info.txt["v"] == b"2"


def test_addresses_only_from_the_families_asked_for() -> None:
    cache = FakeCache()
    browser = ServiceBrowser(
        BrowseTarget(HTTP), cache.lookup, resolve=True, families=frozenset({6})
    )
    feed(browser, cache, 2, ptr(INSTANCE), srv(), txt(b""), a("10.0.0.5"))
    assert browser.flush() == []
    feed(browser, cache, 2, aaaa("fd00::5"))
    (added,) = browser.flush()
    assert isinstance(added, ServiceAdded) and added.info is not None
    assert added.info.addresses == {2: (IPv6Address("fd00::5"),)}


def test_ptrs_for_other_names_or_foreign_targets_are_ignored() -> None:
    cache = FakeCache()
    browser = ServiceBrowser(BrowseTarget(HTTP), cache.lookup)
    feed(browser, cache, 2, ptr(INSTANCE, Name("_ipp._tcp.local")))
    feed(browser, cache, 2, ptr(Name("x._ipp._tcp.local")))  # not under _http._tcp
    assert browser.flush() == []


def test_subtype_browse_follows_the_sub_name() -> None:
    """RFC 6763 §7.1: _printer._sub._http._tcp.local PTR → instances of _http._tcp."""
    target = BrowseTarget.parse("_printer._sub._http._tcp")
    assert target.ptr_name == Name("_printer._sub._http._tcp.local")
    cache = FakeCache()
    browser = ServiceBrowser(target, cache.lookup)
    feed(browser, cache, 2, ptr(INSTANCE, target.ptr_name))
    assert browser.flush() == [ServiceAdded("My Web. Site", HTTP, 2)]


def test_type_enumeration_reports_types() -> None:
    """RFC 6763 §9: _services._dns-sd._udp.local PTR → _http._tcp.local."""
    target = BrowseTarget.parse("_services._dns-sd._udp")
    assert target.ptr_name == Name("_services._dns-sd._udp.local")
    cache = FakeCache()
    browser = ServiceBrowser(target, cache.lookup, resolve=True)
    feed(browser, cache, 2, ptr(TYPE_NAME, target.ptr_name))
    (event,) = browser.flush()
    assert isinstance(event, ServiceAdded)
    assert event.name == "_http._tcp" and event.type.is_enumeration and event.info is None


def test_seed_takes_in_what_the_cache_holds() -> None:
    cache = FakeCache()
    cache.add(2, ptr(INSTANCE))
    browser = ServiceBrowser(BrowseTarget(HTTP), cache.lookup)
    browser.seed([2, 3])
    assert browser.flush() == [ServiceAdded("My Web. Site", HTTP, 2)]
    assert browser.current() == [ServiceAdded("My Web. Site", HTTP, 2)]


def test_browse_target_rejects_bad_types() -> None:
    with pytest.raises(UsageError):
        BrowseTarget.parse("_http")
    with pytest.raises(UsageError):
        BrowseTarget.parse("_x._sub._bad_type._tcp")


def test_a_partial_cache_withdraws_only_on_reported_removals() -> None:
    """After the cache shed records (CacheOverflow), a short lookup is not a removal."""
    cache = FakeCache()
    browser = ServiceBrowser(BrowseTarget(HTTP), cache.lookup, resolve=True)
    feed(browser, cache, 2, ptr(INSTANCE), srv(), txt(b"a=1"), a("10.0.0.5"))
    assert [isinstance(e, ServiceAdded) for e in browser.flush()] == [True]
    browser.set_partial()
    # The cache shed the SRV silently; the PTR comes again: still present, not removed.
    cache.records.pop((2, INSTANCE, RRType.SRV))
    feed(browser, cache, 2, ptr(INSTANCE))
    assert browser.flush() == []
    # A removal the cache reports (a goodbye) still withdraws it.
    browser.record_changed(2, cache.remove(2, txt(b"a=1")), False)
    assert browser.flush() == [ServiceRemoved("My Web. Site", HTTP, 2)]

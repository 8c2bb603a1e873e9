"""A resolved instance follows its SRV, TXT and addresses out of the cache and back.

While resolving, an instance is reported only while it is resolvable on that
interface (SRV, TXT and at least one address). Losing one of them while the PTR
stays (expiry, RFC 6762 §5.2 / §10; goodbye, §10.1) is a ``ServiceRemoved``
there; their return is a ``ServiceAdded`` with the full info again.
"""

from __future__ import annotations

import random
from ipaddress import IPv4Address, IPv6Address

import pytest

from lanwise.dns import Name, Record, RRType
from lanwise.dnssd.browser import BrowseTarget, ServiceBrowser
from lanwise.dnssd.model import (
    ResolvedServiceAdded,
    ServiceAdded,
    ServiceInfo,
    ServiceRemoved,
    ServiceUpdated,
)
from lanwise.errors import UsageError
from lanwise.mdns.cache import RecordCache
from lanwise.mdns.events import RecordAdded, RecordRemoved, RecordUpdated
from tests.unit.dnssd.test_browser import (
    HOST,
    HTTP,
    INSTANCE,
    FakeCache,
    a,
    aaaa,
    feed,
    ptr,
    srv,
    txt,
)

LABEL = "My Web. Site"
HOST_QUERIES = {(HOST, RRType.A), (HOST, RRType.AAAA)}
INSTANCE_QUERIES = {(INSTANCE, RRType.SRV), (INSTANCE, RRType.TXT)}


def gone(browser: ServiceBrowser, cache: FakeCache, interface: int, *records: Record) -> None:
    for record in records:
        browser.record_changed(interface, cache.remove(interface, record), False)


def resolved(cache: FakeCache, interface: int = 2) -> tuple[ServiceBrowser, ServiceInfo]:
    """A resolving browser that has reported INSTANCE on ``interface``, and its info."""
    browser = ServiceBrowser(BrowseTarget(HTTP), cache.lookup, resolve=True)
    feed(browser, cache, interface, ptr(INSTANCE), srv(8080), txt(b"v=1"), a("10.0.0.5"))
    (added,) = browser.flush()
    assert isinstance(added, ServiceAdded) and added.info is not None
    return browser, added.info


@pytest.mark.parametrize("value", [123, None, b"_http._tcp", ["_http._tcp"]])
def test_browse_target_rejects_what_is_not_a_string(value: object) -> None:
    with pytest.raises(UsageError) as caught:
        BrowseTarget.parse(value)  # type: ignore[arg-type]
    assert caught.value.field == "service type"
    assert "string" in caught.value.rule and caught.value.value == value
    with pytest.raises(UsageError) as named:
        BrowseTarget.parse(value, field="type")  # type: ignore[arg-type]
    assert named.value.field == "type"


def test_srv_leaving_withdraws_the_instance_and_its_return_restores_it() -> None:
    """RFC 6762 §10: the SRV (TTL 120) leaves long before the PTR (TTL 4500)."""
    cache = FakeCache()
    browser, info = resolved(cache)
    old_srv = cache.lookup(INSTANCE, RRType.SRV, 2)[0]
    gone(browser, cache, 2, old_srv)
    assert browser.flush() == [ServiceRemoved(LABEL, HTTP, 2)]
    assert browser.current() == []
    # Still browsing the instance (its PTR stays), but no host to ask addresses of.
    assert browser.wanted() == INSTANCE_QUERIES
    assert dict(browser.take_wanted_changes()) == {
        **dict.fromkeys(INSTANCE_QUERIES, True),
        **dict.fromkeys(HOST_QUERIES, False),
    }

    feed(browser, cache, 2, old_srv)
    assert browser.flush() == [ResolvedServiceAdded(LABEL, HTTP, 2, info)]
    assert browser.wanted() == INSTANCE_QUERIES | HOST_QUERIES
    assert browser.current() == [ResolvedServiceAdded(LABEL, HTTP, 2, info)]

    # The PTR's own removal reports once, and not again after an SRV-only removal.
    gone(browser, cache, 2, old_srv)
    assert browser.flush() == [ServiceRemoved(LABEL, HTTP, 2)]
    gone(browser, cache, 2, ptr(INSTANCE))
    assert browser.flush() == []
    assert browser.wanted() == set()


def test_srv_replaced_in_one_batch_is_one_update() -> None:
    """RFC 6762 §10.2: a cache-flush SRV to a new host replaces the old in one answer."""
    cache = FakeCache()
    browser, _ = resolved(cache)
    browser.take_wanted_changes()
    new_host = Name("other.local")
    gone(browser, cache, 2, cache.lookup(INSTANCE, RRType.SRV, 2)[0])
    feed(browser, cache, 2, srv(9090, new_host))
    feed(browser, cache, 2, Record.of(new_host, a("10.0.0.9").rdata, 120, cache_flush=True))
    (event,) = browser.flush()
    assert isinstance(event, ServiceUpdated)
    assert (event.info.host, event.info.port) == ("other.local", 9090)
    assert event.info.addresses == {2: (IPv4Address("10.0.0.9"),)}
    changes = dict(browser.take_wanted_changes())
    assert changes[(HOST, RRType.A)] is False and changes[(new_host, RRType.A)] is True


def test_txt_goodbye_withdraws_and_new_txt_restores() -> None:
    """RFC 6762 §10.1 goodbye of the TXT; RFC 6763 §6: an instance without TXT is incomplete."""
    cache = FakeCache()
    browser, info = resolved(cache)
    gone(browser, cache, 2, cache.lookup(INSTANCE, RRType.TXT, 2)[0])
    assert browser.flush() == [ServiceRemoved(LABEL, HTTP, 2)]
    assert browser.wanted() >= HOST_QUERIES  # the SRV stays: its host is still asked for
    feed(browser, cache, 2, txt(b"v=2"))
    (added,) = browser.flush()
    assert isinstance(added, ServiceAdded) and added.info is not None
    assert added.info.txt["v"] == b"2" and added.info.port == info.port


def test_addresses_leave_per_interface() -> None:
    """One interface's address expiry updates that interface only; its last one withdraws it."""
    cache = FakeCache()
    browser = ServiceBrowser(
        BrowseTarget(HTTP), cache.lookup, resolve=True, scope=lambda index: f"eth{index}"
    )
    for interface in (2, 3):
        feed(browser, cache, interface, ptr(INSTANCE), srv(), txt(b""), a("10.0.0.5"))
        feed(browser, cache, interface, aaaa("fe80::5"))
    assert [type(e) for e in browser.flush()] == [ResolvedServiceAdded, ResolvedServiceAdded]

    gone(browser, cache, 2, a("10.0.0.5"))
    (updated,) = browser.flush()
    assert isinstance(updated, ServiceUpdated) and updated.interface == 2
    assert updated.info.addresses == {2: (IPv6Address("fe80::5%eth2"),)}

    gone(browser, cache, 2, aaaa("fe80::5"))
    assert browser.flush() == [ServiceRemoved(LABEL, HTTP, 2)]
    (left,) = browser.current()
    assert left.interface == 3 and left.info is not None
    assert left.info.addresses == {3: (IPv4Address("10.0.0.5"), IPv6Address("fe80::5%eth3"))}

    feed(browser, cache, 2, a("10.0.0.6"))
    (back,) = browser.flush()
    assert isinstance(back, ServiceAdded) and back.interface == 2 and back.info is not None
    assert back.info.addresses == {2: (IPv4Address("10.0.0.6"),)}


def test_an_instance_never_reported_stays_silent_and_drops_its_host() -> None:
    cache = FakeCache()
    browser = ServiceBrowser(BrowseTarget(HTTP), cache.lookup, resolve=True)
    feed(browser, cache, 2, ptr(INSTANCE), srv(), txt(b""))  # no address yet
    assert browser.flush() == []
    assert browser.wanted() >= HOST_QUERIES
    gone(browser, cache, 2, cache.lookup(INSTANCE, RRType.SRV, 2)[0])
    assert browser.flush() == []
    assert browser.wanted() == INSTANCE_QUERIES


class CacheDriver:
    """The engine's record cache on a hand-stepped clock, its events fed to a browser."""

    def __init__(self) -> None:
        self.now = 0.0
        self.cache = RecordCache(random.Random(7), interest=lambda *key: True)
        self.browser = ServiceBrowser(BrowseTarget(HTTP), self.lookup, resolve=True)

    def lookup(self, name: Name, rtype: int, interface: int) -> list[Record]:
        return [c.record for c in self.cache.lookup(name, rtype, self.now, interface=interface)]

    def receive(self, at: float, *records: Record) -> list[object]:
        self.step(at)
        self.cache.add_response(records, 2, self.now)
        return self.drain()

    def step(self, at: float) -> list[object]:
        self.now = at
        self.cache.handle_timer(at)
        return self.drain()

    def drain(self) -> list[object]:
        events = self.cache.events
        while events:
            event = events.popleft()
            if isinstance(event, RecordAdded):
                self.browser.record_changed(event.interface, event.record, True)
            elif isinstance(event, RecordUpdated):
                self.browser.record_changed(event.interface, event.new, True)
            elif isinstance(event, RecordRemoved):
                self.browser.record_changed(event.interface, event.record, False)
        return list(self.browser.flush())


def test_srv_and_address_ttl_expiry_through_the_cache() -> None:
    """RFC 6762 §10: SRV and A (TTL 120) expire at 120 s; the PTR (4500 s) stays."""
    drive = CacheDriver()
    (added,) = drive.receive(0.0, ptr(INSTANCE), srv(), txt(b"v=1"), a("10.0.0.5"))
    assert isinstance(added, ServiceAdded)
    assert drive.step(119.9) == []  # §5.2 refresh points only; nobody answered
    assert drive.step(120.0) == [ServiceRemoved(LABEL, HTTP, 2)]
    assert drive.browser.current() == []
    (back,) = drive.receive(130.0, srv(), a("10.0.0.5"))
    assert back == added


def test_srv_goodbye_through_the_cache_withdraws_one_second_later() -> None:
    """RFC 6762 §10.1: a goodbye (TTL 0) is kept as TTL 1, then the record is deleted."""
    drive = CacheDriver()
    drive.receive(0.0, ptr(INSTANCE), srv(), txt(b"v=1"), a("10.0.0.5"))
    goodbye = Record.of(INSTANCE, srv().rdata, 0, cache_flush=True)
    assert drive.receive(10.0, goodbye) == []
    assert drive.step(10.9) == []
    assert drive.step(11.0) == [ServiceRemoved(LABEL, HTTP, 2)]
    assert drive.step(4499.0) == []  # the A expires unreported; the PTR and TXT stay
    assert drive.browser.current() == []
    assert drive.browser.wanted() == INSTANCE_QUERIES
    assert drive.step(4500.0) == []  # the PTR leaves: already reported as removed

"""Which queries resolution needs, reported as changes (RFC 6762 §5.2 continuous queries)."""

from __future__ import annotations

from lanwise.dns import Name, RRType
from lanwise.dnssd.browser import BrowseTarget, ServiceBrowser
from tests.unit.dnssd.test_browser import (
    HOST,
    HTTP,
    INSTANCE,
    FakeCache,
    aaaa,
    feed,
    ptr,
    srv,
    txt,
)

OTHER = Name.from_labels(("Other", "_http", "_tcp", "local"))


def test_wanted_changes_follow_instances_and_hosts_across_interfaces() -> None:
    cache = FakeCache()
    browser = ServiceBrowser(BrowseTarget(HTTP), cache.lookup, resolve=True)
    feed(browser, cache, 2, ptr(INSTANCE), srv(), txt(b"v=1"), aaaa("fe80::1"))
    feed(browser, cache, 3, ptr(INSTANCE), srv(), txt(b"v=1"), aaaa("fe80::1"))
    browser.flush()
    expected = {
        (INSTANCE, RRType.SRV),
        (INSTANCE, RRType.TXT),
        (HOST, RRType.A),
        (HOST, RRType.AAAA),
    }
    assert browser.wanted() == expected
    assert dict(browser.take_wanted_changes()) == dict.fromkeys(expected, True)
    assert browser.take_wanted_changes() == []  # taken once

    # Gone on one interface: still needed for the other, so no change.
    browser.record_changed(2, cache.remove(2, ptr(INSTANCE)), False)
    browser.flush()
    assert browser.take_wanted_changes() == []
    assert browser.wants((INSTANCE, RRType.SRV))

    browser.record_changed(3, cache.remove(3, ptr(INSTANCE)), False)
    browser.flush()
    assert dict(browser.take_wanted_changes()) == dict.fromkeys(expected, False)
    assert browser.wanted() == set()


def test_plain_browse_and_one_family_want_only_what_they_use() -> None:
    cache = FakeCache()
    plain = ServiceBrowser(BrowseTarget(HTTP), cache.lookup)
    feed(plain, cache, 2, ptr(INSTANCE), srv(), txt(b"v=1"))
    plain.flush()
    assert plain.wanted() == set() and plain.take_wanted_changes() == []

    v4 = ServiceBrowser(BrowseTarget(HTTP), cache.lookup, resolve=True, families=frozenset((4,)))
    v4.seed([2])
    v4.flush()
    assert v4.wanted() == {(INSTANCE, RRType.SRV), (INSTANCE, RRType.TXT), (HOST, RRType.A)}
    assert not v4.wants((OTHER, RRType.SRV))


def test_an_instance_gone_before_it_resolved_stops_its_host_queries() -> None:
    cache = FakeCache()
    browser = ServiceBrowser(BrowseTarget(HTTP), cache.lookup, resolve=True)
    feed(browser, cache, 2, ptr(INSTANCE), srv())  # no TXT, no address: never reported
    browser.flush()
    assert browser.wants((HOST, RRType.AAAA))
    browser.record_changed(2, cache.remove(2, ptr(INSTANCE)), False)
    browser.flush()
    assert browser.wanted() == set()

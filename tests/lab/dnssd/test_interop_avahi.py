"""DNS-SD against avahi-daemon + avahi-utils, both directions (RFC 6763, RFC 6762 §9, §10.1)."""

from __future__ import annotations

import subprocess
import time
from ipaddress import IPv4Address, IPv6Address
from typing import Any

import pytest

from lanwise.dnssd import Responder, Service
from lanwise.dnssd import sync as dnssd_sync
from tests.harness import Lab
from tests.harness.avahi import BrowseEntry, start_avahi
from tests.lab.dnssd.peers import Published

pytestmark = [pytest.mark.lab, pytest.mark.interop]

KITCHEN = Service("Kitchen Display. 2", "_http._tcp", 8080, ["path=/ui", "dark"])


def test_avahi_resolves_a_lanwise_service(lab: Lab) -> None:
    """avahi-browse -r -t -p sees name, port, TXT and both address families."""
    a, b = lab.host("lw"), lab.host("av")
    avahi = start_avahi(b)
    published = Published(a, KITCHEN)
    try:
        entries = avahi.resolved("_http._tcp", "Kitchen Display. 2")
        # avahi's resolver reports one address per entry; ask for the AAAA itself.
        v6 = avahi.resolve_host_name("lw.local", family=6)
    finally:
        published.stop()
    assert {e.protocol for e in entries} == {"IPv4", "IPv6"}
    assert {e.port for e in entries} == {8080}
    assert {e.host_name for e in entries} == {"lw.local"}
    assert all(set(e.txt) == {b"path=/ui", b"dark"} for e in entries)
    addresses = {e.address for e in entries}
    assert a.ipv4() in addresses
    assert v6 and all(isinstance(x, IPv6Address) for x in v6)
    assert set(v6) <= {a.ipv6(), a.ipv6_link_local()}


def test_lanwise_resolves_an_avahi_service(lab: Lab) -> None:
    a, b = lab.host("lw"), lab.host("av")
    avahi = start_avahi(b)
    with avahi.publish_service("Avahi Box", "_ipp._tcp", 631, ["rp=printers/x", "Color=T"]) as pub:
        assert pub.wait_established() == "Avahi Box"
        info, found = a.call(_sync_browse_and_resolve, "_ipp._tcp", "Avahi Box")
    assert "Avahi Box" in found
    assert info["host"] == "av.local" and info["port"] == 631
    assert info["txt"] == {"rp": b"printers/x", "Color": b"T"}
    v4 = {x for found in info["addresses"].values() for x in found if isinstance(x, IPv4Address)}
    v6 = {x for found in info["addresses"].values() for x in found if isinstance(x, IPv6Address)}
    assert b.ipv4() in v4 and v6


def _sync_browse_and_resolve(stype: str, name: str) -> tuple[dict[str, Any], list[str]]:
    found = [e.name for e in dnssd_sync.browse(stype, timeout=3)]
    info = dnssd_sync.resolve(name, stype, timeout=5)
    return (
        {
            "host": info.host,
            "port": info.port,
            "txt": dict(info.txt),
            "addresses": dict(info.addresses),
        },
        found,
    )


def test_lanwise_renames_when_avahi_holds_the_name(lab: Lab) -> None:
    """RFC 6762 §8.1/§9: the name is taken, so lanwise becomes "Name (2)"."""
    a, b = lab.host("lw"), lab.host("av")
    avahi = start_avahi(b)
    with avahi.publish_service("Shared Name", "_http._tcp", 80) as pub:
        assert pub.wait_established() == "Shared Name"
        published = Published(a, Service("Shared Name", "_http._tcp", 81))
        try:
            name = published.registrations[0].name
        finally:
            published.stop()
    assert name == "Shared Name (2)"


def test_avahi_renames_when_lanwise_holds_the_name(lab: Lab) -> None:
    a, b = lab.host("lw"), lab.host("av")
    avahi = start_avahi(b)
    published = Published(a, Service("Shared Name", "_http._tcp", 81))
    try:
        with avahi.publish_service("Shared Name", "_http._tcp", 80) as pub:
            got = pub.wait_established(timeout=20)
        mine = published.registrations[0].name
    finally:
        published.stop()
    assert mine == "Shared Name"
    assert got != "Shared Name" and got.startswith("Shared Name")


@pytest.mark.serial  # a goodbye within two seconds
def test_lanwise_goodbye_reaches_avahi_within_two_seconds(lab: Lab) -> None:
    """RFC 6762 §10.1: goodbye packets (TTL 0) make peers drop the service at once."""
    a, b = lab.host("lw"), lab.host("av")
    avahi = start_avahi(b)
    published = Published(a, KITCHEN)
    watcher = b.popen(
        "avahi-browse",
        "-p",
        "-k",
        "_http._tcp",
        env=avahi.env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert watcher.stdout is not None
        added = _next_entry(watcher.stdout, "+")
        assert added.name == "Kitchen Display. 2"

        async def withdraw(responder: Responder) -> None:
            await responder.registrations[0].withdraw()

        started = time.monotonic()
        published.run(withdraw)
        removed = _next_entry(watcher.stdout, "-")
        elapsed = time.monotonic() - started
    finally:
        watcher.terminate()
        published.stop()
    assert removed.name == "Kitchen Display. 2"
    assert elapsed < 2.0


def _next_entry(stream: object, event: str) -> BrowseEntry:
    assert hasattr(stream, "readline")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        line = stream.readline()
        entry = BrowseEntry.parse(line)
        if entry is not None and entry.event == event:
            return entry
    raise AssertionError(f"no {event!r} line from avahi-browse")

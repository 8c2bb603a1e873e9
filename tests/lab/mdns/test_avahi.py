"""avahi-daemon in the lab: the harness itself, and lanwise beside and against avahi."""

from __future__ import annotations

import pytest

from lanwise.dns import AAAA, SRV, A, Name, RRType
from lanwise.mdns.cache import CachedRecord
from lanwise.mdns.registration import ServiceRecords
from lanwise.mdns.transport import MdnsTransport
from tests.harness import Lab
from tests.harness.avahi import BrowseEntry, start_avahi, unescape
from tests.lab.mdns.util import Node, wait_ipv6_ready

pytestmark = [pytest.mark.lab, pytest.mark.interop]

SERVICE = "_lwtest._tcp"


def test_unescape_undoes_avahi_label_escapes() -> None:
    assert unescape(r"My\032Printer\.v2\\x") == "My Printer.v2\\x"
    assert unescape(r"caf\195\169") == "café"


def test_browse_entry_parses_resolved_lines_with_scoped_link_local() -> None:
    line = '=;eth0;IPv6;My\\032Box;_http._tcp;local;box.local;fe80::1;80;"a=1" "b"'
    entry = BrowseEntry.parse(line)
    assert entry is not None and entry.resolved
    assert (entry.name, entry.port, entry.txt) == ("My Box", 80, (b"a=1", b"b"))
    assert str(entry.address) == "fe80::1%eth0"
    assert BrowseEntry.parse("+;eth0;IPv4;X;_http._tcp;local") == BrowseEntry(
        "+", "eth0", "IPv4", "X", "_http._tcp", "local"
    )
    assert BrowseEntry.parse("Failed to resolve") is None


def test_avahi_harness_publishes_browses_and_resolves_between_two_hosts(lab: Lab) -> None:
    one, two = lab.host("one"), lab.host("two")
    first, second = start_avahi(one, host_name="avahi-one"), start_avahi(two)
    assert (first.host_name, second.host_name) == ("avahi-one", "two")
    with first.publish_service("Lab Printer", SERVICE, 631, ["rp=queue"]) as publication:
        assert publication.wait_established() == "Lab Printer"
        seen = second.resolved(SERVICE, "Lab Printer")
        assert {e.protocol for e in seen} == {"IPv4", "IPv6"}
        assert {(e.host_name, e.port, e.txt) for e in seen} == {
            ("avahi-one.local", 631, (b"rp=queue",))
        }
        # avahi-browse -r resolves each entry with either family's address (whichever
        # its resolver gets first), so only "one of host one's addresses" is certain.
        # The IPv4 address itself is checked by name just below.
        own = {str(a) for a in (one.ipv4(), one.ipv6(), one.ipv6_link_local())}
        addresses = {str(e.address).partition("%")[0] for e in seen if e.address is not None}
        assert addresses and addresses <= own
        assert second.resolve_host_name("avahi-one.local") == [one.ipv4()]
        assert second.resolve_address(one.ipv4()) == "avahi-one.local"
    first.stop()
    assert not first.running


def _addresses(records: list[CachedRecord]) -> set[object]:
    return {r.record.rdata.address for r in records if isinstance(r.record.rdata, A | AAAA)}


def test_lanwise_runs_beside_avahi_on_one_host_and_both_see_each_other(lab: Lab) -> None:
    """Both stacks hold port 5353 on one host (SO_REUSEADDR) and hear each other's
    multicast (loopback on, our own echoes filtered).

    Only lanwise publishes the host's address records: two responders on one
    host that both do would claim the same reverse-mapping PTRs for different
    names, or, under one name, different address sets (lanwise publishes
    every address of the interface, §6.2, link-local ones included; avahi
    leaves IPv6 link-local out when a global address exists), and one of them
    would rename forever. The local avahi runs with publish-addresses=no and
    points its services at the shared host name.
    """
    shared, peer = lab.host("shared"), lab.host("peer")
    wait_ipv6_ready(shared, peer)
    local_avahi = start_avahi(
        shared, host_name="shared", options={"publish": {"publish-addresses": "no"}}
    )
    remote_avahi = start_avahi(peer, host_name="avahi-there")
    service = ServiceRecords("Beside Avahi", SERVICE, 4242, txt=(b"k=v",))
    with Node(shared, host_name="shared") as node:

        async def register(mdns: MdnsTransport) -> str:
            await mdns.register(service, timeout=10)
            return str(mdns.engine.host_name)

        assert node.call(register) == "shared.local"
        # avahi on the other host and avahi on this very host find lanwise's service.
        for avahi in (remote_avahi, local_avahi):
            [entry] = [e for e in avahi.resolved(SERVICE, "Beside Avahi") if e.protocol == "IPv4"]
            assert (entry.host_name, entry.port, entry.txt) == ("shared.local", 4242, (b"k=v",))
        assert remote_avahi.resolve_host_name("shared.local") == [shared.ipv4()]

        async def resolve(mdns: MdnsTransport, name: str, rtype: int) -> list[CachedRecord]:
            return await mdns.resolve(Name.from_text(name), rtype, timeout=3)

        # lanwise resolves the remote avahi and a service of its neighbour on this host.
        there = node.call(lambda m: resolve(m, "avahi-there.local", RRType.A))
        assert _addresses(there) == {peer.ipv4()}
        published = local_avahi.publish_service("From Avahi", SERVICE, 5151)
        assert published.wait_established() == "From Avahi"
        [srv] = node.call(lambda m: resolve(m, f"From Avahi.{SERVICE}.local", RRType.SRV))
        assert srv.record.rdata == SRV(0, 0, 5151, Name.from_text("shared.local"))
        stats = node.mdns.statistics()
    assert stats.echoes_dropped > 0
    assert stats.engine.conflicts == 0
    assert "conflict" not in local_avahi.log().lower()

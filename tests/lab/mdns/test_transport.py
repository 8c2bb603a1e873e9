"""lanwise's mDNS engine on real sockets between lab hosts (issue #4, "Done when").

Each test runs the real :class:`~lanwise.mdns.engine.Engine` behind
:func:`~lanwise.mdns.transport.open_mdns` on lab hosts' event loops.
"""

from __future__ import annotations

import asyncio
import select
import socket
import time
from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest

from lanwise.dns import (
    AAAA,
    PTR,
    SRV,
    TXT,
    A,
    Message,
    Name,
    Question,
    RRType,
    build_message,
    parse_message,
)
from lanwise.mdns.cache import CachedRecord
from lanwise.mdns.events import RegistrationEstablished
from lanwise.mdns.registration import EngineRegistration, ServiceRecords
from lanwise.mdns.sockets import (
    ancillary_size,
    join_group,
    open_mdns_socket,
    packet_info,
    send_packet_info,
)
from lanwise.mdns.transport import MdnsTransport, TransportStatistics
from tests.harness import Host, Lab
from tests.harness.capture import start_capture
from tests.lab.mdns.util import Node, wait_ipv6_ready

pytestmark = pytest.mark.lab

SERVICE = "_lwtest._tcp"


def _name(text: str) -> Name:
    return Name.from_text(text)


async def _until_announced(
    mdns: MdnsTransport, registration: EngineRegistration | None = None
) -> None:
    """Wait until ``registration`` (default: the host name) is established everywhere."""
    target = registration or mdns.engine.host
    while not (mdns.interfaces and target.established):
        await asyncio.sleep(0.02)


def _addresses(records: list[CachedRecord]) -> set[IPv4Address | IPv6Address]:
    found: set[IPv4Address | IPv6Address] = set()
    for cached in records:
        rdata = cached.record.rdata
        assert isinstance(rdata, A | AAAA)
        found.add(rdata.address)
    return found


def _resolve(
    node: Node, name: str, rtype: int, *, interface: int | None = None, timeout: float = 3.0
) -> list[CachedRecord]:
    async def resolve(mdns: MdnsTransport) -> list[CachedRecord]:
        return await mdns.resolve(_name(name), rtype, interface=interface, timeout=timeout)

    return node.call(resolve)


# -- answering over IPv4 and IPv6 ------------------------------------------------------


def _ask(host: Host, family: int, name: str, qtype: int, timeout: float = 4.0) -> list[Message]:
    """Send one QM query for ``name``/``qtype`` to the group; collect the responses."""
    with host.entered():
        sock = open_mdns_socket(family)
    responses: list[Message] = []
    with sock:
        index = host.ifindex()
        join_group(sock, index)
        group = ("224.0.0.251", 5353) if family == socket.AF_INET else ("ff02::fb", 5353, 0, index)
        query = build_message(Message(questions=(Question(_name(name), qtype),)))
        sock.sendmsg([query], [send_packet_info(family, index)], 0, group)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([sock], [], [], 0.2)
            if not ready:
                if responses:
                    break
                continue
            data, ancdata, _flags, _source = sock.recvmsg(9000, ancillary_size(family))
            message = parse_message(data)
            info = packet_info(ancdata)
            assert info is not None
            if message.is_response and any(
                r.name == _name(name) and r.rtype == qtype for r in message.answers
            ):
                # §6: a QM query is answered by multicast to the group.
                assert info[1] == ip_address(group[0])
                responses.append(message)
    return responses


def test_query_is_answered_over_ipv4_and_ipv6(lab: Lab) -> None:
    responder, asker = lab.host("responder"), lab.host("asker")
    wait_ipv6_ready(responder, asker)
    with Node(responder, host_name="alpha") as node:
        node.call(_until_announced)
        time.sleep(1.1)  # §6.2: the announcement's once-per-second limit has passed
        over_v4 = _ask(asker, socket.AF_INET, "alpha.local", RRType.A)
        over_v6 = _ask(asker, socket.AF_INET6, "alpha.local", RRType.AAAA)
    assert over_v4, "no answer over IPv4"
    assert {r.rdata for m in over_v4 for r in m.answers if r.rtype == RRType.A} == {
        A(responder.ipv4())
    }
    assert over_v6, "no answer over IPv6 (ff02::fb)"
    answered = {r.rdata.address for m in over_v6 for r in m.answers if isinstance(r.rdata, AAAA)}
    assert responder.ipv6() in answered
    assert responder.ipv6_link_local() in answered
    assert all(r.cache_flush for m in over_v4 + over_v6 for r in m.answers)


def test_lanwise_querier_resolves_a_service_of_a_lanwise_responder(lab: Lab) -> None:
    responder, querier = lab.host("responder"), lab.host("querier")
    wait_ipv6_ready(responder, querier)
    service = ServiceRecords("Kitchen Display", SERVICE, 8080, txt=(b"path=/status", b"v=1"))
    with Node(responder, host_name="display") as server, Node(querier, host_name="asker") as client:

        async def register(mdns: MdnsTransport) -> str:
            return str((await mdns.register(service, timeout=10)).name)

        assert server.call(register) == f"Kitchen Display.{SERVICE}.local"
        pointers = _resolve(client, f"{SERVICE}.local", RRType.PTR)
        assert [p.record.rdata for p in pointers] == [
            PTR(_name(f"Kitchen Display.{SERVICE}.local"))
        ]
        [srv] = _resolve(client, f"Kitchen Display.{SERVICE}.local", RRType.SRV)
        rdata = srv.record.rdata
        assert isinstance(rdata, SRV)
        assert (rdata.port, rdata.target) == (8080, _name("display.local"))
        [txt] = _resolve(client, f"Kitchen Display.{SERVICE}.local", RRType.TXT)
        assert txt.record.rdata == TXT((b"path=/status", b"v=1"))
        v4 = _addresses(_resolve(client, "display.local", RRType.A))
        v6 = _addresses(_resolve(client, "display.local", RRType.AAAA))
        stats = client.call(_statistics)
    assert v4 == {responder.ipv4()}
    assert {responder.ipv6(), responder.ipv6_link_local()} <= v6
    assert stats.engine.malformed_dropped == 0
    assert stats.send_errors == 0


async def _statistics(mdns: MdnsTransport) -> TransportStatistics:
    return mdns.statistics()


# -- a host on two LANs ---------------------------------------------------------------------


def test_host_on_two_lans_answers_each_lan_with_its_own_addresses(lab: Lab) -> None:
    """RFC 6762 §14 (multiple interfaces): answers on an interface carry only its addresses."""
    lan1, lan2 = lab.lan(), lab.lan()
    router = lab.host("router", [lan1, lan2])
    west, east = lab.host("west", [lan1]), lab.host("east", [lan2])
    wait_ipv6_ready(router, west, east)
    with Node(router, host_name="gateway") as gateway:
        gateway.call(_until_announced)
        with Node(west, host_name="west") as w, Node(east, host_name="east") as e:
            for client, lan in ((w, lan1), (e, lan2)):
                v4 = _addresses(_resolve(client, "gateway.local", RRType.A))
                v6 = _addresses(_resolve(client, "gateway.local", RRType.AAAA))
                assert v4 == {router.ipv4(lan)}
                assert {router.ipv6(lan), router.ipv6_link_local(lan)} <= v6
                other = lan2 if lan is lan1 else lan1
                assert router.ipv6(other) not in v6
                assert router.ipv6_link_local(other) not in v6


# -- simultaneous probes ------------------------------------------------------------------------


def test_simultaneous_probes_for_one_name_end_with_one_owner_and_one_renamed(lab: Lab) -> None:
    """RFC 6762 §8.2: two responders probe the same names at once; one wins, one renames."""
    first, second, observer = lab.host("first"), lab.host("second"), lab.host("observer")
    wait_ipv6_ready(first, second, observer)
    one = Node(first, host_name="twin")
    two = Node(second, host_name="twin")
    # Both start probing the host name and the service within a few milliseconds.
    with one, two:
        futures = [
            node.host.submit(_register(node.mdns, ServiceRecords("Shared", SERVICE, port)))
            for node, port in ((one, 1001), (two, 1002))
        ]
        names = {future.result(20) for future in futures}
        hosts = {node.call(_host_name) for node in (one, two)}
        assert names == {f"Shared.{SERVICE}.local", f"Shared (2).{SERVICE}.local"}
        assert hosts == {"twin.local", "twin-2.local"}
        with Node(observer, host_name="observer") as watch:
            owners: dict[str, int] = {}
            for instance in ("Shared", "Shared (2)"):
                found = _resolve(watch, f"{instance}.{SERVICE}.local", RRType.SRV)
                assert len(found) == 1, f"{instance}: {found}"
                assert isinstance(found[0].record.rdata, SRV)
                owners[instance] = found[0].record.rdata.port
            assert sorted(owners.values()) == [1001, 1002]
            twin = _addresses(_resolve(watch, "twin.local", RRType.A))
            twin2 = _addresses(_resolve(watch, "twin-2.local", RRType.A))
        assert {frozenset(twin), frozenset(twin2)} == {
            frozenset({first.ipv4()}),
            frozenset({second.ipv4()}),
        }
        conflicts = sum(node.call(_statistics).engine.conflicts for node in (one, two))
        assert conflicts >= 1


async def _register(mdns: MdnsTransport, service: ServiceRecords) -> str:
    registration = await mdns.register(service, timeout=15)
    # A rename restarts probing; wait until the final name is established.
    await _until_announced(mdns, registration)
    return str(registration.name)


async def _host_name(mdns: MdnsTransport) -> str:
    await _until_announced(mdns)
    return str(mdns.engine.host_name)


# -- an interface pulled mid-probe -------------------------------------------------------------


@pytest.mark.parametrize("how", ["down", "deleted"])
def test_pulling_an_interface_mid_probe_leaves_the_other_served(lab: Lab, how: str) -> None:
    lan1, lan2 = lab.lan(), lab.lan()
    router = lab.host("router", [lan1, lan2])
    west, east = lab.host("west", [lan1]), lab.host("east", [lan2])
    wait_ipv6_ready(router, west, east)
    service = ServiceRecords("Hotplug", SERVICE, 7000)
    with Node(router, host_name="hotplug") as node:
        kept, pulled = router.ifindex(lan1), router.ifindex(lan2)
        assert set(node.call(_interfaces)) == {kept, pulled}
        registering = router.submit(_register(node.mdns, service))
        time.sleep(0.3)  # §8.1: probing takes ~750 ms; pull the link in the middle
        if how == "down":
            router.link_down(lan2)
        else:
            router.run("ip", "link", "del", router.ifname(lan2))
        assert registering.result(15) == f"Hotplug.{SERVICE}.local"
        assert set(node.call(_interfaces)) == {kept}
        with Node(west, host_name="west") as w:
            [srv] = _resolve(w, f"Hotplug.{SERVICE}.local", RRType.SRV)
            assert srv.record.rdata == SRV(0, 0, 7000, _name("hotplug.local"))
        if how == "down":
            # §8 (link change, BCT hot-plug): back up, the interface is probed and announced again.
            router.link_up(lan2)
            wait_ipv6_ready(router)

            async def established_on_pulled(mdns: MdnsTransport) -> None:
                await mdns.wait_event(
                    lambda e: (
                        isinstance(e, RegistrationEstablished)
                        and e.interface == pulled
                        and e.name == _name(f"Hotplug.{SERVICE}.local")
                    ),
                    timeout=10,
                )

            node.call(established_on_pulled)
            with Node(east, host_name="east") as e:
                [srv] = _resolve(e, f"Hotplug.{SERVICE}.local", RRType.SRV)
                assert srv.record.rdata == SRV(0, 0, 7000, _name("hotplug.local"))


async def _interfaces(mdns: MdnsTransport) -> list[int]:
    return list(mdns.interfaces)


# -- the cache-flush bit on the wire -------------------------------------------------------------


def test_capture_shows_probes_without_and_announcements_with_cache_flush(lab: Lab) -> None:
    """RFC 6762 §8.1, §10.2: no cache-flush bit in probes' Authority records; set on the
    unique records of announcements, clear on shared ones. Read by Wireshark's dissector."""
    responder, watcher = lab.host("responder"), lab.host("watcher")
    wait_ipv6_ready(responder, watcher)
    service = ServiceRecords("Captured", SERVICE, 9000, txt=(b"a=1",))
    with start_capture(watcher) as capture, Node(responder, host_name="wire") as node:
        node.call(lambda mdns: _register(mdns, service))
        time.sleep(1.3)  # §8.3: the second announcement comes one second after the first
    packets = [p for p in capture.packets() if p.source_port == 5353]
    probes = [p for p in packets if not p.is_response and p.authorities]
    announcements = [p for p in packets if p.is_response and p.answers]
    assert probes and announcements
    assert {p.hop_limit for p in packets} == {255}  # §11
    probed = {(r.name, r.rtype) for p in probes for r in p.authorities}
    assert (f"Captured.{SERVICE}.local", RRType.SRV) in probed
    assert ("wire.local", RRType.A) in probed
    assert all(q.qtype == RRType.ANY for p in probes for q in p.questions)
    assert not [r for p in probes for r in p.authorities if r.cache_flush]
    shared = {f"{SERVICE}.local", "_services._dns-sd._udp.local"}
    announced = [r for p in announcements for r in p.answers if r.ttl > 0]
    assert {(r.name, r.rtype) for r in announced} >= {
        (f"Captured.{SERVICE}.local", RRType.SRV),
        (f"Captured.{SERVICE}.local", RRType.TXT),
        (f"{SERVICE}.local", RRType.PTR),
        ("wire.local", RRType.A),
        ("wire.local", RRType.AAAA),
    }
    for record in announced:
        assert record.cache_flush == (record.name not in shared), record
    # On leaving open_mdns the engine said goodbye: TTL 0 for the service's records.
    goodbyes = {
        (r.name, r.rtype) for p in packets if p.is_response for r in p.answers if r.ttl == 0
    }
    assert (f"Captured.{SERVICE}.local", RRType.SRV) in goodbyes


def test_garbage_and_oversized_datagrams_are_counted_and_dropped(lab: Lab) -> None:
    """Bad input from the network is counted and dropped; §17: nothing over 9000 bytes."""
    responder, sender = lab.host("responder"), lab.host("sender")
    wait_ipv6_ready(responder, sender)
    with Node(responder, host_name="sturdy") as node:
        node.call(_until_announced)
        with sender.entered():
            sock = open_mdns_socket(socket.AF_INET)
        with sock:
            cmsg = [send_packet_info(socket.AF_INET, sender.ifindex())]
            group = ("224.0.0.251", 5353)
            sock.sendmsg([b"\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0"], cmsg, 0, group)
            sock.sendmsg([bytes(9500)], cmsg, 0, group)
        time.sleep(1.1)  # §6.2: past the announcements' once-per-second limit
        answers = _ask(sender, socket.AF_INET, "sturdy.local", RRType.A)
        stats = node.call(_statistics)
    assert answers, "the responder stopped answering"
    assert stats.engine.malformed_dropped == 1
    assert stats.oversized_dropped == 1

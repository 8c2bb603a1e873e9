"""Faults while lanwise publishes (RFC 6762 §8.4, §13): an interface going away
mid-probe, an address added mid-announcement, sends failing on a dead link. The
engine keeps serving the other interface and recovers when the link returns.
(An interface pulled or deleted mid-probe alone: tests/lab/mdns/test_transport.py.)"""

from __future__ import annotations

import asyncio
import time
from ipaddress import IPv4Address

import pytest

from lanwise.conformance.wire import Captured, Wire
from lanwise.dns import Name, RRType
from lanwise.interfaces import get_interface
from lanwise.mdns.registration import ServiceRecords
from lanwise.mdns.transport import MdnsTransport
from tests.harness import Host, Lab
from tests.lab.mdns.util import Node, wait_ipv6_ready

pytestmark = pytest.mark.lab

INSTANCE = Name.from_labels(("Faulty", "_fault", "_tcp", "local"))
NEW_ADDRESS = IPv4Address("10.99.1.200")


def _wire(host: Host) -> Wire:
    with host.entered():
        iface = get_interface("eth0")
        return Wire(iface.index, iface.ipv4_addresses[0].address, ipv6=False)  # type: ignore[arg-type]


def _announces(p: Captured, name: Name, rtype: int) -> bool:
    return (
        p.message is not None
        and p.message.is_response
        and any(r.name == name and r.rtype == rtype and r.ttl > 0 for r in p.message.answers)
    )


def test_link_lost_mid_probe_and_address_added_mid_announcement(lab: Lab) -> None:
    lan1, lan2 = lab.lan(), lab.lan()
    dut = lab.host("dut", [lan1, lan2])
    west, east = lab.host("west", [lan1]), lab.host("east", [lan2])
    wait_ipv6_ready(dut, west, east)
    with _wire(west) as w, _wire(east) as e, Node(dut, host_name="faulty") as node:
        start = time.monotonic()

        async def register(mdns: MdnsTransport) -> None:
            mdns.register_nowait(ServiceRecords("Faulty", "_fault._tcp", 7100))

        node.call(register)
        time.sleep(0.3)  # §8.1: mid-probe
        dut.link_down(lan2)
        down = time.monotonic()
        # Served on lan1 regardless: the first announcement, then (mid-announcement)
        # a new address appears and is announced at once (§8.4).
        first = w.wait_for(lambda p: _announces(p, INSTANCE, RRType.SRV), start, 5.0)
        assert first is not None
        dut.run("ip", "addr", "add", f"{NEW_ADDRESS}/24", "dev", dut.ifname(lan1))
        added = w.wait_for(
            lambda p: (
                p.message is not None
                and p.message.is_response
                and any(
                    r.rtype == RRType.A
                    and str(r.rdata.address) == str(NEW_ADDRESS)  # type: ignore[attr-defined]
                    and r.ttl > 0
                    for r in p.message.answers
                )
            ),
            first.time,
            5.0,
        )
        assert added is not None, "the new address was not announced"
        # Nothing reached lan2 while its link was down.
        assert not [p for p in e.since(down + 0.05) if p.source == dut.ipv4(lan2)]
        # The link comes back: probed and announced there again (§13).
        back = time.monotonic()
        dut.link_up(lan2)
        reannounced = e.wait_for(lambda p: _announces(p, INSTANCE, RRType.SRV), back, 10.0)
        assert reannounced is not None, "not announced again on the returning link"
        probes = [
            p
            for p in e.since(back)
            if p.message is not None and not p.message.is_response and p.message.authorities
        ]
        assert probes and probes[0].time < reannounced.time

        async def health(mdns: MdnsTransport) -> int:
            await asyncio.sleep(0)
            return mdns.engine.statistics().internal_errors

        assert node.call(health) == 0

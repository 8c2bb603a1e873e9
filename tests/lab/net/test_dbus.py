"""The D-Bus readers against a real dbus-daemon on a private bus.

NetworkManager and systemd-resolved cannot run in the lab (they would manage
the machine's networking), so each test publishes a small stand-in service
(tests/lab/net/dbus_standins.py) with the real bus name, object paths,
interface names and property signatures on a dbus-daemon started inside a lab
host. lanwise reads them over the bus exactly as it reads the real daemons.
"""

from __future__ import annotations

import json
import os
import socket
from ipaddress import IPv4Address, IPv6Address

import pytest
from dbus_fast.aio import MessageBus

from lanwise.net import NoEligibleInterfaceError, connect
from lanwise.net.metered import NMMetered, read_networkmanager_metered
from lanwise.net.resolvers import dns_servers, read_systemd_resolved
from tests.harness import Lab
from tests.lab.net.dbus_standins import serve_networkmanager, serve_resolved, start_private_bus
from tests.lab.net.test_connect import PORT, build, start_server

pytestmark = pytest.mark.lab


def test_networkmanager_metered_drives_prohibit_expensive(lab: Lab) -> None:
    """Device.Metered GUESS_YES on eth0 makes it expensive; connect avoids it."""
    lan1, lan2, client, server = build(lab)
    start_server(server)
    address = start_private_bus(client, lab.workdir)
    eth0, eth1 = client.ifindex(lan1), client.ifindex(lan2)

    async def publish() -> MessageBus:
        return await serve_networkmanager(
            address, [("eth0", eth0, NMMetered.GUESS_YES), ("eth1", eth1, NMMetered.NO)]
        )

    bus = client.wait(publish())
    assert client.wait(read_networkmanager_metered(address)) == {eth0: 3, eth1: 2}

    async def go() -> tuple[str, str]:
        conn = await connect(
            str(server.ipv4(lan1)), PORT, prohibit_expensive=True, bus_address=address, timeout=5
        )
        async with conn:
            return conn.interface.name, (await conn.reader.readline()).decode().strip()

    assert client.wait(go()) == ("eth1", str(client.ipv4(lan2)))

    async def refused() -> str:
        try:
            await connect(
                str(server.ipv4(lan1)),
                PORT,
                required_interface="eth0",
                prohibit_expensive=True,
                bus_address=address,
                timeout=5,
            )
        except NoEligibleInterfaceError as exc:
            return str(exc)
        raise AssertionError("connected over a metered interface")

    assert "eth0 (index" in client.wait(refused())
    assert "expensive (NetworkManager: metered (guess_yes))" in client.wait(refused())
    bus.disconnect()


def test_no_networkmanager_on_the_bus_reads_as_absent(lab: Lab) -> None:
    host = lab.host("a")
    address = start_private_bus(host, lab.workdir)
    assert host.wait(read_networkmanager_metered(address)) is None
    assert host.wait(read_systemd_resolved(address)) is None
    assert host.wait(read_networkmanager_metered("unix:path=/nonexistent/bus")) is None


def test_systemd_resolved_servers_and_the_dns_command(lab: Lab) -> None:
    host = lab.host("a")
    address = start_private_bus(host, lab.workdir)
    index = host.ifindex()
    entries: list[list[object]] = [
        [0, socket.AF_INET, IPv4Address("192.0.2.53").packed, 0, ""],
        [index, socket.AF_INET6, IPv6Address("2001:db8::53").packed, 853, "dns.example"],
        [index, socket.AF_INET, IPv4Address("10.99.1.53").packed, 0, ""],
    ]

    async def publish() -> MessageBus:
        return await serve_resolved(address, entries)

    bus = host.wait(publish())
    resolv = lab.workdir / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.53\noptions edns0 trust-ad\n")
    servers = host.wait(dns_servers(resolv_conf=resolv, bus_address=address))
    assert [(str(s.address), s.port, s.interface_index, s.source) for s in servers] == [
        ("192.0.2.53", 53, None, "systemd-resolved (global)"),
        ("2001:db8::53", 853, index, "systemd-resolved"),
        ("10.99.1.53", 53, index, "systemd-resolved"),
        ("127.0.0.53", 53, None, str(resolv)),
    ]
    assert servers[1].server_name == "dns.example"

    env = {**lab.env(), "DBUS_SYSTEM_BUS_ADDRESS": address}
    done = host.lanwise("dns", "--json", "--resolv-conf", str(resolv), env=env)
    shown = json.loads(done.stdout)
    assert [s["address"] for s in shown] == [
        "192.0.2.53",
        "2001:db8::53",
        "10.99.1.53",
        "127.0.0.53",
    ]
    assert shown[1]["interface_name"] == "eth0"
    table = host.lanwise("dns", "--resolv-conf", str(resolv), env=env).stdout
    assert "2001:db8::53" in table and "eth0 (" in table and "dns.example" in table
    bus.disconnect()
    assert os.path.exists(lab.workdir / "bus.sock")

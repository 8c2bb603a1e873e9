"""connect() in the lab: the interface decides the path, not the routing table alone.

The client is on two LANs, and so is the server. The client has a second,
worse route for each LAN's prefix through its *other* interface, so every
server address is reachable over either interface; which one a connection
uses shows in the source address the server sees.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import pytest

from lanwise.net import NoEligibleInterfaceError, connect, local_endpoint
from tests.harness import Host, Lab, Lan

pytestmark = pytest.mark.lab

PORT = 7001
NO_BUS = "unix:path=/nonexistent/lanwise-test-bus"  # no NetworkManager: deterministic


def build(lab: Lab) -> tuple[Lan, Lan, Host, Host]:
    lan1, lan2 = lab.lan(), lab.lan()
    client = lab.host("client", [lan1, lan2])
    server = lab.host("server", [lan1, lan2])
    # Each LAN's prefix also via the other interface, at a worse metric.
    client.run("ip", "route", "add", str(lan1.ipv4_network), "dev", "eth1", "metric", "500")
    client.run("ip", "route", "add", str(lan2.ipv4_network), "dev", "eth0", "metric", "500")
    return lan1, lan2, client, server


async def _serve(bind: str, port: int, seen: list[str], ready: asyncio.Event) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")[0]
        seen.append(peer)
        writer.write(f"{peer}\n".encode())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, bind, port)
    ready.set()
    async with server:
        await server.serve_forever()


def start_server(server: Host, bind: str = "0.0.0.0", port: int = PORT) -> list[str]:
    """A server on ``bind``:``port`` that answers each client with the client's address."""
    seen: list[str] = []
    ready = asyncio.Event()
    server.submit(_serve(bind, port, seen, ready))

    async def wait_ready() -> None:
        await ready.wait()

    server.wait(wait_ready(), timeout=10)
    return seen


async def _fetch(address: str, port: int = PORT, **requirements: Any) -> tuple[str, str, str, int]:
    conn = await connect(address, port, timeout=5, bus_address=NO_BUS, **requirements)
    async with conn:
        line = (await conn.reader.readline()).decode().strip()
        mine = local_endpoint(conn)
        assert mine.address == conn.local.address
        assert mine.interface is not None and mine.interface.index == conn.interface.index
    return line, str(conn.local.address), conn.interface.name, conn.interface.index


def test_required_interface_chooses_the_path(lab: Lab) -> None:
    lan1, lan2, client, server = build(lab)
    seen = start_server(server)
    for target_lan in (lan1, lan2):
        target = str(server.ipv4(target_lan))
        for ifname, source_lan in (("eth0", lan1), ("eth1", lan2)):
            peer, local, used, index = client.wait(_fetch(target, required_interface=ifname))
            expected = str(client.ipv4(source_lan))
            assert (peer, local, used) == (expected, expected, ifname), (target, ifname)
            assert index == client.ifindex(source_lan)
    assert len(seen) == 4


def test_required_interface_by_index(lab: Lab) -> None:
    lan1, lan2, client, server = build(lab)
    start_server(server)
    index = client.ifindex(lan2)
    peer, _local, used, _ = client.wait(_fetch(str(server.ipv4(lan1)), required_interface=index))
    assert (peer, used) == (str(client.ipv4(lan2)), "eth1")


def test_prohibited_types_rule_everything_out_with_reasons(lab: Lab) -> None:
    _lan1, _lan2, client, server = build(lab)
    start_server(server)

    async def attempt() -> str:
        try:
            await connect(
                str(server.ipv4()),
                PORT,
                prohibited_interface_types=["wired"],
                bus_address=NO_BUS,
                timeout=5,
            )
        except NoEligibleInterfaceError as exc:
            return str(exc)
        raise AssertionError("connected although every LAN interface is wired")

    message = client.wait(attempt())
    assert "eth0 (index" in message and "eth1 (index" in message
    assert "type wired is prohibited" in message
    # The loopback interface was eligible but cannot reach a LAN address.
    assert "loopback only reaches this host" in message


def test_prohibit_expensive_uses_the_override(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    """LANWISE_EXPENSIVE marks eth0 expensive; prohibit_expensive then goes over eth1."""
    lan1, lan2, client, server = build(lab)
    start_server(server)
    monkeypatch.setenv("LANWISE_EXPENSIVE", "eth0")
    peer, _local, used, _ = client.wait(_fetch(str(server.ipv4(lan1)), prohibit_expensive=True))
    assert (peer, used) == (str(client.ipv4(lan2)), "eth1")


def test_name_with_both_families_falls_back_to_ipv4(lab: Lab) -> None:
    """``localhost`` has AAAA (::1) and A (127.0.0.1): RFC 8305 §4 tries IPv6 first; the
    server listens on IPv4 only, so that attempt is refused and IPv4 connects, over lo."""
    client = lab.host("client")

    async def go() -> tuple[str, str, str]:
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", PORT)
        async with server:
            conn = await connect("localhost", PORT, timeout=5, bus_address=NO_BUS)
            async with conn:
                return conn.interface.name, conn.interface.type.value, str(conn.remote.address)

    assert client.wait(go()) == ("lo", "loopback", "127.0.0.1")


_HE_CLIENT = """
import asyncio, json, sys, time
from lanwise.net import connect

async def main():
    start = time.monotonic()
    conn = await connect("both.test", int(sys.argv[1]), timeout=10,
                         bus_address="unix:path=/nonexistent/lanwise-test-bus")
    elapsed = time.monotonic() - start
    async with conn:
        print(json.dumps({"remote": str(conn.remote.address), "elapsed": elapsed,
                          "interface": conn.interface.name}))

asyncio.run(main())
"""


def test_happy_eyeballs_gets_past_a_silent_ipv6_address(lab: Lab) -> None:
    """RFC 8305 §4/§5 end to end: ``both.test`` has an AAAA that nobody answers (neighbour
    discovery fails silently) and a working A. IPv6 is tried first; 250 ms later (the
    Connection Attempt Delay, not the seconds an unanswered attempt takes) IPv4 starts and
    wins. /etc/hosts is replaced in a private mount namespace of the client process."""
    lan1, _lan2, client, server = build(lab)
    start_server(server)
    hosts = lab.workdir / "hosts"
    silent = lan1.ipv6_network.network_address + 99
    hosts.write_text(f"{silent} both.test\n{server.ipv4(lan1)} both.test\n")
    script = lab.workdir / "he_client.py"
    script.write_text(_HE_CLIENT)
    done = client.run(
        "unshare",
        "-m",
        "sh",
        "-c",
        f'mount --bind "{hosts}" /etc/hosts && exec "{sys.executable}" "{script}" {PORT}',
        timeout=30,
    )
    result = json.loads(done.stdout)
    assert result["remote"] == str(server.ipv4(lan1))
    assert result["interface"] == "eth0"
    assert 0.2 <= result["elapsed"] < 1.5, result


def test_local_address_binds_the_source_and_its_interface(lab: Lab) -> None:
    """local_address keeps only the interfaces that own it: here eth1, although the
    better route to the server's lan1 address is through eth0."""
    lan1, lan2, client, server = build(lab)
    start_server(server)
    source = str(client.ipv4(lan2))
    peer, local, used, _ = client.wait(_fetch(str(server.ipv4(lan1)), local_address=source))
    assert (peer, local, used) == (source, source, "eth1")


def test_ipv6_global_and_link_local_with_zone(lab: Lab) -> None:
    """IPv6 works the same way; a link-local destination goes out of its zone only."""
    lan1, lan2, client, server = build(lab)

    seen = start_server(server, "::", PORT + 1)
    target = str(server.ipv6(lan2))
    peer, local, used, _ = client.wait(_fetch(target, PORT + 1, required_interface="eth1"))
    assert (used, local) == ("eth1", str(client.ipv6(lan2)))
    assert peer == str(client.ipv6(lan2))
    link_local = f"{server.ipv6_link_local(lan1)}%eth0"
    peer, local, used, _ = client.wait(_fetch(link_local, PORT + 1))
    assert used == "eth0"
    assert local == f"{client.ipv6_link_local(lan1)}%eth0"
    assert peer.startswith("fe80::")
    assert len(seen) == 2
